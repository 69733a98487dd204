"""The App-of-Apps rule: every Application and AppProject is derived here from ComponentInfo.

Nobody writes an Application by hand. Sync waves encode the layer order (cluster services, then
development tools, then applications) and, inside a layer, each component's rank.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from components import kinds
from components.core import PART_OF, ComponentInfo, Layer, ManifestChart

LAYER_WAVE: dict[Layer, int] = {"cluster-services": 0, "tools": 10, "apps": 20}
PROJECT_WAVE = -1  # AppProjects exist before any Application that uses them
MAX_RANK = 9  # a layer owns waves [base, base + MAX_RANK]
FINALIZER = "resources-finalizer.argocd.argoproj.io"
EXISTING_NAMESPACES = frozenset({"default", "kube-system"})  # every cluster has them

# Cluster-scoped kinds a layer's project may create. Cluster services may create any (namespaces
# included); development tools only what their charts and the secret stores need; applications none.
CLUSTER_RESOURCES: dict[Layer, list[dict]] = {
    "cluster-services": [{"group": "*", "kind": "*"}],
    "tools": [{"group": "apiextensions.k8s.io", "kind": "CustomResourceDefinition"},
              {"group": "rbac.authorization.k8s.io", "kind": "ClusterRole"},
              {"group": "rbac.authorization.k8s.io", "kind": "ClusterRoleBinding"},
              # the Prometheus Operator's admission webhooks (kube-prometheus-stack)
              {"group": "admissionregistration.k8s.io", "kind": "MutatingWebhookConfiguration"},
              {"group": "admissionregistration.k8s.io", "kind": "ValidatingWebhookConfiguration"},
              {"group": "external-secrets.io", "kind": "ClusterSecretStore"}],
    "apps": [],
}


IN_CLUSTER = "https://kubernetes.default.svc"


@dataclass(frozen=True)
class Cluster:
    name: str
    server: str


@dataclass(frozen=True)
class AppOfAppsProps:
    environment: str  # required
    repo_url: str  # required
    revision: str  # required: the rendered branch
    argocd_namespace: str  # required
    clusters: tuple[Cluster, ...] = (Cluster("in-cluster", IN_CLUSTER),)  # every cluster gets every component
    multi_cluster: str = "applications"  # or "applicationset", when there are several clusters
    path_prefix: str = "dist"  # Application paths are <prefix>/<env>/<component> on the rendered branch
    prune: dict[str, bool] = field(default_factory=dict)  # default: prune every component
    retry_limit: int = 5

    @property
    def application_sets(self) -> bool:
        return len(self.clusters) > 1 and self.multi_cluster == "applicationset"


def wave(info: ComponentInfo) -> int:
    if not 0 <= info.rank <= MAX_RANK:
        raise ValueError(f"component {info.name!r}: rank {info.rank} outside 0..{MAX_RANK}")
    return LAYER_WAVE[info.layer] + info.rank


def path(props: AppOfAppsProps, folder: str) -> str:
    return f"{props.path_prefix}/{props.environment}/{folder}"


def _labels(props: AppOfAppsProps, layer: str | None = None) -> dict:
    out = {"app.kubernetes.io/part-of": PART_OF, "plate.io/environment": props.environment}
    if layer:
        out["plate.io/layer"] = layer
    return out


def project_name(props: AppOfAppsProps, layer: str) -> str:
    return f"{props.environment}-{layer}"


def _sync_policy(props: AppOfAppsProps, prune: bool, options: list[str]) -> dict:
    policy: dict = {
        "automated": {"prune": prune, "selfHeal": True},
        "retry": {"limit": props.retry_limit,
                  "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }
    if options:
        policy["syncOptions"] = options
    return policy


def sources(props: AppOfAppsProps, info: ComponentInfo) -> list[dict]:
    """The chart (if any), then our own objects (if any)."""
    out = []
    if info.helm is not None:
        helm = info.helm
        out.append({"repoURL": helm.repo_url, "chart": helm.chart, "targetRevision": helm.version,
                    "helm": {"releaseName": info.name, "valuesObject": helm.values}})
    if info.has_manifests or info.helm is None:
        out.append({"repoURL": props.repo_url, "targetRevision": props.revision, "path": path(props, info.name)})
    return out


def application(props: AppOfAppsProps, info: ComponentInfo, rendered_namespaces: frozenset[str] = frozenset(),
                cluster: Cluster | None = None) -> dict:
    """The Application of ``info`` on ``cluster`` (default: the only one; its name then has no suffix)."""
    cluster = cluster or props.clusters[0]
    options = [] if info.namespace in rendered_namespaces | EXISTING_NAMESPACES else ["CreateNamespace=true"]
    if info.server_side_apply:
        options.append("ServerSideApply=true")
    annotations = {"argocd.argoproj.io/sync-wave": str(wave(info))}
    if info.has_manifests:
        # Only a change under the Application's own path refreshes it.
        annotations["argocd.argoproj.io/manifest-generate-paths"] = "." if info.helm is None else path(props, info.name)
    # Deleting the Application of Argo CD itself must never take Argo CD down with it.
    policy = _sync_policy(props, props.prune.get(info.name, not info.keep_on_delete), options)
    srcs = sources(props, info)
    name, lbls = f"{props.environment}-{info.name}", {**_labels(props, info.layer), "plate.io/component": info.name}
    if len(props.clusters) > 1:
        name, lbls = f"{name}-{cluster.name}", {**lbls, "plate.io/cluster": cluster.name}
    return {
        **kinds.head(kinds.custom("Application")),
        "metadata": {
            "name": name,
            "namespace": props.argocd_namespace,
            "labels": lbls,
            "annotations": annotations,
            **({} if info.keep_on_delete else {"finalizers": [FINALIZER]}),
        },
        "spec": {
            "project": project_name(props, info.layer),
            **({"source": srcs[0]} if len(srcs) == 1 else {"sources": srcs}),
            "destination": {"server": cluster.server, "namespace": info.namespace},
            "syncPolicy": policy,
        },
    }


def application_set(props: AppOfAppsProps, info: ComponentInfo, rendered_namespaces: frozenset[str]) -> dict:
    """One ApplicationSet for ``info``: a list generator over the clusters, the Application as template."""
    template = application(props, info, rendered_namespaces, Cluster("{{ .cluster }}", "{{ .url }}"))
    wave_annotation = {"argocd.argoproj.io/sync-wave": template["metadata"]["annotations"].pop(
        "argocd.argoproj.io/sync-wave")}
    md = template["metadata"]
    md.pop("namespace")
    return {
        **kinds.head(kinds.custom("ApplicationSet")),
        "metadata": {"name": f"{props.environment}-{info.name}", "namespace": props.argocd_namespace,
                     "labels": {**_labels(props, info.layer), "plate.io/component": info.name},
                     "annotations": wave_annotation},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [{"cluster": c.name, "url": c.server} for c in props.clusters]}}],
            "template": {"metadata": md, "spec": template["spec"]},
        },
    }


def app_project(props: AppOfAppsProps, layer: Layer, infos: list[ComponentInfo]) -> dict:
    namespaces = sorted({i.namespace for i in infos if i.layer == layer})
    charts = sorted({i.helm.repo_url for i in infos if i.layer == layer and i.helm})
    cluster_resources = CLUSTER_RESOURCES[layer]
    return {
        **kinds.head(kinds.custom("AppProject")),
        "metadata": {
            "name": project_name(props, layer),
            "namespace": props.argocd_namespace,
            "labels": _labels(props, layer),
            "annotations": {"argocd.argoproj.io/sync-wave": str(PROJECT_WAVE)},
        },
        "spec": {
            "description": f"{props.environment}: {layer} layer",
            "sourceRepos": [props.repo_url, *charts],
            "destinations": [{"server": c.server, "namespace": ns} for c in props.clusters for ns in namespaces],
            "clusterResourceWhitelist": cluster_resources,
        },
    }


def root_project(props: AppOfAppsProps) -> dict:
    """The root Application may only manage Applications and AppProjects in Argo CD's namespace."""
    return {
        **kinds.head(kinds.custom("AppProject")),
        "metadata": {"name": f"{props.environment}-root", "namespace": props.argocd_namespace,
                     "labels": _labels(props)},
        "spec": {
            "description": f"{props.environment}: the App-of-Apps root",
            "sourceRepos": [props.repo_url],
            "destinations": [{"server": IN_CLUSTER, "namespace": props.argocd_namespace}],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": k} for k in (
                "Application", "AppProject", *(["ApplicationSet"] if props.application_sets else []))],
        },
    }


def root_application(props: AppOfAppsProps) -> dict:
    return {
        **kinds.head(kinds.custom("Application")),
        "metadata": {
            "name": f"{props.environment}-root",
            "namespace": props.argocd_namespace,
            "labels": _labels(props),
            "finalizers": [FINALIZER],
        },
        "spec": {
            "project": f"{props.environment}-root",
            "source": {"repoURL": props.repo_url, "targetRevision": props.revision, "path": path(props, "apps")},
            "destination": {"server": IN_CLUSTER, "namespace": props.argocd_namespace},
            "syncPolicy": _sync_policy(props, True, []),
        },
    }


class AppsChart(ManifestChart):
    """dist/<env>/apps: the AppProject of each rendered layer and one Application per component."""

    def __init__(self, scope: Construct, props: AppOfAppsProps, infos: list[ComponentInfo],
                 rendered_namespaces: frozenset[str] = frozenset()):
        super().__init__(scope, "apps")
        for layer in LAYER_WAVE:
            if any(i.layer == layer for i in infos):
                self.add(app_project(props, layer, infos))
        for info in sorted(infos, key=lambda i: (wave(i), i.name)):
            if props.application_sets:
                self.add(application_set(props, info, rendered_namespaces))
            else:
                for cluster in props.clusters:
                    self.add(application(props, info, rendered_namespaces, cluster))


class BootstrapChart(ManifestChart):
    """dist/<env>/bootstrap: the one thing a person applies by hand (kubectl apply -f)."""

    def __init__(self, scope: Construct, props: AppOfAppsProps):
        super().__init__(scope, "bootstrap")
        self.add(root_project(props))
        self.add(root_application(props))
