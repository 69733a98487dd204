"""`platectl graph`: layers, components and what orders them, as Mermaid or Graphviz."""
from __future__ import annotations

import tempfile

import cdk8s
import click

import envs
from composition import compose_cluster
from platectl import graph as graphs
from platectl.cli.common import INPUT_ERRORS, cluster, fail


@click.command()
@click.option("--cluster", "cluster_name", default="shared", show_default=True, type=cluster())
@click.option("--format", "fmt", type=click.Choice(list(graphs.FORMATS)), default="mermaid", show_default=True)
def graph(cluster_name: str, fmt: str) -> None:
    """Print the dependency graph of CLUSTER's platform and environments."""
    try:
        platform = envs.load_platform()
    except INPUT_ERRORS as exc:
        fail(exc)
    with tempfile.TemporaryDirectory() as tmp:
        units = compose_cluster(cdk8s.App(outdir=tmp), platform, cluster_name)
    click.echo(graphs.FORMATS[fmt](cluster_name, graphs.nodes(units)), nl=False)
