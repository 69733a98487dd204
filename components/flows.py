"""What a component's pods need of the network, declared next to the component (no imports of the
rest of the library: the base ``Component`` carries it)."""
from __future__ import annotations

from dataclasses import dataclass

# A pod selector (matchLabels), as sorted pairs: hashable, and empty for "every pod of the namespace".
Pods = tuple[tuple[str, str], ...]


def pods(labels: dict[str, str]) -> Pods:
    return tuple(sorted(labels.items()))


def _scope(a_on: bool, a: Pods, b_on: bool, b: Pods) -> Pods:
    """The pods a merged need applies to: every pod as soon as one side asks it for every pod."""
    if (a_on and not a) or (b_on and not b):
        return ()
    return tuple(sorted({*a, *b}))


@dataclass(frozen=True)
class NetworkNeeds:
    """The flows a component's pods need beyond its own namespace and DNS, which are declared here;
    the flows from the Gateway's proxies to what a route reaches and from Prometheus to what a monitor
    scrapes are derived from the routes and monitors themselves (``composition.flows``).
    ``components.cluster.network_policies`` turns the union of a namespace's declarations into its
    NetworkPolicies."""

    api_server: bool = False  # egress to the Kubernetes API (controllers, operators)
    api_server_pods: Pods = ()  # ... from these pods only (empty: every pod of the namespace)
    webhooks: tuple[int, ...] = ()  # ingress from the API server on these ports (admission webhooks)
    world: tuple[int, ...] = ()  # ingress from anywhere on these ports (the Gateway's proxies)
    world_pods: Pods = ()  # ... to these pods only
    to: tuple[tuple[str, int], ...] = ()  # egress to (namespace, port) in the cluster
    nodes: tuple[int, ...] = ()  # egress to the nodes on these ports (kubelet, node-exporter)
    nodes_pods: Pods = ()  # ... from these pods only
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
            self.api_server or other.api_server,
            _scope(self.api_server, self.api_server_pods, other.api_server, other.api_server_pods),
            tuple(sorted({*self.webhooks, *other.webhooks})),
            tuple(sorted({*self.world, *other.world})),
            _scope(bool(self.world), self.world_pods, bool(other.world), other.world_pods),
            tuple(sorted({*self.to, *other.to})),
            tuple(sorted({*self.nodes, *other.nodes})),
            _scope(bool(self.nodes), self.nodes_pods, bool(other.nodes), other.nodes_pods),
            tuple(sorted({*self.internet, *other.internet})), self.own_policies or other.own_policies,
            self.gateway or other.gateway, tuple(sorted({*self.host_metrics, *other.host_metrics})))


@dataclass(frozen=True)
class PodFlow:
    """Pods of one namespace reach pods of another on these ports: the Gateway's proxies a route's
    backend, Prometheus what a monitor scrapes. Rendered as an egress rule of the source's and an
    ingress policy of the destination's (unless the destination fences itself)."""

    source: str  # "gateway" or "prometheus": who calls
    name: str  # what is reached (the Service or the monitor), for the policy's name
    src_namespace: str
    src_pods: Pods
    dst_namespace: str
    dst_pods: Pods
    ports: tuple[int, ...]
