"""`platectl restore`: the steps and Jobs that restore one backed-up state of a cluster, in order.

Printed, never applied: a restore replaces live data, so a person runs each step and reads what it
says. The Jobs are the backups' own pod (same image, user, hardening and claims), with the restore
script; ``tests/test_backups.py`` validates them against the Kubernetes schemas.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass

import cdk8s

import envs
from components.backup import RESTORE_TOKEN, SUFFIX, Backup
from components.meta import literal_yaml


class RestoreError(Exception):
    pass


@dataclass(frozen=True)
class Plan:
    backup: Backup
    application: str  # the Argo CD Application that owns the state
    argocd_namespace: str


def planned(cluster: str) -> dict[str, Plan]:
    """Every backed-up state of the cluster, by backup name: the render's own plan."""
    from composition import HARDENING, ClusterContext, backups, compose

    platform = envs.load_platform()
    if cluster not in platform.clusters:
        raise RestoreError(f"unknown cluster {cluster!r} (clusters: {', '.join(sorted(platform.clusters))})")
    c = platform.clusters[cluster]
    components = compose(cdk8s.App(outdir=tempfile.mkdtemp(prefix="plate-restore-")), platform, cluster)
    ctx = ClusterContext(c, HARDENING[c.security_profile], tuple(platform.environments_on(cluster)))
    return {p.backup.state.name: Plan(p.backup, f"{cluster}-{p.component}", c.gitops.argocd_namespace)
            for p in backups.plan(ctx, components)}


def steps(cluster: str, name: str, backup: str | None) -> str:
    plans = planned(cluster)
    if name not in plans:
        raise RestoreError(f"cluster {cluster!r} has no backup {name!r} (backups: {', '.join(sorted(plans))})")
    plan = plans[name]
    b, ns = plan.backup, plan.backup.namespace
    suffix = SUFFIX[b.state.method]
    if backup is not None and not (backup.endswith(f".{suffix}") and "/" not in backup):
        raise RestoreError(f"--from {backup!r}: a file name of the {name} folder on the backup target, "
                           f"such as 20261201T013000Z.{suffix}")
    job = literal_yaml(b.restore_job(backup), width=1000)
    app = f"kubectl -n {plan.argocd_namespace} annotate application {plan.application}"
    source = backup or f"the newest {suffix} file"
    out = [f"# Restore {name} ({b.state.holds}) in cluster {cluster!r}, namespace {ns}, from {source}",
           f"# in {ns}/{'backups'}:{name}/ on the backup target. Run each step, read what it prints.", ""]
    n = 1
    out += [f"# {n}. Keep Argo CD from undoing the steps below while they run",
            f"{app} argocd.argoproj.io/skip-reconcile=true --overwrite", ""]
    n += 1
    if b.state.method == "raft-snapshot":
        out += [f"# {n}. OpenBao must run, initialised and unsealed (a new cluster: `bao operator init`, then unseal",
                "#    every node). Give the restore the root token of the OpenBao that runs now:",
                f"kubectl -n {ns} create secret generic {RESTORE_TOKEN} --from-literal=token=\"$BAO_ROOT_TOKEN\"", ""]
    else:
        out += [f"# {n}. Stop what writes to it"]
        out += [f"kubectl -n {ns} scale {w} --replicas=0" for w in b.state.stop]
        out += [f"kubectl -n {ns} rollout status {w} --timeout=5m" for w in b.state.stop] + [""]
    n += 1
    out += [f"# {n}. Restore", "kubectl apply -f - <<'EOF'", job.rstrip(), "EOF",
            f"kubectl -n {ns} wait --for=condition=complete job/{name}-restore --timeout=1h",
            f"kubectl -n {ns} logs job/{name}-restore", ""]
    n += 1
    if b.state.method == "raft-snapshot":
        out += [f"# {n}. The restored data is sealed with the keys of the OpenBao it came from: restart every node",
                "#    and unseal each with THOSE unseal keys (the old key shares), then remove the token",
                f"kubectl -n {ns} delete secret {RESTORE_TOKEN}",
                f"kubectl -n {ns} delete pod -l app.kubernetes.io/name=openbao",
                f"kubectl -n {ns} exec -ti openbao-0 -- bao operator unseal   # each node, the old key shares", ""]
    else:
        out += [f"# {n}. Start it again (Argo CD scales it back to its rendered replicas)"]
    n += 1
    out += [f"{app} argocd.argoproj.io/skip-reconcile-", f"kubectl -n {ns} delete job/{name}-restore", ""]
    out += [f"# {n}. Verify", *(f"kubectl -n {ns} rollout status {w} --timeout=10m" for w in b.state.stop),
            *(["kubectl -n openbao exec openbao-0 -- bao status"] if b.state.method == "raft-snapshot" else []),
            f"platectl status --env {cluster}"]
    return "\n".join(out) + "\n"
