"""Environments: a shared base, one overlay per environment, validated into ``Environment``.

``load(name)`` is the only way the renderer gets an environment: deep-merge the overlay onto
the base, validate with pydantic (unknown keys rejected), then apply the tier rules. Any problem
raises ``ConfigError`` whose message names the environment, the component and the field.
"""
from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError

from envs import production, staging
from envs.base import BASE
from envs.model import Environment
from envs.rules import TierError, check_rules

OVERLAYS: dict[str, dict] = {
    "staging": staging.OVERLAY,
    "production": production.OVERLAY,
}

# Which component a top-level section of the model configures (for error messages).
_SECTION_COMPONENT = {
    "namespace": "plate-namespace",
    "security_profile": "plate-namespace",
    "storage_class": "nfs-provisioner",
    "domain": "plate-ingress",
    "hosts": "plate-ingress",
    "ingress": "plate-ingress",
    "ingress_controller": "ingress-nginx",
    "cert_manager": "cluster-issuers",
    "metallb": "metallb-pools",
    "nfs": "nfs-provisioner",
    "gitops": "app-of-apps",
    "secrets": "external-secrets",
    "openbao": "openbao",
    "argocd": "argo-cd",
    "jenkins": "jenkins",
    "harbor": "harbor",
    "dashboard": "kubernetes-dashboard",
    "monitoring": "kube-prometheus-stack",
    "alerts": "alert-rules",
    "grafana": "grafana",
    "logging": "fluentd",
}


_HOST_COMPONENT = {"openbao": "openbao", "argocd": "argo-cd", "jenkins": "jenkins", "harbor": "harbor",
                   "dashboard": "kubernetes-dashboard", "prometheus": "kube-prometheus-stack", "grafana": "grafana"}


class ConfigError(Exception):
    """Bad environment input. ``str()`` is the one message shown to the user."""

    def __init__(self, environment: str, component: str, field: str, problem: str):
        self.environment, self.component, self.field, self.problem = environment, component, field, problem
        super().__init__(f"environment {environment!r}, component {component!r}, field {field!r}: {problem}")

    def __reduce__(self):  # raised in render worker processes, re-raised in the parent
        return ConfigError, (self.environment, self.component, self.field, self.problem)


def deep_merge(base: dict, overlay: dict) -> dict:
    """Overlay wins; dicts merge recursively; lists and scalars are replaced whole."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def locate(loc: tuple) -> tuple[str, str]:
    """Map a model field path to (component, field path within that component)."""
    parts = [str(p) for p in loc]
    if not parts:
        return "environment", "(root)"
    if parts[0] == "apps" and len(parts) >= 2:
        return f"plate-{parts[1]}", ".".join(parts[2:]) or "(all)"
    if parts[0] == "hosts" and len(parts) >= 2:
        return _HOST_COMPONENT.get(parts[1], "plate-ingress"), ".".join(parts)
    return _SECTION_COMPONENT.get(parts[0], "environment"), ".".join(parts)


def _problem(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required, no default"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind.endswith("_type") or kind in ("literal_error", "string_pattern_mismatch", "greater_than_equal",
                                          "less_than_equal", "greater_than", "less_than"):
        message += f" (got {error['input']!r})"
    return message


def validate(name: str, data: dict[str, Any]) -> Environment:
    """Validate raw environment data; raise ``ConfigError`` on the first problem."""
    try:
        env = Environment.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        component, field = locate(first["loc"])
        raise ConfigError(name, component, field, _problem(first)) from None
    try:
        check_rules(env)
    except TierError as exc:
        component, field = locate(exc.loc)
        raise ConfigError(name, component, field, exc.message) from None
    if env.name != name:
        raise ConfigError(name, "environment", "name", f"must equal the environment's key {name!r} (got {env.name!r})")
    return env


def raw(name: str) -> dict:
    """The merged, unvalidated data of a known environment."""
    if name not in OVERLAYS:
        raise ConfigError(name, "environment", "name", f"unknown environment; known: {', '.join(sorted(OVERLAYS))}")
    return deep_merge(BASE, OVERLAYS[name])


def load(name: str) -> Environment:
    return validate(name, raw(name))


def names() -> list[str]:
    return list(OVERLAYS)
