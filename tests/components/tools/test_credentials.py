"""Credentials a lower layer reads (cert-manager's DNS-01 token) sync after the secret stores."""
import envs
from components.cluster.cluster_issuers import DNS01_SECRET
from platectl import render
from tests.helpers import load_objects


def test_dns01_token_comes_from_openbao_in_the_tools_layer(tmp_path, monkeypatch):
    shared = envs.CLUSTERS["shared"]
    monkeypatch.setitem(envs.CLUSTERS, "shared", {**shared, "cert_manager": {
        **shared["cert_manager"], "dns01": {"provider": "cloudflare", "dns_zones": ["cocdev.co.kr"],
                                            "api_token_path": "platform/cloudflare"}}})
    render.synth(tmp_path / "dist")
    objs = load_objects(tmp_path / "dist")
    es = next(o for o in objs if o.kind == "ExternalSecret" and o.name == DNS01_SECRET)
    assert (es.component, es.namespace) == ("acme-dns01-credentials", "cert-manager")
    assert es.data["spec"]["secretStoreRef"] == {"name": "openbao-cert-manager", "kind": "ClusterSecretStore"}
    app = next(o for o in objs if o.kind == "Application" and o.name == "shared-acme-dns01-credentials")
    stores = next(o for o in objs if o.kind == "Application" and o.name == "shared-secret-stores")
    wave = lambda a: int(a.data["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])  # noqa: E731
    assert wave(stores) < wave(app)
    policies = next(o for o in objs if o.kind == "ConfigMap" and o.name == "openbao-policies").data["data"]
    assert 'path "kv/data/platform/cloudflare"' in policies["eso-shared-cert-manager.hcl"]
    issuer = next(o for o in objs if o.kind == "ClusterIssuer" and o.name == "letsencrypt-staging")
    assert issuer.data["spec"]["acme"]["solvers"][0]["dns01"]["cloudflare"]["apiTokenSecretRef"]["name"] == DNS01_SECRET
