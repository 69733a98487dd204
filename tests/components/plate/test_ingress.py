from components.plate.ingress import Host, PlateIngress, PlateIngressProps, Route

HOSTS = (
    Host("app.test.example", "app-tls", (Route("/api", "plate-server"), Route("/", "plate-web"))),
    Host("llm.test.example", "llm-tls", (Route("/", "plate-llm"),)),
)


def test_ingress_matches_golden_with_tls_for_every_host(golden, find):
    objs = golden("plate-ingress", lambda app: PlateIngress(app, PlateIngressProps(
        namespace="plate-test", class_name="nginx", cluster_issuer="letsencrypt-staging", hosts=HOSTS)))
    ing = find(objs, "Ingress", "plate")
    assert ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-staging"
    assert ing["spec"]["ingressClassName"] == "nginx"
    tls_hosts = {h for t in ing["spec"]["tls"] for h in t["hosts"]}
    assert tls_hosts == {r["host"] for r in ing["spec"]["rules"]}
    paths = [p["path"] for p in ing["spec"]["rules"][0]["http"]["paths"]]
    assert paths == ["/api", "/"]


def test_ingress_without_tls_has_no_issuer(synth, find):
    objs = synth(lambda app: PlateIngress(app, PlateIngressProps(
        namespace="plate-test", class_name="nginx", cluster_issuer="letsencrypt-staging", hosts=HOSTS, tls=False)))
    ing = find(objs, "Ingress", "plate")
    assert "tls" not in ing["spec"]
    assert "cert-manager.io/cluster-issuer" not in ing["metadata"]["annotations"]
