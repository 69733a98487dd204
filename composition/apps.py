"""The application layer of one environment: its namespace, its services, their routes.

Services come from configuration (``services`` of the environment): each ``kind`` is one
component class, each key one component ``plate-<key>``. What a service ``uses`` becomes the
flows between them (egress here, ingress there) and its addresses (``<KEY>_URL`` for an HTTP
service, ``<KEY>_ADDR`` and ``<KEY>_PASSWORD`` for a cache). Routes send hosts and paths to
services; only the ingress controller may reach a routed service.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from constructs import Construct

from components.cluster.envoy_gateway import PROXY_LABELS
from components.flows import pods
from components.network import AppPeer, NamespacePeer, Peer
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING  # Prometheus scrapes from there
from components.observability.kube_prometheus_stack import PROMETHEUS_PODS
from components.plate.admin import PlateAdmin
from components.plate.cache import METRICS_PORT as CACHE_METRICS_PORT
from components.plate.cache import PORT as CACHE_PORT
from components.plate.cache import PlateCache, PlateCacheProps
from components.plate.llm import PlateLlm
from components.plate.namespace import PlateNamespace, PlateNamespaceProps
from components.plate.routes import PlateRoutes, PlateRoutesProps, RoutedService
from components.plate.server import PlateServer
from components.plate.service import HTTP_PORT, PlateService
from components.plate.web import PlateWeb
from components.plate.worker import PlateWorker
from components.routing import Sso
from components.tools.dex import client_secret_path
from composition.tools import issuer
from composition.wiring import props
from envs.model import CacheService

if TYPE_CHECKING:
    from components.core import Component
    from components.k8s.api import EnvVar
    from composition import EnvContext

SERVICE_PORT = 8080
CLASSES: dict[str, type[PlateService]] = {"web": PlateWeb, "admin": PlateAdmin, "server": PlateServer,
                                          "llm": PlateLlm, "worker": PlateWorker}


def component_name(key: str) -> str:
    return f"plate-{key}"


def _variable(key: str) -> str:
    return key.upper().replace("-", "_")


def build(scope: Construct, ctx: EnvContext) -> list[Component]:
    env, cluster = ctx.env, ctx.cluster
    controller = NamespacePeer(namespace=cluster.edge.namespace, port=SERVICE_PORT,
                               pods=pods(dict(PROXY_LABELS)))  # the Gateway's Envoy proxies
    routed = {target for route in env.routes.values() for target in route.paths.values()}
    callers: dict[str, list[str]] = {}
    for key, service in env.services.items():
        for used in getattr(service, "uses", []):
            callers.setdefault(used, []).append(key)

    registry = next((s.image.registry for s in env.services.values() if not isinstance(s, CacheService)),
                    cluster.hosts.harbor)
    namespace = PlateNamespace(scope, PlateNamespaceProps(
        name=env.namespace, registry=registry, registry_pull_path=env.secrets.registry_pull_path,
        secret_store=ctx.store(env.namespace)))
    pull = namespace.props.pull_secret
    built: list[Component] = [namespace]

    for key, service in sorted(env.services.items(), key=lambda kv: (not isinstance(kv[1], CacheService), kv[0])):
        name = component_name(key)
        if isinstance(service, CacheService):
            built.append(PlateCache(scope, props(
                PlateCacheProps, service, name=name, namespace=env.namespace, storage_class=cluster.storage_class,
                secret_store=ctx.store(env.namespace), hardening=ctx.hardening,
                ingress_from=tuple(AppPeer(app=component_name(c), port=CACHE_PORT) for c in sorted(callers.get(key, []))),
                metrics_from=(NamespacePeer(namespace=MONITORING, port=CACHE_METRICS_PORT, pods=pods(PROMETHEUS_PODS)),))))
            continue
        config: dict[str, str] = {}
        extra_env: list[EnvVar] = []
        egress: list[Peer] = []
        for used in service.uses:
            target = env.services[used]
            if isinstance(target, CacheService):
                config[f"{_variable(used)}_ADDR"] = f"{component_name(used)}:{CACHE_PORT}"
                extra_env.append({"name": f"{_variable(used)}_PASSWORD", "valueFrom": {"secretKeyRef": {
                    "name": f"{component_name(used)}-auth", "key": "password"}}})
                egress.append(AppPeer(app=component_name(used), port=CACHE_PORT))
            else:
                config[f"{_variable(used)}_URL"] = f"http://{component_name(used)}"
                egress.append(AppPeer(app=component_name(used), port=SERVICE_PORT))
        ingress_from = ((controller,) if key in routed else ()) + tuple(
            AppPeer(app=component_name(c), port=SERVICE_PORT) for c in sorted(callers.get(key, [])))
        cls = CLASSES[service.kind]
        built.append(cls(scope, props(
            cls.Props, service, name=name, namespace=env.namespace, secret_store=ctx.store(env.namespace),
            hardening=ctx.hardening, pull_secret=pull, port=SERVICE_PORT,
            metrics_from=(NamespacePeer(namespace=MONITORING, port=SERVICE_PORT, pods=pods(PROMETHEUS_PODS)),),
            config={**config, **service.config},
            env=tuple(extra_env), ingress_from=ingress_from, egress_to=tuple(egress))))

    if env.routes:
        routes = tuple(RoutedService(route.host, path, component_name(target), HTTP_PORT,
                                     CLASSES[env.services[target].kind].audience)
                       for _, route in sorted(env.routes.items()) for path, target in sorted(route.paths.items()))
        client = f"plate-{env.name}"
        built.append(PlateRoutes(scope, props(
            PlateRoutesProps, env.ingress, namespace=env.namespace, gateway=ctx.gateway, routes=routes, client=client,
            sso=Sso(issuer(cluster), client_secret_path(cluster.sso.clients_path, client), ctx.store(env.namespace)))))
    return built
