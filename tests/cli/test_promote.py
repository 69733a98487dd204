"""Images move between environments as commits to their files: `platectl set-image` for the image
pipeline, `platectl promote` for a release manager, refused while staging is not verified in Argo CD."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import envs
from platectl import publishing
from platectl.cli import cli
from tests.cli.conftest import project_checkout, run_git
from tests.cli.test_status import app

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def config(tmp_path, monkeypatch):
    folder = tmp_path / "envs"
    shutil.copytree(ROOT / "envs", folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("PLATE_CONFIG", str(folder))
    yield folder
    monkeypatch.delenv("PLATE_CONFIG")
    envs.use_config()


def test_set_image_changes_only_the_tag_literal(config):
    path = config / "environments" / "staging.py"
    before = path.read_text().splitlines()
    result = CliRunner().invoke(cli, ["set-image", "--env", "staging", "server", "1.5.0-rc.3"])
    assert result.exit_code == 0, result.output
    assert result.output == f"staging: server 1.5.0-rc.2 -> 1.5.0-rc.3 ({path})\n"
    after = path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [('        "server": {"image": {"tag": "1.5.0-rc.2"}, "uses": ["cache", "llm"]},',
                        '        "server": {"image": {"tag": "1.5.0-rc.3"}, "uses": ["cache", "llm"]},')]
    envs.use_config(config)
    assert envs.load_platform().environments["staging"].services["server"].image.tag == "1.5.0-rc.3"


def test_set_image_refuses_a_bad_tag_and_a_service_the_file_does_not_pin(config):
    path = config / "environments" / "staging.py"
    text = path.read_text()
    bad = CliRunner().invoke(cli, ["set-image", "--env", "staging", "web", "1.5 rc"])
    assert bad.exit_code == 1 and bad.output == "error: environment 'staging', service 'web': '1.5 rc' is not an image tag\n"
    missing = CliRunner().invoke(cli, ["set-image", "--env", "staging", "cache", "9"])
    assert missing.exit_code == 1 and "writes no image tag for it (services.cache.image.tag)" in missing.output
    assert path.read_text() == text


@pytest.fixture
def project(tmp_path, signing, monkeypatch) -> tuple[Path, Path]:
    """This project as a checkout with a remote, staging published from it (signed with the throwaway key)."""
    repo, remote = project_checkout(tmp_path)
    assert publishing.publish("staging", repo=repo, branch="rendered").status == "published"
    monkeypatch.chdir(repo)
    yield repo, remote
    envs.use_config()


def _promote(fake, tmp_path, health: str, revision: str, *extra: str):
    api, kubeconfig = fake(lambda n: [app(f"staging-plate-{s}", "Synced", health, revision) for s in ("web", "server")])
    return CliRunner().invoke(cli, ["promote", "--from", "staging", "--to", "production", "--kubeconfig",
                                    str(kubeconfig), *extra])


def test_promote_refuses_while_staging_is_not_healthy_at_its_publish(project, fake, tmp_path):
    repo, remote = project
    rendered = run_git("rev-parse", "refs/tags/publish/staging/1^{commit}", cwd=repo)
    head = run_git("rev-parse", "HEAD", cwd=repo)
    degraded = _promote(fake, tmp_path, "Degraded", rendered)
    assert degraded.exit_code == 1
    assert degraded.output == (f"error: staging is not verified at publish/staging/1 ({rendered[:12]}): "
                               f"staging-plate-server: Synced/Degraded at {rendered[:12]}; staging-plate-web: "
                               f"Synced/Degraded at {rendered[:12]} (wait for it, or --force REASON, which the commit "
                               "records)\n")
    stale = _promote(fake, tmp_path, "Healthy", "0" * 40)  # healthy, but at an older publish
    assert stale.exit_code == 1 and "Synced/Healthy at 000000000000" in stale.output
    assert run_git("rev-parse", "HEAD", cwd=repo) == head and run_git("branch", "--list", cwd=repo).split() == ["*", "main"]


def test_promote_writes_stagings_images_into_production_with_their_render_and_provenance(project, fake, tmp_path):
    repo, remote = project
    rendered = run_git("rev-parse", "refs/tags/publish/staging/1^{commit}", cwd=repo)
    source = run_git("rev-parse", "HEAD", cwd=repo)
    result = _promote(fake, tmp_path, "Healthy", rendered, "--services", "web,server")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith("promoted server, web from staging to production on branch "
                                                     "promote/staging-1-to-production (")
    assert run_git("symbolic-ref", "--short", "HEAD", cwd=repo) == "promote/staging-1-to-production"
    message = run_git("log", "-1", "--format=%B", cwd=repo)
    assert message.startswith("promote staging to production: server, web\n\n- server: 1.4.2 -> 1.5.0-rc.2\n"
                              "- web: 1.4.2 -> 1.5.0-rc.2")
    assert f"Promoted-From: publish/staging/1\nPromoted-Source-Commit: {source}\n" in message
    assert f"Promoted-Rendered-Commit: {rendered}" in message and "Promotion-Forced" not in message
    files = run_git("show", "--name-only", "--format=", "HEAD", cwd=repo).splitlines()
    assert "envs/environments/production.py" in files
    assert "dist/environments/production/plate-web/Deployment.plate-web.k8s.yaml" in files  # rendered with it
    assert "image: harbor.cocdev.co.kr/production/web:1.5.0-rc.2" in (
        repo / "dist/environments/production/plate-web/Deployment.plate-web.k8s.yaml").read_text()
    assert run_git("status", "--porcelain", cwd=repo) == ""


def test_promote_with_force_records_the_reason(project, fake, tmp_path):
    repo, remote = project
    result = _promote(fake, tmp_path, "Degraded", "0" * 40, "--services", "admin", "--force", "INC-7: hotfix verified by hand")
    assert result.exit_code == 0, result.output
    assert "Promotion-Forced: INC-7: hotfix verified by hand" in run_git("log", "-1", "--format=%B", cwd=repo)


def test_the_readmes_promote_command_runs_as_written(project, fake, tmp_path, monkeypatch):
    """The release flow's promote line, word for word (the cluster through KUBECONFIG, as a release
    manager's shell has it): staging verified, production's file changed on a branch."""
    import re
    import shlex

    line = next(c.split("  #", 1)[0].strip() for c in re.findall(r"^\.venv/bin/platectl promote .*$",
                                                                 (ROOT / "README.md").read_text(), re.M))
    words = shlex.split(line)
    assert words[:2] == [".venv/bin/platectl", "promote"]
    repo, _ = project
    rendered = run_git("rev-parse", "refs/tags/publish/staging/1^{commit}", cwd=repo)
    api, kubeconfig = fake(lambda n: [app(f"staging-plate-{s}", "Synced", "Healthy", rendered) for s in ("web", "server")])
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    result = CliRunner().invoke(cli, words[1:])
    assert result.exit_code == 0, result.output
    assert run_git("symbolic-ref", "--short", "HEAD", cwd=repo) == "promote/staging-1-to-production"
    assert "envs/environments/production.py" in run_git("show", "--name-only", "--format=", "HEAD", cwd=repo)
