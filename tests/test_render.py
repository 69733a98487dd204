"""The render as users see it: committed dist/ is fresh, output is deterministic, and
`python main.py` and `cdk8s synth` write the same bytes."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import envs
from platectl import freshness, render
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


def test_cdk8s_synth_as_a_developer_runs_it_is_quiet_correct_and_offline(tmp_path, fresh_render):
    """`npx cdk8s synth` in a fresh shell: none of the variables bin/render exports, no network."""
    if not (ROOT / "node_modules" / ".bin" / "cdk8s").exists():
        pytest.fail("node_modules/.bin/cdk8s missing: run bin/test (it runs npm ci)")
    work = tmp_path / "project"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".venv", "node_modules", "dist", ".git", ".cdk8s.out"))
    (work / "node_modules").symlink_to(ROOT / "node_modules")
    env = {"PATH": f"{Path(sys.executable).parent}:{ROOT / 'node_modules' / '.bin'}:/usr/local/bin:/usr/bin:/bin",
           "HOME": str(tmp_path / "home"),
           # any attempt to reach a registry fails fast instead of hanging
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "npm_config_offline": "true"}
    proc = subprocess.run(["npx", "cdk8s", "synth"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [f"rendered cluster shared into {work / 'dist'}"], proc.stderr
    # outside a git checkout there is no list of inputs to stamp the render with (platectl.freshness)
    assert read_tree(work / "dist") == {k: v for k, v in read_tree(fresh_render).items() if k != freshness.STAMP}
    assert (work / ".cdk8s.out").resolve() == (work / "dist").resolve()
    # a second run with bad input: the CLI wipes its scratch folder, dist/ stays whole
    before = read_tree(work / "dist")
    prod = work / "envs" / "environments" / "production.py"
    prod.write_text(prod.read_text().replace('"tag": "1.4.2"', '"tag": "latest"', 1))
    proc = subprocess.run(["npx", "cdk8s", "synth"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    # our one line comes first; the CLI then reports the app's exit code its own way
    assert proc.stderr.splitlines()[:2] == [
        "error: environment 'production', component 'plate-web', field 'image.tag': production images must be pinned "
        "to an explicit tag or digest (got 'latest')", f"nothing written: {work / 'dist'} is unchanged"]
    assert "Traceback" not in proc.stderr
    assert read_tree(work / "dist") == before


def test_partial_render_replaces_only_that_cluster_and_its_environments(tmp_path, fresh_render):
    out = tmp_path / "dist"
    shutil.copytree(fresh_render, out)
    marker = out / "clusters" / "other" / "apps" / "marker.yaml"
    marker.parent.mkdir(parents=True)
    marker.write_text("kept: true\n")
    stale = out / "environments" / "staging" / "stale.yaml"
    stale.write_text("stale: true\n")
    assert render.synth(out, names=["staging"]) == ["shared"]
    assert marker.read_text() == "kept: true\n", "another cluster was touched by a staging render"
    assert not stale.exists(), "stale staging file survived a staging render"


def test_full_render_removes_stale_files(tmp_path, fresh_render):
    out = tmp_path / "dist"
    shutil.copytree(fresh_render, out)
    (out / "environments" / "staging" / "plate-web" / "Old.gone.k8s.yaml").write_text("a: 1\n")
    render.synth(out)
    assert read_tree(out) == read_tree(fresh_render)


def test_parallel_render_in_worker_processes_is_byte_identical(tmp_path, monkeypatch):
    layout = ROOT / "examples" / "cluster-per-environment"
    envs.use_config(layout)
    try:
        render.synth(tmp_path / "serial", warn=lambda _: None)
        monkeypatch.setenv("PLATE_RENDER_PROCESSES", "2")
        assert render.processes(2) == 2
        lines: list[str] = []
        render.synth(tmp_path / "parallel", warn=lambda _: None, progress=lines.append)
    finally:
        envs.use_config()
    assert "rendering 2 clusters in 2 processes" in lines
    assert read_tree(tmp_path / "parallel") == read_tree(tmp_path / "serial")


def test_few_environments_render_in_process_many_in_parallel(monkeypatch):
    monkeypatch.delenv("PLATE_RENDER_PROCESSES", raising=False)
    assert render.processes(2) == 1
    assert render.processes(10) == min(10, __import__("os").cpu_count() or 1)
