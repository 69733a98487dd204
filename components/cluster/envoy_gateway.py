"""Envoy Gateway: the Gateway API controller that replaced ingress-nginx (retired upstream in March
2026). The chart installs the controller and the Gateway API and Envoy Gateway CRDs; the Gateway
itself, its listeners and policies are the edge component's (``components/cluster/edge.py``)."""
from __future__ import annotations

from typing import Annotated

from constructs import Construct
from pydantic import Field

from components import versions
from components.core import HelmRelease, Obj
from components.flows import NetworkNeeds, pods
from components.types import PROPS_CONFIG, DnsLabel, IPv4, Resources, Strict
from components.workload import HARDENED, resources

CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"


class EdgeSettings(Strict):
    """What a cluster may change of its edge: the controller, the Envoy proxies, their address."""

    namespace: DnsLabel = "envoy-gateway-system"  # the controller's, and the proxies' it deploys
    gateway: DnsLabel = "edge"  # the cluster's one Gateway
    controller_resources: Resources
    hook_resources: Resources  # the certgen Job (a PreSync hook)
    proxy_replicas: Annotated[int, Field(ge=1, le=100)]
    proxy_resources: Resources
    load_balancer_ip: IPv4 | None = None  # default: MetalLB assigns one; must lie in a pool (envs/rules.py)


# the Gateway's proxies, as Envoy Gateway labels the pods it makes (whichever Gateway they serve)
PROXY_LABELS = ("app.kubernetes.io/name", "envoy"), ("app.kubernetes.io/component", "proxy")
# their container's ports: the listeners 80 and 443 as Envoy Gateway maps them, the stats endpoint
PROXY_PORTS = {"http": 10080, "https": 10443, "metrics": 19001}


class EnvoyGatewayProps(EdgeSettings):
    model_config = PROPS_CONFIG


class EnvoyGateway(HelmRelease):
    free_form_values = ("deployment.envoyGateway.resources.limits", "deployment.envoyGateway.resources.requests")
    layer = "cluster-services"
    rank = 3  # after cert-manager (whose CRDs nothing here needs) and MetalLB; before the edge
    provides_crds = ("gateway.envoyproxy.io", "gateway.networking.k8s.io", "gateway.networking.x-k8s.io")
    # the proxies: clients from anywhere (the LoadBalancer keeps their address) and Dex's public address
    # for OIDC (their flows to each route's backend are derived from the routes); the controller: the API
    # server, its topology webhook
    network = NetworkNeeds(api_server=True, webhooks=(9443,), world=(10080, 10443), world_pods=pods(dict(PROXY_LABELS)),
                           internet=(443,))
    runtime_secrets = {"envoy-gateway": "the chart's certgen Job (a PreSync hook) makes the control plane's TLS",
                       "envoy": "certgen: the proxies' client certificate for the control plane",
                       "envoy-rate-limit": "certgen: the rate limiter's TLS",
                       "envoy-oidc-hmac": "certgen: the key signing OIDC state cookies"}

    def __init__(self, scope: Construct, props: EnvoyGatewayProps):
        p = props
        values: Obj = {
            "deployment": {"envoyGateway": {"resources": resources(p.controller_resources, HARDENED)}},
            "certgen": {"job": {"resources": resources(p.hook_resources, HARDENED)}},
            "config": {"envoyGateway": {"gateway": {"controllerName": CONTROLLER_NAME},
                                        "provider": {"type": "Kubernetes"},
                                        "logging": {"level": {"default": "info"}}}},
        }
        super().__init__(scope, "envoy-gateway", p.namespace, versions.ENVOY_GATEWAY, values)
        self.props = props
