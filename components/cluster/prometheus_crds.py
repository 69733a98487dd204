"""The Prometheus Operator CRDs, on their own and first: every chart of the platform ships a
ServiceMonitor, so the CRDs must exist before any of them syncs (kube-prometheus-stack, which
runs the operator, comes later in the tools layer)."""
from __future__ import annotations

from constructs import Construct

from components import versions
from components.core import HelmRelease
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING


class PrometheusOperatorCrds(HelmRelease):
    layer = "cluster-services"
    rank = 0
    server_side_apply = True  # the CRDs exceed the client-side apply annotation limit
    provides_crds = ("monitoring.coreos.com",)

    def __init__(self, scope: Construct, namespace: str = MONITORING):
        super().__init__(scope, "prometheus-operator-crds", namespace, versions.PROMETHEUS_OPERATOR_CRDS, {},
                         pod_security=None)
