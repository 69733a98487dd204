"""The typed environment model.

Environments are plain nested dicts (``envs/base.py`` plus one overlay per environment) that
are validated here, once, before anything renders. Unknown keys are rejected everywhere
(``extra="forbid"``). The settings of each platform layer are in ``envs/layers.py``; the rules
across fields and the production tier rules in ``envs/rules.py``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.types import (
    Autoscaling,
    Cidr,
    DnsLabel,
    GitUrl,
    Hostname,
    Image,
    KvPath,
    Quantity,
    Resources,
    Strict,
    Toleration,
)
from envs.layers import (
    ArgoCD,
    CertManager,
    Dashboard,
    GrafanaSettings,
    Harbor,
    Ingress,
    IngressController,
    Jenkins,
    Logging,
    MetalLB,
    Monitoring,
    Nfs,
    OpenBao,
    Secrets,
    Thresholds,
)


class App(Strict):
    """Settings of one Plate service in one environment."""

    image: Image
    replicas: Annotated[int, Field(ge=0)]
    resources: Resources
    secrets_path: KvPath
    config: dict[str, str] = {}
    autoscaling: Autoscaling | None = None
    disruption_budget_min_available: Annotated[int, Field(ge=1)] | None = None
    egress_cidrs: list[Cidr] = []

    @model_validator(mode="after")
    def _budget(self) -> App:
        floor = self.autoscaling.min_replicas if self.autoscaling else self.replicas
        if self.disruption_budget_min_available is not None and self.disruption_budget_min_available >= floor:
            raise ValueError(
                f"disruption_budget_min_available ({self.disruption_budget_min_available}) must be below the "
                f"replica count ({floor}), or no pod could ever be evicted"
            )
        return self


class Llm(App):
    gpu_count: Annotated[int, Field(ge=0)] = 0
    gpu_resource: str = "nvidia.com/gpu"
    node_selector: dict[str, str] = {}
    tolerations: list[Toleration] = []
    model_cache_size: Quantity = "20Gi"


class Cache(Strict):
    image: Image
    exporter_image: Image
    resources: Resources
    exporter_resources: Resources
    storage_size: Quantity
    secrets_path: KvPath
    max_memory: Annotated[str, Field(pattern=r"^[0-9]+(mb|gb)$")]


class Apps(Strict):
    web: App
    server: App
    admin: App
    llm: Llm
    cache: Cache


class Hosts(Strict):
    app: Hostname
    llm: Hostname
    openbao: Hostname
    argocd: Hostname
    prometheus: Hostname
    grafana: Hostname
    jenkins: Hostname
    harbor: Hostname
    dashboard: Hostname


class Destination(Strict):
    name: DnsLabel
    server: Annotated[str, Field(pattern=r"^https://[^\s]+$")]


class GitOps(Strict):
    repo_url: GitUrl
    rendered_branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
    argocd_namespace: DnsLabel
    # One Argo CD destination per cluster the environment runs on (the first is the primary).
    destinations: Annotated[list[Destination], Field(min_length=1)]
    # With several clusters: one Application per component and cluster, or one ApplicationSet
    # per component with a list generator over the clusters.
    multi_cluster: Literal["applications", "applicationset"] = "applications"
    prune: dict[str, bool] = {}
    retry_limit: Annotated[int, Field(ge=0, le=20)] = 5

    @model_validator(mode="after")
    def _unique(self) -> GitOps:
        for field in ("name", "server"):
            values = [getattr(d, field) for d in self.destinations]
            dup = next((v for v in values if values.count(v) > 1), None)
            if dup:
                raise ValueError(f"destination {field} {dup!r} appears twice")
        return self


SecurityProfile = Literal["hardened", "standard"]


class Environment(Strict):
    name: DnsLabel
    tier: Literal["staging", "production"]
    namespace: DnsLabel
    domain: Hostname
    hosts: Hosts
    security_profile: SecurityProfile
    storage_class: DnsLabel  # every PVC of the platform; must be a class the platform provides
    ingress: Ingress
    ingress_controller: IngressController
    cert_manager: CertManager
    metallb: MetalLB
    nfs: Nfs
    gitops: GitOps
    secrets: Secrets
    openbao: OpenBao
    argocd: ArgoCD
    jenkins: Jenkins
    harbor: Harbor
    dashboard: Dashboard
    monitoring: Monitoring
    alerts: Thresholds
    grafana: GrafanaSettings
    logging: Logging
    apps: Apps
