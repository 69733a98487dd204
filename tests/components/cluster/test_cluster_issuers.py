from components.cluster.cluster_issuers import (
    DNS01_SECRET,
    INTERNAL_CA_SECRET,
    INTERNAL_ISSUER,
    ISSUERS,
    ClusterIssuers,
    ClusterIssuersProps,
    Dns01,
)
from components.routing import GatewayRef

GATEWAY = GatewayRef("edge", "envoy-gateway-system")


def test_issuers_match_golden_http01_through_the_gateway(golden, find):
    objs = golden("cluster-issuers", lambda app: ClusterIssuers(app, ClusterIssuersProps(
        acme_email="ops@test.example", gateway=GATEWAY)))
    for name, server in ISSUERS.items():
        acme = find(objs, "ClusterIssuer", name)["spec"]["acme"]
        assert acme["server"] == server
        assert acme["email"] == "ops@test.example"
        assert acme["solvers"] == [{"http01": {"gatewayHTTPRoute": {"parentRefs": [{
            "group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge", "namespace": "envoy-gateway-system",
            "sectionName": "http"}]}}}]
    assert ISSUERS["letsencrypt-prod"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert ISSUERS["letsencrypt-staging"] == "https://acme-staging-v02.api.letsencrypt.org/directory"


def test_dns01_solver_for_listed_zones_reads_the_token_secret(synth, find):
    objs = synth(lambda app: ClusterIssuers(app, ClusterIssuersProps(
        acme_email="ops@test.example", gateway=GATEWAY,
        dns01=Dns01(provider="cloudflare", dns_zones=["test.example"], api_token_path="platform/cloudflare"))))
    solvers = find(objs, "ClusterIssuer", "letsencrypt-prod")["spec"]["acme"]["solvers"]
    assert solvers[0]["selector"] == {"dnsZones": ["test.example"]}
    assert solvers[0]["dns01"]["cloudflare"]["apiTokenSecretRef"] == {"name": DNS01_SECRET, "key": "api-token"}
    assert "http01" in solvers[1]
    # the token's ExternalSecret is not here: it syncs in the tools layer, after the secret stores
    assert not [o for o in objs.values() if o["kind"] == "ExternalSecret"]


def test_internal_ca_issuer_is_built_on_a_self_signed_root(synth, find):
    objs = synth(lambda app: ClusterIssuers(app, ClusterIssuersProps(acme_email="ops@test.example", gateway=GATEWAY)))
    ca = find(objs, "Certificate", INTERNAL_CA_SECRET)["spec"]
    assert ca["isCA"] is True and ca["issuerRef"]["name"] == "selfsigned"
    assert find(objs, "ClusterIssuer", INTERNAL_ISSUER)["spec"] == {"ca": {"secretName": INTERNAL_CA_SECRET}}
