"""Publish and rollback tell the truth: a refusing remote (real hooks in a bare repository), a remote
that moves during the push, an unreachable remote and publishes killed part-way. The remote and the
local tags are exactly as before or exactly as after, never a mix."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from output import atomic
from platectl import publishing
from platectl.cli import cli
from tests.cli.conftest import run_git

ROOT = Path(__file__).resolve().parents[2]


def publish(*args):
    return CliRunner().invoke(cli, ["publish", *args])


def _hook(remote: Path, body: str) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(0o755)


def _refs(repo: Path) -> str:
    """Every ref but the reviewed branch (pushed by the fixture): what publishing may have created."""
    out = run_git("for-each-ref", "--format=%(refname) %(objectname)", cwd=repo).splitlines()
    return "\n".join(line for line in out if not line.startswith("refs/heads/main "))


def test_a_push_refused_by_a_hook_fails_with_the_remote_reason_and_leaves_no_tag(source, remote):
    _hook(remote, 'echo "rendered branch is frozen for the release" >&2\nexit 1\n')
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output == (
        "error: the push to origin/rendered was refused: refs/heads/rendered [remote rejected] (pre-receive hook "
        "declined); refs/tags/publish/staging/1 [remote rejected] (pre-receive hook declined) - the remote said: "
        "rendered branch is frozen for the release. Nothing was changed on origin.\n")
    assert _refs(remote) == ""
    assert run_git("tag", "--list", cwd=source) == ""
    assert run_git("for-each-ref", "refs/remotes/origin/rendered", cwd=source) == ""


def test_a_push_whose_tag_alone_is_refused_moves_nothing(source, remote):
    """The remote refuses only the tag (an ``update`` hook judges each ref): branch and tag go in one
    atomic push, so the branch does not move either."""
    hook = remote / "hooks" / "update"
    hook.write_text('#!/bin/sh\ncase "$1" in refs/tags/*) echo "tags are frozen" >&2; exit 1;; esac\nexit 0\n')
    hook.chmod(0o755)
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert "was refused" in result.output and "tags are frozen" in result.output
    assert _refs(remote) == ""
    assert run_git("tag", "--list", cwd=source) == ""


def test_a_remote_that_moves_during_the_push_is_retried_on_the_new_tip(source, remote, tmp_path):
    assert publish("--env", "production", "--yes").exit_code == 0
    tip = run_git("rev-parse", "rendered", cwd=remote)
    # while our push is being received, someone else's update lands first (outside the hook's quarantine)
    other = run_git("commit-tree", f"{tip}^{{tree}}", "-p", tip, "-m", "someone else", cwd=remote)
    _hook(remote, f"env -u GIT_QUARANTINE_PATH git update-ref refs/heads/rendered {other} {tip} 2>/dev/null\nexit 0\n")
    result = publish("--env", "staging")
    assert result.exit_code == 0, result.output
    assert "origin/rendered moved meanwhile (another environment was published); trying again on top of it" in result.output
    new_tip = run_git("rev-parse", "rendered", cwd=remote)
    assert result.output.endswith(f"as publish/staging/1 (origin/rendered at {new_tip[:12]})\n")
    assert run_git("rev-parse", "rendered^", cwd=remote) == other, "not built on the tip that won the race"
    assert run_git("rev-parse", "publish/staging/1^{commit}", cwd=remote) == new_tip
    assert run_git("tag", "--list", cwd=source).splitlines() == ["publish/production/1", "publish/staging/1"]


def test_a_remote_that_moves_during_every_push_is_an_error(source, remote):
    assert publish("--env", "production", "--yes").exit_code == 0
    # every push races with another update of the branch
    _hook(remote, 'unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES\n'
                  'tip=$(git rev-parse refs/heads/rendered)\n'
                  'new=$(git commit-tree "$tip^{tree}" -p "$tip" -m race)\n'
                  'git update-ref refs/heads/rendered "$new" "$tip"\nexit 0\n')
    before = run_git("tag", "--list", cwd=remote)
    result = publish("--env", "staging")
    assert result.exit_code == 1, result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("error: origin/rendered kept moving; gave up after 3 attempts (last: the push to "
                           "origin/rendered was refused: refs/heads/rendered [remote rejected] (atomic transaction failed)")
    assert "cannot lock ref 'refs/heads/rendered'" in last and last.endswith("Nothing was changed on origin.)")
    assert run_git("tag", "--list", cwd=remote) == before
    assert run_git("tag", "--list", cwd=source) == before


def test_an_unreachable_remote_is_an_error(source, remote, tmp_path):
    remote.rename(tmp_path / "gone.git")
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot fetch origin/main to check that ")
    assert run_git("tag", "--list", cwd=source) == ""


def _platectl(cwd: Path, *args: str, pause: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if pause:
        env[atomic.PAUSE_VARIABLE] = pause
    return subprocess.Popen([sys.executable, "-c", "from platectl.cli import main; main()", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_at(proc: subprocess.Popen, point: str) -> None:
    line = proc.stderr.readline()
    while line and not line.startswith("paused at"):
        line = proc.stderr.readline()
    assert line.strip() == f"paused at {point}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _our_temp_folders() -> list[Path]:
    return sorted(Path(os.environ.get("TMPDIR", "/tmp")).glob(f"{publishing.TEMP_PREFIX}*"))


def test_a_publish_killed_before_the_push_changes_nothing_and_the_next_run_cleans_up(source, remote):
    scratch_before = set(_our_temp_folders())
    proc = _platectl(source, "publish", "--env", "staging", pause="publish-committed")
    _kill_at(proc, "publish-committed")
    left = set(_our_temp_folders()) - scratch_before
    assert left and all(p.name.startswith(f"{publishing.TEMP_PREFIX}{proc.pid}-") for p in left), \
        "the killed publish left no scratch folder: the test did not interrupt it mid-way"
    assert _refs(remote) == ""
    assert run_git("tag", "--list", cwd=source) == ""
    assert run_git("status", "--porcelain", cwd=source) == ""
    again = _platectl(source, "publish", "--env", "staging")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert out.startswith("published staging from ") and "as publish/staging/1 " in out
    killed = [p for p in _our_temp_folders() if p.name.startswith(f"{publishing.TEMP_PREFIX}{proc.pid}-")]
    assert killed == [], "the interrupted publish's temporary folder is still there"
    assert all(f"note: removed {p}, left by an interrupted run" in err for p in left), err
    assert not any(p.exists() for p in left)


def test_a_publish_killed_after_the_push_leaves_the_remote_after_and_no_local_only_tag(source, remote):
    proc = _platectl(source, "publish", "--env", "staging", pause="publish-pushed")
    _kill_at(proc, "publish-pushed")
    assert run_git("tag", "--list", cwd=remote) == "publish/staging/1"
    assert run_git("tag", "--list", cwd=source) in ("", "publish/staging/1")
    result = publish("--env", "staging")
    assert result.output.endswith("nothing to publish: origin/rendered already holds this render of staging\n")
    assert run_git("tag", "--list", cwd=source) == "publish/staging/1"


def test_local_only_publish_tags_are_pruned_and_never_a_rollback_target(source, remote):
    assert publish("--env", "staging").exit_code == 0
    head = run_git("rev-parse", "HEAD", cwd=source)
    run_git("tag", "publish/staging/7", head, cwd=source)
    result = CliRunner().invoke(cli, ["rollback", "--env", "staging", "--to", "publish/staging/7"])
    assert result.exit_code == 1
    assert result.output == "error: unknown ref 'publish/staging/7': origin holds no such publish tag\n"
    assert run_git("tag", "--list", cwd=source) == "publish/staging/1", "the local-only tag survived a fetch"
    result = CliRunner().invoke(cli, ["rollback", "--env", "staging", "--to", head])
    assert result.exit_code == 1
    assert result.output == f"error: {head!r} was never on origin/rendered: only published states can be rolled back to\n"
    assert run_git("rev-list", "--count", "rendered", cwd=remote) == "1"


def test_a_rollback_refused_by_the_remote_is_an_error(source, remote, monkeypatch):
    from tests.cli.test_rollback import _publish_change
    assert publish("--env", "staging").exit_code == 0
    assert _publish_change(source, monkeypatch, 3).status == "published"
    tip = run_git("rev-parse", "rendered", cwd=remote)
    _hook(remote, 'echo "no rollbacks on Fridays" >&2\nexit 1\n')
    result = CliRunner().invoke(cli, ["rollback", "--env", "staging"])
    assert result.exit_code == 1
    assert result.output == ("error: the push to origin/rendered was refused: refs/heads/rendered [remote rejected] "
                             "(pre-receive hook declined); refs/tags/publish/staging/3 [remote rejected] (pre-receive "
                             "hook declined) - the remote said: no rollbacks on Fridays. Nothing was changed on origin.\n")
    assert run_git("tag", "--list", cwd=source).split() == ["publish/staging/1", "publish/staging/2"]
    assert run_git("rev-parse", "rendered", cwd=remote) == tip
