"""apiVersion/kind of every object we render, read from the typed bindings.

Built-ins come from the Kubernetes 1.27 bindings bundled with cdk8s-plus-27; custom resources from
the bindings generated into ``imports/`` from ``../shared/crds``. A CRD version bump therefore
changes the rendered apiVersion in one reviewed place. Bindings are imported lazily: each costs
import time, and a render only pays for the kinds it uses.
"""
from __future__ import annotations

import importlib
from functools import cache

# kind -> (module under imports/, class)
CUSTOM: dict[str, tuple[str, str]] = {
    "Application": ("argocd_application.io.argoproj", "Application"),
    "AppProject": ("argocd_appproject.io.argoproj", "AppProject"),
    "ApplicationSet": ("argocd_applicationset.io.argoproj", "ApplicationSet"),
    "ExternalSecret": ("eso_externalsecret.io.external_secrets", "ExternalSecret"),
    "SecretStore": ("eso_secretstore.io.external_secrets", "SecretStore"),
    "ClusterSecretStore": ("eso_clustersecretstore.io.external_secrets", "ClusterSecretStore"),
    "ClusterIssuer": ("certmanager_clusterissuer.io.cert_manager", "ClusterIssuer"),
    "Certificate": ("certmanager_certificate.io.cert_manager", "Certificate"),
    "IPAddressPool": ("metallb_ipaddresspool.io.metallb", "IpAddressPool"),
    "L2Advertisement": ("metallb_l2advertisement.io.metallb", "L2Advertisement"),
    "ServiceMonitor": ("monitoring_servicemonitor.com.coreos.monitoring", "ServiceMonitor"),
    "PodMonitor": ("monitoring_podmonitor.com.coreos.monitoring", "PodMonitor"),
    "PrometheusRule": ("monitoring_prometheusrule.com.coreos.monitoring", "PrometheusRule"),
}


@cache
def _gvk(binding: object) -> tuple[str, str]:
    gvk = binding.GVK  # type: ignore[attr-defined]
    return gvk.api_version, gvk.kind


def builtin(name: str) -> tuple[str, str]:
    from cdk8s_plus_27 import k8s

    return _gvk(getattr(k8s, f"Kube{name}"))


@cache
def custom(kind: str) -> tuple[str, str]:
    module, cls = CUSTOM[kind]
    return _gvk(getattr(importlib.import_module(f"imports.{module}"), cls))


def head(gvk: tuple[str, str]) -> dict:
    return {"apiVersion": gvk[0], "kind": gvk[1]}
