"""The base every component builds on: one chart per component, one API object per manifest.

Each Kubernetes object is built as a plain dict and crosses into the jsii runtime once
(``Manifest``), which keeps the render fast; the shapes are checked in tests against the
Kubernetes 1.27 schemas and the CRDs in ``../shared/crds``. ``apiVersion``/``kind`` come from the
typed bindings (``cdk8s_plus_27.k8s`` for built-ins, ``imports/`` for custom resources).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import cdk8s
from constructs import Construct

Layer = Literal["cluster-services", "tools", "apps"]

PART_OF = "plate"
MANAGED_BY = "cdk8s"


@dataclass(frozen=True)
class HelmSource:
    """An upstream chart installed by Argo CD; ``values`` become the Application's valuesObject."""

    repo_url: str
    chart: str
    version: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ComponentInfo:
    """What the App-of-Apps rule needs to know about a component."""

    name: str
    layer: Layer
    rank: int  # order inside the layer: providers of CRDs or secrets first
    namespace: str
    namespace_rendered: bool  # True when some component renders this Namespace object
    helm: HelmSource | None = None  # None: the source is the component's folder in dist/
    server_side_apply: bool = False  # for charts whose CRDs exceed the client-side apply annotation limit
    namespace_labels: dict[str, str] = field(default_factory=dict)  # set on a namespace Argo CD creates
    provides_crds: tuple[str, ...] = ()  # API groups whose CRDs this component installs


class Manifest(cdk8s.ApiObject):
    """An API object whose whole body is given as one dict."""

    def __init__(self, scope: Construct, manifest: dict):
        metadata = manifest["metadata"]
        super().__init__(
            scope, f"{manifest['kind']}.{metadata['name']}",
            api_version=manifest["apiVersion"], kind=manifest["kind"],
            metadata=cdk8s.ApiObjectMetadata(name=metadata["name"]),
        )
        self.manifest = manifest

    def to_json(self) -> dict:  # called back by cdk8s at synth time
        return self.manifest


class Component(cdk8s.Chart):
    """A platform component: one folder in dist/<env>/ and one Argo CD Application."""

    layer: ClassVar[Layer]
    rank: ClassVar[int]

    def __init__(self, scope: Construct, name: str, namespace: str, *, namespace_rendered: bool = False,
                 namespace_labels: dict[str, str] | None = None):
        super().__init__(scope, name, disable_resource_name_hashes=True)
        self.info = ComponentInfo(name, self.layer, self.rank, namespace, namespace_rendered,
                                  namespace_labels=dict(namespace_labels or {}))
        self.manifests: list[dict] = []

    def add(self, manifest: dict) -> dict:
        Manifest(self, manifest)
        self.manifests.append(manifest)
        return manifest


def labels(name: str, role: str, version: str | None = None) -> dict[str, str]:
    """The recommended ``app.kubernetes.io/*`` labels, in a fixed order."""
    out = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": role,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if version:
        out["app.kubernetes.io/version"] = version
    return out


def selector(name: str) -> dict[str, str]:
    """Selector labels: stable across releases, so never the version."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def metadata(name: str, namespace: str | None, lbls: dict[str, str], annotations: dict[str, str] | None = None) -> dict:
    md: dict = {"name": name}
    if namespace is not None:
        md["namespace"] = namespace
    md["labels"] = dict(lbls)
    if annotations:
        md["annotations"] = dict(annotations)
    return md


def content_hash(value: object) -> str:
    """A stable checksum of a JSON-able value (used to roll pods when their config changes)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def pod_security(level: str) -> dict[str, str]:
    """Pod Security Admission labels: ``level`` enforced, audited and warned."""
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}


class HelmRelease(Construct):
    """A component installed from an upstream Helm chart: nothing in dist/ but its Application.

    Subclasses set ``layer``, ``rank``, ``chart`` (a versions.Chart) and build ``values()`` from
    their typed props.
    """

    layer: ClassVar[Layer]
    rank: ClassVar[int]
    server_side_apply: ClassVar[bool] = False
    provides_crds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, scope: Construct, name: str, namespace: str, chart, values: dict, *,
                 pod_security_level: str = "restricted"):
        super().__init__(scope, name)
        self.info = ComponentInfo(
            name, self.layer, self.rank, namespace, namespace_rendered=False,
            helm=HelmSource(chart.repo_url, chart.name, chart.version, values),
            server_side_apply=self.server_side_apply,
            namespace_labels=pod_security(pod_security_level),
            provides_crds=self.provides_crds,
        )
