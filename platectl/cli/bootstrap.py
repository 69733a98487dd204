"""`platectl bootstrap`: a cluster's root Application and its AppProject, for `kubectl apply -f -`."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from platectl import render
from platectl.cli.common import INPUT_ERRORS, cluster, fail


@click.command()
@click.option("--cluster", "cluster_name", required=True, type=cluster())
def bootstrap(cluster_name: str) -> None:
    """Print the one manifest a person applies by hand, once per cluster (Argo CD must already run)."""
    with tempfile.TemporaryDirectory(prefix="platectl-bootstrap-") as tmp:
        try:
            render.synth(Path(tmp) / "dist", names=[cluster_name], warn=lambda _: None)
        except (*INPUT_ERRORS, render.RenderError) as exc:
            fail(exc)
        files = sorted((Path(tmp) / "dist" / "clusters" / cluster_name / "bootstrap").glob("*.yaml"))
        click.echo("---\n".join(f.read_text() for f in files), nl=False)
