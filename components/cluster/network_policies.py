"""Network policy in every namespace of the platform: deny everything, then open exactly the flows its
components declare (``Component.network``), derived here into NetworkPolicies.

Every namespace gets: default deny (ingress and egress), DNS, traffic between its own pods. Then,
from what its components declare or do: ingress from the Gateway's proxies (a component that serves
a host), from Prometheus (one that is scraped), from the API server (admission webhooks), from
anywhere (the Gateway's proxies themselves); egress to the API server, to named namespaces and
ports, to every namespace (Prometheus), to the nodes (kubelet, node-exporter), and outside the
cluster on the ports declared (ACME, Git, registries, identity providers, alert receivers).
Namespaces whose component renders its own policies (the Plate environments: per workload) are
left to it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import Field

from components.core import Component, labels, metadata
from components.flows import NetworkNeeds
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
    served: bool  # a component serves a host through the Gateway
    scraped: bool  # Prometheus scrapes a component


def _ns(name: str) -> NetworkPolicyPeer:
    return NamespacePeer(namespace=name).render()


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
    monitoring_namespace: str  # required: Prometheus
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

    def policy(self, namespace: str, name: str, *, ingress: list[NetworkPolicyIngressRule] | None = None,
               egress: list[NetworkPolicyEgressRule] | None = None) -> None:
        spec: NetworkPolicySpec = {"podSelector": {}, "ingress": ingress or [], "egress": egress or [],
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
        if ns.served and n != p.gateway_namespace:
            self.policy(n, "from-gateway", ingress=[{"from": [_ns(p.gateway_namespace)]}])
        if ns.scraped and n != p.monitoring_namespace:
            self.policy(n, "from-monitoring", ingress=[{"from": [_ns(p.monitoring_namespace)]}])
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
                                                      "ports": _ports(needs.world)}])
        if needs.api_server:
            self.policy(n, "to-api-server", egress=[{"to": [{"ipBlock": {"cidr": c}} for c in p.api_server_cidrs],
                                                     "ports": _ports((p.api_server_port, 443))}])
        if needs.gateway and n != p.gateway_namespace:
            # the Gateway's listeners 80/443, as its proxies' pods serve them (Envoy Gateway's mapping)
            self.policy(n, "to-gateway", egress=[{"to": [_ns(p.gateway_namespace)], "ports": _ports((10080, 10443))}])
        if needs.to:
            self.policy(n, "to-namespaces", egress=[{"to": [_ns(target)], "ports": _ports((port,))}
                                                    for target, port in needs.to])
        if needs.all_namespaces:
            self.policy(n, "to-every-namespace", egress=[{"to": [{"namespaceSelector": {}}]}])
        if needs.nodes:
            self.policy(n, "to-nodes", egress=[{"to": [{"ipBlock": {"cidr": c}} for c in p.node_cidrs],
                                                "ports": _ports(needs.nodes)}])
        if needs.internet:
            self.policy(n, "to-outside", egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                                      "except": list(p.cluster_cidrs)}}],
                                                  "ports": _ports(needs.internet)}])
