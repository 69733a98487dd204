"""The External Secrets Operator from its upstream chart, CRDs included.

It sits in the cluster-services layer, rank 0: every layer above consumes ExternalSecrets, and
its CRDs must exist before the first one is applied.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from components import versions
from components.core import HelmRelease, MetricsEndpoint
from components.types import Resources
from components.workload import HARDENED, resources


class ExternalSecretsProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: Resources  # required: operator, webhook and cert controller each get these
    namespace: str = "external-secrets"
    replicas: int = 1
    service_monitor: bool = True


class ExternalSecrets(HelmRelease):
    layer = "cluster-services"
    rank = 1  # after the monitoring CRDs its ServiceMonitor needs
    server_side_apply = True
    provides_crds = ("external-secrets.io", "generators.external-secrets.io")

    def __init__(self, scope, props: ExternalSecretsProps):
        p = props
        res = resources(p.resources, HARDENED)
        values = {
            "installCRDs": True,
            "replicaCount": p.replicas,
            "resources": res,
            "podDisruptionBudget": {"enabled": p.replicas > 1, "minAvailable": 1},
            "serviceMonitor": {"enabled": p.service_monitor},
            "webhook": {"replicaCount": p.replicas, "resources": res},
            "certController": {"replicaCount": p.replicas, "resources": res},
        }
        super().__init__(scope, "external-secrets", p.namespace, versions.EXTERNAL_SECRETS, values)
        self.props = props
        if p.service_monitor:
            self.scrape(MetricsEndpoint(port="metrics", monitor="chart", metrics=("externalsecret_status_condition",)))
