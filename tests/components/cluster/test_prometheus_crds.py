from cdk8s import App

from components import versions
from components.cluster.prometheus_crds import PrometheusOperatorCrds


def test_monitoring_crds_come_first_from_their_own_chart():
    info = PrometheusOperatorCrds(App()).info
    assert (info.layer, info.rank, info.provides_crds) == ("cluster-services", 0, ("monitoring.coreos.com",))
    assert (info.helm.chart, info.helm.version) == (versions.PROMETHEUS_OPERATOR_CRDS.name,
                                                    versions.PROMETHEUS_OPERATOR_CRDS.version)
    assert info.server_side_apply and not info.has_manifests and info.pod_security is None
