"""Render environments into dist/ atomically.

Every environment is validated before anything is written; the render goes to a temporary
folder next to the output, is checked, and only then swapped in. A failed render leaves the
previous output exactly as it was.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

import envs
from envs import ConfigError
from envs.model import Environment
from platectl import atomic

ROOT = Path(__file__).resolve().parent.parent
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_OUT = ROOT / "dist"


class RenderError(Exception):
    """The render itself failed (not the input); the previous output is untouched."""


def render_environment(env: Environment, outdir: Path, extra: str | None = None) -> list[str]:
    """Render one environment into ``outdir``; return the warnings its components raised.

    ``extra`` ("module:function") adds components to the application layer (the scale benchmark).
    """
    import cdk8s  # here, not at module level: a parent that only orchestrates workers never loads jsii

    from platectl import writer
    from platectl.compose import compose_charts

    hook = None
    if extra:
        module, _, function = extra.partition(":")
        hook = getattr(importlib.import_module(module), function)
    app = cdk8s.App()
    components, argo = compose_charts(app, env, extra=hook)
    outdir.mkdir(parents=True, exist_ok=True)
    writer.write([*components, *argo], outdir)
    infos = [c.info for c in components]
    return [f"environment {env.name!r}, component {i.name!r}: {w}" for i in infos for w in i.warnings]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def load_all(names: list[str], data: dict[str, dict] | None = None) -> list[Environment]:
    """Validate every requested environment before a single file is written."""
    data = data or {}
    return [envs.validate(n, data[n]) if n in data else envs.load(n) for n in names]


def _check(folder: Path) -> None:
    for file in sorted(folder.rglob("*.yaml")):
        try:
            docs = list(yaml.load_all(file.read_text(), Loader=_LOADER))
        except yaml.YAMLError as exc:
            raise RenderError(f"{file.relative_to(folder)}: not valid YAML: {exc}") from None
        if len(docs) != 1 or not isinstance(docs[0], dict):
            raise RenderError(f"{file.relative_to(folder)}: expected exactly one object")


def _render_one(env: Environment, outdir: str, extra: str | None) -> list[str]:
    try:
        return render_environment(env, Path(outdir), extra)
    except (ConfigError, OSError):
        raise
    except Exception as exc:  # jsii/cdk8s errors carry the construct path in their message
        raise RenderError(f"environment {env.name!r}: {exc}") from None


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


def synth(out: Path = DEFAULT_OUT, names: list[str] | None = None, data: dict[str, dict] | None = None,
          warn=_stderr, environments: list[Environment] | None = None, extra: str | None = None,
          progress=None) -> list[str]:
    """Render ``names`` (default: every environment) into ``out``; return the names rendered.

    With every environment the whole of ``out`` is replaced (stale files disappear); with a
    subset only ``out/<env>`` of those environments is (the rest is copied into the new folder, so
    the replacement is still one atomic swap). Environments render in parallel worker
    processes (one per core); the output is the same byte for byte. ``progress`` receives one
    line per step (the CLI passes it on a terminal only).
    """
    say = progress or (lambda _: None)
    everything = names is None and environments is None
    if environments is None:
        names = list(names or envs.names())
        environments = load_all(names, data)
    names = [e.name for e in environments]
    say(f"validated {', '.join(names)}")
    out = Path(os.path.abspath(out))
    if out.is_symlink() and not out.is_dir() or out.exists() and not out.is_dir():
        raise RenderError(f"{out}: not a folder (a file is in the way); move it away and render again")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RenderError(f"{exc.filename or out.parent}: {exc.strerror}") from None
    try:
        with atomic.interruptible(), atomic.locked(out, say):
            _render_and_replace(out, environments, names, everything, extra, say, warn)
    except OSError as exc:
        raise RenderError(_os_message(exc)) from None
    return names


def _render_and_replace(out: Path, environments: list[Environment], names: list[str], everything: bool,
                        extra: str | None, say, warn) -> None:
    for line in atomic.recover(out):
        warn(f"note: {line}")
    work = atomic.staging_folder(out)
    try:
        staged = work / out.name
        _render_into(staged, environments, extra, say, warn)
        if not everything and out.is_dir():
            _keep_others(out, staged, names)
        atomic.checkpoint("rendered")
        say(f"replacing {out}")
        try:
            leftover = atomic.replace(staged, out)
        except OSError as exc:
            raise RenderError(f"{out}: cannot replace it: {exc.strerror}") from None
        if leftover:
            warn(f"warning: {leftover}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _render_into(staged: Path, environments: list[Environment], extra: str | None, say, warn) -> None:
    workers = processes(len(environments))
    try:
        if workers > 1:
            say(f"rendering {len(environments)} environments in {workers} processes")
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [pool.submit(_render_one, env, str(staged / env.name), extra) for env in environments]
                results = [f.result() for f in futures]  # in environment order: warnings are deterministic
        else:
            results = []
            for env in environments:
                say(f"rendering {env.name}")
                results.append(_render_one(env, str(staged / env.name), extra))
    except OSError as exc:
        raise RenderError(_os_message(exc)) from None
    for warning in (w for ws in results for w in ws):
        warn(f"warning: {warning}")
    say("checking the render")
    _check(staged)


def _keep_others(out: Path, staged: Path, rendered: list[str]) -> None:
    """A partial render still replaces the whole folder: copy in what it does not render."""
    try:
        for child in sorted(out.iterdir()):
            if child.name in rendered:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.copytree(child, staged / child.name, symlinks=True)
            else:
                shutil.copy2(child, staged / child.name, follow_symlinks=False)
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
    try:
        names = synth(out)
    except (ConfigError, RenderError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"nothing written: {out} is unchanged", file=sys.stderr)
        return 1
    link_cdk8s_outdir(out)
    print(f"rendered {', '.join(names)} into {out}", file=sys.stderr)
    return 0
