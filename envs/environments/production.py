"""Production: the Plate applications in plate-prod on the shared cluster. Tier rules apply."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import EnvironmentConfig

OVERLAY: EnvironmentConfig = {
    "cluster": "shared",
    "tier": "production",
    "namespace": "plate-prod",
    "host": "cocdev.co.kr",
    "services": {
        "web": {
            "image": {"tag": "1.4.2"},
            "replicas": 3,
            "autoscaling": {"min_replicas": 3, "max_replicas": 10, "target_cpu_percent": 70},
            "disruption_budget_min_available": 2,
        },
        "server": {
            "image": {"tag": "1.4.2"},
            "replicas": 3,
            "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
            "autoscaling": {"min_replicas": 3, "max_replicas": 12, "target_cpu_percent": 70},
            "disruption_budget_min_available": 2,
        },
        "admin": {"image": {"tag": "1.4.2"}, "replicas": 2, "disruption_budget_min_available": 1},
        "cache": {
            "single_replica_reason": "a cache: losing it for a restart costs latency, never data",
            "storage_size": "8Gi",
            "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
            "max_memory": "1536mb",
        },
    },
}
