"""plate-cache: a Redis-compatible cache (Valkey) for plate-server.

A single-replica StatefulSet with a PVC, its password from OpenBao through an ExternalSecret
(never in args on disk, never in Git), and a redis_exporter sidecar for metrics.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from constructs import Construct
from pydantic import Field, model_validator

from components.backup import State
from components.core import HEADLESS_LABEL, Component, MetricsEndpoint, labels, metadata, selector
from components.network import Peer, workload_policy
from components.plate.service import SINGLE_REPLICA_REASON
from components.rbac import service_account
from components.secrets import RemoteValue, SecretStoreRef, external_secret
from components.types import PROPS_CONFIG, Image, KvPath, Reason, Resources, Size, Strict, quantity_value
from components.workload import HARDENED, Container, Hardening, PodOptions, Probe, pod_template

if TYPE_CHECKING:
    from components.k8s.api import EnvVar, Service, ServicePort, ServiceSpec, StatefulSet

PORT = 6379
# What the redis_exporter sidecar exposes that rules and dashboards use.
METRICS = ("redis_up", "redis_connected_clients", "redis_memory_used_bytes", "redis_memory_max_bytes",
           "redis_commands_processed_total", "redis_keyspace_hits_total", "redis_keyspace_misses_total")
METRICS_PORT = 9121
# Valkey's Alpine image runs as valkey (999:1000); redis_exporter's image as 59000.
CACHE_UID, CACHE_GID, EXPORTER_UID = 999, 1000, 59000


class PlateCacheSettings(Strict):
    """What an environment may change of the cache."""

    image: Image
    exporter_image: Image
    resources: Resources
    exporter_resources: Resources
    storage_size: Size
    secrets_path: KvPath  # KV entry holding the ``password`` property
    max_memory: Annotated[str, Field(pattern=r"^[0-9]+(mb|gb)$")]  # e.g. "384mb"; within the memory limit
    single_replica_reason: Reason | None = None  # why production may run one

    @model_validator(mode="after")
    def _fits(self) -> PlateCacheSettings:
        limit = self.resources.limits.memory
        number, unit = int(self.max_memory[:-2]), self.max_memory[-2:]
        wanted = number * (2**20 if unit == "mb" else 2**30)
        if limit is not None and wanted > quantity_value(limit):
            raise ValueError(f"max_memory ({self.max_memory}) is above the container's memory limit ({limit})")
        if wanted == 0:
            raise ValueError("max_memory must be above zero")
        return self


class PlateCacheProps(PlateCacheSettings):
    model_config = PROPS_CONFIG

    namespace: str  # required
    storage_class: str  # required: comes from the cluster, never a literal here
    secret_store: SecretStoreRef  # required
    name: str = "plate-cache"
    hardening: Hardening = HARDENED
    ingress_from: tuple[Peer, ...] = ()  # default: nothing may connect
    metrics_from: tuple[Peer, ...] = ()  # who scrapes the exporter (the monitoring namespace)

    @property
    def password_secret(self) -> str:
        return f"{self.name}-auth"


class PlateCache(Component):
    layer = "apps"
    rank = 1  # before the API that uses it
    Props = PlateCacheProps

    def __init__(self, scope: Construct, props: PlateCacheProps):
        super().__init__(scope, props.name, props.namespace)
        self.props = p = props
        self.common_labels = labels(p.name, "cache")
        self.state = (State(f"StatefulSet/{p.name}/data", "the cache's snapshot", "none",
                            reason="a cache: plate-server fills it again"),)
        self.workload_labels = labels(p.name, "cache", p.image.tag)  # the version on the workload only
        self.add(service_account(p.name, p.namespace, self.common_labels))
        self.add(external_secret(p.password_secret, p.namespace, self.common_labels, p.secret_store,
                                 values=(RemoteValue("password", p.secrets_path, "password"),)))
        self.add(self.stateful_set())
        self.add(self.service(p.name, headless=False))
        self.add(self.service(f"{p.name}-headless", headless=True))
        self.add(workload_policy(p.name, p.namespace, self.common_labels,
                                 ingress=(*p.ingress_from, *p.metrics_from), egress=()))
        self.scrape(MetricsEndpoint(port="metrics", metrics=METRICS), lbls=self.common_labels)

    def _password_env(self, var: str) -> EnvVar:
        return {"name": var, "valueFrom": {"secretKeyRef": {"name": self.props.password_secret, "key": "password"}}}

    def stateful_set(self) -> StatefulSet:
        p = self.props
        cache = Container(
            name="valkey",
            image=p.image.ref,
            resources=p.resources,
            ports={"redis": PORT},
            # $(VAR) is expanded by the kubelet from the env below; the value lives only in the Secret.
            args=("--requirepass", "$(CACHE_PASSWORD)", "--maxmemory", p.max_memory,
                  "--maxmemory-policy", "allkeys-lru", "--appendonly", "yes", "--dir", "/data"),
            env=(self._password_env("CACHE_PASSWORD"), self._password_env("REDISCLI_AUTH")),
            liveness=Probe(port="redis", initial_delay=15),
            readiness=Probe(command=("sh", "-c", "valkey-cli ping | grep -q PONG"), period=5),
            writable_paths=("/tmp",),
            mounts=({"name": "data", "mountPath": "/data"},),
        )
        exporter = Container(
            name="exporter",
            image=p.exporter_image.ref,
            resources=p.exporter_resources,
            ports={"metrics": METRICS_PORT},
            env=({"name": "REDIS_ADDR", "value": f"redis://localhost:{PORT}"}, self._password_env("REDIS_PASSWORD")),
            liveness=Probe(path="/health", port="metrics"),
            readiness=Probe(path="/health", port="metrics"),
            run_as_user=EXPORTER_UID,
        )
        opts = PodOptions(service_account=p.name, run_as_user=CACHE_UID, run_as_group=CACHE_GID, fs_group=CACHE_GID)
        return {
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": metadata(p.name, p.namespace, self.workload_labels,
                                 {SINGLE_REPLICA_REASON: p.single_replica_reason} if p.single_replica_reason else None),
            "spec": {
                "replicas": 1,
                "serviceName": f"{p.name}-headless",
                "selector": {"matchLabels": selector(p.name)},
                "template": pod_template(self.workload_labels, {}, [cache, exporter], opts, p.hardening),
                "volumeClaimTemplates": [{
                    "metadata": {"name": "data", "labels": selector(p.name)},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": p.storage_class,
                        "resources": {"requests": {"storage": p.storage_size}},
                    },
                }],
            },
        }

    def service(self, name: str, headless: bool) -> Service:
        p = self.props
        ports: list[ServicePort] = [{"name": "redis", "port": PORT, "targetPort": "redis", "protocol": "TCP"}]
        if not headless:
            ports.append({"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"})
        spec: ServiceSpec = {"type": "ClusterIP", "clusterIP": "None", "selector": selector(p.name), "ports": ports}
        if not headless:
            del spec["clusterIP"]
        lbls = {**self.common_labels, HEADLESS_LABEL: "true"} if headless else self.common_labels
        return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(name, p.namespace, lbls), "spec": spec}
