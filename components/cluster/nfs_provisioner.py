"""The NFS subdir external provisioner and the StorageClass it provides."""
from __future__ import annotations

from typing import Annotated, Literal

from constructs import Construct
from pydantic import Field

from components import versions
from components.core import HelmRelease, Obj
from components.flows import NetworkNeeds
from components.types import PROPS_CONFIG, DnsLabel, NfsServer, Resources, Strict
from components.workload import HARDENED, no_privileges, resources, seccomp


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
    resources: Resources


class NfsProvisionerProps(NfsProvisionerSettings):
    model_config = PROPS_CONFIG

    namespace: str = "nfs-provisioner"


class NfsProvisioner(HelmRelease):
    layer = "cluster-services"
    rank = 1
    network = NetworkNeeds(api_server=True)  # the share is mounted by the kubelet, on the node

    def __init__(self, scope: Construct, props: NfsProvisionerProps):
        p = props
        values: Obj = {
            "nfs": {"server": p.server, "path": p.path, "mountOptions": ["nfsvers=4.1"]},
            "storageClass": {
                "create": True,
                "name": p.storage_class.name,
                "defaultClass": p.storage_class.default,
                "reclaimPolicy": p.storage_class.reclaim_policy,
                "archiveOnDelete": p.storage_class.archive_on_delete,
                "accessModes": "ReadWriteOnce",
            },
            "resources": resources(p.resources, HARDENED),
            "securityContext": {**no_privileges(), **seccomp()},
        }
        super().__init__(scope, "nfs-provisioner", p.namespace, versions.NFS_PROVISIONER, values,
                         pod_security="baseline", pod_security_reason="the provisioner mounts the export as an nfs volume")
        self.props = props
