from __future__ import annotations

from click.testing import CliRunner

import envs
from platectl import publishing, render
from platectl.cli import cli
from tests.cli.conftest import run_git


def rollback(*args):
    return CliRunner().invoke(cli, ["rollback", *args])


def _publish_change(source, monkeypatch, replicas):
    monkeypatch.setitem(envs.OVERLAYS, "staging",
                        envs.deep_merge(envs.OVERLAYS["staging"], {"services": {"web": {"replicas": replicas}}}))
    render.synth(source / "dist", names=["staging"])
    run_git("add", "-A", cwd=source)
    run_git("commit", "--quiet", "-m", f"web: {replicas} replicas", cwd=source)
    run_git("push", "--quiet", "origin", "main", cwd=source)
    return publishing.publish("staging", repo=source, branch="rendered")


def test_rollback_after_two_publishes_adds_a_commit_restoring_the_first(source, remote, monkeypatch):
    assert publishing.publish("staging", repo=source, branch="rendered").status == "published"
    first_tree = run_git("rev-parse", "rendered:dist/environments/staging", cwd=remote)
    assert _publish_change(source, monkeypatch, 3).status == "published"
    second_tip = run_git("rev-parse", "rendered", cwd=remote)
    assert run_git("rev-parse", "rendered:dist/environments/staging", cwd=remote) != first_tree

    result = rollback("--env", "staging")
    assert result.exit_code == 0, result.output
    tip = run_git("rev-parse", "rendered", cwd=remote)
    assert result.output == f"rolled staging back to publish/staging/1 as publish/staging/3 (origin/rendered at {tip[:12]})\n"
    assert run_git("rev-parse", "rendered:dist/environments/staging", cwd=remote) == first_tree
    # history is kept: the old tip is an ancestor, three commits in all
    run_git("merge-base", "--is-ancestor", second_tip, tip, cwd=remote)
    assert run_git("rev-list", "--count", "rendered", cwd=remote) == "3"
    assert run_git("log", "-1", "--format=%s", "rendered", cwd=remote) == "rollback staging to publish/staging/1"
    # tagged like a publish
    assert run_git("rev-parse", "publish/staging/3^{commit}", cwd=remote) == tip


def test_rollback_twice_is_one_rollback(source, remote, monkeypatch):
    publishing.publish("staging", repo=source, branch="rendered")
    _publish_change(source, monkeypatch, 3)
    assert rollback("--env", "staging").exit_code == 0
    tip = run_git("rev-parse", "rendered", cwd=remote)
    again = rollback("--env", "staging")
    assert again.exit_code == 0, again.output
    assert again.output == ("nothing to roll back: staging is already rolled back to publish/staging/1 "
                            "(publish/staging/3); give --to for an older publish\n")
    assert run_git("rev-parse", "rendered", cwd=remote) == tip
    assert run_git("tag", "--list", cwd=remote).split() == ["publish/staging/1", "publish/staging/2",
                                                             "publish/staging/3"]


def test_rollback_refuses_the_state_already_deployed(source, remote, monkeypatch):
    publishing.publish("staging", repo=source, branch="rendered")
    _publish_change(source, monkeypatch, 3)
    result = rollback("--env", "staging", "--to", "publish/staging/2")
    assert result.exit_code == 1
    assert result.output == ("error: 'publish/staging/2' is what origin/rendered holds for staging now: nothing to "
                             "roll back\n")


def test_history_lists_publishes_and_rollbacks_with_their_sources(source, remote, monkeypatch):
    head = run_git("rev-parse", "HEAD", cwd=source)
    publishing.publish("staging", repo=source, branch="rendered")
    _publish_change(source, monkeypatch, 3)
    assert rollback("--env", "staging").exit_code == 0
    result = CliRunner().invoke(cli, ["history", "--env", "staging"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert lines[0] == ["TAG", "KIND", "DATE", "FROM", "COMMIT"]
    assert [(row[0], row[1], row[3]) for row in lines[1:]] == [
        ("publish/staging/1", "publish", head[:12]),
        ("publish/staging/2", "publish", run_git("rev-parse", "HEAD", cwd=source)[:12]),
        ("publish/staging/3", "rollback", "publish/staging/1")]


def test_rollback_to_an_explicit_publish(source, remote, monkeypatch):
    publishing.publish("staging", repo=source, branch="rendered")
    _publish_change(source, monkeypatch, 3)
    _publish_change(source, monkeypatch, 4)
    result = rollback("--env", "staging", "--to", "publish/staging/2")
    assert result.exit_code == 0, result.output
    assert run_git("rev-parse", "rendered:dist/environments/staging", cwd=remote) == run_git(
        "rev-parse", "publish/staging/2:dist/environments/staging", cwd=remote)


def test_nothing_published_means_nothing_to_roll_back(source, remote):
    result = rollback("--env", "staging")
    assert result.exit_code == 1
    assert result.output == "error: no branch 'rendered' on origin: nothing has been published, nothing to roll back\n"


def test_single_publish_has_no_earlier_state(source, remote):
    publishing.publish("staging", repo=source, branch="rendered")
    result = rollback("--env", "staging")
    assert result.exit_code == 1
    assert result.output == "error: no earlier publish of staging to roll back to\n"


def test_unknown_ref(source, remote):
    publishing.publish("staging", repo=source, branch="rendered")
    result = rollback("--env", "staging", "--to", "publish/staging/99")
    assert result.exit_code == 1
    assert result.output == "error: unknown ref 'publish/staging/99': origin holds no such publish tag\n"
    assert run_git("rev-list", "--count", "rendered", cwd=remote) == "1"
