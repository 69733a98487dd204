from components.network import NamespacePeer
from components.plate.web import PlateWeb, PlateWebProps
from components.types import Autoscaling


def props(store, image, resources, **over):
    return PlateWebProps(namespace="plate-test", image=image("plate/web"), replicas=2, resources=resources,
                         secret_store=store, secrets_path="plate/test/web", pull_secret="plate-registry",
                         ingress_from=(NamespacePeer(namespace="envoy-gateway-system", port=8080),), **over)


def test_web_matches_golden_and_is_hardened(golden, find, store, image, resources):
    objs = golden("plate-web", lambda app: PlateWeb(app, props(store, image, resources)))
    deploy = find(objs, "Deployment", "plate-web")
    pod = deploy["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert deploy["spec"]["replicas"] == 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # nginx writes only into emptyDirs
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"/tmp", "/var/cache/nginx"}
    assert {v["name"] for v in pod["volumes"]} == {m["name"] for m in container["volumeMounts"]}
    assert pod["imagePullSecrets"] == [{"name": "plate-registry"}]
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
    assert container["envFrom"] == [{"secretRef": {"name": "plate-web-env"}}]
    secret = find(objs, "ExternalSecret", "plate-web-env")
    assert secret["spec"]["dataFrom"] == [{"extract": {"key": "plate/test/web"}}]
    assert not [o for o in objs.values() if o["kind"] == "HorizontalPodAutoscaler"]  # fixed replicas: no HPA


def test_web_with_autoscaling_leaves_replicas_to_the_hpa(synth, find, store, image, resources):
    objs = synth(lambda app: PlateWeb(app, props(
        store, image, resources, autoscaling=Autoscaling(min_replicas=3, max_replicas=6),
        disruption_budget_min_available=2)))
    deploy = find(objs, "Deployment", "plate-web")
    assert "replicas" not in deploy["spec"]
    hpa = find(objs, "HorizontalPodAutoscaler", "plate-web")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 6)
    assert find(objs, "PodDisruptionBudget", "plate-web")["spec"]["minAvailable"] == 2


def test_replicas_spread_over_nodes_with_a_default_budget(synth, find, store, image, resources):
    objs = synth(lambda app: PlateWeb(app, props(store, image, resources)))  # two replicas, no budget given
    spread = find(objs, "Deployment", "plate-web")["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert [c["topologyKey"] for c in spread] == ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]
    assert find(objs, "PodDisruptionBudget", "plate-web")["spec"]["maxUnavailable"] == 1
