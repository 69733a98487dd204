"""NetworkPolicy shapes. The namespace denies everything; each workload opens exactly its flows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.core import metadata, selector
from components.flows import NetworkNeeds as NetworkNeeds  # re-exported
from components.flows import Pods

if TYPE_CHECKING:
    from components.k8s.api import (
        NetworkPolicy,
        NetworkPolicyEgressRule,
        NetworkPolicyIngressRule,
        NetworkPolicyPeer,
        NetworkPolicyPort,
        NetworkPolicySpec,
    )


@dataclass(frozen=True)
class AppPeer:
    """A workload of this namespace (by its app name)."""

    app: str
    port: int | None = None  # the port on the receiving side

    def render(self) -> NetworkPolicyPeer:
        return {"podSelector": {"matchLabels": selector(self.app)}}


@dataclass(frozen=True)
class NamespacePeer:
    """The pods of a namespace: all of them, or those ``pods`` selects."""

    namespace: str
    port: int | None = None
    pods: Pods = ()

    def render(self) -> NetworkPolicyPeer:
        peer: NetworkPolicyPeer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": self.namespace}}}
        if self.pods:
            peer["podSelector"] = {"matchLabels": dict(self.pods)}
        return peer


@dataclass(frozen=True)
class CidrPeer:
    """An IP block."""

    cidr: str
    port: int | None = None

    def render(self) -> NetworkPolicyPeer:
        return {"ipBlock": {"cidr": self.cidr}}


# The other end of a flow: exactly one of the three.
Peer = AppPeer | NamespacePeer | CidrPeer


def _ports(peer: Peer) -> list[NetworkPolicyPort]:
    return [] if peer.port is None else [{"protocol": "TCP", "port": peer.port}]


def _ingress(peer: Peer) -> NetworkPolicyIngressRule:
    rule: NetworkPolicyIngressRule = {"from": [peer.render()], "ports": _ports(peer)}
    if not rule["ports"]:
        del rule["ports"]
    return rule


def _egress(peer: Peer) -> NetworkPolicyEgressRule:
    rule: NetworkPolicyEgressRule = {"to": [peer.render()], "ports": _ports(peer)}
    if not rule["ports"]:
        del rule["ports"]
    return rule


def workload_policy(name: str, namespace: str, lbls: dict[str, str], *, ingress: tuple[Peer, ...],
                    egress: tuple[Peer, ...]) -> NetworkPolicy:
    """Allow-list for one workload; the namespace default-deny covers everything else."""
    spec: NetworkPolicySpec = {"podSelector": {"matchLabels": selector(name)},
                               "ingress": [_ingress(p) for p in ingress], "egress": [_egress(p) for p in egress],
                               "policyTypes": [t for t, peers in (("Ingress", ingress), ("Egress", egress)) if peers]}
    if not ingress:
        del spec["ingress"]
    if not egress:
        del spec["egress"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(name, namespace, lbls),
            "spec": spec}


def default_deny(namespace: str, lbls: dict[str, str], name: str = "default-deny") -> NetworkPolicy:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": metadata(name, namespace, lbls),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def allow_dns(namespace: str, lbls: dict[str, str], name: str = "allow-dns") -> NetworkPolicy:
    """Every pod may resolve names through the cluster DNS in kube-system."""
    dns: NetworkPolicyPeer = {
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
