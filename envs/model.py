"""The typed environment model.

Environments are plain nested dicts (``envs/base.py`` plus one overlay per environment) that
are validated here, once, before anything renders. Unknown keys are rejected everywhere
(``extra="forbid"``). Tier rules (what production must satisfy) live at the bottom of this
module, next to the model they constrain.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from components.types import (Autoscaling, Cidr, DnsLabel, Duration, GitUrl, Hostname, Image, KvPath,
                              Quantity, Resources, Strict, Toleration)


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


class Ingress(Strict):
    class_name: DnsLabel
    controller_namespace: DnsLabel
    tls: bool
    cluster_issuer: DnsLabel
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]+[kmg]?$")] = "8m"


class Destination(Strict):
    name: DnsLabel
    server: Annotated[str, Field(pattern=r"^https://[^\s]+$")]


class GitOps(Strict):
    repo_url: GitUrl
    rendered_branch: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]
    argocd_namespace: DnsLabel
    destination: Destination
    prune: dict[str, bool] = {}
    retry_limit: Annotated[int, Field(ge=0, le=20)] = 5


class Secrets(Strict):
    store_name: DnsLabel
    store_kind: Literal["ClusterSecretStore", "SecretStore"]
    refresh_interval: Duration
    registry_pull_path: KvPath


SecurityProfile = Literal["hardened", "standard"]


class Environment(Strict):
    name: DnsLabel
    tier: Literal["staging", "production"]
    namespace: DnsLabel
    domain: Hostname
    hosts: Hosts
    security_profile: SecurityProfile
    storage_class: DnsLabel
    ingress: Ingress
    gitops: GitOps
    secrets: Secrets
    apps: Apps


# --- tier rules ---------------------------------------------------------------------------

class TierError(ValueError):
    """A rule broken by an otherwise well-typed environment; ``loc`` is the field path."""

    def __init__(self, loc: tuple[str, ...], message: str):
        super().__init__(message)
        self.loc = loc
        self.message = message


PRODUCTION_MIN_REPLICAS = {"web": 2, "server": 2}


def check_rules(env: Environment) -> None:
    """Rules across fields, run after the model validated; raises the first rule broken."""
    for field in Hosts.model_fields:
        host = getattr(env.hosts, field)
        if not host.endswith("." + env.domain):
            raise TierError(("hosts", field), f"host {host!r} is not under the environment's domain {env.domain!r}")
    if env.tier == "production":
        production_rules(env)


def production_rules(env: Environment) -> None:
    """What production must satisfy."""
    if env.security_profile != "hardened":
        raise TierError(("security_profile",), f"production must use the 'hardened' profile (got {env.security_profile!r})")
    if not env.ingress.tls:
        raise TierError(("ingress", "tls"), "production must serve every host over TLS")
    for app_name in Apps.model_fields:
        app = getattr(env.apps, app_name)
        images = {"image": app.image}
        if isinstance(app, Cache):
            images["exporter_image"] = app.exporter_image
        for field, image in images.items():
            if image.digest is None and (image.tag is None or image.tag == "latest"):
                got = "untagged" if image.tag is None else "'latest'"
                raise TierError(
                    ("apps", app_name, field, "tag"),
                    f"production images must be pinned to an explicit tag or digest (got {got})",
                )
    for app_name, minimum in PRODUCTION_MIN_REPLICAS.items():
        app = getattr(env.apps, app_name)
        floor = app.autoscaling.min_replicas if app.autoscaling else app.replicas
        if floor < minimum:
            field = ("autoscaling", "min_replicas") if app.autoscaling else ("replicas",)
            raise TierError(("apps", app_name, *field), f"production runs at least {minimum} replicas (got {floor})")
