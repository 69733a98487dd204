"""Staging: what differs from the shared base."""

OVERLAY: dict = {
    "name": "staging",
    "tier": "staging",
    "namespace": "plate-stg",
    "domain": "stg.plate.example.com",
    "hosts": {"app": "app.stg.plate.example.com", "llm": "llm.stg.plate.example.com",
              "openbao": "bao.stg.plate.example.com", "argocd": "argocd.stg.plate.example.com",
              "jenkins": "jenkins.stg.plate.example.com", "harbor": "harbor.stg.plate.example.com",
              "dashboard": "dashboard.stg.plate.example.com", "prometheus": "prometheus.stg.plate.example.com",
              "grafana": "grafana.stg.plate.example.com"},
    "monitoring": {"retention": "7d", "storage_size": "20Gi"},
    # Staging pages nobody at night: everything is a warning, and noisier services are tolerated.
    "alerts": {"error_ratio": 0.1, "latency_p99_seconds": 2.0, "availability_severity": "warning",
               "platform_severity": "warning"},
    "grafana": {"admin_credentials_path": "plate/staging/grafana"},
    "logging": {"output": {"type": "loki", "url": "http://loki.logging-backend.svc:3100"}},
    "argocd": {"readonly_groups": ["plate-developers"]},
    "jenkins": {"admin_credentials_path": "plate/staging/jenkins"},
    "harbor": {"secrets_path": "plate/staging/harbor"},
    "dashboard": {"ingress": True},
    # Staging keeps writable root filesystems and no CPU limits so engineers can debug in place.
    "security_profile": "standard",
    "ingress": {"cluster_issuer": "letsencrypt-staging"},
    "ingress_controller": {"load_balancer_ip": "192.168.50.200"},
    "metallb": {"pools": [{"name": "public", "addresses": ["192.168.50.200-192.168.50.220"]}]},
    "nfs": {"server": "192.168.50.10", "path": "/srv/nfs/plate-stg"},
    "secrets": {"path_prefix": "plate/staging", "registry_pull_path": "plate/staging/registry",
                "refresh_interval": "15m"},
    # A single node with file storage is enough to exercise every consumer.
    "openbao": {"storage": "file"},
    "apps": {
        "web": {"image": {"tag": "1.5.0-rc.2"}, "secrets_path": "plate/staging/web"},
        "server": {"image": {"tag": "1.5.0-rc.2"}, "secrets_path": "plate/staging/server"},
        "admin": {"image": {"tag": "1.5.0-rc.2"}, "secrets_path": "plate/staging/admin"},
        "llm": {"image": {"tag": "1.5.0-rc.2"}, "secrets_path": "plate/staging/llm",
                "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}}},
        "cache": {"secrets_path": "plate/staging/cache"},
    },
}
