"""The development-tools layer of one cluster: OpenBao, the secret stores, Argo CD, Jenkins, Harbor, the dashboard."""
from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from components.cluster.cluster_issuers import DNS01_SECRET, INTERNAL_ISSUER
from components.flows import pods
from components.network import NamespacePeer
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.observability.kube_prometheus_stack import PROMETHEUS_PODS
from components.routing import Sso
from components.secrets import RemoteValue
from components.tools.argo_cd import ArgoCD, ArgoCDProps
from components.tools.credentials import Credentials, CredentialsProps
from components.tools.dex import Client, Dex, DexProps, client_secret_path
from components.tools.harbor import Harbor, HarborProps
from components.tools.headlamp import Headlamp, HeadlampProps
from components.tools.jenkins import Jenkins, JenkinsProps
from components.tools.openbao import API_PORT, METRICS_TOKEN, OpenBao, OpenBaoProps
from components.tools.secret_stores import Consumer, Grant, SecretStores, SecretStoresProps
from composition import public_keys
from composition.wiring import props

if TYPE_CHECKING:
    from components.core import Component
    from composition import ClusterContext
    from envs.model import Cluster

ESO_NAMESPACE = "external-secrets"


def build(scope: Construct, ctx: ClusterContext) -> list[Component]:
    c = ctx.cluster
    # internal: External Secrets and Prometheus reach it in-cluster; nothing routes to it from outside
    openbao = OpenBao(scope, props(
        OpenBaoProps, c.openbao, storage_class=c.storage_class, internal_issuer=INTERNAL_ISSUER,
        hardening=ctx.hardening,
        ingress_from=(NamespacePeer(namespace=ESO_NAMESPACE, port=API_PORT),
                      NamespacePeer(namespace=MONITORING, port=API_PORT, pods=pods(PROMETHEUS_PODS)))))
    # Prometheus's token for OpenBao's sys/metrics (made by an operator with a policy that may read it)
    metrics_token = Credentials(scope, CredentialsProps(
        name="openbao-metrics-token", namespace=openbao.props.namespace, secret_name=METRICS_TOKEN,
        values=(RemoteValue("token", f"{c.secrets.path_prefix}/openbao/metrics", "token"),),
        secret_store=ctx.store(openbao.props.namespace)))
    built: list[Component] = [openbao, metrics_token]
    if c.cert_manager.dns01:
        built.append(Credentials(scope, CredentialsProps(
            name="acme-dns01-credentials", namespace="cert-manager", secret_name=DNS01_SECRET,
            values=(RemoteValue("api-token", c.cert_manager.dns01.api_token_path, "api-token"),),
            secret_store=ctx.store("cert-manager"))))
    return [*built, *delivery(scope, ctx)]


def secret_stores(scope: Construct, ctx: ClusterContext, built: list[Component]) -> SecretStores:
    """One store per namespace that has ExternalSecrets, granting exactly the paths they read."""
    paths: dict[str, set[str]] = {}
    for component in built:
        for namespace, path, _ in component.info.secrets:
            paths.setdefault(namespace, set()).add(path)
    c = ctx.cluster
    bao = next(c for c in built if isinstance(c, OpenBao))
    grants = tuple(Grant(state.name, component.info.namespace, state.name, "sys/storage/raft/snapshot", ("read",),
                         f"the {state.name} backup: it may take a raft snapshot, nothing else")
                   for component in built for state in component.state if state.method == "raft-snapshot")
    return SecretStores(scope, SecretStoresProps(
        grants=grants,
        consumers=tuple(Consumer(ns, tuple(sorted(p))) for ns, p in sorted(paths.items())),
        server=f"https://{bao.props.name}.{bao.props.namespace}.svc:{API_PORT}", ca_secret=bao.tls_secret,
        ca_namespace=bao.props.namespace,
        kv_mount=c.secrets.kv_mount, auth_mount=c.secrets.auth_mount, role_prefix=f"eso-{c.name}",
        namespace=ESO_NAMESPACE))


def issuer(cluster: Cluster) -> str:
    return f"https://{cluster.hosts.dex}"


def delivery(scope: Construct, ctx: ClusterContext) -> list[Component]:
    """Argo CD managing itself, Jenkins, Harbor and Headlamp."""
    c = ctx.cluster
    argo = ArgoCD(scope, props(ArgoCDProps, c.argocd, domain=c.hosts.argocd, repo_url=c.gitops.repo_url,
                               namespace=c.gitops.argocd_namespace, secret_store=ctx.store(c.gitops.argocd_namespace),
                               gateway=ctx.gateway, tls=c.ingress.tls, sso_issuer=issuer(c),
                               sso_secret_path=client_secret_path(c.sso.clients_path, "argocd"),
                               gpg_keys=public_keys(c),
                               application_namespaces=tuple(ctx.apps_namespace(e) for e in ctx.environments)))
    jenkins = Jenkins(scope, props(JenkinsProps, c.jenkins, host=c.hosts.jenkins, storage_class=c.storage_class,
                                   secret_store=ctx.store("jenkins"), gateway=ctx.gateway, tls=c.ingress.tls,
                                   sso=Sso(issuer(c), client_secret_path(c.sso.clients_path, "jenkins"),
                                           ctx.store("jenkins"))))
    projects = tuple(sorted({(e.registry_project, e.secrets.registry_pull_path) for e in ctx.environments} | {
        # the agent images of Jenkins' pipelines kept in this Harbor: their project and pull robot
        (pl.agent_image.repository.split("/", 1)[0], pl.agent_pull_path) for pl in c.jenkins.pipelines
        if pl.agent_pull_path and pl.agent_image.registry == c.hosts.harbor and "/" in pl.agent_image.repository}))
    immutable = tuple(sorted({e.registry_project for e in ctx.environments if e.tier == "production"}))
    harbor = Harbor(scope, props(HarborProps, c.harbor, host=c.hosts.harbor, internal_issuer=INTERNAL_ISSUER,
                                 storage_class=c.storage_class, secret_store=ctx.store("harbor"), projects=projects,
                                 immutable_projects=immutable,
                                 secret_store_kv_mount=c.secrets.kv_mount, gateway=ctx.gateway, tls=c.ingress.tls,
                                 sso_issuer=issuer(c), admin_groups=tuple(c.argocd.admin_groups),
                                 sso_secret_path=client_secret_path(c.sso.clients_path, "harbor")))
    headlamp = Headlamp(scope, props(HeadlampProps, c.dashboard, host=c.hosts.dashboard, gateway=ctx.gateway,
                                     issuer=issuer(c), secret_store=ctx.store("headlamp"),
                                     client_secret_path=client_secret_path(c.sso.clients_path, "headlamp")))
    return [argo, jenkins, harbor, headlamp]


def dex(scope: Construct, ctx: ClusterContext, built: list[Component]) -> Dex:
    """The platform's Dex, with one client per consumer that logs in through it (derived from the
    hosts the components serve with single sign-on)."""
    c = ctx.cluster
    clients: dict[str, list[str]] = {}
    for component in built:
        for served in component.info.served:
            if served.client:
                clients.setdefault(served.client, []).extend(f"https://{served.host}{path}"
                                                             for path in served.redirect_paths)
    return Dex(scope, props(DexProps, c.sso, host=c.hosts.dex, gateway=ctx.gateway, secret_store=ctx.store("dex"),
                            clients=tuple(Client(cid, cid, tuple(sorted(set(uris))))
                                          for cid, uris in sorted(clients.items()))))
