from components.tools.secret_stores import Consumer, SecretStores, SecretStoresProps, store_ref


def test_one_store_role_and_policy_per_namespace(golden, find):
    objs = golden("secret-stores", lambda app: SecretStores(app, SecretStoresProps(
        consumers=(Consumer("plate-test", ("plate/test/web", "plate/test/registry")),
                   Consumer("jenkins", ("plate/test/jenkins",))),
        server="https://openbao.openbao.svc:8200", ca_secret="openbao-tls", ca_namespace="openbao",
        kv_mount="kv", role_prefix="eso-test")))
    store = find(objs, "ClusterSecretStore", "openbao-plate-test")["spec"]
    assert store["conditions"] == [{"namespaces": ["plate-test"]}]
    vault = store["provider"]["vault"]
    assert (vault["path"], vault["version"]) == ("kv", "v2")
    assert vault["auth"] == {"kubernetes": {"mountPath": "kubernetes", "role": "eso-test-plate-test",
                                            "serviceAccountRef": {"name": "openbao-plate-test",
                                                                  "namespace": "external-secrets"}}}
    assert "tokenSecretRef" not in str(vault)
    files = find(objs, "ConfigMap", "openbao-policies")["data"]
    policy = files["eso-test-plate-test.hcl"]
    assert 'path "kv/data/plate/test/registry"' in policy and 'path "kv/data/plate/test/web"' in policy
    assert "jenkins" not in policy
    assert 'capabilities = ["read"]' in policy and "update" not in policy
    assert "bao policy write eso-test-jenkins eso-test-jenkins.hcl" in files["apply.sh"]
    find(objs, "ServiceAccount", "openbao-jenkins")


def test_store_naming_rule():
    ref = store_ref("plate-stg", "15m")
    assert (ref.name, ref.kind, ref.refresh_interval) == ("openbao-plate-stg", "ClusterSecretStore", "15m")
