"""`platectl synth`: the same render as `cdk8s synth`, written atomically."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from platectl import render
from platectl.cli.common import INPUT_ERRORS, cluster_or_env


@click.command()
@click.option("--env", "env_names", multiple=True, type=cluster_or_env(),
              help="Render only this environment's cluster, or this cluster (repeatable). Default: every cluster.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=render.DEFAULT_OUT,
              show_default="dist/", help="Output folder.")
def synth(env_names: tuple[str, ...], out: Path) -> None:
    """Render environments into OUT; on any error OUT is left untouched."""
    try:
        import os

        from composition.helm import progress_wanted

        progress = (lambda line: click.echo(f"  {line}", err=True)) if sys.stderr.isatty() else None
        if progress_wanted():
            os.environ.setdefault("PLATE_PROGRESS", "1")  # one line per chart Helm renders (a cold render)
        names = render.synth(out, names=list(env_names) or None, progress=progress,
                             warn=lambda line: click.echo(line, err=True))
    except (*INPUT_ERRORS, render.RenderError) as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo(f"nothing written: {out} is unchanged", err=True)
        raise SystemExit(1) from None
    click.echo(f"rendered cluster{'s' if len(names) > 1 else ''} {', '.join(names)} into {out}")
