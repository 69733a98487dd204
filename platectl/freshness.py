"""Which inputs a render was made from: a digest of the repository's files, written next to the render.

A full render writes ``STAMP`` into its folder: the sha256 of every file of the repository that can
change the render (everything but the render itself, the tests, the docs, the benchmarks and CI's
own files) and of ``PLATE_CONFIG``. ``platectl diff`` then reuses a side's committed (or freshly
rendered) ``dist/`` when its stamp equals the digest of that side's files, instead of rendering it
again: the base of a pull request is the committed render of ``main``, which CI proves fresh.
A stamp can only ever cause a render (a digest that differs); a stale folder is never reused.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

STAMP = ".inputs.sha256"
# Never read by a render: the render itself, its tests and benchmarks, prose, CI's configuration, the
# install and test scripts, the generators and checkers in tools/ (their output is checked in).
EXCLUDED_DIRS = ("dist/", "tests/", "docs/", "bench/", ".github/", ".ci/", "bin/", "tools/")


def _counts(rel: str) -> bool:
    return not rel.startswith(EXCLUDED_DIRS) and not (rel.endswith(".md") and "/" not in rel)


def digest(root: Path, files: list[str]) -> str:
    """The digest of ``files`` (paths relative to ``root``) and of the configuration the render reads."""
    h = hashlib.sha256()
    for rel in sorted(f for f in files if _counts(f)):
        path = root / rel
        if path.is_file() and not path.is_symlink():
            h.update(f"{rel}\0{hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    h.update(f"PLATE_CONFIG={os.environ.get('PLATE_CONFIG', '')}\n".encode())
    return "sha256:" + h.hexdigest()


def worktree_files(root: Path) -> list[str] | None:
    """Tracked and untracked (not ignored) files of a checkout; None outside a git repository."""
    try:
        proc = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                              capture_output=True, timeout=60, check=False)
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    return sorted({f for f in proc.stdout.decode().split("\0") if f})


def exported_files(root: Path) -> list[str]:
    """Every file of an exported tree (``git archive``)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def worktree_digest(root: Path) -> str | None:
    files = worktree_files(root)
    return digest(root, files) if files is not None else None


def stamp_of(dist: Path) -> str | None:
    try:
        return (dist / STAMP).read_text().strip() or None
    except OSError:
        return None


def fresh(dist: Path, inputs: str | None) -> bool:
    """Whether ``dist`` was rendered from exactly these inputs."""
    return inputs is not None and dist.is_dir() and stamp_of(dist) == inputs
