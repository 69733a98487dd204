"""plate-admin: the admin UI, served like the front end by an unprivileged nginx on 8080."""
from __future__ import annotations

from components.plate.service import PlateService, PlateServiceProps


class PlateAdminProps(PlateServiceProps):
    name: str = "plate-admin"
    role: str = "admin"
    writable_paths: tuple[str, ...] = ("/tmp", "/var/cache/nginx")


class PlateAdmin(PlateService):
    rank = 4
    audience = "operators"  # the back office: behind single sign-on at the Gateway
    Props = PlateAdminProps
