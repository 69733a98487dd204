"""The development-tools layer of one cluster: OpenBao, the secret stores, Argo CD, Jenkins, Harbor, the dashboard."""
from __future__ import annotations

from constructs import Construct

from components.cluster.cluster_issuers import DNS01_SECRET, INTERNAL_ISSUER
from components.network import Peer
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.secrets import RemoteValue
from components.tools.argo_cd import ArgoCD, ArgoCDProps
from components.tools.credentials import Credentials, CredentialsProps
from components.tools.harbor import Harbor, HarborProps
from components.tools.jenkins import Jenkins, JenkinsProps
from components.tools.kubernetes_dashboard import DashboardProps, KubernetesDashboard
from components.tools.openbao import API_PORT, OpenBao, OpenBaoProps
from components.tools.secret_stores import Consumer, SecretStores, SecretStoresProps
from composition.wiring import props

ESO_NAMESPACE = "external-secrets"


def build(scope: Construct, ctx) -> list:
    c = ctx.cluster
    openbao = OpenBao(scope, props(
        OpenBaoProps, c.openbao, storage_class=c.storage_class, host=c.hosts.openbao,
        ingress_class=c.ingress_controller.class_name, cluster_issuer=c.ingress.cluster_issuer,
        internal_issuer=INTERNAL_ISSUER, tls=c.ingress.tls, hardening=ctx.hardening,
        ingress_from=(Peer(namespace=ESO_NAMESPACE, port=API_PORT),
                      Peer(namespace=c.ingress_controller.namespace, port=API_PORT),
                      Peer(namespace=MONITORING, port=API_PORT))))
    built: list = [openbao]
    if c.cert_manager.dns01:
        built.append(Credentials(scope, CredentialsProps(
            name="acme-dns01-credentials", namespace="cert-manager", secret_name=DNS01_SECRET,
            values=(RemoteValue("api-token", c.cert_manager.dns01.api_token_path, "api-token"),),
            secret_store=ctx.store("cert-manager"))))
    return [*built, *delivery(scope, ctx)]


def secret_stores(scope: Construct, ctx, built: list) -> SecretStores:
    """One store per namespace that has ExternalSecrets, granting exactly the paths they read."""
    paths: dict[str, set[str]] = {}
    for component in built:
        for namespace, path, _ in component.info.secrets:
            paths.setdefault(namespace, set()).add(path)
    c = ctx.cluster
    bao = next(c for c in built if isinstance(c, OpenBao))
    return SecretStores(scope, SecretStoresProps(
        consumers=tuple(Consumer(ns, tuple(sorted(p))) for ns, p in sorted(paths.items())),
        server=f"https://{bao.props.name}.{bao.props.namespace}.svc:{API_PORT}", ca_secret=bao.tls_secret,
        ca_namespace=bao.props.namespace,
        kv_mount=c.secrets.kv_mount, auth_mount=c.secrets.auth_mount, role_prefix=f"eso-{c.name}",
        namespace=ESO_NAMESPACE))


def delivery(scope: Construct, ctx) -> list:
    """Argo CD managing itself, Jenkins, Harbor and the Kubernetes Dashboard."""
    c = ctx.cluster
    edge = dict(ingress_class=c.ingress_controller.class_name, cluster_issuer=c.ingress.cluster_issuer, tls=c.ingress.tls)
    argo = ArgoCD(scope, props(ArgoCDProps, c.argocd, domain=c.hosts.argocd, repo_url=c.gitops.repo_url,
                               namespace=c.gitops.argocd_namespace, secret_store=ctx.store(c.gitops.argocd_namespace),
                               **edge))
    jenkins = Jenkins(scope, props(JenkinsProps, c.jenkins, host=c.hosts.jenkins, storage_class=c.storage_class,
                                   secret_store=ctx.store("jenkins"), **edge))
    projects = tuple(sorted({(e.registry_project, e.secrets.registry_pull_path) for e in ctx.environments}))
    harbor = Harbor(scope, props(HarborProps, c.harbor, host=c.hosts.harbor, internal_issuer=INTERNAL_ISSUER,
                                 storage_class=c.storage_class, secret_store=ctx.store("harbor"), projects=projects,
                                 secret_store_kv_mount=c.secrets.kv_mount, **edge))
    dashboard = KubernetesDashboard(scope, props(DashboardProps, c.dashboard, host=c.hosts.dashboard, **edge))
    return [argo, jenkins, harbor, dashboard]
