"""Production: what differs from the shared base. Tier rules in envs/model.py apply."""

OVERLAY: dict = {
    "name": "production",
    "tier": "production",
    "namespace": "plate-prod",
    "domain": "plate.example.com",
    "hosts": {"app": "app.plate.example.com", "llm": "llm.plate.example.com", "openbao": "bao.plate.example.com",
              "argocd": "argocd.plate.example.com", "jenkins": "jenkins.plate.example.com",
              "harbor": "harbor.plate.example.com", "dashboard": "dashboard.plate.example.com"},
    "argocd": {"admin_user": False, "replicas": 2, "repo_credentials_path": "plate/production/argocd-repo"},
    "jenkins": {"admin_credentials_path": "plate/production/jenkins", "storage_size": "50Gi"},
    "harbor": {
        "secrets_path": "plate/production/harbor",
        "persistence": {"registry": "500Gi", "trivy": "10Gi"},
        "database": "external",
        "external_database": {"host": "pg.prod.plate.example.com", "username": "harbor", "database": "registry",
                              "password_path": "plate/production/harbor-db"},
    },
    "ingress": {"cluster_issuer": "letsencrypt-prod"},
    "ingress_controller": {
        "replicas": 3,
        "load_balancer_ip": "10.20.0.100",
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    },
    "cert_manager": {"replicas": 2},
    "metallb": {"pools": [
        {"name": "public", "addresses": ["10.20.0.100-10.20.0.140"]},
        {"name": "internal", "addresses": ["10.20.1.0/28"], "auto_assign": False},
    ]},
    "nfs": {
        "server": "nfs.prod.plate.example.com",
        "path": "/export/plate-prod",
        # Production keeps data a deleted claim leaves behind until someone removes it deliberately.
        "storage_class": {"reclaim_policy": "Retain"},
    },
    "secrets": {"path_prefix": "plate/production", "registry_pull_path": "plate/production/registry",
                "operator_replicas": 2},
    "openbao": {
        "replicas": 3,
        "data_size": "20Gi",
        "audit_size": "20Gi",
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
    },
    "apps": {
        "web": {
            "image": {"tag": "1.4.2"},
            "secrets_path": "plate/production/web",
            "replicas": 3,
            "autoscaling": {"min_replicas": 3, "max_replicas": 10, "target_cpu_percent": 70},
            "disruption_budget_min_available": 2,
        },
        "server": {
            "image": {"tag": "1.4.2"},
            "secrets_path": "plate/production/server",
            "replicas": 3,
            "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
            "autoscaling": {"min_replicas": 3, "max_replicas": 12, "target_cpu_percent": 70},
            "disruption_budget_min_available": 2,
        },
        "admin": {
            "image": {"tag": "1.4.2"},
            "secrets_path": "plate/production/admin",
            "replicas": 2,
            "disruption_budget_min_available": 1,
        },
        "llm": {
            "image": {"tag": "1.4.2"},
            "secrets_path": "plate/production/llm",
            "gpu_count": 1,
            "node_selector": {"plate.example.com/pool": "gpu"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "model_cache_size": "40Gi",
        },
        "cache": {
            "secrets_path": "plate/production/cache",
            "storage_size": "8Gi",
            "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            "max_memory": "1536mb",
        },
    },
}
