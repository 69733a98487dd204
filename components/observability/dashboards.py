"""Dashboards as code, built with Grafana's foundation SDK and encoded deterministically.

Per application a RED dashboard (rate, errors, duration, plus restarts and resources) from the
same metric declarations the alert rules use; a cache dashboard; a platform overview.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from components.observability.alert_rules import AppTarget, route_selector

DATASOURCE_UID = "prometheus"
NAMESPACE_VARIABLE = "namespace"
_DS = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    json: str  # deterministic: sorted keys, fixed indentation

    @property
    def file(self) -> str:
        return f"{self.uid}.json"


def _query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref).datasource(_DS)


def _series(title: str, unit: str, *queries: prometheus.Dataquery, w: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(_DS).span(w).height(8)
    for q in queries:
        panel = panel.with_target(q)
    return panel


def _encode(board: dashboard.Dashboard) -> str:
    return json.dumps(board.build(), cls=JSONEncoder, sort_keys=True, indent=2) + "\n"


def _base(uid: str, title: str, tags: list[str], namespaces: list[str] | None = None) -> dashboard.Dashboard:
    board = (dashboard.Dashboard(title).uid(uid).tags(["plate", *tags]).refresh("1m").time("now-6h", "now")
             .timezone("utc").editable())
    if namespaces:  # one dashboard for every environment running the app: pick the environment's namespace
        board = board.with_variable(dashboard.CustomVariable(NAMESPACE_VARIABLE).label("Environment")
                                    .values(",".join(namespaces)))
    return board


def _resources(app: AppTarget) -> list[timeseries.Panel]:
    pods = f'namespace="{app.namespace}",pod=~"{app.name}-.*"'
    return [
        _series("Container restarts (1h)", "short",
                _query(f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{pods}}}[1h]))", "{{pod}}")),
        _series("CPU", "cores",
                _query(f'sum by (pod) (rate(container_cpu_usage_seconds_total{{{pods},container!=""}}[5m]))', "{{pod}}")),
        _series("Memory (working set)", "bytes",
                _query(f'sum by (pod) (container_memory_working_set_bytes{{{pods},container!=""}})', "{{pod}}")),
    ]


def red(app: AppTarget, namespaces: list[str] | None = None) -> Dashboard:
    uid = f"plate-{app.name.removeprefix('plate-')}-red"
    sel = route_selector(app)
    board = _base(uid, f"{app.name}: rate, errors, duration", ["red", app.name], namespaces)
    panels = [
        _series("Requests per second", "reqps", _query(
            f"sum by (envoy_response_code_class) (rate(envoy_cluster_upstream_rq_xx{{{sel}}}[5m]))",
            "{{envoy_response_code_class}}xx")),
        _series("Error ratio (5xx)", "percentunit",
                _query(f'sum(rate(envoy_cluster_upstream_rq_xx{{{sel},envoy_response_code_class="5"}}[5m])) / '
                       f"sum(rate(envoy_cluster_upstream_rq_xx{{{sel}}}[5m]))", "5xx")),
        _series("Latency", "ms", *[
            _query(f"histogram_quantile({q}, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket"
                   f"{{{sel}}}[5m])))", f"p{int(q * 100)}", ref) for q, ref in ((0.5, "A"), (0.9, "B"), (0.99, "C"))]),
        *_resources(app),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return Dashboard(uid, f"{app.name}: rate, errors, duration", _encode(board))


def cache(app: AppTarget, namespaces: list[str] | None = None) -> Dashboard:
    uid = f"plate-{app.name.removeprefix('plate-')}"
    job = f'namespace="{app.namespace}",service="{app.name}"'
    board = _base(uid, f"{app.name}: Redis-compatible cache", ["cache", app.name], namespaces)
    panels = [
        _series("Commands per second", "ops", _query(f"sum(rate(redis_commands_processed_total{{{job}}}[5m]))", "commands")),
        _series("Hit ratio", "percentunit", _query(
            f"sum(rate(redis_keyspace_hits_total{{{job}}}[5m])) / (sum(rate(redis_keyspace_hits_total{{{job}}}[5m])) + "
            f"sum(rate(redis_keyspace_misses_total{{{job}}}[5m])))", "hits")),
        _series("Memory used of max", "bytes", _query(f"redis_memory_used_bytes{{{job}}}", "used", "A"),
                _query(f"redis_memory_max_bytes{{{job}}}", "max", "B")),
        _series("Connected clients", "short", _query(f"redis_connected_clients{{{job}}}", "clients")),
        *_resources(app),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return Dashboard(uid, f"{app.name}: Redis-compatible cache", _encode(board))


def overview() -> Dashboard:
    uid = "plate-platform-overview"
    board = _base(uid, "Plate platform overview", ["platform"])
    panels = [
        stat.Panel().title("Scrape targets down").datasource(_DS).span(6).height(4)
        .with_target(_query("count(up == 0) or vector(0)", "down")),
        stat.Panel().title("Sealed OpenBao nodes").datasource(_DS).span(6).height(4)
        .with_target(_query("count(vault_core_unsealed == 0) or vector(0)", "sealed")),
        stat.Panel().title("Degraded Argo CD Applications").datasource(_DS).span(6).height(4)
        .with_target(_query('count(argocd_app_info{health_status="Degraded"} == 1) or vector(0)', "degraded")),
        stat.Panel().title("Out-of-sync Argo CD Applications").datasource(_DS).span(6).height(4)
        .with_target(_query('count(argocd_app_info{sync_status="OutOfSync"} == 1) or vector(0)', "out of sync")),
        _series("Days until certificates expire", "d", _query(
            "(certmanager_certificate_expiration_timestamp_seconds - time()) / 86400", "{{namespace}}/{{name}}")),
        _series("Fluentd output errors (10m)", "short",
                _query("sum by (pod) (increase(fluentd_output_status_num_errors[10m]))", "{{pod}}")),
        _series("Fluentd buffer queue", "short",
                _query("sum by (pod) (fluentd_output_status_buffer_queue_length)", "{{pod}}")),
        _series("Hours since each backup's last success", "h", _query(
            "(time() - kube_cronjob_status_last_successful_time) / 3600", "{{namespace}}/{{cronjob}}")),
        _series("Node CPU busy", "percentunit",
                _query('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', "{{instance}}")),
        _series("Gateway requests by route", "reqps", _query(
            "sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq_total[5m]))", "{{envoy_cluster_name}}")),
    ]
    for panel in panels:
        board = board.with_panel(panel)
    return Dashboard(uid, "Plate platform overview", _encode(board))


def worker(app: AppTarget, namespaces: list[str] | None = None) -> Dashboard:
    uid = f"plate-{app.name.removeprefix('plate-')}"
    board = _base(uid, f"{app.name}: background worker", ["worker", app.name], namespaces)
    for panel in _resources(app):
        board = board.with_panel(panel)
    return Dashboard(uid, f"{app.name}: background worker", _encode(board))


def for_apps(apps: tuple[AppTarget, ...]) -> tuple[Dashboard, ...]:
    """One dashboard per application, whatever the number of environments running it: the
    environment (its namespace) is a variable of the dashboard, not a copy of it."""
    by_name: dict[str, list[AppTarget]] = {}
    for a in apps:
        by_name.setdefault(a.name, []).append(a)
    boards: list[Dashboard] = []
    for name in sorted(by_name):
        targets = by_name[name]
        shared = dataclasses.replace(targets[0], namespace=f"${NAMESPACE_VARIABLE}")
        namespaces = sorted({t.namespace for t in targets})
        build = red if shared.http else cache if shared.workload == "StatefulSet" else worker
        boards.append(build(shared, namespaces))
    return (*boards, overview())


def queries(board_json: str) -> list[str]:
    """Every PromQL expression in a dashboard's JSON."""
    doc = json.loads(board_json)
    return [t["expr"] for p in doc.get("panels", []) for t in p.get("targets", []) if "expr" in t]
