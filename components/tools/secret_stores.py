"""ClusterSecretStores for OpenBao, one per consuming namespace, derived from the ExternalSecrets.

Each namespace that has ExternalSecrets gets its own store (usable only from that namespace),
its own ServiceAccount for OpenBao's Kubernetes auth method (short-lived tokens through the
TokenRequest API, never a static token), and its own role whose policy reads exactly the KV paths
that namespace's ExternalSecrets use. The policies and roles are rendered as a ConfigMap so a
reviewer sees every grant; ``apply.sh`` in it is what an operator runs to load them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from constructs import Construct

from components import hcl
from components.core import Component, labels, metadata
from components.rbac import service_account
from components.secrets import SecretStoreRef
from components.types import PROPS_CONFIG, DnsLabel, Strict

STORE_PREFIX = "openbao"


def store_ref(namespace: str, refresh_interval: str) -> SecretStoreRef:
    """The one naming rule: a namespace's ExternalSecrets use the store ``openbao-<namespace>``."""
    return SecretStoreRef(f"{STORE_PREFIX}-{namespace}", "ClusterSecretStore", refresh_interval)


@dataclass(frozen=True)
class Consumer:
    namespace: str
    paths: tuple[str, ...]  # KV paths (under the mount) read by this namespace's ExternalSecrets


@dataclass(frozen=True)
class Grant:
    """A role for one service account that is not an ExternalSecrets store: a backup's, for one path."""

    role: str
    namespace: str
    service_account: str
    path: str  # an OpenBao API path (sys/storage/raft/snapshot)
    capabilities: tuple[str, ...]
    why: str


class SecretStoresSettings(Strict):
    """What a cluster may change."""

    kv_mount: DnsLabel  # the KV v2 mount of the cluster's OpenBao
    auth_mount: DnsLabel = "kubernetes"


class SecretStoresProps(SecretStoresSettings):
    model_config = PROPS_CONFIG

    consumers: tuple[Consumer, ...]  # required: derived from the rendered ExternalSecrets
    server: str  # required: OpenBao's in-cluster URL
    ca_secret: str  # required: Secret holding ca.crt of OpenBao's listener certificate
    ca_namespace: str  # required
    role_prefix: str  # required: roles are <prefix>-<namespace>, unique per cluster
    token_ttl: str = "15m"
    grants: tuple[Grant, ...] = ()  # other roles: exactly one path each
    namespace: str = "external-secrets"  # where the auth ServiceAccounts and the policy ConfigMap live


class SecretStores(Component):
    layer = "tools"
    rank = 1  # after OpenBao, before every tool or app that reads a secret

    def __init__(self, scope: Construct, props: SecretStoresProps):
        super().__init__(scope, "secret-stores", props.namespace, pod_security=None)
        self.props = p = props
        lbls = labels("secret-stores", "secrets")
        files: dict[str, str] = {}
        for c in sorted(p.consumers, key=lambda c: c.namespace):
            store = store_ref(c.namespace, "").name
            role = f"{p.role_prefix}-{c.namespace}"
            self.add(service_account(store, p.namespace, lbls))
            self.add({"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
                      "metadata": metadata(store, None, lbls), "spec": {
                "conditions": [{"namespaces": [c.namespace]}],
                "provider": {"vault": {
                    "server": p.server,
                    "path": p.kv_mount,
                    "version": "v2",
                    "caProvider": {"type": "Secret", "name": p.ca_secret, "namespace": p.ca_namespace, "key": "ca.crt"},
                    "auth": {"kubernetes": {
                        "mountPath": p.auth_mount,
                        "role": role,
                        "serviceAccountRef": {"name": store, "namespace": p.namespace},
                    }},
                }},
            }})
            files[f"{role}.hcl"] = self.policy(c)
            files[f"{role}.role.json"] = json.dumps({
                "bound_service_account_names": [store],
                "bound_service_account_namespaces": [p.namespace],
                "token_policies": [role],
                "token_ttl": p.token_ttl,
            }, indent=2, sort_keys=True) + "\n"
        for g in sorted(p.grants, key=lambda g: g.role):
            files[f"{g.role}.hcl"] = f"# {g.why}\n\n" + hcl.render(
                hcl.Block("path", (g.path,), {"capabilities": list(g.capabilities)}))
            files[f"{g.role}.role.json"] = json.dumps({
                "bound_service_account_names": [g.service_account],
                "bound_service_account_namespaces": [g.namespace],
                "token_policies": [g.role],
                "token_ttl": p.token_ttl,
            }, indent=2, sort_keys=True) + "\n"
        files["apply.sh"] = self.apply_script(sorted(f.removesuffix(".hcl") for f in files if f.endswith(".hcl")))
        self.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("openbao-policies", p.namespace, lbls),
                  "data": dict(sorted(files.items()))})

    def policy(self, consumer: Consumer) -> str:
        header = f"# ExternalSecrets in namespace {consumer.namespace}: read-only, exactly these paths.\n\n"
        blocks = [hcl.Block("path", (f"{self.props.kv_mount}/data/{path}",), {"capabilities": ["read"]})
                  for path in sorted(set(consumer.paths))]
        return header + hcl.render(*blocks)

    def apply_script(self, roles: list[str]) -> str:
        p = self.props
        lines = [
            "#!/bin/sh",
            "# Load the policies and roles above into OpenBao (run with an admin token; idempotent).",
            "set -eu",
            f"bao secrets list | grep -q '^{p.kv_mount}/' || bao secrets enable -path={p.kv_mount} kv-v2",
            f"bao auth list | grep -q '^{p.auth_mount}/' || bao auth enable -path={p.auth_mount} kubernetes",
            f"bao write auth/{p.auth_mount}/config kubernetes_host=https://kubernetes.default.svc",
        ]
        for role in roles:
            lines.append(f"bao policy write {role} {role}.hcl")
            lines.append(f"bao write auth/{p.auth_mount}/role/{role} @{role}.role.json")
        return "\n".join(lines) + "\n"
