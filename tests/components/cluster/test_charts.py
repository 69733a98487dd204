"""The upstream-chart components: each is one Application syncing the folder Helm renders the chart into
(values from typed props); a chart that is not vendored (retired upstream) is still Argo CD's to render."""
import pytest

from components.argocd.app_of_apps import AppOfAppsProps, ClusterAppsChart
from components.cluster.cert_manager import CertManager, CertManagerProps
from components.cluster.envoy_gateway import EnvoyGateway, EnvoyGatewayProps
from components.cluster.external_secrets import ExternalSecrets, ExternalSecretsProps
from components.cluster.metallb import MetalLB, MetalLBProps
from components.cluster.nfs_provisioner import NfsProvisioner, NfsProvisionerProps, StorageClass

PROPS = AppOfAppsProps(owner="test", folder="clusters/test", repo_url="https://git.test.example/plate.git", revision="rendered",
                       argocd_namespace="argocd")


def charts(resources):
    return {
        "cert-manager": lambda s: CertManager(s, CertManagerProps(resources=resources, hook_resources=resources, replicas=2)),
        "external-secrets": lambda s: ExternalSecrets(s, ExternalSecretsProps(operator_resources=resources)),
        "metallb": lambda s: MetalLB(s, MetalLBProps(controller_resources=resources, speaker_resources=resources)),
        "nfs-provisioner": lambda s: NfsProvisioner(s, NfsProvisionerProps(
            server="10.0.0.5", path="/export/test", resources=resources, storage_class=StorageClass(
                name="nfs-client", reclaim_policy="Retain", archive_on_delete=True, default=True))),
        "envoy-gateway": lambda s: EnvoyGateway(s, EnvoyGatewayProps(
            controller_resources=resources, hook_resources=resources, proxy_replicas=2, proxy_resources=resources,
            load_balancer_ip="10.0.0.100")),
    }


@pytest.mark.parametrize("name", ["cert-manager", "envoy-gateway", "external-secrets", "metallb", "nfs-provisioner"])
def test_each_chart_component_matches_its_golden(golden, resources, name):
    golden(name, charts(resources)[name])


def test_chart_applications(synth, find, resources):
    def build(app):
        infos = [make(app).info for make in charts(resources).values()]
        ClusterAppsChart(app, PROPS, infos, frozenset(), ())
    objs = synth(build)
    for name in ("cert-manager", "metallb", "nfs-provisioner", "external-secrets", "envoy-gateway"):
        src = find(objs, "Application", f"test-{name}")["spec"]["source"]
        assert src["path"] == f"dist/clusters/test/{name}" and "chart" not in src, name
        # CRDs are rendered into crds/ below the folder: the source recurses where the chart has them
        assert ("directory" in src) is (name != "nfs-provisioner"), name
    for name in ("cert-manager", "metallb", "nfs-provisioner", "external-secrets", "envoy-gateway"):
        project = find(objs, "AppProject", f"test-{name}")["spec"]
        assert project["sourceRepos"] == [PROPS.repo_url], "no chart repository: Argo CD never runs Helm"


@pytest.mark.parametrize("name,ssa", [("cert-manager", True), ("external-secrets", True), ("metallb", True),
                                      ("nfs-provisioner", False), ("envoy-gateway", False)])
def test_server_side_apply_where_the_chart_ships_large_crds(resources, synth, find, name, ssa):
    objs = synth(lambda app: ClusterAppsChart(app, PROPS, [charts(resources)[name](app).info], frozenset(), ()))
    options = find(objs, "Application", f"test-{name}")["spec"]["syncPolicy"]["syncOptions"]
    assert ("ServerSideApply=true" in options) is ssa
    assert "CreateNamespace=true" in options


@pytest.mark.parametrize("name,level", [("cert-manager", "restricted"), ("metallb", "privileged"),
                                        ("nfs-provisioner", "privileged"), ("envoy-gateway", "restricted")])
def test_charts_declare_the_lowest_pod_security_level_that_works(resources, name, level):
    from cdk8s import App
    info = charts(resources)[name](App()).info
    assert info.pod_security == level
    assert (info.pod_security_reason != "") is (level != "restricted")


def test_values_reflect_typed_props(resources):
    from cdk8s import App
    app = App()
    nfs = charts(resources)["nfs-provisioner"](app).info.helm.values
    [sc] = nfs["storageClasses"]
    assert sc["parameters"] == {"server": "10.0.0.5", "share": "/export/test", "onDelete": "archive",
                                # the sub-directory nfs-subdir-external-provisioner gave each volume
                                "subDir": "${pvc.metadata.namespace}-${pvc.metadata.name}-${pv.metadata.name}"}
    assert sc["name"] == "nfs-client" and sc["reclaimPolicy"] == "Retain"
    assert sc["annotations"] == {"argocd.argoproj.io/sync-options": "Replace=true",
                                 "storageclass.kubernetes.io/is-default-class": "true"}
    assert nfs["externalSnapshotter"]["enabled"] is False and nfs["controller"]["enableSnapshotter"] is False
    gateway = charts(resources)["envoy-gateway"](app).info.helm.values
    assert gateway["config"]["envoyGateway"]["gateway"]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"
    assert gateway["deployment"]["envoyGateway"]["resources"]["limits"]["memory"] == "256Mi"
    cm = charts(resources)["cert-manager"](app).info.helm.values
    assert cm["crds"] == {"enabled": True, "keep": True}
    assert cm["podDisruptionBudget"]["enabled"] is True  # two replicas
