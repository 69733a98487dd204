"""NetworkPolicy shapes. The namespace denies everything; each workload opens exactly its flows."""
from __future__ import annotations

from dataclasses import dataclass

from components.core import metadata, selector
from components.flows import NetworkNeeds  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class Peer:
    """The other end of a flow: a workload of this namespace, a namespace, or an IP block."""

    app: str | None = None
    namespace: str | None = None
    cidr: str | None = None
    port: int | None = None  # the port on the receiving side

    def render(self) -> dict:
        if self.app:
            return {"podSelector": {"matchLabels": selector(self.app)}}
        if self.namespace:
            return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": self.namespace}}}
        return {"ipBlock": {"cidr": self.cidr}}


def _rule(direction: str, peer: Peer) -> dict:
    rule: dict = {direction: [peer.render()]}
    if peer.port is not None:
        rule["ports"] = [{"protocol": "TCP", "port": peer.port}]
    return rule


def workload_policy(name: str, namespace: str, lbls: dict, *, ingress: tuple[Peer, ...],
                    egress: tuple[Peer, ...]) -> dict:
    """Allow-list for one workload; the namespace default-deny covers everything else."""
    types = []
    spec: dict = {"podSelector": {"matchLabels": selector(name)}}
    if ingress:
        spec["ingress"] = [_rule("from", p) for p in ingress]
        types.append("Ingress")
    if egress:
        spec["egress"] = [_rule("to", p) for p in egress]
        types.append("Egress")
    spec["policyTypes"] = types
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(name, namespace, lbls), "spec": spec}


def default_deny(namespace: str, lbls: dict, name: str = "default-deny") -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": metadata(name, namespace, lbls),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def allow_dns(namespace: str, lbls: dict, name: str = "allow-dns") -> dict:
    """Every pod may resolve names through the cluster DNS in kube-system."""
    dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": metadata(name, namespace, lbls),
        "spec": {
            "podSelector": {},
            "egress": [{"to": [dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}],
            "policyTypes": ["Egress"],
        },
    }
