"""Staging on its own cluster: images come from that cluster's Harbor."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envs.types import EnvironmentConfig

OVERLAY: EnvironmentConfig = {
    "cluster": "stg",
    "namespace": "plate-stg",
    "host": "stg.cocdev.co.kr",
    "security_profile": "standard",
    "ingress": {"cluster_issuer": "letsencrypt-staging"},
    "alerts": {"availability_severity": "warning", "platform_severity": "warning"},
    "services": {
        "web": {"image": {"tag": "1.5.0-rc.2"}},
        "server": {"image": {"tag": "1.5.0-rc.2"}},
        "admin": {"image": {"tag": "1.5.0-rc.2"}},
    },
}
