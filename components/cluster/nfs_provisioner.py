"""NFS storage for the platform's volumes: Kubernetes CSI's ``csi-driver-nfs`` and the StorageClass it
provisions.

The class keeps the name and the behaviour the platform's claims were made with (it replaced the
unmaintained nfs-subdir-external-provisioner): one sub-directory of the export per volume, named
``<namespace>-<claim>-<volume>`` as before, renamed ``archived-...`` on delete when the class archives.
The StorageClass carries Argo CD's ``Replace=true``: a class's provisioner cannot be changed in place, so
the first sync after the switch replaces it; PersistentVolumes made by the old provisioner are plain
``nfs`` volumes that the kubelet mounts on its own, and keep working (docs/operations.md, "Upgrades").

Volume snapshots (the driver's snapshotter and the snapshot controller) stay off until a component
uses them: their CRDs and controller would be one more thing to run and upgrade for nothing.
"""
from __future__ import annotations

from typing import Annotated, Literal

from constructs import Construct
from pydantic import Field

from components import versions
from components.core import HelmRelease, Obj
from components.flows import NetworkNeeds
from components.types import PROPS_CONFIG, DnsLabel, NfsServer, Resources, Strict
from components.workload import HARDENED, resources

DRIVER = "nfs.csi.k8s.io"
# The sub-directory of a volume: what nfs-subdir-external-provisioner named it, so both sets of volumes
# sit side by side on the export and an operator finds each by its claim.
SUB_DIR = "${pvc.metadata.namespace}-${pvc.metadata.name}-${pv.metadata.name}"


def _sidecar(memory: str) -> Obj:
    """The CSI sidecars' requirements: the chart's own, with a CPU ceiling like every other container."""
    return {"requests": {"cpu": "10m", "memory": "20Mi"}, "limits": {"cpu": "100m", "memory": memory}}


class StorageClass(Strict):
    name: DnsLabel  # the class PVCs of the platform use
    reclaim_policy: Literal["Delete", "Retain"]
    archive_on_delete: bool  # keep a deleted volume's data as archived-<name>
    default: bool


class NfsProvisionerSettings(Strict):
    """What a cluster may change."""

    server: NfsServer  # an IP address or hostname
    path: Annotated[str, Field(pattern=r"^/([A-Za-z0-9._-]+/?)*$")]  # the export; '..' is refused in envs/rules.py
    storage_class: StorageClass
    resources: Resources  # the driver's container, in the controller and on each node


class BackupExport(Strict):
    """The cluster's backup target, provided as a second class: one folder per namespace, never deleted."""

    storage_class: DnsLabel
    server: NfsServer
    path: str


class NfsProvisionerProps(NfsProvisionerSettings):
    model_config = PROPS_CONFIG

    namespace: str = "nfs-provisioner"
    backups: BackupExport | None = None


class NfsProvisioner(HelmRelease):
    layer = "cluster-services"
    rank = 1
    network = NetworkNeeds(api_server=True)  # host-network pods: the share is mounted from the node
    # Each container's resource requirements, passed whole by the templates (toYaml; values.yaml lists only
    # some of their keys), and the storage classes, a list the templates read but values.yaml only shows
    # in a comment
    free_form_values = (*(f"controller.resources.{c}" for c in ("nfs", "csiProvisioner", "csiResizer", "csiSnapshotter",
                                                                "livenessProbe")),
                        *(f"node.resources.{c}" for c in ("nfs", "livenessProbe", "nodeDriverRegistrar")),
                        "storageClasses")

    def __init__(self, scope: Construct, props: NfsProvisionerProps):
        p = props
        sc = p.storage_class
        annotations = {"argocd.argoproj.io/sync-options": "Replace=true"}
        if sc.default:
            annotations["storageclass.kubernetes.io/is-default-class"] = "true"
        classes: list[Obj] = [{
            "name": sc.name,
            "annotations": annotations,
            "parameters": {
                "server": p.server,
                "share": p.path,
                "subDir": SUB_DIR,
                "onDelete": "archive" if sc.archive_on_delete else "delete",
            },
            "reclaimPolicy": sc.reclaim_policy,
            "volumeBindingMode": "Immediate",
            "mountOptions": ["nfsvers=4.1"],
        }]
        if p.backups:
            # the namespace's folder, whatever the claim's or the volume's name: a new cluster's claim (after a
            # lost cluster) finds the backups its namespace made before; nothing deletes them
            classes.append({
                "name": p.backups.storage_class,
                "annotations": {"argocd.argoproj.io/sync-options": "Replace=true"},
                "parameters": {"server": p.backups.server, "share": p.backups.path,
                               "subDir": "${pvc.metadata.namespace}", "onDelete": "retain"},
                "reclaimPolicy": "Retain",
                "volumeBindingMode": "Immediate",
                "mountOptions": ["nfsvers=4.1"],
            })
        values: Obj = {
            "controller": {
                "replicas": 1,
                "enableSnapshotter": False,
                "logLevel": 2,
                "resources": {"nfs": resources(p.resources, HARDENED), "csiProvisioner": _sidecar("400Mi"),
                              "csiResizer": _sidecar("400Mi"), "csiSnapshotter": _sidecar("200Mi"),
                              "livenessProbe": _sidecar("100Mi")},
            },
            "node": {"logLevel": 2, "resources": {"nfs": resources(p.resources, HARDENED),
                                                  "livenessProbe": _sidecar("100Mi"),
                                                  "nodeDriverRegistrar": _sidecar("100Mi")}},
            "externalSnapshotter": {"enabled": False},
            "storageClasses": classes,
        }
        super().__init__(scope, "nfs-provisioner", p.namespace, versions.CSI_DRIVER_NFS, values,
                         pod_security="privileged",
                         pod_security_reason="the CSI node plugin mounts NFS shares for the kubelet: privileged, "
                                             "host network and the kubelet's directory with bidirectional propagation")
        self.props = props
