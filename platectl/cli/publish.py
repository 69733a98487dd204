"""`platectl publish`: commit an environment's render to the rendered branch, tagged, never forced."""
from __future__ import annotations

from pathlib import Path

import click

import envs
from envs import ConfigError, ConfigFileError
from platectl import diffing, publishing, render
from platectl.cli.common import cluster_or_env
from platectl.gitutil import GitError


def confirmer(env_name: str, yes: bool):
    """Production asks unless --yes; other tiers never ask."""
    if yes or envs.tier_of(env_name) != "production":
        return lambda _: True
    return lambda question: click.confirm(question, default=False)


@click.command()
@click.option("--env", "env_name", required=True, type=cluster_or_env(),
              help="The environment (or cluster) whose folder of dist/ to publish.")
@click.option("--branch", default=None, help="Default: the environment's gitops.rendered_branch.")
@click.option("--remote", default="origin", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would change; commit and push nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (production asks otherwise).")
@click.option("--source", default="main", show_default=True,
              help="The reviewed branch on the remote that the published commit must be on.")
@click.option("--emergency", metavar="REASON", default=None,
              help="Publish a commit that is not on the remote's reviewed branch; REASON is recorded.")
def publish(env_name: str, branch: str | None, remote: str, dry_run: bool, yes: bool, source: str,
            emergency: str | None) -> None:
    """Commit ENV's render to the rendered branch (through a worktree), tag it, push it."""
    try:
        branch = branch or envs.load_cluster(envs.cluster_of(env_name)).gitops.rendered_branch
        result = publishing.publish(env_name, repo=Path.cwd(), branch=branch, remote=remote, dry_run=dry_run,
                                    confirm=confirmer(env_name, yes),
                                    say=lambda line: click.echo(line, err=True), source=source,
                                    emergency=emergency)
    except (GitError, ConfigError, ConfigFileError, render.RenderError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    if result.status == "dry-run":
        click.echo(diffing.format_text(list(result.changes)), nl=False)
    click.echo(result.message)
