"""Render the platform into dist/ atomically, one cluster (with its environments) at a time.

Every cluster and environment is validated before anything is written; the render goes to a
temporary folder next to the output, is checked, and only then swapped in. A failed render leaves
the previous output exactly as it was.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import envs
from envs import ConfigError, ConfigFileError, Platform
from output import atomic
from platectl import freshness, interrupts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "dist"
InputError = (ConfigError, ConfigFileError)


class RenderError(Exception):
    """The render itself failed (not the input); the previous output is untouched."""


def folders(platform: Platform, cluster: str) -> list[str]:
    """The folders of dist/ one cluster's render writes."""
    return [f"clusters/{cluster}", *(f"environments/{e.name}" for e in platform.environments_on(cluster))]


def render_cluster(platform: Platform, cluster: str, outdir: Path, extra: str | None = None) -> list[str]:
    """Render one cluster and its environments under ``outdir``; return the warnings its components raised.

    ``extra`` ("module:function") adds components to each environment (the scale benchmark).
    """
    import cdk8s  # here, not at module level: a parent that only orchestrates workers never loads jsii

    from composition import compose_cluster
    from output import writer

    hook = None
    if extra:
        module, _, function = extra.partition(":")
        hook = getattr(importlib.import_module(module), function)
    app = cdk8s.App()
    units = compose_cluster(app, platform, cluster, extra=hook)
    writer.write_units([(outdir / u.folder, u.charts) for u in units])
    return [f"{u.kind} {u.name!r}, component {c.info.name!r}: {w}" for u in units for c in u.components
            for w in c.info.warnings]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def select(platform: Platform, names: list[str] | None) -> list[str]:
    """The clusters to render for ``names`` (clusters or environments; default: every cluster)."""
    if not names:
        return sorted(platform.clusters)
    out = []
    for name in names:
        if name in platform.clusters:
            chosen = name
        elif name in platform.environments:
            chosen = platform.environments[name].cluster
        else:
            known = ", ".join(sorted([*platform.clusters, *platform.environments]))
            raise ConfigError(name, "environment", "name", f"no such environment or cluster; known: {known}")
        if chosen not in out:
            out.append(chosen)
    return out


def _render_one(platform: Platform, cluster: str, outdir: str, extra: str | None) -> list[str]:
    try:
        return render_cluster(platform, cluster, Path(outdir), extra)
    except (ConfigError, ConfigFileError, OSError):
        raise
    except Exception as exc:  # jsii/cdk8s/Helm errors carry the construct path or chart in their message
        raise RenderError(f"cluster {cluster!r}: {exc}") from None


# A spawned worker costs about 1.5 s of start-up (Python, pydantic, jsii, node) while one environment
# of the default platform renders in about 0.6 s: below this many environments, stay in-process.
PARALLEL_FROM = 4


def processes(count: int) -> int:
    """Worker processes for ``count`` environments: one per core, at most one per environment.

    ``PLATE_RENDER_PROCESSES`` overrides (1 renders in this process).
    """
    forced = int(os.environ.get("PLATE_RENDER_PROCESSES", "0"))
    if not forced and count < PARALLEL_FROM:
        return 1
    return max(1, min(forced or os.cpu_count() or 1, count))


def synth(out: Path = DEFAULT_OUT, names: list[str] | None = None, warn=_stderr, platform: Platform | None = None,
          extra: str | None = None, progress=None) -> list[str]:
    """Render the clusters of ``names`` (clusters or environments; default: all) into ``out``.

    Returns the clusters rendered. With every cluster the whole of ``out`` is replaced (stale
    files disappear); with a subset only the folders of those clusters and their environments are
    (the rest is copied into the new folder, so the replacement is still one atomic swap). Clusters
    render in parallel worker processes from PARALLEL_FROM on; the output is the same byte for
    byte. ``progress`` receives one line per step (the CLI passes it on a terminal only).
    """
    say = progress or (lambda _: None)
    platform = platform or envs.load_platform()
    clusters = select(platform, names)
    everything = not names
    say(f"validated {len(platform.clusters)} clusters and {len(platform.environments)} environments")
    out = Path(os.path.abspath(out))
    if out.is_symlink() and not out.is_dir() or out.exists() and not out.is_dir():
        raise RenderError(f"{out}: not a folder (a file is in the way); move it away and render again")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"{exc.filename or out.parent}: {exc.strerror}") from None
    rendered = [f for c in clusters for f in folders(platform, c)]
    try:
        with atomic.interruptible(), atomic.locked(out, say):
            _render_and_replace(out, platform, clusters, rendered, everything, extra, say, warn)
    except OSError as exc:
        raise RenderError(_os_message(exc)) from None
    return clusters


def _render_and_replace(out: Path, platform: Platform, clusters: list[str], rendered: list[str], everything: bool,
                        extra: str | None, say, warn) -> None:
    for line in atomic.recover(out):
        warn(f"note: {line}")
    work = atomic.staging_folder(out)
    try:
        staged = work / out.name
        _render_into(staged, platform, clusters, extra, say, warn)
        inputs = freshness.worktree_digest(ROOT) if extra is None else None
        if not everything and out.is_dir():
            _keep_others(out, staged, rendered)
        if inputs and set(clusters) == set(platform.clusters):
            # every cluster is new: what `platectl diff` compares to reuse this render, not make it again
            (staged / freshness.STAMP).write_text(inputs + "\n")
        elif not freshness.fresh(staged, inputs):  # a part was rendered from other inputs
            (staged / freshness.STAMP).unlink(missing_ok=True)
        atomic.checkpoint("rendered")
        interrupts.check()  # a termination whose exit Python swallowed: leave dist/ as it is
        say(f"replacing {out}")
        try:
            leftover = atomic.replace(staged, out)
        except OSError as exc:
            raise RenderError(f"{out}: cannot replace it: {exc.strerror}") from None
        if leftover:
            warn(f"warning: {leftover}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _render_into(staged: Path, platform: Platform, clusters: list[str], extra: str | None, say, warn) -> None:
    workers = processes(len(clusters))
    try:
        if workers > 1:
            say(f"rendering {len(clusters)} clusters in {workers} processes")
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [pool.submit(_render_one, platform, c, str(staged), extra) for c in clusters]
                results = [f.result() for f in futures]  # in cluster order: warnings are deterministic
        else:
            results = []
            for cluster in clusters:
                say(f"rendering cluster {cluster}")
                results.append(_render_one(platform, cluster, str(staged), extra))
    except OSError as exc:
        raise RenderError(_os_message(exc)) from None
    for warning in (w for ws in results for w in ws):
        warn(f"warning: {warning}")


def _keep_others(out: Path, staged: Path, rendered: list[str]) -> None:
    """A partial render still replaces the whole folder: copy in what it does not render."""
    try:
        for child in sorted(p for p in out.rglob("*") if not p.is_dir() or p.is_symlink()):
            rel = child.relative_to(out)
            if any(rel.parts[:2] == tuple(f.split("/")) for f in rendered):
                continue
            target = staged / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(child, target, follow_symlinks=False)
    except OSError as exc:
        raise RenderError(_os_message(exc)) from None


def _os_message(exc: OSError) -> str:
    where = exc.filename or "the render"
    return f"{where}: {exc.strerror or exc}"


def link_cdk8s_outdir(out: Path) -> None:
    """Under ``cdk8s synth`` point the CLI's (wiped) output folder at the real render.

    The CLI deletes its output folder before running the app; letting it point at dist/ would
    lose the previous render on bad input, so cdk8s.yaml names a scratch folder that becomes a
    link to dist/ once the render succeeded.
    """
    target = os.environ.get("CDK8S_OUTDIR")
    if not target:
        return
    link = Path(target)
    if link.resolve() == out.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.exists():
        shutil.rmtree(link)
    link.symlink_to(out.resolve(), target_is_directory=True)


def main(argv: list[str] | None = None) -> int:
    out = Path(os.environ.get("PLATE_DIST", DEFAULT_OUT))
    from composition.helm import progress_wanted

    if progress_wanted():  # read by the chart renders, in this process and in the workers it starts
        os.environ.setdefault("PLATE_PROGRESS", "1")
    try:
        names = synth(out)
    except (ConfigError, ConfigFileError, RenderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"nothing written: {out} is unchanged", file=sys.stderr)
        return 1
    link_cdk8s_outdir(out)
    print(f"rendered cluster{'s' if len(names) > 1 else ''} {', '.join(names)} into {out}", file=sys.stderr)
    return 0
