"""The render as users see it: committed dist/ is fresh, output is deterministic, and
`python main.py` and `cdk8s synth` write the same bytes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from platectl import render
from tests.helpers import read_tree

ROOT = Path(__file__).resolve().parent.parent


def _diff(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted({k for k in a.keys() | b.keys() if a.get(k) != b.get(k)})


def test_committed_dist_is_fresh(fresh_render):
    committed = read_tree(ROOT / "dist")
    differing = _diff(read_tree(fresh_render), committed)
    assert not differing, "dist/ is stale; run bin/render and commit. Differing files:\n" + "\n".join(differing)


def _main(out: Path, seed: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PLATE_DIST=str(out), PYTHONHASHSEED=seed, **(extra_env or {}))
    env.pop("CDK8S_OUTDIR", None)
    return subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_two_renders_are_byte_identical_whatever_the_hash_seed(tmp_path, fresh_render):
    runs = []
    for seed in ("0", "4242"):
        out = tmp_path / f"seed-{seed}" / "dist"
        proc = _main(out, seed)
        assert proc.returncode == 0, proc.stderr
        runs.append(read_tree(out))
    assert runs[0] == runs[1]
    assert runs[0] == read_tree(fresh_render)


def test_cdk8s_synth_writes_the_same_render_and_never_needs_the_network(tmp_path, fresh_render):
    cli = ROOT / "node_modules" / ".bin" / "cdk8s"
    if not cli.exists():
        pytest.fail("node_modules/.bin/cdk8s missing: run bin/test (it runs npm ci)")
    work = tmp_path / "project"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".venv", "node_modules", "dist", ".git", ".cdk8s.out"))
    (work / "node_modules").symlink_to(ROOT / "node_modules")
    env = dict(os.environ, CDK8S_CHECK_UPGRADE="false", PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}",
               # any attempt to reach a registry fails fast instead of hanging
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", npm_config_offline="true")
    env.pop("PLATE_DIST", None)
    proc = subprocess.run([str(cli), "synth"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_tree(work / "dist") == read_tree(fresh_render)
    assert (work / ".cdk8s.out").resolve() == (work / "dist").resolve()
    # a second run with bad input: the CLI wipes its scratch folder, dist/ stays whole
    before = read_tree(work / "dist")
    prod = work / "envs" / "production.py"
    prod.write_text(prod.read_text().replace('"tag": "1.4.2"', '"tag": "latest"', 1))
    proc = subprocess.run([str(cli), "synth"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "environment 'production', component 'plate-web', field 'image.tag'" in proc.stderr
    assert read_tree(work / "dist") == before


def test_partial_render_replaces_only_that_environment(tmp_path, fresh_render):
    out = tmp_path / "dist"
    shutil.copytree(fresh_render, out)
    marker = out / "production" / "marker.yaml"
    marker.write_text("kept: true\n")
    stale = out / "staging" / "stale.yaml"
    stale.write_text("stale: true\n")
    render.synth(out, names=["staging"])
    assert marker.exists(), "production was touched by a staging-only render"
    assert not stale.exists(), "stale staging file survived a staging render"


def test_full_render_removes_stale_files(tmp_path, fresh_render):
    out = tmp_path / "dist"
    shutil.copytree(fresh_render, out)
    (out / "staging" / "plate-web" / "Old.gone.k8s.yaml").write_text("a: 1\n")
    render.synth(out)
    assert read_tree(out) == read_tree(fresh_render)


def test_parallel_render_in_worker_processes_is_byte_identical(tmp_path, fresh_render, monkeypatch):
    monkeypatch.setenv("PLATE_RENDER_PROCESSES", "2")
    assert render.processes(2) == 2
    render.synth(tmp_path / "dist")
    assert read_tree(tmp_path / "dist") == read_tree(fresh_render)


def test_few_environments_render_in_process_many_in_parallel(monkeypatch):
    monkeypatch.delenv("PLATE_RENDER_PROCESSES", raising=False)
    assert render.processes(2) == 1
    assert render.processes(10) == min(10, __import__("os").cpu_count() or 1)
