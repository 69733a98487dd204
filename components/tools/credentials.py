"""Credentials that a lower layer consumes but can only be fetched once the secret stores exist
(for example cert-manager's DNS-01 token): their ExternalSecrets sync in the tools layer, after
the stores, so no layer waits on a later one."""
from __future__ import annotations

from constructs import Construct
from pydantic import BaseModel, ConfigDict

from components.core import Component, labels
from components.secrets import RemoteValue, SecretStoreRef, external_secret


class CredentialsProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str  # required: component name
    namespace: str  # required: where the consumer reads the Secret
    secret_name: str  # required
    values: tuple[RemoteValue, ...]  # required
    secret_store: SecretStoreRef  # required


class Credentials(Component):
    layer = "tools"
    rank = 2  # right after the secret stores

    def __init__(self, scope: Construct, props: CredentialsProps):
        super().__init__(scope, props.name, props.namespace, pod_security=None)
        self.props = p = props
        self.add(external_secret(p.secret_name, p.namespace, labels(p.name, "credentials"), p.secret_store,
                                 values=p.values))
