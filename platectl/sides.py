"""Render a Git ref (or the working tree) with that tree's own code, into a folder."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from platectl.gitutil import GitError, export, resolve


class SideError(Exception):
    pass


def start(repo: Path, ref: str | None, work: Path) -> tuple[subprocess.Popen, Path]:
    """Begin rendering ``ref`` (None: the working tree) into ``work/dist``; returns the process."""
    if ref is None:
        src = repo
    else:
        resolve(repo, ref)
        src = work / "src"
        export(repo, ref, src)
        if not (src / "main.py").exists():
            raise GitError(f"ref {ref!r} has no main.py: it predates this project's render")
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
    return proc, out


def finish(proc: subprocess.Popen, label: str) -> None:
    _, err = proc.communicate()
    if proc.returncode != 0:
        lines = [line for line in err.splitlines() if line.startswith("error:")] or err.strip().splitlines()[-1:]
        raise SideError(f"rendering {label} failed: {lines[0] if lines else 'no output'}")
