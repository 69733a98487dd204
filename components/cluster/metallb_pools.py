"""MetalLB IPAddressPools and their L2Advertisement (ranges are validated in envs/model.py)."""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from components import kinds
from components.core import Component, labels, metadata


@dataclass(frozen=True)
class Pool:
    name: str
    addresses: tuple[str, ...]
    auto_assign: bool = True


class MetalLBPoolsProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pools: tuple[Pool, ...]  # required, at least one
    namespace: str = "metallb-system"
    l2_interfaces: tuple[str, ...] = ()  # default: announce on every interface


class MetalLBPools(Component):
    layer = "cluster-services"
    rank = 2  # after the MetalLB chart and its CRDs

    def __init__(self, scope, props: MetalLBPoolsProps):
        super().__init__(scope, "metallb-pools", props.namespace, pod_security=None)
        self.props = p = props
        lbls = labels("metallb-pools", "load-balancer")
        for pool in p.pools:
            self.add({**kinds.head(kinds.custom("IPAddressPool")), "metadata": metadata(pool.name, p.namespace, lbls),
                      "spec": {"addresses": list(pool.addresses), "autoAssign": pool.auto_assign}})
        spec: dict = {"ipAddressPools": [pool.name for pool in p.pools]}
        if p.l2_interfaces:
            spec["interfaces"] = list(p.l2_interfaces)
        self.add({**kinds.head(kinds.custom("L2Advertisement")), "metadata": metadata("l2", p.namespace, lbls),
                  "spec": spec})
