"""plate-<name> workers: background processes of a Plate environment.

No Service, no port, no HTTP probes: a worker is reached by nobody and reaches only what its
environment says it uses (see composition/apps.py). Adding one is configuration only:
``{"kind": "worker", "image": {...}, ...}`` under an environment's ``services``.
"""
from __future__ import annotations

from components.plate.service import PlateService, PlateServiceProps


class PlateWorkerProps(PlateServiceProps):
    role: str = "worker"


class PlateWorker(PlateService):
    rank = 3  # beside the API: after the cache and LLM it may use
    Props = PlateWorkerProps
    serves_http = False
