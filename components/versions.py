"""Every third-party version the platform pins, in one place.

Plate's own images are environment data (``envs/``): each environment chooses its release.
Everything here is upstream software whose version moves only with a reviewed change.
"""
from dataclasses import dataclass

# Redis-compatible cache for plate-server (BSD-3, drop-in for Redis 7.2).
VALKEY = {"registry": "docker.io", "repository": "valkey/valkey", "tag": "8.1.4-alpine3.22"}
# Prometheus exporter for the cache.
REDIS_EXPORTER = {"registry": "docker.io", "repository": "oliver006/redis_exporter", "tag": "v1.80.1-alpine"}


@dataclass(frozen=True)
class Chart:
    repo_url: str
    name: str
    version: str


CERT_MANAGER = Chart("https://charts.jetstack.io", "cert-manager", "v1.21.1")
METALLB = Chart("https://metallb.github.io/metallb", "metallb", "0.16.1")
NFS_PROVISIONER = Chart("https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner",
                        "nfs-subdir-external-provisioner", "4.0.18")
INGRESS_NGINX = Chart("https://kubernetes.github.io/ingress-nginx", "ingress-nginx", "4.14.0")
EXTERNAL_SECRETS = Chart("https://charts.external-secrets.io", "external-secrets", "2.9.0")

# OpenBao (MPL-2.0 fork of Vault); 2.4+ for declarative audit devices.
OPENBAO = {"registry": "quay.io", "repository": "openbao/openbao", "tag": "2.5.0"}

ARGO_CD = Chart("https://argoproj.github.io/argo-helm", "argo-cd", "9.4.1")  # Argo CD v3.5
JENKINS = Chart("https://charts.jenkins.io", "jenkins", "5.8.110")
HARBOR = Chart("https://helm.goharbor.io", "harbor", "1.18.0")
KUBERNETES_DASHBOARD = Chart("https://kubernetes.github.io/dashboard", "kubernetes-dashboard", "7.14.0")

# Jenkins plugins, pinned: the controller installs exactly these (no "latest" resolution).
JENKINS_PLUGINS = {
    "kubernetes": "4295.v7fa_01b_309c95",
    "workflow-aggregator": "600.vb_57cdd26fdd7",
    "git": "5.5.2",
    "configuration-as-code": "1850.va_a_8c31d3158b_",
    "credentials-binding": "681.vf91669a_32e45",
}

PROMETHEUS_OPERATOR_CRDS = Chart("https://prometheus-community.github.io/helm-charts", "prometheus-operator-crds", "24.0.2")
KUBE_PROMETHEUS_STACK = Chart("https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "79.9.0")
GRAFANA = {"registry": "docker.io", "repository": "grafana/grafana", "tag": "12.2.1"}
# fluentd-kubernetes-daemonset images carry tail, CRI/JSON parsers, kubernetes_metadata and prometheus
# plugins; the output plugin differs per image.
FLUENTD = {
    "elasticsearch": {"registry": "docker.io", "repository": "fluent/fluentd-kubernetes-daemonset",
                      "tag": "v1.18.0-debian-elasticsearch8-amd64-1.0"},
    "opensearch": {"registry": "docker.io", "repository": "fluent/fluentd-kubernetes-daemonset",
                   "tag": "v1.18.0-debian-opensearch-amd64-1.0"},
    "loki": {"registry": "docker.io", "repository": "grafana/fluent-plugin-loki", "tag": "3.5.0"},
    "forward": {"registry": "docker.io", "repository": "fluent/fluentd-kubernetes-daemonset",
                "tag": "v1.18.0-debian-forward-amd64-1.0"},
}
