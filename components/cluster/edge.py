"""The edge: one GatewayClass and one Gateway per cluster on the MetalLB address, derived from the
hosts the components serve (``Component.serve``).

- port 80 answers every host with a redirect to HTTPS (and, more specific, the ACME HTTP-01
  challenges cert-manager attaches there);
- one HTTPS listener per host, its certificate from cert-manager (a Certificate here, in the
  Gateway's namespace), admitting routes from the one namespace that serves the host: a route in
  another namespace cannot take a host over;
- a ClientTrafficPolicy: HSTS on every response, the request timeout, the client connection buffer;
- the Envoy proxies: replicas, resources, hardened pods, spread over nodes, their metrics scraped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from constructs import Construct
from pydantic import Field

from components.cluster.envoy_gateway import CONTROLLER_NAME, PROXY_LABELS, PROXY_PORTS, EdgeSettings
from components.core import Component, MetricsEndpoint, labels, metadata
from components.routing import GATEWAY_GROUP, GatewayRef, Served, listener_name
from components.types import PROPS_CONFIG, Duration
from components.workload import HARDENED, container_security, pod_security_context, resources

if TYPE_CHECKING:
    from components.k8s.api import TopologySpreadConstraint
    from components.k8s.crds import (
        ClientTrafficPolicy,
        ClientTrafficPolicySpec,
        EnvoyProxy,
        EnvoyProxySpecProviderKubernetesEnvoyService,
        GatewaySpecListeners,
    )

CLASS_NAME = "plate"
PROXY_METRICS_PORT = 19001
# What Envoy Gateway labels the proxy pods of a Gateway with (its contract; the checks know it too).


def proxy_labels(gateway: GatewayRef) -> dict[str, str]:
    return {**dict(PROXY_LABELS), "gateway.envoyproxy.io/owning-gateway-name": gateway.name,
            "gateway.envoyproxy.io/owning-gateway-namespace": gateway.namespace}


class EdgeProps(EdgeSettings):
    model_config = PROPS_CONFIG

    served: tuple[Served, ...]  # required: every host of the cluster and its environments
    tls: bool  # required
    cluster_issuer: str  # required: certificates of the listeners
    request_timeout: Duration = "60s"
    hsts_max_age_seconds: Annotated[int, Field(ge=0)] = 31_536_000
    client_buffer: str = "32Mi"  # per client connection


def tls_secret(host: str) -> str:
    return f"{host.replace('.', '-')}-tls"


class Edge(Component):
    layer = "cluster-services"
    rank = 4  # after Envoy Gateway (the CRDs) and the ClusterIssuers

    def __init__(self, scope: Construct, props: EdgeProps):
        super().__init__(scope, "edge", props.namespace, pod_security=None)
        self.props = p = props
        owners: dict[str, set[str]] = {}
        issuers: dict[str, str] = {}
        for s in p.served:
            owners.setdefault(s.host, set()).add(s.namespace)
            issuers[s.host] = s.cluster_issuer or issuers.get(s.host) or p.cluster_issuer
        clash = sorted(h for h, namespaces in owners.items() if len(namespaces) > 1)
        if clash:
            raise ValueError(f"host {clash[0]} is served from namespaces {', '.join(sorted(owners[clash[0]]))}")
        hosts = sorted(owners)
        lbls = labels("edge", "gateway")
        gateway = GatewayRef(p.gateway, p.namespace)
        self.add(self.envoy_proxy(lbls, gateway))
        self.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
                  "metadata": metadata(CLASS_NAME, None, lbls), "spec": {
            "controllerName": CONTROLLER_NAME,
            "parametersRef": {"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": "edge",
                              "namespace": p.namespace}}})
        listeners: list[GatewaySpecListeners] = [
            {"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "Same"}}}]
        for host in hosts:
            (namespace,) = owners[host]
            listener: GatewaySpecListeners = {"name": listener_name(host), "hostname": host,
                              "protocol": "HTTPS" if p.tls else "HTTP", "port": 443 if p.tls else 80,
                              "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {
                                  "kubernetes.io/metadata.name": namespace}}}}}
            if p.tls:
                listener["tls"] = {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": tls_secret(host)}]}
                self.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                          "metadata": metadata(tls_secret(host), p.namespace, lbls),
                          "spec": {"secretName": tls_secret(host), "dnsNames": [host],
                                   "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer",
                                                 "name": issuers[host]}}})
            listeners.append(listener)
        self.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                  "metadata": metadata(p.gateway, p.namespace, lbls), "spec": {
            "gatewayClassName": CLASS_NAME, "listeners": listeners}})
        if p.tls:
            # Plain HTTP only redirects (cert-manager's HTTP-01 solver routes are more specific and win).
            self.add({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                      "metadata": metadata("https-redirect", p.namespace, lbls),
                      "spec": {"parentRefs": [{"group": GATEWAY_GROUP, "kind": "Gateway", "name": p.gateway,
                                               "namespace": p.namespace, "sectionName": "http"}],
                               "rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {
                                   "scheme": "https", "statusCode": 301}}]}]}})
        self.add(self.client_policy(lbls))
        self.runtime_pod(f"envoy-{p.gateway}", p.namespace, proxy_labels(gateway), PROXY_PORTS)
        self.scrape(MetricsEndpoint(port="metrics", path="/stats/prometheus", monitor="pod", metrics=(
            "envoy_cluster_upstream_rq_xx", "envoy_cluster_upstream_rq_total",
            "envoy_cluster_upstream_rq_time_bucket")), lbls=lbls, selector_labels=proxy_labels(gateway))

    def envoy_proxy(self, lbls: dict[str, str], gateway: GatewayRef) -> EnvoyProxy:
        p = self.props
        service: EnvoyProxySpecProviderKubernetesEnvoyService = {"type": "LoadBalancer",
                                                                 "externalTrafficPolicy": "Local"}
        if p.load_balancer_ip:
            service["annotations"] = {"metallb.io/loadBalancerIPs": p.load_balancer_ip}
        spread: list[TopologySpreadConstraint] = [
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": proxy_labels(gateway)}}]
        return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
                "metadata": metadata("edge", p.namespace, lbls), "spec": {
            "provider": {"type": "Kubernetes", "kubernetes": {
                "envoyDeployment": {
                    "replicas": p.proxy_replicas,
                    "pod": {"securityContext": pod_security_context(), "topologySpreadConstraints": spread},
                    "container": {"resources": resources(p.proxy_resources, HARDENED),
                                  "securityContext": container_security(HARDENED)},
                },
                "envoyService": service,
                "envoyPDB": {"minAvailable": 1} if p.proxy_replicas > 1 else {},
            }},
            "telemetry": {"metrics": {"prometheus": {}}},
        }}

    def client_policy(self, lbls: dict[str, str]) -> ClientTrafficPolicy:
        p = self.props
        spec: ClientTrafficPolicySpec = {
            "targetRefs": [{"group": GATEWAY_GROUP, "kind": "Gateway", "name": p.gateway}],
            "timeout": {"http": {"requestReceivedTimeout": p.request_timeout}},
            "connection": {"bufferLimit": p.client_buffer},
        }
        if p.tls and p.hsts_max_age_seconds:
            spec["headers"] = {"lateResponseHeaders": {"set": [{
                "name": "Strict-Transport-Security", "value": f"max-age={p.hsts_max_age_seconds}; includeSubDomains"}]}}
        return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "ClientTrafficPolicy",
                "metadata": metadata("edge", p.namespace, lbls),
                "spec": spec}
