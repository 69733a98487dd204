"""The application layer of one environment: the Plate services, their namespace and Ingress."""
from __future__ import annotations

import cdk8s

from components.network import Peer
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING  # Prometheus scrapes from there
from components.plate.admin import PlateAdmin
from components.plate.cache import METRICS_PORT as CACHE_METRICS_PORT
from components.plate.cache import PORT as CACHE_PORT
from components.plate.cache import PlateCache, PlateCacheProps
from components.plate.ingress import Host, PlateIngress, PlateIngressProps, Route
from components.plate.llm import PlateLlm
from components.plate.namespace import PlateNamespace, PlateNamespaceProps
from components.plate.server import PlateServer
from components.plate.service import PlateService
from components.plate.web import PlateWeb
from envs.model import App

SERVICE_PORT = 8080


def _service(cls: type[PlateService], ctx, app: App, pull_secret: str, **extra):
    env = ctx.env
    return cls.Props(
        namespace=env.namespace, image=app.image, replicas=app.replicas, resources=app.resources,
        secret_store=ctx.store(env.namespace), secrets_path=app.secrets_path, hardening=ctx.hardening,
        autoscaling=app.autoscaling, disruption_budget_min_available=app.disruption_budget_min_available,
        pull_secret=pull_secret, port=SERVICE_PORT, metrics_from=(Peer(namespace=MONITORING, port=SERVICE_PORT),),
        **{"config": app.config, "egress_to": tuple(Peer(cidr=c) for c in app.egress_cidrs), **extra},
    )


def build(scope: cdk8s.App, ctx) -> list:
    env, a = ctx.env, ctx.env.apps
    controller = Peer(namespace=env.ingress_controller.namespace, port=SERVICE_PORT)

    namespace = PlateNamespace(scope, PlateNamespaceProps(
        name=env.namespace, registry=a.web.image.registry, registry_pull_path=env.secrets.registry_pull_path,
        secret_store=ctx.store(env.namespace)))
    pull = namespace.props.pull_secret

    cache = PlateCache(scope, PlateCacheProps(
        namespace=env.namespace, image=a.cache.image, exporter_image=a.cache.exporter_image,
        resources=a.cache.resources, exporter_resources=a.cache.exporter_resources,
        storage_size=a.cache.storage_size, storage_class=env.storage_class, secret_store=ctx.store(env.namespace),
        secrets_path=a.cache.secrets_path, max_memory=a.cache.max_memory, hardening=ctx.hardening,
        ingress_from=(Peer(app="plate-server", port=CACHE_PORT),),
        metrics_from=(Peer(namespace=MONITORING, port=CACHE_METRICS_PORT),)))

    llm = PlateLlm(scope, _service(
        PlateLlm, ctx, a.llm, pull,
        gpu_count=a.llm.gpu_count, gpu_resource=a.llm.gpu_resource, node_selector=a.llm.node_selector,
        tolerations=tuple(a.llm.tolerations), model_cache_size=a.llm.model_cache_size,
        ingress_from=(controller, Peer(app="plate-server", port=SERVICE_PORT))))

    cache_password = {"name": "CACHE_PASSWORD",
                      "valueFrom": {"secretKeyRef": {"name": cache.props.password_secret, "key": "password"}}}
    server = PlateServer(scope, _service(
        PlateServer, ctx, a.server, pull,
        config={"CACHE_ADDR": f"{cache.props.name}:{CACHE_PORT}", "LLM_URL": "http://plate-llm", **a.server.config},
        env=(cache_password,),
        ingress_from=(controller,),
        egress_to=(Peer(app=cache.props.name, port=CACHE_PORT), Peer(app=llm.props.name, port=SERVICE_PORT),
                   *(Peer(cidr=c) for c in a.server.egress_cidrs))))

    web = PlateWeb(scope, _service(PlateWeb, ctx, a.web, pull, ingress_from=(controller,)))
    admin = PlateAdmin(scope, _service(PlateAdmin, ctx, a.admin, pull, ingress_from=(controller,)))

    hosts = (
        Host(env.hosts.app, "plate-app-tls", (Route("/api", server.props.name), Route("/admin", admin.props.name),
                                             Route("/", web.props.name))),
        Host(env.hosts.llm, "plate-llm-tls", (Route("/", llm.props.name),)),
    )
    ingress = PlateIngress(scope, PlateIngressProps(
        namespace=env.namespace, class_name=env.ingress_controller.class_name,
        cluster_issuer=env.ingress.cluster_issuer, hosts=hosts, tls=env.ingress.tls,
        max_body_size=env.ingress.max_body_size))

    return [namespace, cache, llm, server, web, admin, ingress]
