"""The typed platform model: clusters, and the environments that run on them.

A *cluster* is the platform: cluster services and development tools, installed once per cluster
and shared by every environment on it. An *environment* is the Plate applications and what
belongs to them (namespace, routes, secret paths, alert thresholds, images, replicas, security
profile); it names the cluster it runs on.

Both are plain nested dicts in ``envs/`` (a shared base, one module per cluster and per
environment holding only what differs), filled in by the conventions of ``envs/conventions.py``
and validated here, once, before anything renders. Unknown keys are rejected everywhere
(``extra="forbid"``). Every section is a component's own settings class (the sections two components share are in
``envs/layers.py``); the rules
across fields and the production tier rules in ``envs/rules.py``.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from components.backup import BackupSettings
from components.cluster.envoy_gateway import EdgeSettings
from components.cluster.network_policies import NetworkSettings
from components.cluster.nfs_provisioner import NfsProvisionerSettings
from components.observability.alert_routing import AlertRoutingSettings
from components.observability.alert_rules import Thresholds
from components.observability.fluentd import FluentdSettings
from components.observability.grafana import GrafanaSettings
from components.observability.kube_prometheus_stack import KubePrometheusStackSettings
from components.plate.cache import PlateCacheSettings
from components.plate.llm import PlateLlmSettings
from components.plate.service import PlateServiceSettings
from components.routing import IngressSettings
from components.tools.argo_cd import ArgoCDSettings
from components.tools.dex import DexSettings
from components.tools.harbor import HarborSettings
from components.tools.headlamp import HeadlampSettings
from components.tools.jenkins import JenkinsSettings
from components.tools.openbao import OpenBaoSettings
from components.types import DnsLabel, Duration, GitUrl, Hostname, KvPath, Strict
from envs.layers import CertManager, MetalLB, Secrets

Tier = Literal["staging", "production"]
SecurityProfile = Literal["hardened", "standard"]


# Each service is its component's settings, plus the environment's wiring: which kind of component
# it is, and which other services of the environment it uses.
class _Uses(Strict):
    uses: list[DnsLabel] = []


class WebService(PlateServiceSettings, _Uses):
    """A static front end (unprivileged nginx on 8080)."""

    kind: Literal["web", "admin"]


class ApiService(PlateServiceSettings, _Uses):
    """An HTTP API with request metrics."""

    kind: Literal["server"]


class LlmService(PlateLlmSettings, _Uses):
    """The LLM service: optional GPU, node placement, model cache."""

    kind: Literal["llm"]


class WorkerService(PlateServiceSettings, _Uses):
    """A background process: no port, no route, no HTTP probes, no ingress-based alerts."""

    kind: Literal["worker"]


class CacheService(PlateCacheSettings):
    """Valkey (Redis-compatible) with a volume and an exporter."""

    kind: Literal["cache"]


Service = Annotated[WebService | ApiService | LlmService | WorkerService | CacheService, Field(discriminator="kind")]
HTTP_KINDS = ("web", "admin", "server", "llm")
SETTINGS_ONLY = ("kind", "uses")  # what composition does not pass on to a component


class Route(Strict):
    """A host and the services behind its paths (the longest matching prefix wins at the Gateway); each
    service's class says to whom it answers (public, or operators behind single sign-on)."""

    host: Hostname
    paths: Annotated[dict[Annotated[str, Field(pattern=r"^/[A-Za-z0-9/._-]*$")], DnsLabel], Field(min_length=1)]


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
    ingress: IngressSettings
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
    # The OpenPGP fingerprints the rendered branch may be signed with: every AppProject of the cluster
    # accepts commits signed by any of them, Argo CD's keyring holds them all (keys/<fingerprint>.asc), and
    # publish signs with one the deployed cluster already trusts. Rotation: add the new key, publish;
    # publish again (now signed with the new key); remove the old key, publish.
    signing_keys: list[Annotated[str, Field(pattern=r"^[0-9A-F]{40}$")]] = []

    @field_validator("signing_keys")
    @classmethod
    def _unique_keys(cls, keys: list[str]) -> list[str]:
        if len(set(keys)) != len(keys):
            raise ValueError("a key is listed twice")
        return keys


class ToolHosts(Strict):
    openbao: Hostname
    argocd: Hostname
    prometheus: Hostname
    grafana: Hostname
    jenkins: Hostname
    harbor: Hostname
    dashboard: Hostname
    dex: Hostname


class Cluster(Strict):
    name: DnsLabel
    domain: Hostname  # the tools' hosts lie under it, and every environment's host
    extra_domains: list[Hostname] = []  # other domains the environments on this cluster may serve
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}$")]
    hosts: ToolHosts
    security_profile: SecurityProfile  # of the platform's own workloads
    storage_class: DnsLabel  # every PVC of the platform; must be a class the platform provides
    ingress: IngressSettings  # how the tools' hosts are served (TLS, issuer, body size, timeouts)
    edge: EdgeSettings  # the Gateway: Envoy Gateway and its proxies
    network: NetworkSettings  # the addresses the namespaces' NetworkPolicies need
    cert_manager: CertManager
    metallb: MetalLB
    nfs: NfsProvisionerSettings
    gitops: ClusterGitOps
    secrets: Secrets
    openbao: OpenBaoSettings
    argocd: ArgoCDSettings
    jenkins: JenkinsSettings
    harbor: HarborSettings
    dashboard: HeadlampSettings  # Headlamp, the cluster UI
    sso: DexSettings  # Dex: how operators log in to every tool
    monitoring: KubePrometheusStackSettings
    alerts: Thresholds  # the platform's own alerts
    alerting: AlertRoutingSettings  # where every alert of the cluster and its environments goes
    grafana: GrafanaSettings
    logging: FluentdSettings
    backups: BackupSettings  # where the stateful components' backups go, how often, how many (components.backup)
