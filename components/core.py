"""The base every component builds on: one cdk8s chart per component, its objects as dicts.

Each Kubernetes object is built as a plain dict typed by its generated TypedDict (``components.k8s``,
checked by pyright) and written by ``output.writer`` with cdk8s's own YAML writer; the render's
checks validate the result against the declared Kubernetes version's schemas and the CRDs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, cast

import cdk8s
from constructs import Construct

from components.flows import NetworkNeeds
from components.meta import MANAGED_BY as MANAGED_BY
from components.meta import PART_OF as PART_OF
from components.meta import Json as Json
from components.meta import Obj as Obj
from components.meta import content_hash as content_hash
from components.meta import labels as labels
from components.meta import metadata as metadata
from components.meta import selector as selector

if TYPE_CHECKING:
    from components.backup import State
    from components.k8s.api import BuiltinObject, LabelSelector
    from components.k8s.crds import (
        CustomObject,
        PodMonitor,
        PodMonitorSpecPodMetricsEndpoints,
        ServiceMonitor,
        ServiceMonitorSpecEndpoints,
    )
    from components.routing import Served
    from components.versions import Chart

# An object a component authors: one of the generated shapes, so pyright checks every literal passed
# to ``add``. From there on (and for a chart's rendered objects) objects are JSON values.
Manifest: TypeAlias = "BuiltinObject | CustomObject"

Layer = Literal["cluster-services", "tools", "apps"]

# On headless Services, so that ServiceMonitors (which select Services by label) skip them.
HEADLESS_LABEL = "plate.io/headless"
ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"  # an Ingress's certificate, from this ClusterIssuer


@dataclass(frozen=True)
class HelmSource:
    """An upstream chart. A vendored one (``archive``) is rendered by Helm at synth into the
    component's folder (composition/helm.py); one that is not is left to Argo CD, ``values`` becoming
    its Application's valuesObject."""

    repo_url: str
    chart: str
    version: str
    values: Obj = field(default_factory=lambda: {})
    archive: str | None = None  # the vendored chart (charts/), against which the values are checked
    free_form: tuple[str, ...] = ()  # value paths whose keys are data, not the chart's settings


@dataclass(frozen=True)
class MetricsEndpoint:
    """A metrics endpoint a component declares once; its monitor is derived from it.

    ``metrics`` names what the endpoint exposes that rules and dashboards may use. ``monitor``:
    "service" (a ServiceMonitor on the component's Service), "pod" (a PodMonitor), or "chart"
    (the upstream chart renders its own monitor, switched on in its values).
    """

    port: str
    metrics: tuple[str, ...]
    path: str = "/metrics"
    scheme: Literal["http", "https"] = "http"
    monitor: Literal["service", "pod", "chart"] = "service"
    params: tuple[tuple[str, str], ...] = ()
    tls_ca_secret: str | None = None  # Secret with ca.crt, for https endpoints
    tls_server_name: str | None = None
    bearer_token_secret: str | None = None  # Secret (key ``token``) Prometheus authenticates with


@dataclass(frozen=True)
class ComponentInfo:
    """What the App-of-Apps rule and the namespaces component need to know about a component."""

    name: str
    layer: Layer
    rank: int  # order inside the layer: providers of CRDs or secrets first
    namespace: str
    helm: HelmSource | None = None  # an upstream chart (rendered into its folder when vendored)
    has_manifests: bool = True  # objects in dist/<env>/<name>/ (ours and the rendered chart's)
    server_side_apply: bool = False  # for charts whose CRDs exceed the client-side apply annotation limit
    provides_crds: tuple[str, ...] = ()  # API groups whose CRDs this component installs (in its crds/ folder)
    pod_security: str | None = None  # the Pod Security level its workloads need; None: no workloads
    pod_security_reason: str = ""  # why, when it is lower than "restricted"
    warnings: tuple[str, ...] = ()  # printed by the render: settings a reviewer must not miss
    metrics: tuple[MetricsEndpoint, ...] = ()  # what Prometheus scrapes from this component
    served: tuple[Served, ...] = ()  # the hosts it serves through the Gateway
    secrets: tuple[tuple[str, str, str], ...] = ()  # (namespace, KV path, key; "*": every key) it reads
    issuers: tuple[str, ...] = ()  # the cert-manager issuers its certificates come from
    keep_on_delete: bool = False  # no cascading finalizer, no pruning (Argo CD managing itself)
    runtime_secrets: tuple[str, ...] = ()  # Secrets (in its namespace) its workloads create in-cluster
    network: NetworkNeeds = field(default_factory=NetworkNeeds)  # the flows its pods need
    destinations: tuple[str, ...] = ()  # namespaces besides its own that its objects go to
    cluster_kinds: tuple[tuple[str, str], ...] = ()  # (group, kind) of the cluster-scoped objects it renders
    namespaced_kinds: tuple[tuple[str, str], ...] = ()  # (group, kind) of its namespaced objects
    state: tuple[State, ...] = ()  # the volumes and databases it keeps, and how each is backed up


class ManifestChart(cdk8s.Chart):
    """A chart whose objects are plain dicts, written to one file each by ``output.writer``.

    Objects never cross into the jsii runtime one by one: the writer serialises a whole
    environment with one call to cdk8s's own YAML writer (same library, same options as
    ``cdk8s synth``), which keeps the output byte-identical and the render fast.
    """

    def __init__(self, scope: Construct, name: str):
        super().__init__(scope, name, disable_resource_name_hashes=True)
        self.folder = name
        self.manifests: list[Obj] = []
        self.crds: list[Obj] = []  # written to <folder>/crds/
        self.texts: dict[int, str] = {}  # id(object) -> its YAML, for objects whose text is already made

    def add(self, manifest: Manifest) -> None:
        self.manifests.append(cast(Obj, manifest))


class Component(ManifestChart):
    """A platform component: one Argo CD Application, and a folder in dist/<env>/ for our objects.

    ``pod_security`` is the Pod Security level the component's workloads need in its namespace;
    anything below "restricted" must come with ``pod_security_reason``.
    """

    layer: ClassVar[Layer]
    rank: ClassVar[int]
    server_side_apply: ClassVar[bool] = False
    provides_crds: ClassVar[tuple[str, ...]] = ()
    keep_on_delete: ClassVar[bool] = False
    # Secrets the component's own workloads create in the cluster at run time (name -> how): random
    # per installation, never in dist/. The checks accept references to them.
    runtime_secrets: ClassVar[dict[str, str]] = {}
    # what its pods reach and what reaches them (a class's own, or one its settings decide: Fluentd's output)
    network: NetworkNeeds = NetworkNeeds()

    def __init__(self, scope: Construct, name: str, namespace: str, *, pod_security: str | None = "restricted",
                 pod_security_reason: str = "", helm: HelmSource | None = None):
        super().__init__(scope, name)
        if pod_security not in (None, "restricted") and not pod_security_reason:
            raise ValueError(f"component {name!r}: Pod Security {pod_security!r} needs a reason")
        self._info: dict[str, Any] = dict(name=name, layer=self.layer, rank=self.rank, namespace=namespace, helm=helm,
                          server_side_apply=self.server_side_apply, provides_crds=self.provides_crds,
                          pod_security=pod_security, pod_security_reason=pod_security_reason,
                          keep_on_delete=self.keep_on_delete, runtime_secrets=tuple(sorted(self.runtime_secrets)),
                          destinations=())
        self.warnings: list[str] = []
        self.metrics: list[MetricsEndpoint] = []
        self.secret_reads: list[tuple[str, str, str]] = []
        self.issuers: set[str] = set()
        self.served: list[Served] = []
        # Pods an operator or controller makes at run time from what this component renders (Prometheus
        # from its custom resource, the Gateway's proxies, build agents): not rendered, but the network
        # fence derives flows to and from them, and its analysis needs them as endpoints.
        self.runtime_pods: list[Obj] = []
        # The state it keeps (components.backup): every volume it renders must be declared here.
        self.state: tuple[State, ...] = ()

    @property
    def info(self) -> ComponentInfo:
        kinds_ = {(bool(m["metadata"].get("namespace")), m.get("apiVersion", "").rpartition("/")[0], m["kind"])
                  for m in [*self.manifests, *self.crds]}
        return ComponentInfo(**self._info, network=self.network, has_manifests=bool(self.manifests or self.crds),
                             cluster_kinds=tuple(sorted((g, k) for ns, g, k in kinds_ if not ns)),
                             namespaced_kinds=tuple(sorted((g, k) for ns, g, k in kinds_ if ns)),
                             warnings=tuple(self.warnings),
                             metrics=tuple(self.metrics), secrets=tuple(sorted(set(self.secret_reads))),
                             served=tuple(self.served), state=self.state,
                             issuers=tuple(sorted(self.issuers)))

    def add(self, manifest: Manifest) -> None:
        """Add an object; an ExternalSecret also declares the KV paths this component reads, from which
        the secret stores and their policies are derived."""
        self._record(cast(Obj, manifest))

    def _record(self, manifest: Obj) -> None:
        issuer = manifest.get("metadata", {}).get("annotations", {}).get(ISSUER_ANNOTATION)
        if issuer:
            self.issuers.add(issuer)
        if manifest.get("kind") == "Certificate":
            self.issuers.add(manifest["spec"]["issuerRef"]["name"])
        if manifest.get("kind") == "ExternalSecret":
            spec, namespace = manifest["spec"], manifest["metadata"]["namespace"]
            self.secret_reads += [(namespace, d["remoteRef"]["key"], d["remoteRef"].get("property", "*"))
                                  for d in spec.get("data", [])]
            self.secret_reads += [(namespace, d["extract"]["key"], "*") for d in spec.get("dataFrom", [])
                                  if "extract" in d]
        self.manifests.append(manifest)

    def runtime_pod(self, name: str, namespace: str, pod_labels: dict[str, str], ports: dict[str, int]) -> None:
        """Declare pods made at run time (see ``runtime_pods``): their labels and named ports."""
        self.runtime_pods.append({"apiVersion": "v1", "kind": "Pod",
                                  "metadata": {"name": name, "namespace": namespace, "labels": dict(pod_labels)},
                                  "spec": {"containers": [{"name": name, "ports": [
                                      {"name": port_name, "containerPort": port} for port_name, port in ports.items()]}]}})

    def serve(self, served: Served) -> None:
        """Declare a host this component serves through the cluster's Gateway (components.routing.Served):
        the Gateway's listener, its certificate and the audience checks derive from it."""
        self.served.append(served)

    def scrape(self, endpoint: MetricsEndpoint, app: str | None = None, namespace: str | None = None,
               lbls: dict[str, str] | None = None, selector_labels: dict[str, str] | None = None) -> None:
        """Declare ``endpoint`` and derive its monitor (the one rule for every component)."""
        self.metrics.append(endpoint)
        if endpoint.monitor == "chart":
            return
        app = app or str(self._info["name"])
        namespace = namespace or str(self._info["namespace"])
        meta = metadata(app, namespace, lbls or selector(app))
        if endpoint.monitor == "service":
            sel: LabelSelector = {"matchLabels": selector(app),
                                  "matchExpressions": [{"key": HEADLESS_LABEL, "operator": "DoesNotExist"}]}
            service: ServiceMonitor = {
                "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": meta,
                "spec": {"selector": sel, "namespaceSelector": {"matchNames": [namespace]},
                         "endpoints": [_service_endpoint(endpoint)]}}
            self.add(service)
            return
        # pods of ours, or pods a controller makes (``selector_labels``: Envoy Gateway's proxies)
        pods: PodMonitor = {
            "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": meta,
            "spec": {"selector": {"matchLabels": selector_labels or selector(app)},
                     "namespaceSelector": {"matchNames": [namespace]}, "podMetricsEndpoints": [_pod_endpoint(endpoint)]}}
        self.add(pods)


def _service_endpoint(e: MetricsEndpoint) -> ServiceMonitorSpecEndpoints:
    ep: ServiceMonitorSpecEndpoints = {"port": e.port, "path": e.path, "scheme": e.scheme, "interval": "30s"}
    if e.params:
        ep["params"] = {k: [v] for k, v in e.params}
    if e.tls_ca_secret:
        ep["tlsConfig"] = {"ca": {"secret": {"name": e.tls_ca_secret, "key": "ca.crt"}}}
        if e.tls_server_name:
            ep["tlsConfig"]["serverName"] = e.tls_server_name
    if e.bearer_token_secret:
        ep["authorization"] = {"type": "Bearer", "credentials": {"name": e.bearer_token_secret, "key": "token"}}
    return ep


def _pod_endpoint(e: MetricsEndpoint) -> PodMonitorSpecPodMetricsEndpoints:
    """The same fields as ``_service_endpoint``, in the PodMonitor's shape: the two CRDs' endpoint shapes
    differ (and TypedDict fields are invariant), so one builder cannot serve both and stay checked."""
    ep: PodMonitorSpecPodMetricsEndpoints = {"port": e.port, "path": e.path, "scheme": e.scheme, "interval": "30s"}
    if e.params:
        ep["params"] = {k: [v] for k, v in e.params}
    if e.tls_ca_secret:
        ep["tlsConfig"] = {"ca": {"secret": {"name": e.tls_ca_secret, "key": "ca.crt"}}}
        if e.tls_server_name:
            ep["tlsConfig"]["serverName"] = e.tls_server_name
    if e.bearer_token_secret:
        ep["authorization"] = {"type": "Bearer", "credentials": {"name": e.bearer_token_secret, "key": "token"}}
    return ep

class HelmRelease(Component):
    # value paths below which keys are data (ConfigMap entries, annotations, securityContexts), which the
    # values check (composition/chart_values.py) does not look up in the chart
    free_form_values: ClassVar[tuple[str, ...]] = ()
    # Secrets the chart renders with data it has no existing-secret setting for: the component's
    # ExternalSecret of the same name replaces each, copying the listed keys (not credentials: a Redis
    # URL without password, an empty password of a password-less Redis) from the chart's rendering.
    chart_secret_literals: ClassVar[dict[str, tuple[str, ...]]] = {}

    """A component installed from an upstream Helm chart, with values built from typed props.

    Objects it adds itself (ExternalSecrets the chart's existing-secret settings name, a cache
    volume, ...) are rendered next to it and synced by the same Application (multi-source).
    """

    def __init__(self, scope: Construct, name: str, namespace: str, chart: Chart, values: Obj, *,
                 pod_security: str | None = "restricted", pod_security_reason: str = ""):
        super().__init__(scope, name, namespace, pod_security=pod_security, pod_security_reason=pod_security_reason,
                         helm=HelmSource(chart.repo_url, chart.name, chart.version, values,
                                         str(chart.archive) if chart.archive else None,
                                         self.free_form_values))
        self.issuers.update(_annotated_issuers(values))

    def add_chart_objects(self, objects: list[Obj], crds: list[Obj], texts: list[str]) -> None:
        """The chart's rendered objects join ours (one folder, one Application); its CRDs go below.
        ``texts``: the YAML of ``objects`` then ``crds``, in order (made once, when cached)."""
        replacing = {m["spec"]["target"]["name"]: m for m in self.manifests if m.get("kind") == "ExternalSecret"}
        for obj, text in zip([*objects, *crds], texts, strict=True):
            self.texts[id(obj)] = text
        for obj in objects:
            name = obj["metadata"]["name"]
            if obj.get("kind") == "Secret" and name in replacing:
                self._replace_secret(obj, replacing[name])
                continue
            self._record(obj)
        self.crds.extend(crds)

    def _replace_secret(self, chart_secret: Obj, external: Obj) -> None:
        """The ExternalSecret becomes the one writer of a Secret the chart renders too: it must provide
        every key of the chart's (fetched, or copied when declared in ``chart_secret_literals``)."""
        import base64

        name: str = chart_secret["metadata"]["name"]
        data: dict[str, str] = chart_secret.get("data") or {}
        values = {k: base64.b64decode(v).decode() for k, v in data.items()}
        string_data: dict[str, str] = chart_secret.get("stringData") or {}
        values.update(string_data)
        spec: Obj = external["spec"]
        fetched: set[str] = {d["secretKey"] for d in spec.get("data", [])}
        template: Obj = spec["target"].setdefault("template", {"engineVersion": "v2"})
        literal = {k: v for k, v in values.items() if k in self.chart_secret_literals.get(name, ())}
        if literal:
            from components.secrets import literal_template

            template.setdefault("data", {}).update({k: literal_template(v) for k, v in sorted(literal.items())})
            template["mergePolicy"] = "Merge"
        missing = sorted(set(values) - fetched - set(literal) - set(template.get("data", {})))
        if missing and not spec.get("dataFrom"):
            raise ValueError(f"component {self._info['name']!r}: the chart's Secret {name!r} has keys "
                             f"{', '.join(missing)} that the ExternalSecret replacing it does not provide")


def _annotated_issuers(values: object) -> set[str]:
    """Issuers a chart's values ask for through the Ingress annotation, wherever the chart takes it."""
    if isinstance(values, dict):
        mapping = cast(Obj, values)
        issuer = mapping.get(ISSUER_ANNOTATION)
        found: set[str] = {issuer} if isinstance(issuer, str) else set()
        return found.union(*(_annotated_issuers(v) for v in mapping.values()))
    if isinstance(values, list):
        return set[str]().union(*(_annotated_issuers(v) for v in cast(list[object], values)))
    return set()


def pod_security(level: str) -> dict[str, str]:
    """Pod Security Admission labels: ``level`` enforced, audited and warned."""
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}
