"""Every third-party version the platform pins, in one place.

Plate's own images are environment data (``envs/``): each environment chooses its release.
Everything here is upstream software whose version moves only with a reviewed change.
"""

# Redis-compatible cache for plate-server (BSD-3, drop-in for Redis 7.2).
VALKEY = {"registry": "docker.io", "repository": "valkey/valkey", "tag": "8.1.4-alpine3.22"}
# Prometheus exporter for the cache.
REDIS_EXPORTER = {"registry": "docker.io", "repository": "oliver006/redis_exporter", "tag": "v1.80.1-alpine"}
