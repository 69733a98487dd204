"""The production cluster: held to the production rules (it hosts production)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import ClusterConfig

OVERLAY: ClusterConfig = {
    "domain": "cocdev.co.kr",
    "cert_manager": {"acme_email": "platform@cocdev.co.kr", "replicas": 2},
    "network": {"api_server_cidrs": ["10.20.0.2/32", "10.20.0.3/32", "10.20.0.4/32"],
                "node_cidrs": ["10.20.0.0/26"]},
    "edge": {"proxy_replicas": 3, "load_balancer_ip": "10.20.0.100"},
    "gitops": {"signing_keys": ["7CFC395E3783D9362E708AE834CB34E4B6D539E7"]},
    "metallb": {"pools": [{"name": "public", "addresses": ["10.20.0.100-10.20.0.140"]}]},
    "nfs": {"server": "10.20.0.10", "path": "/export/plate-prod", "storage_class": {"reclaim_policy": "Retain"}},
    "backups": {"target": {"type": "nfs", "server": "10.20.0.11", "path": "/export/plate-prod-backups"},
                "before_sync": True},
    "openbao": {"replicas": 3},
    "argocd": {"admin_user": False, "replicas": 2},
    # the company's identity provider, through Dex
    "sso": {"connectors": [{"type": "oidc", "issuer": "https://login.cocdev.co.kr", "client_id": "dex-prod",
                            "credentials_path": "platform/dex/oidc"}]},
    "harbor": {"database": "external",
               "external_database": {"host": "10.20.0.20", "username": "harbor", "database": "registry",
                                     "password_path": "platform/harbor-db"}},
    "logging": {"output": {"type": "opensearch", "host": "logs.cocdev.co.kr", "port": 443,
                           "index_prefix": "plate", "credentials_path": "platform/logging"}},
}
