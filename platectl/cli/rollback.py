"""`platectl rollback`: a new commit on the rendered branch restoring an earlier publish."""
from __future__ import annotations

from pathlib import Path

import click

import envs
from envs import ConfigError, ConfigFileError
from platectl import publishing
from platectl.cli.common import cluster_or_env
from platectl.cli.publish import confirmer
from platectl.gitutil import GitError


@click.command()
@click.option("--env", "env_name", required=True, type=cluster_or_env(),
              help="The environment (or cluster) whose folder of dist/ to publish.")
@click.option("--to", "to", default=None, help="A publish tag or commit. Default: the previous publish.")
@click.option("--branch", default=None, help="Default: the environment's gitops.rendered_branch.")
@click.option("--remote", default="origin", show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (production asks otherwise).")
def rollback(env_name: str, to: str | None, branch: str | None, remote: str, yes: bool) -> None:
    """Revert ENV on the rendered branch to the previous publish (or TO); history is never rewritten."""
    try:
        branch = branch or envs.load_cluster(envs.cluster_of(env_name)).gitops.rendered_branch
        result = publishing.rollback(env_name, repo=Path.cwd(), branch=branch, remote=remote, to=to,
                                     confirm=confirmer(env_name, yes),
                                     say=lambda line: click.echo(line, err=True))
    except (GitError, ConfigError, ConfigFileError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    click.echo(result.message)
