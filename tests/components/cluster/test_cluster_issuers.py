from components.cluster.cluster_issuers import ISSUERS, ClusterIssuers, ClusterIssuersProps, Dns01Props


def test_issuers_match_golden_http01_through_the_ingress_class(golden, find):
    objs = golden("cluster-issuers", lambda app: ClusterIssuers(app, ClusterIssuersProps(
        email="ops@test.example", ingress_class="nginx")))
    for name, server in ISSUERS.items():
        acme = find(objs, "ClusterIssuer", name)["spec"]["acme"]
        assert acme["server"] == server
        assert acme["email"] == "ops@test.example"
        assert acme["solvers"] == [{"http01": {"ingress": {"ingressClassName": "nginx"}}}]
    assert ISSUERS["letsencrypt-prod"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert ISSUERS["letsencrypt-staging"] == "https://acme-staging-v02.api.letsencrypt.org/directory"


def test_dns01_solver_for_listed_zones_with_token_from_openbao(synth, find, store):
    objs = synth(lambda app: ClusterIssuers(app, ClusterIssuersProps(
        email="ops@test.example", ingress_class="nginx",
        dns01=Dns01Props(provider="cloudflare", dns_zones=("test.example",), api_token_path="infra/cloudflare",
                         secret_store=store))))
    solvers = find(objs, "ClusterIssuer", "letsencrypt-prod")["spec"]["acme"]["solvers"]
    assert solvers[0]["selector"] == {"dnsZones": ["test.example"]}
    token_ref = solvers[0]["dns01"]["cloudflare"]["apiTokenSecretRef"]
    es = find(objs, "ExternalSecret", token_ref["name"])
    assert es["metadata"]["namespace"] == "cert-manager"
    assert es["spec"]["data"][0]["remoteRef"] == {"key": "infra/cloudflare", "property": "api-token"}
    assert "http01" in solvers[1]
