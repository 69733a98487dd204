"""apiVersion/kind of every object we render, as the typed bindings define them.

Built-ins come from the Kubernetes 1.27 bindings bundled with cdk8s-plus-27; custom resources from
the bindings generated into ``imports/`` from ``../shared/crds``. Importing those bindings at
render time costs seconds (each loads a jsii assembly into node), so ``python -m tools.import_crds``
records their GVKs in ``imports/gvk.py`` when it regenerates them, and
``tests/test_kinds.py`` proves the table equals what the bindings say.
"""
from __future__ import annotations

from imports.gvk import BUILTIN, CUSTOM

# kind -> (module under imports/, class): the bindings behind CUSTOM
BINDINGS: dict[str, tuple[str, str]] = {
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
# Built-in kinds we render, by their cdk8s-plus-27 binding name (Kube<name>).
BUILTINS = ("ClusterRole", "ClusterRoleBinding", "ConfigMap", "DaemonSet", "Deployment", "HorizontalPodAutoscalerV2",
            "Ingress", "Namespace", "NetworkPolicy", "PersistentVolumeClaim", "PodDisruptionBudget", "Role",
            "RoleBinding", "Service", "ServiceAccount", "StatefulSet")


# Kinds the platform renders whose CRDs no jsii binding covers (Gateway API, Envoy Gateway): their
# group/version as the CRDs in ../shared/crds serve them (tests/test_kinds.py checks each).
FROM_CRDS: dict[str, tuple[str, str]] = {
    "GatewayClass": ("gateway.networking.k8s.io/v1", "GatewayClass"),
    "Gateway": ("gateway.networking.k8s.io/v1", "Gateway"),
    "HTTPRoute": ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    "EnvoyProxy": ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy"),
    "ClientTrafficPolicy": ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"),
    "BackendTrafficPolicy": ("gateway.envoyproxy.io/v1alpha1", "BackendTrafficPolicy"),
    "SecurityPolicy": ("gateway.envoyproxy.io/v1alpha1", "SecurityPolicy"),
    "HTTPRouteFilter": ("gateway.envoyproxy.io/v1alpha1", "HTTPRouteFilter"),
}


def builtin(name: str) -> tuple[str, str]:
    return BUILTIN[name]


def custom(kind: str) -> tuple[str, str]:
    return CUSTOM[kind] if kind in CUSTOM else FROM_CRDS[kind]


def head(gvk: tuple[str, str]) -> dict:
    return {"apiVersion": gvk[0], "kind": gvk[1]}


def from_bindings() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Ask the bindings themselves (slow: loads every assembly). Used to write and check the table."""
    import importlib

    from cdk8s_plus_27 import k8s

    def gvk(binding) -> tuple[str, str]:
        g = binding.GVK
        return g.api_version, g.kind

    builtins = {name: gvk(getattr(k8s, f"Kube{name}")) for name in BUILTINS}
    customs = {kind: gvk(getattr(importlib.import_module(f"imports.{module}"), cls))
               for kind, (module, cls) in BINDINGS.items()}
    return builtins, customs
