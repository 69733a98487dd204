"""An environment on two clusters: per-cluster Applications, or one ApplicationSet per component."""
from __future__ import annotations

import pytest

import envs
from platectl import render, schemas
from tests.helpers import load_objects

EDGE = {"name": "edge-1", "server": "https://edge-1.k8s.plate.example.com:6443"}


def two_clusters(mode: str) -> dict:
    data = envs.raw("staging")
    data["gitops"]["destinations"] = [*data["gitops"]["destinations"], EDGE]
    data["gitops"]["multi_cluster"] = mode
    return data


@pytest.fixture(scope="module")
def per_cluster(tmp_path_factory):
    out = tmp_path_factory.mktemp("two") / "dist"
    render.synth(out, names=["staging"], data={"staging": two_clusters("applications")})
    return [o for o in load_objects(out) if o.component in ("apps", "bootstrap")]


@pytest.fixture(scope="module")
def application_sets(tmp_path_factory):
    out = tmp_path_factory.mktemp("sets") / "dist"
    render.synth(out, names=["staging"], data={"staging": two_clusters("applicationset")})
    return [o for o in load_objects(out) if o.component in ("apps", "bootstrap")]


def test_one_application_per_component_and_cluster(per_cluster, objects):
    single = sorted(o.data["metadata"]["labels"]["plate.io/component"] for o in objects
                    if o.env == "staging" and o.kind == "Application" and o.component == "apps")
    apps = [o for o in per_cluster if o.kind == "Application" and o.component == "apps"]
    assert len(apps) == 2 * len(single)
    for component in single:
        mine = {a.data["metadata"]["labels"]["plate.io/cluster"]: a for a in apps
                if a.data["metadata"]["labels"]["plate.io/component"] == component}
        assert sorted(mine) == ["edge-1", "in-cluster"]
        assert mine["edge-1"].name == f"staging-{component}-edge-1"
        assert mine["edge-1"].data["spec"]["destination"]["server"] == EDGE["server"]
        assert mine["in-cluster"].data["spec"]["destination"]["server"] == "https://kubernetes.default.svc"
        # same wave on both clusters
        waves = {a.data["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for a in mine.values()}
        assert len(waves) == 1
    for project in (o for o in per_cluster if o.kind == "AppProject" and o.component == "apps"):
        servers = {d["server"] for d in project.data["spec"]["destinations"]}
        assert servers == {"https://kubernetes.default.svc", EDGE["server"]}


def test_application_sets_generate_one_application_per_cluster(application_sets, crd_dir):
    sets = [o for o in application_sets if o.kind == "ApplicationSet"]
    assert sets and not [o for o in application_sets if o.kind == "Application" and o.component == "apps"]
    web = next(s for s in sets if s.name == "staging-plate-web").data
    assert web["spec"]["generators"] == [{"list": {"elements": [
        {"cluster": "in-cluster", "url": "https://kubernetes.default.svc"}, {"cluster": "edge-1", "url": EDGE["server"]}]}}]
    template = web["spec"]["template"]
    assert template["metadata"]["name"] == "staging-plate-web-{{ .cluster }}"
    assert template["spec"]["destination"] == {"server": "{{ .url }}", "namespace": "plate-stg"}
    assert web["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "24"
    root = next(o for o in application_sets if o.kind == "AppProject" and o.name == "staging-root")
    assert {"group": "argoproj.io", "kind": "ApplicationSet"} in root.data["spec"]["namespaceResourceWhitelist"]
    errors = [f"{s.file}: {e}" for s in sets for e in schemas.validate_custom(s.data, crd_dir)]
    assert not errors, "\n".join(errors)


def test_per_cluster_applications_validate_against_the_crd(per_cluster, crd_dir):
    errors = [f"{o.file}: {e}" for o in per_cluster if o.kind == "Application"
              for e in schemas.validate_custom(o.data, crd_dir)]
    assert not errors, "\n".join(errors)


def test_a_cluster_named_twice_is_refused(tmp_path):
    data = two_clusters("applications")
    data["gitops"]["destinations"][1]["name"] = "in-cluster"
    with pytest.raises(envs.ConfigError) as caught:
        render.synth(tmp_path / "dist", names=["staging"], data={"staging": data})
    assert str(caught.value) == ("environment 'staging', component 'app-of-apps', field 'gitops': "
                                 "destination name 'in-cluster' appears twice")
