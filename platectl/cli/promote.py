"""`platectl promote` and `platectl set-image`: images move between environments as commits to their files."""
from __future__ import annotations

from pathlib import Path

import click

from platectl.cli.common import INPUT_ERRORS, environment, fail
from platectl.cli.status import applications_namespace, kube_options


@click.command("set-image")
@click.option("--env", "env_name", required=True, type=environment(), help="The environment whose file to edit.")
@click.argument("service")
@click.argument("tag")
def set_image(env_name: str, service: str, tag: str) -> None:
    """Write TAG as SERVICE's image tag in ENV's configuration file (only that literal changes: comments and
    layout stay). For the pipeline that pushes an image to Harbor; commit and render as for any change."""
    from platectl import promoting
    from platectl.gitutil import GitError, toplevel

    try:
        repo: Path | None = toplevel(Path.cwd())
    except GitError:
        repo = None
    try:
        old, new = promoting.set_image(env_name, service, tag, repo)
    except (promoting.PromoteError, *INPUT_ERRORS) as exc:
        fail(exc)
    click.echo(f"{env_name}: {service} {old} -> {new} ({promoting.environment_file(env_name, repo)})")


@click.command()
@click.option("--from", "source", required=True, type=environment(), help="The verified environment (staging).")
@click.option("--to", "target", required=True, type=environment(), help="The environment to promote to.")
@click.option("--services", default="", help="Comma-separated services (default: every service both run).")
@click.option("--force", default=None, metavar="REASON",
              help="Promote although the source is not Synced and Healthy at its newest publish; the commit records REASON.")
@click.option("--remote", default="origin", show_default=True)
@kube_options
def promote(source: str, target: str, services: str, force: str | None, remote: str, kubeconfig: str | None,
            context: str | None, argocd_namespace: str | None) -> None:
    """Copy the images SOURCE runs into TARGET's file, on a new branch, one commit recording SOURCE's
    publish; refused unless every Application of SOURCE is Synced and Healthy at its newest publish."""
    import envs
    from platectl import promoting, publishing, watching
    from platectl.gitutil import GitError

    try:
        branch = envs.load_cluster(envs.cluster_of(source)).gitops.rendered_branch
        releases = publishing.history(source, repo=Path.cwd(), branch=branch, remote=remote)
        if not releases:
            raise promoting.PromoteError(f"{source} was never published: nothing is verified")
        namespace = applications_namespace(source, argocd_namespace)
        try:
            states = watching.list_states(watching.api(kubeconfig, context), namespace, watching.selector(source))
        except Exception as exc:  # noqa: BLE001 - the API's or the kubeconfig's error, as one line
            raise promoting.PromoteError(f"cannot read the Applications of {source} in {namespace}: "
                                         f"{str(exc).splitlines()[0]}") from None
        done = promoting.promote(source, target, repo=Path.cwd(), services=tuple(s for s in services.split(",") if s),
                                 states=states, release=releases[-1], running=publishing.running_source(releases),
                                 force=force)
    except (promoting.PromoteError, GitError, *INPUT_ERRORS) as exc:
        fail(exc)
    click.echo(done.diff, nl=False)
    click.echo(f"promoted {', '.join(sorted(done.changed))} from {source} to {target} on branch {done.branch} "
               f"({done.commit[:12]}, with its render): push it and open a pull request")
