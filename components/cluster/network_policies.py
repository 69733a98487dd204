"""Network policy in every namespace of the platform: deny everything, then open exactly the flows its
components declare (``Component.network``) and the flows the render implies (``composition.flows``),
derived here into NetworkPolicies.

Every namespace gets: default deny (ingress and egress), DNS, traffic between its own pods. Then,
from what its components declare: ingress from the API server (admission webhooks, on their ports)
and from anywhere (the Gateway's proxies, on the listeners' ports); egress to the API server, to named
namespaces and ports, to the nodes (kubelet, node-exporter, host-network metrics), and outside the
cluster on the ports declared (ACME, Git, registries, identity providers, alert receivers), where
"outside" excludes the cluster's pods and services, its nodes, its control plane and its storage.
A declaration may name the pods it is for (the Jenkins controller, not its build agents, reaches the
API server). And from what the render implies, pod to pod and port by port: the Gateway's proxies to
each route's backend, Prometheus to each monitor's targets (an egress rule of the caller's, an
ingress policy of the callee's). Namespaces whose component renders its own policies (the Plate
environments: per workload) are left to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import Field

from components.core import Component, labels, metadata
from components.flows import NetworkNeeds, PodFlow, Pods
from components.network import NamespacePeer, allow_dns, default_deny
from components.types import PROPS_CONFIG, Cidr, Strict

if TYPE_CHECKING:
    from components.k8s.api import (
        NetworkPolicyEgressRule,
        NetworkPolicyIngressRule,
        NetworkPolicyPeer,
        NetworkPolicyPort,
        NetworkPolicySpec,
    )

PREFIX = "platform-"


@dataclass(frozen=True)
class NamespaceFlows:
    name: str
    needs: NetworkNeeds  # the union of its components' declarations


def _ns(name: str, pods: Pods = ()) -> NetworkPolicyPeer:
    return NamespacePeer(namespace=name, pods=pods).render()


def _ports(ports: tuple[int, ...]) -> list[NetworkPolicyPort]:
    return [{"protocol": "TCP", "port": p} for p in ports]


class NetworkSettings(Strict):
    """A cluster's addresses the policies need (the CNI's and the control plane's)."""

    api_server_cidrs: Annotated[list[Cidr], Field(min_length=1)]  # the API server's endpoints
    api_server_port: Annotated[int, Field(ge=1, le=65535)] = 6443
    node_cidrs: Annotated[list[Cidr], Field(min_length=1)]  # kubelet, node-exporter (host network)
    cluster_cidrs: Annotated[list[Cidr], Field(min_length=1)]  # pods and services: never "outside"
    # Where the API server's calls to admission webhooks come from, which depends on the CNI:
    # "api-server": its own addresses (api_server_cidrs; routed CNIs without encapsulation, e.g. Calico
    #   BGP without IPIP, Cilium native routing);
    # "nodes": the nodes' addresses and the tunnel interfaces' (node_cidrs and tunnel_cidrs; flannel
    #   VXLAN and Calico IPIP/VXLAN send from the tunnel address, inside the pod CIDR);
    # "any": any source, on the webhook ports only (the default: works with every CNI; the API server
    #   still authenticates the webhook by its CA bundle, and the webhook serves nothing else there).
    webhook_sources: Literal["api-server", "nodes", "any"] = "any"
    tunnel_cidrs: list[Cidr] = []  # with webhook_sources "nodes": the CNI's tunnel addresses


class NetworkPoliciesProps(NetworkSettings):
    model_config = PROPS_CONFIG

    namespaces: tuple[NamespaceFlows, ...]  # required
    gateway_namespace: str  # required: the Gateway's proxies
    gateway_pods: Pods = ()  # ... which pods of it are the proxies
    flows: tuple[PodFlow, ...] = ()  # pod to pod across namespaces (composition.flows)
    own_policies: tuple[str, ...] = ()  # namespaces that fence themselves (no ingress side rendered there)
    storage_cidrs: tuple[Cidr, ...] = ()  # the storage servers' addresses: never "outside"
    application_namespace: str = "default"


class NetworkPolicies(Component):
    layer = "cluster-services"
    rank = 0  # with the namespaces: nothing runs before its namespace is fenced
    files_by_namespace = True  # the same policies in every namespace: one file each
    def __init__(self, scope: Construct, props: NetworkPoliciesProps):
        super().__init__(scope, "network-policies", props.application_namespace, pod_security=None)
        self.props = p = props
        self._info["destinations"] = tuple(sorted(ns.name for ns in p.namespaces))
        self.lbls = labels("network-policies", "network-policy")
        for ns in p.namespaces:
            self.fence(ns)
        self.pod_flows()

    def policy(self, namespace: str, name: str, *, ingress: list[NetworkPolicyIngressRule] | None = None,
               egress: list[NetworkPolicyEgressRule] | None = None, pods: Pods = ()) -> None:
        spec: NetworkPolicySpec = {"podSelector": {"matchLabels": dict(pods)} if pods else {},
                                   "ingress": ingress or [], "egress": egress or [],
                                   "policyTypes": [t for t, rules in (("Ingress", ingress), ("Egress", egress))
                                                   if rules is not None]}
        if ingress is None:
            del spec["ingress"]
        if egress is None:
            del spec["egress"]
        self.add({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                  "metadata": metadata(PREFIX + name, namespace, self.lbls),
                  "spec": spec})

    def fence(self, ns: NamespaceFlows) -> None:
        p, n, needs = self.props, ns.name, ns.needs
        self.add(default_deny(n, self.lbls, PREFIX + "default-deny"))
        self.add(allow_dns(n, self.lbls, PREFIX + "dns"))
        self.policy(n, "same-namespace", ingress=[{"from": [{"podSelector": {}}]}], egress=[{"to": [{"podSelector": {}}]}])
        if needs.webhooks:
            sources = {"api-server": p.api_server_cidrs, "nodes": [*p.node_cidrs, *p.tunnel_cidrs], "any": []}
            rule: NetworkPolicyIngressRule = {"ports": _ports(needs.webhooks)}
            if p.webhook_sources != "any":
                rule["from"] = [{"ipBlock": {"cidr": c}} for c in sources[p.webhook_sources]]
            self.policy(n, "from-api-server", ingress=[rule])
        if needs.world:
            # clients outside the cluster, and pods inside it (which some CNIs never match by ipBlock)
            self.policy(n, "from-anywhere", ingress=[{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}},
                                                               {"namespaceSelector": {}}],
                                                      "ports": _ports(needs.world)}], pods=needs.world_pods)
        if needs.api_server:
            self.policy(n, "to-api-server", egress=[{"to": [{"ipBlock": {"cidr": c}} for c in p.api_server_cidrs],
                                                     "ports": _ports((p.api_server_port, 443))}],
                        pods=needs.api_server_pods)
        if needs.gateway and n != p.gateway_namespace:
            # the Gateway's listeners 80/443, as its proxies' pods serve them (Envoy Gateway's mapping)
            self.policy(n, "to-gateway", egress=[{"to": [_ns(p.gateway_namespace, p.gateway_pods)],
                                                  "ports": _ports((10080, 10443))}])
        if needs.to:
            self.policy(n, "to-namespaces", egress=[{"to": [_ns(target)], "ports": _ports((port,))}
                                                    for target, port in needs.to])
        if needs.nodes:
            self.policy(n, "to-nodes", egress=[{"to": [{"ipBlock": {"cidr": c}} for c in p.node_cidrs],
                                                "ports": _ports(needs.nodes)}], pods=needs.nodes_pods)
        if needs.internet:
            inside = [*p.cluster_cidrs, *p.node_cidrs, *p.api_server_cidrs, *p.storage_cidrs]
            self.policy(n, "to-outside", egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                                      "except": sorted(set(inside))}}],
                                                  "ports": _ports(needs.internet)}])

    def pod_flows(self) -> None:
        """Each derived flow: an egress rule of the source's (one policy per source), an ingress policy of
        the destination's."""
        p = self.props
        fenced = {ns.name for ns in p.namespaces}
        by_source: dict[tuple[str, str, Pods], list[PodFlow]] = {}
        for f in p.flows:
            by_source.setdefault((f.source, f.src_namespace, f.src_pods), []).append(f)
            if f.dst_namespace in fenced and f.dst_namespace not in p.own_policies:
                self.policy(f.dst_namespace, f"from-{f.source}-{f.name}", pods=f.dst_pods, ingress=[
                    {"from": [_ns(f.src_namespace, f.src_pods)], "ports": _ports(f.ports)}])
        for (source, namespace, pods), flows in sorted(by_source.items()):
            if namespace in fenced:
                self.policy(namespace, f"{source}-to-targets", pods=pods, egress=[
                    {"to": [_ns(f.dst_namespace, f.dst_pods)], "ports": _ports(f.ports)} for f in flows])
