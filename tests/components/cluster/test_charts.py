"""The upstream-chart components: each is one Application syncing the folder Helm renders the chart into
(values from typed props); a chart that is not vendored (retired upstream) is still Argo CD's to render."""
import pytest

from components import versions
from components.argocd.app_of_apps import AppOfAppsProps, ClusterAppsChart
from components.cluster.cert_manager import CertManager, CertManagerProps
from components.cluster.external_secrets import ExternalSecrets, ExternalSecretsProps
from components.cluster.ingress_nginx import IngressNginx, IngressNginxProps
from components.cluster.metallb import MetalLB, MetalLBProps
from components.cluster.nfs_provisioner import NfsProvisioner, NfsProvisionerProps, StorageClass

PROPS = AppOfAppsProps(owner="test", folder="clusters/test", repo_url="https://git.test.example/plate.git", revision="rendered",
                       argocd_namespace="argocd")


def charts(resources):
    return {
        "cert-manager": lambda s: CertManager(s, CertManagerProps(resources=resources, replicas=2)),
        "external-secrets": lambda s: ExternalSecrets(s, ExternalSecretsProps(operator_resources=resources)),
        "metallb": lambda s: MetalLB(s, MetalLBProps(controller_resources=resources, speaker_resources=resources)),
        "nfs-provisioner": lambda s: NfsProvisioner(s, NfsProvisionerProps(
            server="10.0.0.5", path="/export/test", resources=resources, storage_class=StorageClass(
                name="nfs-client", reclaim_policy="Retain", archive_on_delete=True, default=True))),
        "ingress-nginx": lambda s: IngressNginx(s, IngressNginxProps(
            class_name="nginx", replicas=2, resources=resources, load_balancer_ip="10.0.0.100")),
    }


def test_chart_applications_match_golden(golden, find, resources):
    def build(app):
        infos = [make(app).info for make in charts(resources).values()]
        ClusterAppsChart(app, PROPS, infos, frozenset(), ())
    objs = golden("cluster-charts", build)
    for name in ("cert-manager", "metallb", "nfs-provisioner", "external-secrets"):
        src = find(objs, "Application", f"test-{name}")["spec"]["source"]
        assert src["path"] == f"dist/clusters/test/{name}" and "chart" not in src, name
        # CRDs are rendered into crds/ below the folder: the source recurses where the chart has them
        assert ("directory" in src) is (name != "nfs-provisioner"), name
    nginx = find(objs, "Application", "test-ingress-nginx")["spec"]["source"]
    assert (nginx["repoURL"], nginx["chart"]) == (versions.INGRESS_NGINX.repo_url, versions.INGRESS_NGINX.name)
    project = find(objs, "AppProject", "test-cluster-services")["spec"]
    assert project["sourceRepos"] == [PROPS.repo_url, versions.INGRESS_NGINX.repo_url]


@pytest.mark.parametrize("name,ssa", [("cert-manager", True), ("external-secrets", True), ("metallb", True),
                                      ("nfs-provisioner", False), ("ingress-nginx", False)])
def test_server_side_apply_where_the_chart_ships_large_crds(resources, synth, find, name, ssa):
    objs = synth(lambda app: ClusterAppsChart(app, PROPS, [charts(resources)[name](app).info], frozenset(), ()))
    options = find(objs, "Application", f"test-{name}")["spec"]["syncPolicy"]["syncOptions"]
    assert ("ServerSideApply=true" in options) is ssa
    assert "CreateNamespace=true" in options


@pytest.mark.parametrize("name,level", [("cert-manager", "restricted"), ("metallb", "privileged"),
                                        ("nfs-provisioner", "baseline"), ("ingress-nginx", "baseline")])
def test_charts_declare_the_lowest_pod_security_level_that_works(resources, name, level):
    from cdk8s import App
    info = charts(resources)[name](App()).info
    assert info.pod_security == level
    assert (info.pod_security_reason != "") is (level != "restricted")


def test_values_reflect_typed_props(resources):
    from cdk8s import App
    app = App()
    nfs = charts(resources)["nfs-provisioner"](app).info.helm.values
    assert nfs["nfs"]["server"] == "10.0.0.5" and nfs["nfs"]["path"] == "/export/test"
    assert {k: nfs["storageClass"][k] for k in ("name", "reclaimPolicy", "archiveOnDelete", "defaultClass")} == {
        "name": "nfs-client", "reclaimPolicy": "Retain", "archiveOnDelete": True, "defaultClass": True}
    ingress = charts(resources)["ingress-nginx"](app).info.helm.values["controller"]
    assert ingress["ingressClassResource"]["name"] == "nginx" and ingress["ingressClass"] == "nginx"
    assert ingress["service"]["annotations"] == {"metallb.io/loadBalancerIPs": "10.0.0.100"}
    cm = charts(resources)["cert-manager"](app).info.helm.values
    assert cm["crds"] == {"enabled": True, "keep": True}
    assert cm["podDisruptionBudget"]["enabled"] is True  # two replicas
