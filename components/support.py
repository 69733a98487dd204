"""Upstream end-of-support dates for what the platform pins (kept next to the pins in ``versions.py``).

One row per release line whose end upstream has announced or whose policy fixes it, with the source.
A pinned version is matched to the longest ``line`` that prefixes it; a pin with no row is reported as
"no end announced" together with the product's policy, never as supported by default.
``platectl versions`` prints the verdict of every pin, ``platectl validate`` warns about every pin past
its end. Add a row when upstream announces an end (or releases the version that ends a line).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Line:
    product: str  # the pin's name: a chart, an image repository, "helm", "kubernetes"
    line: str  # a version prefix: "v3.", "2.5.", "1.33"
    end: date  # last day of fixes (security fixes, where a product separates them)
    source: str  # where the date comes from
    note: str = ""


@dataclass(frozen=True)
class Policy:
    product: str
    policy: str
    source: str


LINES: tuple[Line, ...] = (
    Line("helm", "v3.", date(2027, 2, 10), "Helm's Helm 3 support timeline (announced with Helm 4): https://helm.sh/blog/",
         "bug fixes ended 2026-07-08; security fixes end 2027-02-10"),
    # OpenBao supports the newest minor only: a line ends the day the next one is released.
    Line("openbao/openbao", "2.5.", date(2026, 7, 14), "https://github.com/openbao/openbao/blob/main/CHANGELOG.md",
         "2.6.0 released 2026-07-14"),
    Line("openbao/openbao", "2.6.", date(2026, 9, 23), "https://github.com/openbao/openbao/releases/tag/v2.7.0",
         "2.7.0 released 2026-09-23"),
    # Kubernetes: the cluster's declared version (envs/: kubernetes_version); 14 months of patches each.
    Line("kubernetes", "1.32", date(2026, 2, 28), "https://kubernetes.io/releases/"),
    Line("kubernetes", "1.33", date(2026, 6, 28), "https://kubernetes.io/releases/"),
    Line("kubernetes", "1.34", date(2026, 10, 27), "https://kubernetes.io/releases/"),
    Line("kubernetes", "1.35", date(2027, 2, 28), "https://kubernetes.io/releases/"),
    Line("nfs-subdir-external-provisioner", "", date(2025, 1, 1),
         "https://github.com/kubernetes-sigs/nfs-subdir-external-provisioner",
         "unmaintained: no release of its image since v4.0.2; replaced by csi-driver-nfs"),
)

POLICIES: tuple[Policy, ...] = (
    Policy("helm", "the newest major gets fixes; the previous one security fixes for a set time", "https://helm.sh/blog/"),
    Policy("kubernetes", "the three newest minors, about 14 months each", "https://kubernetes.io/releases/"),
    Policy("openbao/openbao", "the newest minor only (2.5 ended the day 2.6.0 came out)",
           "https://github.com/openbao/openbao/blob/main/CHANGELOG.md"),
    Policy("argo-cd", "the three newest Argo CD minors (the chart follows Argo CD)",
           "https://argo-cd.readthedocs.io/en/stable/operator-manual/installation/#supported-versions"),
    Policy("cert-manager", "the two newest minors", "https://cert-manager.io/docs/releases/"),
    Policy("external-secrets", "the newest minor", "https://external-secrets.io/latest/introduction/stability-support/"),
    Policy("gateway-helm", "the two newest minors of Envoy Gateway", "https://gateway.envoyproxy.io/news/releases/matrix/"),
    Policy("harbor", "the newest minors get patch releases", "https://github.com/goharbor/harbor/releases"),
    Policy("jenkins", "the chart follows the Jenkins LTS line", "https://www.jenkins.io/download/lts/"),
    Policy("kube-prometheus-stack", "the newest chart release", "https://github.com/prometheus-community/helm-charts"),
    Policy("prometheus-operator-crds", "the newest chart release", "https://github.com/prometheus-community/helm-charts"),
    Policy("metallb", "the newest release", "https://metallb.io/release-notes/"),
    Policy("csi-driver-nfs", "the newest release", "https://github.com/kubernetes-csi/csi-driver-nfs/releases"),
    Policy("dex", "the newest release", "https://github.com/dexidp/dex/releases"),
    Policy("headlamp", "the newest release", "https://github.com/kubernetes-sigs/headlamp/releases"),
    Policy("grafana/grafana", "the newest minors get fixes; security fixes reach older ones for a time",
           "https://github.com/grafana/grafana/releases"),
    Policy("fluent/fluentd-kubernetes-daemonset", "the Fluentd LTS line and the newest release",
           "https://github.com/fluent/fluentd-kubernetes-daemonset/releases"),
)


def line_of(product: str, version: str) -> Line | None:
    """The release line a pinned version belongs to, if upstream dated its end."""
    rows = [r for r in LINES if r.product == product and version.startswith(r.line)]
    return max(rows, key=lambda r: len(r.line)) if rows else None


def policy_of(product: str) -> Policy | None:
    return next((p for p in POLICIES if p.product == product), None)
