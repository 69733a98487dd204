"""Real git repositories in temporary folders: a source repo whose dist/ is a fresh render, and a
bare repository as its remote."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def run_git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def init_repo(path: Path) -> None:
    run_git("init", "--quiet", "--initial-branch=main", str(path), cwd=path.parent)
    run_git("config", "user.email", "dev@test.example", cwd=path)
    run_git("config", "user.name", "Dev", cwd=path)
    run_git("config", "commit.gpgsign", "false", cwd=path)


@pytest.fixture(scope="session")
def throwaway_key(signing_home):
    return signing_home


@pytest.fixture(autouse=True)
def signing(throwaway_key, monkeypatch):
    """Publishes and rollbacks sign with the throwaway key (the shipped cluster requires signed commits;
    its real key lives only in the release manager's keyring)."""
    fingerprint, home = throwaway_key
    monkeypatch.setenv("GNUPGHOME", str(home))
    monkeypatch.setenv("PLATE_SIGNING_KEY", fingerprint)  # also for publishes run as subprocesses
    return fingerprint


@pytest.fixture
def remote(tmp_path) -> Path:
    bare = tmp_path / "remote.git"
    run_git("init", "--quiet", "--bare", str(bare), cwd=tmp_path)
    return bare


@pytest.fixture
def source(tmp_path, fresh_render, remote, monkeypatch) -> Path:
    """A clean checkout holding a fresh dist/, with ``origin`` pointing at the bare remote; cwd."""
    repo = tmp_path / "source"
    repo.mkdir()
    init_repo(repo)
    shutil.copytree(fresh_render, repo / "dist")
    (repo / "README.md").write_text("platform source\n")
    run_git("add", "-A", cwd=repo)
    run_git("commit", "--quiet", "-m", "platform: first render", cwd=repo)
    run_git("remote", "add", "origin", str(remote), cwd=repo)
    run_git("push", "--quiet", "origin", "main", cwd=repo)  # reviewed and merged: what publish requires
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def fake(tmp_path):
    """A loopback Kubernetes API serving Argo CD Applications (tests/cli/test_status.py's FakeApi):
    ``fake(lists, watches)`` starts one and returns it with a kubeconfig that points at it."""
    from tests.cli.test_status import FakeApi

    servers = []

    def start(lists, watches=lambda n: []):
        api = FakeApi(lists, watches)
        servers.append(api)
        return api, api.kubeconfig(tmp_path)

    yield start
    for api in servers:
        api.server.shutdown()


def project_checkout(tmp_path: Path, links: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """This project's files (tracked and untracked, not ignored) committed on main in a repository of
    their own, pushed to a bare remote: (checkout, remote). ``links``: folders of this checkout to link
    in (``.venv``, ``node_modules``) for scripts that run there."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parent.parent.parent
    remote = tmp_path / "remote.git"
    run_git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    repo = tmp_path / "project"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (root / rel).is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, repo / rel)
    for name in links:
        (repo / name).symlink_to(root / name)
    init_repo(repo)
    run_git("add", "-A", cwd=repo)
    run_git("commit", "--quiet", "-m", "platform", cwd=repo)
    run_git("remote", "add", "origin", str(remote), cwd=repo)
    run_git("push", "--quiet", "origin", "main", cwd=repo)
    return repo, remote
