"""`platectl status`: what Argo CD reports for an environment's Applications, from the Kubernetes API."""
from __future__ import annotations

import sys

import click

from platectl import watching
from platectl.cli.common import cluster_or_env


def progress(out=None):
    """A live table on a terminal (redrawn in place), plain lines of what changed elsewhere (CI logs)."""
    stream = out or sys.stderr
    live = stream.isatty()
    drawn: list[str] = []

    def show(states: list[watching.AppState]) -> None:
        nonlocal drawn
        lines = [s.line for s in states]
        if live:
            if drawn:
                stream.write(f"\x1b[{len(drawn)}F\x1b[J")
            stream.write("".join(f"  {line}\n" for line in lines))
        else:
            for line in lines:
                if line not in drawn:
                    stream.write(f"  {line}\n")
        stream.flush()
        drawn = lines

    return show


def kube_options(f):
    f = click.option("--kubeconfig", default=None, help="Default: KUBECONFIG or ~/.kube/config.")(f)
    f = click.option("--context", default=None, help="Default: the kubeconfig's current context.")(f)
    f = click.option("--argocd-namespace", default=None,
                     help="Where the Applications live. Default: an environment's own namespace "
                          "(argocd-<env>), a cluster's Argo CD namespace.")(f)
    return f


def applications_namespace(name: str, given: str | None) -> str:
    """Where ``name``'s Applications live (an environment's own namespace; a cluster's Argo CD's)."""
    if given:
        return given
    import envs
    from composition import apps_namespace

    platform = envs.load_platform()
    if name in platform.clusters:
        return platform.clusters[name].gitops.argocd_namespace
    env = platform.environments[name]
    return apps_namespace(platform.clusters[env.cluster], env)


@click.command()
@click.option("--env", "env_name", required=True, type=cluster_or_env(), help="The environment (or cluster).")
@kube_options
def status(env_name: str, kubeconfig: str | None, context: str | None, argocd_namespace: str | None) -> None:
    """Show ENV's Applications: sync, health and revision. Exit 1 when one is degraded."""
    argocd_namespace = applications_namespace(env_name, argocd_namespace)
    try:
        states = watching.list_states(watching.api(kubeconfig, context), argocd_namespace, watching.selector(env_name))
    except Exception as exc:  # noqa: BLE001 - the API's or the kubeconfig's error, as one line
        click.echo(f"error: cannot read the Applications of {env_name}: {exc}".splitlines()[0], err=True)
        raise SystemExit(1) from None
    if not states:
        click.echo(f"no Application of {env_name} in {argocd_namespace}: is the cluster bootstrapped?")
        raise SystemExit(1)
    for s in states:
        click.echo(s.line)
        for detail in s.degraded:
            click.echo(f"    {detail}")
    ready = sum(1 for s in states if watching.ready(s, None))
    click.echo(f"{ready}/{len(states)} synced and healthy")
    if any(s.health == "Degraded" for s in states):
        raise SystemExit(1)
