"""PrometheusRules for every application and for the platform, from typed thresholds.

Every alert carries ``summary``, ``description`` and a ``runbook_url`` pointing at a section of the
troubleshooting guide (docs/operations.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from components.core import Component, labels, metadata
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.types import Strict

if TYPE_CHECKING:
    from components.k8s.crds import PrometheusRuleSpecGroupsRules as Rule

RUNBOOK_SECTIONS = ("certificates", "ingress", "pods", "rollback", "backups")


@dataclass(frozen=True)
class AppTarget:
    """An application to alert on: its workload and whether its traffic passes the ingress controller."""

    name: str
    namespace: str
    workload: Literal["Deployment", "StatefulSet"]
    http: bool


Severity = Literal["critical", "warning", "info"]


class Thresholds(Strict):
    """Alert thresholds and severities: what a cluster (its platform's alerts) or an environment
    (its applications' alerts) may change."""

    error_ratio: Annotated[float, Field(gt=0, lt=1)]
    latency_p99_seconds: Annotated[float, Field(gt=0)]
    restarts_per_hour: Annotated[int, Field(ge=1)]
    certificate_expiry_days: Annotated[int, Field(ge=1)]
    argocd_out_of_sync_minutes: Annotated[int, Field(ge=1)]
    fluentd_buffer_queue: Annotated[int, Field(ge=1)]
    availability_severity: Severity
    error_severity: Severity
    latency_severity: Severity
    restart_severity: Severity
    platform_severity: Severity


AlertThresholds = Thresholds  # the name the props use


class AlertRulesProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    apps: tuple[AppTarget, ...]  # required
    thresholds: AlertThresholds  # required
    runbook_base: str  # required: docs/operations.md's URL; sections are appended as #anchors
    platform_namespaces: tuple[str, ...] = ()  # where the platform's own workloads run
    namespace: str = MONITORING
    platform: bool = True  # the platform's own rules (certificates, OpenBao, Argo CD, Fluentd, workloads)
    environment: str | None = None  # labels every alert ``environment: <name>`` (routing by environment)


def route_selector(app: AppTarget) -> str:
    """The app's traffic at the Gateway: Envoy names the upstream of each HTTPRoute rule
    ``httproute/<namespace>/<route>/rule/<n>``, and each routed service has its own route."""
    return f'envoy_cluster_name=~"httproute/{app.namespace}/{app.name}/rule/.*"'


class AlertRules(Component):
    layer = "tools"
    rank = 3  # after kube-prometheus-stack (its operator loads them); the CRD comes from the cluster layer

    def __init__(self, scope: Construct, props: AlertRulesProps):
        super().__init__(scope, "alert-rules", props.namespace, pod_security=None)
        self.props = p = props
        self.common_labels = labels("alert-rules", "alerting")
        for app in p.apps:
            self._rule(f"plate-{app.name.removeprefix('plate-')}", self.app_rules(app))
        for name, rules in (self.platform_rules() if p.platform else {}).items():
            self._rule(name, rules)

    def backup_rules(self, backups: list[tuple[str, str]], max_age_seconds: int, severity: str) -> None:
        """A backup is stale when its CronJob's newest success is older than ``max_age_seconds``, or when it
        has never succeeded and exists for longer than that (kube-state-metrics' CronJob metrics)."""
        if not backups:
            return
        rules: list[Rule] = []
        hours = max_age_seconds / 3600
        for namespace, cronjob in backups:
            sel = f'namespace="{namespace}",cronjob="{cronjob}"'
            rules.append(self.alert(
                "BackupTooOld",
                f"(time() - kube_cronjob_status_last_successful_time{{{sel}}} > {max_age_seconds})"
                f" or (time() - kube_cronjob_created{{{sel}}} > {max_age_seconds}"
                f" unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{{{sel}}})",
                "15m", severity, f"Backup {namespace}/{cronjob} is older than {hours:g} hours",
                f"The newest successful backup of {cronjob} is older than {hours:g} hours, or it never succeeded: "
                "a restore would lose everything since. Look at the CronJob's last Job.", "backups",
                {"backup": cronjob}))
        self._rule("platform-backups", rules)

    def _rule(self, name: str, rules: list[Rule]) -> None:
        self.add({"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
                  "metadata": metadata(name, self.props.namespace, self.common_labels),
                  "spec": {"groups": [{"name": name, "rules": rules}]}})

    def alert(self, name: str, expr: str, for_: str, severity: str, summary: str, description: str,
              section: str, extra: dict[str, str] | None = None) -> Rule:
        assert section in RUNBOOK_SECTIONS, section
        return {
            "alert": name,
            "expr": expr,
            "for": for_,
            "labels": {"severity": severity, **self.environment_label, **(extra or {})},
            "annotations": {"summary": summary, "description": description,
                            "runbook_url": f"{self.props.runbook_base}#{section}"},
        }

    @property
    def environment_label(self) -> dict[str, str]:
        return {"environment": self.props.environment} if self.props.environment else {}

    def app_rules(self, app: AppTarget) -> list[Rule]:
        t, ns, name = self.props.thresholds, app.namespace, app.name
        who = {"namespace": ns, "app": name}
        pods = f'namespace="{ns}",pod=~"{name}-.*"'
        if app.workload == "Deployment":
            available = f'kube_deployment_status_replicas_available{{namespace="{ns}",deployment="{name}"}} == 0'
        else:
            available = f'kube_statefulset_status_replicas_ready{{namespace="{ns}",statefulset="{name}"}} == 0'
        rules: list[Rule] = [self.alert(
            "PlateAppUnavailable", available, "5m", t.availability_severity,
            f"{name} has no ready replica",
            f"No pod of {ns}/{name} has been ready for 5 minutes: the service is down.", "pods", who)]
        if app.http:
            sel = route_selector(app)
            rules.append(self.alert(
                "PlateAppHighErrorRate",
                f'sum(rate(envoy_cluster_upstream_rq_xx{{{sel},envoy_response_code_class="5"}}[5m]))'
                f' / sum(rate(envoy_cluster_upstream_rq_xx{{{sel}}}[5m])) > {t.error_ratio}',
                "10m", t.error_severity, f"{name} answers more than {t.error_ratio:.0%} of requests with 5xx",
                f"Over 10 minutes more than {t.error_ratio:.0%} of requests to {ns}/{name} failed. "
                "If it began with a release, roll back.", "rollback", who))
            rules.append(self.alert(
                "PlateAppHighLatency",
                # Envoy measures upstream time in milliseconds
                f"histogram_quantile(0.99, sum by (le) (rate(envoy_cluster_upstream_rq_time_bucket"
                f"{{{sel}}}[5m]))) / 1000 > {t.latency_p99_seconds}",
                "10m", t.latency_severity, f"{name} p99 latency above {t.latency_p99_seconds}s",
                f"The 99th percentile of request duration through the Gateway for {ns}/{name} has been above "
                f"{t.latency_p99_seconds}s for 10 minutes.", "ingress", who))
        rules.append(self.alert(
            "PlateAppRestarting",
            f"increase(kube_pod_container_status_restarts_total{{{pods}}}[1h]) > {t.restarts_per_hour}",
            "5m", t.restart_severity, f"{name} containers keep restarting",
            f"A container of {ns}/{name} restarted more than {t.restarts_per_hour} times in an hour.", "pods", who))
        rules.append(self.alert(
            "PlateAppOOMKilled",
            f'(kube_pod_container_status_last_terminated_reason{{{pods},reason="OOMKilled"}} == 1)'
            f" and on (namespace, pod, container) increase(kube_pod_container_status_restarts_total{{{pods}}}[15m]) > 0",
            "0m", t.restart_severity, f"{name} was killed for running out of memory",
            f"A container of {ns}/{name} was OOM-killed in the last 15 minutes; raise its memory limit or fix "
            "the leak.", "pods", who))
        return rules

    def workload_rules(self) -> list[Rule]:
        """Every platform workload (controllers, tools, agents): down, not scheduled, restarting."""
        t = self.props.thresholds
        sel = f'namespace=~"{"|".join(self.props.platform_namespaces)}"'
        return [
            self.alert("PlatformDeploymentUnavailable", f"kube_deployment_status_replicas_available{{{sel}}} == 0",
                       "10m", t.platform_severity, "{{ $labels.namespace }}/{{ $labels.deployment }} has no ready replica",
                       "A platform Deployment has had no ready pod for 10 minutes.", "pods"),
            self.alert("PlatformStatefulSetUnavailable", f"kube_statefulset_status_replicas_ready{{{sel}}} == 0",
                       "10m", t.platform_severity, "{{ $labels.namespace }}/{{ $labels.statefulset }} has no ready replica",
                       "A platform StatefulSet has had no ready pod for 10 minutes.", "pods"),
            self.alert("PlatformDaemonSetIncomplete",
                       f"kube_daemonset_status_number_ready{{{sel}}}"
                       f" < kube_daemonset_status_desired_number_scheduled{{{sel}}}",
                       "15m", "warning", "{{ $labels.namespace }}/{{ $labels.daemonset }} is not ready on every node",
                       "Some nodes have had no ready pod of this DaemonSet for 15 minutes.", "pods"),
            self.alert("PlatformPodRestarting",
                       f"increase(kube_pod_container_status_restarts_total{{{sel}}}[1h]) > {t.restarts_per_hour}",
                       "5m", t.restart_severity, "{{ $labels.namespace }}/{{ $labels.pod }} keeps restarting",
                       f"A platform container restarted more than {t.restarts_per_hour} times in an hour.", "pods"),
        ]

    def platform_rules(self) -> dict[str, list[Rule]]:
        t = self.props.thresholds
        sev = t.platform_severity
        days = t.certificate_expiry_days
        workloads = {"platform-workloads": self.workload_rules()} if self.props.platform_namespaces else {}
        return {
            **workloads,
            "platform-certificates": [
                self.alert("CertificateExpiringSoon",
                           f"certmanager_certificate_expiration_timestamp_seconds - time() < {days} * 86400",
                           "1h", sev, "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires soon",
                           f"The certificate expires in less than {days} days and cert-manager has not renewed it.",
                           "certificates"),
                self.alert("CertificateNotReady", 'certmanager_certificate_ready_status{condition="False"} == 1',
                           "15m", sev, "Certificate {{ $labels.namespace }}/{{ $labels.name }} is not ready",
                           "cert-manager could not issue or renew the certificate.", "certificates"),
            ],
            "platform-openbao": [
                self.alert("OpenBaoSealed", "vault_core_unsealed == 0", "5m", sev,
                           "OpenBao {{ $labels.pod }} is sealed",
                           "A sealed OpenBao node serves no secret; External Secrets stop refreshing. Unseal it.",
                           "pods"),
                self.alert("OpenBaoDown", 'up{namespace="openbao"} == 0', "5m", sev,
                           "OpenBao {{ $labels.pod }} cannot be scraped",
                           "Prometheus cannot reach an OpenBao node's metrics endpoint.", "pods"),
            ],
            "platform-argocd": [
                self.alert("ArgoCDApplicationDegraded", 'argocd_app_info{health_status="Degraded"} == 1', "10m", sev,
                           "Argo CD Application {{ $labels.name }} is degraded",
                           "Its resources are unhealthy; compare the last publish and roll back if it caused this.",
                           "rollback"),
                self.alert("ArgoCDApplicationOutOfSync", 'argocd_app_info{sync_status="OutOfSync"} == 1',
                           f"{t.argocd_out_of_sync_minutes}m", "warning",
                           "Argo CD Application {{ $labels.name }} is out of sync",
                           f"The cluster has differed from the rendered branch for {t.argocd_out_of_sync_minutes} "
                           "minutes; a sync is failing or was turned off.", "rollback"),
            ],
            "platform-fluentd": [
                self.alert("FluentdOutputErrors", "increase(fluentd_output_status_num_errors[10m]) > 0", "10m", sev,
                           "Fluentd on {{ $labels.pod }} fails to ship logs",
                           "The log output reports errors; logs are buffered on the node until it recovers.", "pods"),
                self.alert("FluentdBufferGrowing",
                           f"fluentd_output_status_buffer_queue_length > {t.fluentd_buffer_queue}", "15m", "warning",
                           "Fluentd's buffer on {{ $labels.pod }} keeps growing",
                           f"More than {t.fluentd_buffer_queue} chunks wait to be shipped; the output is slow or down.",
                           "pods"),
            ],
        }
