import tarfile

import yaml
from cdk8s import App

from components import versions
from components.cluster.prometheus_crds import PrometheusOperatorCrds


def _chart_yaml(archive) -> dict:
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml"))
        return yaml.safe_load(tar.extractfile(member).read())


def test_monitoring_crds_come_first_from_their_own_chart():
    info = PrometheusOperatorCrds(App()).info
    assert (info.layer, info.rank, info.provides_crds) == ("cluster-services", 0, ("monitoring.coreos.com",))
    # the chart the component installs is the vendored archive's own (its Chart.yaml, not our constant)
    chart = _chart_yaml(info.helm.archive)
    assert (info.helm.chart, info.helm.version) == (chart["name"], chart["version"]) == (
        "prometheus-operator-crds", "24.0.2")
    assert info.server_side_apply and not info.has_manifests and info.pod_security is None


def test_the_monitoring_crds_in_dist_are_that_charts(fresh_render):
    folder = fresh_render / "clusters" / "shared" / "prometheus-operator-crds" / "crds"
    crds = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    assert {c["spec"]["group"] for c in crds} == {"monitoring.coreos.com"}
    assert {c["spec"]["names"]["kind"] for c in crds} >= {"Prometheus", "Alertmanager", "ServiceMonitor",
                                                         "PodMonitor", "PrometheusRule", "AlertmanagerConfig"}
    # one per CRD template the archive carries (crd-<plural>.yaml), no more, no fewer
    with tarfile.open(versions.PROMETHEUS_OPERATOR_CRDS.archive) as tar:
        plurals = {m.name.rsplit("/crd-", 1)[1].removesuffix(".yaml") for m in tar.getmembers()
                   if "/charts/crds/templates/crd-" in m.name}
    assert len(plurals) == 10
    assert {c["metadata"]["name"] for c in crds} == {f"{p}.monitoring.coreos.com" for p in plurals}
