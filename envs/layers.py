"""Settings of the cluster-services, tools and observability layers (part of the environment model)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.types import (
    DnsLabel,
    Duration,
    Email,
    Hostname,
    Image,
    IPv4,
    KvPath,
    NfsServer,
    Resources,
    Size,
    Strict,
)


class Ingress(Strict):
    """How the Plate hosts are served."""

    tls: bool
    cluster_issuer: DnsLabel
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]+[kKmMgG]?$")] = "8m"  # nginx-style, either case


class IngressController(Strict):
    class_name: DnsLabel
    namespace: DnsLabel
    replicas: Annotated[int, Field(ge=1, le=100)]
    resources: Resources
    default_class: bool = True
    load_balancer_ip: IPv4 | None = None  # must lie in a MetalLB pool


class Dns01(Strict):
    provider: Literal["cloudflare"]
    dns_zones: Annotated[list[Hostname], Field(min_length=1)]
    api_token_path: KvPath  # OpenBao KV entry with an ``api-token`` property


class CertManager(Strict):
    acme_email: Email  # required, no default: Let's Encrypt sends expiry notices here
    resources: Resources
    replicas: Annotated[int, Field(ge=1, le=100)] = 1
    dns01: Dns01 | None = None


class AddressPool(Strict):
    name: DnsLabel
    addresses: Annotated[list[str], Field(min_length=1)]  # "a.b.c.d-e.f.g.h" or CIDR; checked in check_rules
    auto_assign: bool = True


class MetalLB(Strict):
    pools: Annotated[list[AddressPool], Field(min_length=1)]
    controller_resources: Resources
    speaker_resources: Resources
    l2_interfaces: list[str] = []


class StorageClass(Strict):
    name: DnsLabel
    reclaim_policy: Literal["Delete", "Retain"]
    archive_on_delete: bool
    default: bool


class Nfs(Strict):
    server: NfsServer
    path: Annotated[str, Field(pattern=r"^/([A-Za-z0-9._-]+/?)*$")]
    storage_class: StorageClass
    resources: Resources


class Secrets(Strict):
    """External Secrets: the operator, the KV v2 mount and the path prefix of this environment."""

    operator_resources: Resources
    operator_replicas: Annotated[int, Field(ge=1, le=100)] = 1
    kv_mount: DnsLabel
    path_prefix: KvPath  # every KV path of the platform's tools lies under it
    auth_mount: DnsLabel = "kubernetes"
    refresh_interval: Duration


def _raft_replicas(value: int) -> int:
    if value not in (1, 3, 5):
        raise ValueError(f"must suit raft: 1, 3 or 5 (got {value})")
    return value


class ShamirSeal(Strict):
    """Manual unseal with Shamir key shares (the default; no seal stanza)."""

    type: Literal["shamir"]


class AwsKmsSeal(Strict):
    """Auto-unseal with AWS KMS; credentials come from the pod's cloud identity, never from Git."""

    type: Literal["awskms"]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+-[0-9]$")]
    kms_key_id: Annotated[str, Field(min_length=1)]


class GcpCkmsSeal(Strict):
    """Auto-unseal with Google Cloud KMS through workload identity."""

    type: Literal["gcpckms"]
    project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    region: Annotated[str, Field(min_length=1)]
    key_ring: Annotated[str, Field(min_length=1)]
    crypto_key: Annotated[str, Field(min_length=1)]


class OpenBao(Strict):
    image: Image
    replicas: Annotated[int, AfterValidator(_raft_replicas)]
    storage: Literal["raft", "file"]
    data_size: Size
    audit_size: Size
    resources: Resources
    seal: Annotated[ShamirSeal | AwsKmsSeal | GcpCkmsSeal, Field(discriminator="type")]
    ui: bool = True


class ResourceExclusion(Strict):
    api_groups: list[str]
    kinds: Annotated[list[str], Field(min_length=1)]
    clusters: list[str] = ["*"]


class ArgoCD(Strict):
    admin_groups: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    readonly_groups: list[str] = []
    repo_credentials_path: KvPath | None = None  # None: the rendered repository is public
    resource_exclusions: list[ResourceExclusion] = []
    admin_user: bool = True
    replicas: Annotated[int, Field(ge=1, le=100)] = 1
    controller_resources: Resources
    server_resources: Resources
    repo_server_resources: Resources


class Jenkins(Strict):
    admin_credentials_path: KvPath
    storage_size: Size
    build_cache_size: Size = "50Gi"
    resources: Resources
    agent_resources: Resources


class HarborPersistence(Strict):
    registry: Size
    database: Size
    redis: Size
    jobservice: Size
    trivy: Size


class ExternalDatabase(Strict):
    host: NfsServer  # an IPv4 address or a DNS hostname
    port: Annotated[int, Field(ge=1, le=65535)] = 5432
    username: Annotated[str, Field(min_length=1)]
    database: Annotated[str, Field(min_length=1)]
    password_path: KvPath


class ExternalRedis(Strict):
    addr: Annotated[str, Field(pattern=r"^[a-z0-9.-]+:[0-9]{1,5}$")]
    password_path: KvPath | None = None


class Harbor(Strict):
    secrets_path: KvPath
    persistence: HarborPersistence
    database: Literal["internal", "external"] = "internal"
    external_database: ExternalDatabase | None = None
    redis: Literal["internal", "external"] = "internal"
    external_redis: ExternalRedis | None = None

    @model_validator(mode="after")
    def _choices(self) -> Harbor:
        for part in ("database", "redis"):
            chosen, ext = getattr(self, part), getattr(self, f"external_{part}")
            if chosen == "external" and ext is None:
                raise ValueError(f"{part} is 'external' but external_{part} is not set")
            if chosen == "internal" and ext is not None:
                raise ValueError(f"external_{part} is set but {part} is 'internal'")
        return self


class Dashboard(Strict):
    ingress: bool
    cluster_admin: bool = False


Retention = Annotated[str, Field(pattern=r"^[0-9]+(h|d|w|y)$")]
Severity = Literal["critical", "warning", "info"]


class Monitoring(Strict):
    """kube-prometheus-stack: Prometheus, Alertmanager, node-exporter, kube-state-metrics."""

    retention: Retention
    storage_size: Size
    prometheus_resources: Resources
    alertmanager_resources: Resources
    prometheus_replicas: Annotated[int, Field(ge=1, le=100)] = 1


class Thresholds(Strict):
    """Alert thresholds and severities; environments override what they need."""

    error_ratio: Annotated[float, Field(gt=0, lt=1)]
    latency_p99_seconds: Annotated[float, Field(gt=0)]
    restarts_per_hour: Annotated[int, Field(ge=1)]
    certificate_expiry_days: Annotated[int, Field(ge=1)]
    argocd_out_of_sync_minutes: Annotated[int, Field(ge=1)]
    fluentd_buffer_queue: Annotated[int, Field(ge=1)]
    availability_severity: Severity
    error_severity: Severity
    latency_severity: Severity
    restart_severity: Severity
    platform_severity: Severity


class GrafanaSettings(Strict):
    image: Image
    resources: Resources
    storage_size: Size
    admin_credentials_path: KvPath


class ElasticOutput(Strict):
    type: Literal["elasticsearch", "opensearch"]
    host: Hostname
    port: Annotated[int, Field(ge=1, le=65535)] = 9200
    tls: bool = True
    index_prefix: DnsLabel
    credentials_path: KvPath  # ``username`` and ``password``


class LokiOutput(Strict):
    type: Literal["loki"]
    url: Annotated[str, Field(pattern=r"^https?://[a-z0-9.-]+(:[0-9]+)?(/[^\s]*)?$")]
    tenant: str | None = None
    credentials_path: KvPath | None = None


class ForwardOutput(Strict):
    type: Literal["forward"]
    host: Hostname
    port: Annotated[int, Field(ge=1, le=65535)] = 24224
    tls: bool = True
    shared_key_path: KvPath  # ``shared-key``


class Logging(Strict):
    image_tag: Annotated[str, Field(min_length=1)] | None = None  # default: versions.FLUENTD per output type
    resources: Resources
    output: Annotated[ElasticOutput | LokiOutput | ForwardOutput, Field(discriminator="type")]
