"""OpenBao: the platform's secret store, rendered by our own construct.

A StatefulSet with integrated raft storage (OpenBao 2.7 removed the file backend), TLS on the
listener from a cert-manager Certificate, a declarative file audit device on its own volume,
Kubernetes service registration, and probes that keep sealed or standby nodes alive.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import AfterValidator, Field, field_validator

from components import hcl
from components.backup import State
from components.core import HEADLESS_LABEL, Component, MetricsEndpoint, content_hash, labels, metadata, selector
from components.flows import NetworkNeeds
from components.network import AppPeer, Peer, workload_policy
from components.rbac import cluster_role_binding, service_account
from components.types import PROPS_CONFIG, Image, Resources, Size, Strict
from components.workload import HARDENED, Container, Hardening, PodOptions, Probe, pod_template

if TYPE_CHECKING:
    from components.k8s.api import (
        ClusterRoleBinding,
        ConfigMap,
        EnvVar,
        NetworkPolicy,
        ObjectMeta,
        PersistentVolumeClaimTemplate,
        Role,
        RoleBinding,
        Service,
        ServiceAccount,
        ServicePort,
        ServiceSpec,
        StatefulSet,
    )
    from components.k8s.crds import Certificate

API_PORT, CLUSTER_PORT = 8200, 8201
METRICS_TOKEN = "openbao-metrics-token"  # Prometheus's token for sys/metrics
UID, GID = 100, 1000  # the openbao user of the upstream image
HEALTH = "/v1/sys/health?standbyok=true&perfstandbyok=true"


def _raft_replicas(value: int) -> int:
    if value not in (1, 3, 5):
        raise ValueError(f"must suit raft: 1, 3 or 5 (got {value})")
    return value


class ShamirSeal(Strict):
    """Manual unseal with Shamir key shares (the default; no seal stanza)."""

    type: Literal["shamir"]


class KmsPlugin(Strict):
    """The external KMS plugin an auto-unseal needs: OpenBao 2.7 ships the cloud seals as plugins only
    (`plugin "kms"`, downloaded from an OCI registry at start-up and checked against this sha256)."""

    # ghcr.io/openbao/openbao-plugin-kms-awskms
    image: Annotated[str, Field(pattern=r"^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+$")]
    version: Annotated[str, Field(pattern=r"^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$")]
    sha256sum: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # of the plugin binary, from its release


class AwsKmsSeal(Strict):
    """Auto-unseal with AWS KMS; credentials come from the pod's cloud identity, never from Git."""

    type: Literal["awskms"]
    plugin: KmsPlugin
    region: Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+-[0-9]$")]
    kms_key_id: Annotated[str, Field(min_length=1)]


class GcpCkmsSeal(Strict):
    """Auto-unseal with Google Cloud KMS through workload identity."""

    type: Literal["gcpckms"]
    plugin: KmsPlugin
    project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    region: Annotated[str, Field(min_length=1)]
    key_ring: Annotated[str, Field(min_length=1)]
    crypto_key: Annotated[str, Field(min_length=1)]


Seal = Annotated[ShamirSeal | AwsKmsSeal | GcpCkmsSeal, Field(discriminator="type")]


class OpenBaoSettings(Strict):
    """What a cluster may change."""

    image: Image
    replicas: Annotated[int, AfterValidator(_raft_replicas)] = 1  # raft needs an odd quorum
    storage: Literal["raft"] = "raft"
    data_size: Size
    audit_size: Size
    resources: Resources
    seal: Seal = ShamirSeal(type="shamir")
    ui: bool = True

    @field_validator("storage", mode="before")
    @classmethod
    def _no_file_storage(cls, value: object) -> object:
        if value == "file":
            raise ValueError("OpenBao 2.7 removed the file storage backend: use raft (1 replica is fine); a running "
                             "file-backed OpenBao moves with `bao operator migrate` (docs/operations.md)")
        return value


class OpenBaoProps(OpenBaoSettings):
    model_config = PROPS_CONFIG

    storage_class: str  # required: from the cluster
    internal_issuer: str  # required: signs the listener certificate (cluster-internal names)
    name: str = "openbao"
    namespace: str = "openbao"
    hardening: Hardening = HARDENED
    ingress_from: tuple[Peer, ...] = ()  # namespaces allowed to call the API (ESO, the ingress controller)


class OpenBao(Component):
    layer = "tools"
    rank = 0  # everything that reads secrets comes after it
    network = NetworkNeeds(api_server=True, own_policies=False)  # Kubernetes auth reviews tokens
    PLUGINS = "/openbao/plugins"

    def __init__(self, scope: Construct, props: OpenBaoProps):
        super().__init__(scope, props.name, props.namespace)
        self.props = p = props
        self.common_labels = labels(p.name, "secrets")
        self.workload_labels = labels(p.name, "secrets", p.image.tag)  # the version on the workload only
        self.internal = f"{p.name}-internal"
        self.tls_secret = f"{p.name}-tls"
        self.state = (
            State(f"StatefulSet/{p.name}/data", "every secret of the platform and the applications, the policies "
                  "and roles (raft storage)", "raft-snapshot", run_as=(UID, GID), name=f"{p.name}-raft"),
            State(f"StatefulSet/{p.name}/audit", "the audit log of every request", "none",
                  reason="security evidence to ship to a log archive as it is written (Fluentd does not "
                         "read it yet); a backup days old would not serve as evidence either"),
        )
        if p.seal.type != "shamir":  # the cloud's KMS API, and the registry its plugin comes from
            self.network = self.network | NetworkNeeds(internet=(443,))
        for obj in (self.service_account(), *self.rbac(), self.config_map(), self.certificate(),
                    self.service(p.name, headless=False), self.service(self.internal, headless=True),
                    self.stateful_set(), self.network_policy()):
            self.add(obj)
        # Internal: no route. Its metrics need a token (OpenBao answers sys/metrics only with one);
        # Prometheus presents METRICS_TOKEN, which the secret stores (after OpenBao) fetch: see
        # composition.tools (a Credentials component, like cert-manager's DNS-01 token).
        # every node, leader or standby (a sealed standby must raise its alert too): a PodMonitor
        self.scrape(MetricsEndpoint(
            port="https", path="/v1/sys/metrics", scheme="https", params=(("format", "prometheus"),), monitor="pod",
            metrics=("vault_core_unsealed", "vault_core_active"), tls_ca_secret=self.tls_secret,
            tls_server_name=f"{p.name}.{p.namespace}.svc", bearer_token_secret=METRICS_TOKEN), lbls=self.common_labels)
        if p.replicas > 1:
            self.add({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                      "metadata": metadata(p.name, p.namespace, self.common_labels),
                      "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(p.name)}}})

    def _md(self, name: str | None = None, annotations: dict[str, str] | None = None) -> ObjectMeta:
        return metadata(name or self.props.name, self.props.namespace, self.common_labels, annotations)

    def config(self) -> str:
        p = self.props
        listener = hcl.Block("listener", ("tcp",), {
            "address": f"[::]:{API_PORT}",
            "cluster_address": f"[::]:{CLUSTER_PORT}",
            "tls_cert_file": "/openbao/tls/tls.crt",
            "tls_key_file": "/openbao/tls/tls.key",
            "tls_min_version": "tls12",
            "telemetry": {"unauthenticated_metrics_access": False},
        })
        joins = tuple(hcl.Block("retry_join", (), {
            "leader_api_addr": f"https://{p.name}-{i}.{self.internal}:{API_PORT}",
            "leader_ca_cert_file": "/openbao/tls/ca.crt",
        }) for i in range(p.replicas))
        storage = hcl.Block("storage", ("raft",), {"path": "/openbao/data", "retry_join": joins})
        items: list[hcl.Block | tuple[str, hcl.HclValue]] = [
            ("ui", p.ui), ("disable_mlock", True), ("cluster_name", p.name), listener, storage,
            hcl.Block("service_registration", ("kubernetes",), {})]
        if p.seal.type != "shamir":
            plugin = p.seal.plugin
            items += [("plugin_directory", self.PLUGINS), ("plugin_auto_download", True),
                      hcl.Block("plugin", ("kms", p.seal.type), {"image": plugin.image, "version": plugin.version,
                                                                 "sha256sum": plugin.sha256sum})]
            options = {k: str(v) for k, v in p.seal.model_dump(exclude={"type", "plugin"}).items()}
            items.append(hcl.Block("seal", (p.seal.type,), dict(sorted(options.items()))))
        items.append(hcl.Block("audit", ("file", "file"), {
            "description": "every request and response, on the audit volume",
            "options": {"file_path": "/openbao/audit/audit.log"},
        }))
        items.append(hcl.Block("telemetry", (), {"prometheus_retention_time": "30s", "disable_hostname": True}))
        return hcl.render(*items)

    def service_account(self) -> ServiceAccount:
        # The token is needed: service registration labels pods, and the Kubernetes auth method
        # reviews the tokens of External Secrets' service accounts.
        return service_account(self.props.name, self.props.namespace, self.common_labels, token=True)

    def rbac(self) -> tuple[Role, RoleBinding, ClusterRoleBinding]:
        p = self.props
        return (
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": self._md(),
             "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "update", "patch"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": self._md(),
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": p.name},
             "subjects": [{"kind": "ServiceAccount", "name": p.name, "namespace": p.namespace}]},
            cluster_role_binding(f"{p.name}-auth-delegator", self.common_labels, "system:auth-delegator", p.name,
                                 p.namespace),
        )

    def config_map(self) -> ConfigMap:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self._md(f"{self.props.name}-config"),
                "data": {"config.hcl": self.config()}}

    def certificate(self) -> Certificate:
        p = self.props
        ns = p.namespace
        names = [p.name, f"{p.name}.{ns}.svc", f"{p.name}.{ns}.svc.cluster.local",
                 f"*.{self.internal}", f"*.{self.internal}.{ns}.svc", f"*.{self.internal}.{ns}.svc.cluster.local"]
        return {"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": self._md(self.tls_secret), "spec": {
            "secretName": self.tls_secret,
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": p.internal_issuer},
            "commonName": f"{p.name}.{ns}.svc",
            "dnsNames": names,
            "ipAddresses": ["127.0.0.1"],
            "duration": "2160h",
            "renewBefore": "360h",
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["server auth", "client auth"],
        }}

    def service(self, name: str, headless: bool) -> Service:
        p = self.props
        ports: list[ServicePort] = [{"name": "https", "port": API_PORT, "targetPort": "https", "protocol": "TCP"}]
        spec: ServiceSpec = {"type": "ClusterIP"}
        sel = selector(p.name)
        lbls = self.common_labels
        if headless:
            lbls = {**lbls, HEADLESS_LABEL: "true"}
            ports.append({"name": "cluster", "port": CLUSTER_PORT, "targetPort": "cluster", "protocol": "TCP"})
            spec["clusterIP"] = "None"
            spec["publishNotReadyAddresses"] = True
        elif p.replicas > 1:
            sel = {**sel, "openbao-active": "true"}  # set by service registration on the leader
        spec["selector"] = sel
        spec["ports"] = ports
        return {"apiVersion": "v1", "kind": "Service",
                "metadata": metadata(name, p.namespace, lbls), "spec": spec}

    def stateful_set(self) -> StatefulSet:
        p = self.props
        env: list[EnvVar] = [
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "HOSTNAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "BAO_K8S_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "BAO_K8S_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "BAO_API_ADDR", "value": f"https://$(POD_IP):{API_PORT}"},
            {"name": "BAO_CLUSTER_ADDR", "value": f"https://$(HOSTNAME).{self.internal}:{CLUSTER_PORT}"},
            {"name": "BAO_ADDR", "value": f"https://127.0.0.1:{API_PORT}"},
            {"name": "BAO_CACERT", "value": "/openbao/tls/ca.crt"},
            {"name": "SKIP_SETCAP", "value": "true"},
            {"name": "SKIP_CHOWN", "value": "true"},
        ]
        container = Container(
            name="openbao", image=p.image.ref, resources=p.resources,
            ports={"https": API_PORT, "cluster": CLUSTER_PORT},
            command=("bao",),
            args=("server", "-config=/openbao/config/config.hcl"),
            env=tuple(env),
            # Liveness tolerates sealed, uninitialised and standby nodes: restarting them would not help.
            liveness=Probe(path=f"{HEALTH}&sealedcode=204&uninitcode=204", port="https", scheme="HTTPS",
                           initial_delay=60, period=10),
            # Readiness: only unsealed nodes (active or standby) receive traffic.
            readiness=Probe(path=HEALTH, port="https", scheme="HTTPS", initial_delay=5, period=5),
            writable_paths=("/tmp", *((self.PLUGINS,) if p.seal.type != "shamir" else ())),
            mounts=({"name": "config", "mountPath": "/openbao/config", "readOnly": True},
                    {"name": "tls", "mountPath": "/openbao/tls", "readOnly": True},
                    {"name": "data", "mountPath": "/openbao/data"},
                    {"name": "audit", "mountPath": "/openbao/audit"}),
        )
        opts = PodOptions(
            service_account=p.name, run_as_user=UID, run_as_group=GID, fs_group=GID, automount_token=True,
            volumes=({"name": "config", "configMap": {"name": f"{p.name}-config"}},
                     {"name": "tls", "secret": {"secretName": self.tls_secret}}),
            termination_grace=30,
            # one node per host: losing a host never takes two votes of the raft quorum
            affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": selector(p.name)}, "topologyKey": "kubernetes.io/hostname"}]}}
            if p.replicas > 1 else None,
        )
        annotations = {"checksum/config": content_hash(self.config())}
        template = pod_template(self.workload_labels, annotations, [container], opts, p.hardening)
        claims: list[PersistentVolumeClaimTemplate] = [{"metadata": {"name": n, "labels": selector(p.name)}, "spec": {
            "accessModes": ["ReadWriteOnce"], "storageClassName": p.storage_class,
            "resources": {"requests": {"storage": size}}}} for n, size in (("data", p.data_size), ("audit", p.audit_size))]
        return {"apiVersion": "apps/v1", "kind": "StatefulSet",
                "metadata": metadata(p.name, p.namespace, self.workload_labels), "spec": {
            "replicas": p.replicas,
            "serviceName": self.internal,
            "podManagementPolicy": "Parallel",
            # Each node must be unsealed after a restart: upgrades are rolled by an operator, pod by pod.
            "updateStrategy": {"type": "OnDelete"},
            "selector": {"matchLabels": selector(p.name)},
            "template": template,
            "volumeClaimTemplates": claims,
        }}

    def network_policy(self) -> NetworkPolicy:
        p = self.props
        peers = (*p.ingress_from, AppPeer(app=p.name, port=API_PORT), AppPeer(app=p.name, port=CLUSTER_PORT),
                 AppPeer(app=f"{p.name}-raft", port=API_PORT))  # its raft snapshots (components.backup)
        return workload_policy(p.name, p.namespace, self.common_labels, ingress=peers, egress=())
