"""dist/ is never missing or partial: the real render is killed (SIGKILL) at every step of the
swap and at moments of the render, made to fail while writing, and pointed at files in the way.
Every case ends with dist/ exactly as before or exactly as after."""
from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from output import atomic, writer
from platectl import render
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


# --- a kill between any two file-system operations of the swap ------------------------------------
# The child process counts the file-system operations Python performs (audit events: rename, remove,
# rmdir, mkdir, rmtree, a file opened for writing, and the lookup of renameat2 just before the
# exchange call) from the moment the swap starts, and SIGKILLs itself before the N-th. N runs from 1
# until the swap completes, so every gap between two operations is a kill point.

KILLER = r"""
import os, signal, sys
sys.path.insert(0, os.environ["PLATE_ROOT"])
from output import atomic
N = int(os.environ["KILL_AT"])
seen = [0]
armed = [False]
WRITES = {"os.rename", "os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree", "os.symlink", "os.link",
          "os.truncate", "os.chmod"}
def hook(event, args):
    if not armed[0]:
        return
    if event in WRITES or (event == "open" and isinstance(args[1], str) and set(args[1]) & set("wax+")) or (
            event == "ctypes.dlsym" and args[1] == "renameat2"):
        seen[0] += 1
        if seen[0] == N:
            os.kill(os.getpid(), signal.SIGKILL)
sys.addaudithook(hook)
original = atomic.replace
def replace(new, target):
    armed[0] = True
    return original(new, target)
atomic.replace = replace
if sys.argv[1] == "direct":
    from pathlib import Path
    target = Path(sys.argv[2])
    staged = atomic.staging_folder(target)
    for rel, text in (("a/new.yaml", "new\n"), ("b/both.yaml", "after\n")):
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        (staged / rel).write_text(text)
    warning = atomic.replace(staged, target)
    assert warning is None, warning
else:
    from platectl import render
    raise SystemExit(render.main([]))
print("done", seen[0])
"""


def _kill_at(n: int, mode: str, target: Path, exchange: bool) -> subprocess.CompletedProcess:
    env = dict(os.environ, KILL_AT=str(n), PLATE_ROOT=str(ROOT), PLATE_DIST=str(target))
    env.pop(atomic.NO_EXCHANGE_VARIABLE, None)
    if not exchange:
        env[atomic.NO_EXCHANGE_VARIABLE] = "1"
    return subprocess.run([sys.executable, "-c", KILLER, mode, str(target)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _small_tree(target: Path) -> dict[str, bytes]:
    if target.parent.exists():
        shutil.rmtree(target.parent)
    for rel, text in (("a/old.yaml", "old\n"), ("b/both.yaml", "before\n"), ("c/gone.yaml", "gone\n")):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(text)
    return read_tree(target)


AFTER = {"a/new.yaml": b"new\n", "b/both.yaml": b"after\n"}


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_kill_between_any_two_file_operations_of_the_swap(tmp_path, exchange):
    target = tmp_path / "work" / "dist"
    outcomes = set()
    for n in range(1, 200):
        old = _small_tree(target)
        proc = _kill_at(n, "direct", target, exchange)
        if proc.returncode == 0:
            assert proc.stdout.split() == ["done", str(n - 1)], proc.stdout + proc.stderr
            assert read_tree(target) == AFTER
            break
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        if target.exists():
            now = read_tree(target)
            assert now in (old, AFTER), f"killed before file operation {n}: dist/ is partial: {sorted(now)}"
            outcomes.add("after" if now == AFTER else "before")
        else:  # only the fallback has an instant without dist/, and the next run puts it back
            assert not exchange, f"killed before file operation {n}: dist/ is missing"
            outcomes.add("missing")
        atomic.recover(target)
        assert read_tree(target) in (old, AFTER), f"after a kill before operation {n}, recovery left a partial dist/"
        assert _leftovers(target) == [], f"after a kill before operation {n}, recovery left {_leftovers(target)}"
    else:
        pytest.fail("the swap never completed")
    assert n > 3 and {"before", "after"} <= outcomes, (n, outcomes)  # the kills did land inside the swap
    if not exchange:
        assert "missing" in outcomes


def test_a_kill_between_file_operations_of_a_real_render_swap(before, fresh_render):
    """The same on the render itself: killed before each of the swap's first operations."""
    out, old = before
    after = read_tree(fresh_render)
    outcomes = []
    for n in range(1, 5):
        proc = _kill_at(n, "render", out, exchange=True)
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        now = read_tree(out)
        assert now in (old, after), f"killed before the swap's file operation {n}: dist/ is partial"
        outcomes.append(now == after)
        atomic.recover(out)
        if now == after:  # start again from the old content
            shutil.rmtree(out)
            shutil.copytree(fresh_render, out)
            web = out / "environments" / "staging" / "plate-web" / "Deployment.plate-web.k8s.yaml"
            web.write_text(web.read_text().replace("replicas: 1", "replicas: 9"))
            (out / "environments" / "production" / "stale.k8s.yaml").write_text("kind: Stale\n")
            assert read_tree(out) == old
    assert outcomes[0] is False and True in outcomes, outcomes  # before the exchange, then after it


def test_the_exchange_swaps_two_folders_in_one_system_call(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "x").mkdir(parents=True)
    (a / "x" / "one").write_text("a\n")
    b.mkdir()
    (b / "two").write_text("b\n")
    events: list[str] = []
    calls = []
    real = atomic._renameat2()
    assert real is not None, "renameat2 is not available on this Linux"

    def counting(*args):
        calls.append(args)
        return real(*args)

    recording = [True]
    sys.addaudithook(lambda event, _args: events.append(event) if recording[0] and event.startswith(
        ("os.", "shutil.")) else None)  # a hook cannot be removed: it stops recording at the end
    original = atomic._renameat2
    atomic._renameat2 = lambda: counting
    try:
        assert atomic.exchange(a, b) is True
    finally:
        atomic._renameat2 = original
        recording[0] = False
    assert len(calls) == 1 and calls[0][4] == atomic.RENAME_EXCHANGE
    assert [e for e in events if e in ("os.rename", "os.remove", "os.rmdir", "shutil.rmtree")] == []
    assert read_tree(a) == {"two": b"b\n"} and read_tree(b) == {"x/one": b"a\n"}
    with pytest.raises(FileNotFoundError):
        atomic.exchange(a, tmp_path / "missing")
    assert read_tree(a) == {"two": b"b\n"}


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


def test_a_full_disk_names_the_file_it_could_not_write(before, monkeypatch):
    """A write that fails as a full disk does (OSError without a file name) is reported with the path."""
    out, old = before
    real = Path.write_text

    def full(self, data, *args, **kwargs):
        if self.name == "Deployment.plate-web.k8s.yaml":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what write() raises: no filename
        return real(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    result = CliRunner().invoke(cli, ["synth", "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-2].startswith("error: ") and re.search(
        r"/dist/environments/(staging|production)/plate-web/Deployment.plate-web.k8s.yaml: No space left on device$",
        lines[-2]), lines
    assert lines[-1] == f"nothing written: {out} is unchanged"
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


def _immutable(path: Path) -> None:
    """Make ``path`` immutable; where that is not permitted the test skips, except in CI, which must be
    able to (a skip there would hide the capability the test is about, like a missing promtool)."""
    if _chattr("+i", path):
        return
    if os.environ.get("CI"):
        pytest.fail("chattr +i is not permitted in CI (needs CAP_LINUX_IMMUTABLE on a filesystem with "
                    "attributes): the immutable-dist tests must run there")
    pytest.skip("chattr +i is not permitted here (needs CAP_LINUX_IMMUTABLE); CI runs it")


def test_an_immutable_dist_is_reported_and_left_as_it_was(before):
    out, old = before
    _immutable(out)
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
    _immutable(victim)
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
