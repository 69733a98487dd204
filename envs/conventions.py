"""Conventions: what a cluster or an environment need not spell out.

They fill in a merged (still unvalidated) dict; anything set explicitly wins. Values of the wrong
type are left alone for the model to report.

Cluster ``<c>`` with ``domain`` D: every tool host is ``<tool>.D`` (``argocd.D``, ``harbor.D``,
``openbao.D``, ...).

Environment ``<e>`` on cluster ``<c>``:
- ``namespace``: ``plate-<e>``; ``host``: ``<e>.D``; ``registry_project``: ``<e>``;
- ``secrets.path_prefix``: ``plate/<e>``; the registry pull secret ``<prefix>/registry``; each
  service's ``secrets_path``: ``<prefix>/<service>``;
- a service image without a ``registry`` comes from the cluster's Harbor, in the environment's
  project: ``{"repository": "web"}`` is ``harbor.D/<project>/web``;
- route ``app`` serves ``host``; any other route ``<r>`` serves ``<r>.<host>`` (its certificate is
  the edge's, for its listener).
"""
from __future__ import annotations

from typing import Any, cast

from envs.model import ToolHosts

# every tool's host defaults to <tool>.<domain>: the tools are the model's ``hosts`` section, the one list
TOOL_HOSTS = tuple(ToolHosts.model_fields)


def _map(value: object) -> dict[str, Any] | None:
    """A settings section, when it is one (a wrong type is the model's to report, not ours)."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else None


def _dict(value: object) -> dict[str, Any]:
    return _map(value) or {}


def cluster(name: str, data: dict[str, Any]) -> dict[str, Any]:
    data = {"name": name, **data}
    domain = data.get("domain")
    if isinstance(domain, str) and isinstance(data.setdefault("hosts", {}), dict):
        for tool in TOOL_HOSTS:
            data["hosts"].setdefault(tool, f"{tool}.{domain}")
    return data


def environment(name: str, data: dict[str, Any], cluster_data: dict[str, Any]) -> dict[str, Any]:
    data = {"name": name, **data}
    data.setdefault("namespace", f"plate-{name}")
    domain = cluster_data.get("domain")
    if isinstance(domain, str):
        data.setdefault("host", f"{name}.{domain}")
    project = data.setdefault("registry_project", name)
    secrets = _map(data.setdefault("secrets", {}))
    prefix: object = None
    if secrets is not None:
        prefix = secrets.setdefault("path_prefix", f"plate/{name}")
        if isinstance(prefix, str):
            secrets.setdefault("registry_pull_path", f"{prefix}/registry")
    registry = _dict(cluster_data.get("hosts")).get("harbor")
    for key, value in _dict(data.get("services")).items():
        service = _map(value)
        if service is None:
            continue
        if isinstance(prefix, str):
            service.setdefault("secrets_path", f"{prefix}/{key}")
        image = _map(service.get("image"))
        if image is not None and "registry" not in image and isinstance(registry, str) \
                and isinstance(image.get("repository"), str) and isinstance(project, str):
            service["image"] = {**image, "registry": registry, "repository": f"{project}/{image['repository']}"}
    host = data.get("host")
    for key, value in _dict(data.get("routes")).items():
        route = _map(value)
        if route is None:
            continue
        if isinstance(host, str):
            route.setdefault("host", host if key == "app" else f"{key}.{host}")
    return data
