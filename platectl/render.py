"""Render environments into dist/ atomically.

Every environment is validated before anything is written; the render goes to a temporary
folder next to the output, is checked, and only then swapped in. A failed render leaves the
previous output exactly as it was.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import cdk8s
import yaml

import envs
from envs import ConfigError
from envs.model import Environment
from platectl.compose import compose

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "dist"


class RenderError(Exception):
    """The render itself failed (not the input); the previous output is untouched."""


def render_environment(env: Environment, outdir: Path) -> list[str]:
    """Render one environment into ``outdir``; return the warnings its components raised."""
    app = cdk8s.App(outdir=str(outdir), yaml_output_type=cdk8s.YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE)
    infos = [c.info for c in compose(app, env)]
    app.synth()
    # Chart-only components have no objects of ours: cdk8s still leaves an empty folder.
    for folder in sorted(outdir.iterdir()):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
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
            docs = list(yaml.safe_load_all(file.read_text()))
        except yaml.YAMLError as exc:
            raise RenderError(f"{file.relative_to(folder)}: not valid YAML: {exc}") from None
        if len(docs) != 1 or not isinstance(docs[0], dict):
            raise RenderError(f"{file.relative_to(folder)}: expected exactly one object")


def _swap(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with two renames on one filesystem."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    try:
        new.rename(target)
    except OSError:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old)


def synth(out: Path = DEFAULT_OUT, names: list[str] | None = None, data: dict[str, dict] | None = None,
          warn=_stderr) -> list[str]:
    """Render ``names`` (default: every environment) into ``out``; return the names rendered.

    With every environment the whole of ``out`` is replaced (stale files disappear); with a
    subset only ``out/<env>`` of those environments is.
    """
    everything = names is None
    names = list(names or envs.names())
    environments = load_all(names, data)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.render-", dir=out.parent))
    try:
        staged = work / out.name
        for env in environments:
            try:
                for warning in render_environment(env, staged / env.name):
                    warn(f"warning: {warning}")
            except ConfigError:
                raise
            except Exception as exc:  # jsii/cdk8s errors carry the construct path in their message
                raise RenderError(f"environment {env.name!r}: {exc}") from exc
        _check(staged)
        if everything:
            _swap(staged, out)
        else:
            out.mkdir(exist_ok=True)
            for env in environments:
                _swap(staged / env.name, out / env.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return names


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
