"""Every setting a component declares reaches it: for each configuration variant we ship, every
component built from a settings section has, in its props, exactly the value the section holds for
each field of its ``...Settings`` class (composition may add wiring, never drop or change a setting)."""
from __future__ import annotations

from pathlib import Path

import cdk8s
import pytest
from pydantic import BaseModel

import envs
from components.core import Component
from composition import compose_cluster
from composition.apps import component_name
from envs.model import Cluster, Environment

ROOT = Path(__file__).resolve().parent.parent.parent
VARIANTS = {"shared-cluster": ROOT / "envs", "cluster-per-environment": ROOT / "examples" / "cluster-per-environment"}

# Settings composition deliberately completes from other settings (each says how), per Settings class.
DERIVED = {
    # a service's own config plus the addresses of the services it uses (``uses``)
    ("PlateServiceSettings", "config"),
}


def _settings_classes(props: BaseModel) -> list[type[BaseModel]]:
    """The ``...Settings`` classes a component's props extend: what configuration may change of it."""
    return [k for k in type(props).__mro__
            if isinstance(k, type) and issubclass(k, BaseModel) and k.__name__.endswith("Settings")
            and k.__module__.startswith("components.")]


def _sections(cluster: Cluster, environments: list[Environment]) -> list[tuple[str, BaseModel, str | None]]:
    """(where, section, the component it belongs to when it names one) of a cluster and its environments."""
    out: list[tuple[str, BaseModel, str | None]] = []
    for name in type(cluster).model_fields:
        value = getattr(cluster, name)
        if isinstance(value, BaseModel):
            out.append((f"cluster {cluster.name}: {name}", value, None))
    for env in environments:
        for name in type(env).model_fields:
            value = getattr(env, name)
            if isinstance(value, BaseModel):
                out.append((f"environment {env.name}: {name}", value, f"{env.namespace}/"))
        for key, service in env.services.items():
            out.append((f"environment {env.name}: services.{key}", service,
                        f"{env.namespace}/{component_name(key)}"))
    return out


def _fed_by(component: Component, sections: list[tuple[str, BaseModel, str | None]]):
    """For each Settings class of the component, the one section holding it."""
    props = getattr(component, "props", None)
    if not isinstance(props, BaseModel):
        return []
    here = f"{component.info.namespace}/{component.info.name}"
    found = []
    for settings in _settings_classes(props):
        candidates = [(where, section) for where, section, owner in sections if isinstance(section, settings)
                      and (owner is None or here == owner or (owner.endswith("/") and here.startswith(owner)))]
        if component.info.layer == "apps":  # an environment's component: only its environment's sections
            candidates = [(w, s) for w, s in candidates if w.startswith("environment")]
        else:
            candidates = [(w, s) for w, s in candidates if w.startswith("cluster")]
        found.append((settings, candidates))
    return found


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_setting_a_component_declares_reaches_it(variant, tmp_path):
    envs.use_config(VARIANTS[variant])
    try:
        platform = envs.load_platform()
        checked: set[str] = set()
        for name, cluster in sorted(platform.clusters.items()):
            environments = list(platform.environments_on(name))
            sections = _sections(cluster, environments)
            app = cdk8s.App(outdir=str(tmp_path / name))
            for unit in compose_cluster(app, platform, name):
                for component in unit.components:
                    for settings, candidates in _fed_by(component, sections):
                        where = f"{variant}, component {component.info.name!r} ({settings.__name__})"
                        assert len(candidates) == 1, f"{where}: fed by {[w for w, _ in candidates] or 'no section'}"
                        section_name, section = candidates[0]
                        for field in settings.model_fields:
                            if (settings.__name__, field) in DERIVED:
                                continue
                            want, got = getattr(section, field), getattr(component.props, field)  # type: ignore[attr-defined]
                            assert got == want, f"{where}: {section_name}.{field} is {want!r}, the component has {got!r}"
                        checked.add(component.info.name)
        # the platform's tools and the Plate services all took part (a wiring change cannot empty the test)
        assert {"cert-manager", "cluster-issuers", "metallb", "external-secrets", "secret-stores", "openbao",
                "argo-cd", "jenkins", "harbor", "dex", "headlamp", "kube-prometheus-stack", "alert-routing",
                "grafana", "fluentd", "edge", "envoy-gateway", "network-policies", "plate-web", "plate-server",
                "plate-cache", "plate-routes"} <= checked
    finally:
        envs.use_config()
