"""The staging cluster: cheaper, single replicas, the staging ACME issuer for its tools."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import ClusterConfig

OVERLAY: ClusterConfig = {
    "domain": "stg.cocdev.co.kr",
    "security_profile": "standard",
    "ingress": {"cluster_issuer": "letsencrypt-staging"},
    "cert_manager": {"acme_email": "platform@cocdev.co.kr"},
    "network": {"api_server_cidrs": ["10.30.0.2/32"], "node_cidrs": ["10.30.0.0/26"]},
    "edge": {"load_balancer_ip": "10.30.0.100"},
    "metallb": {"pools": [{"name": "public", "addresses": ["10.30.0.100-10.30.0.120"]}]},
    "nfs": {"server": "10.30.0.10", "path": "/export/plate-stg"},
    "backups": {"target": {"type": "nfs", "server": "10.30.0.11", "path": "/export/plate-stg-backups"}},
    "openbao": {"replicas": 1},
    "argocd": {"readonly_groups": ["plate-developers"]},
    "sso": {"connectors": [{"type": "github", "client_id": "plate-dex-stg", "org": "plate-platform",
                            "credentials_path": "platform/dex/github"}]},
    "logging": {"output": {"type": "loki", "url": "http://loki.logging-backend.svc:3100"}},
}
