"""Fluentd as a DaemonSet: tail container logs, parse CRI and JSON, add Kubernetes metadata, expose
Prometheus metrics, ship to the environment's output.

Least privilege that works: the kubelet writes container logs as root-owned files (0640), so the
process runs as uid 0, but with every capability dropped, no privilege escalation, a read-only
root filesystem, /var/log mounted read-only, and one writable host directory for its positions
and buffer. Its namespace needs Pod Security "privileged": baseline forbids hostPath volumes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import Field

from components.core import Component, MetricsEndpoint, content_hash, labels, metadata, selector
from components.flows import NetworkNeeds
from components.rbac import cluster_role_binding, service_account
from components.secrets import RemoteValue, SecretStoreRef, external_secret
from components.types import PROPS_CONFIG, DnsLabel, Hostname, Image, KvPath, Resources, Strict
from components.workload import HARDENED, Container, Hardening, PodOptions, Probe, pod_template

if TYPE_CHECKING:
    from components.k8s.api import DaemonSet, EnvVar, ObjectMeta

METRICS_PORT = 24231
STATE_DIR = "/var/lib/fluentd-plate"
CONFIG_DIR = "/fluentd/etc"
OUTPUT_SECRET = "fluentd-output"
METRICS = ("fluentd_output_status_num_errors", "fluentd_output_status_buffer_queue_length",
           "fluentd_output_status_buffer_total_bytes", "fluentd_output_status_retry_count")


def output_flows(output: ElasticOutput | LokiOutput | ForwardOutput) -> NetworkNeeds:
    """The API (pod metadata) and where the logs go: a Service in the cluster, or a host outside it."""
    import urllib.parse

    if isinstance(output, LokiOutput):
        url = urllib.parse.urlparse(output.url)
        host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    else:
        host, port = output.host, output.port
    parts = host.split(".")
    if len(parts) >= 3 and parts[2] == "svc":  # <service>.<namespace>.svc[.cluster.local]
        return NetworkNeeds(api_server=True, to=((parts[1], port),))
    return NetworkNeeds(api_server=True, internet=(port,))


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
    credentials_path: KvPath | None = None  # ``username`` and ``password``


class ForwardOutput(Strict):
    type: Literal["forward"]
    host: Hostname
    port: Annotated[int, Field(ge=1, le=65535)] = 24224
    tls: bool = True
    shared_key_path: KvPath  # ``shared-key``


Output = Annotated[ElasticOutput | LokiOutput | ForwardOutput, Field(discriminator="type")]


def credentials_path(output: ElasticOutput | LokiOutput | ForwardOutput) -> str | None:
    """The KV entry the output authenticates with (a shared key for forward)."""
    return output.shared_key_path if isinstance(output, ForwardOutput) else output.credentials_path


class FluentdSettings(Strict):
    """What a cluster may change. Where logs go: ``type`` picks the plugin; credentials come from OpenBao."""

    image_tag: Annotated[str, Field(min_length=1)] | None = None  # default: versions.FLUENTD per output type
    resources: Resources
    output: Output


class FluentdProps(FluentdSettings):
    model_config = PROPS_CONFIG

    image: Image  # required: must carry the output's plugin
    secret_store: SecretStoreRef  # required
    hardening: Hardening = HARDENED
    namespace: str = "logging"


def _buffer() -> str:
    return f"""  <buffer>
    @type file
    path {STATE_DIR}/buffer
    flush_mode interval
    flush_interval 5s
    chunk_limit_size 8MB
    total_limit_size 2GB
    retry_type exponential_backoff
    retry_max_interval 60s
    retry_forever true
    overflow_action block
  </buffer>"""


def output_config(o: ElasticOutput | LokiOutput | ForwardOutput) -> str:
    def env(name: str) -> str:
        return f"\"#{{ENV['{name}']}}\""

    if isinstance(o, ElasticOutput):
        lines = [f"  @type {o.type}", f"  @id out_{o.type}", f"  host {o.host}", f"  port {o.port}",
                 f"  scheme {'https' if o.tls else 'http'}", "  ssl_verify true" if o.tls else "  ssl_verify false",
                 "  logstash_format true", f"  logstash_prefix {o.index_prefix}", "  include_tag_key true"]
        if o.credentials_path:
            lines += [f"  user {env('OUTPUT_USERNAME')}", f"  password {env('OUTPUT_PASSWORD')}"]
    elif isinstance(o, LokiOutput):
        lines = ["  @type loki", "  @id out_loki", f"  url {o.url}"]
        if o.tenant:
            lines.append(f"  tenant {o.tenant}")
        if o.credentials_path:
            lines += [f"  username {env('OUTPUT_USERNAME')}", f"  password {env('OUTPUT_PASSWORD')}"]
        lines += ["  <label>", "    namespace $.kubernetes.namespace_name", "    pod $.kubernetes.pod_name",
                  "    container $.kubernetes.container_name", "  </label>", "  remove_keys kubernetes"]
    else:
        lines = ["  @type forward", "  @id out_forward"]
        if o.tls:
            lines += ["  transport tls", "  tls_verify_hostname true"]
        lines += ["  <security>", f"    self_hostname {env('NODE_NAME')}", f"    shared_key {env('OUTPUT_SHARED_KEY')}",
                  "  </security>", "  <server>", f"    host {o.host}", f"    port {o.port}", "  </server>"]
    return "\n".join(["<match kubernetes.**>", *lines, _buffer(), "</match>"])


def config(o: ElasticOutput | LokiOutput | ForwardOutput) -> str:
    return f"""# Generated by components/observability/fluentd.py; edit the typed props, not this file.
<system>
  log_level info
</system>

# Prometheus metrics: the plugin's own endpoint and per-output buffer/error counters.
<source>
  @type prometheus
  bind 0.0.0.0
  port {METRICS_PORT}
  metrics_path /metrics
</source>
<source>
  @type prometheus_output_monitor
  interval 10
</source>

# Container logs as the kubelet writes them (CRI format), or JSON lines from older runtimes.
<source>
  @type tail
  @id in_containers
  path /var/log/containers/*.log
  exclude_path ["/var/log/containers/fluentd-*.log"]
  pos_file {STATE_DIR}/containers.log.pos
  tag kubernetes.*
  read_from_head true
  <parse>
    @type multi_format
    <pattern>
      format cri
    </pattern>
    <pattern>
      format json
      time_key time
      time_format %Y-%m-%dT%H:%M:%S.%N%z
    </pattern>
  </parse>
</source>

<filter kubernetes.**>
  @type kubernetes_metadata
  @id filter_kubernetes_metadata
</filter>

# Structured application logs: lift JSON messages into fields, keep everything else as is.
<filter kubernetes.**>
  @type parser
  key_name message
  reserve_data true
  remove_key_name_field true
  emit_invalid_record_to_error false
  <parse>
    @type json
  </parse>
</filter>

{output_config(o)}
"""


def _secret_env(key: str) -> EnvVar:
    """An environment variable of the same name as its key in the output's Secret."""
    return {"name": key, "valueFrom": {"secretKeyRef": {"name": OUTPUT_SECRET, "key": key}}}


class Fluentd(Component):
    layer = "tools"
    rank = 4

    def __init__(self, scope: Construct, props: FluentdProps):
        super().__init__(scope, "fluentd", props.namespace, pod_security="privileged",
                         pod_security_reason="it mounts the node's /var/log (read-only) and its own state "
                                             "directory as hostPath volumes, which baseline forbids")
        self.props = p = props
        self.network = output_flows(p.output)
        self.common_labels = labels("fluentd", "logging")
        self.workload_labels = labels("fluentd", "logging", p.image.tag)  # the version on the workload only

        def md(name: str = "fluentd", ns: str | None = p.namespace) -> ObjectMeta:
            return metadata(name, ns, self.common_labels)

        # the token is needed: the metadata filter reads pods and namespaces
        self.add(service_account("fluentd", p.namespace, self.common_labels, token=True))
        self.add({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": md(ns=None),
                  "rules": [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}]})
        self.add(cluster_role_binding("fluentd", self.common_labels, "fluentd", "fluentd", p.namespace))
        conf = config(p.output)
        self.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": md("fluentd-config"), "data": {"fluent.conf": conf}})
        env: list[EnvVar] = [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
        path = credentials_path(p.output)
        if path:
            keys = {"OUTPUT_SHARED_KEY": "shared-key"} if p.output.type == "forward" else {
                "OUTPUT_USERNAME": "username", "OUTPUT_PASSWORD": "password"}
            self.add(external_secret(OUTPUT_SECRET, p.namespace, self.common_labels, p.secret_store,
                                     values=tuple(RemoteValue(k, path, v) for k, v in keys.items())))
            env.extend(_secret_env(k) for k in keys)
        self.add(self.daemon_set(tuple(env), content_hash(conf)))
        self.scrape(MetricsEndpoint(port="metrics", monitor="pod", metrics=METRICS), lbls=self.common_labels)

    def daemon_set(self, env: tuple[EnvVar, ...], checksum: str) -> DaemonSet:
        p = self.props
        container = Container(
            name="fluentd", image=p.image.ref, resources=p.resources, ports={"metrics": METRICS_PORT}, env=env,
            liveness=Probe(path="/metrics", port="metrics", initial_delay=30),
            readiness=Probe(path="/metrics", port="metrics"),
            writable_paths=("/tmp",), run_as_user=0,
            mounts=({"name": "varlog", "mountPath": "/var/log", "readOnly": True},
                    {"name": "state", "mountPath": STATE_DIR},
                    {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}),
        )
        opts = PodOptions(
            service_account="fluentd", run_as_user=0, run_as_group=0, automount_token=True,
            tolerations=({"operator": "Exists"},),  # every node has logs, tainted or not
            volumes=({"name": "varlog", "hostPath": {"path": "/var/log", "type": "Directory"}},
                     {"name": "state", "hostPath": {"path": STATE_DIR, "type": "DirectoryOrCreate"}},
                     {"name": "config", "configMap": {"name": "fluentd-config"}}),
        )
        return {"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": metadata("fluentd", p.namespace, self.workload_labels),
                "spec": {
                    "revisionHistoryLimit": 5,
                    "selector": {"matchLabels": selector("fluentd")},
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                    "template": pod_template(self.workload_labels, {"checksum/config": checksum}, [container], opts,
                                             p.hardening),
                }}
