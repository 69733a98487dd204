"""plate-ingress: one Ingress per environment for every Plate host, TLS through cert-manager."""
from __future__ import annotations

from components.core import Component, labels
from components.routing import Host, IngressSettings, Route, ingress
from components.types import PROPS_CONFIG

__all__ = ["Host", "PlateIngress", "PlateIngressProps", "Route"]


class PlateIngressProps(IngressSettings):
    model_config = PROPS_CONFIG

    namespace: str  # required
    class_name: str  # required: the IngressClass of the controller
    hosts: tuple[Host, ...]  # required
    tls: bool = True
    name: str = "plate"


class PlateIngress(Component):
    layer = "apps"
    rank = 5  # last: its backends exist first
    Props = PlateIngressProps

    def __init__(self, scope, props: PlateIngressProps):
        super().__init__(scope, "plate-ingress", props.namespace, pod_security=None)
        p = props
        self.add(ingress(p.name, p.namespace, labels(p.name, "ingress"), p.hosts, p.class_name, p.cluster_issuer, p.tls,
                         {"nginx.ingress.kubernetes.io/proxy-body-size": p.max_body_size.lower(),
                          "nginx.ingress.kubernetes.io/ssl-redirect": "true" if p.tls else "false"}))
