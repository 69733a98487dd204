"""`platectl versions`: every pinned component, its version, and whether upstream still supports it."""
from __future__ import annotations

from datetime import date

import click

from platectl.cli.common import table


@click.command()
@click.option("--all", "everything", is_flag=True,
              help="Also the repository's own tools: npm and Python packages, CI actions, Jenkins plugins.")
@click.option("--latest", is_flag=True, help="Also ask the chart repositories for their newest versions (network).")
@click.option("--strict", is_flag=True, help="Exit 1 when a pin is past its end of support (for CI).")
def versions(everything: bool, latest: bool, strict: bool) -> None:
    """List the pins (components/versions.py, charts/chartfile.yaml, each cluster's Kubernetes) with their
    support from components/support.py."""
    from platectl import versions as inventory

    pins = inventory.platform_pins()
    if everything:
        pins += [p for p in inventory.pins() if not p.platform]
    newest: dict[str, str] = {}
    if latest:
        newest, offline = inventory.latest_chart_versions()
        if offline:
            click.echo(f"offline: {offline}", err=True)
    today = date.today()
    rows = [("KIND", "NAME", "VERSION", *(("LATEST",) if latest else ()), "SUPPORT", "SOURCE")]
    verdicts = [inventory.verdict(p, today) for p in pins]
    for v in verdicts:
        p = v.pin
        rows.append((p.kind, p.name, p.version, *((newest.get(p.name, "") if p.kind == "chart" else "",)
                                                  if latest else ()), v.text, v.source))
    for line in table(rows):
        click.echo(line)
    past = [v for v in verdicts if v.supported is False]
    click.echo(f"{len(pins)} pins: {len(past)} past their end of support"
               + (f" ({', '.join(f'{v.pin.name} {v.pin.version}' for v in past)})" if past else ""))
    if past and strict:
        raise SystemExit(1)
