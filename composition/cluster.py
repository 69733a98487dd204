"""The cluster-services layer of one cluster (the edge's Gateway is derived at the end: composition.edge)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from components.cluster.cert_manager import CertManager, CertManagerProps
from components.cluster.cluster_issuers import ClusterIssuers, ClusterIssuersProps
from components.cluster.envoy_gateway import EnvoyGateway, EnvoyGatewayProps
from components.cluster.external_secrets import ExternalSecrets, ExternalSecretsProps
from components.cluster.metallb import MetalLB, MetalLBProps
from components.cluster.metallb_pools import MetalLBPools, MetalLBPoolsProps
from components.cluster.nfs_provisioner import BackupExport, NfsProvisioner, NfsProvisionerProps
from components.cluster.prometheus_crds import PrometheusOperatorCrds
from composition.wiring import props

if TYPE_CHECKING:
    from components.core import Component
    from composition import ClusterContext


def build(scope: Construct, ctx: ClusterContext) -> list[Component]:
    c = ctx.cluster
    return [
        PrometheusOperatorCrds(scope),
        ExternalSecrets(scope, props(ExternalSecretsProps, c.secrets)),
        CertManager(scope, props(CertManagerProps, c.cert_manager)),
        MetalLB(scope, props(MetalLBProps, c.metallb)),
        NfsProvisioner(scope, props(NfsProvisionerProps, c.nfs, backups=BackupExport(
            storage_class=c.backups.storage_class, server=c.backups.target.server, path=c.backups.target.path))),
        ClusterIssuers(scope, props(ClusterIssuersProps, c.cert_manager, gateway=ctx.gateway)),
        MetalLBPools(scope, props(MetalLBPoolsProps, c.metallb)),
        EnvoyGateway(scope, props(EnvoyGatewayProps, c.edge)),
    ]
