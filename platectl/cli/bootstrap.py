"""`platectl bootstrap`: how an empty cluster gets its Argo CD, in the order it must be applied."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from components.argocd.app_of_apps import BOOTSTRAP_STEPS
from platectl import render
from platectl.cli.common import INPUT_ERRORS, cluster, fail


def commands(cluster_name: str, argocd_namespace: str, crds: list[str]) -> list[str]:
    """The commands that bootstrap ``cluster_name`` from a checkout's dist/, in order (``crds``: the names
    of the CRDs the first step installs, which the second step's objects need served)."""
    base = f"dist/clusters/{cluster_name}/bootstrap"
    foundation, argo_cd, root = (f"{base}/{step}/" for step in BOOTSTRAP_STEPS)
    return [
        f"kubectl apply --server-side -f {foundation}",
        "kubectl wait --for=condition=Established --timeout=120s " + " ".join(f"crd/{c}" for c in crds),
        f"kubectl apply --server-side -f {argo_cd}",
        f"kubectl -n {argocd_namespace} rollout status --timeout=600s statefulset,deployment",
        f"kubectl apply --server-side -f {root}",
    ]


@click.command()
@click.option("--cluster", "cluster_name", required=True, type=cluster())
@click.option("--step", type=click.IntRange(1, len(BOOTSTRAP_STEPS)), default=None,
              help="print that step's objects (for kubectl apply --server-side -f -) instead of the commands")
def bootstrap(cluster_name: str, step: int | None) -> None:
    """Print the commands that bring an empty cluster to a self-managing Argo CD, in order (or, with
    --step, one step's objects): 1. Argo CD's namespace and CRDs; 2. Argo CD with its keyring of the
    signing keys; 3. the root Application and its project, which install everything else."""
    import envs

    with tempfile.TemporaryDirectory(prefix="platectl-bootstrap-") as tmp:
        try:
            render.synth(Path(tmp) / "dist", names=[cluster_name], warn=lambda _: None)
            namespace = envs.load_cluster(cluster_name).gitops.argocd_namespace
        except (*INPUT_ERRORS, render.RenderError) as exc:
            fail(exc)
        steps = Path(tmp) / "dist" / "clusters" / cluster_name / "bootstrap"
        if step is None:
            crds = sorted(p.name.split(".", 1)[1].removesuffix(".k8s.yaml")
                          for p in (steps / BOOTSTRAP_STEPS[0]).glob("CustomResourceDefinition.*.yaml"))
            click.echo("\n".join(commands(cluster_name, namespace, crds)))
            return
        folder = steps / BOOTSTRAP_STEPS[step - 1]
        click.echo("---\n".join(f.read_text() for f in sorted(folder.glob("*.yaml"))), nl=False)
