"""Routes through the cluster's Gateway (Gateway API, Envoy Gateway), written once for every component
that serves a host.

Every route declares its audience, and the edge enforces it:

- ``public``: anyone (the Plate applications' hosts);
- ``operators``: the platform's people, behind single sign-on (Dex): either the tool's own OIDC login
  against Dex (``native-oidc``) or Envoy Gateway's OIDC filter in front of it (``gateway-oidc``);
- ``internal``: no route at all (Prometheus, Alertmanager, OpenBao): reachable in-cluster only.

A component records each host it serves (``Component.serve``); the Gateway's listeners, their
certificates and the audiences' checks are derived from those records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from components.meta import metadata
from components.secrets import SecretStoreRef
from components.types import DnsLabel, Duration, Strict

if TYPE_CHECKING:
    from components.k8s.crds import (
        BackendTrafficPolicy,
        ExternalSecret,
        HTTPRoute,
        HTTPRouteFilter,
        HTTPRouteSpecParentRefs,
        HTTPRouteSpecRules,
        SecurityPolicy,
    )

Audience = Literal["public", "operators", "internal"]
Auth = Literal["none", "gateway-oidc", "native-oidc"]
AUDIENCE = "plate.io/audience"
AUTH = "plate.io/auth"
GATEWAY_GROUP = "gateway.networking.k8s.io"


class IngressSettings(Strict):
    """How hosts are served at the edge: TLS from a ClusterIssuer, the largest request body, timeouts."""

    tls: bool
    cluster_issuer: DnsLabel
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]+[kKmMgG]?$")] = "8m"  # "8m": 8 MiB
    request_timeout: Duration = "60s"  # a request must be answered within it
    hsts_max_age_seconds: Annotated[int, Field(ge=0)] = 31_536_000  # Strict-Transport-Security; 0: none


def body_limit(size: str) -> str:
    """``8m`` (nginx style) as a Kubernetes quantity ``8Mi``."""
    unit = size[-1].lower() if size[-1].isalpha() else ""
    return size[:-1] + {"k": "Ki", "m": "Mi", "g": "Gi"}[unit] if unit else size


@dataclass(frozen=True)
class GatewayRef:
    """The cluster's Gateway, which every route attaches to (one HTTPS listener per host)."""

    name: str
    namespace: str

    def parent(self, host: str) -> HTTPRouteSpecParentRefs:
        return {"group": GATEWAY_GROUP, "kind": "Gateway", "name": self.name, "namespace": self.namespace,
                "sectionName": listener_name(host)}


def listener_name(host: str) -> str:
    return host  # a hostname is a valid section name, and says which listener it is


@dataclass(frozen=True)
class Served:
    """A host a component serves through the Gateway, and to whom."""

    host: str
    namespace: str  # where its HTTPRoute lives: the listener admits routes from there only
    audience: Audience
    auth: Auth
    redirect_paths: tuple[str, ...] = ()  # OIDC callback paths on the host (Dex's redirect URIs)
    client: str | None = None  # the Dex client it logs in with (single sign-on)
    cluster_issuer: str | None = None  # its certificate's issuer (default: the cluster's)

    def __post_init__(self) -> None:
        if self.audience == "internal":
            raise ValueError(f"{self.host}: an internal service has no route")
        if self.audience == "operators" and self.auth == "none":
            raise ValueError(f"{self.host}: a route for operators needs single sign-on")
        if (self.auth != "none") != bool(self.client and self.redirect_paths):
            raise ValueError(f"{self.host}: single sign-on needs a Dex client and its callback paths")


def route_annotations(served: Served) -> dict[str, str]:
    return {AUDIENCE: served.audience, AUTH: served.auth}


@dataclass(frozen=True)
class Backend:
    path: str  # a path prefix
    service: str
    port: int


def http_route(name: str, namespace: str, lbls: dict[str, str], served: Served, gateway: GatewayRef,
               backends: tuple[Backend, ...], blocked: tuple[str, ...] = ()) -> HTTPRoute:
    """An HTTPRoute on the host's HTTPS listener. ``blocked``: path prefixes answered 404 at the edge
    (a service's /metrics), through the ``not-found`` filter the edge renders in every namespace that
    needs it (see ``not_found_filter``)."""
    rules: list[HTTPRouteSpecRules] = [
        *({"matches": [{"path": {"type": "PathPrefix", "value": b.path}}],
           "backendRefs": [{"name": b.service, "port": b.port}]} for b in backends),
        *({"matches": [{"path": {"type": "PathPrefix", "value": path}}],
           "filters": [{"type": "ExtensionRef", "extensionRef": {
               "group": "gateway.envoyproxy.io", "kind": "HTTPRouteFilter", "name": NOT_FOUND}}]}
          for path in blocked)]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": metadata(name, namespace, lbls, route_annotations(served)),
            "spec": {"parentRefs": [gateway.parent(served.host)], "hostnames": [served.host], "rules": rules}}


NOT_FOUND = "not-found"


def not_found_filter(namespace: str, lbls: dict[str, str]) -> HTTPRouteFilter:
    """Envoy Gateway's direct response: 404 without reaching the backend."""
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "HTTPRouteFilter",
            "metadata": metadata(NOT_FOUND, namespace, lbls),
            "spec": {"directResponse": {"contentType": "text/plain", "statusCode": 404,
                                        "body": {"type": "Inline", "inline": "not found\n"}}}}


@dataclass(frozen=True)
class Oidc:
    """Envoy Gateway's OIDC login in front of a route (``gateway-oidc``): the issuer is the platform's Dex."""

    issuer: str
    client_id: str
    client_secret: str  # a Secret in the route's namespace with key client-secret
    redirect_path: str  # under the route's own path prefix, so the filter sees the callback


def oidc_policy(name: str, namespace: str, lbls: dict[str, str], route: str, host: str, oidc: Oidc) -> SecurityPolicy:
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy",
            "metadata": metadata(name, namespace, lbls),
            "spec": {"targetRefs": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "name": route}],
                     "oidc": {"provider": {"issuer": oidc.issuer}, "clientID": oidc.client_id,
                              "clientSecret": {"name": oidc.client_secret},
                              "redirectURL": f"https://{host}{oidc.redirect_path}",
                              "logoutPath": oidc.redirect_path.rsplit("/", 1)[0] + "/logout",
                              "scopes": ["openid", "email", "profile", "groups"]}}}


def body_limit_policy(name: str, namespace: str, lbls: dict[str, str], route: str, max_body_size: str,
                      request_timeout: str) -> BackendTrafficPolicy:
    """The largest request body (413 above it) and the request timeout of one route."""
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy",
            "metadata": metadata(name, namespace, lbls),
            "spec": {"targetRefs": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "name": route}],
                     "requestBuffer": {"limit": body_limit(max_body_size)},
                     "timeout": {"http": {"requestTimeout": request_timeout}}}}


@dataclass(frozen=True)
class Sso:
    """What a component needs to put Envoy Gateway's OIDC login in front of a route of its own."""

    issuer: str  # Dex
    secret_path: str  # the Dex client's secret (KV, property client-secret)
    store: SecretStoreRef  # of the route's namespace


def client_secret(name: str, namespace: str, lbls: dict[str, str], sso: Sso, key: str = "client-secret") -> ExternalSecret:
    """A Dex client's secret, from the OpenBao entry Dex reads for the same client, as Secret ``name``
    (under ``key``): for a tool's own OIDC login or the Gateway's filter in front of a route."""
    from components.secrets import RemoteValue, external_secret

    return external_secret(name, namespace, lbls, sso.store, values=(RemoteValue(key, sso.secret_path, "client-secret"),))


def gateway_sso(route: str, namespace: str, lbls: dict[str, str], served: Served, sso: Sso,
                path_prefix: str = "") -> tuple[ExternalSecret, SecurityPolicy]:
    """The client secret (from OpenBao) and the SecurityPolicy that logs operators in before the route.
    The callback lies under the route's own ``path_prefix`` so the filter sees it."""
    secret = f"{route}-sso"
    assert served.client and served.redirect_paths
    return (
        client_secret(secret, namespace, lbls, sso),
        oidc_policy(route, namespace, lbls, route, served.host,
                    Oidc(sso.issuer, served.client, secret, path_prefix + OIDC_CALLBACK)),
    )


OIDC_CALLBACK = "/oauth2/callback"
