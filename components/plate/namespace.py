"""plate-namespace: what applies to the whole Plate namespace: the default-deny network policy,
DNS egress, and the registry pull secret every Plate workload uses. (The Namespace object and its
Pod Security level are rendered by the cluster-services ``namespaces`` component.)"""
from __future__ import annotations

from constructs import Construct
from pydantic import BaseModel, ConfigDict

from components.core import Component, labels
from components.flows import NetworkNeeds
from components.network import allow_dns, default_deny
from components.secrets import SecretStoreRef, pull_secret


class PlateNamespaceProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str  # required
    registry: str  # required: the registry host the pull secret authenticates against
    registry_pull_path: str  # required: KV entry with ``username`` and ``password`` properties
    secret_store: SecretStoreRef  # required
    pull_secret: str = "plate-registry"


class PlateNamespace(Component):
    layer = "apps"
    rank = 0  # everything else in the layer lives in this namespace
    network = NetworkNeeds(own_policies=True)  # default deny here, then one policy per workload
    Props = PlateNamespaceProps

    def __init__(self, scope: Construct, props: PlateNamespaceProps):
        super().__init__(scope, "plate-namespace", props.name, pod_security=None)
        self.props = p = props
        lbls = labels("plate-namespace", "namespace")
        self.add(default_deny(p.name, lbls))
        self.add(allow_dns(p.name, lbls))
        self.add(pull_secret(p.pull_secret, p.name, lbls, p.secret_store, p.registry, p.registry_pull_path))
