"""Render a Git ref (or the working tree) with that tree's own code, into a folder; or reuse the render
the tree already holds when it was made from exactly that tree's inputs (``platectl.freshness``)."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from platectl import freshness
from platectl.gitutil import GitError, export, resolve


class SideError(Exception):
    pass


@dataclass
class Side:
    label: str
    out: Path  # the render of this side, once finished
    proc: subprocess.Popen | None  # None: the side's own dist/ was fresh and is reused as it is


def start(repo: Path, ref: str | None, work: Path) -> Side:
    """Begin rendering ``ref`` (None: the working tree) into ``work/dist``, unless the tree's committed
    (or last rendered) dist/ carries the stamp of the tree's inputs."""
    label = ref or "the working tree"
    if ref is None:
        src = repo
        inputs = freshness.worktree_digest(repo)
    else:
        resolve(repo, ref)
        src = work / "src"
        export(repo, ref, src)
        if not (src / "main.py").exists():
            raise GitError(f"ref {ref!r} has no main.py: it predates this project's render")
        inputs = freshness.digest(src, freshness.exported_files(src))
    if freshness.fresh(src / "dist", inputs):
        return Side(label, src / "dist", None)
    out = work / "dist"
    env = dict(os.environ, PLATE_DIST=str(out), PYTHONDONTWRITEBYTECODE="1")
    env.pop("CDK8S_OUTDIR", None)
    # An exported tree has neither node_modules nor a cache: it renders with this checkout's Helm and
    # Helm cache (keyed by every input, so the two trees never see each other's entries wrongly).
    from composition import helm

    env.setdefault("PLATE_CACHE", str(helm.CACHE))
    try:
        env.setdefault("PLATE_HELM", str(helm.binary()))
    except helm.HelmError:
        pass  # the other side may not need Helm; if it does, its own error says so
    proc = subprocess.Popen([sys.executable, "main.py"], cwd=src, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return Side(label, out, proc)


def finish(side: Side) -> Path:
    if side.proc is None:
        return side.out
    _, err = side.proc.communicate()
    if side.proc.returncode != 0:
        lines = [line for line in err.splitlines() if line.startswith("error:")] or err.strip().splitlines()[-1:]
        raise SideError(f"rendering {side.label} failed: {lines[0] if lines else 'no output'}")
    return side.out
