"""PlateService: one stateless Plate workload (Deployment, Service, config, secrets, policies).

web, server, admin and llm are PlateServices with their own defaults (see their modules).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from constructs import Construct
from pydantic import Field, field_validator, model_validator

from components.core import Component, MetricsEndpoint, content_hash, labels, metadata, selector
from components.network import CidrPeer, Peer, workload_policy
from components.rbac import service_account
from components.routing import Audience
from components.secrets import SecretStoreRef, external_secret
from components.types import PROPS_CONFIG, Autoscaling, Cidr, EnvVars, Image, KvPath, Reason, Resources, Strict
from components.workload import HARDENED, Container, Hardening, PodOptions, Probe, pod_template

MAX_REPLICAS = 100
if TYPE_CHECKING:
    from components.k8s.api import (
        ConfigMap,
        Deployment,
        DeploymentSpec,
        EnvFromSource,
        EnvVar,
        HorizontalPodAutoscaler,
        PodDisruptionBudget,
        PodDisruptionBudgetSpec,
        Service,
        ServiceAccount,
    )
    EnvEntries = tuple[EnvVar, ...]
else:  # pydantic keeps them as given: their shape is the type checker's (a TypedDict it would re-validate)
    EnvEntries = tuple[dict[str, Any], ...]

CONFIG_MAP_LIMIT = 1024 * 1024  # the API server's limit on a ConfigMap's data
SINGLE_REPLICA_REASON = "plate.io/single-replica-reason"  # on a workload that production runs once, and why



HTTP_PORT = 80  # the Service port of every HTTP service (the container listens on props.port)
# Keys of `config` that name a credential: their values belong in OpenBao, read through `secrets_path`.
CREDENTIAL_KEY = re.compile(r"(password|passwd|secret|token|api_?key|private_?key|credentials?)$", re.IGNORECASE)

class PlateServiceSettings(Strict):
    """What an environment may change of a Plate service."""

    image: Image
    replicas: Annotated[int, Field(ge=0, le=MAX_REPLICAS)]  # not rendered when autoscaling is set
    resources: Resources
    secrets_path: KvPath  # OpenBao KV path of the app's environment secret
    config: EnvVars = {}  # non-secret environment, rendered as a ConfigMap
    autoscaling: Autoscaling | None = None  # default: fixed replica count, no HPA
    disruption_budget_min_available: Annotated[int, Field(ge=1)] | None = None  # default: no PodDisruptionBudget
    egress_cidrs: list[Cidr] = []  # outside the cluster, besides what the service uses
    command: list[str] = []  # default: the image's entrypoint
    args: list[str] = []
    single_replica_reason: Reason | None = None  # why production may run one

    @field_validator("config")
    @classmethod
    def _no_credentials(cls, config: dict[str, str]) -> dict[str, str]:
        for key, value in sorted(config.items()):
            if CREDENTIAL_KEY.search(key) and value:
                raise ValueError(f"{key} looks like a credential with a literal value: a ConfigMap is readable by "
                                 "anyone who can read the namespace and sits in Git; put it in OpenBao under the "
                                 "service's secrets_path (its ExternalSecret brings it in as the same variable)")
        return config

    @model_validator(mode="after")
    def _budget(self) -> PlateServiceSettings:
        floor = self.autoscaling.min_replicas if self.autoscaling else self.replicas
        if self.disruption_budget_min_available is not None and self.disruption_budget_min_available >= floor:
            raise ValueError(
                f"disruption_budget_min_available ({self.disruption_budget_min_available}) must be below the "
                f"replica count ({floor}), or no pod could ever be evicted"
            )
        if self.autoscaling and self.autoscaling.max_replicas > MAX_REPLICAS:
            raise ValueError(f"autoscaling.max_replicas ({self.autoscaling.max_replicas}) is above {MAX_REPLICAS}")
        size = sum(len(k.encode()) + len(v.encode()) for k, v in self.config.items())
        if size > CONFIG_MAP_LIMIT:
            raise ValueError(f"config is {size} bytes: the API server refuses a ConfigMap over 1 MiB "
                             f"({CONFIG_MAP_LIMIT} bytes); mount large files from a volume instead")
        return self


class PlateServiceProps(PlateServiceSettings):
    model_config = PROPS_CONFIG

    namespace: str  # required
    secret_store: SecretStoreRef  # required: where the app's environment secret comes from
    name: str  # set by each service module
    role: str  # app.kubernetes.io/component; set by each service module
    port: int = 8080
    liveness_path: str = "/healthz"
    readiness_path: str = "/readyz"
    writable_paths: tuple[str, ...] = ("/tmp",)
    hardening: Hardening = HARDENED
    pull_secret: str | None = None  # default: the image is pulled anonymously
    ingress_from: tuple[Peer, ...] = ()  # default: nothing may connect
    egress_to: tuple[Peer, ...] = ()  # the services it uses; default: DNS only (namespace-wide policy)
    env: EnvEntries = ()  # extra env entries, e.g. a key of another ExternalSecret's Secret
    metrics: tuple[str, ...] = ()  # default: no metrics endpoint; else the metric names served on metrics_path
    metrics_path: str = "/metrics"
    metrics_from: tuple[Peer, ...] = ()  # who scrapes it (the monitoring namespace)
    max_surge: str | int = "25%"
    max_unavailable: str | int = 0


class PlateService(Component):
    layer = "apps"
    rank = 3
    audience: ClassVar[Audience] = "public"  # to whom its routes answer
    Props = PlateServiceProps
    serves_http: ClassVar[bool] = True  # a Service, an HTTP port and HTTP probes

    def __init__(self, scope: Construct, props: PlateServiceProps):
        super().__init__(scope, props.name, props.namespace)
        self.props = p = props
        # the version only where it helps: an image bump changes the workload and nothing else
        self.common_labels = labels(p.name, p.role)
        self.workload_labels = labels(p.name, p.role, p.image.tag)
        self.add(self.service_account())
        if p.config:
            self.add(self.config_map())
        self.add(external_secret(f"{p.name}-env", p.namespace, self.common_labels, p.secret_store,
                                 extract_path=p.secrets_path))
        self.add(self.deployment())
        if self.serves_http:
            self.add(self.service())
        scrapers = p.metrics_from if p.metrics else ()
        self.add(workload_policy(p.name, p.namespace, self.common_labels, ingress=(*p.ingress_from, *scrapers),
                                 egress=(*p.egress_to, *(CidrPeer(cidr=c) for c in p.egress_cidrs))))
        if p.metrics:
            self.scrape(MetricsEndpoint(port="http", path=p.metrics_path, metrics=p.metrics), lbls=self.common_labels)
        if p.autoscaling:
            self.add(self.autoscaler())
        if p.disruption_budget_min_available is not None or self.replicated:
            self.add(self.disruption_budget())

    @property
    def replicated(self) -> bool:
        """Whether more than one replica may run: then they spread and keep a disruption budget."""
        p = self.props
        return (p.autoscaling.max_replicas if p.autoscaling else p.replicas) > 1

    # --- hooks for services that need more (see llm.py) ----------------------------------
    def container(self) -> Container:
        p = self.props
        env_from: list[EnvFromSource] = []
        if p.config:
            env_from.append({"configMapRef": {"name": f"{p.name}-config"}})
        env_from.append({"secretRef": {"name": f"{p.name}-env"}})
        http = self.serves_http
        return Container(
            name=p.name.removeprefix("plate-"),
            image=p.image.ref,
            resources=p.resources,
            ports={"http": p.port} if http else {},
            liveness=Probe(path=p.liveness_path, initial_delay=10) if http else None,
            readiness=Probe(path=p.readiness_path, period=5) if http else None,
            command=tuple(p.command),
            args=tuple(p.args),
            env_from=tuple(env_from),
            env=p.env,
            writable_paths=p.writable_paths,
        )

    def pod_options(self) -> PodOptions:
        p = self.props
        return PodOptions(service_account=p.name, image_pull_secrets=(p.pull_secret,) if p.pull_secret else (),
                          spread=selector(p.name) if self.replicated else None)

    # --- objects ------------------------------------------------------------------------
    def service_account(self) -> ServiceAccount:
        p = self.props
        return service_account(p.name, p.namespace, self.common_labels)

    def config_map(self) -> ConfigMap:
        p = self.props
        return {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": metadata(f"{p.name}-config", p.namespace, self.common_labels),
                "data": dict(sorted(p.config.items()))}

    def deployment(self) -> Deployment:
        p = self.props
        annotations = {"checksum/config": content_hash(p.config)} if p.config else {}
        spec: DeploymentSpec = {
            "replicas": p.replicas,  # left to the autoscaler when there is one
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(p.name)},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": p.max_surge, "maxUnavailable": p.max_unavailable}},
            "template": pod_template(self.workload_labels, annotations, [self.container()], self.pod_options(),
                                     p.hardening),
        }
        if p.autoscaling is not None:
            del spec["replicas"]
        why = {SINGLE_REPLICA_REASON: p.single_replica_reason} if p.single_replica_reason else None
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": metadata(p.name, p.namespace, self.workload_labels, why), "spec": spec}

    def service(self) -> Service:
        p = self.props
        return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(p.name, p.namespace, self.common_labels),
                "spec": {"type": "ClusterIP", "selector": selector(p.name),
                         "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http", "protocol": "TCP"}]}}

    def autoscaler(self) -> HorizontalPodAutoscaler:
        p, a = self.props, self.props.autoscaling
        assert a is not None
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": metadata(p.name, p.namespace, self.common_labels),
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": p.name},
                    "minReplicas": a.min_replicas,
                    "maxReplicas": a.max_replicas,
                    "metrics": [{"type": "Resource", "resource": {
                        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": a.target_cpu_percent}}}],
                }}

    def disruption_budget(self) -> PodDisruptionBudget:
        p = self.props
        spec: PodDisruptionBudgetSpec = {"minAvailable": p.disruption_budget_min_available or 0, "maxUnavailable": 1,
                                         "selector": {"matchLabels": selector(p.name)}}
        del spec["maxUnavailable" if p.disruption_budget_min_available is not None else "minAvailable"]
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": metadata(p.name, p.namespace, self.common_labels), "spec": spec}
