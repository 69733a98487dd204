from components.plate.admin import PlateAdmin, PlateAdminProps
from components.workload import Hardening


def test_admin_matches_golden(golden, find, store, image, resources):
    objs = golden("plate-admin", lambda app: PlateAdmin(app, PlateAdminProps(
        namespace="plate-test", image=image("plate/admin"), replicas=2, resources=resources, secret_store=store,
        secrets_path="plate/test/admin", disruption_budget_min_available=1)))
    assert find(objs, "Deployment", "plate-admin")["metadata"]["labels"]["app.kubernetes.io/component"] == "admin"
    assert find(objs, "PodDisruptionBudget", "plate-admin")["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "plate-admin", "app.kubernetes.io/instance": "plate-admin"}
    # no flows declared: the policy selects the pods and allows nothing
    assert find(objs, "NetworkPolicy", "plate-admin")["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "plate-admin", "app.kubernetes.io/instance": "plate-admin"}},
        "policyTypes": []}


def test_standard_profile_keeps_non_root_but_allows_writes_and_no_cpu_limit(synth, find, store, image, resources):
    objs = synth(lambda app: PlateAdmin(app, PlateAdminProps(
        namespace="plate-test", image=image("plate/admin"), replicas=1, resources=resources, secret_store=store,
        secrets_path="plate/test/admin", hardening=Hardening(read_only_root_filesystem=False, cpu_limits=False))))
    container = find(objs, "Deployment", "plate-admin")["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is False
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["limits"] == {"memory": "256Mi"}
