"""One cluster per environment, from configuration alone (examples/cluster-per-environment): it renders,
validates, every object is reached from its cluster's root and none is claimed twice."""
from __future__ import annotations

from pathlib import Path

import pytest

import envs
from platectl import checks, render
from tests.helpers import load_objects

LAYOUT = Path(__file__).resolve().parent.parent / "examples" / "cluster-per-environment"


@pytest.fixture(scope="module")
def per_environment(tmp_path_factory):
    envs.use_config(LAYOUT)
    try:
        out = tmp_path_factory.mktemp("layout") / "dist"
        render.synth(out, warn=lambda _: None)
        yield out, envs.load_platform()
    finally:
        envs.use_config()


def test_each_environment_runs_on_its_own_cluster(per_environment):
    out, platform = per_environment
    assert {e.name: e.cluster for e in platform.environments.values()} == {"staging": "stg", "production": "prod"}
    assert sorted(p.name for p in (out / "clusters").iterdir()) == ["prod", "stg"]
    objs = load_objects(out)
    roots = sorted(o.name for o in objs if o.kind == "Application" and o.component == "bootstrap")
    assert roots == ["prod-root", "stg-root"]
    # each cluster has its own Argo CD and OpenBao; each environment's root is on its own cluster only
    assert sorted(o.env for o in objs if o.kind == "StatefulSet" and o.name == "openbao") == ["prod", "stg"]
    env_roots = {o.env: o.name for o in objs if o.kind == "Application" and o.name in ("staging-root", "production-root")}
    assert env_roots == {"stg": "staging-root", "prod": "production-root"}


def test_the_per_environment_layout_passes_every_check(per_environment):
    out, platform = per_environment
    envs.use_config(LAYOUT)
    try:
        count, findings = checks.run(out, sorted([*platform.clusters, *platform.environments]))
    finally:
        envs.use_config()
    assert count > 250
    assert [f for f in findings if f.level == "error"] == []


def test_the_staging_cluster_is_not_held_to_production_rules_but_the_production_cluster_is(per_environment):
    _, platform = per_environment
    assert not platform.hosts_production("stg") and platform.hosts_production("prod")
    assert platform.clusters["stg"].openbao.storage == "file"
    assert platform.clusters["prod"].openbao.replicas == 3
