"""The typed platform model: clusters, and the environments that run on them.

A *cluster* is the platform: cluster services and development tools, installed once per cluster
and shared by every environment on it. An *environment* is the Plate applications and what
belongs to them (namespace, routes, secret paths, alert thresholds, images, replicas, security
profile); it names the cluster it runs on.

Both are plain nested dicts in ``envs/`` (a shared base, one module per cluster and per
environment holding only what differs), filled in by the conventions of ``envs/conventions.py``
and validated here, once, before anything renders. Unknown keys are rejected everywhere
(``extra="forbid"``). The settings of the cluster layers are in ``envs/layers.py``; the rules
across fields and the production tier rules in ``envs/rules.py``.
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.types import (
    Autoscaling,
    Cidr,
    DnsLabel,
    Duration,
    GitUrl,
    Hostname,
    Image,
    KvPath,
    Resources,
    Size,
    Strict,
    Toleration,
    quantity_value,
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

Tier = Literal["staging", "production"]
SecurityProfile = Literal["hardened", "standard"]

_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A qualified name as Kubernetes accepts for label keys and extended resources: [prefix/]name
_QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def _env_names(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        if not _ENV_VAR.match(key):
            raise ValueError(f"{key!r} is not a valid environment variable name (letters, digits, '_', not a digit first)")
    return value


def _label_keys(value: dict[str, str]) -> dict[str, str]:
    for key, label in value.items():
        prefix, _, name = key.rpartition("/")
        if not _QUALIFIED.match(key) or len(prefix) > 253 or len(name) > 63:
            raise ValueError(f"{key!r} is not a valid label key ([prefix/]name, name at most 63 characters)")
        if label and not re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", label):
            raise ValueError(f"{label!r} (of {key!r}) is not a valid label value")
    return value


def _extended_resource(value: str) -> str:
    if "/" not in value or not _QUALIFIED.match(value) or value.startswith("kubernetes.io/"):
        raise ValueError(f"{value!r} is not a valid extended resource name (a domain-prefixed name such as "
                         "'nvidia.com/gpu')")
    return value


EnvVars = Annotated[dict[str, str], AfterValidator(_env_names)]
NodeSelector = Annotated[dict[str, str], AfterValidator(_label_keys)]
ExtendedResource = Annotated[str, AfterValidator(_extended_resource)]
Replicas = Annotated[int, Field(ge=0, le=100)]
MAX_REPLICAS = 100


class _Workload(Strict):
    """What every Plate workload has."""

    image: Image
    replicas: Replicas
    resources: Resources
    secrets_path: KvPath
    config: EnvVars = {}
    autoscaling: Autoscaling | None = None
    disruption_budget_min_available: Annotated[int, Field(ge=1)] | None = None
    egress_cidrs: list[Cidr] = []
    uses: list[DnsLabel] = []  # other services of the environment this one calls (flows and addresses derived)

    @model_validator(mode="after")
    def _budget(self) -> _Workload:
        floor = self.autoscaling.min_replicas if self.autoscaling else self.replicas
        if self.disruption_budget_min_available is not None and self.disruption_budget_min_available >= floor:
            raise ValueError(
                f"disruption_budget_min_available ({self.disruption_budget_min_available}) must be below the "
                f"replica count ({floor}), or no pod could ever be evicted"
            )
        if self.autoscaling and self.autoscaling.max_replicas > MAX_REPLICAS:
            raise ValueError(f"autoscaling.max_replicas ({self.autoscaling.max_replicas}) is above {MAX_REPLICAS}")
        return self


class WebService(_Workload):
    """A static front end (unprivileged nginx on 8080)."""

    kind: Literal["web", "admin"]


class ApiService(_Workload):
    """An HTTP API with request metrics."""

    kind: Literal["server"]


class LlmService(_Workload):
    """The LLM service: optional GPU, node placement, model cache."""

    kind: Literal["llm"]
    gpu_count: Annotated[int, Field(ge=0, le=16)] = 0
    gpu_resource: ExtendedResource = "nvidia.com/gpu"
    node_selector: NodeSelector = {}
    tolerations: list[Toleration] = []
    model_cache_size: Size = "20Gi"


class WorkerService(_Workload):
    """A background process: no port, no route, no HTTP probes, no ingress-based alerts."""

    kind: Literal["worker"]
    command: list[str] = []  # default: the image's entrypoint
    args: list[str] = []


class CacheService(Strict):
    """Valkey (Redis-compatible) with a volume and an exporter."""

    kind: Literal["cache"]
    image: Image
    exporter_image: Image
    resources: Resources
    exporter_resources: Resources
    storage_size: Size
    secrets_path: KvPath
    max_memory: Annotated[str, Field(pattern=r"^[0-9]+(mb|gb)$")]

    @model_validator(mode="after")
    def _fits(self) -> CacheService:
        limit = self.resources.limits.memory
        number, unit = int(self.max_memory[:-2]), self.max_memory[-2:]
        wanted = number * (2**20 if unit == "mb" else 2**30)
        if limit is not None and wanted > quantity_value(limit):
            raise ValueError(f"max_memory ({self.max_memory}) is above the container's memory limit ({limit})")
        if wanted == 0:
            raise ValueError("max_memory must be above zero")
        return self


Service = Annotated[WebService | ApiService | LlmService | WorkerService | CacheService, Field(discriminator="kind")]
HTTP_KINDS = ("web", "admin", "server", "llm")


class Route(Strict):
    """A public host and the services behind its paths (longest path first at the ingress)."""

    host: Hostname
    paths: Annotated[dict[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/._-]*$")], DnsLabel], Field(min_length=1)]
    tls_secret: DnsLabel


class EnvSecrets(Strict):
    """Where this environment's secrets live in the cluster's OpenBao."""

    path_prefix: KvPath  # every KV path of the environment lies under it
    registry_pull_path: KvPath  # robot account of the environment's registry project
    refresh_interval: Duration


class EnvGitOps(Strict):
    prune: dict[str, bool] = {}  # per component; default: prune


class Environment(Strict):
    name: DnsLabel
    tier: Tier
    cluster: DnsLabel
    namespace: DnsLabel
    host: Hostname  # the primary public host
    registry_project: DnsLabel  # the Harbor project the environment's images come from
    security_profile: SecurityProfile
    ingress: Ingress
    secrets: EnvSecrets
    alerts: Thresholds
    services: Annotated[dict[DnsLabel, Service], Field(min_length=1)]
    routes: dict[DnsLabel, Route] = {}
    gitops: EnvGitOps = EnvGitOps()


class ClusterGitOps(Strict):
    repo_url: GitUrl
    rendered_branch: Annotated[str, Field(min_length=1)]  # checked with git's own rules in envs/rules.py
    argocd_namespace: DnsLabel
    prune: dict[str, bool] = {}
    retry_limit: Annotated[int, Field(ge=0, le=20)] = 5


class ToolHosts(Strict):
    openbao: Hostname
    argocd: Hostname
    prometheus: Hostname
    grafana: Hostname
    jenkins: Hostname
    harbor: Hostname
    dashboard: Hostname


class Cluster(Strict):
    name: DnsLabel
    domain: Hostname  # the tools' hosts lie under it
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}$")]
    hosts: ToolHosts
    security_profile: SecurityProfile  # of the platform's own workloads
    storage_class: DnsLabel  # every PVC of the platform; must be a class the platform provides
    ingress: Ingress  # how the tools' hosts are served
    ingress_controller: IngressController
    cert_manager: CertManager
    metallb: MetalLB
    nfs: Nfs
    gitops: ClusterGitOps
    secrets: Secrets
    openbao: OpenBao
    argocd: ArgoCD
    jenkins: Jenkins
    harbor: Harbor
    dashboard: Dashboard
    monitoring: Monitoring
    alerts: Thresholds  # the platform's own alerts
    grafana: GrafanaSettings
    logging: Logging
