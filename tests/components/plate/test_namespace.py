import json

from components.plate.namespace import PlateNamespace, PlateNamespaceProps


def test_namespace_matches_golden(golden, find, store):
    objs = golden("plate-namespace", lambda app: PlateNamespace(app, PlateNamespaceProps(
        name="plate-test", registry="registry.test.example", registry_pull_path="plate/test/registry",
        secret_store=store)))
    assert not [o for o in objs.values() if o["kind"] == "Namespace"]  # rendered by the namespaces component
    deny = find(objs, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    pull = find(objs, "ExternalSecret", "plate-registry")["spec"]
    assert pull["target"]["template"]["type"] == "kubernetes.io/dockerconfigjson"
    # the template is JSON once the Go template is filled in
    filled = pull["target"]["template"]["data"][".dockerconfigjson"].replace(
        '{{ printf "%s:%s" .username .password | b64enc }}', "dTpw")
    assert json.loads(filled) == {"auths": {"registry.test.example": {"auth": "dTpw"}}}
    assert [d["remoteRef"]["property"] for d in pull["data"]] == ["username", "password"]
