"""MetalLB from its upstream chart, L2 mode only (FRR disabled)."""
from __future__ import annotations

from constructs import Construct

from components import versions
from components.core import HelmRelease, MetricsEndpoint, Obj
from components.flows import NetworkNeeds
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.observability.kube_prometheus_stack import PROMETHEUS_SERVICE_ACCOUNT
from components.types import PROPS_CONFIG, Resources, Strict
from components.workload import HARDENED, resources, seccomp


class MetalLBSettings(Strict):
    """What a cluster may change."""

    controller_resources: Resources
    speaker_resources: Resources


class MetalLBProps(MetalLBSettings):
    model_config = PROPS_CONFIG

    namespace: str = "metallb-system"


METRICS_PORT = 9120  # controller and speakers serve metrics here (the chart's default, set explicitly)


class MetalLB(HelmRelease):
    free_form_values = ("controller.securityContext", "speaker.securityContext")
    layer = "cluster-services"
    rank = 1  # after the monitoring CRDs its ServiceMonitor needs
    server_side_apply = True
    runtime_secrets = {"metallb-memberlist": "the controller generates the speakers' memberlist key"}
    provides_crds = ("metallb.io",)
    # the speakers run on the host network: Prometheus scrapes them on the nodes' addresses
    network = NetworkNeeds(api_server=True, webhooks=(9443,), host_metrics=(METRICS_PORT,))

    def __init__(self, scope: Construct, props: MetalLBProps):
        p = props
        values: Obj = {
            "crds": {"enabled": True},
            # the runtime's seccomp profile, merged into the chart's pod contexts (non-root for the controller)
            "controller": {"resources": resources(p.controller_resources, HARDENED), "securityContext": seccomp()},
            "speaker": {"frr": {"enabled": False}, "resources": resources(p.speaker_resources, HARDENED),
                        "securityContext": seccomp()},
            # L2 only: 0.16 turns the FRR-K8s backend on by default (a hostNetwork DaemonSet with NET_ADMIN
            # and SYS_ADMIN), which nothing here uses
            "frrk8s": {"enabled": False},
            "prometheus": {"serviceMonitor": {"enabled": True}, "serviceAccount": PROMETHEUS_SERVICE_ACCOUNT,
                           "metricsPort": METRICS_PORT,
                           "namespace": MONITORING},
        }
        super().__init__(scope, "metallb", p.namespace, versions.METALLB, values, pod_security="privileged",
                         pod_security_reason="the speaker uses the host network and NET_RAW to answer ARP")
        self.props = props
        self.scrape(MetricsEndpoint(port="monitoring", monitor="chart",
                                    metrics=("metallb_allocator_addresses_in_use_total",)))
