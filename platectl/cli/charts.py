"""`platectl charts`: the vendored upstream charts (charts/, pinned in charts/chartfile.yaml)."""
from __future__ import annotations

import click

from platectl import charts as vendored


@click.group()
def charts() -> None:
    """Verify or update the vendored charts."""


@charts.command()
def verify() -> None:
    """Check every vendored archive against its sha256 pin. Exit 1 on any mismatch."""
    problems = vendored.verify()
    for line in problems:
        click.echo(f"error: {line}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("every vendored chart matches its pin")


@charts.command()
@click.argument("name")
@click.option("--version", "version", required=True, help="The chart version to vendor.")
@click.option("--repository", default=None,
              help="Pull from here (a mirror; the pinned repository stays). Default: the chart's pinned repository.")
@click.option("--sha256", "expected", default=None, help="Refuse the archive unless it has this sha256.")
@click.option("--insecure", is_flag=True, help="Allow a plain-http repository (a mirror on your own network).")
def update(name: str, version: str, repository: str | None, expected: str | None, insecure: bool) -> None:
    """Pull NAME at VERSION from its repository, verify its sha256, vendor and pin it (online)."""
    try:
        digest = vendored.update(name, version, repository=repository, expected=expected, insecure=insecure)
    except vendored.ChartError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(f"vendored {name} {version} (sha256 {digest}); render, read the diff, commit charts/ and dist/")
