"""What every cluster (``CLUSTER``) and every environment (``ENVIRONMENT``) shares.

Clusters and environments overlay only what differs (``envs/clusters/``, ``envs/environments/``);
``envs/conventions.py`` derives hosts, namespaces, secret paths and image locations from names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from components import versions

if TYPE_CHECKING:
    from envs.types import ClusterConfig, EnvironmentConfig, ThresholdsConfig

# Alert thresholds and severities: the platform's own alerts (a cluster's) and the applications' (an
# environment's) start from the same values; overlays change what differs.
ALERTS: ThresholdsConfig = {
    "error_ratio": 0.05,
    "latency_p99_seconds": 1.0,
    "restarts_per_hour": 3,
    "certificate_expiry_days": 14,
    "argocd_out_of_sync_minutes": 30,
    "fluentd_buffer_queue": 64,
    "availability_severity": "critical",
    "error_severity": "warning",
    "latency_severity": "warning",
    "restart_severity": "warning",
    "platform_severity": "critical",
}

CLUSTER: ClusterConfig = {
    "kubernetes_version": "1.33",
    "security_profile": "hardened",
    "storage_class": "nfs-client",
    "ingress": {"tls": True, "cluster_issuer": "letsencrypt-prod", "max_body_size": "8m"},
    # the common defaults of k3s/kubeadm pod and service networks; clusters set their own addresses
    "network": {"cluster_cidrs": ["10.42.0.0/16", "10.43.0.0/16"]},
    "edge": {
        "controller_resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "hook_resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
        "proxy_replicas": 1,
        "proxy_resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
    },
    "cert_manager": {
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
        "hook_resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
    },
    "metallb": {
        "controller_resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
        "speaker_resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
    },
    "nfs": {
        "storage_class": {"name": "nfs-client", "reclaim_policy": "Delete", "archive_on_delete": True, "default": True},
        # the driver mounts every NFS volume of its node: the chart's own memory ceiling (300Mi)
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "200m", "memory": "300Mi"}},
    },
    "gitops": {
        "repo_url": "https://github.com/plate-platform/plate-gitops.git",
        "rendered_branch": "rendered",
        "argocd_namespace": "argocd",
        "retry_limit": 5,
    },
    "secrets": {
        "operator_resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
        "kv_mount": "kv",
        "path_prefix": "platform",
        "refresh_interval": "1h",
    },
    "openbao": {
        "image": versions.OPENBAO,
        "replicas": 1,
        "storage": "raft",
        "data_size": "5Gi",
        "audit_size": "5Gi",
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "seal": {"type": "shamir"},
    },
    "argocd": {
        "admin_groups": ["platform-admins"],
        "resource_exclusions": [
            # high-churn objects no one manages through Git
            {"api_groups": ["", "discovery.k8s.io"], "kinds": ["Endpoints", "EndpointSlice"]},
            {"api_groups": ["coordination.k8s.io"], "kinds": ["Lease"]},
            {"api_groups": ["cilium.io"], "kinds": ["CiliumIdentity"]},
        ],
        "controller_resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "server_resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "repo_server_resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "applicationset_resources": {"requests": {"cpu": "10m", "memory": "64Mi"},
                                     "limits": {"cpu": "200m", "memory": "256Mi"}},
        "notifications_resources": {"requests": {"cpu": "10m", "memory": "64Mi"},
                                    "limits": {"cpu": "200m", "memory": "128Mi"}},
        "redis_resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
    },
    "jenkins": {
        "admin_credentials_path": "platform/jenkins",
        "admin_groups": ["platform-admins"],
        "storage_size": "20Gi",
        "build_cache_size": "50Gi",
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
        "agent_resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
        "sidecar_resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
    },
    "harbor": {
        "secrets_path": "platform/harbor",
        "persistence": {"registry": "100Gi", "database": "5Gi", "redis": "1Gi", "jobservice": "1Gi", "trivy": "5Gi"},
        "resources": {
            "core": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
            "jobservice": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "portal": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
            "registry": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
            "redis": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
        },
    },
    "dashboard": {
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
    },
    "sso": {
        "clients_path": "platform/dex/clients",
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
    },
    "monitoring": {
        "retention": "15d",
        "storage_size": "50Gi",
        "prometheus_resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
        "alertmanager_resources": {"requests": {"cpu": "10m", "memory": "64Mi"},
                                   "limits": {"cpu": "200m", "memory": "256Mi"}},
        "operator_resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "kube_state_metrics_resources": {"requests": {"cpu": "10m", "memory": "64Mi"},
                                         "limits": {"cpu": "200m", "memory": "256Mi"}},
        "node_exporter_resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                    "limits": {"cpu": "200m", "memory": "64Mi"}},
        "hook_resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}},
    },
    "alerts": ALERTS,  # the platform's own: certificates, OpenBao, Argo CD, Fluentd, platform workloads
    # Every alert to the platform team's channel; clusters add receivers and routes (envs/clusters/).
    "alerting": {
        "receivers": {"platform": {"type": "slack", "channel": "#platform-alerts",
                                   "credentials_path": "platform/alerting/slack-platform"}},
        "default_receiver": "platform",
    },
    "grafana": {
        "image": versions.GRAFANA,
        "storage_size": "5Gi",
        "admin_credentials_path": "platform/grafana",
        "admin_groups": ["platform-admins"],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
    },
    "logging": {
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
    },
    # every cluster names its backup target (an NFS export other than the live one)
    "backups": {
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "tools_image": versions.BUSYBOX,
        "postgres_image": versions.POSTGRES,
    },
}

ENVIRONMENT: EnvironmentConfig = {
    "tier": "staging",
    "security_profile": "hardened",
    "ingress": {"tls": True, "cluster_issuer": "letsencrypt-prod", "max_body_size": "8m"},
    "secrets": {"refresh_interval": "1h"},
    "alerts": ALERTS,
    "services": {
        "web": {
            "kind": "web",
            "image": {"repository": "web"},
            "replicas": 1,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
        },
        "server": {
            "kind": "server",
            "image": {"repository": "server"},
            "replicas": 1,
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
            "uses": ["cache"],
        },
        "admin": {
            "kind": "admin",
            "image": {"repository": "admin"},
            "replicas": 1,
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "250m", "memory": "128Mi"}},
        },
        "cache": {
            "kind": "cache",
            "image": versions.VALKEY,
            "exporter_image": versions.REDIS_EXPORTER,
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
            "exporter_resources": {"requests": {"cpu": "10m", "memory": "32Mi"},
                                   "limits": {"cpu": "100m", "memory": "64Mi"}},
            "storage_size": "2Gi",
            "max_memory": "384mb",
        },
    },
    "routes": {"app": {"paths": {"/api": "server", "/admin": "admin", "/": "web"}}},
}
