"""`platectl secrets`: the operator's checklist of what to put into OpenBao for an environment."""
from __future__ import annotations

import tempfile

import cdk8s
import click

import envs
from composition import compose_cluster
from platectl.cli.common import INPUT_ERRORS, cluster_or_env, fail, table


@click.command()
@click.option("--env", "env_name", required=True, type=cluster_or_env(), help="The environment (or cluster).")
def secrets(env_name: str) -> None:
    """List every OpenBao KV path and key ENV reads, with the component that reads it.

    A key of "*" means every key of the entry (an application's environment: each key becomes a
    variable). Paths are under the cluster's KV mount; `bao kv put <mount>/<path> key=value`.
    """
    try:
        platform = envs.load_platform()
        cluster = envs.cluster_of(env_name)
    except INPUT_ERRORS as exc:
        fail(exc)
    with tempfile.TemporaryDirectory() as tmp:
        units = compose_cluster(cdk8s.App(outdir=tmp), platform, cluster)
    mount = platform.clusters[cluster].secrets.kv_mount
    rows = sorted({(path, key, c.info.name, namespace) for u in units if u.name == env_name for c in u.components
                   for namespace, path, key in c.info.secrets})
    click.echo(f"OpenBao KV mount {mount!r} on cluster {cluster!r}:")
    for line in table([("PATH", "KEY", "COMPONENT", "NAMESPACE"), *rows], indent="  "):
        click.echo(line)
