"""The NFS subdir external provisioner and the StorageClass it provides."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from components import versions
from components.core import HelmRelease
from components.types import Resources
from components.workload import HARDENED, resources


class NfsProvisionerProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str  # required: IP address or hostname
    path: str  # required: the export
    storage_class: str  # required: the class PVCs of the platform use
    reclaim_policy: str  # required: Delete or Retain
    archive_on_delete: bool  # required: keep a deleted volume's data as archived-<name>
    default_class: bool  # required
    resources: Resources  # required
    namespace: str = "nfs-provisioner"


class NfsProvisioner(HelmRelease):
    layer = "cluster-services"
    rank = 1

    def __init__(self, scope, props: NfsProvisionerProps):
        p = props
        values = {
            "nfs": {"server": p.server, "path": p.path, "mountOptions": ["nfsvers=4.1"]},
            "storageClass": {
                "create": True,
                "name": p.storage_class,
                "defaultClass": p.default_class,
                "reclaimPolicy": p.reclaim_policy,
                "archiveOnDelete": p.archive_on_delete,
                "accessModes": "ReadWriteOnce",
            },
            "resources": resources(p.resources, HARDENED),
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                "seccompProfile": {"type": "RuntimeDefault"}},
        }
        super().__init__(scope, "nfs-provisioner", p.namespace, versions.NFS_PROVISIONER, values,
                         pod_security="baseline", pod_security_reason="the provisioner mounts the export as an nfs volume")
        self.props = props
