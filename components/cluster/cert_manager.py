"""cert-manager from its upstream chart, CRDs included (served-side apply: they are large)."""
from __future__ import annotations

from typing import Annotated

from constructs import Construct
from pydantic import Field

from components import versions
from components.core import HelmRelease, MetricsEndpoint, Obj
from components.flows import NetworkNeeds
from components.types import PROPS_CONFIG, Resources, Strict
from components.workload import HARDENED, resources


class CertManagerSettings(Strict):
    """What a cluster may change."""

    resources: Resources  # controller, webhook and cainjector each get these
    hook_resources: Resources  # the startupapicheck Job (a PostSync hook)
    replicas: Annotated[int, Field(ge=1, le=100)] = 1  # >1 adds a PodDisruptionBudget per deployment


class CertManagerProps(CertManagerSettings):
    model_config = PROPS_CONFIG

    namespace: str = "cert-manager"
    service_monitor: bool = True


class CertManager(HelmRelease):
    layer = "cluster-services"
    rank = 1  # after the monitoring CRDs its ServiceMonitor needs
    server_side_apply = True
    provides_crds = ("cert-manager.io", "acme.cert-manager.io")
    # ACME (Let's Encrypt, the DNS-01 provider's API) and its HTTP-01 self-check through the public address
    network = NetworkNeeds(api_server=True, webhooks=(10250,), internet=(80, 443), gateway=True)

    def __init__(self, scope: Construct, props: CertManagerProps):
        p = props
        res = resources(p.resources, HARDENED)
        pdb = {"enabled": p.replicas > 1, "minAvailable": 1}
        values: Obj = {
            "crds": {"enabled": True, "keep": True},
            "global": {"leaderElection": {"namespace": p.namespace}},
            "replicaCount": p.replicas,
            "podDisruptionBudget": pdb,
            "resources": res,
            "enableCertificateOwnerRef": True,
            "webhook": {"replicaCount": p.replicas, "podDisruptionBudget": pdb, "resources": res},
            "cainjector": {"replicaCount": p.replicas, "podDisruptionBudget": pdb, "resources": res},
            "startupapicheck": {"resources": resources(p.hook_resources, HARDENED)},
            "prometheus": {"enabled": True, "servicemonitor": {"enabled": p.service_monitor}},
            # HTTP-01 challenges through the Gateway (the ClusterIssuers' gatewayHTTPRoute solver)
            "config": {"apiVersion": "controller.config.cert-manager.io/v1alpha1", "kind": "ControllerConfiguration",
                       "enableGatewayAPI": True},
        }
        super().__init__(scope, "cert-manager", p.namespace, versions.CERT_MANAGER, values)
        self.props = props
        if p.service_monitor:
            self.scrape(MetricsEndpoint(port="tcp-prometheus-servicemonitor", monitor="chart", metrics=(
                "certmanager_certificate_expiration_timestamp_seconds", "certmanager_certificate_ready_status")))
