"""Offline checks of a render, as findings: what `platectl validate` reports.

Replaces `helm lint` / `helm template` of the old deploy scripts: YAML well-formed with no
duplicate keys, built-ins strictly valid for every target Kubernetes version, custom resources
valid against their CRDs, and the project's policy.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

import envs
from platectl import policy, schemas
from platectl.objects import Rendered, StrictLoader

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
RUNTIME_LABELS = {"openbao-active"}  # set on pods by a controller at run time


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning
    env: str
    file: str
    check: str
    message: str


def _pods(objs: list[Rendered]):
    for o in objs:
        if o.kind in WORKLOADS:
            yield o, o.data["spec"]["template"]


def pod_references(workload: dict) -> list[tuple[str, str]]:
    """(kind, name) of every object a workload's pods need to exist in their namespace:
    ServiceAccount, pull Secrets, ConfigMaps and Secrets as volumes or environment, and PVCs
    other than its own claim templates."""
    spec = workload["spec"]["template"]["spec"]
    claims = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
    refs = [("ServiceAccount", spec.get("serviceAccountName", "default"))]
    refs += [("Secret", s["name"]) for s in spec.get("imagePullSecrets", [])]
    for v in spec.get("volumes", []):
        if "configMap" in v:
            refs.append(("ConfigMap", v["configMap"]["name"]))
        if "secret" in v:
            refs.append(("Secret", v["secret"]["secretName"]))
        if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in claims:
            refs.append(("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]))
    for c in spec.get("containers", []):
        for ef in c.get("envFrom", []):
            for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if field in ef:
                    refs.append((kind, ef[field]["name"]))
        for e in c.get("env", []):
            src = e.get("valueFrom", {})
            if "secretKeyRef" in src:
                refs.append(("Secret", src["secretKeyRef"]["name"]))
            if "configMapKeyRef" in src:
                refs.append(("ConfigMap", src["configMapKeyRef"]["name"]))
    return refs


def check_yaml(root: Path, names: list[str]) -> tuple[list[Rendered], list[Finding]]:
    objs, findings = [], []
    for file in sorted(root.glob("*/*/*/*.yaml")):
        rel = file.relative_to(root)
        owner = rel.parts[1]
        if owner not in names:
            continue
        try:
            docs = list(yaml.load_all(file.read_text(), Loader=StrictLoader))
        except yaml.YAMLError as exc:
            findings.append(Finding("error", owner, str(rel), "yaml", str(exc).splitlines()[0]))
            continue
        if len(docs) != 1 or not isinstance(docs[0], dict):
            findings.append(Finding("error", owner, str(rel), "yaml", "expected exactly one object per file"))
            continue
        objs.append(Rendered(owner, rel.parts[2], str(rel), docs[0]))
    return objs, findings


def check_schemas(objs: list[Rendered], versions: tuple[str, ...]) -> list[Finding]:
    out = []
    have_crds = schemas.CRD_DIR.is_dir()
    if not have_crds:
        out.append(Finding("warning", "-", "-", "schema", f"CRD schemas not found at {schemas.CRD_DIR}: "
                                                         "custom resources were not checked"))
    for o in objs:
        if schemas.is_custom(o.data):
            errors = schemas.validate_custom(o.data) if have_crds else []
        else:
            errors = [e for v in versions for e in schemas.validate_builtin(o.data, v)]
        out += [Finding("error", o.env, o.file, "schema", e) for e in errors]
    return out


def check_policy(objs: list[Rendered]) -> list[Finding]:
    out: list[Finding] = []

    def err(o: Rendered, check: str, message: str) -> None:
        out.append(Finding("error", o.env, o.file, check, message))

    platform = envs.load_platform()
    tiers = {name: e.tier for name, e in platform.environments.items()}
    tiers.update({name: "production" if platform.hosts_production(name) else "staging" for name in platform.clusters})
    # references resolve within a cluster: an environment's namespace is rendered by its cluster
    home = {**{n: e.cluster for n, e in platform.environments.items()}, **{n: n for n in platform.clusters}}

    def at(o: Rendered) -> str:
        return home.get(o.env, o.env)

    have = defaultdict(set)
    for o in objs:
        have[(at(o), o.kind, o.namespace)].add(o.name)
        if o.kind == "ExternalSecret":
            have[(at(o), "Secret", o.namespace)].add(o.data["spec"]["target"]["name"])
        if o.kind == "Certificate":
            have[(at(o), "Secret", o.namespace)].add(o.data["spec"]["secretName"])
    for o in objs:
        for finding in policy.secret_literals(o.data):
            err(o, "no-secret-values", finding)
    # root is tolerated only in a namespace whose Pod Security level says why (see namespaces.py)
    justified = {(at(o), o.name) for o in objs if o.kind == "Namespace"
                 and o.data["metadata"].get("annotations", {}).get("plate.io/pod-security-reason")}
    for w, t in _pods(objs):
        spec, ns = t["spec"], w.namespace
        production = tiers.get(w.env) == "production"
        if spec.get("securityContext", {}).get("runAsNonRoot") is not True and (at(w), ns) not in justified:
            err(w, "hardened", "pod does not set runAsNonRoot")
        if spec.get("securityContext", {}).get("seccompProfile", {}).get("type") != "RuntimeDefault":
            err(w, "hardened", "pod does not use the RuntimeDefault seccomp profile")
        for c in spec.get("containers", []):
            ctx = c.get("securityContext", {})
            if ctx.get("allowPrivilegeEscalation") is not False or ctx.get("capabilities", {}).get("drop") != ["ALL"]:
                err(w, "hardened", f"container {c['name']}: privilege escalation allowed or capabilities kept")
            limits = c.get("resources", {}).get("limits", {})
            if "memory" not in limits:
                err(w, "hardened", f"container {c['name']}: no memory limit")
            image = c.get("image", "")
            if production:
                if image.endswith(":latest") or not re.search(r"(:[^/:]+|@sha256:[a-f0-9]{64})$", image):
                    err(w, "pinned-images", f"container {c['name']}: image {image!r} is not pinned")
                if ctx.get("readOnlyRootFilesystem") is not True:
                    err(w, "hardened", f"container {c['name']}: root filesystem is writable")
                if "cpu" not in limits:
                    err(w, "hardened", f"container {c['name']}: no CPU limit")
        for kind, name in pod_references(w.data):
            if name not in have[(at(w), kind, ns)]:
                err(w, "references", f"{kind} {name!r} is neither rendered nor produced by an ExternalSecret")
    templates = [(at(w), w.namespace, t["metadata"].get("labels", {})) for w, t in _pods(objs)]
    services = {(at(o), o.namespace, o.name): o for o in objs if o.kind == "Service"}
    for (env, ns, _), svc in services.items():
        sel = {k: v for k, v in svc.data["spec"].get("selector", {}).items() if k not in RUNTIME_LABELS}
        if sel and not any(e == env and n == ns and sel.items() <= lbl.items() for e, n, lbl in templates):
            err(svc, "references", "Service selects no pod")
    for ing in (o for o in objs if o.kind == "Ingress"):
        for rule in ing.data["spec"].get("rules", []):
            for p in rule.get("http", {}).get("paths", []):
                name = p["backend"]["service"]["name"]
                if (at(ing), ing.namespace, name) not in services:
                    err(ing, "references", f"backend Service {name!r} is not rendered")
        if tiers.get(ing.env) == "production":
            tls = {h for t in ing.data["spec"].get("tls", []) for h in t.get("hosts", [])}
            missing = sorted({r["host"] for r in ing.data["spec"].get("rules", [])} - tls)
            if missing:
                err(ing, "tls", f"hosts served without TLS: {', '.join(missing)}")
    return out


def _sources(app: dict) -> list[dict]:
    spec = app["spec"].get("template", {}).get("spec", app["spec"])
    return spec.get("sources") or [spec["source"]]


def identity(o: Rendered) -> tuple[str, str, str, str]:
    return (o.data.get("apiVersion", "").rpartition("/")[0], o.kind, o.namespace or "", o.name)


def check_delivery(objs: list[Rendered], path_prefix: str = "dist") -> list[Finding]:
    """What Argo CD will do with the render: every cluster has one root (in its bootstrap folder),
    every object is reached from a root through Applications, no object is claimed by two
    Applications, and every Application's path exists."""
    out: list[Finding] = []
    by_folder: dict[str, list[Rendered]] = defaultdict(list)
    for o in objs:
        by_folder[o.file.rpartition("/")[0]].append(o)
    roots = [o for o in objs if o.kind == "Application" and o.component == "bootstrap"]
    clusters = sorted({o.file.split("/")[1] for o in objs if o.file.startswith("clusters/")})
    for cluster in clusters:
        mine = [r for r in roots if r.file.startswith(f"clusters/{cluster}/")]
        if len(mine) != 1:
            out.append(Finding("error", cluster, f"clusters/{cluster}/bootstrap", "delivery",
                               f"expected exactly one root Application, found {len(mine)}"))
    # per cluster: each root deploys to its own cluster, where an object may be claimed once
    claims: dict[tuple, list[str]] = defaultdict(list)
    reached: set[str] = set()
    for root in roots:
        cluster = root.file.split("/")[1]
        queue, seen_apps = [root], set()
        while queue:
            app = queue.pop()
            if app.file in seen_apps:
                continue
            seen_apps.add(app.file)
            for source in _sources(app.data):
                if "path" not in source:
                    continue
                folder = source["path"].removeprefix(f"{path_prefix}/")
                if folder not in by_folder:
                    out.append(Finding("error", app.env, app.file, "delivery",
                                       f"path {source['path']} is not in the render"))
                    continue
                reached.add(folder)
                for o in by_folder[folder]:
                    claims[(cluster, *identity(o))].append(f"{app.name} ({app.file})")
                    if o.kind == "Application":
                        queue.append(o)
    for o in objs:
        folder = o.file.rpartition("/")[0]
        if o.component != "bootstrap" and folder not in reached:
            out.append(Finding("error", o.env, o.file, "delivery", "no Application reaches this object from a root"))
    for (_, *key), apps in sorted(claims.items()):
        ident = tuple(key)
        if len(apps) > 1:
            owner = next(o for o in objs if identity(o) == ident)
            out.append(Finding("error", owner.env, owner.file, "delivery",
                               f"{ident[1]} {ident[2] + '/' if ident[2] else ''}{ident[3]} is claimed by "
                               f"{len(apps)} Applications: {', '.join(sorted(apps))}"))
    return out


def run(root: Path, names: list[str], versions: tuple[str, ...] = schemas.KUBERNETES_VERSIONS) -> tuple[int, list[Finding]]:
    objs, findings = check_yaml(root, names)
    findings += check_schemas(objs, versions)
    findings += check_policy(objs)
    if set(names) >= {p.name for p in root.glob("*/*") if p.is_dir()}:  # reachability needs the whole render
        findings += check_delivery(objs)
    return len(objs), findings
