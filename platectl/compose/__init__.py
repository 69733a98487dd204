"""The composition root: turn one validated Environment into component props and constructs.

This package is the only code that reads an ``Environment``. Components receive plain props;
each layer module (``cluster``, ``apps``) declares its components and the flows between them.
The Applications are derived afterwards, from what was built, by the one App-of-Apps rule.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

import cdk8s

from components.argocd.app_of_apps import AppOfAppsProps, AppsChart, BootstrapChart, Cluster
from components.cluster.namespaces import Namespaces, NamespacesProps, derive
from components.core import Component, ManifestChart
from components.secrets import SecretStoreRef
from components.tools.secret_stores import store_ref
from components.workload import Hardening
from envs import ConfigError
from envs.model import Environment

# What each named security profile means for a workload (see envs/model.py SecurityProfile).
HARDENING = {
    "hardened": Hardening(),
    "standard": Hardening(read_only_root_filesystem=False, cpu_limits=False),
}


@dataclass(frozen=True)
class Context:
    env: Environment
    hardening: Hardening

    def store(self, namespace: str) -> SecretStoreRef:
        """The secret store ExternalSecrets in ``namespace`` use (one per namespace, see secret_stores)."""
        return store_ref(namespace, self.env.secrets.refresh_interval)


def compose(app: cdk8s.App, env: Environment) -> list[Component]:
    """Add every component of ``env`` to ``app``, then the Applications that deploy them."""
    return compose_charts(app, env)[0]


def compose_charts(app: cdk8s.App, env: Environment, extra=None) -> tuple[list[Component], list[ManifestChart]]:
    """The components of ``env``, and the Argo CD charts (apps/, bootstrap/) derived from them."""
    from platectl.compose import apps, cluster, observability, tools

    ctx = Context(env, HARDENING[env.security_profile])
    built = [*cluster.build(app, ctx), *tools.build(app, ctx), *apps.build(app, ctx)]
    if extra is not None:  # more application components (the scale benchmark's generator)
        built += extra(app, ctx)
    built += observability.build(app, ctx, built)
    built.append(tools.secret_stores(app, ctx, built))
    namespaces = Namespaces(app, NamespacesProps(namespaces=derive([c.info for c in built])))
    built.append(namespaces)
    infos = [c.info for c in built]
    names = sorted(i.name for i in infos)
    unknown = sorted(set(env.gitops.prune) - set(names))
    if unknown:
        guess = difflib.get_close_matches(unknown[0], names, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f"; rendered: {', '.join(names)}"
        raise ConfigError(env.name, "app-of-apps", f"gitops.prune.{unknown[0]}", f"no such component{hint}")
    aoa = AppOfAppsProps(
        environment=env.name, repo_url=env.gitops.repo_url, revision=env.gitops.rendered_branch,
        argocd_namespace=env.gitops.argocd_namespace,
        clusters=tuple(Cluster(d.name, d.server) for d in env.gitops.destinations),
        multi_cluster=env.gitops.multi_cluster,
        prune=dict(env.gitops.prune), retry_limit=env.gitops.retry_limit)
    argo = [AppsChart(app, aoa, infos, frozenset(namespaces.names)), BootstrapChart(app, aoa)]
    return built, argo
