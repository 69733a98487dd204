import pytest

from components.argocd.app_of_apps import LAYER_WAVE, AppOfAppsProps, AppsChart, BootstrapChart, application, wave
from components.core import ComponentInfo, HelmSource

PROPS = AppOfAppsProps(environment="test", repo_url="https://git.test.example/plate.git", revision="rendered",
                       argocd_namespace="argocd",
                       prune={"plate-cache": False})
INFOS = [
    ComponentInfo("cert-manager", "cluster-services", 0, "cert-manager",
                  helm=HelmSource("https://charts.test.example", "cert-manager", "v1.0.0", {"a": 1}), has_manifests=False),
    ComponentInfo("plate-namespace", "apps", 0, "plate-test"),
    ComponentInfo("plate-cache", "apps", 1, "plate-test"),
    ComponentInfo("plate-web", "apps", 4, "plate-test"),
    ComponentInfo("jenkins", "tools", 4, "jenkins",
                  helm=HelmSource("https://charts.test.example", "jenkins", "5.0.0", {"b": 2})),
]
RENDERED = frozenset({"plate-test", "jenkins"})


def test_app_of_apps_matches_golden(golden, find):
    def build(app):
        AppsChart(app, PROPS, INFOS, RENDERED)
        BootstrapChart(app, PROPS)
    objs = golden("app-of-apps", build)
    web = find(objs, "Application", "test-plate-web")
    assert web["spec"]["source"] == {"repoURL": PROPS.repo_url, "targetRevision": "rendered",
                                     "path": "dist/test/plate-web"}
    assert web["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert web["metadata"]["annotations"]["argocd.argoproj.io/manifest-generate-paths"] == "."
    assert web["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert web["spec"]["syncPolicy"]["retry"]["limit"] == 5
    assert "syncOptions" not in web["spec"]["syncPolicy"]  # its namespace is rendered
    root = find(objs, "Application", "test-root")
    assert root["spec"]["source"]["path"] == "dist/test/apps"
    assert find(objs, "AppProject", "test-root")["spec"]["namespaceResourceWhitelist"] == [
        {"group": "argoproj.io", "kind": "Application"}, {"group": "argoproj.io", "kind": "AppProject"}]
    apps_project = find(objs, "AppProject", "test-apps")["spec"]
    assert apps_project["sourceRepos"] == [PROPS.repo_url]
    assert apps_project["destinations"] == [{"server": "https://kubernetes.default.svc", "namespace": "plate-test"}]
    assert apps_project["clusterResourceWhitelist"] == []  # applications create no cluster-scoped object
    assert not [o for o in objs.values() if o["kind"] == "Application" and o["spec"]["project"] == "default"]


def test_chart_with_objects_of_ours_is_one_multi_source_application(golden, find):
    jenkins = application(PROPS, INFOS[4], RENDERED)
    assert "source" not in jenkins["spec"]
    chart, ours = jenkins["spec"]["sources"]
    assert (chart["chart"], chart["targetRevision"], chart["helm"]["valuesObject"]) == ("jenkins", "5.0.0", {"b": 2})
    assert ours == {"repoURL": PROPS.repo_url, "targetRevision": "rendered", "path": "dist/test/jenkins"}
    assert jenkins["metadata"]["annotations"]["argocd.argoproj.io/manifest-generate-paths"] == "dist/test/jenkins"


def test_prune_can_be_turned_off_per_component():
    cache = application(PROPS, INFOS[2], RENDERED)
    assert cache["spec"]["syncPolicy"]["automated"] == {"prune": False, "selfHeal": True}


def test_unrendered_namespace_gets_create_namespace():
    cm = application(PROPS, INFOS[0], RENDERED)
    assert cm["spec"]["syncPolicy"]["syncOptions"] == ["CreateNamespace=true"]


def test_waves_order_layers_then_ranks():
    waves = [wave(i) for i in INFOS[:4]]
    assert waves == sorted(waves)
    assert wave(INFOS[0]) < LAYER_WAVE["tools"] <= LAYER_WAVE["apps"] <= wave(INFOS[1])
    # a rank may not spill into the next layer's waves
    with pytest.raises(ValueError, match="rank 10 outside 0..9"):
        wave(ComponentInfo("x", "apps", 10, "ns"))
