"""Observability invariants over the whole render: every metrics port is scraped, every query and
alert uses only scraped metrics, every rule group passes promtool."""
from __future__ import annotations

import json
import subprocess

import pytest
import yaml

import envs
from components.cluster.edge import proxy_labels
from components.routing import GatewayRef
from platectl.checks import ours
from platectl.promql import metric_names
from tests.helpers import on_cluster

CLUSTERS = envs.cluster_names()
ALWAYS = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}  # Prometheus adds these to every target
# Services the render does not hold but the cluster has: the API server's (every cluster), and the
# kubelet's, which the Prometheus Operator maintains (kube-prometheus-stack's kubeletService).
CLUSTER_SERVICES = [
    ("default", {"component": "apiserver", "provider": "kubernetes"}, {"https"}),
    ("kube-system", {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"}, {"https-metrics", "http-metrics",
                                                                                   "cadvisor"}),
]


def selects(selector: dict, labels: dict) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    if not (selector.get("matchLabels") or {}).items() <= labels.items():
        return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e["key"], e["operator"], e.get("values", [])
        if (op == "In" and labels.get(key) not in values or op == "NotIn" and labels.get(key) in values
                or op == "Exists" and key not in labels or op == "DoesNotExist" and key in labels):
            return False
    return True


def test_metric_names_reader():
    assert metric_names('sum by (le) (rate(foo_bucket{a="x{y}"}[5m])) / on (pod) bar > 3') == {"foo_bucket", "bar"}
    assert metric_names("count(up == 0) or vector(0)") == {"up"}
    assert metric_names("x - time() < 14 * 86400") == {"x"}


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_component_with_a_metrics_port_has_a_monitor(objects, platform, infos, cluster):
    objs = on_cluster(objects, platform, cluster)
    monitors = [o for o in objs if o.kind in ("ServiceMonitor", "PodMonitor")]
    for (owner, name), info in infos[cluster].items():
        for ep in info.metrics:
            if ep.monitor == "chart":
                assert info.helm is not None, f"{info.name}: a chart monitor needs a chart"
                continue
            mine = [m for m in monitors if (m.env, m.component) == (owner, name)]
            ports = [e["port"] for m in mine for e in m.data["spec"].get("endpoints", m.data["spec"].get("podMetricsEndpoints", []))]
            assert ep.port in ports, f"{info.name}: declared endpoint {ep.port} has no monitor"
    # and no metrics port of ours escapes a declaration (a chart's monitors are the chart's, switched on
    # in its values; ``test_monitors_select_something_that_serves_the_port`` covers them)
    for w in (o for o in objs if o.kind in ("Deployment", "StatefulSet", "DaemonSet") and ours(o)):
        for c in w.data["spec"]["template"]["spec"]["containers"]:
            for port in c.get("ports", []):
                if "metrics" in port["name"]:
                    declared = {ep.port for ep in infos[cluster][(w.env, w.component)].metrics}
                    assert port["name"] in declared, f"{w.file}: port {port['name']} is not scraped"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_monitors_select_something_that_serves_the_port(objects, platform, cluster):
    objs = on_cluster(objects, platform, cluster)
    for m in (o for o in objs if o.kind in ("ServiceMonitor", "PodMonitor")):
        sel = m.data["spec"]["selector"]
        ns = (m.data["spec"].get("namespaceSelector") or {}).get("matchNames", [m.namespace])[0]
        if m.kind == "ServiceMonitor":
            targets = [o for o in objs if o.kind == "Service" and o.namespace == ns
                       and selects(sel, o.data["metadata"].get("labels") or {})]
            ports = {p.get("name") for t in targets for p in t.data["spec"]["ports"]}
            given = [names for n, lbl, names in CLUSTER_SERVICES if n == ns and selects(sel, lbl)]
            targets += given
            ports |= {p for names in given for p in names}
        else:
            targets = [o for o in objs if o.kind in ("Deployment", "StatefulSet", "DaemonSet") and o.namespace == ns
                       and selects(sel, o.data["spec"]["template"]["metadata"].get("labels") or {})]
            ports = {p.get("name") for t in targets for c in t.data["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports", [])}
            # the Envoy proxies Envoy Gateway runs for a Gateway (its labels, its "metrics" port)
            proxies = [g for g in objs if g.kind == "Gateway" and g.namespace == ns
                       and selects(sel, proxy_labels(GatewayRef(g.name, g.namespace)))]
            targets += proxies
            ports |= {"metrics"} if proxies else set()
        # ours select exactly their component; a chart's may select its several replicas' Services
        assert len(targets) == 1 if ours(m) else targets, f"{m.file}: selects {len(targets)} targets"
        endpoints = m.data["spec"].get("endpoints", m.data["spec"].get("podMetricsEndpoints"))
        assert {e["port"] for e in endpoints if "port" in e} <= ports, m.file


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_query_and_alert_uses_only_scraped_or_recorded_metrics(objects, platform, infos, cluster):
    objs = on_cluster(objects, platform, cluster)
    scraped = ALWAYS | {name for info in infos[cluster].values() for ep in info.metrics for name in ep.metrics}
    rules = [r for o in objs if o.kind == "PrometheusRule" for g in o.data["spec"]["groups"] for r in g["rules"]]
    scraped |= {r["record"] for r in rules if "record" in r}
    # our alerts (kube-prometheus-stack's own rules go with its own monitors of its own exporters)
    exprs = [(f"alert {r['alert']}", r["expr"]) for o in objs if o.kind == "PrometheusRule" and ours(o)
             for g in o.data["spec"]["groups"] for r in g["rules"] if "alert" in r]
    boards = next(o for o in objs if o.kind == "ConfigMap" and o.name == "grafana-dashboards").data["data"]
    assert boards, "no dashboards rendered"
    for name, text in boards.items():
        doc = json.loads(text)
        exprs += [(f"dashboard {name}", t["expr"]) for p in doc["panels"] for t in p.get("targets", [])]
    unknown = [f"{where}: {sorted(metric_names(e) - scraped)}" for where, e in exprs if metric_names(e) - scraped]
    assert not unknown, "\n".join(unknown)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_application_has_alerts_and_a_dashboard(objects, platform, cluster):
    objs = on_cluster(objects, platform, cluster)
    boards = next(o for o in objs if o.kind == "ConfigMap" and o.name == "grafana-dashboards").data["data"]
    for env in platform.environments_on(cluster):
        ns = env.namespace
        apps = sorted(o.name for o in objs if o.kind in ("Deployment", "StatefulSet") and o.namespace == ns)
        rules = {o.name for o in objs if o.kind == "PrometheusRule" and o.namespace == ns}
        assert apps
        for app in apps:
            assert app in rules, f"{env.name}: {app} has no PrometheusRule"
            board = next((json.loads(t) for b, t in boards.items() if b.startswith(app)), None)
            assert board, f"{app} has no dashboard"
            assert ns in board["templating"]["list"][0]["query"].split(","), f"{app}: {env.name} missing from its board"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_rendered_rule_groups_pass_promtool(objects, platform, cluster, tmp_path, promtool):
    objs = on_cluster(objects, platform, cluster)
    for owner in sorted({o.env for o in objs}):  # group names are unique per rule file, as Prometheus loads them
        groups = [g for o in objs if o.env == owner and o.kind == "PrometheusRule" for g in o.data["spec"]["groups"]]
        path = tmp_path / f"{owner}.yaml"
        path.write_text(yaml.safe_dump({"groups": groups}))
        proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
