"""plate-ingress: one Ingress per environment for every Plate host, TLS through cert-manager."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from components import kinds
from components.core import Component, labels, metadata


@dataclass(frozen=True)
class Route:
    path: str
    service: str
    port: str = "http"


@dataclass(frozen=True)
class Host:
    host: str
    tls_secret: str
    routes: tuple[Route, ...]


class PlateIngressProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    namespace: str  # required
    class_name: str  # required: the IngressClass of the controller
    cluster_issuer: str  # required: the cert-manager ClusterIssuer that signs every host
    hosts: tuple[Host, ...]  # required
    tls: bool = True
    max_body_size: str = "8m"
    name: str = "plate"


class PlateIngress(Component):
    layer = "apps"
    rank = 5  # last: its backends exist first
    Props = PlateIngressProps

    def __init__(self, scope, props: PlateIngressProps):
        super().__init__(scope, "plate-ingress", props.namespace, pod_security=None)
        p = props
        annotations = {"cert-manager.io/cluster-issuer": p.cluster_issuer} if p.tls else {}
        annotations["nginx.ingress.kubernetes.io/proxy-body-size"] = p.max_body_size
        annotations["nginx.ingress.kubernetes.io/ssl-redirect"] = "true" if p.tls else "false"
        spec: dict = {"ingressClassName": p.class_name}
        if p.tls:
            spec["tls"] = [{"hosts": [h.host], "secretName": h.tls_secret} for h in p.hosts]
        spec["rules"] = [
            {"host": h.host, "http": {"paths": [
                {"path": r.path, "pathType": "Prefix",
                 "backend": {"service": {"name": r.service, "port": {"name": r.port}}}}
                for r in h.routes
            ]}}
            for h in p.hosts
        ]
        self.add({**kinds.head(kinds.builtin("Ingress")),
                  "metadata": metadata(p.name, p.namespace, labels(p.name, "ingress"), annotations),
                  "spec": spec})
