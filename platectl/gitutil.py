"""Real git, driven through subprocess. Every failure becomes one GitError with a clear message."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(Exception):
    """A git precondition or operation failed; ``str()`` is the message for the user."""


def run(*args: str, cwd: Path, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """git with its output captured, never prompting, messages in English."""
    full_env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", **(env or {}))
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=full_env, input=input)


def git(*args: str, cwd: Path, check: bool = True, env: dict | None = None, strip: bool = True,
        input: str | None = None) -> str:
    proc = run(*args, cwd=cwd, env=env, input=input)
    if check and proc.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout.strip() if strip else proc.stdout


def toplevel(path: Path) -> Path:
    proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GitError(f"{path} is not a git repository")
    return Path(proc.stdout.strip())


def resolve(repo: Path, ref: str) -> str:
    proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=repo,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise GitError(f"unknown ref {ref!r}")
    return proc.stdout.strip()


def is_dirty(repo: Path) -> list[str]:
    """Tracked changes and untracked, non-ignored files."""
    out = git("status", "--porcelain", "--untracked-files=normal", cwd=repo, strip=False)
    return [line for line in out.splitlines() if line]


def current_branch(repo: Path) -> str | None:
    proc = subprocess.run(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], cwd=repo, capture_output=True, text=True)
    return proc.stdout.strip() or None


def export(repo: Path, ref: str, dest: Path) -> None:
    """Write the tree of ``ref`` into ``dest`` (no .git, no checkout of the user's tree)."""
    dest.mkdir(parents=True, exist_ok=True)
    # streamed from git to tar: no copy of the whole tree in memory
    archive = subprocess.Popen(["git", "archive", "--format=tar", ref], cwd=repo, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert archive.stdout is not None
    tar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True, check=False)
    archive.stdout.close()
    err = archive.stderr.read().decode().strip() if archive.stderr else ""
    if archive.wait() != 0:
        raise GitError(f"git archive {ref} failed: {err}")
    if tar.returncode != 0:
        raise GitError(f"extracting {ref} failed: {tar.stderr.decode().strip()}")
