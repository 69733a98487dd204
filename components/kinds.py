"""apiVersion/kind of every object we render, read from the typed bindings.

Built-ins come from the Kubernetes 1.27 bindings bundled with cdk8s-plus-27; custom resources from
the bindings generated into ``imports/`` from ``../shared/crds``. A CRD version bump therefore
changes the rendered apiVersion in one reviewed place.
"""
from __future__ import annotations

from functools import cache


@cache
def _gvk(binding: object) -> tuple[str, str]:
    gvk = binding.GVK  # type: ignore[attr-defined]
    return gvk.api_version, gvk.kind


def builtin(name: str) -> tuple[str, str]:
    from cdk8s_plus_27 import k8s

    return _gvk(getattr(k8s, f"Kube{name}"))


def argocd(name: str) -> tuple[str, str]:
    if name == "Application":
        from imports.argocd_application.io.argoproj import Application as binding
    elif name == "AppProject":
        from imports.argocd_appproject.io.argoproj import AppProject as binding
    else:
        raise KeyError(name)
    return _gvk(binding)


def external_secrets(name: str) -> tuple[str, str]:
    if name == "ExternalSecret":
        from imports.eso_externalsecret.io.external_secrets import ExternalSecret as binding
    else:
        raise KeyError(name)
    return _gvk(binding)


def head(gvk: tuple[str, str]) -> dict:
    return {"apiVersion": gvk[0], "kind": gvk[1]}
