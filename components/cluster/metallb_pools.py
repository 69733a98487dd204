"""MetalLB IPAddressPools and their L2Advertisement (ranges are validated in envs/model.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from constructs import Construct
from pydantic import Field

from components.core import Component, labels, metadata
from components.types import PROPS_CONFIG, DnsLabel, Strict

if TYPE_CHECKING:
    from components.k8s.crds import L2AdvertisementSpec


class AddressPool(Strict):
    name: DnsLabel
    addresses: Annotated[list[str], Field(min_length=1)]  # "a.b.c.d-e.f.g.h" or CIDR; checked in envs/rules.py
    auto_assign: bool = True


class MetalLBPoolsSettings(Strict):
    """What a cluster may change."""

    pools: Annotated[list[AddressPool], Field(min_length=1)]
    l2_interfaces: list[str] = []  # default: announce on every interface


class MetalLBPoolsProps(MetalLBPoolsSettings):
    model_config = PROPS_CONFIG

    namespace: str = "metallb-system"


class MetalLBPools(Component):
    layer = "cluster-services"
    rank = 2  # after the MetalLB chart and its CRDs

    def __init__(self, scope: Construct, props: MetalLBPoolsProps):
        super().__init__(scope, "metallb-pools", props.namespace, pod_security=None)
        self.props = p = props
        lbls = labels("metallb-pools", "load-balancer")
        for pool in p.pools:
            self.add({"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool",
                      "metadata": metadata(pool.name, p.namespace, lbls),
                      "spec": {"addresses": list(pool.addresses), "autoAssign": pool.auto_assign}})
        spec: L2AdvertisementSpec = {"ipAddressPools": [pool.name for pool in p.pools]}
        if p.l2_interfaces:
            spec["interfaces"] = list(p.l2_interfaces)
        self.add({"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement",
                  "metadata": metadata("l2", p.namespace, lbls),
                  "spec": spec})
