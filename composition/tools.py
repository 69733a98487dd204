"""The development-tools layer of one environment: OpenBao, the secret stores, credentials."""
from __future__ import annotations

import cdk8s

from components.cluster.cluster_issuers import DNS01_SECRET, INTERNAL_ISSUER
from components.network import Peer
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.secrets import RemoteValue
from components.tools.argo_cd import ArgoCD, ArgoCDProps, ResourceExclusion
from components.tools.credentials import Credentials, CredentialsProps
from components.tools.harbor import ExternalDatabase as ExternalDatabaseProps
from components.tools.harbor import ExternalRedis as ExternalRedisProps
from components.tools.harbor import Harbor, HarborProps
from components.tools.harbor import Persistence as HarborPersistenceProps
from components.tools.jenkins import Jenkins, JenkinsProps
from components.tools.kubernetes_dashboard import DashboardProps, KubernetesDashboard
from components.tools.openbao import API_PORT, OpenBao, OpenBaoProps
from components.tools.secret_stores import Consumer, SecretStores, SecretStoresProps

ESO_NAMESPACE = "external-secrets"


def build(scope: cdk8s.App, ctx) -> list:
    env = ctx.cluster
    bao = env.openbao
    seal = bao.seal.model_dump(exclude={"type"})
    openbao = OpenBao(scope, OpenBaoProps(
        image=bao.image, resources=bao.resources, storage_class=env.storage_class, data_size=bao.data_size,
        audit_size=bao.audit_size, host=env.hosts.openbao, ingress_class=env.ingress_controller.class_name,
        cluster_issuer=env.ingress.cluster_issuer, internal_issuer=INTERNAL_ISSUER, replicas=bao.replicas,
        storage=bao.storage, ui=bao.ui, tls=env.ingress.tls, seal_type=bao.seal.type,
        seal_options={k: str(v) for k, v in seal.items()}, hardening=ctx.hardening,
        ingress_from=(Peer(namespace=ESO_NAMESPACE, port=API_PORT),
                      Peer(namespace=env.ingress_controller.namespace, port=API_PORT),
                      Peer(namespace=MONITORING, port=API_PORT))))
    built: list = [openbao]
    if env.cert_manager.dns01:
        built.append(Credentials(scope, CredentialsProps(
            name="acme-dns01-credentials", namespace="cert-manager", secret_name=DNS01_SECRET,
            values=(RemoteValue("api-token", env.cert_manager.dns01.api_token_path, "api-token"),),
            secret_store=ctx.store("cert-manager"))))
    return [*built, *delivery(scope, ctx)]


def secret_stores(scope: cdk8s.App, ctx, built: list) -> SecretStores:
    """One store per namespace that has ExternalSecrets, granting exactly the paths they read."""
    paths: dict[str, set[str]] = {}
    for component in built:
        for m in getattr(component, "manifests", []):
            if m["kind"] != "ExternalSecret":
                continue
            keys = {d["remoteRef"]["key"] for d in m["spec"].get("data", [])}
            keys |= {d["extract"]["key"] for d in m["spec"].get("dataFrom", []) if "extract" in d}
            paths.setdefault(m["metadata"]["namespace"], set()).update(keys)
    env = ctx.cluster
    bao = next(c for c in built if isinstance(c, OpenBao))
    return SecretStores(scope, SecretStoresProps(
        consumers=tuple(Consumer(ns, tuple(sorted(p))) for ns, p in sorted(paths.items())),
        server=f"https://{bao.props.name}.{bao.props.namespace}.svc:{API_PORT}", ca_secret=bao.tls_secret,
        ca_namespace=bao.props.namespace,
        kv_mount=env.secrets.kv_mount, auth_mount=env.secrets.auth_mount, role_prefix=f"eso-{env.name}",
        namespace=ESO_NAMESPACE))


def delivery(scope: cdk8s.App, ctx) -> list:
    """Argo CD managing itself, Jenkins, Harbor and the Kubernetes Dashboard."""
    env = ctx.cluster
    ic, tls, issuer = env.ingress_controller.class_name, env.ingress.tls, env.ingress.cluster_issuer
    a, j, h, d = env.argocd, env.jenkins, env.harbor, env.dashboard
    argo = ArgoCD(scope, ArgoCDProps(
        domain=env.hosts.argocd, ingress_class=ic, cluster_issuer=issuer, tls=tls, admin_groups=tuple(a.admin_groups),
        readonly_groups=tuple(a.readonly_groups), repo_url=env.gitops.repo_url, admin_user=a.admin_user,
        repo_credentials_path=a.repo_credentials_path, replicas=a.replicas, namespace=env.gitops.argocd_namespace,
        resource_exclusions=tuple(ResourceExclusion(api_groups=tuple(e.api_groups), kinds=tuple(e.kinds),
                                                    clusters=tuple(e.clusters)) for e in a.resource_exclusions),
        controller_resources=a.controller_resources, server_resources=a.server_resources,
        repo_server_resources=a.repo_server_resources, secret_store=ctx.store(env.gitops.argocd_namespace)))
    jenkins = Jenkins(scope, JenkinsProps(
        host=env.hosts.jenkins, ingress_class=ic, cluster_issuer=issuer, tls=tls, storage_class=env.storage_class,
        storage_size=j.storage_size, build_cache_size=j.build_cache_size, resources=j.resources,
        agent_resources=j.agent_resources, admin_credentials_path=j.admin_credentials_path,
        secret_store=ctx.store("jenkins")))
    harbor = Harbor(scope, HarborProps(
        host=env.hosts.harbor, ingress_class=ic, cluster_issuer=issuer, tls=tls, internal_issuer=INTERNAL_ISSUER,
        storage_class=env.storage_class, persistence=HarborPersistenceProps(**h.persistence.model_dump()),
        secrets_path=h.secrets_path, secret_store=ctx.store("harbor"), database=h.database, redis=h.redis,
        external_database=ExternalDatabaseProps(**h.external_database.model_dump()) if h.external_database else None,
        external_redis=ExternalRedisProps(**h.external_redis.model_dump()) if h.external_redis else None))
    dashboard = KubernetesDashboard(scope, DashboardProps(
        ingress=d.ingress, host=env.hosts.dashboard, ingress_class=ic, cluster_issuer=issuer, tls=tls,
        cluster_admin=d.cluster_admin))
    return [argo, jenkins, harbor, dashboard]
