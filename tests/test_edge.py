"""The edge: Gateway API with Envoy Gateway instead of the retired ingress-nginx; every host has its
listener and certificate; every route declares its audience, and the render enforces it; single
sign-on through Dex."""
from __future__ import annotations

import copy

import pytest
import yaml

import envs
from platectl import checks
from tests.helpers import ENVIRONMENTS, Obj, find, on_cluster

CLUSTERS = envs.cluster_names()


def test_no_ingress_and_no_ingress_nginx_anywhere(objects):
    assert not [o.file for o in objects if o.kind in ("Ingress", "IngressClass")]
    for o in objects:
        md = o.data["metadata"]
        assert "ingress-nginx" not in o.name and o.namespace != "ingress-nginx", o.file
        assert not [k for k in md.get("annotations") or {} if k.startswith("nginx.ingress.kubernetes.io")], o.file
        assert "ingress-nginx" not in (md.get("labels") or {}).values(), o.file
    assert not [o for o in objects if o.kind == "Application" and "ingress-nginx" in o.name]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_host_has_a_listener_a_route_and_a_certificate(per_cluster_objects, infos, cluster):
    objs = per_cluster_objects(cluster)
    served = {s.host: s for info in infos[cluster].values() for s in info.served}
    assert {"argocd", "grafana", "harbor", "jenkins", "dashboard", "dex"} <= {h.split(".")[0] for h in served}
    gateway = next(o for o in objs if o.kind == "Gateway")
    listeners = {x["name"]: x for x in gateway.data["spec"]["listeners"]}
    certificates = {o.data["spec"]["secretName"]: o for o in objs if o.kind == "Certificate"
                    and o.namespace == gateway.namespace}
    routed = {h for o in objs if o.kind == "HTTPRoute" for h in o.data["spec"].get("hostnames", [])}
    for host, s in served.items():
        listener = listeners[host]
        assert listener["protocol"] == "HTTPS" and listener["port"] == 443, host
        assert listener["allowedRoutes"]["namespaces"]["selector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": s.namespace}, host
        secret = listener["tls"]["certificateRefs"][0]["name"]
        assert certificates[secret].data["spec"]["dnsNames"] == [host]
        assert host in routed, f"{host}: no HTTPRoute"
    # plain HTTP redirects to HTTPS; ACME HTTP-01 answers through the same listener
    redirect = find(objs, "HTTPRoute", "https-redirect")
    assert redirect.data["spec"]["rules"][0]["filters"][0]["requestRedirect"] == {"scheme": "https", "statusCode": 301}
    issuer = find(objs, "ClusterIssuer", "letsencrypt-prod").data["spec"]["acme"]["solvers"][-1]
    assert issuer["http01"]["gatewayHTTPRoute"]["parentRefs"][0]["sectionName"] == "http"
    policy = next(o for o in objs if o.kind == "ClientTrafficPolicy").data["spec"]
    assert policy["headers"]["lateResponseHeaders"]["set"][0]["name"] == "Strict-Transport-Security"


@pytest.fixture
def per_cluster_objects(objects, platform):
    return lambda cluster: on_cluster(objects, platform, cluster)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_the_audience_and_edge_checks_pass(per_cluster_objects, cluster):
    findings = [f"{f.file}: {f.message}" for f in checks.check_edge(per_cluster_objects(cluster))]
    assert not findings, "\n".join(findings)


def test_internal_services_have_no_route(objects):
    for o in objects:
        if o.kind == "HTTPRoute":
            for rule in o.data["spec"]["rules"]:
                for backend in rule.get("backendRefs", []):
                    assert not any(x in backend["name"] for x in ("prometheus", "alertmanager", "openbao")), o.file
    assert not [o.file for o in objects if o.kind == "HTTPRoute" and o.namespace in ("openbao", "monitoring")
                and "grafana" not in o.name]


def _mutated(objects, platform, change):
    objs = [Obj(o.env, o.component, o.file, copy.deepcopy(o.data)) for o in on_cluster(objects, platform, "shared")]
    change(objs)
    return [f.message for f in checks.check_edge(objs)]


def test_an_internal_service_behind_a_route_is_refused(objects, platform):
    def route_prometheus(objs):
        route = next(o for o in objs if o.kind == "HTTPRoute" and o.name == "grafana")
        route.data["spec"]["rules"][0]["backendRefs"] = [{"name": "kube-prometheus-stack-prometheus", "port": 9090}]
    assert "Service kube-prometheus-stack-prometheus is internal (Prometheus, Alertmanager, OpenBao): no route " \
           "may reach it" in _mutated(objects, platform, route_prometheus)


def test_an_operators_route_without_single_sign_on_is_refused(objects, platform):
    def drop_policy(objs):
        objs[:] = [o for o in objs if not (o.kind == "SecurityPolicy" and o.name == "plate-admin" and o.env == "staging")]
    assert "an operators' route without the SecurityPolicy (OIDC) that should guard it" in _mutated(
        objects, platform, drop_policy)

    def no_auth(objs):
        route = next(o for o in objs if o.kind == "HTTPRoute" and o.name == "plate-admin" and o.env == "staging")
        route.data["metadata"]["annotations"]["plate.io/auth"] = "none"
    assert "an operators' route without single sign-on (plate.io/auth: none)" in _mutated(objects, platform, no_auth)


def test_a_route_cannot_take_another_namespaces_host(objects, platform):
    def hijack(objs):
        route = next(o for o in objs if o.kind == "HTTPRoute" and o.name == "jenkins")
        route.data["spec"]["parentRefs"][0]["sectionName"] = "argocd.cocdev.co.kr"
        route.data["spec"]["hostnames"] = ["argocd.cocdev.co.kr"]
    assert "listener argocd.cocdev.co.kr does not admit routes from jenkins" in _mutated(objects, platform, hijack)


def test_plate_routes_block_metrics_and_limit_bodies(objects):
    web = find(objects, "HTTPRoute", "plate-web", "production")
    blocked = [r for r in web.data["spec"]["rules"] if r.get("filters")]
    assert blocked[0]["matches"][0]["path"]["value"] == "/metrics"
    assert blocked[0]["filters"][0]["extensionRef"]["name"] == "not-found"
    find(objects, "HTTPRouteFilter", "not-found", "production")
    limit = find(objects, "BackendTrafficPolicy", "plate-web", "production").data["spec"]
    assert limit["requestBuffer"]["limit"] == "8Mi" and limit["timeout"]["http"]["requestTimeout"] == "60s"
    admin = find(objects, "SecurityPolicy", "plate-admin", "production").data["spec"]
    assert admin["oidc"]["redirectURL"] == "https://cocdev.co.kr/admin/oauth2/callback"
    assert admin["oidc"]["provider"]["issuer"] == "https://dex.cocdev.co.kr"


def test_dex_has_one_client_per_consumer_with_secrets_only_from_openbao(objects):
    es = find(objects, "ExternalSecret", "dex-config")
    config = yaml.safe_load(es.data["spec"]["target"]["template"]["data"]["config.yaml"])
    clients = {c["id"]: c for c in config["staticClients"]}
    # the tools, and each environment serving a signed-in path (its admin; staging's LLM)
    assert sorted(clients) == sorted(["argocd", "grafana", "harbor", "headlamp", "jenkins",
                                      *(f"plate-{n}" for n in ENVIRONMENTS)])
    assert clients["argocd"]["redirectURIs"] == ["https://argocd.cocdev.co.kr/auth/callback"]
    assert clients["plate-staging"]["redirectURIs"] == ["https://llm.cocdev.co.kr/oauth2/callback",
                                                        "https://stg.cocdev.co.kr/admin/oauth2/callback"]
    assert all("secret" not in c and c["secretEnv"] for c in clients.values())
    assert config["connectors"][0]["type"] == "github"
    assert config["connectors"][0]["config"]["clientSecret"].startswith("$")
    fetched = {d["secretKey"]: d["remoteRef"]["key"] for d in es.data["spec"]["data"]}
    # each consumer reads its client secret from the same KV entry Dex does
    argocd = find(objects, "ExternalSecret", "argocd-sso").data["spec"]["data"][0]["remoteRef"]["key"]
    assert argocd == fetched["CLIENT_ARGOCD_SECRET"] == "platform/dex/clients/argocd"
    staging = find(objects, "ExternalSecret", "plate-admin-sso", "staging").data["spec"]["data"][0]["remoteRef"]["key"]
    assert staging == fetched["CLIENT_PLATE_STAGING_SECRET"]


def test_headlamp_logs_in_through_dex_and_holds_no_role_of_its_own(objects):
    headlamp = [o for o in objects if o.component == "headlamp"]
    bindings = [o for o in headlamp if o.kind in ("ClusterRoleBinding", "RoleBinding")]
    assert [b.data["roleRef"]["name"] for b in bindings] == ["view"]
    assert all(s["kind"] == "Group" for b in bindings for s in b.data["subjects"])
    oidc = find(objects, "ExternalSecret", "headlamp-oidc").data["spec"]
    assert oidc["target"]["template"]["data"]["OIDC_ISSUER_URL"] == "https://dex.cocdev.co.kr"
    deployment = next(o for o in headlamp if o.kind == "Deployment")
    assert deployment.data["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [
        {"secretRef": {"name": "headlamp-oidc"}}]
    assert not [o for o in objects if o.component == "kubernetes-dashboard"]


def test_openbao_metrics_need_the_token_prometheus_holds(objects):
    config = find(objects, "ConfigMap", "openbao-config").data["data"]["config.hcl"]
    assert "unauthenticated_metrics_access = false" in config
    monitor = find(objects, "PodMonitor", "openbao").data["spec"]["podMetricsEndpoints"][0]
    assert monitor["authorization"] == {"type": "Bearer", "credentials": {"name": "openbao-metrics-token", "key": "token"}}
    token = find(objects, "ExternalSecret", "openbao-metrics-token")
    assert token.namespace == "openbao" and token.component == "openbao-metrics-token"  # after the secret stores
