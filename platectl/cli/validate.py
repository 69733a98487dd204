"""`platectl validate`: offline checks of a render, as a table of findings."""
from __future__ import annotations

from pathlib import Path

import click

import envs
from platectl import checks, render
from platectl.cli.common import INPUT_ERRORS, cluster_or_env, fail, table


@click.command()
@click.option("--env", "env_names", multiple=True, type=cluster_or_env(),
              help="Check only this environment or cluster (repeatable). Default: everything.")
@click.option("--dist", type=click.Path(file_okay=False, exists=True, path_type=Path), default=render.DEFAULT_OUT,
              show_default="dist/", help="The render to check.")
@click.option("--kubernetes-version", "versions", multiple=True,
              help="Check built-ins against this Kubernetes version instead of the one each cluster declares "
                   "(repeatable, e.g. 1.34.0; 'latest' is the newest schema kubernetes-validate bundles).")
def validate(env_names: tuple[str, ...], dist: Path, versions: tuple[str, ...]) -> None:
    """Check YAML, Kubernetes and CRD schemas, and the platform's policy. Exit 1 on any error."""
    try:
        names = list(env_names) or sorted([*envs.cluster_names(), *envs.names()])
        count, findings = checks.run(dist, names, tuple(versions) or None)
    except INPUT_ERRORS as exc:
        fail(exc)
    errors = [f for f in findings if f.level == "error"]
    if findings:
        rows = [("LEVEL", "OWNER", "FILE", "CHECK", "MESSAGE")]
        rows += [(f.level, f.env, f.file, f.check, f.message) for f in findings]
        for line in table(rows):
            click.echo(line)
    warnings = len(findings) - len(errors)
    click.echo(f"{count} objects checked in {', '.join(names)}: {len(errors)} errors, {warnings} warnings")
    if errors:
        raise SystemExit(1)
