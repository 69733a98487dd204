"""plate-web: the front end, static assets served by an unprivileged nginx on 8080."""
from __future__ import annotations

from components.plate.service import PlateService, PlateServiceProps


class PlateWebProps(PlateServiceProps):
    name: str = "plate-web"
    role: str = "frontend"
    # nginx writes its pid and temp files under /tmp and its proxy cache under /var/cache/nginx
    writable_paths: tuple[str, ...] = ("/tmp", "/var/cache/nginx")


class PlateWeb(PlateService):
    rank = 4  # after the API it calls
    Props = PlateWebProps
