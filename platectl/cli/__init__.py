"""The `platectl` command line: one module per command."""
from __future__ import annotations

import click

from platectl.cli.synth import synth


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Render, check and publish the Plate GitOps platform."""


cli.add_command(synth)


def main() -> None:
    cli()
