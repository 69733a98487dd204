import json

from components.observability import dashboards
from components.observability.alert_rules import AppTarget
from components.observability.grafana import DASHBOARD_DIR, Grafana, GrafanaProps
from components.routing import GatewayRef, Sso

APPS = (AppTarget("plate-web", "plate-test", "Deployment", True), AppTarget("plate-cache", "plate-test", "StatefulSet", False))


def props(store, image, resources):
    return GrafanaProps(image=image("grafana/grafana", "12.2.1"), resources=resources, host="grafana.test.example",
                        gateway=GatewayRef("edge", "envoy-gateway-system"), storage_class="nfs-client",
                        sso=Sso("https://dex.test.example", "platform/dex/clients/grafana", store),
                        storage_size="5Gi", prometheus_url="http://prometheus.monitoring.svc:9090",
                        admin_credentials_path="plate/test/grafana", secret_store=store,
                        admin_groups=["test:admins"], viewer_groups=["test:developers"],
                        dashboards=dashboards.for_apps(APPS))


def test_grafana_matches_golden(golden, find, store, image, resources):
    objs = golden("grafana", lambda app: Grafana(app, props(store, image, resources)))
    deploy = find(objs, "Deployment", "grafana")
    pod = deploy["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "grafana-admin", "key": "password"}
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsUser"] == 472
    ds = find(objs, "ConfigMap", "grafana-provisioning")["data"]["datasources.yaml"]
    assert "uid: prometheus" in ds and "http://prometheus.monitoring.svc:9090" in ds
    boards = find(objs, "ConfigMap", "grafana-dashboards")["data"]
    assert sorted(boards) == ["plate-cache.json", "plate-platform-overview.json", "plate-web-red.json"]
    for name, text in boards.items():
        doc = json.loads(text)
        assert doc["uid"] == name.removesuffix(".json")
        assert all(t["datasource"]["uid"] == "prometheus" for p in doc["panels"] for t in p["targets"])
    assert any(m["mountPath"] == DASHBOARD_DIR for m in pod["containers"][0]["volumeMounts"])
    assert find(objs, "PersistentVolumeClaim", "grafana")["spec"]["storageClassName"] == "nfs-client"
    route = find(objs, "HTTPRoute", "grafana")
    assert route["spec"]["hostnames"] == ["grafana.test.example"]
    assert route["metadata"]["annotations"] == {"plate.io/audience": "operators", "plate.io/auth": "native-oidc"}
    assert not [o for o in objs.values() if o["kind"] == "SecurityPolicy"]  # Grafana logs people in itself
    assert find(objs, "ExternalSecret", "grafana-oidc")["spec"]["data"][0]["remoteRef"] == {
        "key": "platform/dex/clients/grafana", "property": "client-secret"}


def test_dashboards_are_deterministic_with_stable_uids():
    first, second = dashboards.for_apps(APPS), dashboards.for_apps(APPS)
    assert [d.json for d in first] == [d.json for d in second]
    assert [d.uid for d in first] == ["plate-cache", "plate-web-red", "plate-platform-overview"]
    red = json.loads(first[1].json)
    titles = [p["title"] for p in red["panels"]]
    assert titles[:3] == ["Requests per second", "Error ratio (5xx)", "Latency"]
    assert [t["legendFormat"] for t in red["panels"][2]["targets"]] == ["p50", "p90", "p99"]


def test_one_dashboard_per_app_with_the_environment_as_a_variable():
    apps = (*APPS, AppTarget("plate-web", "plate-prod", "Deployment", True))
    boards = {d.uid: json.loads(d.json) for d in dashboards.for_apps(apps)}
    assert sorted(boards) == ["plate-cache", "plate-platform-overview", "plate-web-red"]
    variable = boards["plate-web-red"]["templating"]["list"][0]
    assert (variable["name"], variable["label"], variable["query"]) == ("namespace", "Environment", "plate-prod,plate-test")
    exprs = [t["expr"] for p in boards["plate-web-red"]["panels"] for t in p["targets"]]
    assert all('$namespace' in e for e in exprs) and not any("plate-prod" in e for e in exprs)
