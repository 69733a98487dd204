from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import envs
from platectl import publishing, render
from platectl.cli import cli
from platectl.gitutil import GitError
from tests.cli.conftest import run_git
from tests.helpers import ENVIRONMENTS


def publish(*args, input=None):
    return CliRunner().invoke(cli, ["publish", *args], input=input)


def test_first_publish_creates_the_branch_tags_it_and_leaves_the_checkout_alone(source, remote):
    head = run_git("rev-parse", "HEAD", cwd=source)
    result = publish("--env", "staging")
    assert result.exit_code == 0, result.output
    commit = run_git("rev-parse", "refs/heads/rendered", cwd=remote)
    assert result.output == f"published staging from {head[:12]} as publish/staging/1 (origin/rendered at {commit[:12]})\n"
    assert run_git("rev-parse", "refs/tags/publish/staging/1^{commit}", cwd=remote) == commit
    message = run_git("log", "-1", "--format=%B", "rendered", cwd=remote)
    assert message.startswith(f"publish staging from {head[:12]}: platform: first render")
    assert f"Source-Commit: {head}" in message
    # the published tree is exactly the render, at the same paths as dist/, and where it came from
    published = run_git("ls-tree", "-r", "--name-only", "rendered", cwd=remote).splitlines()
    assert published == sorted([*(str(p.relative_to(source))
                                  for p in (source / "dist" / "environments" / "staging").rglob("*.yaml")),
                                "dist/environments/staging/hydrator.metadata"])
    # the user's checkout did not move
    assert run_git("rev-parse", "HEAD", cwd=source) == head
    assert run_git("status", "--porcelain", cwd=source) == ""
    assert run_git("symbolic-ref", "--short", "HEAD", cwd=source) == "main"
    assert run_git("worktree", "list", "--porcelain", cwd=source).count("worktree ") == 1


def test_every_application_path_resolves_on_the_rendered_branch(source, remote):
    """The cluster first (its root and the environments' roots), then each environment."""
    for name in ("shared", *ENVIRONMENTS):
        assert publish("--env", name, "--yes").exit_code == 0
    import yaml
    tree = set(run_git("ls-tree", "-r", "-d", "--name-only", "rendered", cwd=remote).splitlines())
    for app in sorted((source / "dist").glob("*/*/*/Application.*.yaml")):
        spec = yaml.safe_load(app.read_text())["spec"]
        for src in spec.get("sources", [spec.get("source")]):
            if "path" in src:
                assert src["path"] in tree, f"{app.name}: {src['path']} missing on the rendered branch"


def test_publishing_the_same_render_again_changes_nothing(source, remote):
    assert publish("--env", "staging").exit_code == 0
    before = run_git("rev-parse", "refs/heads/rendered", cwd=remote)
    result = publish("--env", "staging")
    assert result.exit_code == 0
    assert result.output == "nothing to publish: origin/rendered already holds this render of staging\n"
    assert run_git("rev-parse", "refs/heads/rendered", cwd=remote) == before
    assert run_git("tag", "--list", cwd=remote) == "publish/staging/1"


def test_dirty_source_tree_is_refused(source, remote):
    (source / "README.md").write_text("edited\n")
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output == ("error: the source tree is dirty (1 changes); commit or stash them first:\n"
                             "   M README.md\n")
    assert "rendered" not in run_git("branch", "--list", cwd=remote)


def test_stale_committed_dist_is_refused(source, remote):
    victim = next((source / "dist" / "environments" / "staging" / "plate-web").glob("Deployment.*.yaml"))
    victim.write_text(victim.read_text().replace("replicas: 1", "replicas: 7"))
    run_git("add", "-A", cwd=source)
    run_git("commit", "--quiet", "-m", "hand edit", cwd=source)
    run_git("push", "--quiet", "origin", "main", cwd=source)
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output == ("error: the committed dist/ is stale for staging (1 files differ, first: "
                             "dist/environments/staging/plate-web/Deployment.plate-web.k8s.yaml); run bin/render and "
                             "commit first\n")


def test_production_asks_and_a_no_changes_nothing(source, remote):
    result = publish("--env", "production", input="n\n")
    assert result.exit_code == 1
    assert "Publish production from" in result.output and "to origin/rendered? [y/N]: n" in result.output
    assert result.output.endswith("error: publish cancelled; nothing was changed\n")
    assert "rendered" not in run_git("branch", "--list", cwd=remote)
    assert publish("--env", "production", "--yes").exit_code == 0
    assert run_git("tag", "--list", cwd=remote) == "publish/production/1"


def test_dry_run_shows_the_diff_and_pushes_nothing(source, remote):
    result = publish("--env", "staging", "--dry-run")
    assert result.exit_code == 0
    assert "  + Deployment plate-stg/plate-web" in result.output
    assert result.output.splitlines()[-1].startswith("dry run: ")
    assert result.output.splitlines()[-1].endswith("nothing was committed or pushed")
    assert "rendered" not in run_git("branch", "--list", cwd=remote)


def _second_clone(tmp_path, remote, fresh_render):
    """Another developer's clone of the same repository."""
    other = tmp_path / "other"
    run_git("clone", "--quiet", "--branch", "main", str(remote), str(other), cwd=tmp_path)
    run_git("config", "user.email", "other@test.example", cwd=other)
    run_git("config", "user.name", "Other", cwd=other)
    run_git("config", "commit.gpgsign", "false", cwd=other)
    return other


def test_a_concurrent_publish_of_the_same_environment_stops_and_leaves_no_tag(source, remote, tmp_path, fresh_render,
                                                                              monkeypatch):
    other = _second_clone(tmp_path, remote, fresh_render)
    # staging differs between the two publishers, so both have something to publish
    changed = envs.deep_merge(envs.OVERLAYS["staging"], {"services": {"web": {"replicas": 2}}})

    def someone_else_publishes_first():
        with monkeypatch.context() as m:
            m.setitem(envs.OVERLAYS, "staging", changed)
            render.synth(other / "dist", names=["staging"])
            run_git("add", "-A", cwd=other)
            run_git("commit", "--quiet", "-m", "web: two replicas", cwd=other)
            run_git("push", "--quiet", "origin", "main", cwd=other)
            publishing.publish("staging", repo=other, branch="rendered")

    with pytest.raises(GitError, match="origin/rendered moved while publishing: staging itself was published meanwhile"):
        publishing.publish("staging", repo=source, branch="rendered", before_push=someone_else_publishes_first)
    assert run_git("tag", "--list", cwd=remote) == "publish/staging/1"
    assert "web: two replicas" in run_git("log", "-1", "--format=%s", "rendered", cwd=remote)
    assert run_git("tag", "--list", "publish/*", cwd=source) == "publish/staging/1", "only the remote's tag is known"
    # run again: builds on the new tip, fast-forward, tagged 2
    retry = publishing.publish("staging", repo=source, branch="rendered")
    assert retry.status == "published" and "publish/staging/2" in retry.message
    assert run_git("rev-list", "--count", "rendered", cwd=remote) == "2"


def test_a_concurrent_publish_of_another_environment_is_built_upon(source, remote, tmp_path, fresh_render):
    other = _second_clone(tmp_path, remote, fresh_render)
    notes: list[str] = []
    result = publishing.publish("staging", repo=source, branch="rendered", say=notes.append,
                                before_push=lambda: publishing.publish("production", repo=other, branch="rendered"))
    assert result.status == "published" and "publish/staging/1" in result.message
    assert notes == ["origin/rendered moved meanwhile (another environment was published); trying again on top of it"]
    tree = run_git("ls-tree", "--name-only", "rendered:dist/environments", cwd=remote).splitlines()
    assert tree == ["production", "staging"]
    assert run_git("tag", "--list", cwd=remote).splitlines() == ["publish/production/1", "publish/staging/1"]
    assert run_git("rev-list", "--count", "rendered", cwd=remote) == "2"


def test_not_a_git_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output == f"error: {tmp_path} is not a git repository\n"


def test_unknown_remote(source):
    result = publish("--env", "staging", "--remote", "upstream")
    assert result.exit_code == 1
    assert result.output == f"error: no remote 'upstream' in {source}\n"


def test_unknown_environment_is_a_usage_error(source):
    result = publish("--env", "nowhere")
    assert result.exit_code == 2
    choices = ", ".join(repr(n) for n in sorted([*ENVIRONMENTS, "shared"]))
    assert f"Invalid value for '--env': 'nowhere' is not one of {choices}." in result.output


def test_detached_head_is_refused(source, remote):
    run_git("checkout", "--quiet", "--detach", "HEAD", cwd=source)
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output == "error: HEAD is detached: check out the branch you publish from (the publish records it)\n"
    assert "rendered" not in run_git("branch", "--list", cwd=remote)


def test_invalid_branch_name_is_refused(source, remote):
    result = publish("--env", "staging", "--branch", "bad..name")
    assert result.exit_code == 1
    assert result.output == "error: 'bad..name' is not a valid branch name\n"


def test_every_publish_says_where_it_came_from_in_trailers_and_hydrator_metadata(source, remote):
    """The source's repository, commit, author, date and message: as trailers of the rendered commit, and
    in the folder's hydrator.metadata, the file Argo CD's Source Hydrator writes (its UI reads it)."""
    import json

    run_git("remote", "set-url", "origin", "https://ci:s3cret@git.test.example/plate.git", cwd=source)
    run_git("remote", "set-url", "--push", "origin", str(remote), cwd=source)
    run_git("config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*", cwd=source)
    run_git("config", "url." + str(remote) + ".insteadOf", "https://ci:s3cret@git.test.example/plate.git", cwd=source)
    run_git("commit", "--quiet", "--allow-empty", "-m", "web: 1.5.0-rc.3", "-m", "Verified in staging.", cwd=source)
    run_git("push", "--quiet", "origin", "main", cwd=source)
    head = run_git("rev-parse", "HEAD", cwd=source)
    author = run_git("log", "-1", "--format=%an <%ae>", cwd=source)
    assert publish("--env", "staging").exit_code == 0
    trailers = dict(line.split(": ", 1) for line in run_git(
        "log", "-1", "--format=%(trailers:only,unfold)", "rendered", cwd=remote).splitlines() if line)
    assert trailers["Source-Commit"] == head and trailers["Source-Author"] == author
    assert trailers["Source-Repository"] == "https://git.test.example/plate.git"  # never the token
    assert trailers["Source-Subject"] == "web: 1.5.0-rc.3" and trailers["Source-Date"].startswith("20")
    meta = json.loads(run_git("show", "rendered:dist/environments/staging/hydrator.metadata", cwd=remote))
    assert meta == {"repoURL": "https://git.test.example/plate.git", "drySha": head, "author": author,
                    "date": trailers["Source-Date"], "message": "web: 1.5.0-rc.3\n\nVerified in staging.",
                    "commands": ["bin/render"]}
    # the same render from a newer commit is still nothing to publish: the metadata alone is no change
    run_git("commit", "--quiet", "--allow-empty", "-m", "docs only", cwd=source)
    run_git("push", "--quiet", "origin", "main", cwd=source)
    assert publish("--env", "staging").output.startswith("nothing to publish")


def test_publish_records_the_source_branch(source, remote):
    assert publish("--env", "staging").exit_code == 0
    assert "Source-Branch: main" in run_git("log", "-1", "--format=%B", "rendered", cwd=remote)


def test_an_unmerged_commit_is_refused_unless_it_is_an_emergency(source, remote):
    (source / "README.md").write_text("a local change\n")
    run_git("add", "-A", cwd=source)
    run_git("commit", "--quiet", "-m", "not reviewed", cwd=source)
    head = run_git("rev-parse", "HEAD", cwd=source)
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert result.output == (f"error: {head[:12]} is not on origin/main: publish what was reviewed and merged (push and "
                             "merge first), or give --emergency REASON, which the publish commit records\n")
    assert run_git("branch", "--list", cwd=remote).split() == ["main"]
    result = publish("--env", "staging", "--emergency", "INC-42: certificate outage")
    assert result.exit_code == 0, result.output
    assert "emergency publish" in result.output
    assert "Emergency: INC-42: certificate outage" in run_git("log", "-1", "--format=%B", "rendered", cwd=remote)


def export_key(fingerprint: str, keys: Path, name: str | None = None) -> None:
    """The public key as the README asks of a new key: ``keys/<fingerprint>.asc`` (GNUPGHOME's keyring)."""
    import subprocess
    (keys / f"{name or fingerprint}.asc").write_bytes(subprocess.run(["gpg", "--armor", "--export", fingerprint],
                                                                    check=True, capture_output=True).stdout)


@pytest.fixture
def configured_key(signing, monkeypatch, tmp_path):
    """The throwaway key as the cluster's configured ``gitops.signing_key`` (its public key exported to
    the keys folder, as the README asks of a new key), and no override: what a release manager's publish
    does with the real key in their keyring."""
    import shutil

    import composition

    keys = tmp_path / "keys"
    shutil.copytree(composition.KEYS, keys)
    export_key(signing, keys)
    monkeypatch.setattr(composition, "KEYS", keys)
    monkeypatch.delenv("PLATE_SIGNING_KEY")
    envs.load_platform()
    shared = dict(envs.CLUSTERS["shared"])
    shared["gitops"] = {**shared.get("gitops", {}), "signing_keys": [signing]}
    monkeypatch.setitem(envs.CLUSTERS, "shared", shared)
    assert envs.load_cluster("shared").gitops.signing_keys == [signing]
    return signing


def test_publish_signs_the_rendered_commit_with_the_configured_key(source, remote, configured_key):
    assert "PLATE_SIGNING_KEY" not in os.environ
    result = publish("--env", "staging")
    assert result.exit_code == 0, result.output
    verified = run_git("log", "-1", "--format=%G?:%GF", "rendered", cwd=remote)
    assert verified == f"G:{configured_key}"  # good signature, by the configured key
    assert run_git("verify-commit", "rendered", cwd=remote) == ""


def test_a_rollback_signs_with_the_configured_key(source, remote, configured_key, monkeypatch):
    assert publishing.publish("staging", repo=source, branch="rendered").status == "published"
    monkeypatch.setitem(envs.OVERLAYS, "staging",
                        envs.deep_merge(envs.OVERLAYS["staging"], {"services": {"web": {"replicas": 3}}}))
    render.synth(source / "dist", names=["staging"], warn=lambda _: None)
    run_git("add", "-A", cwd=source)
    run_git("commit", "--quiet", "-m", "web: 3 replicas", cwd=source)
    run_git("push", "--quiet", "origin", "main", cwd=source)
    assert publishing.publish("staging", repo=source, branch="rendered").status == "published"
    result = CliRunner().invoke(cli, ["rollback", "--env", "staging"])
    assert result.exit_code == 0, result.output
    assert run_git("log", "-1", "--format=%s", "rendered", cwd=remote) == "rollback staging to publish/staging/1"
    assert run_git("log", "-1", "--format=%G?:%GF", "rendered", cwd=remote) == f"G:{configured_key}"


def test_the_override_signs_instead_and_without_it_the_configured_key_is_required(source, remote, signing,
                                                                                    monkeypatch):
    """``PLATE_SIGNING_KEY`` only overrides: unset, the publish signs with the configured key (not in
    this keyring, so it refuses and pushes nothing); set, it signs with the override."""
    [configured] = envs.load_cluster("shared").gitops.signing_keys
    assert configured != signing
    monkeypatch.delenv("PLATE_SIGNING_KEY")
    refused = publish("--env", "staging")
    assert refused.exit_code == 1
    assert f"cannot sign with key {configured} (gitops.signing_keys)" in refused.output
    assert run_git("branch", "--list", "rendered", cwd=remote) == ""
    monkeypatch.setenv("PLATE_SIGNING_KEY", signing)
    assert publish("--env", "staging").exit_code == 0
    assert run_git("log", "-1", "--format=%G?:%GF", "rendered", cwd=remote) == f"G:{signing}"


def test_a_signing_key_missing_from_the_keyring_fails_the_publish_and_pushes_nothing(source, remote, monkeypatch,
                                                                                     tmp_path):
    empty = tmp_path / "empty-gnupg"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(empty))
    result = publish("--env", "staging")
    assert result.exit_code == 1
    assert "cannot sign with key" in result.output and "GNUPGHOME" in result.output
    assert run_git("branch", "--list", "rendered", cwd=remote) == ""


@pytest.fixture(scope="session")
def second_key(signing_home):
    """Another key in the throwaway keyring: the key a rotation moves to."""
    import subprocess
    _, home = signing_home
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                    "Next release <next@test.example>", "ed25519", "sign", "1d"], env=env, check=True, capture_output=True)
    listing = subprocess.run(["gpg", "--list-keys", "--with-colons"], env=env, check=True, capture_output=True,
                             text=True).stdout
    return [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")][-1]


def _configure_keys(monkeypatch, keys):
    shared = dict(envs.CLUSTERS["shared"])
    shared["gitops"] = {**shared.get("gitops", {}), "signing_keys": list(keys)}
    monkeypatch.setitem(envs.CLUSTERS, "shared", shared)


def _render_and_merge(source, message):
    render.synth(source / "dist", warn=lambda _: None)
    run_git("add", "-A", cwd=source)
    run_git("commit", "--quiet", "--allow-empty", "-m", message, cwd=source)
    run_git("push", "--quiet", "origin", "main", cwd=source)


def _keyring_at(remote, ref):
    import yaml
    text = run_git("show", f"{ref}:dist/clusters/shared/{publishing.KEYRING}", cwd=remote)
    return set(yaml.safe_load(text)["data"])


def test_rotating_the_signing_key_in_three_publishes_never_blocks_a_sync(source, remote, configured_key,
                                                                          second_key, monkeypatch):
    """Every publish is signed with a key the keyring Argo CD runs at that moment (the previous tip's)
    holds, and the AppProjects it publishes trust: the sync never waits for a key it cannot get."""
    old, new = configured_key, second_key

    import composition
    export_key(new, composition.KEYS)
    signers, keyrings = [], []
    for step, keys in enumerate(([old], [new, old], [new]), 1):
        _configure_keys(monkeypatch, keys)
        _render_and_merge(source, f"rotation step {step}")
        before = _keyring_at(remote, "rendered") if step > 1 else None
        result = publish("--env", "shared", "--yes")
        assert result.exit_code == 0, result.output
        signer = run_git("log", "-1", "--format=%G?:%GF", "rendered", cwd=remote)
        assert signer.startswith("G:"), signer
        signers.append(signer[2:])
        keyrings.append(_keyring_at(remote, "rendered"))
        if before is not None:  # what Argo CD runs while it verifies this commit
            assert signer[2:][-16:] in before, f"step {step}: signed with a key the running keyring lacks"
    assert signers == [old, old, new]  # step 2 lists the new key first, but the cluster does not trust it yet
    assert keyrings == [{old[-16:]}, {old[-16:], new[-16:]}, {new[-16:]}]


def test_skipping_the_middle_publish_of_a_rotation_is_refused(source, remote, configured_key, second_key,
                                                               monkeypatch):

    import composition
    export_key(second_key, composition.KEYS)
    _render_and_merge(source, "the old key only")
    assert publish("--env", "shared", "--yes").exit_code == 0  # signed with the old key
    before = run_git("rev-parse", "rendered", cwd=remote)
    _configure_keys(monkeypatch, [second_key])
    _render_and_merge(source, "drop the old key at once")
    result = publish("--env", "shared", "--yes")
    assert result.exit_code == 1
    assert f"none of gitops.signing_keys ({second_key}) is in the keyring cluster 'shared' runs now" in result.output
    assert run_git("rev-parse", "rendered", cwd=remote) == before
