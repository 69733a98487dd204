"""plate-routes: the environment's hosts at the cluster's Gateway, one HTTPRoute per routed service.

Each service says to whom it answers (``audience`` of its class): the web and API are public; the
admin and the LLM are for operators, behind Envoy Gateway's OIDC login against the platform's Dex
(client ``plate-<environment>``). No /metrics through the Gateway: Prometheus scrapes in-cluster.
Every route has the environment's body limit and request timeout.
"""
from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from components.core import Component, labels
from components.routing import (
    OIDC_CALLBACK,
    Audience,
    Backend,
    GatewayRef,
    IngressSettings,
    Served,
    Sso,
    body_limit_policy,
    gateway_sso,
    http_route,
    not_found_filter,
)
from components.types import PROPS_CONFIG


@dataclass(frozen=True)
class RoutedService:
    """A service behind a host and path prefix, and its audience."""

    host: str
    path: str
    service: str
    port: int
    audience: Audience


class PlateRoutesProps(IngressSettings):
    model_config = PROPS_CONFIG

    namespace: str  # required
    gateway: GatewayRef  # required
    routes: tuple[RoutedService, ...]  # required
    client: str  # required: the environment's Dex client (operators' routes)
    sso: Sso  # required


METRICS_PATH = "/metrics"  # where every Plate service serves its metrics (components/plate/service.py)


def callback(path: str) -> str:
    """The OIDC callback under the route's own prefix, where its filter sees it."""
    return path.rstrip("/") + OIDC_CALLBACK


class PlateRoutes(Component):
    layer = "apps"
    rank = 5  # last: its backends exist first
    Props = PlateRoutesProps

    def __init__(self, scope: Construct, props: PlateRoutesProps):
        super().__init__(scope, "plate-routes", props.namespace, pod_security=None)
        self.props = p = props
        lbls = labels("plate-routes", "routing")
        blocking = False
        ordered = sorted(p.routes, key=lambda r: (r.host, r.path))
        counts: dict[str, int] = {}
        for r in ordered:
            counts[r.service] = counts.get(r.service, 0) + 1
        seen: dict[str, int] = {}
        for r in ordered:
            # one route per (host, path): a service reached under two paths or hosts gets one each
            seen[r.service] = seen.get(r.service, 0) + 1
            name = r.service if counts[r.service] == 1 else f"{r.service}-{seen[r.service]}"
            protected = r.audience == "operators"
            served = Served(r.host, p.namespace, r.audience, "gateway-oidc" if protected else "none",
                            (callback(r.path),) if protected else (), p.client if protected else None,
                            p.cluster_issuer)
            self.serve(served)
            # the service's metrics endpoint is for Prometheus in-cluster: answered 404 at the edge when the
            # route's prefix would reach it
            blocked = (METRICS_PATH,) if METRICS_PATH.startswith(r.path.rstrip("/") + "/") else ()
            blocking = blocking or bool(blocked)
            self.add(http_route(name, p.namespace, lbls, served, p.gateway, (Backend(r.path, r.service, r.port),),
                                blocked))
            self.add(body_limit_policy(name, p.namespace, lbls, name, p.max_body_size, p.request_timeout))
            if protected:
                for obj in gateway_sso(name, p.namespace, lbls, served, p.sso, r.path.rstrip("/")):
                    self.add(obj)
        if blocking:
            self.add(not_found_filter(p.namespace, lbls))
