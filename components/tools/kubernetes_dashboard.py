"""The Kubernetes Dashboard from its upstream chart. Access is a read-only ServiceAccount bound to
the ``view`` ClusterRole; a cluster-admin binding exists only when asked for, with a warning."""
from __future__ import annotations

from components import versions
from components.core import HelmRelease, labels
from components.rbac import cluster_role_binding, service_account
from components.types import PROPS_CONFIG, Strict

VIEWER = "dashboard-viewer"
ADMIN = "dashboard-admin"


class DashboardSettings(Strict):
    """What a cluster may change."""

    ingress: bool  # whether the UI is reachable from outside the cluster
    cluster_admin: bool = False  # an explicit, warned opt-in


class DashboardProps(DashboardSettings):
    model_config = PROPS_CONFIG

    host: str  # required (used when ingress is on)
    ingress_class: str  # required
    cluster_issuer: str  # required
    tls: bool = True
    namespace: str = "kubernetes-dashboard"


class KubernetesDashboard(HelmRelease):
    layer = "tools"
    rank = 4

    def __init__(self, scope, props: DashboardProps):
        p = props
        ingress: dict = {"enabled": p.ingress}
        if p.ingress:
            # The chart's default annotations ask for SSL passthrough, which ingress-nginx runs without here:
            # TLS ends at the ingress (our certificate) and is re-encrypted to the chart's Kong proxy.
            ingress.update({"hosts": [p.host], "ingressClassName": p.ingress_class, "useDefaultIngressClass": False,
                            "useDefaultAnnotations": False,
                            "annotations": {"nginx.ingress.kubernetes.io/backend-protocol": "HTTPS"},
                            "tls": {"enabled": p.tls, "secretName": "kubernetes-dashboard-tls"}})
            if p.tls:
                ingress["issuer"] = {"name": p.cluster_issuer, "scope": "cluster"}
        values = {"app": {"ingress": ingress}}
        super().__init__(scope, "kubernetes-dashboard", p.namespace, versions.KUBERNETES_DASHBOARD, values,
                         pod_security="baseline",
                         pod_security_reason="the bundled Kong proxy sub-chart is not verified against restricted")
        self.props = props
        lbls = labels("kubernetes-dashboard", "dashboard")
        self._access(VIEWER, "view", lbls)
        if p.cluster_admin:
            self._access(ADMIN, "cluster-admin", lbls)
            self.warnings.append(f"ServiceAccount {p.namespace}/{ADMIN} is bound to cluster-admin "
                                 "(dashboard.cluster_admin is true)")

    def _access(self, name: str, role: str, lbls: dict) -> None:
        p = self.props
        self.add(service_account(name, p.namespace, lbls))
        self.add(cluster_role_binding(name, lbls, role, name, p.namespace))
