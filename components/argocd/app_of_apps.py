"""The App-of-Apps rule: every Application and AppProject is derived here from ComponentInfo.

Nobody writes an Application by hand. Sync waves encode the layer order (cluster services, then
development tools, then applications) and, inside a layer, each component's rank.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from constructs import Construct

from components.core import PART_OF, ComponentInfo, Layer, ManifestChart, Obj

if TYPE_CHECKING:
    from components.k8s.api import ObjectMeta
    from components.k8s.crds import (
        Application,
        ApplicationSpec,
        ApplicationSpecSources,
        ApplicationSpecSyncPolicy,
        AppProject,
        AppProjectSpec,
    )

LAYER_WAVE: dict[Layer, int] = {"cluster-services": 0, "tools": 10, "apps": 20}
PROJECT_WAVE = -1  # AppProjects exist before any Application that uses them
MAX_RANK = 9  # a layer owns waves [base, base + MAX_RANK]
FINALIZER = "resources-finalizer.argocd.argoproj.io"
EXISTING_NAMESPACES = frozenset({"default", "kube-system"})  # every cluster has them

IN_CLUSTER = "https://kubernetes.default.svc"  # one Argo CD per cluster: it deploys to its own cluster only
ENVIRONMENT_WAVE = LAYER_WAVE["apps"]  # every environment after the whole platform of its cluster


@dataclass(frozen=True)
class AppOfAppsProps:
    owner: str  # required: the cluster or environment; prefixes its Applications and AppProjects
    folder: str  # required: its folder under the render root ("clusters/<c>" or "environments/<e>")
    repo_url: str  # required
    revision: str  # required: the rendered branch
    argocd_namespace: str  # required
    path_prefix: str = "dist"  # Application paths are <prefix>/<folder>/<component> on the rendered branch
    prune: dict[str, bool] = field(default_factory=dict[str, bool])  # default: prune every component
    retry_limit: int = 5
    annotations: dict[str, str] = field(default_factory=dict[str, str])  # on every component's Application (subscriptions)
    signature_keys: tuple[str, ...] = ()  # OpenPGP key IDs: every project syncs only commits they signed
    # Where this owner's component Applications live: an environment's in a namespace of its own, which
    # only its project admits (Argo CD's applications in any namespace), so an Application committed
    # there cannot borrow another project's rights; the cluster's in Argo CD's namespace.
    apps_namespace: str = ""

    @property
    def app_namespace(self) -> str:
        return self.apps_namespace or self.argocd_namespace


@dataclass(frozen=True)
class EnvironmentRef:
    """An environment on a cluster: its own Applications live in its folder, its project here."""

    props: AppOfAppsProps
    infos: tuple[ComponentInfo, ...]


def wave(info: ComponentInfo) -> int:
    if not 0 <= info.rank <= MAX_RANK:
        raise ValueError(f"component {info.name!r}: rank {info.rank} outside 0..{MAX_RANK}")
    return LAYER_WAVE[info.layer] + info.rank


def path(props: AppOfAppsProps, folder: str) -> str:
    return f"{props.path_prefix}/{props.folder}/{folder}"


def _labels(props: AppOfAppsProps, layer: str | None = None) -> dict[str, str]:
    scope = props.folder.split("/", 1)[0].removesuffix("s")
    out = {"app.kubernetes.io/part-of": PART_OF, f"plate.io/{scope}": props.owner}
    if layer:
        out["plate.io/layer"] = layer
    return out


def project_name(props: AppOfAppsProps, layer: str) -> str:
    return f"{props.owner}-{layer}"


def is_cluster(props: AppOfAppsProps) -> bool:
    return props.folder.startswith("clusters/")


def project_of(props: AppOfAppsProps, info: ComponentInfo) -> str:
    """A platform component is its own trust zone (one project each); an environment's applications
    share their environment's project."""
    return f"{props.owner}-{info.name}" if is_cluster(props) else project_name(props, info.layer)


# Argo CD itself: the only component whose project may manage argoproj.io kinds (Applications, projects).
ARGO_CD_COMPONENT = "argo-cd"


def component_project(props: AppOfAppsProps, info: ComponentInfo) -> AppProject:
    """The trust zone of one platform component: exactly its namespaces and the kinds it renders, cluster-
    scoped and namespaced (read from its objects and its chart's); no argoproj.io kind but for Argo CD's."""
    charts = [info.helm.repo_url] if info.helm and argo_renders(info) else []
    spec: AppProjectSpec = {
        "description": f"{props.owner}: {info.name} ({info.layer})",
        "sourceRepos": [props.repo_url, *charts],
        "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in sorted({info.namespace, *info.destinations})],
        "clusterResourceWhitelist": [{"group": g, "kind": k} for g, k in info.cluster_kinds],
        "namespaceResourceWhitelist": [{"group": g, "kind": k} for g, k in info.namespaced_kinds],
    }
    if info.name != ARGO_CD_COMPONENT:
        spec["namespaceResourceBlacklist"] = [{"group": "argoproj.io", "kind": "*"}]
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": project_of(props, info), "namespace": props.argocd_namespace,
                     "labels": {**_labels(props, info.layer), "plate.io/component": info.name},
                     "annotations": {"argocd.argoproj.io/sync-wave": str(PROJECT_WAVE)}},
        "spec": _signed(props, spec),
    }


def _sync_policy(props: AppOfAppsProps, prune: bool, options: list[str]) -> ApplicationSpecSyncPolicy:
    policy: ApplicationSpecSyncPolicy = {
        "automated": {"prune": prune, "selfHeal": True},
        "retry": {"limit": props.retry_limit,
                  "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}},
    }
    if options:
        policy["syncOptions"] = options
    return policy


def argo_renders(info: ComponentInfo) -> bool:
    """A chart that is not vendored is still rendered by Argo CD (the retired ones, until replaced)."""
    return info.helm is not None and info.helm.archive is None


def rendered_chart(info: ComponentInfo) -> bool:
    """A vendored chart: Helm renders it at synth into the component's folder."""
    return info.helm is not None and info.helm.archive is not None


def sources(props: AppOfAppsProps, info: ComponentInfo) -> list[ApplicationSpecSources]:
    """The folder of the component's plain manifests (ours and its rendered chart's; CRDs in crds/ below),
    after the chart if Argo CD still renders it."""
    out: list[ApplicationSpecSources] = []
    helm = info.helm
    if helm and argo_renders(info):
        out.append({"repoURL": helm.repo_url, "chart": helm.chart, "targetRevision": helm.version,
                    "helm": {"releaseName": info.name, "valuesObject": helm.values}})
    if info.has_manifests or info.helm is None or rendered_chart(info):
        source: ApplicationSpecSources = {"repoURL": props.repo_url, "targetRevision": props.revision,
                                          "path": path(props, info.name)}
        if info.provides_crds:  # its CRDs are in crds/ below the folder
            source["directory"] = {"recurse": True}
        out.append(source)
    return out


def application(props: AppOfAppsProps, info: ComponentInfo,
                rendered_namespaces: frozenset[str] = frozenset()) -> Application:
    """The Application of ``info``: ``<owner>-<component>`` in the project of its layer."""
    options = [] if info.namespace in rendered_namespaces | EXISTING_NAMESPACES else ["CreateNamespace=true"]
    if info.server_side_apply:
        options.append("ServerSideApply=true")
    annotations = {"argocd.argoproj.io/sync-wave": str(wave(info)), **props.annotations}
    if info.runtime_secrets:  # for reviewers and the checks: Secrets its workloads create in-cluster
        annotations["plate.io/runtime-secrets"] = ",".join(f"{info.namespace}/{s}" for s in info.runtime_secrets)
    if info.has_manifests:
        # Only a change under the Application's own path refreshes it.
        annotations["argocd.argoproj.io/manifest-generate-paths"] = path(props, info.name) if argo_renders(info) else "."
    # Deleting the Application of Argo CD itself must never take Argo CD down with it.
    policy = _sync_policy(props, props.prune.get(info.name, not info.keep_on_delete), options)
    srcs = sources(props, info)
    meta: ObjectMeta = {
        "name": f"{props.owner}-{info.name}",
        "namespace": props.app_namespace,
        "labels": {**_labels(props, info.layer), "plate.io/component": info.name},
        "annotations": annotations,
    }
    if not info.keep_on_delete:
        meta["finalizers"] = [FINALIZER]
    spec: ApplicationSpec = {
        "project": project_of(props, info),
        "source": srcs[0],
        "sources": srcs,
        "destination": {"server": IN_CLUSTER, "namespace": info.namespace},
        "syncPolicy": policy,
    }
    del spec["sources" if len(srcs) == 1 else "source"]  # one source, or several
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta, "spec": spec}


def app_project(props: AppOfAppsProps, layer: Layer, infos: list[ComponentInfo] | tuple[ComponentInfo, ...],
                description: str | None = None) -> AppProject:
    """The project of one layer of an owner: exactly the namespaces its components deploy to and the
    kinds they render, used only by Applications in the owner's own namespace."""
    namespaces = sorted({ns for i in infos if i.layer == layer for ns in (i.namespace, *i.destinations)})
    charts = sorted({i.helm.repo_url for i in infos if i.layer == layer and i.helm and argo_renders(i)})
    kinds = sorted({k for i in infos if i.layer == layer for k in i.namespaced_kinds})
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {
            "name": project_name(props, layer),
            "namespace": props.argocd_namespace,
            "labels": _labels(props, layer),
            "annotations": {"argocd.argoproj.io/sync-wave": str(PROJECT_WAVE)},
        },
        "spec": _signed(props, {
            "description": description or f"{props.owner}: {layer} layer",
            "sourceRepos": [props.repo_url, *charts],
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in namespaces],
            "clusterResourceWhitelist": [],  # an environment's applications create nothing cluster-scoped
            "namespaceResourceWhitelist": [{"group": g, "kind": k} for g, k in kinds],
            "namespaceResourceBlacklist": [{"group": "argoproj.io", "kind": "*"}],
            "sourceNamespaces": [props.app_namespace],
        }),
    }


def _signed(props: AppOfAppsProps, spec: AppProjectSpec) -> AppProjectSpec:
    """Argo CD syncs only commits signed by these keys (when the cluster signs its rendered branch)."""
    if props.signature_keys:
        spec["signatureKeys"] = [{"keyID": k} for k in props.signature_keys]
    return spec


def _argo_project(props: AppOfAppsProps, name: str, description: str, kinds_: tuple[str, ...],
                  destinations: tuple[str, ...] = ()) -> AppProject:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": name, "namespace": props.argocd_namespace, "labels": _labels(props),
                     "annotations": {"argocd.argoproj.io/sync-wave": str(PROJECT_WAVE)}},
        "spec": _signed(props, {
            "description": description,
            "sourceRepos": [props.repo_url],
            "destinations": [{"server": IN_CLUSTER, "namespace": ns} for ns in destinations or (props.argocd_namespace,)],
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": [{"group": "argoproj.io", "kind": k} for k in kinds_],
        }),
    }


def root_project(props: AppOfAppsProps) -> AppProject:
    """The root may only manage Applications and AppProjects in Argo CD's namespace. It is rendered
    in the root's own path, so the root keeps it as rendered (no drift after bootstrap)."""
    return _argo_project(props, f"{props.owner}-root", f"{props.owner}: the App-of-Apps root",
                         ("Application", "AppProject"))


def environments_project(props: AppOfAppsProps, namespaces: tuple[str, ...]) -> AppProject:
    """The project of the environments' roots: each creates Applications in its environment's own
    namespace (``namespaces``), never in Argo CD's (where an Application may name any project), and
    never AppProjects."""
    return _argo_project(props, f"{props.owner}-environments", f"{props.owner}: the environments' roots",
                         ("Application",), namespaces)


def _root(owner: AppOfAppsProps, project: str, labels: dict[str, str],
          annotations: dict[str, str] | None = None) -> Application:
    """An Application syncing ``owner``'s apps/ folder (the Applications of its components)."""
    meta: ObjectMeta = {"name": f"{owner.owner}-root", "namespace": owner.argocd_namespace, "labels": labels,
                        "annotations": annotations or {}, "finalizers": [FINALIZER]}
    if not annotations:
        del meta["annotations"]
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": meta,
        "spec": {
            "project": project,
            "source": {"repoURL": owner.repo_url, "targetRevision": owner.revision, "path": path(owner, "apps")},
            "destination": {"server": IN_CLUSTER, "namespace": owner.app_namespace},
            "syncPolicy": _sync_policy(owner, True, []),
        },
    }


def root_application(props: AppOfAppsProps) -> Application:
    """The cluster's root: the one Application applied by hand."""
    return _root(props, f"{props.owner}-root", _labels(props))


def environment_root(cluster: AppOfAppsProps, env: AppOfAppsProps) -> Application:
    """The Application that syncs an environment's own apps/ folder, after the cluster's platform."""
    return _root(env, f"{cluster.owner}-environments", {**_labels(cluster), "plate.io/environment": env.owner},
                 {"argocd.argoproj.io/sync-wave": str(ENVIRONMENT_WAVE)})


def _applications(chart: ManifestChart, props: AppOfAppsProps, infos: list[ComponentInfo],
                  rendered_namespaces: frozenset[str]) -> None:
    for info in sorted(infos, key=lambda i: (wave(i), i.name)):
        chart.add(application(props, info, rendered_namespaces))


class ClusterAppsChart(ManifestChart):
    """clusters/<c>/apps: what the cluster's root syncs. Its own project, the platform's projects and
    Applications, and per environment its project and the root Application of its folder."""

    def __init__(self, scope: Construct, props: AppOfAppsProps, infos: list[ComponentInfo],
                 rendered_namespaces: frozenset[str], environments: tuple[EnvironmentRef, ...]):
        super().__init__(scope, "apps")
        self.add(root_project(props))
        for info in sorted(infos, key=lambda i: i.name):
            self.add(component_project(props, info))
        if environments:
            self.add(environments_project(props, tuple(sorted(e.props.app_namespace for e in environments))))
        for env in environments:
            self.add(app_project(env.props, "apps", env.infos, f"{env.props.owner}: its applications"))
        _applications(self, props, infos, rendered_namespaces)
        for env in environments:
            self.add(environment_root(props, env.props))


class EnvironmentAppsChart(ManifestChart):
    """environments/<e>/apps: one Application per component of the environment."""

    def __init__(self, scope: Construct, props: AppOfAppsProps, infos: list[ComponentInfo],
                 rendered_namespaces: frozenset[str]):
        super().__init__(scope, "apps")
        _applications(self, props, infos, rendered_namespaces)


# Kinds a cluster without anything installed already serves: the API groups of Kubernetes itself.
BUILT_IN_GROUPS = frozenset({"", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "policy",
                             "autoscaling", "apiextensions.k8s.io", "admissionregistration.k8s.io",
                             "scheduling.k8s.io", "storage.k8s.io", "coordination.k8s.io"})
BOOTSTRAP_STEPS = ("1-foundation", "2-argo-cd", "3-root")


def built_in(obj: Obj) -> bool:
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return group in BUILT_IN_GROUPS


class BootstrapChart(ManifestChart):
    """One step of clusters/<c>/bootstrap/: what a person applies by hand on an empty cluster, once, in
    order (``kubectl apply --server-side -f`` each folder):

    1. ``1-foundation``: Argo CD's namespace and its CRDs;
    2. ``2-argo-cd``: Argo CD itself, the same objects its own Application then manages (those of
       built-in kinds: its ExternalSecrets, monitors and route follow with that Application, once their
       CRDs are installed), its GnuPG keyring with the signing keys among them;
    3. ``3-root``: the root Application and its project, which then install everything else, Argo CD
       included, from the rendered branch.
    """

    def __init__(self, scope: Construct, step: str, objects: list[Obj], crds: list[Obj] | None = None,
                 texts: dict[int, str] | None = None):
        super().__init__(scope, f"bootstrap-{step}")
        self.folder = f"bootstrap/{step}"
        self.manifests.extend(objects)
        if crds:
            self.manifests.extend(crds)  # in the step's folder itself: applied with it
        self.texts.update(texts or {})


def bootstrap(scope: Construct, props: AppOfAppsProps, namespace: Obj, argo_cd: ManifestChart) -> list[BootstrapChart]:
    """The three steps of a cluster's bootstrap (see ``BootstrapChart``)."""
    crds = list(argo_cd.crds)
    own = [m for m in argo_cd.manifests if built_in(m)]
    root = [cast(Obj, root_project(props)), cast(Obj, root_application(props))]
    return [BootstrapChart(scope, BOOTSTRAP_STEPS[0], [namespace], crds, argo_cd.texts),
            BootstrapChart(scope, BOOTSTRAP_STEPS[1], own, None, argo_cd.texts),
            BootstrapChart(scope, BOOTSTRAP_STEPS[2], root)]
