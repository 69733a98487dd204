"""`platectl history`: every publish and rollback of an environment, as the remote records them."""
from __future__ import annotations

from pathlib import Path

import click

import envs
from envs import ConfigError, ConfigFileError
from platectl import publishing
from platectl.cli.common import cluster_or_env, table
from platectl.gitutil import GitError


@click.command()
@click.option("--env", "env_name", required=True, type=cluster_or_env(), help="The environment (or cluster).")
@click.option("--branch", default=None, help="Default: the cluster's gitops.rendered_branch.")
@click.option("--remote", default="origin", show_default=True)
@click.option("--running", is_flag=True, help="Print only the source commit ENV runs now (CI promotes exactly that).")
def history(env_name: str, branch: str | None, remote: str, running: bool) -> None:
    """List ENV's publishes and rollbacks on the rendered branch, oldest first."""
    try:
        branch = branch or envs.load_cluster(envs.cluster_of(env_name)).gitops.rendered_branch
        releases = publishing.history(env_name, repo=Path.cwd(), branch=branch, remote=remote)
    except (GitError, ConfigError, ConfigFileError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    if running:
        try:
            click.echo(publishing.running_source(releases))
        except GitError as exc:
            click.echo(f"error: {env_name}: {exc}", err=True)
            raise SystemExit(1) from None
        return
    if not releases:
        click.echo(f"nothing published for {env_name} on {remote}/{branch}")
        return
    rows = [("TAG", "KIND", "DATE", "FROM", "COMMIT")]
    rows += [(r.tag, r.kind, r.date, r.source[:12] if r.kind == "publish" else r.source, r.commit[:12])
             for r in releases]
    for line in table(rows):
        click.echo(line)
