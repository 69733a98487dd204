import pytest
from constructs import Construct

from components.argocd.app_of_apps import (
    LAYER_WAVE,
    AppOfAppsProps,
    BootstrapChart,
    ClusterAppsChart,
    EnvironmentAppsChart,
    EnvironmentRef,
    application,
    root_application,
    root_project,
    wave,
)
from components.core import ComponentInfo, HelmSource

REPO = "https://git.test.example/plate.git"
CLUSTER = AppOfAppsProps(owner="edge", folder="clusters/edge", repo_url=REPO, revision="rendered",
                         argocd_namespace="argocd")
ENV = AppOfAppsProps(owner="test", folder="environments/test", repo_url=REPO, revision="rendered",
                     argocd_namespace="argocd", prune={"plate-cache": False}, apps_namespace="argocd-test")
PLATFORM = [
    ComponentInfo("cert-manager", "cluster-services", 1, "cert-manager",
                  helm=HelmSource("https://charts.test.example", "cert-manager", "v1.0.0", {"a": 1}), has_manifests=False),
    ComponentInfo("jenkins", "tools", 4, "jenkins",
                  helm=HelmSource("https://charts.test.example", "jenkins", "5.0.0", {"b": 2})),
]
APPS = [
    ComponentInfo("plate-namespace", "apps", 0, "plate-test"),
    ComponentInfo("plate-cache", "apps", 1, "plate-test"),
    ComponentInfo("plate-web", "apps", 4, "plate-test"),
]
RENDERED = frozenset({"plate-test", "jenkins"})


def build(app):
    ClusterAppsChart(app, CLUSTER, PLATFORM, RENDERED, (EnvironmentRef(ENV, tuple(APPS)),))
    BootstrapChart(app, "3-root", [root_project(CLUSTER), root_application(CLUSTER)])
    chart = EnvironmentAppsChart(Construct(app, "environment"), ENV, APPS, RENDERED)
    chart.folder = "test-apps"


def test_app_of_apps_matches_golden(golden, find):
    objs = golden("app-of-apps", build)
    web = find(objs, "Application", "test-plate-web")
    assert web["spec"]["source"] == {"repoURL": REPO, "targetRevision": "rendered",
                                     "path": "dist/environments/test/plate-web"}
    assert web["spec"]["project"] == "test-apps"
    assert web["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert web["metadata"]["annotations"]["argocd.argoproj.io/manifest-generate-paths"] == "."
    assert web["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "syncOptions" not in web["spec"]["syncPolicy"]  # its namespace is rendered
    root = find(objs, "Application", "edge-root")
    assert root["spec"]["source"]["path"] == "dist/clusters/edge/apps"
    # the root's project: applied once with the root (bootstrap/), then kept by the root itself (apps/)
    assert objs["bootstrap/3-root/AppProject.edge-root.k8s.yaml"] == objs["apps/AppProject.edge-root.k8s.yaml"]
    assert objs["apps/AppProject.edge-root.k8s.yaml"]["spec"]["namespaceResourceWhitelist"] == [
        {"group": "argoproj.io", "kind": "Application"}, {"group": "argoproj.io", "kind": "AppProject"}]
    # the environment's root: after the platform, may create Applications only
    env_root = find(objs, "Application", "test-root")
    assert env_root["spec"]["source"]["path"] == "dist/environments/test/apps"
    assert env_root["spec"]["project"] == "edge-environments"
    assert int(env_root["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) > max(wave(i) for i in PLATFORM)
    assert find(objs, "AppProject", "edge-environments")["spec"]["namespaceResourceWhitelist"] == [
        {"group": "argoproj.io", "kind": "Application"}]
    apps_project = find(objs, "AppProject", "test-apps")["spec"]
    assert apps_project["sourceRepos"] == [REPO]
    assert apps_project["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "plate-test"}]
    assert apps_project["clusterResourceWhitelist"] == []  # applications create no cluster-scoped object
    assert not [o for o in objs.values() if o["kind"] == "Application" and o["spec"]["project"] == "default"]


def test_chart_with_objects_of_ours_is_one_multi_source_application():
    jenkins = application(CLUSTER, PLATFORM[1], RENDERED)
    assert jenkins["metadata"]["name"] == "edge-jenkins"
    assert "source" not in jenkins["spec"]
    chart, ours = jenkins["spec"]["sources"]
    assert (chart["chart"], chart["targetRevision"], chart["helm"]["valuesObject"]) == ("jenkins", "5.0.0", {"b": 2})
    assert ours == {"repoURL": REPO, "targetRevision": "rendered", "path": "dist/clusters/edge/jenkins"}
    assert jenkins["metadata"]["annotations"]["argocd.argoproj.io/manifest-generate-paths"] == "dist/clusters/edge/jenkins"


def test_prune_can_be_turned_off_per_component():
    cache = application(ENV, APPS[1], RENDERED)
    assert cache["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}


def test_unrendered_namespace_gets_create_namespace():
    cm = application(CLUSTER, PLATFORM[0], RENDERED)
    assert cm["spec"]["syncPolicy"]["syncOptions"] == ["CreateNamespace=true"]


def test_waves_order_layers_then_ranks():
    waves = [wave(i) for i in [PLATFORM[0], PLATFORM[1], *APPS]]
    assert waves == sorted(waves)
    assert wave(PLATFORM[0]) < LAYER_WAVE["tools"] <= LAYER_WAVE["apps"] <= wave(APPS[0])
    # a rank may not spill into the next layer's waves
    with pytest.raises(ValueError, match="rank 10 outside 0..9"):
        wave(ComponentInfo("x", "apps", 10, "ns"))
