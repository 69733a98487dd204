"""kube-prometheus-stack: the Prometheus Operator, Prometheus, Alertmanager, node-exporter and
kube-state-metrics. Its CRDs come from prometheus-operator-crds (first in the cluster layer) and its
Grafana is off: we render our own."""
from __future__ import annotations

from typing import Annotated

from constructs import Construct
from pydantic import Field

from components import versions
from components.backup import State
from components.core import HelmRelease, MetricsEndpoint, Obj
from components.flows import NetworkNeeds, pods
from components.types import PROPS_CONFIG, Resources, Size, Strict
from components.workload import HARDENED, no_privileges, resources, seccomp

NAMESPACE = "monitoring"  # where Prometheus runs and scrapes from
PROMETHEUS_SERVICE = "kube-prometheus-stack-prometheus"
PROMETHEUS_SERVICE_ACCOUNT = "kube-prometheus-stack-prometheus"
PROMETHEUS_PORT = 9090
# What kube-state-metrics, the kubelet/cAdvisor and node-exporter expose that rules and dashboards use.
METRICS = (
    "kube_deployment_status_replicas_available", "kube_deployment_spec_replicas",
    "kube_statefulset_status_replicas_ready", "kube_daemonset_status_number_ready",
    "kube_daemonset_status_desired_number_scheduled", "kube_pod_container_status_restarts_total",
    "kube_pod_container_status_last_terminated_reason", "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes", "node_cpu_seconds_total", "node_memory_MemAvailable_bytes",
    "kube_cronjob_status_last_successful_time", "kube_cronjob_created",  # the backups' age
)


class KubePrometheusStackSettings(Strict):
    """What a cluster may change: Prometheus, Alertmanager, node-exporter, kube-state-metrics."""

    retention: Annotated[str, Field(pattern=r"^[0-9]+(h|d|w|y)$")]  # e.g. "15d"
    storage_size: Size
    prometheus_resources: Resources
    alertmanager_resources: Resources
    operator_resources: Resources
    kube_state_metrics_resources: Resources
    node_exporter_resources: Resources
    hook_resources: Resources  # the admission webhook's certificate Jobs (hooks)
    prometheus_replicas: Annotated[int, Field(ge=1, le=100)] = 1


class KubePrometheusStackProps(KubePrometheusStackSettings):
    model_config = PROPS_CONFIG

    storage_class: str  # required: from the cluster
    alertmanager_config_secret: str | None = None  # the Secret with alertmanager.yaml (default: the chart's,
    # which routes everything nowhere, rendered as a Secret with data: refused by the render's checks)
    alertmanager_secrets: tuple[str, ...] = ()  # Secrets mounted under /etc/alertmanager/secrets/<name>
    namespace: str = NAMESPACE


# The chart's exporters whose Services it renders in kube-system.
KUBE_SYSTEM_EXPORTERS = ("coreDns", "kubeControllerManager", "kubeEtcd", "kubeProxy", "kubeScheduler")


# the pods the Prometheus operator makes from the chart's Prometheus and Alertmanager (their labels,
# their containers' ports): Prometheus is who scrapes, as the network fence knows it
PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus"}
PROMETHEUS_PORTS = {"web": 9090, "reloader-web": 8080}
ALERTMANAGER_PODS = {"app.kubernetes.io/name": "alertmanager"}
ALERTMANAGER_PORTS = {"web": 9093, "mesh-tcp": 9094, "reloader-web": 8080}


class KubePrometheusStack(HelmRelease):
    free_form_values = ("prometheus-node-exporter.securityContext", "prometheus-node-exporter.containerSecurityContext")
    layer = "tools"
    rank = 2  # before the rules, dashboards and log shipping that use it
    # Prometheus scrapes the nodes (kubelet, node-exporter; what it scrapes in the namespaces is derived
    # from the monitors); Alertmanager's receivers
    network = NetworkNeeds(api_server=True, webhooks=(10250,), nodes=(9100, 10250), nodes_pods=pods(PROMETHEUS_PODS),
                           internet=(443,))
    runtime_secrets = {"kube-prometheus-stack-admission": "the chart's admission-create Job (a PreSync hook) "
                                                          "generates the webhook's certificate"}

    def __init__(self, scope: Construct, props: KubePrometheusStackProps):
        p = props
        # Prometheus and Alertmanager are internal: no route at all (their UIs and query API serve anyone
        # who reaches them); operators use Grafana, or a port-forward.
        values: Obj = {
            "crds": {"enabled": False},
            "grafana": {"enabled": False},
            "prometheus": {
                "prometheusSpec": {
                    "replicas": p.prometheus_replicas,
                    "retention": p.retention,
                    "resources": resources(p.prometheus_resources, HARDENED),
                    # select every ServiceMonitor, PodMonitor and PrometheusRule, not only the chart's own
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                    "storageSpec": {"volumeClaimTemplate": {"spec": {
                        "storageClassName": p.storage_class, "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": p.storage_size}}}}},
                },
            },
            "alertmanager": {"alertmanagerSpec": {
                "resources": resources(p.alertmanager_resources, HARDENED),
                **({"secrets": list(p.alertmanager_secrets)} if p.alertmanager_secrets else {}),
                **({"useExistingSecret": True, "configSecret": p.alertmanager_config_secret}
                   if p.alertmanager_config_secret else {})}},
            "prometheusOperator": {"resources": resources(p.operator_resources, HARDENED),
                                   "admissionWebhooks": {"patch": {"resources": resources(p.hook_resources, HARDENED)}}},
            "kubeStateMetrics": {"enabled": True},
            "kube-state-metrics": {"resources": resources(p.kube_state_metrics_resources, HARDENED)},
            "nodeExporter": {"enabled": True},
            # host namespaces and read-only host paths, but no capability, no escalation, the runtime's seccomp
            "prometheus-node-exporter": {
                "resources": resources(p.node_exporter_resources, HARDENED),
                "securityContext": seccomp(),
                "containerSecurityContext": {**no_privileges(), "readOnlyRootFilesystem": True}},
            # Control-plane exporters would add Services in kube-system, where the tools project may not
            # deploy (and on many distributions their endpoints are not reachable); switched off with
            # their alert rules, which would otherwise fire for targets never scraped.
            **{part: {"enabled": False} for part in KUBE_SYSTEM_EXPORTERS},
        }
        super().__init__(scope, "kube-prometheus-stack", p.namespace, versions.KUBE_PROMETHEUS_STACK, values,
                         pod_security="privileged",
                         pod_security_reason="node-exporter reads the host's /proc and /sys through hostPath "
                                             "volumes with the host network and PID namespaces")
        self.props = props
        self.state = (State("Prometheus/kube-prometheus-stack-prometheus", "the metrics history (TSDB)", "none",
                            reason=f"metrics history, kept {p.retention}: losing it loses graphs, not the "
                                   "platform; alerts resume with the first scrape"),)
        self.runtime_pod("prometheus", p.namespace, {**PROMETHEUS_PODS, "prometheus": "kube-prometheus-stack-prometheus",
                                                     "operator.prometheus.io/name": "kube-prometheus-stack-prometheus"},
                         PROMETHEUS_PORTS)
        self.runtime_pod("alertmanager", p.namespace, {**ALERTMANAGER_PODS,
                                                       "alertmanager": "kube-prometheus-stack-alertmanager"},
                         ALERTMANAGER_PORTS)
        self.scrape(MetricsEndpoint(port="http", monitor="chart", metrics=METRICS))
