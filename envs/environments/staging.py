"""Staging: the Plate applications in plate-stg on the shared cluster, with the LLM service."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import EnvironmentConfig

OVERLAY: EnvironmentConfig = {
    "cluster": "shared",
    "namespace": "plate-stg",
    "host": "stg.cocdev.co.kr",
    # Writable root filesystems and no CPU limits, so engineers can debug in place.
    "security_profile": "standard",
    "ingress": {"cluster_issuer": "letsencrypt-staging"},
    "secrets": {"refresh_interval": "15m"},
    # Staging pages nobody: every alert is a warning, and noisier services are tolerated.
    "alerts": {"error_ratio": 0.1, "latency_p99_seconds": 2.0, "availability_severity": "warning",
               "platform_severity": "warning"},
    "services": {
        "web": {"image": {"tag": "1.5.0-rc.2"}},
        "server": {"image": {"tag": "1.5.0-rc.2"}, "uses": ["cache", "llm"]},
        "admin": {"image": {"tag": "1.5.0-rc.2"}},
        # The LLM service runs in staging only, as the original system ran it.
        "llm": {
            "kind": "llm",
            "image": {"repository": "llm", "tag": "1.5.0-rc.2"},
            "replicas": 1,
            "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}},
        },
    },
    "routes": {"llm": {"host": "llm.cocdev.co.kr", "paths": {"/": "llm"}}},
}
