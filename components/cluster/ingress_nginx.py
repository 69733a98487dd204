"""ingress-nginx: the controller every Ingress of the platform names by its IngressClass."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from components import versions
from components.core import HelmRelease, MetricsEndpoint
from components.types import PROPS_CONFIG, DnsLabel, IPv4, Resources, Strict
from components.workload import HARDENED, resources


class IngressNginxSettings(Strict):
    """What a cluster may change."""

    class_name: DnsLabel  # the IngressClass every Ingress uses
    namespace: DnsLabel = "ingress-nginx"
    replicas: Annotated[int, Field(ge=1, le=100)]
    resources: Resources
    default_class: bool = True
    load_balancer_ip: IPv4 | None = None  # default: MetalLB assigns one; must lie in a pool (envs/rules.py)


class IngressNginxProps(IngressNginxSettings):
    model_config = PROPS_CONFIG

    service_monitor: bool = True


class IngressNginx(HelmRelease):
    layer = "cluster-services"
    rank = 3  # after MetalLB pools, so its LoadBalancer Service gets an address at once

    def __init__(self, scope, props: IngressNginxProps):
        p = props
        service: dict = {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}
        if p.load_balancer_ip:
            service["annotations"] = {"metallb.io/loadBalancerIPs": p.load_balancer_ip}
        values = {"controller": {
            "replicaCount": p.replicas,
            "ingressClass": p.class_name,
            "ingressClassResource": {"name": p.class_name, "enabled": True, "default": p.default_class,
                                     "controllerValue": "k8s.io/ingress-nginx"},
            "allowSnippetAnnotations": False,
            "config": {"ssl-redirect": "true", "hsts": "true", "server-tokens": "false"},
            "service": service,
            "resources": resources(p.resources, HARDENED),
            "minAvailable": 1,
            "metrics": {"enabled": True, "serviceMonitor": {"enabled": p.service_monitor}},
            "admissionWebhooks": {"enabled": True},
        }}
        super().__init__(scope, "ingress-nginx", p.namespace, versions.INGRESS_NGINX, values, pod_security="baseline",
                         pod_security_reason="the controller adds NET_BIND_SERVICE to bind ports 80 and 443")
        self.props = props
        if p.service_monitor:
            self.scrape(MetricsEndpoint(port="metrics", monitor="chart", metrics=(
                "nginx_ingress_controller_requests", "nginx_ingress_controller_request_duration_seconds_bucket")))
