"""The cluster-services layer of one environment."""
from __future__ import annotations

import cdk8s

from components.cluster.cert_manager import CertManager, CertManagerProps
from components.cluster.cluster_issuers import ClusterIssuers, ClusterIssuersProps, Dns01Props
from components.cluster.external_secrets import ExternalSecrets, ExternalSecretsProps
from components.cluster.ingress_nginx import IngressNginx, IngressNginxProps
from components.cluster.metallb import MetalLB, MetalLBProps
from components.cluster.metallb_pools import MetalLBPools, MetalLBPoolsProps, Pool
from components.cluster.nfs_provisioner import NfsProvisioner, NfsProvisionerProps
from components.cluster.prometheus_crds import PrometheusOperatorCrds


def build(scope: cdk8s.App, ctx) -> list:
    env = ctx.cluster
    cm, lb, nfs, ic = env.cert_manager, env.metallb, env.nfs, env.ingress_controller
    dns01 = Dns01Props(provider=cm.dns01.provider, dns_zones=tuple(cm.dns01.dns_zones)) if cm.dns01 else None
    return [
        PrometheusOperatorCrds(scope),
        ExternalSecrets(scope, ExternalSecretsProps(resources=env.secrets.operator_resources,
                                                    replicas=env.secrets.operator_replicas)),
        CertManager(scope, CertManagerProps(resources=cm.resources, replicas=cm.replicas)),
        MetalLB(scope, MetalLBProps(controller_resources=lb.controller_resources,
                                    speaker_resources=lb.speaker_resources)),
        NfsProvisioner(scope, NfsProvisionerProps(
            server=nfs.server, path=nfs.path, storage_class=nfs.storage_class.name,
            reclaim_policy=nfs.storage_class.reclaim_policy, archive_on_delete=nfs.storage_class.archive_on_delete,
            default_class=nfs.storage_class.default, resources=nfs.resources)),
        ClusterIssuers(scope, ClusterIssuersProps(email=cm.acme_email, ingress_class=ic.class_name, dns01=dns01)),
        MetalLBPools(scope, MetalLBPoolsProps(
            pools=tuple(Pool(p.name, tuple(p.addresses), p.auto_assign) for p in lb.pools),
            l2_interfaces=tuple(lb.l2_interfaces))),
        IngressNginx(scope, IngressNginxProps(
            class_name=ic.class_name, replicas=ic.replicas, resources=ic.resources, namespace=ic.namespace,
            default_class=ic.default_class, load_balancer_ip=ic.load_balancer_ip)),
    ]
