"""`platectl publish`: commit an environment's render to the rendered branch, tagged, never forced."""
from __future__ import annotations

from pathlib import Path

import click

import envs
from envs import ConfigError, ConfigFileError
from platectl import diffing, publishing, render, watching
from platectl.cli.common import cluster_or_env
from platectl.cli.status import applications_namespace, kube_options, progress
from platectl.gitutil import GitError, git, run


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
@click.option("--wait", "wait_", is_flag=True, help="Then wait until Argo CD reports every Application of ENV "
                                                     "Synced to this revision and Healthy; print where it is served.")
@click.option("--timeout", default=600, show_default=True, type=click.IntRange(1), help="Seconds --wait waits.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.01), hidden=True)
@kube_options
def publish(env_name: str, branch: str | None, remote: str, dry_run: bool, yes: bool, source: str,
            emergency: str | None, wait_: bool, timeout: int, interval: float, kubeconfig: str | None,
            context: str | None, argocd_namespace: str | None) -> None:
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
    if wait_ and result.status in ("published", "unchanged"):
        _wait(env_name, branch, remote, timeout, interval, kubeconfig, context,
              applications_namespace(env_name, argocd_namespace))


def _wait(env_name: str, branch: str, remote: str, timeout: int, interval: float, kubeconfig: str | None,
          context: str | None, namespace: str) -> None:
    repo = Path.cwd()
    published = git("rev-parse", f"refs/remotes/{remote}/{branch}", cwd=repo)

    def current(revision: str) -> bool:  # the published commit, or a later one of the rendered branch
        return revision == published or run("merge-base", "--is-ancestor", published, revision,
                                            cwd=repo).returncode == 0

    click.echo(f"waiting for Argo CD: every Application of {env_name} Synced to {published[:12]} and Healthy "
               f"(up to {timeout}s)", err=True)
    try:
        client = watching.api(kubeconfig, context)
        watching.wait(client, namespace, watching.selector(env_name), current=current, timeout=timeout,
                      interval=interval, show=progress(), say=lambda line: click.echo(line, err=True))
    except watching.WaitError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    except Exception as exc:  # noqa: BLE001 - the kubeconfig's or the client's error, as one line
        click.echo(f"error: cannot follow {env_name} in the cluster: {exc}".splitlines()[0], err=True)
        raise SystemExit(1) from None
    click.echo(f"{env_name} is synced and healthy at {published[:12]}; it is served at:")
    for line in watching.access(env_name):
        click.echo(f"  {line}")
