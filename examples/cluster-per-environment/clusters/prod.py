"""The production cluster: held to the production rules (it hosts production)."""

OVERLAY: dict = {
    "domain": "cocdev.co.kr",
    "cert_manager": {"acme_email": "platform@cocdev.co.kr", "replicas": 2},
    "ingress_controller": {"replicas": 3, "load_balancer_ip": "10.20.0.100"},
    "metallb": {"pools": [{"name": "public", "addresses": ["10.20.0.100-10.20.0.140"]}]},
    "nfs": {"server": "10.20.0.10", "path": "/export/plate-prod", "storage_class": {"reclaim_policy": "Retain"}},
    "openbao": {"replicas": 3},
    "argocd": {"admin_user": False, "replicas": 2,
               "sso": {"type": "oidc", "issuer": "https://login.cocdev.co.kr", "client_id": "argocd-prod",
                       "credentials_path": "platform/argocd/oidc"}},
    "harbor": {"database": "external",
               "external_database": {"host": "10.20.0.20", "username": "harbor", "database": "registry",
                                     "password_path": "platform/harbor-db"}},
    "logging": {"output": {"type": "opensearch", "host": "logs.cocdev.co.kr", "port": 443,
                           "index_prefix": "plate", "credentials_path": "platform/logging"}},
}
