"""The External Secrets Operator from its upstream chart, CRDs included.

It sits in the cluster-services layer, rank 0: every layer above consumes ExternalSecrets, and
its CRDs must exist before the first one is applied.
"""
from __future__ import annotations

from typing import Annotated

from constructs import Construct
from pydantic import Field

from components import versions
from components.core import HelmRelease, MetricsEndpoint, Obj
from components.flows import NetworkNeeds
from components.types import PROPS_CONFIG, Resources, Strict
from components.workload import HARDENED, pod_security_context, resources


class ExternalSecretsSettings(Strict):
    """What a cluster may change."""

    operator_resources: Resources  # operator, webhook and cert controller each get these
    operator_replicas: Annotated[int, Field(ge=1, le=100)] = 1


class ExternalSecretsProps(ExternalSecretsSettings):
    model_config = PROPS_CONFIG

    namespace: str = "external-secrets"
    service_monitor: bool = True


class ExternalSecrets(HelmRelease):
    free_form_values = ("podSecurityContext", "webhook.podSecurityContext", "certController.podSecurityContext")
    layer = "cluster-services"
    rank = 1  # after the monitoring CRDs its ServiceMonitor needs
    server_side_apply = True
    provides_crds = ("external-secrets.io", "generators.external-secrets.io")
    # the controller reads OpenBao and writes Secrets; its webhook validates the resources
    network = NetworkNeeds(api_server=True, webhooks=(10250,), to=(("openbao", 8200),))

    def __init__(self, scope: Construct, props: ExternalSecretsProps):
        p = props
        res = resources(p.operator_resources, HARDENED)
        replicas = p.operator_replicas
        pod_ctx = {"enabled": True, **pod_security_context()}
        values: Obj = {
            "installCRDs": True,
            "replicaCount": replicas,
            "resources": res,
            "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1},
            "serviceMonitor": {"enabled": p.service_monitor},
            # the chart renders no pod security context unless it has more than "enabled"
            "podSecurityContext": pod_ctx,
            "livenessProbe": {"enabled": True},
            "readinessProbe": {"enabled": True},
            "webhook": {"replicaCount": replicas, "resources": res, "podSecurityContext": pod_ctx,
                        "livenessProbe": {"enabled": True}},
            "certController": {"replicaCount": replicas, "resources": res, "podSecurityContext": pod_ctx,
                               "livenessProbe": {"enabled": True}},
        }
        super().__init__(scope, "external-secrets", p.namespace, versions.EXTERNAL_SECRETS, values)
        self.props = props
        if p.service_monitor:
            self.scrape(MetricsEndpoint(port="metrics", monitor="chart", metrics=("externalsecret_status_condition",)))
