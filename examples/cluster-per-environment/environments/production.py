"""Production on its own cluster."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import EnvironmentConfig

OVERLAY: EnvironmentConfig = {
    "cluster": "prod",
    "tier": "production",
    "namespace": "plate-prod",
    "host": "cocdev.co.kr",
    "services": {
        "web": {"image": {"tag": "1.4.2"}, "replicas": 3, "disruption_budget_min_available": 2},
        "server": {"image": {"tag": "1.4.2"}, "replicas": 3, "disruption_budget_min_available": 2},
        "admin": {"image": {"tag": "1.4.2"}, "replicas": 2, "disruption_budget_min_available": 1},
        "cache": {"single_replica_reason": "a cache: losing it for a restart costs latency, never data"},
    },
}
