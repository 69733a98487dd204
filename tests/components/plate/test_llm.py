from components.plate.llm import PlateLlm, PlateLlmProps
from components.types import Toleration


def test_llm_matches_golden_with_gpu_placement(golden, find, store, image, resources):
    objs = golden("plate-llm", lambda app: PlateLlm(app, PlateLlmProps(
        namespace="plate-test", image=image("plate/llm"), replicas=1, resources=resources, secret_store=store,
        secrets_path="plate/test/llm", gpu_count=1, node_selector={"pool": "gpu"},
        tolerations=[Toleration(key="nvidia.com/gpu")], model_cache_size="30Gi")))
    deploy = find(objs, "Deployment", "plate-llm")
    pod = deploy["spec"]["template"]["spec"]
    res = pod["containers"][0]["resources"]
    assert res["limits"]["nvidia.com/gpu"] == "1" and res["requests"]["nvidia.com/gpu"] == "1"
    assert pod["nodeSelector"] == {"pool": "gpu"}
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert {"name": "model-cache", "emptyDir": {"sizeLimit": "30Gi"}} in pod["volumes"]
    # one GPU pod at a time during a rollout
    assert deploy["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


def test_llm_without_gpu_requests_none(synth, find, store, image, resources):
    objs = synth(lambda app: PlateLlm(app, PlateLlmProps(
        namespace="plate-test", image=image("plate/llm"), replicas=1, resources=resources, secret_store=store,
        secrets_path="plate/test/llm")))
    pod = find(objs, "Deployment", "plate-llm")["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]
    assert "nodeSelector" not in pod and "tolerations" not in pod
