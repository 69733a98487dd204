"""The cluster's backups: for every state a component declares as backed up, its CronJob (and its PreSync
hook where the cluster asks for a backup before every sync) in the component's own folder, so the hook
gates exactly that component's sync; one ``backups`` claim per namespace on the cluster's backup target."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from components.backup import CLAIMS_WAVE, Backup, BackupProps, Source, State, backup_claim
from components.tools.harbor import Harbor
from components.tools.openbao import API_PORT, OpenBao
from composition.wiring import props

if TYPE_CHECKING:
    from components.core import Component, Manifest
    from composition import ClusterContext


@dataclass(frozen=True)
class Planned:
    component: str
    backup: Backup


def source(ctx: ClusterContext, component: Component, state: State) -> Source:
    """What a declared state's backup reads, from the component that keeps it."""
    if state.method == "raft-snapshot":
        assert isinstance(component, OpenBao), state.volume
        p = component.props
        return Source(address=f"https://{p.name}.{p.namespace}.svc:{API_PORT}", ca_secret=component.tls_secret,
                      auth_mount=ctx.cluster.secrets.auth_mount, role=state.name, image=p.image.ref)
    if state.method == "pg-dump":
        assert isinstance(component, Harbor), state.volume
        db = component.props.external_database
        if db is not None:
            return Source(host=db.host, port=db.port, user=db.username, database=db.database,
                          password_secret=("harbor-external-database", "password"))
        return Source(host="harbor-database", user="postgres", database="registry",
                      password_secret=("harbor-database-password", "password"))
    kind, _, claim = state.volume.partition("/")
    assert kind == "PersistentVolumeClaim", f"{component.info.name}: a volume copy reads a claim ({state.volume})"
    return Source(claim=claim)


def settings(ctx: ClusterContext) -> BackupProps:
    return props(BackupProps, ctx.cluster.backups, hardening=ctx.hardening)


def plan(ctx: ClusterContext, components: list[Component]) -> list[Planned]:
    chosen = settings(ctx)
    return [Planned(comp.info.name, Backup(comp.info.name, comp.info.namespace, state, source(ctx, comp, state),
                                           chosen))
            for comp in components for state in comp.state if state.backed_up]


def attach(ctx: ClusterContext, components: list[Component]) -> list[Planned]:
    """Add each backup's objects to the component that keeps the state; returns what was planned."""
    chosen = settings(ctx)
    planned = plan(ctx, components)
    by_name = {c.info.name: c for c in components}
    claimed: set[str] = set()
    for item in planned:
        owner = by_name[item.component]
        for obj in item.backup.objects(chosen.before_sync):
            owner.add(cast("Manifest", obj))
        if item.backup.namespace not in claimed:
            claimed.add(item.backup.namespace)
            owner.add(cast("Manifest", backup_claim(item.backup.namespace, chosen)))
    return planned


def claims_first(ctx: ClusterContext, components: list[Component]) -> None:
    """Once the charts are rendered: the claims a backup copies sync before the backup (their wave), so a
    first install creates them and the backup copies an empty volume instead of waiting for them."""
    if not ctx.cluster.backups.before_sync:
        return
    for comp in components:
        claims = {s.volume.partition("/")[2] for s in comp.state if s.method == "volume-copy"}
        for obj in comp.manifests:
            if obj.get("kind") == "PersistentVolumeClaim" and obj["metadata"]["name"] in claims:
                obj["metadata"].setdefault("annotations", {})["argocd.argoproj.io/sync-wave"] = CLAIMS_WAVE
                comp.texts.pop(id(obj), None)  # a chart's object: its cached text is no longer what it is
