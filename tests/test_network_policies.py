"""Network policy in every namespace: default deny, then exactly the flows the components declare."""
from __future__ import annotations

import pytest

import envs
from platectl import checks
from tests.helpers import on_cluster

CLUSTERS = envs.cluster_names()


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_namespace_denies_by_default(objects, platform, cluster):
    objs = on_cluster(objects, platform, cluster)
    namespaces = sorted(o.name for o in objs if o.kind == "Namespace")
    assert len(namespaces) >= 14 and {"plate-stg", "plate-prod", "jenkins", "harbor", "openbao"} <= set(namespaces)
    assert checks.check_network(objs) == []


def test_a_namespace_without_default_deny_is_found(objects, platform):
    objs = [o for o in on_cluster(objects, platform, "shared")
            if not (o.kind == "NetworkPolicy" and o.namespace == "jenkins" and o.name == "platform-default-deny")]
    assert [f.message for f in checks.check_network(objs)] == ["namespace jenkins has no default-deny NetworkPolicy"]


def _policies(objects, namespace):
    return {o.name: o.data["spec"] for o in objects if o.kind == "NetworkPolicy" and o.namespace == namespace}


def test_declared_flows_become_policies(objects):
    edge = _policies(objects, "envoy-gateway-system")
    assert edge["platform-from-anywhere"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 10080},
                                                                      {"protocol": "TCP", "port": 10443}]
    proxies = {"app.kubernetes.io/component": "proxy", "app.kubernetes.io/name": "envoy"}
    assert edge["platform-from-anywhere"]["podSelector"] == {"matchLabels": proxies}  # the proxies only
    jenkins = _policies(objects, "jenkins")
    # the proxies reach the controller's UI port only; only the controller reaches the API server
    assert jenkins["platform-from-gateway-jenkins"]["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "envoy-gateway-system"}}, "podSelector": {"matchLabels": proxies}}],
        "ports": [{"protocol": "TCP", "port": 8080}]}]
    assert jenkins["platform-to-api-server"]["podSelector"] == {"matchLabels": {
        "app.kubernetes.io/component": "jenkins-controller", "app.kubernetes.io/instance": "jenkins"}}
    outside = jenkins["platform-to-outside"]["egress"][0]
    assert [p["port"] for p in outside["ports"]] == [22, 80, 443]
    # outside: not the pods and services, not the nodes (the NFS server among them), not the control plane
    assert outside["to"][0]["ipBlock"]["except"] == ["10.20.0.0/26", "10.20.0.10/32", "10.20.0.2/32", "10.20.0.3/32",
                                                     "10.20.0.4/32", "10.42.0.0/16", "10.43.0.0/16"]
    # the build agents reach nothing else of the cluster (not Harbor's database, not Argo CD, not OpenBao)
    # but the Gateway: Harbor's registry and Dex through their public hosts, which kube-proxy turns into
    # the Gateway's proxies
    assert "platform-to-namespaces" not in jenkins and "platform-to-every-namespace" not in jenkins
    assert jenkins["platform-to-gateway"]["egress"] == [{"to": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "envoy-gateway-system"}}, "podSelector": {"matchLabels": proxies}}],
        "ports": [{"protocol": "TCP", "port": 10080},
                                                                        {"protocol": "TCP", "port": 10443}]}]
    eso = _policies(objects, "external-secrets")
    assert eso["platform-to-namespaces"]["egress"] == [{"to": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "openbao"}}}], "ports": [{"protocol": "TCP", "port": 8200}]}]
    assert eso["platform-from-api-server"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 10250}]
    # OpenBao is reached by External Secrets and Prometheus only, never through the Gateway
    assert not [n for n in _policies(objects, "openbao") if n.startswith("platform-from-gateway")]
    # Plate's namespaces keep their own per-workload policies
    assert not [n for n in _policies(objects, "plate-prod") if n.startswith("platform-")]
    assert "default-deny" in _policies(objects, "plate-prod")


def test_prometheus_reaches_every_host_network_pod_it_scrapes(objects, platform):
    """Host-network pods (MetalLB's speakers) answer on the nodes' addresses: Prometheus' namespace
    must be allowed to the nodes on the port its monitors scrape there."""
    from platectl import podsecurity
    from tests.helpers import on_cluster

    objs = on_cluster(objects, platform, "shared")
    monitored = {(o.namespace, ep.get("port")) for o in objs if o.kind == "ServiceMonitor"
                 for ep in o.data["spec"]["endpoints"]}
    targets = {(o.namespace, p.get("targetPort", p["port"])) for o in objs if o.kind == "Service"
               for p in o.data["spec"].get("ports", []) if (o.namespace, p.get("name")) in monitored}
    ports = set()
    for o in objs:
        if o.kind in ("DaemonSet", "Deployment", "StatefulSet"):
            spec = podsecurity.pod_template(o.data)["spec"]
            if spec.get("hostNetwork"):
                ports |= {p["containerPort"] for c in spec["containers"] for p in c.get("ports", [])
                          if (o.namespace, p["containerPort"]) in targets or (o.namespace, p.get("name")) in targets}
    assert ports, "no scraped host-network pod found: nothing checked"
    egress = [rule for o in objs if o.kind == "NetworkPolicy" and o.namespace == "monitoring"
              for rule in o.data["spec"].get("egress", [])]
    to_nodes = {p["port"] for rule in egress if all("ipBlock" in peer for peer in rule["to"])
                and not any("except" in peer["ipBlock"] for peer in rule["to"]) for p in rule.get("ports", [])}
    assert ports <= to_nodes, f"Prometheus cannot reach host-network metrics ports {sorted(ports - to_nodes)}"


@pytest.mark.parametrize("sources, tunnel, expected", [
    ("any", [], None),
    ("api-server", [], ["10.0.0.1/32"]),
    ("nodes", ["10.42.0.0/16"], ["10.0.0.0/24", "10.42.0.0/16"]),
])
def test_webhooks_admit_the_api_server_from_where_the_cni_sends_it(tmp_path, sources, tunnel, expected):
    """The source of the API server's webhook calls is a typed cluster setting; "any" (the default)
    opens the webhook ports only, to any source."""
    from cdk8s import App

    from components.cluster.network_policies import NamespaceFlows, NetworkPolicies, NetworkPoliciesProps
    from components.flows import NetworkNeeds

    app = App(outdir=str(tmp_path))
    chart = NetworkPolicies(app, NetworkPoliciesProps(
        api_server_cidrs=["10.0.0.1/32"], node_cidrs=["10.0.0.0/24"], cluster_cidrs=["10.42.0.0/16"],
        webhook_sources=sources, tunnel_cidrs=tunnel, gateway_namespace="gw",
        namespaces=(NamespaceFlows("tools", NetworkNeeds(webhooks=(9443,))),)))
    [policy] = [m for m in chart.manifests if m["metadata"]["name"].endswith("from-api-server")]
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 9443}]
    assert ([p["ipBlock"]["cidr"] for p in rule["from"]] if "from" in rule else None) == expected


def test_the_shipped_cluster_admits_webhook_calls_from_any_source_on_the_webhook_ports_only(objects):
    policies = [o for o in objects if o.kind == "NetworkPolicy" and o.name.endswith("from-api-server")]
    assert {o.namespace for o in policies} >= {"cert-manager", "external-secrets", "metallb-system"}
    for o in policies:
        [rule] = o.data["spec"]["ingress"]
        assert "from" not in rule and rule["ports"]  # the webhook ports, from any source
