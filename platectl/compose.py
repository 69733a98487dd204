"""The composition root: turn one validated Environment into component props and constructs.

This is the only place that reads an ``Environment``. Components receive plain props; the
flows between them (who may call whom) are declared once here.
"""
from __future__ import annotations

import cdk8s

from components.argocd.app_of_apps import AppOfAppsProps, AppsChart, BootstrapChart
from components.core import Component
from components.network import Peer
from components.plate.admin import PlateAdmin, PlateAdminProps
from components.plate.cache import PORT as CACHE_PORT
from components.plate.cache import PlateCache, PlateCacheProps
from components.plate.ingress import Host, PlateIngress, PlateIngressProps, Route
from components.plate.llm import PlateLlm, PlateLlmProps
from components.plate.namespace import PlateNamespace, PlateNamespaceProps
from components.plate.server import PlateServer, PlateServerProps
from components.plate.service import PlateService
from components.plate.web import PlateWeb
from components.secrets import SecretStoreRef
from components.workload import Hardening
from envs import ConfigError
from envs.model import App, Environment

# What each named security profile means for a workload (see envs/model.py SecurityProfile).
HARDENING = {
    "hardened": Hardening(),
    "standard": Hardening(read_only_root_filesystem=False, cpu_limits=False),
}
SERVICE_PORT = 8080


def _service_props(cls: type[PlateService], environment: Environment, app: App, store: SecretStoreRef,
                   pull_secret: str, **extra) -> object:
    return cls.Props(
        namespace=environment.namespace,
        image=app.image,
        replicas=app.replicas,
        resources=app.resources,
        secret_store=store,
        secrets_path=app.secrets_path,
        hardening=HARDENING[environment.security_profile],
        autoscaling=app.autoscaling,
        disruption_budget_min_available=app.disruption_budget_min_available,
        pull_secret=pull_secret,
        port=SERVICE_PORT,
        **{"config": app.config, **extra},
    )


def compose(app: cdk8s.App, env: Environment) -> list[Component]:
    """Add every component of ``env`` to ``app``, then the Applications that deploy them."""
    store = SecretStoreRef(env.secrets.store_name, env.secrets.store_kind, env.secrets.refresh_interval)
    hardening = HARDENING[env.security_profile]
    a = env.apps
    controller = Peer(namespace=env.ingress.controller_namespace, port=SERVICE_PORT)

    namespace = PlateNamespace(app, PlateNamespaceProps(
        name=env.namespace, registry=a.web.image.registry, registry_pull_path=env.secrets.registry_pull_path,
        secret_store=store))
    pull = namespace.props.pull_secret

    cache = PlateCache(app, PlateCacheProps(
        namespace=env.namespace, image=a.cache.image, exporter_image=a.cache.exporter_image,
        resources=a.cache.resources, exporter_resources=a.cache.exporter_resources,
        storage_size=a.cache.storage_size, storage_class=env.storage_class, secret_store=store,
        secrets_path=a.cache.secrets_path, max_memory=a.cache.max_memory, hardening=hardening,
        ingress_from=(Peer(app="plate-server", port=CACHE_PORT),)))

    llm = PlateLlm(app, _service_props(
        PlateLlm, env, a.llm, store, pull,
        gpu_count=a.llm.gpu_count, gpu_resource=a.llm.gpu_resource, node_selector=a.llm.node_selector,
        tolerations=tuple(a.llm.tolerations), model_cache_size=a.llm.model_cache_size,
        ingress_from=(controller, Peer(app="plate-server", port=SERVICE_PORT)),
        egress_to=tuple(Peer(cidr=c) for c in a.llm.egress_cidrs)))

    cache_password = {"name": "CACHE_PASSWORD",
                      "valueFrom": {"secretKeyRef": {"name": cache.props.password_secret, "key": "password"}}}
    server = PlateServer(app, _service_props(
        PlateServer, env, a.server, store, pull,
        config={"CACHE_ADDR": f"{cache.props.name}:{CACHE_PORT}", "LLM_URL": "http://plate-llm",
                **a.server.config},
        env=(cache_password,),
        ingress_from=(controller,),
        egress_to=(Peer(app=cache.props.name, port=CACHE_PORT), Peer(app=llm.props.name, port=SERVICE_PORT),
                   *(Peer(cidr=c) for c in a.server.egress_cidrs))))

    web = PlateWeb(app, _service_props(
        PlateWeb, env, a.web, store, pull, ingress_from=(controller,),
        egress_to=tuple(Peer(cidr=c) for c in a.web.egress_cidrs)))
    admin = PlateAdmin(app, _service_props(
        PlateAdmin, env, a.admin, store, pull, ingress_from=(controller,),
        egress_to=tuple(Peer(cidr=c) for c in a.admin.egress_cidrs)))

    hosts = (
        Host(env.hosts.app, "plate-app-tls", (Route("/api", server.props.name), Route("/admin", admin.props.name),
                                             Route("/", web.props.name))),
        Host(env.hosts.llm, "plate-llm-tls", (Route("/", llm.props.name),)),
    )
    ingress = PlateIngress(app, PlateIngressProps(
        namespace=env.namespace, class_name=env.ingress.class_name, cluster_issuer=env.ingress.cluster_issuer,
        hosts=hosts, tls=env.ingress.tls, max_body_size=env.ingress.max_body_size))

    components: list[Component] = [namespace, cache, llm, server, web, admin, ingress]
    infos = [c.info for c in components]

    unknown = sorted(set(env.gitops.prune) - {i.name for i in infos})
    if unknown:
        raise ConfigError(env.name, "app-of-apps", f"gitops.prune.{unknown[0]}",
                          f"no such component; rendered: {', '.join(sorted(i.name for i in infos))}")
    aoa = AppOfAppsProps(
        environment=env.name, repo_url=env.gitops.repo_url, revision=env.gitops.rendered_branch,
        argocd_namespace=env.gitops.argocd_namespace, destination_server=env.gitops.destination.server,
        prune=dict(env.gitops.prune), retry_limit=env.gitops.retry_limit)
    AppsChart(app, aoa, infos)
    BootstrapChart(app, aoa)
    return components

