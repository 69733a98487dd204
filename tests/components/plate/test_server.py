from components.network import AppPeer, NamespacePeer
from components.plate.server import PlateServer, PlateServerProps


def test_server_matches_golden_with_config_and_flows(golden, find, store, image, resources):
    cache_password = {"name": "CACHE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "plate-cache-auth", "key": "password"}}}
    objs = golden("plate-server", lambda app: PlateServer(app, PlateServerProps(
        namespace="plate-test", image=image("plate/server"), replicas=1, resources=resources, secret_store=store,
        secrets_path="plate/test/server", config={"LOG_LEVEL": "info", "CACHE_ADDR": "plate-cache:6379"},
        env=(cache_password,), ingress_from=(NamespacePeer(namespace="envoy-gateway-system", port=8080),),
        egress_to=(AppPeer(app="plate-cache", port=6379),))))
    deploy = find(objs, "Deployment", "plate-server")
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    # config is a ConfigMap, sorted; its checksum rolls the pods when it changes
    assert find(objs, "ConfigMap", "plate-server-config")["data"] == {"CACHE_ADDR": "plate-cache:6379", "LOG_LEVEL": "info"}
    assert len(deploy["spec"]["template"]["metadata"]["annotations"]["checksum/config"]) == 64
    assert container["env"] == [cache_password]
    assert container["envFrom"][0] == {"configMapRef": {"name": "plate-server-config"}}
    policy = find(objs, "NetworkPolicy", "plate-server")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["egress"][0]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "plate-cache"
    assert policy["egress"][0]["ports"] == [{"protocol": "TCP", "port": 6379}]


def test_config_change_changes_pod_checksum(synth, find, store, image, resources):
    def render(level):
        objs = synth(lambda app: PlateServer(app, PlateServerProps(
            namespace="plate-test", image=image("plate/server"), replicas=1, resources=resources,
            secret_store=store, secrets_path="plate/test/server", config={"LOG_LEVEL": level})))
        return find(objs, "Deployment", "plate-server")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    assert render("info") != render("debug")
    assert render("info") == render("info")
