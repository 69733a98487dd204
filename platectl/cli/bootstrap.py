"""`platectl bootstrap`: the root Application and its AppProject, for `kubectl apply -f -`."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

import envs
from envs import ConfigError
from platectl import render


@click.command()
@click.option("--env", "env_name", required=True, type=click.Choice(envs.names()))
def bootstrap(env_name: str) -> None:
    """Print the one manifest a person applies by hand (Argo CD must already run)."""
    with tempfile.TemporaryDirectory(prefix="platectl-bootstrap-") as tmp:
        try:
            render.synth(Path(tmp) / "dist", names=[env_name], warn=lambda _: None)
        except (ConfigError, render.RenderError) as exc:
            click.echo(f"error: {exc}", err=True)
            raise SystemExit(1) from None
        files = sorted((Path(tmp) / "dist" / env_name / "bootstrap").glob("*.yaml"))
        click.echo("---\n".join(f.read_text() for f in files), nl=False)
