"""What a component's pods need of the network, declared next to the component (no imports of the
rest of the library: the base ``Component`` carries it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkNeeds:
    """The flows a component's pods need beyond its own namespace, DNS, the Gateway (when it serves a
    host) and Prometheus (when it is scraped), which are derived. ``components.cluster.network_policies``
    turns the union of a namespace's declarations into its NetworkPolicies."""

    api_server: bool = False  # egress to the Kubernetes API (controllers, operators)
    webhooks: tuple[int, ...] = ()  # ingress from the API server on these ports (admission webhooks)
    world: tuple[int, ...] = ()  # ingress from anywhere on these ports (the Gateway's proxies)
    to: tuple[tuple[str, int], ...] = ()  # egress to (namespace, port) in the cluster
    all_namespaces: bool = False  # egress to every namespace, any port (Prometheus scraping)
    nodes: tuple[int, ...] = ()  # egress to the nodes on these ports (kubelet, node-exporter)
    internet: tuple[int, ...] = ()  # egress outside the cluster on these ports (ACME, Git, registries, IdPs)
    own_policies: bool = False  # the component fences its namespace itself (per workload)
    # It calls the platform's own public hosts (Dex's issuer, Harbor's registry, an ACME self-check):
    # kube-proxy turns the Gateway's address into its proxies' pods, which the policy must then allow.
    gateway: bool = False
    # Ports of its host-network pods that Prometheus scrapes: those pods answer on the nodes' addresses,
    # which no namespace rule reaches, so the monitoring namespace's egress to the nodes gets them.
    host_metrics: tuple[int, ...] = ()

    def __or__(self, other: NetworkNeeds) -> NetworkNeeds:
        return NetworkNeeds(
            self.api_server or other.api_server, tuple(sorted({*self.webhooks, *other.webhooks})),
            tuple(sorted({*self.world, *other.world})), tuple(sorted({*self.to, *other.to})),
            self.all_namespaces or other.all_namespaces, tuple(sorted({*self.nodes, *other.nodes})),
            tuple(sorted({*self.internet, *other.internet})), self.own_policies or other.own_policies,
            self.gateway or other.gateway, tuple(sorted({*self.host_metrics, *other.host_metrics})))
