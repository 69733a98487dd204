"""`platectl restore`: print (never apply) how to restore one backed-up state of a cluster."""
from __future__ import annotations

import click

from platectl.cli.common import INPUT_ERRORS, cluster, fail


@click.command()
@click.option("--cluster", "cluster_name", required=True, type=cluster(), help="The cluster whose backup to restore.")
@click.option("--from", "backup", default=None, help="A backup file (20261201T013000Z.tar.gz); default: the newest.")
@click.argument("name")
def restore(cluster_name: str, backup: str | None, name: str) -> None:
    """Print the steps and the Job that restore NAME (a backup: openbao-raft, harbor-database, ...), in order:
    pause Argo CD for its Application, stop what writes to it, restore, unseal where OpenBao needs it,
    start it again, verify. Nothing is applied."""
    from platectl import restoring

    try:
        click.echo(restoring.steps(cluster_name, name, backup), nl=False)
    except (restoring.RestoreError, *INPUT_ERRORS) as exc:
        fail(exc)
