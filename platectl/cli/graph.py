"""`platectl graph`: layers, components and what orders them, as Mermaid or Graphviz."""
from __future__ import annotations

import tempfile

import cdk8s
import click

import envs
from envs import ConfigError
from platectl import graph as graphs
from platectl.compose import compose


@click.command()
@click.option("--env", "env_name", default="production", show_default=True, type=click.Choice(envs.names()))
@click.option("--format", "fmt", type=click.Choice(list(graphs.FORMATS)), default="mermaid", show_default=True)
def graph(env_name: str, fmt: str) -> None:
    """Print the platform's dependency graph for ENV."""
    try:
        env = envs.load(env_name)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    with tempfile.TemporaryDirectory() as tmp:
        components = compose(cdk8s.App(outdir=tmp), env)
    click.echo(graphs.FORMATS[fmt](env_name, components), nl=False)
