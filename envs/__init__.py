"""The platform's configuration: clusters and the environments that run on them.

``load_platform()`` is the only way the renderer gets them: each overlay is deep-merged onto its
base (an environment may ``extends`` another), completed by the conventions, validated by
pydantic (unknown keys rejected), then checked by the rules of each cluster, each environment and
the whole platform. Any problem raises ``ConfigError`` whose message names the cluster or the
environment, the component and the field; a Python error in a configuration file raises
``ConfigFileError`` naming the file and the line.

The shipped configuration is this folder (``base.py``, ``clusters/``, ``environments/``);
``PLATE_CONFIG`` names another folder of the same shape.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from envs import conventions
from envs.loader import ConfigFileError, deep_merge, read_folder
from envs.model import Cluster, Environment, ToolHosts
from envs.rules import TierError, check_cluster, check_environment

M = TypeVar("M", bound=BaseModel)

__all__ = ["ConfigError", "ConfigFileError", "Platform", "deep_merge", "load", "load_cluster", "load_platform",
           "names", "cluster_names", "use_config"]

HERE = Path(__file__).resolve().parent


class ConfigError(Exception):
    """Bad configuration. ``str()`` is the one message shown to the user."""

    def __init__(self, name: str, component: str, field: str, problem: str, kind: str = "environment"):
        self.name, self.component, self.field, self.problem, self.kind = name, component, field, problem, kind
        super().__init__(f"{kind} {name!r}, component {component!r}, field {field!r}: {problem}")

    @property
    def environment(self) -> str:
        return self.name

    def __reduce__(self):  # raised in render worker processes, re-raised in the parent
        return ConfigError, (self.name, self.component, self.field, self.problem, self.kind)


# Which component a top-level section configures (for error messages).
_CLUSTER_SECTIONS = {
    "storage_class": "nfs-provisioner", "ingress": "edge", "edge": "edge", "network": "network-policies",
    "cert_manager": "cluster-issuers", "metallb": "metallb-pools", "nfs": "nfs-provisioner", "gitops": "app-of-apps",
    "secrets": "external-secrets", "openbao": "openbao", "argocd": "argo-cd", "jenkins": "jenkins", "harbor": "harbor",
    "dashboard": "headlamp", "sso": "dex", "monitoring": "kube-prometheus-stack", "alerts": "alert-rules",
    "grafana": "grafana", "logging": "fluentd", "alerting": "alert-routing", "security_profile": "namespaces",
    "domain": "cluster",
    "kubernetes_version": "cluster", "backups": "backups",
}
_HOST_COMPONENT = {"openbao": "openbao", "argocd": "argo-cd", "jenkins": "jenkins", "harbor": "harbor",
                   "dashboard": "headlamp", "prometheus": "kube-prometheus-stack", "grafana": "grafana", "dex": "dex"}
_ENV_SECTIONS = {
    "namespace": "plate-namespace", "security_profile": "plate-namespace", "registry_project": "plate-namespace",
    "secrets": "plate-namespace", "host": "plate-routes", "routes": "plate-routes", "ingress": "plate-routes",
    "alerts": "alert-rules", "gitops": "app-of-apps",
}


def locate(kind: str, loc: tuple[str | int, ...]) -> tuple[str, str]:
    """Map a model field path to (component, field path within that component)."""
    parts = [str(p) for p in loc]
    if not parts:
        return kind, "(root)"
    if kind == "environment":
        if parts[0] == "services" and len(parts) >= 2:
            return f"plate-{parts[1]}", ".".join(parts[2:]) or "(all)"
        return _ENV_SECTIONS.get(parts[0], "environment"), ".".join(parts)
    if parts[0] == "hosts" and len(parts) >= 2:
        return _HOST_COMPONENT.get(parts[1], "cluster"), ".".join(parts)
    return _CLUSTER_SECTIONS.get(parts[0], "cluster"), ".".join(parts)


def _problem(error: ErrorDetails) -> str:
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


SERVICE_KINDS = ("web", "admin", "server", "llm", "worker", "cache")


def _validate(model: type[M], kind: str, name: str, data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = tuple(first["loc"])
        if kind == "environment" and len(loc) > 2 and loc[0] == "services" and loc[2] in SERVICE_KINDS:
            loc = loc[:2] + loc[3:]  # the discriminated union adds the service kind to the path
        component, field = locate(kind, loc)
        raise ConfigError(name, component, field, _problem(first), kind) from None


@dataclass(frozen=True)
class Platform:
    clusters: dict[str, Cluster]
    environments: dict[str, Environment]

    def environments_on(self, cluster: str) -> list[Environment]:
        return [e for e in self.environments.values() if e.cluster == cluster]

    def hosts_production(self, cluster: str) -> bool:
        return any(e.tier == "production" for e in self.environments_on(cluster))


# The raw configuration, read once from the configuration folder; tests patch these dicts.
CLUSTER_BASE: dict[str, Any] = {}
ENVIRONMENT_BASE: dict[str, Any] = {}
CLUSTERS: dict[str, dict[str, Any]] = {}
OVERLAYS: dict[str, dict[str, Any]] = {}


def use_config(root: Path | str | None = None) -> None:
    """Read the configuration folder ``root`` (default: ``PLATE_CONFIG``, else ``envs/``)."""
    folder = Path(root or os.environ.get("PLATE_CONFIG") or HERE)
    cluster_base, env_base, clusters, environments = read_folder(folder)
    for target, value in ((CLUSTER_BASE, cluster_base), (ENVIRONMENT_BASE, env_base), (CLUSTERS, clusters),
                          (OVERLAYS, environments)):
        target.clear()
        target.update(value)


# Not inherited through ``extends``: what names the parent itself (its namespace, host, registry project
# and secret path prefix, and the hosts of its routes); the conventions derive the child's own.
IDENTITY = ("namespace", "host", "registry_project")


def _merged_environment(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name not in OVERLAYS:
        raise ConfigError(seen[-1] if seen else name, "environment", "extends" if seen else "name",
                          f"unknown environment {name!r}; known: {', '.join(sorted(OVERLAYS))}")
    if name in seen:
        raise ConfigError(seen[0], "environment", "extends", f"extends itself through {' -> '.join((*seen, name))}")
    overlay = dict(OVERLAYS[name])
    return deep_merge(_starting_point(name, overlay.pop("extends", None), seen), overlay)


def _starting_point(name: str, parent: object, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if parent is None:
        return ENVIRONMENT_BASE
    if not isinstance(parent, str):
        raise ConfigError(name, "environment", "extends", f"must name an environment (got {parent!r})")
    inherited = _merged_environment(parent, (*seen, name))
    for identity in IDENTITY:  # what names the parent itself; the conventions derive the child's own
        inherited.pop(identity, None)
    secrets, routes = inherited.get("secrets"), inherited.get("routes")
    if isinstance(secrets, dict):
        inherited["secrets"] = _without(cast("dict[str, Any]", secrets), "path_prefix")
    if isinstance(routes, dict):
        inherited["routes"] = {k: (_without(cast("dict[str, Any]", r), "host") if isinstance(r, dict) else r)
                               for k, r in cast("dict[str, Any]", routes).items()}
    return inherited


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != key}


def starting_point(name: str) -> dict[str, Any]:
    """What environment ``name``'s own file changes: the base, or what it inherits from the environment it
    ``extends`` (that environment's settings without its identity)."""
    return _starting_point(name, OVERLAYS[name].get("extends"))


def parents_first(names: Iterable[str]) -> list[str]:
    """``names`` with every environment after the ones it extends (then by name): a faulty value is
    reported for the environment whose file writes it, not for the first one that inherits it."""
    return sorted(names, key=lambda n: (_depth(n), n))


def lineage(name: str) -> tuple[str, ...]:
    """``name`` and the environments it extends, nearest first. Cycles are reported by the merge."""
    chain = [name]
    while True:
        parent = OVERLAYS.get(chain[-1], {}).get("extends")
        if not isinstance(parent, str) or parent not in OVERLAYS or parent in chain:
            return tuple(chain)
        chain.append(parent)


def _depth(name: str) -> int:
    """How many environments ``name`` extends through (0: none)."""
    return len(lineage(name)) - 1


def raw(name: str) -> dict[str, Any]:
    """The merged environment data, conventions applied, not validated."""
    data = _merged_environment(name)
    cluster = data.get("cluster")
    cluster_data = raw_cluster(cluster) if isinstance(cluster, str) and cluster in CLUSTERS else {}
    return conventions.environment(name, data, cluster_data)


def raw_cluster(name: str) -> dict[str, Any]:
    if name not in CLUSTERS:
        raise ConfigError(name, "cluster", "name", f"unknown cluster; known: {', '.join(sorted(CLUSTERS))}", "cluster")
    return conventions.cluster(name, deep_merge(CLUSTER_BASE, CLUSTERS[name]))


def validate_cluster(name: str, data: dict[str, Any], production: bool = False) -> Cluster:
    cluster = _validate(Cluster, "cluster", name, data)
    if cluster.name != name:
        raise ConfigError(name, "cluster", "name", f"must equal the file's name {name!r} (got {cluster.name!r})", "cluster")
    try:
        check_cluster(cluster, production)
    except TierError as exc:
        component, field = locate("cluster", exc.loc)
        raise ConfigError(name, component, field, exc.message, "cluster") from None
    return cluster


def validate(name: str, data: dict[str, Any], cluster: Cluster) -> Environment:
    env = _validate(Environment, "environment", name, data)
    if env.name != name:
        raise ConfigError(name, "environment", "name", f"must equal the file's name {name!r} (got {env.name!r})")
    try:
        check_environment(env, cluster)
    except TierError as exc:
        component, field = locate("environment", exc.loc)
        raise ConfigError(name, component, field, exc.message) from None
    return env


def load_platform() -> Platform:
    """Every cluster and environment, validated, with the rules across them."""
    if not CLUSTERS and not OVERLAYS:
        use_config()
    clashes = sorted(set(CLUSTERS) & set(OVERLAYS))
    if clashes:
        raise ConfigError(clashes[0], "cluster", "name", "a cluster and an environment share this name "
                                                         "(publish tags and dist/ folders would clash)", "cluster")
    merged = {n: raw(n) for n in parents_first(OVERLAYS)}  # an inherited fault is its parent's
    raw_envs = {n: merged[n] for n in sorted(merged)}
    for name in parents_first(raw_envs):
        data = raw_envs[name]
        if data.get("cluster") not in CLUSTERS:
            raise ConfigError(name, "environment", "cluster", f"no cluster {data.get('cluster')!r}; "
                                                              f"known: {', '.join(sorted(CLUSTERS))}")
    clusters: dict[str, Cluster] = {}
    for name in sorted(CLUSTERS):
        production = any(d.get("tier") == "production" for d in raw_envs.values() if d.get("cluster") == name)
        clusters[name] = validate_cluster(name, raw_cluster(name), production)
    validated = {n: validate(n, raw_envs[n], clusters[raw_envs[n]["cluster"]]) for n in parents_first(raw_envs)}
    environments = {n: validated[n] for n in raw_envs}
    platform = Platform(clusters, environments)
    _platform_rules(platform)
    return platform


def _secret_prefixes(platform: Platform) -> None:
    """One environment's secrets are never readable by another: on one cluster (one OpenBao), no
    environment's secret path prefix equals or lies inside another's."""
    for cname in platform.clusters:
        on = platform.environments_on(cname)
        for env in on:
            mine = env.secrets.path_prefix.rstrip("/") + "/"
            for other in on:
                theirs = other.secrets.path_prefix.rstrip("/") + "/"
                if other.name != env.name and mine.startswith(theirs):
                    raise ConfigError(env.name, "secrets", "secrets.path_prefix",
                                      f"{env.secrets.path_prefix!r} lies inside the prefix {other.secrets.path_prefix!r} "
                                      f"of environment {other.name!r} on cluster {cname!r}: its policy would read "
                                      "that environment's secrets")


def _names_resolve(platform: Platform) -> None:
    """Names that refer to an environment must name one of the cluster's: an alert route or a
    notification subscription for an environment that does not exist would be silently dead."""
    for cname, cluster in platform.clusters.items():
        known = sorted(e.name for e in platform.environments_on(cname))
        for i, route in enumerate(cluster.alerting.routes):
            if route.environment and route.environment not in known:
                raise ConfigError(cname, "alert-routing", f"alerting.routes.{i}.environment",
                                  f"no environment {route.environment!r} on this cluster (known: "
                                  f"{', '.join(known) or 'none'}): the route would never match", "cluster")
        notifications = cluster.argocd.notifications
        for i, sub in enumerate(notifications.subscriptions if notifications else []):
            if sub.environment not in known:
                raise ConfigError(cname, "argo-cd", f"argocd.notifications.subscriptions.{i}.environment",
                                  f"no environment {sub.environment!r} on this cluster (known: "
                                  f"{', '.join(known) or 'none'}): nobody would ever be notified", "cluster")


def _across_clusters(platform: Platform) -> None:
    """Identities unique across the platform, not per cluster: a cluster file copied from another must
    not claim the same hosts or address."""
    owners: dict[str, str] = {}
    addresses: dict[str, str] = {}
    for cname, cluster in sorted(platform.clusters.items()):
        hosts = [getattr(cluster.hosts, t) for t in ToolHosts.model_fields]
        hosts += [r.host for e in platform.environments_on(cname) for r in e.routes.values()]
        for host in dict.fromkeys(hosts):
            if host in owners:
                raise ConfigError(cname, "edge", "hosts", f"host {host!r} is already claimed by cluster "
                                  f"{owners[host]!r}", "cluster")
            owners[host] = cname
        address = cluster.edge.load_balancer_ip
        if address:
            if address in addresses:
                raise ConfigError(cname, "edge", "edge.load_balancer_ip", f"{address} is already the Gateway "
                                  f"address of cluster {addresses[address]!r}", "cluster")
            addresses[address] = cname


def _platform_rules(platform: Platform) -> None:
    _secret_prefixes(platform)
    _names_resolve(platform)
    _across_clusters(platform)
    for cname, cluster in platform.clusters.items():
        owners: dict[str, str] = {}
        for tool in ToolHosts.model_fields:
            host = getattr(cluster.hosts, tool)
            if host in owners:
                raise ConfigError(cname, _HOST_COMPONENT[tool], f"hosts.{tool}",
                                  f"host {host!r} is already claimed by {owners[host]} on this cluster", "cluster")
            owners[host] = f"the cluster's {tool}"
        routing = cluster.alerting
        for env in platform.environments_on(cname):
            if env.tier == "production":
                continue
            for severity in ("critical", "warning", "info"):
                receiver = routing.receiver_for(env.name, severity)
                if routing.pages(receiver):
                    raise ConfigError(cname, "alert-routing", "alerting.routes",
                                      f"{severity} alerts of environment {env.name!r} ({env.tier}) would page through "
                                      f"{receiver!r}: only production pages; route them elsewhere", "cluster")
        namespaces: dict[str, str] = {}
        for env in platform.environments_on(cname):
            if env.namespace in namespaces:
                raise ConfigError(env.name, "plate-namespace", "namespace",
                                  f"{env.namespace!r} is already environment {namespaces[env.namespace]!r}'s namespace "
                                  f"on cluster {cname!r}")
            namespaces[env.namespace] = env.name
            for rname, route in env.routes.items():
                if route.host in owners:
                    raise ConfigError(env.name, "plate-routes", f"routes.{rname}.host",
                                      f"host {route.host!r} is already claimed by {owners[route.host]} "
                                      f"on cluster {cname!r}")
                owners[route.host] = f"environment {env.name!r}"


def names() -> list[str]:
    """Environment names (configuration order: alphabetical)."""
    if not OVERLAYS:
        use_config()
    return sorted(OVERLAYS)


def cluster_names() -> list[str]:
    if not CLUSTERS:
        use_config()
    return sorted(CLUSTERS)


def folder_of(name: str) -> str:
    """The folder of dist/ that holds a cluster's or an environment's render."""
    return f"clusters/{name}" if name in cluster_names() else f"environments/{name}"


def cluster_of(name: str) -> str:
    """The cluster itself, or the cluster an environment runs on."""
    platform = load_platform()
    return name if name in platform.clusters else load(name).cluster


def tier_of(name: str) -> str:
    """An environment's tier; a cluster is production when it hosts a production environment."""
    platform = load_platform()
    if name in platform.clusters:
        return "production" if platform.hosts_production(name) else "staging"
    return load(name).tier


def load(name: str) -> Environment:
    platform = load_platform()
    if name not in platform.environments:
        raise ConfigError(name, "environment", "name", f"unknown environment; known: {', '.join(names())}")
    return platform.environments[name]


def load_cluster(name: str) -> Cluster:
    platform = load_platform()
    if name not in platform.clusters:
        raise ConfigError(name, "cluster", "name", f"unknown cluster; known: {', '.join(cluster_names())}", "cluster")
    return platform.clusters[name]


try:
    use_config()
except ConfigFileError:  # reported, with its file and line, by the command that loads the platform
    pass
