"""The `platectl` command line: one module per command."""
from __future__ import annotations

import click

from platectl.cli.bootstrap import bootstrap
from platectl.cli.charts import charts
from platectl.cli.diff import diff
from platectl.cli.graph import graph
from platectl.cli.history import history
from platectl.cli.images import images
from platectl.cli.promote import promote, set_image
from platectl.cli.publish import publish
from platectl.cli.restore import restore
from platectl.cli.rollback import rollback
from platectl.cli.secrets import secrets
from platectl.cli.status import status
from platectl.cli.synth import synth
from platectl.cli.validate import validate
from platectl.cli.versions import versions


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Render, check and publish the Plate GitOps platform."""


for command in (synth, validate, diff, publish, status, rollback, history, secrets, bootstrap, graph, charts, images,
                versions, restore, promote, set_image):
    cli.add_command(command)


def main() -> None:
    cli()
