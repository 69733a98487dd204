"""The one cluster of the Plate platform: cluster services and development tools, shared by staging
and production. It hosts production, so it is held to the production rules (envs/rules.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import ClusterConfig

OVERLAY: ClusterConfig = {
    "domain": "cocdev.co.kr",
    "cert_manager": {"acme_email": "platform@cocdev.co.kr", "replicas": 2},
    "network": {"api_server_cidrs": ["10.20.0.2/32", "10.20.0.3/32", "10.20.0.4/32"],
                "node_cidrs": ["10.20.0.0/26"]},
    "edge": {
        "proxy_replicas": 3,
        "load_balancer_ip": "10.20.0.100",
        "proxy_resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    },
    "metallb": {"pools": [
        {"name": "public", "addresses": ["10.20.0.100-10.20.0.140"]},
        {"name": "internal", "addresses": ["10.20.1.0/28"], "auto_assign": False},
    ]},
    "nfs": {
        "server": "10.20.0.10",
        "path": "/export/plate",
        # Data a deleted claim leaves behind stays until someone removes it deliberately.
        "storage_class": {"reclaim_policy": "Retain"},
    },
    # a second NFS server: losing the live export (or its server) leaves the backups
    "backups": {"target": {"type": "nfs", "server": "10.20.0.11", "path": "/export/plate-backups"},
                "before_sync": True, "keep": 14},
    "secrets": {"operator_replicas": 2},
    "openbao": {
        "replicas": 3,
        "data_size": "20Gi",
        "audit_size": "20Gi",
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    },
    # the release manager's key: publish signs the rendered branch, Argo CD syncs only what it signed
    "gitops": {"signing_keys": ["7CFC395E3783D9362E708AE834CB34E4B6D539E7"]},
    # who logs in to Grafana as what (Dex groups; anyone else is refused)
    "grafana": {"admin_groups": ["plate-platform:platform-admins"], "viewer_groups": ["plate-platform:plate-developers"]},
    "argocd": {
        "admin_user": False, "replicas": 2,
        "admin_groups": ["plate-platform:platform-admins"],
        "readonly_groups": ["plate-platform:plate-developers"],
        "repo_credentials_path": "platform/argocd-repo",
        # how each deployment went, told to each environment's channel
        "notifications": {
            "services": {"slack": {"type": "slack", "credentials_path": "platform/argocd/slack"}},
            "subscriptions": [
                {"environment": "production", "service": "slack", "recipients": ["plate-prod-deploys"]},
                {"environment": "staging", "service": "slack", "recipients": ["plate-stg-deploys"]},
            ],
        },
    },
    "jenkins": {
        "storage_size": "50Gi",
        "admin_groups": ["plate-platform:platform-admins"],
        "developer_groups": ["plate-platform:plate-developers"],
        # this repository's own pipeline (Jenkinsfile): tests, the rendered diff of a branch, and the
        # signed publishes of main; the same scripts as the GitHub workflow
        "pipelines": [{
            "name": "plate-gitops",
            "repository": "https://github.com/plate-platform/plate-gitops.git",
            "push_url": "git@github.com:plate-platform/plate-gitops.git",
            "credentials_path": "platform/jenkins/plate-gitops",
            "agent_image": {"registry": "harbor.cocdev.co.kr", "repository": "platform/plate-ci", "tag": "2026.12.0"},
            "agent_pull_path": "platform/jenkins/registry",
            "release_groups": ["plate-platform:release-managers"],
        }],
    },
    # Operators log in through GitHub (Dex): the org's teams are the groups every tool maps to its roles.
    "sso": {
        "replicas": 2,
        "connectors": [{"type": "github", "client_id": "plate-dex", "org": "plate-platform",
                        "teams": ["platform-admins", "plate-developers"],
                        "credentials_path": "platform/dex/github"}],
    },
    "dashboard": {"viewer_groups": ["plate-platform:platform-admins", "plate-platform:plate-developers"]},
    "harbor": {
        "persistence": {"registry": "500Gi", "trivy": "10Gi"},
        "database": "external",
        "external_database": {"host": "10.20.0.20", "username": "harbor", "database": "registry",
                              "password_path": "platform/harbor-db"},
    },
    "monitoring": {"retention": "30d", "storage_size": "200Gi", "prometheus_replicas": 2},
    "logging": {"output": {"type": "opensearch", "host": "logs.cocdev.co.kr", "port": 443,
                           "index_prefix": "plate", "credentials_path": "platform/logging"}},
    # Production's critical alerts page the on-call engineer; staging never pages.
    "alerting": {
        "receivers": {
            "oncall": {"type": "pagerduty", "credentials_path": "platform/alerting/pagerduty"},
            "production": {"type": "slack", "channel": "#plate-prod-alerts",
                           "credentials_path": "platform/alerting/slack-production"},
            "staging": {"type": "slack", "channel": "#plate-stg-alerts",
                        "credentials_path": "platform/alerting/slack-staging"},
            "deadman": {"type": "webhook", "url": "https://deadman.cocdev.co.kr/ping/plate-shared",
                        "credentials_path": "platform/alerting/deadman"},
        },
        "routes": [
            {"environment": "production", "severity": "critical", "receiver": "oncall"},
            {"environment": "production", "receiver": "production"},
            {"environment": "staging", "receiver": "staging"},
            # the platform's own critical alerts: production depends on the platform
            {"environment": "", "severity": "critical", "receiver": "oncall"},
        ],
        "heartbeat_receiver": "deadman",
    },
}
