"""The pipeline's own steps, run here as CI runs them: bin/ci-diff for a pull request, bin/ci-publish for
the platform and staging, then production from the commit staging runs, against a bare remote, signed
with a throwaway key handed over the way CI's secret is (armored, in an environment variable)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import project_checkout, run_git

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED = (".venv", "node_modules")


@pytest.fixture
def project(tmp_path, signing_home) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """A checkout of this project on main, pushed to a bare remote; the environment CI gives the scripts."""
    fingerprint, home = signing_home
    repo, remote = project_checkout(tmp_path, SHARED)
    armored = subprocess.run(["gpg", "--armor", "--export-secret-keys", fingerprint], env={**os.environ, "GNUPGHOME": str(home)},
                             capture_output=True, check=True, text=True).stdout
    scratch = Path(tempfile.mkdtemp(prefix="ci-", dir="/tmp"))  # short, as a runner's: gpg-agent's socket is in it
    env = {k: v for k, v in os.environ.items() if k not in ("GNUPGHOME", "PLATE_SIGNING_KEY", "PLATE_DIST")}
    env.update(PLATE_SIGNING_KEY_ASC=armored, PLATE_SIGNING_KEY=fingerprint, TMPDIR=str(scratch),
               PYTHONPATH=str(repo), PLATE_CACHE=str(ROOT / ".cache"))
    yield repo, remote, env
    shutil.rmtree(scratch, ignore_errors=True)


def ci(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(repo / "bin" / args[0]), *args[1:]], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=900)


def trailer(remote: Path, ref: str, key: str) -> str:
    return run_git("log", "-1", f"--format=%(trailers:key={key},valueonly)", ref, cwd=remote).strip()


def bump(repo: Path, tag: str, message: str, env: dict[str, str]) -> str:
    staging = repo / "envs" / "environments" / "staging.py"
    text = staging.read_text()
    staging.write_text(text.replace(text[text.index('"web": {"image": {"tag": "'):].split("}}", 1)[0] + "}}",
                                    f'"web": {{"image": {{"tag": "{tag}"}}}}', 1))
    subprocess.run([str(repo / ".venv" / "bin" / "python"), "main.py"], cwd=repo, env=env, check=True, capture_output=True)
    run_git("add", "-A", cwd=repo)
    run_git("commit", "--quiet", "-m", message, cwd=repo)
    return run_git("rev-parse", "HEAD", cwd=repo)


def test_ci_reviews_publishes_signed_and_promotes_what_staging_verified(project, signing_home):
    repo, remote, env = project
    fingerprint, home = signing_home
    # a pull request: the diff against main, as a comment and as the artifact
    run_git("checkout", "--quiet", "-b", "bump", cwd=repo)
    bump(repo, "1.5.0-rc.3", "web: 1.5.0-rc.3", env)
    review = ci(repo, env, "ci-diff", "main", str(repo.parent / "artifact"))
    assert review.returncode == 0, review.stderr
    comment = (repo.parent / "artifact" / "comment.md").read_text()
    assert comment.startswith("## Rendered manifest changes\n\n| | added | changed | removed |")
    assert "| environment **staging** | 0 | 1 | 0 |" in comment
    assert "harbor.cocdev.co.kr/staging/web:1.5.0-rc.2 -> harbor.cocdev.co.kr/staging/web:1.5.0-rc.3" in comment
    assert (repo.parent / "artifact" / "diff.json").stat().st_size > 0
    # merged: main publishes the platform, then staging, signed, with no key left behind
    run_git("checkout", "--quiet", "main", cwd=repo)
    run_git("merge", "--quiet", "--ff-only", "bump", cwd=repo)
    run_git("push", "--quiet", "origin", "main", cwd=repo)
    verified = run_git("rev-parse", "HEAD", cwd=repo)
    staged = ci(repo, env, "ci-publish", "shared", "staging")
    assert staged.returncode == 0, staged.stderr
    assert "BEGIN PGP" not in staged.stdout + staged.stderr
    assert list(Path(env["TMPDIR"]).iterdir()) == []  # the temporary GnuPG home is gone
    assert run_git("tag", "--list", cwd=remote).split() == ["publish/shared/1", "publish/staging/1"]
    gpg = {**os.environ, "GNUPGHOME": str(home)}
    check = subprocess.run(["git", "log", "-1", "--format=%G?:%GF", "rendered"], cwd=remote, env=gpg,
                           capture_output=True, text=True)
    assert check.stdout.strip() == f"G:{fingerprint}"
    # main moves on; production is promoted from the commit staging runs, not from main's tip
    bump(repo, "1.5.0-rc.4", "web: 1.5.0-rc.4 (not verified in staging yet)", env)
    run_git("push", "--quiet", "origin", "main", cwd=repo)
    promoted = ci(repo, env, "ci-publish", "--verified-by", "staging", "production")
    assert promoted.returncode == 0, promoted.stderr
    assert f"publishing the commit staging runs: {verified}" in promoted.stderr
    assert trailer(remote, "publish/production/1", "Source-Commit") == verified
    assert trailer(remote, "publish/staging/1", "Source-Commit") == verified


def test_ci_publish_without_the_key_publishes_nothing(project):
    repo, remote, env = project
    env = {k: v for k, v in env.items() if k != "PLATE_SIGNING_KEY_ASC"}
    result = ci(repo, env, "ci-publish", "staging")
    assert result.returncode != 0
    assert "the armored signing key (a CI secret) is not set" in result.stderr
    assert run_git("branch", "--list", cwd=remote).split() == ["main"]
    bad = ci(repo, {**env, "PLATE_SIGNING_KEY_ASC": "not a key"}, "ci-publish", "staging")
    assert bad.returncode == 1 and "is not an armored secret key gpg can import" in bad.stderr
    assert run_git("tag", "--list", cwd=remote) == ""


def test_the_workflow_only_calls_the_repositorys_scripts_and_actionlint_accepts_it():
    import yaml

    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        doc = yaml.safe_load(path.read_text())
        runs = [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]
        for script in runs:
            for line in filter(None, (x.strip() for x in script.splitlines())):
                assert line.startswith(("bin/", ".venv/bin/platectl ", "echo ", "mkdir ", "printf ")), (path.name, line)


def test_ci_publish_as_jenkins_runs_it(project, tmp_path):
    """The Jenkinsfile's bindings: a detached checkout of main (as Jenkins makes it), the push URL and the
    deploy key as a file from its credentials; the publish lands where the credential says."""
    repo, remote, env = project
    pushed = tmp_path / "pushed.git"
    run_git("clone", "--quiet", "--bare", str(remote), str(pushed), cwd=tmp_path)
    run_git("checkout", "--quiet", "--detach", "HEAD", cwd=repo)
    key = tmp_path / "deploy-key"  # a local remote needs no ssh: the file only has to be taken
    key.write_text("the deploy key Jenkins' binding writes\n")
    result = ci(repo, {**env, "PLATE_PUSH_URL": str(pushed), "PLATE_PUSH_KEY_FILE": str(key)}, "ci-publish", "staging")
    assert result.returncode == 0, result.stderr
    assert run_git("tag", "--list", cwd=pushed).split() == ["publish/staging/1"]
    assert run_git("tag", "--list", cwd=remote) == ""
    assert run_git("symbolic-ref", "--short", "HEAD", cwd=repo) == "main"
    assert key.exists()  # Jenkins' binding removes its own file
