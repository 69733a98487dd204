"""Ctrl-C (SIGINT) and SIGTERM at several moments of the real render (start-up, Helm, before and after
the swap): one line on stderr, exit 130 or 143, dist/ whole (as before, or as after once swapped), and
the run's scratch folder (its TMPDIR, jsii's files included) gone; a SIGKILLed run's is removed by the
next run. The render runs against a copy of the project's cache (``PLATE_CACHE``), whose ``tmp/`` is
the scratch root."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from output import atomic
from tests.helpers import read_tree

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("cache") / "cache"
    source = ROOT / ".cache"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("tmp")) if source.is_dir() else copy.mkdir()
    return copy


@pytest.fixture
def before(tmp_path, fresh_render):
    out = tmp_path / "work" / "dist"
    shutil.copytree(fresh_render, out)
    (out / "environments" / "production" / "stale.k8s.yaml").write_text("kind: Stale\n")
    return out, read_tree(out)


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def no_run_outlives_its_test():
    """A test that fails while its run is paused must not leave the run behind (its scratch folder would
    be alive, and the next test's to count)."""
    yield
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def start(out: Path, cache: Path, pause: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, PLATE_DIST=str(out), PLATE_CACHE=str(cache))
    env.pop("CDK8S_OUTDIR", None)
    if pause:
        env[atomic.PAUSE_VARIABLE] = pause
    proc = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    STARTED.append(proc)
    return proc


def paused(proc: subprocess.Popen, point: str) -> None:
    line = proc.stderr.readline()
    while line and not line.startswith("paused at"):
        line = proc.stderr.readline()
    assert line.strip() == f"paused at {point}", f"the render never reached {point}"


def scratch(cache: Path) -> list[str]:
    folder = cache / "tmp"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("sig, point, code, word", [
    (signal.SIGINT, None, 130, "interrupted"),  # start-up: the jsii runtime starting
    (signal.SIGTERM, None, 143, "terminated"),
    (signal.SIGINT, "helm", 130, "interrupted"),  # while charts render
    (signal.SIGINT, "rendered", 130, "interrupted"),  # everything written, before the swap
    (signal.SIGTERM, "before-swap", 143, "terminated"),
    (signal.SIGINT, "after-swap", 130, "interrupted"),
], ids=["sigint-startup", "sigterm-startup", "sigint-helm", "sigint-written", "sigterm-before-swap",
        "sigint-after-swap"])
def test_an_interrupt_says_one_line_and_leaves_dist_whole_and_no_scratch(before, fresh_render, cache, sig, point,
                                                                         code, word):
    out, old = before
    helm_cache = cache / "helm"
    if point == "helm" and helm_cache.exists():  # so that Helm really runs
        shutil.rmtree(helm_cache)
    proc = start(out, cache, point)
    if point:
        paused(proc, point)
    else:
        time.sleep(0.5)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    lines = [line for line in err.splitlines() if line and not line.startswith("paused at")]
    assert proc.returncode == code, err
    swapped = point == "after-swap"
    expected = f"{word}: the new render replaced {out}" if swapped else f"{word}: nothing was changed (dist/ unchanged)"
    assert lines == [expected], err
    assert read_tree(out) == (read_tree(fresh_render) if swapped else old)
    assert scratch(cache) == [], "the interrupted run left its scratch folder"
    assert sorted(p.name for p in out.parent.iterdir()) == ["dist"], "staging folders left beside dist/"


def test_a_killed_runs_scratch_is_removed_by_the_next_run(before, fresh_render, cache):
    out, old = before
    proc = start(out, cache, "rendered")
    paused(proc, "rendered")
    left = scratch(cache)
    assert len(left) == 1 and left[0].startswith(f"{proc.pid}-")
    assert any((cache / "tmp" / left[0]).iterdir()), "jsii's runtime files are in the run's scratch folder"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert scratch(cache) == left
    again = start(out, cache)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert scratch(cache) == []
    assert read_tree(out) == read_tree(fresh_render)


def test_a_termination_whose_exit_python_swallowed_still_ends_the_command(tmp_path):
    """SIGTERM's handler raises SystemExit; arriving inside a callback whose exceptions Python only reports
    ("Exception ignored in ..."), that exit is lost and the command would go on to replace dist/ and exit
    0. It is honoured: nothing more is done, one line, 143."""
    script = tmp_path / "swallowed.py"
    script.write_text(
        "import gc, os, signal, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from platectl import interrupts\n"
        "class Callback:\n"
        "    def __del__(self):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        for _ in range(1000):\n"
        "            pass  # the handler runs here: its SystemExit cannot leave __del__\n"
        "def command():\n"
        "    Callback()\n"
        "    gc.collect()\n"
        "    interrupts.check()  # what the render does before it replaces dist/\n"
        "    print('dist/ replaced', file=sys.stderr)\n"
        "    return 0\n"
        "sys.exit(interrupts.run(command, lambda: 'nothing was changed (dist/ unchanged)'))\n")
    env = {**os.environ, "PLATE_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert (proc.returncode, proc.stderr) == (143, "terminated: nothing was changed (dist/ unchanged)\n")
