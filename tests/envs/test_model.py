"""The model: clusters and environments, conventions, environments built on others, services
by configuration, and configuration files that Python cannot run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import envs
from envs import ConfigError, ConfigFileError, deep_merge
from envs.loader import read_folder
from platectl import checks, render
from tests.helpers import load_objects, read_tree

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_configuration_validates(platform):
    """Every file of envs/ is a cluster or an environment of the platform: the shipped ones at least."""
    assert sorted(platform.clusters) == sorted(p.stem for p in (ROOT / "envs" / "clusters").glob("*.py")) == ["shared"]
    assert sorted(platform.environments) == sorted(p.stem for p in (ROOT / "envs" / "environments").glob("*.py"))
    assert {"production", "staging"} <= set(platform.environments)


def _repeats(base, overlay, path=""):
    for k, v in overlay.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            yield from _repeats(base[k], v, f"{path}{k}.")
        elif k in base and base[k] == v:
            yield path + k


def test_overlays_declare_only_what_differs():
    """Each file against what it starts from: the base, or the environment it extends."""
    for name, overlay in envs.OVERLAYS.items():
        assert not list(_repeats(envs.starting_point(name), overlay)), name
    for name, overlay in envs.CLUSTERS.items():
        assert not list(_repeats(envs.CLUSTER_BASE, overlay)), name


def test_an_overlay_repeating_what_it_extends_is_caught(monkeypatch):
    monkeypatch.setitem(envs.OVERLAYS, "qa", {"extends": "staging", "services": {"web": {"image": {"tag": "1.5.0-rc.2"}}},
                                              "security_profile": "hardened"})
    assert list(_repeats(envs.starting_point("qa"), envs.OVERLAYS["qa"])) == ["services.web.image.tag"]


def test_conventions_derive_names_hosts_paths_and_images(platform):
    shared, staging, production = (platform.clusters["shared"], platform.environments["staging"],
                                   platform.environments["production"])
    assert (shared.hosts.argocd, shared.hosts.harbor, shared.hosts.openbao) == (
        "argocd.cocdev.co.kr", "harbor.cocdev.co.kr", "openbao.cocdev.co.kr")
    assert (staging.host, production.host) == ("stg.cocdev.co.kr", "cocdev.co.kr")
    assert staging.routes["llm"].host == "llm.cocdev.co.kr"
    assert staging.services["web"].secrets_path == "plate/staging/web"
    assert staging.secrets.registry_pull_path == "plate/staging/registry"
    # each environment pulls from its own Harbor project
    assert staging.services["web"].image.ref == "harbor.cocdev.co.kr/staging/web:1.5.0-rc.2"
    assert production.services["web"].image.ref == "harbor.cocdev.co.kr/production/web:1.4.2"


def test_llm_runs_in_staging_only(platform):
    assert "llm" in platform.environments["staging"].services
    assert "llm" not in platform.environments["production"].services


def test_deep_merge_replaces_lists_merges_dicts_and_none_removes():
    assert deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}}
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": None}}) == {"a": {"b": 1}}


def test_unknown_environment_is_named():
    with pytest.raises(ConfigError, match="environment 'nowhere', component 'environment', field 'name': unknown "
                                          "environment; known: " + ", ".join(sorted(envs.OVERLAYS))):
        envs.load("nowhere")


def test_an_environment_cannot_extend_itself(monkeypatch):
    monkeypatch.setitem(envs.OVERLAYS, "staging", {**envs.OVERLAYS["staging"], "extends": "production"})
    monkeypatch.setitem(envs.OVERLAYS, "production", {**envs.OVERLAYS["production"], "extends": "staging"})
    with pytest.raises(ConfigError, match="environment 'production', component 'environment', field 'extends': "
                                          "extends itself through production -> staging -> production"):
        envs.load_platform()


# --- the README's examples, exactly -----------------------------------------------------------

def _example(name: str, path: str) -> str:
    """The documentation's example, as tools/examples.py applies it (bin/examples)."""
    from tools.examples import steps
    return next(s.body for s in steps() if s.example == name and s.path == path)


QA_FILE = _example("qa", "envs/environments/qa.py")  # the whole file
_namespace: dict = {}
exec(compile(QA_FILE, "envs/environments/qa.py", "exec"), _namespace)  # noqa: S102
QA = _namespace["OVERLAY"]
WORKER_TEXT = _example("worker", "envs/environments/staging.py")  # entries of staging's "services"
WORKER = eval("{" + WORKER_TEXT + "}")  # noqa: S307


def _render(tmp_path) -> tuple[Path, list]:
    out = tmp_path / "dist"
    render.synth(out, warn=lambda _: None)
    return out, load_objects(out)


def test_qa_is_staging_plus_a_few_differences(tmp_path, monkeypatch):
    monkeypatch.setitem(envs.OVERLAYS, "qa", QA)
    out, objs = _render(tmp_path)
    qa = envs.load("qa")
    assert (qa.cluster, qa.tier, qa.namespace, qa.host) == ("shared", "staging", "plate-qa", "qa.cocdev.co.kr")
    assert sorted(qa.services) == sorted(set(envs.load("staging").services) - {"llm"})
    assert qa.services["web"].image.ref == "harbor.cocdev.co.kr/qa/web:1.5.0-rc.2"
    assert qa.alerts == envs.load("staging").alerts
    # next to staging and production on the one cluster, sharing its tools
    assert {o.name for o in objs if o.kind == "Namespace"} >= {"plate-qa", "plate-stg", "plate-prod"}
    assert (out / "environments" / "qa" / "apps" / "Application.qa-plate-web.k8s.yaml").exists()
    assert (out / "clusters" / "shared" / "apps" / "Application.qa-root.k8s.yaml").exists()
    assert len([o for o in objs if o.kind == "StatefulSet" and o.name == "openbao"]) == 1
    stores = {o.name for o in objs if o.kind == "ClusterSecretStore"}
    assert "openbao-plate-qa" in stores
    projects = next(o for o in objs if o.kind == "ConfigMap" and o.name == "harbor-projects").data["data"]
    assert "qa" in [p["name"] for p in __import__("json").loads(projects["projects.json"])]
    assert "bao kv put kv/plate/qa/registry -" in projects["apply.sh"]
    assert checks.check_delivery(objs) == []


def test_a_worker_is_configuration_only(tmp_path, monkeypatch):
    staging = envs.OVERLAYS["staging"]
    monkeypatch.setitem(envs.OVERLAYS, "staging", {**staging, "services": {**staging["services"], **WORKER}})
    out, objs = _render(tmp_path)
    mine = {o.file.rsplit("/", 1)[1]: o.data for o in objs if o.component == "plate-indexer"}
    assert sorted(mine) == ["ConfigMap.plate-indexer-config.k8s.yaml", "Deployment.plate-indexer.k8s.yaml",
                            "ExternalSecret.plate-indexer-env.k8s.yaml", "NetworkPolicy.plate-indexer.k8s.yaml",
                            "ServiceAccount.plate-indexer.k8s.yaml"]  # no Service: nothing calls a worker
    container = mine["Deployment.plate-indexer.k8s.yaml"]["spec"]["template"]["spec"]["containers"][0]
    assert "ports" not in container and "livenessProbe" not in container and "readinessProbe" not in container
    assert container["args"] == ["--queue", "documents"]
    assert mine["ConfigMap.plate-indexer-config.k8s.yaml"]["data"] == {"CACHE_ADDR": "plate-cache:6379"}
    policy = mine["NetworkPolicy.plate-indexer.k8s.yaml"]["spec"]
    assert "ingress" not in policy or policy["ingress"] == []
    cache_policy = next(o.data for o in objs if o.kind == "NetworkPolicy" and o.name == "plate-cache"
                        and o.namespace == "plate-stg")
    admitted = [p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for r in cache_policy["spec"]["ingress"]
                for p in r["from"] if "podSelector" in p]
    assert "plate-indexer" in admitted
    rules = yaml.safe_load((out / "environments/staging/alert-rules/PrometheusRule.plate-indexer.k8s.yaml").read_text())
    alerts = [r["alert"] for r in rules["spec"]["groups"][0]["rules"]]
    assert alerts == ["PlateAppUnavailable", "PlateAppRestarting", "PlateAppOOMKilled"]  # nothing ingress-based
    assert (out / "environments/staging/apps/Application.staging-plate-indexer.k8s.yaml").exists()
    assert checks.check_delivery(objs) == []


# --- configuration files Python cannot run ------------------------------------------------------

@pytest.fixture
def config(tmp_path):
    """A copy of the shipped configuration to break; the loader reads it instead of envs/."""
    folder = tmp_path / "config"
    for sub in ("clusters", "environments"):
        shutil.copytree(ROOT / "envs" / sub, folder / sub, ignore=shutil.ignore_patterns("__pycache__"))
    yield folder
    envs.use_config()


@pytest.mark.parametrize("source, line, problem", [
    ('OVERLAY = {\n    "cluster": "shared",\n    "namespace": "plate-stg"\n    "host": "x",\n}\n', 4,
     "syntax error: invalid syntax"),
    ('OVERLAY = {\n    "cluster": shared,\n}\n', 2, "NameError: name 'shared' is not defined"),
    ('SETTINGS = {"cluster": "shared"}\n', None, "defines no OVERLAY (a dict of settings)"),
    ('OVERLAY = {\n    "cluster": "shared",\n    "tier": "staging",\n    "cluster": "other",\n}\n', 4,
     "key 'cluster' is given twice in one dict (first on line 2); Python would keep the last one silently"),
    ('import sys\nOVERLAY = {"cluster": "shared"}\nsys.exit(3)\n', 3,
     "calls sys.exit(3): a configuration file defines settings, it does not end the render"),
])
def test_a_python_error_in_a_configuration_file_names_the_file_and_line(config, source, line, problem):
    (config / "environments" / "staging.py").write_text(source)
    with pytest.raises(ConfigFileError) as caught:
        envs.use_config(config)
    where = str(config / "environments" / "staging.py")
    assert str(caught.value) == (f"{where}, line {line}: {problem}" if line else f"{where}: {problem}")


def test_the_entry_point_reports_a_broken_file_without_a_traceback(config, tmp_path, fresh_render):
    (config / "environments" / "staging.py").write_text('OVERLAY = {"cluster": undefined_name}\n')
    out = tmp_path / "dist"
    shutil.copytree(fresh_render, out)
    before = read_tree(out)
    env = {"PLATE_CONFIG": str(config), "PLATE_DIST": str(out), "PATH": os.environ["PATH"]}
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"error: {config / 'environments' / 'staging.py'}, line 1: NameError: name 'undefined_name' is not defined",
        f"nothing written: {out} is unchanged"]
    assert read_tree(out) == before


def test_the_shipped_folder_reads_back_as_the_loaded_configuration():
    """What the loader reads equals what Python itself makes of each file (runpy, not the loader), for
    every file of the folder, and the loaded configuration is that."""
    import runpy

    folder = ROOT / "envs"
    base = runpy.run_path(str(folder / "base.py"))
    clusters = {p.stem: runpy.run_path(str(p))["OVERLAY"] for p in sorted((folder / "clusters").glob("*.py"))}
    environments = {p.stem: runpy.run_path(str(p))["OVERLAY"]
                    for p in sorted((folder / "environments").glob("*.py"))}
    assert set(clusters) == {"shared"} and set(environments) >= {"staging", "production"}
    assert read_folder(folder) == (base["CLUSTER"], base["ENVIRONMENT"], clusters, environments)
    envs.use_config()
    assert (envs.CLUSTER_BASE, envs.ENVIRONMENT_BASE, envs.CLUSTERS, envs.OVERLAYS) == (
        base["CLUSTER"], base["ENVIRONMENT"], clusters, environments)
    assert envs.load("production").namespace == environments["production"]["namespace"] == "plate-prod"


def test_the_examples_are_read_from_the_documentation():
    """The two tests above run the documentation's own text (tools/examples.py finds it by its marker)."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert f"```python\n{QA_FILE}```" in text and f"```python\n{WORKER_TEXT}```" in text
    assert QA["extends"] == "staging" and WORKER["indexer"]["kind"] == "worker"


def test_a_faulty_value_is_reported_for_the_environment_whose_file_writes_it(monkeypatch):
    """qa extends staging: a bad value written in staging's file is staging's error, not qa's (which
    sorts first and inherits it)."""
    monkeypatch.setitem(envs.OVERLAYS, "qa", QA)
    staging = envs.deep_merge(envs.OVERLAYS["staging"], {"services": {"web": {"replicas": -1}}})
    monkeypatch.setitem(envs.OVERLAYS, "staging", staging)
    with pytest.raises(ConfigError) as err:
        envs.load_platform()
    assert str(err.value).startswith("environment 'staging', component 'plate-web', field 'replicas': ")


def test_an_environment_never_inherits_what_names_its_parent(monkeypatch):
    """Namespace, host, registry project, secret path prefix and route hosts name the parent itself: the
    child derives its own (else both would claim them, and the child's policy would read the parent's
    secrets)."""
    monkeypatch.setitem(envs.OVERLAYS, "qa", QA)
    staging = envs.deep_merge(envs.OVERLAYS["staging"], {
        "secrets": {"path_prefix": "plate/stg"}, "routes": {"docs": {"host": "docs.cocdev.co.kr", "paths": {"/": "web"}}}})
    monkeypatch.setitem(envs.OVERLAYS, "staging", staging)
    platform = envs.load_platform()
    stg, qa = platform.environments["staging"], platform.environments["qa"]
    assert (stg.secrets.path_prefix, stg.routes["docs"].host) == ("plate/stg", "docs.cocdev.co.kr")
    assert (qa.secrets.path_prefix, qa.routes["docs"].host) == ("plate/qa", "docs.qa.cocdev.co.kr")
    assert (qa.namespace, qa.host, qa.registry_project) == ("plate-qa", "qa.cocdev.co.kr", "qa")
    assert qa.routes["docs"].paths == stg.routes["docs"].paths  # the rest of the route is inherited
