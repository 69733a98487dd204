"""Production: what differs from the shared base. Tier rules in envs/model.py apply."""

OVERLAY: dict = {
    "name": "production",
    "tier": "production",
    "namespace": "plate-prod",
    "domain": "plate.example.com",
    "hosts": {"app": "app.plate.example.com", "llm": "llm.plate.example.com"},
    "ingress": {"cluster_issuer": "letsencrypt-prod"},
    "gitops": {"destination": {"name": "plate-prod", "server": "https://prod.k8s.plate.example.com:6443"}},
    "secrets": {"registry_pull_path": "plate/production/registry"},
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
