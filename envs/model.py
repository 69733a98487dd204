"""The typed environment model.

Environments are plain nested dicts (``envs/base.py`` plus one overlay per environment) that
are validated here, once, before anything renders. Unknown keys are rejected everywhere
(``extra="forbid"``). Tier rules (what production must satisfy) live at the bottom of this
module, next to the model they constrain.
"""
from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.cluster.acme import ISSUERS, PRODUCTION_ISSUER
from components.types import (
    Autoscaling,
    Cidr,
    DnsLabel,
    Duration,
    Email,
    GitUrl,
    Hostname,
    Image,
    IPv4,
    KvPath,
    NfsServer,
    Quantity,
    Resources,
    Strict,
    Toleration,
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
    replicas: Annotated[int, Field(ge=1)] = 1
    controller_resources: Resources
    server_resources: Resources
    repo_server_resources: Resources


class Jenkins(Strict):
    admin_credentials_path: KvPath
    storage_size: Quantity
    build_cache_size: Quantity = "50Gi"
    resources: Resources
    agent_resources: Resources


class HarborPersistence(Strict):
    registry: Quantity
    database: Quantity
    redis: Quantity
    jobservice: Quantity
    trivy: Quantity


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
    storage_size: Quantity
    prometheus_resources: Resources
    alertmanager_resources: Resources
    prometheus_replicas: Annotated[int, Field(ge=1)] = 1


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
    storage_size: Quantity
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


class Ingress(Strict):
    """How the Plate hosts are served."""

    tls: bool
    cluster_issuer: DnsLabel
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]+[kmg]?$")] = "8m"


class IngressController(Strict):
    class_name: DnsLabel
    namespace: DnsLabel
    replicas: Annotated[int, Field(ge=1)]
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
    replicas: Annotated[int, Field(ge=1)] = 1
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


class Secrets(Strict):
    """External Secrets: the operator, the KV v2 mount and the path prefix of this environment."""

    operator_resources: Resources
    operator_replicas: Annotated[int, Field(ge=1)] = 1
    kv_mount: DnsLabel
    path_prefix: KvPath  # every KV path of the environment lies under it
    auth_mount: DnsLabel = "kubernetes"
    refresh_interval: Duration
    registry_pull_path: KvPath


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
    data_size: Quantity
    audit_size: Quantity
    resources: Resources
    seal: Annotated[ShamirSeal | AwsKmsSeal | GcpCkmsSeal, Field(discriminator="type")]
    ui: bool = True


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
    ranges = address_ranges(env.metallb)
    lb_ip = env.ingress_controller.load_balancer_ip
    if lb_ip is not None:
        ip = int(ipaddress.IPv4Address(lb_ip))
        if not any(start <= ip <= end for _, _, start, end in ranges):
            raise TierError(("ingress_controller", "load_balancer_ip"),
                            f"{lb_ip} is in no MetalLB pool ({', '.join(p.name for p in env.metallb.pools)})")
    if env.storage_class != env.nfs.storage_class.name:
        raise TierError(("storage_class",), f"{env.storage_class!r} is not provided by the platform "
                                            f"(the NFS provisioner provides {env.nfs.storage_class.name!r})")
    if env.openbao.storage == "file" and env.openbao.replicas != 1:
        raise TierError(("openbao", "replicas"), f"file storage runs a single node (got {env.openbao.replicas}); use raft")
    prefix = env.secrets.path_prefix + "/"
    for loc, path in kv_paths(env):
        if not path.startswith(prefix):
            raise TierError(loc, f"{path!r} is outside this environment's KV prefix {env.secrets.path_prefix!r}")
    if env.ingress.cluster_issuer not in ISSUERS:
        raise TierError(("ingress", "cluster_issuer"),
                        f"unknown ClusterIssuer {env.ingress.cluster_issuer!r}; rendered: {', '.join(ISSUERS)}")
    if env.tier == "production":
        production_rules(env)


def production_rules(env: Environment) -> None:
    """What production must satisfy."""
    if env.security_profile != "hardened":
        raise TierError(("security_profile",), f"production must use the 'hardened' profile (got {env.security_profile!r})")
    if not env.ingress.tls:
        raise TierError(("ingress", "tls"), "production must serve every host over TLS")
    if env.openbao.storage != "raft" or env.openbao.replicas < 3:
        raise TierError(("openbao", "replicas"), "production runs OpenBao on integrated raft storage with at least "
                                                 f"3 replicas (got {env.openbao.storage}, {env.openbao.replicas})")
    if env.dashboard.cluster_admin:
        raise TierError(("dashboard", "cluster_admin"), "production never binds the dashboard to cluster-admin")
    if env.ingress.cluster_issuer != PRODUCTION_ISSUER:
        raise TierError(("ingress", "cluster_issuer"), f"production certificates come from {PRODUCTION_ISSUER!r} "
                                                       f"(got {env.ingress.cluster_issuer!r}, browsers do not trust it)")
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


def _ipv4(pool: str, value: str) -> int:
    try:
        return int(ipaddress.IPv4Address(value))
    except ValueError:
        raise TierError(("metallb", "pools", pool, "addresses"),
                        f"pool {pool!r}: {value!r} is not an IPv4 address") from None


def address_ranges(metallb: MetalLB) -> list[tuple[str, str, int, int]]:
    """(pool, entry, first, last) for every entry; malformed, reversed or overlapping ranges raise."""
    out: list[tuple[str, str, int, int]] = []
    for pool in metallb.pools:
        for entry in pool.addresses:
            loc = ("metallb", "pools", pool.name, "addresses")
            if "/" in entry:
                try:
                    net = ipaddress.IPv4Network(entry, strict=True)
                except ValueError as exc:
                    raise TierError(loc, f"pool {pool.name!r}: {entry!r} is not an IPv4 CIDR ({exc})") from None
                first, last = int(net.network_address), int(net.broadcast_address)
            else:
                start, sep, end = entry.partition("-")
                if not sep:
                    raise TierError(loc, f"pool {pool.name!r}: {entry!r} is neither a range 'first-last' nor a CIDR")
                first, last = _ipv4(pool.name, start.strip()), _ipv4(pool.name, end.strip())
                if first > last:
                    raise TierError(loc, f"pool {pool.name!r}: range {entry!r} is reversed (first address after last)")
            for other_pool, other, o_first, o_last in out:
                if first <= o_last and o_first <= last:
                    raise TierError(loc, f"pool {pool.name!r}: {entry!r} overlaps {other!r} of pool {other_pool!r}")
            out.append((pool.name, entry, first, last))
    names = [p.name for p in metallb.pools]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise TierError(("metallb", "pools", dup, "name"), f"pool name {dup!r} is used twice")
    return out


def kv_paths(env: Environment) -> list[tuple[tuple[str, ...], str]]:
    """Every OpenBao KV path the environment names, with its field path."""
    out = [(("secrets", "registry_pull_path"), env.secrets.registry_pull_path)]
    for name in Apps.model_fields:
        out.append((("apps", name, "secrets_path"), getattr(env.apps, name).secrets_path))
    if env.cert_manager.dns01:
        out.append((("cert_manager", "dns01", "api_token_path"), env.cert_manager.dns01.api_token_path))
    if env.argocd.repo_credentials_path:
        out.append((("argocd", "repo_credentials_path"), env.argocd.repo_credentials_path))
    out.append((("jenkins", "admin_credentials_path"), env.jenkins.admin_credentials_path))
    out.append((("harbor", "secrets_path"), env.harbor.secrets_path))
    out.append((("grafana", "admin_credentials_path"), env.grafana.admin_credentials_path))
    for field in ("credentials_path", "shared_key_path"):
        if getattr(env.logging.output, field, None):
            out.append((("logging", "output", field), getattr(env.logging.output, field)))
    if env.harbor.external_database:
        out.append((("harbor", "external_database", "password_path"), env.harbor.external_database.password_path))
    if env.harbor.external_redis and env.harbor.external_redis.password_path:
        out.append((("harbor", "external_redis", "password_path"), env.harbor.external_redis.password_path))
    return out
