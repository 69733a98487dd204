"""dist/ is never missing or partial: the real render is killed (SIGKILL) at every step of the
swap and at moments of the render, made to fail while writing, and pointed at files in the way.
Every case ends with dist/ exactly as before or exactly as after."""
from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from platectl import atomic, render, writer
from platectl.cli import cli
from tests.helpers import read_tree

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def before(tmp_path, fresh_render) -> tuple[Path, dict[str, bytes]]:
    """A dist/ that differs from a fresh render (one changed file, one stale file)."""
    out = tmp_path / "work" / "dist"
    shutil.copytree(fresh_render, out)
    web = out / "environments" / "staging" / "plate-web" / "Deployment.plate-web.k8s.yaml"
    web.write_text(web.read_text().replace("replicas: 1", "replicas: 9"))
    (out / "environments" / "production" / "stale.k8s.yaml").write_text("kind: Stale\n")
    return out, read_tree(out)


def _start(out: Path, pause: str | None = None, **extra: str) -> subprocess.Popen:
    env = dict(os.environ, PLATE_DIST=str(out), **extra)
    env.pop("CDK8S_OUTDIR", None)
    if pause:
        env[atomic.PAUSE_VARIABLE] = pause
    return subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def _kill_when_paused(proc: subprocess.Popen, point: str) -> None:
    line = proc.stderr.readline()
    while line and not line.startswith("paused at"):
        line = proc.stderr.readline()
    assert line.strip() == f"paused at {point}", f"the render never reached {point}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


@pytest.mark.parametrize("point, exchange", [
    ("rendered", True), ("before-swap", True), ("after-swap", True),
    ("before-swap", False), ("after-swap", False),
])
def test_a_kill_at_any_step_of_the_swap_leaves_a_whole_dist(before, fresh_render, point, exchange):
    out, old = before
    extra = {} if exchange else {atomic.NO_EXCHANGE_VARIABLE: "1"}
    proc = _start(out, point, **extra)
    _kill_when_paused(proc, point)
    now = read_tree(out)
    after = read_tree(fresh_render)
    assert now == (after if point == "after-swap" else old)
    assert _leftovers(out), "the killed render left nothing to clean: the test did not interrupt it"
    # the next run cleans up and says so
    again = _start(out)
    _, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert "note: removed .dist.render-" in stderr
    assert read_tree(out) == after
    assert _leftovers(out) == []


def test_a_kill_between_the_two_renames_of_the_fallback_is_restored_by_the_next_run(before, fresh_render):
    """Without an exchange rename there is an instant with no dist/; the next run puts it back."""
    out, old = before
    proc = _start(out, "between-renames", **{atomic.NO_EXCHANGE_VARIABLE: "1"})
    _kill_when_paused(proc, "between-renames")
    assert not out.exists()
    assert atomic.recover(out)[0].startswith(f"restored {out} from an interrupted render (.dist.old-")
    assert read_tree(out) == old
    assert _leftovers(out) == []


@pytest.mark.parametrize("delay", [0.3, 0.9, 1.5, 2.1])
def test_a_kill_at_a_moment_of_the_render_leaves_dist_before_or_after(before, fresh_render, delay):
    out, old = before
    proc = _start(out)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert read_tree(out) in (old, read_tree(fresh_render))


def test_sigterm_cleans_up_on_the_way_out(before):
    out, old = before
    proc = _start(out, "rendered")
    line = proc.stderr.readline()
    while line and not line.startswith("paused at"):
        line = proc.stderr.readline()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert read_tree(out) == old
    assert _leftovers(out) == []


def test_a_write_failure_leaves_dist_unchanged_with_one_line(before, monkeypatch):
    out, old = before

    def disk_full(units):
        outdir = units[-1][0]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(outdir / "plate-web" / "Deployment.plate-web.k8s.yaml"))

    monkeypatch.setattr(writer, "write_units", disk_full)
    result = CliRunner().invoke(cli, ["synth", "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-2].startswith("error: ") and lines[-2].endswith(
        "/dist/environments/staging/plate-web/Deployment.plate-web.k8s.yaml: No space left on device")
    assert lines[-1] == f"nothing written: {out} is unchanged"
    assert "Traceback" not in result.output
    assert read_tree(out) == old
    assert _leftovers(out) == []


def test_a_file_where_dist_should_be_is_refused_and_kept(tmp_path, monkeypatch, capsys):
    out = tmp_path / "dist"
    out.write_text("not a folder\n")
    monkeypatch.setenv("PLATE_DIST", str(out))
    assert render.main([]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"error: {out}: not a folder (a file is in the way); move it away and render again",
        f"nothing written: {out} is unchanged"]
    assert out.read_text() == "not a folder\n"


def test_a_file_where_an_environment_folder_should_be_is_replaced_by_the_render(before, fresh_render):
    out, _ = before
    shutil.rmtree(out / "environments" / "staging")
    (out / "environments" / "staging").write_text("in the way\n")
    render.synth(out, names=["staging"], warn=lambda _: None)
    assert read_tree(out) == read_tree(fresh_render)


def test_a_partial_render_keeps_other_clusters_in_one_swap(before, fresh_render):
    out, _ = before
    other = out / "clusters" / "elsewhere" / "apps" / "AppProject.elsewhere-root.k8s.yaml"
    other.parent.mkdir(parents=True)
    other.write_text("kind: AppProject\n")
    render.synth(out, names=["staging"], warn=lambda _: None)
    now = read_tree(out)
    assert now.pop("clusters/elsewhere/apps/AppProject.elsewhere-root.k8s.yaml") == b"kind: AppProject\n"
    assert now == read_tree(fresh_render)


def _chattr(flag: str, path: Path) -> bool:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


def test_an_immutable_dist_is_reported_and_left_as_it_was(before):
    out, old = before
    if not _chattr("+i", out):
        pytest.skip("chattr +i is not permitted here (needs CAP_LINUX_IMMUTABLE)")
    try:
        result = CliRunner().invoke(cli, ["synth", "--out", str(out)])
    finally:
        _chattr("-i", out)
    assert result.exit_code == 1
    assert result.output.splitlines()[-2] == f"error: {out}: cannot replace it: Operation not permitted"
    assert read_tree(out) == old
    assert _leftovers(out) == []


def test_an_immutable_file_in_dist_does_not_stop_the_swap_and_is_reported(before, fresh_render):
    out, _ = before
    victim = out / "environments" / "staging" / "plate-web" / "Deployment.plate-web.k8s.yaml"
    if not _chattr("+i", victim):
        pytest.skip("chattr +i is not permitted here (needs CAP_LINUX_IMMUTABLE)")
    kept = None
    try:
        warnings: list[str] = []
        render.synth(out, warn=warnings.append)
        assert read_tree(out) == read_tree(fresh_render)
        kept = [w for w in warnings if w.startswith("warning: the previous render is kept at ")]
        assert len(kept) == 1 and kept[0].endswith("(could not remove it: Operation not permitted)")
    finally:
        for leftover in out.parent.glob(".dist.render-*/dist/environments/staging/plate-web/Deployment.plate-web.k8s.yaml"):
            _chattr("-i", leftover)
        _chattr("-i", victim)
    # once the file can go, the next run removes the kept copy
    notes: list[str] = []
    render.synth(out, warn=notes.append)
    assert any(n.startswith("note: removed .dist.render-") for n in notes)
    assert _leftovers(out) == []
