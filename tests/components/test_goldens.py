"""The components whose behaviour is tested against the whole platform elsewhere (the edge, the network
fence, Dex, monitoring) have their own golden too, from fixed test props: a change to one of them
shows in its own folder of tests/golden/, read in review."""
from __future__ import annotations

import pytest

from components.cluster.edge import Edge, EdgeProps
from components.cluster.network_policies import NamespaceFlows, NetworkPolicies, NetworkPoliciesProps
from components.cluster.prometheus_crds import PrometheusOperatorCrds
from components.flows import NetworkNeeds, PodFlow
from components.observability.alert_routing import AlertRouting, AlertRoutingProps
from components.observability.kube_prometheus_stack import KubePrometheusStack, KubePrometheusStackProps
from components.routing import GatewayRef, Served
from components.secrets import RemoteValue
from components.tools.credentials import Credentials, CredentialsProps
from components.tools.dex import Client, Dex, DexProps

GATEWAY = GatewayRef("edge", "envoy-gateway-system")


def builders(store, resources):
    return {
        "dex": lambda app: Dex(app, DexProps.model_validate({
            "host": "dex.test.example", "gateway": GATEWAY, "secret_store": store, "resources": resources,
            "clients_path": "platform/dex/clients",
            "connectors": [{"type": "github", "client_id": "abc", "org": "plate-test", "teams": ["platform"],
                            "credentials_path": "platform/dex/github"},
                           {"type": "ldap", "host": "ldap.test.example:636", "bind_dn": "cn=dex,dc=test",
                            "user_base_dn": "ou=people,dc=test", "group_base_dn": "ou=groups,dc=test",
                            "credentials_path": "platform/dex/ldap"}],
            "clients": [Client("grafana", "Grafana", ("https://grafana.test.example/oauth2/callback",))]})),
        "edge": lambda app: Edge(app, EdgeProps.model_validate({
            "controller_resources": resources, "hook_resources": resources, "proxy_replicas": 2,
            "proxy_resources": resources, "load_balancer_ip": "10.0.0.100", "tls": True,
            "cluster_issuer": "letsencrypt-test",
            "served": (Served("app.test.example", "plate-test", "public", "none"),
                       Served("grafana.test.example", "monitoring", "operators", "gateway-oidc",
                              ("/oauth2/callback",), "grafana"))})),
        "network-policies": lambda app: NetworkPolicies(app, NetworkPoliciesProps(
            api_server_cidrs=["10.0.0.1/32"], node_cidrs=["10.0.0.0/24"], cluster_cidrs=["10.42.0.0/16"],
            gateway_namespace="envoy-gateway-system", gateway_pods=(("app", "proxy"),),
            namespaces=(
                NamespaceFlows("tools", NetworkNeeds(api_server=True, api_server_pods=(("app", "controller"),),
                                                     internet=(443,), webhooks=(9443,), gateway=True)),
                NamespaceFlows("monitoring", NetworkNeeds(nodes=(9100,), nodes_pods=(("app", "prometheus"),))),
            ),
            flows=(
                PodFlow("prometheus", "tool", "monitoring", (("app", "prometheus"),), "tools", (("app", "tool"),),
                        (8080,)),
                PodFlow("gateway", "tool", "envoy-gateway-system", (("app", "proxy"),), "tools", (("app", "tool"),),
                        (8080, 8443)),
            ),
        )),
        "kube-prometheus-stack": lambda app: KubePrometheusStack(app, KubePrometheusStackProps(
            storage_class="nfs-client", storage_size="50Gi", retention="15d", prometheus_resources=resources,
            alertmanager_resources=resources, operator_resources=resources, kube_state_metrics_resources=resources,
            node_exporter_resources=resources, hook_resources=resources, alertmanager_config_secret="alertmanager",
            alertmanager_secrets=("alertmanager-receivers",))),
        "alert-routing": lambda app: AlertRouting(app, AlertRoutingProps.model_validate({
            "secret_store": store, "default_receiver": "platform",
            "receivers": {"platform": {"type": "slack", "channel": "#platform", "credentials_path": "platform/slack"},
                          "oncall": {"type": "pagerduty", "credentials_path": "platform/pagerduty"}},
            "routes": [{"environment": "production", "severity": "critical", "receiver": "oncall"}]})),
        "prometheus-operator-crds": lambda app: PrometheusOperatorCrds(app),
        "credentials": lambda app: Credentials(app, CredentialsProps(
            name="credentials", namespace="cert-manager", secret_name="api-token", secret_store=store,
            values=(RemoteValue("api-token", "platform/cloudflare", "api-token"),))),
    }


@pytest.mark.parametrize("name", ["alert-routing", "credentials", "dex", "edge", "kube-prometheus-stack",
                                  "network-policies", "prometheus-operator-crds"])
def test_component_matches_its_golden(golden, store, resources, name):
    golden(name, builders(store, resources)[name])
