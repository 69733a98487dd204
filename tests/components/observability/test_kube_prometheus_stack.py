from cdk8s import App

from components.observability.kube_prometheus_stack import KubePrometheusStack, KubePrometheusStackProps


def test_values_come_from_typed_props(resources):
    stack = KubePrometheusStack(App(), KubePrometheusStackProps(
        storage_class="nfs-client", storage_size="50Gi", retention="15d", prometheus_resources=resources,
        alertmanager_resources=resources, operator_resources=resources, kube_state_metrics_resources=resources,
        node_exporter_resources=resources, hook_resources=resources))
    info = stack.info
    values = info.helm.values
    assert values["grafana"] == {"enabled": False}  # we render our own
    assert values["crds"] == {"enabled": False}  # prometheus-operator-crds installs them first
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "15d"
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "nfs-client" and claim["resources"]["requests"]["storage"] == "50Gi"
    for selector in ("serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues",
                     "ruleSelectorNilUsesHelmValues"):
        assert spec[selector] is False
    assert "ingress" not in values["prometheus"] and not stack.info.served  # internal: no route at all
    assert info.pod_security == "privileged" and "node-exporter" in info.pod_security_reason
    assert "kube_deployment_status_replicas_available" in info.metrics[0].metrics
