"""plate-routes: one HTTPRoute per routed service at the cluster's Gateway, its audience declared;
operators' services behind the Gateway's OIDC login; /metrics never through the Gateway."""
import pytest
from pydantic import ValidationError

from components.plate.routes import PlateRoutes, PlateRoutesProps, RoutedService
from components.routing import GatewayRef, Served, Sso

GATEWAY = GatewayRef("edge", "envoy-gateway-system")
ROUTES = (RoutedService("app.test.example", "/", "plate-web", 80, "public"),
          RoutedService("app.test.example", "/api", "plate-server", 80, "public"),
          RoutedService("app.test.example", "/admin", "plate-admin", 80, "operators"))


def props(store, **over):
    return PlateRoutesProps(namespace="plate-test", gateway=GATEWAY, routes=ROUTES, client="plate-test",
                            sso=Sso("https://dex.test.example", "platform/dex/clients/plate-test", store),
                            tls=True, cluster_issuer="letsencrypt-staging", **over)


def test_routes_match_golden(golden, find, store):
    objs = golden("plate-routes", lambda app: PlateRoutes(app, props(store)))
    web = find(objs, "HTTPRoute", "plate-web")
    assert web["spec"]["parentRefs"] == [GATEWAY.parent("app.test.example")]
    assert web["metadata"]["annotations"] == {"plate.io/audience": "public", "plate.io/auth": "none"}
    assert [r["matches"][0]["path"]["value"] for r in web["spec"]["rules"]] == ["/", "/metrics"]
    admin = find(objs, "HTTPRoute", "plate-admin")
    assert admin["metadata"]["annotations"] == {"plate.io/audience": "operators", "plate.io/auth": "gateway-oidc"}
    policy = find(objs, "SecurityPolicy", "plate-admin")["spec"]
    assert policy["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "plate-admin"}]
    assert policy["oidc"]["redirectURL"] == "https://app.test.example/admin/oauth2/callback"
    assert policy["oidc"]["logoutPath"] == "/admin/oauth2/logout"
    secret = find(objs, "ExternalSecret", "plate-admin-sso")["spec"]["data"][0]["remoteRef"]
    assert secret == {"key": "platform/dex/clients/plate-test", "property": "client-secret"}
    assert not [o for o in objs.values() if o["kind"] == "SecurityPolicy" and o["metadata"]["name"] != "plate-admin"]
    limit = find(objs, "BackendTrafficPolicy", "plate-server")["spec"]
    assert limit["requestBuffer"]["limit"] == "8Mi"


def test_an_operators_route_without_single_sign_on_cannot_be_declared():
    with pytest.raises(ValueError, match="a route for operators needs single sign-on"):
        Served("admin.test.example", "plate-test", "operators", "none")
    with pytest.raises(ValueError, match="an internal service has no route"):
        Served("prometheus.test.example", "monitoring", "internal", "none")


def test_a_malformed_body_limit_is_refused(store):
    with pytest.raises(ValidationError, match="max_body_size"):
        props(store, max_body_size="8q")
