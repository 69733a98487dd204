from components.network import AppPeer
from components.plate.cache import PlateCache, PlateCacheProps


def cache_props(store, image, resources, **over):
    return PlateCacheProps(
        namespace="plate-test", image=image("valkey/valkey", "8.1.4"), exporter_image=image("oliver006/redis_exporter", "v1.80.1"),
        resources=resources, exporter_resources=resources, storage_size="2Gi", storage_class="nfs-client",
        secret_store=store, secrets_path="plate/test/cache", max_memory="200mb",
        ingress_from=(AppPeer(app="plate-server", port=6379),), **over)


def test_cache_matches_golden(golden, find, store, image, resources):
    objs = golden("plate-cache", lambda app: PlateCache(app, cache_props(store, image, resources)))
    sts = find(objs, "StatefulSet", "plate-cache")
    pod = sts["spec"]["template"]["spec"]
    valkey, exporter = pod["containers"]
    assert sts["spec"]["serviceName"] == "plate-cache-headless"
    assert find(objs, "Service", "plate-cache-headless")["spec"]["clusterIP"] == "None"
    claim = sts["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == "nfs-client" and claim["resources"]["requests"]["storage"] == "2Gi"
    # the password only ever comes from the ExternalSecret's Secret
    refs = {e["valueFrom"]["secretKeyRef"]["name"] for c in pod["containers"] for e in c["env"] if "valueFrom" in e}
    assert refs == {"plate-cache-auth"}
    es = find(objs, "ExternalSecret", "plate-cache-auth")["spec"]
    assert es["data"] == [{"secretKey": "password", "remoteRef": {"key": "plate/test/cache", "property": "password"}}]
    assert "$(CACHE_PASSWORD)" in valkey["args"]
    assert exporter["ports"] == [{"name": "metrics", "containerPort": 9121, "protocol": "TCP"}]
    assert exporter["securityContext"]["runAsUser"] == 59000
    assert pod["securityContext"]["fsGroup"] == 1000


def test_cache_storage_class_is_a_prop(synth, find, store, image, resources):
    objs = synth(lambda app: PlateCache(app, cache_props(store, image, resources).model_copy(
        update={"storage_class": "fast-ssd"})))
    sts = find(objs, "StatefulSet", "plate-cache")
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "fast-ssd"
