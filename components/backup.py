"""The state a component keeps, and the Jobs that back it up and restore it.

A component declares each volume or database it keeps (``State``): what it holds, whether Git
recreates it (and why its loss is acceptable), and how it is backed up. ``Backup`` builds, for one
declared state, the CronJob that takes the backup on schedule, the same Job as an Argo CD ``PreSync``
hook (a backup before every sync that changes the component, where the cluster asks for it) and the
Jobs that restore it. Every Job is hardened like the platform's other workloads and writes to the
``backups`` claim of its namespace, a volume of the cluster's backup target (an NFS export separate
from the live one, one directory per namespace, retained when the claim goes: a new cluster's claim
finds the old backups).

Methods: ``raft-snapshot`` (OpenBao's own ``bao operator raft snapshot save``, with a Kubernetes-auth
token whose policy reads only the snapshot endpoint), ``pg-dump`` (``pg_dump -Fc`` with the PostgreSQL
tools of the database's major version), ``volume-copy`` (a tar of the volume as the component's user).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from pydantic import Field

from components.meta import Obj, labels, metadata
from components.types import PROPS_CONFIG, Duration, Image, NfsServer, Resources, Size, Strict
from components.workload import HARDENED, Container, Hardening, PodOptions, pod_template

Method = Literal["raft-snapshot", "pg-dump", "volume-copy", "none"]
CLAIM = "backups"  # the claim of the backup target in each namespace that has backups
MOUNT = "/backup"
SUFFIX = {"raft-snapshot": "snap", "pg-dump": "dump", "volume-copy": "tar.gz"}
RESTORE_TOKEN = "openbao-restore-token"  # the Secret an operator makes with a root token for a raft restore
CLAIMS_WAVE, BACKUP_WAVE = "-2", "-1"  # the claims, then the backup, then (wave 0) everything that changes


@dataclass(frozen=True)
class State:
    """One piece of state a component keeps."""

    volume: str  # "PersistentVolumeClaim/<name>", "StatefulSet/<set>/<template>", "Prometheus/<name>", "database/<name>"
    holds: str
    method: Method
    reason: str = ""  # for method "none": why its loss is acceptable (recreated from Git, a cache, history)
    run_as: tuple[int, int] = (65534, 65534)  # the user and group that can read the volume (volume-copy)
    name: str = ""  # the backup's name, "<component>-<what>": its CronJob, its folder on the target
    stop: tuple[str, ...] = ()  # what writes to it, stopped during a restore ("deployment/grafana")

    @property
    def backed_up(self) -> bool:
        return self.method != "none"


class NfsTarget(Strict):
    type: Literal["nfs"]
    server: NfsServer
    path: Annotated[str, Field(pattern=r"^/([A-Za-z0-9._-]+/?)*$")]  # an export separate from the live one


class BackupSettings(Strict):
    """Where a cluster's backups go, how often, how many are kept, and whether a backup precedes each sync."""

    target: NfsTarget
    storage_class: str = "plate-backups"  # provided on the target by the NFS driver, one folder per namespace
    size: Size = "200Gi"
    schedule: Annotated[str, Field(pattern=r"^(\S+\s+){4}\S+$")] = "30 1 * * *"  # cron, the cluster's time zone
    schedules: dict[str, Annotated[str, Field(pattern=r"^(\S+\s+){4}\S+$")]] = {}  # per backup name
    keep: Annotated[int, Field(ge=1, le=365)] = 7  # backups kept per backup name
    max_age: Duration = "26h"  # older than this and the newest backup raises BackupTooOld
    before_sync: bool = False  # a PreSync backup before every sync of a stateful component
    resources: Resources
    tools_image: Image  # a shell with tar (volume copies)
    postgres_image: Image  # pg_dump of the database's major version


class BackupProps(BackupSettings):
    model_config = PROPS_CONFIG

    hardening: Hardening = HARDENED  # the cluster's profile: the backup Jobs are its workloads


@dataclass(frozen=True)
class Source:
    """What a backup reads: the volume's claim, or the database's address and password."""

    claim: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    database: str = ""
    password_secret: tuple[str, str] = ("", "")  # (Secret, key)
    # raft-snapshot: OpenBao's address, the Secret with its CA, the auth mount and role of the backup
    address: str = ""
    ca_secret: str = ""
    auth_mount: str = ""
    role: str = ""
    image: str = ""  # the component's own image, when the method needs its program (bao)


def _prune(folder: str, suffix: str, keep: int) -> str:
    return (f'ls -1 {folder}/*.{suffix} 2>/dev/null | sort -r | tail -n +{keep + 1} | while read -r old; '
            f'do rm -f "$old"; done')


def backup_script(state: State, source: Source, keep: int) -> str:
    folder = f"{MOUNT}/{state.name}"
    suffix = SUFFIX[state.method]
    head = ["set -eu", f"mkdir -p {folder}", 'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
            f'part="{folder}/.$stamp.{suffix}.partial"']
    if state.method == "raft-snapshot":
        take = [
            # a first install syncs before OpenBao runs: with no OpenBao and no earlier snapshot there is
            # nothing to back up yet; with earlier snapshots, an unreachable OpenBao is a failure
            'rc=0; bao status >/dev/null 2>&1 || rc=$?',  # 0 unsealed, 2 sealed, 1 not reachable
            'if [ "$rc" -eq 1 ] && ! ls ' + folder + '/*.snap >/dev/null 2>&1; then',
            '  echo "backup ' + state.name + ': OpenBao is not running and was never backed up: nothing to back up"',
            "  exit 0",
            "fi",
            f'BAO_TOKEN="$(bao write -field=token auth/{source.auth_mount}/login role={source.role} '
            'jwt=@/var/run/secrets/kubernetes.io/serviceaccount/token)"',
            "export BAO_TOKEN",
            'bao operator raft snapshot save "$part"',
        ]
    elif state.method == "pg-dump":
        take = ['pg_dump --format=custom --no-owner --file="$part"']
    else:
        take = ['tar -C /data -czf "$part" .']
    done = [f'mv "$part" "{folder}/$stamp.{suffix}"', _prune(folder, suffix, keep),
            f'echo "backup {state.name}: {folder}/$stamp.{suffix}"']
    return "\n".join([*head, *take, *done]) + "\n"


def restore_script(state: State, source: Source, backup: str | None) -> str:
    folder = f"{MOUNT}/{state.name}"
    suffix = SUFFIX[state.method]
    pick = (f'file="{folder}/{backup}"' if backup else
            f'file="$(ls -1 {folder}/*.{suffix} | sort | tail -n 1)"')
    lines = ["set -eu", pick, 'test -s "$file"', f'echo "restoring {state.name} from $file"']
    if state.method == "raft-snapshot":  # with the operator's token (RESTORE_TOKEN): a new OpenBao has no roles
        lines += ['bao operator raft snapshot restore -force "$file"']
    elif state.method == "pg-dump":
        lines += ['pg_restore --clean --if-exists --no-owner --single-transaction --dbname="$PGDATABASE" "$file"']
    else:
        lines += ["find /data -mindepth 1 -delete", 'tar -C /data -xzf "$file"']
    return "\n".join(lines) + "\n"


class Backup:
    """The objects of one declared state's backup, in the component's namespace."""

    def __init__(self, component: str, namespace: str, state: State, source: Source, settings: BackupProps):
        self.component, self.namespace, self.state, self.source = component, namespace, state, source
        self.settings, self.hardening = settings, settings.hardening
        self.labels = labels(state.name, "backup")

    @property
    def schedule(self) -> str:
        return self.settings.schedules.get(self.state.name, self.settings.schedule)

    def _pod(self, script: str, restore: bool) -> Obj:
        s, src = self.state, self.source
        mounts: list[dict[str, object]] = [{"name": "backups", "mountPath": MOUNT}]
        volumes: list[dict[str, object]] = [{"name": "backups", "persistentVolumeClaim": {"claimName": CLAIM}}]
        env: list[dict[str, object]] = []
        image = self.settings.tools_image.ref
        token = False
        user, group = s.run_as
        if s.method == "volume-copy":
            mounts.append({"name": "data", "mountPath": "/data", **({} if restore else {"readOnly": True})})
            volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": src.claim, "readOnly": not restore}})
        elif s.method == "pg-dump":
            image = self.settings.postgres_image.ref
            env = [{"name": "PGHOST", "value": src.host}, {"name": "PGPORT", "value": str(src.port)},
                   {"name": "PGUSER", "value": src.user}, {"name": "PGDATABASE", "value": src.database},
                   {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": src.password_secret[0],
                                                                         "key": src.password_secret[1]}}}]
        else:  # raft-snapshot: OpenBao's own CLI, authenticated as this Job's service account
            image, token = src.image, not restore
            mounts.append({"name": "tls", "mountPath": "/openbao/tls", "readOnly": True})
            volumes.append({"name": "tls", "secret": {"secretName": src.ca_secret, "items": [{"key": "ca.crt",
                                                                                              "path": "ca.crt"}]}})
            env = [{"name": "BAO_ADDR", "value": src.address}, {"name": "BAO_CACERT", "value": "/openbao/tls/ca.crt"},
                   {"name": "HOME", "value": "/tmp"}]
            if restore:
                env.append({"name": "BAO_TOKEN", "valueFrom": {"secretKeyRef": {"name": RESTORE_TOKEN, "key": "token"}}})
        container = Container(name="restore" if restore else "backup", image=image, resources=self.settings.resources,
                              liveness=None, readiness=None,  # a run to completion, bounded by its deadline
                              command=("/bin/sh", "-c"), args=(script,), env=cast(Any, tuple(env)),
                              writable_paths=("/tmp",), mounts=cast(Any, tuple(mounts)))
        opts = PodOptions(service_account=self.service_account, run_as_user=user, run_as_group=group, fs_group=group,
                          automount_token=token, volumes=cast(Any, tuple(volumes)))
        template = cast(Obj, pod_template(self.labels, {}, [container], opts, self.hardening))
        template["spec"]["restartPolicy"] = "Never"
        return template

    @property
    def service_account(self) -> str:
        return self.state.name

    def job_spec(self, script: str, restore: bool = False) -> Obj:
        return {"backoffLimit": 1, "activeDeadlineSeconds": 3600, "ttlSecondsAfterFinished": 86400,
                "template": self._pod(script, restore)}

    def objects(self, before_sync: bool) -> list[Obj]:
        """The CronJob, and the PreSync Job when a backup precedes every sync."""
        s = self.state
        spec = self.job_spec(backup_script(s, self.source, self.settings.keep))
        out: list[Obj] = [{"apiVersion": "batch/v1", "kind": "CronJob",
                           "metadata": metadata(s.name, self.namespace, self.labels),
                           "spec": {"schedule": self.schedule, "concurrencyPolicy": "Forbid",
                                    "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
                                    "jobTemplate": {"metadata": {"labels": self.labels}, "spec": spec}}}]
        if before_sync:
            # A hook of the sync itself, in the wave before the workloads (wave 0) and after the claims
            # (BEFORE_CLAIMS): a PreSync hook would run before a first install's claims exist, and wait forever.
            out.append({"apiVersion": "batch/v1", "kind": "Job",
                        "metadata": metadata(f"{s.name}-before-sync", self.namespace, self.labels, {
                            "argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/sync-wave": BACKUP_WAVE,
                            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}),
                        "spec": spec})
        # its own account (no token mounted unless the method authenticates with it)
        out.append({"apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": metadata(self.service_account, self.namespace, self.labels),
                    "automountServiceAccountToken": False})
        return out

    def restore_job(self, backup: str | None) -> Obj:
        s = self.state
        return {"apiVersion": "batch/v1", "kind": "Job",
                "metadata": metadata(f"{s.name}-restore", self.namespace, self.labels),
                "spec": self.job_spec(restore_script(s, self.source, backup), restore=True)}


def backup_claim(namespace: str, settings: BackupProps) -> Obj:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": metadata(CLAIM, namespace, labels(CLAIM, "backup"),
                                 {"argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
                                  "argocd.argoproj.io/sync-wave": CLAIMS_WAVE}),
            "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": settings.storage_class,
                     "resources": {"requests": {"storage": settings.size}}}}
