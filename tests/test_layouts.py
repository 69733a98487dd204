"""One cluster per environment, from configuration alone (examples/cluster-per-environment): it renders,
validates, every object is reached from its cluster's root and none is claimed twice."""
from __future__ import annotations

from pathlib import Path

import pytest

import envs
from platectl import checks
from tests.helpers import load_objects

LAYOUT = Path(__file__).resolve().parent.parent / "examples" / "cluster-per-environment"


@pytest.fixture(scope="module")
def per_environment(layout_render):
    envs.use_config(LAYOUT)
    try:
        yield layout_render, envs.load_platform()
    finally:
        envs.use_config()


@pytest.fixture(scope="module")
def layout_objects(per_environment):
    return load_objects(per_environment[0])


def test_each_environment_runs_on_its_own_cluster(per_environment, layout_objects):
    out, platform = per_environment
    assert {e.name: e.cluster for e in platform.environments.values()} == {"staging": "stg", "production": "prod"}
    assert sorted(p.name for p in (out / "clusters").iterdir()) == ["prod", "stg"]
    objs = layout_objects
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
    assert platform.clusters["stg"].openbao.replicas == 1
    assert platform.clusters["prod"].openbao.replicas == 3


def test_harbor_internal_database_password_comes_from_openbao(per_environment, layout_objects):
    """A cluster without production may run Harbor's internal PostgreSQL: its password is no longer the
    chart's default but an ExternalSecret's, for the database pod and for core alike."""
    _, platform = per_environment
    assert platform.clusters["stg"].harbor.database == "internal"
    harbor = [o for o in layout_objects if o.env == "stg" and o.component == "harbor"]
    assert not [o.file for o in harbor if o.kind == "Secret" and (o.data.get("data") or {}).get("POSTGRES_PASSWORD")]
    database = next(o for o in harbor if o.kind == "ExternalSecret" and o.name == "harbor-database")
    assert database.data["spec"]["data"][0]["secretKey"] == "POSTGRES_PASSWORD"
    core = next(o for o in harbor if o.kind == "Deployment" and o.name == "harbor-core")
    env = {e["name"]: e for e in core.data["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["POSTGRESQL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "harbor-database-password"


@pytest.mark.parametrize("changes, message", [
    ({"domain": "cocdev.co.kr"},
     "cluster 'stg', component 'edge', field 'hosts': host 'openbao.cocdev.co.kr' is already claimed by cluster 'prod'"),
    ({"edge": {"load_balancer_ip": "10.20.0.100"},  # and the pool it comes from: a copied file
      "metallb": {"pools": [{"name": "public", "addresses": ["10.20.0.100-10.20.0.140"]}]}},
     "cluster 'stg', component 'edge', field 'edge.load_balancer_ip': 10.20.0.100 is already the Gateway address of "
     "cluster 'prod'"),
])
def test_a_cluster_copied_from_another_cannot_claim_its_hosts_or_address(monkeypatch, changes, message):
    """Identities are unique across the platform, not per cluster."""
    from envs import ConfigError
    envs.use_config(LAYOUT)
    try:
        monkeypatch.setitem(envs.CLUSTERS, "stg", envs.deep_merge(envs.CLUSTERS["stg"], changes))
        with pytest.raises(ConfigError) as caught:
            envs.load_platform()
        assert str(caught.value) == message
    finally:
        envs.use_config()
