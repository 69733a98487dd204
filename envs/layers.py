"""The sections of a cluster's settings, assembled from what each component declares.

Every component module declares the settings a cluster or an environment may change of it (its
``...Settings`` class, the one schema for them); its props extend them with what composition wires
in. Where one section of the configuration feeds two components (``cert_manager``: the chart and
the issuers), the section is both components' settings together. Nothing here restates a field.
"""
from __future__ import annotations

from components.cluster.cert_manager import CertManagerSettings
from components.cluster.cluster_issuers import ClusterIssuersSettings
from components.cluster.external_secrets import ExternalSecretsSettings
from components.cluster.ingress_nginx import IngressNginxSettings
from components.cluster.metallb import MetalLBSettings
from components.cluster.metallb_pools import MetalLBPoolsSettings
from components.cluster.nfs_provisioner import NfsProvisionerSettings
from components.observability.alert_routing import AlertRoutingSettings
from components.observability.alert_rules import Thresholds
from components.observability.fluentd import FluentdSettings
from components.observability.grafana import GrafanaSettings
from components.observability.kube_prometheus_stack import KubePrometheusStackSettings
from components.routing import IngressSettings
from components.tools.argo_cd import ArgoCDSettings
from components.tools.harbor import HarborSettings
from components.tools.jenkins import JenkinsSettings
from components.tools.kubernetes_dashboard import DashboardSettings
from components.tools.openbao import OpenBaoSettings
from components.tools.secret_stores import SecretStoresSettings
from components.types import Duration, KvPath

__all__ = ["Alerting", "ArgoCD", "CertManager", "Dashboard", "GrafanaSettings", "Harbor", "Ingress", "IngressController",
           "Jenkins", "Logging", "MetalLB", "Monitoring", "Nfs", "OpenBao", "Secrets", "Thresholds"]

Ingress = IngressSettings
IngressController = IngressNginxSettings
Nfs = NfsProvisionerSettings
OpenBao = OpenBaoSettings
ArgoCD = ArgoCDSettings
Jenkins = JenkinsSettings
Harbor = HarborSettings
Dashboard = DashboardSettings
Monitoring = KubePrometheusStackSettings
Logging = FluentdSettings
Alerting = AlertRoutingSettings


class CertManager(CertManagerSettings, ClusterIssuersSettings):
    """``cert_manager``: the chart (resources, replicas) and the ClusterIssuers (contact, DNS-01)."""


class MetalLB(MetalLBSettings, MetalLBPoolsSettings):
    """``metallb``: the chart (resources) and the address pools."""


class Secrets(ExternalSecretsSettings, SecretStoresSettings):
    """``secrets``: the operator, the stores, and where the platform's own secrets live."""

    path_prefix: KvPath  # every KV path of the platform's tools lies under it
    refresh_interval: Duration
