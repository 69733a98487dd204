"""plate-server: the API. Talks to plate-cache and plate-llm; everything else is denied."""
from __future__ import annotations

from components.plate.service import PlateService, PlateServiceProps


class PlateServerProps(PlateServiceProps):
    name: str = "plate-server"
    role: str = "api"
    metrics: tuple[str, ...] = ("http_requests_total", "http_request_duration_seconds_bucket")


class PlateServer(PlateService):
    rank = 3  # after the cache and LLM it depends on, before the UIs
    Props = PlateServerProps
