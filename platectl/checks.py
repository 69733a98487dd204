"""Offline checks of a render, as findings: what `platectl validate` reports.

Replaces `helm lint` / `helm template` of the old deploy scripts: YAML well-formed with no
duplicate keys, built-ins strictly valid for every target Kubernetes version, custom resources
valid against their CRDs, and the project's policy.
"""
from __future__ import annotations

import multiprocessing
import os
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

import envs
from output import cache
from output.objects import Rendered, StrictLoader
from platectl import podsecurity, policy, schemas

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
OURS = ("app.kubernetes.io/managed-by", "cdk8s")  # our objects (the charts' say Helm)
RUNTIME_LABELS = {"openbao-active"}  # set on pods by a controller at run time
RUNTIME_SECRETS = "plate.io/runtime-secrets"  # on an Application: Secrets its component creates in-cluster
# Pods a controller creates from a custom resource, and the labels it gives them (the Prometheus
# Operator's contract), so that Services selecting them select something.
CONTROLLER_PODS = {
    "Prometheus": lambda name: {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": name,
                                "app.kubernetes.io/managed-by": "prometheus-operator", "prometheus": name,
                                "operator.prometheus.io/name": name},
    "Alertmanager": lambda name: {"app.kubernetes.io/name": "alertmanager", "app.kubernetes.io/instance": name,
                                  "app.kubernetes.io/managed-by": "prometheus-operator", "alertmanager": name},
}


@dataclass(frozen=True)
class Finding:
    level: str  # error | warning
    env: str
    file: str
    check: str
    message: str


def _pods(objs: list[Rendered]):
    for o in objs:
        template = podsecurity.pod_template(o.data) if o.kind in WORKLOADS else None
        if template:
            yield o, template


def ours(o: Rendered) -> bool:
    return (o.data["metadata"].get("labels") or {}).get(OURS[0]) == OURS[1]


def pod_references(workload: dict) -> list[tuple[str, str]]:
    """(kind, name) of every object a workload's pods need to exist in their namespace:
    ServiceAccount, pull Secrets, ConfigMaps and Secrets as volumes or environment, and PVCs
    other than its own claim templates."""
    spec = (podsecurity.pod_template(workload) or {}).get("spec") or {}
    claims = {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
    # every namespace has the ServiceAccount "default" (its controller creates it)
    refs = [("ServiceAccount", spec["serviceAccountName"])] if spec.get("serviceAccountName", "default") != "default" else []
    refs += [("Secret", s["name"]) for s in spec.get("imagePullSecrets", [])]
    # a reference marked optional may be missing: the pod starts without it
    for v in spec.get("volumes", []):
        if "configMap" in v and not v["configMap"].get("optional"):
            refs.append(("ConfigMap", v["configMap"]["name"]))
        if "secret" in v and not v["secret"].get("optional"):
            refs.append(("Secret", v["secret"]["secretName"]))
        if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in claims:
            refs.append(("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]))
        for source in (v.get("projected") or {}).get("sources", []):
            for kind, field in (("ConfigMap", "configMap"), ("Secret", "secret")):
                if field in source and not source[field].get("optional"):
                    refs.append((kind, source[field]["name"]))
    for c in [*spec.get("initContainers", []), *spec.get("containers", [])]:
        for ef in c.get("envFrom", []):
            for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if field in ef and not ef[field].get("optional"):
                    refs.append((kind, ef[field]["name"]))
        for e in c.get("env", []):
            src = e.get("valueFrom", {})
            for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                if field in src and not src[field].get("optional"):
                    refs.append((kind, src[field]["name"]))
    return refs


def check_yaml(root: Path, names: list[str]) -> tuple[list[Rendered], list[Finding]]:
    files = [f for f in sorted(root.glob("*/*/*/**/*.yaml")) if f.relative_to(root).parts[1] in names]
    return _load(root, files)


def _load(root: Path, files: list[Path]) -> tuple[list[Rendered], list[Finding]]:
    objs, findings = [], []
    for file in files:
        rel = file.relative_to(root)
        owner = rel.parts[1]
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


def _clusters() -> dict[str, str]:
    """Owner (cluster or environment) -> the cluster it runs on."""
    platform = envs.load_platform()
    return {**{n: e.cluster for n, e in platform.environments.items()}, **{n: n for n in platform.clusters}}


def check_schemas(objs: list[Rendered], versions: tuple[str, ...] | None = None) -> list[Finding]:
    """Built-ins strictly at the Kubernetes version each cluster declares (or at ``versions``); custom
    resources against the CRDs the render installs on their cluster (``../shared/crds`` for the kinds
    no vendored chart installs yet)."""
    targets = _targets(versions)
    return [*_custom_findings(objs), *(f for o in objs if not schemas.is_custom(o.data)
                                       for f in _builtin_findings(o, targets))]


def _custom_findings(objs: list[Rendered]) -> list[Finding]:
    platform = envs.load_platform()
    home = _clusters()
    wanted = {(o.data["apiVersion"], o.kind) for o in objs if schemas.is_custom(o.data)}
    rendered = {c: schemas.schemas_of((o.data for o in objs if o.kind == "CustomResourceDefinition"
                                       and home.get(o.env) == c), wanted) for c in platform.clusters}
    return [Finding("error", o.env, o.file, "schema", e) for o in objs if schemas.is_custom(o.data)
            for e in schemas.validate_custom(o.data, rendered=rendered.get(home.get(o.env)))]


def _targets(versions: tuple[str, ...] | None) -> dict[str, tuple[str, ...]]:
    """Owner -> the Kubernetes versions its built-ins are checked at."""
    platform = envs.load_platform()
    return {owner: versions or ((schemas.declared(platform.clusters[cluster].kubernetes_version),)
                                if cluster in platform.clusters else schemas.KUBERNETES_VERSIONS)
            for owner, cluster in _clusters().items()}


def _builtin_findings(o: Rendered, targets: dict[str, tuple[str, ...]]) -> list[Finding]:
    return [Finding("error", o.env, o.file, "schema", e)
            for v in targets.get(o.env, schemas.KUBERNETES_VERSIONS) for e in schemas.validate_builtin(o.data, v)]


VALIDATED = cache.ROOT / "validated"


def _validated_key(text: bytes, versions: tuple[str, ...]) -> str:
    import hashlib
    from importlib.metadata import version

    return hashlib.sha256(b"\0".join([text, ",".join(versions).encode(),
                                       version("kubernetes-validate").encode()])).hexdigest()


def _load_and_check(root: str, files: list[str], targets: dict[str, tuple[str, ...]]):
    """A worker's share: read its files strictly and check their built-ins (the costly part of a check).
    A file whose exact bytes passed at the same versions before is not checked again (the CRDs'
    schemas are most of the cost; ``.cache/validated`` remembers passes only, never failures)."""
    objs, findings = _load(Path(root), [Path(f) for f in files])
    for o in objs:
        if schemas.is_custom(o.data):
            continue
        versions = targets.get(o.env, schemas.KUBERNETES_VERSIONS)
        marker = VALIDATED / _validated_key((Path(root) / o.file).read_bytes(), versions)
        if marker.exists():
            continue
        found = _builtin_findings(o, targets)
        findings += found
        if not found:
            try:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.touch()
            except OSError:
                pass  # a read-only checkout checks without the cache
    return objs, findings


def check_policy(objs: list[Rendered]) -> list[Finding]:
    out: list[Finding] = []

    def err(o: Rendered, check: str, message: str) -> None:
        out.append(Finding("error", o.env, o.file, check, message))

    def warn(o: Rendered, check: str, message: str) -> None:
        out.append(Finding("warning", o.env, o.file, check, message))

    platform = envs.load_platform()
    tiers = {name: e.tier for name, e in platform.environments.items()}
    tiers.update({name: "production" if platform.hosts_production(name) else "staging" for name in platform.clusters})
    # references resolve within a cluster: an environment's namespace is rendered by its cluster
    home = _clusters()

    def at(o: Rendered) -> str:
        return home.get(o.env, o.env)

    have = defaultdict(set)
    for o in objs:
        have[(at(o), o.kind, o.namespace)].add(o.name)
        if o.kind == "ExternalSecret":
            have[(at(o), "Secret", o.namespace)].add(o.data["spec"]["target"]["name"])
        if o.kind == "Certificate":
            have[(at(o), "Secret", o.namespace)].add(o.data["spec"]["secretName"])
        if o.kind == "Application" and RUNTIME_SECRETS in (o.data["metadata"].get("annotations") or {}):
            for ref in o.data["metadata"]["annotations"][RUNTIME_SECRETS].split(","):
                have[(at(o), "Secret", ref.partition("/")[0])].add(ref.partition("/")[2])
    for o in objs:
        for finding in policy.secret_literals(o.data):
            err(o, "no-secret-values", finding)
    # root is tolerated only in a namespace whose Pod Security level says why (see namespaces.py)
    justified = {(at(o), o.name) for o in objs if o.kind == "Namespace"
                 and o.data["metadata"].get("annotations", {}).get("plate.io/pod-security-reason")}
    enforce = {(at(o), o.name): (o.data["metadata"].get("labels") or {}).get(podsecurity.ENFORCE_LABEL, "privileged")
               for o in objs if o.kind == "Namespace"}
    for w, t in _pods(objs):
        # what the namespace's Pod Security admission would refuse (namespaces the render does not create,
        # such as kube-system, keep the cluster's default: privileged)
        for problem in podsecurity.violations(t, enforce.get((at(w), w.namespace), "privileged")):
            err(w, "pod-security", f"namespace {w.namespace} enforces {enforce[(at(w), w.namespace)]}: {problem}")
        for kind, name in pod_references(w.data):
            if name not in have[(at(w), kind, w.namespace)]:
                err(w, "references", f"{kind} {name!r} is neither rendered nor produced by an ExternalSecret")
        if not ours(w):
            continue  # an upstream chart's pods: held to their namespace's Pod Security level (above)
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
                elif "@sha256:" not in image:  # a tag can be pushed again; a digest names one image
                    warn(w, "image-digests", f"container {c['name']}: image {image!r} is pinned by tag only "
                                             "(platectl images pin)")
                if ctx.get("readOnlyRootFilesystem") is not True:
                    err(w, "hardened", f"container {c['name']}: root filesystem is writable")
                if "cpu" not in limits:
                    err(w, "hardened", f"container {c['name']}: no CPU limit")
    templates = [(at(w), w.namespace, (t.get("metadata") or {}).get("labels") or {}) for w, t in _pods(objs)]
    templates += [(at(o), o.namespace, {**CONTROLLER_PODS[o.kind](o.name),
                                        **((o.data["spec"].get("podMetadata") or {}).get("labels") or {})})
                  for o in objs if o.kind in CONTROLLER_PODS and o.data.get("apiVersion", "").startswith("monitoring.")]
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


# Services that are never behind a route (components.routing: the internal audience).
INTERNAL_APPS = frozenset({"prometheus", "alertmanager", "openbao"})
AUDIENCE, AUTH = "plate.io/audience", "plate.io/auth"


def check_edge(objs: list[Rendered]) -> list[Finding]:
    """The Gateway and its routes: no Ingress anywhere; every HTTPRoute on a listener that exists and
    admits its namespace, for that listener's host, to Services and ports that exist; every route
    declares its audience; an operators' route has single sign-on (a SecurityPolicy with OIDC in front
    of it, or the tool's own OIDC login with a Dex client that returns to its host); nothing internal
    (Prometheus, Alertmanager, OpenBao) is behind a route."""
    import yaml

    out: list[Finding] = []

    def err(o: Rendered, message: str) -> None:
        out.append(Finding("error", o.env, o.file, "edge", message))

    home = _clusters()
    for o in objs:
        if o.kind == "Ingress":
            err(o, "an Ingress: the platform's edge is the Gateway API (ingress-nginx is retired)")
    gateways = {(home.get(o.env), o.namespace, o.name): o for o in objs if o.kind == "Gateway"}
    services = {(home.get(o.env), o.namespace, o.name): o for o in objs if o.kind == "Service"}
    policies = {(home.get(o.env), o.namespace, ref["name"]) for o in objs if o.kind == "SecurityPolicy"
                and (o.data["spec"].get("oidc") or {}).get("provider")
                for ref in o.data["spec"].get("targetRefs", []) if ref.get("kind") == "HTTPRoute"}
    redirects: dict[str | None, set[str]] = defaultdict(set)  # cluster -> hosts Dex's clients return to
    for o in objs:
        if o.kind == "ExternalSecret" and o.name == "dex-config":
            config = yaml.safe_load(o.data["spec"]["target"]["template"]["data"]["config.yaml"])
            for client in config.get("staticClients", []):
                redirects[home.get(o.env)].update(uri.split("/")[2] for uri in client.get("redirectURIs", []))
    for route in (o for o in objs if o.kind == "HTTPRoute"):
        cluster, spec = home.get(route.env), route.data["spec"]
        annotations = route.data["metadata"].get("annotations") or {}
        checked = any(c == cluster for c, _, _ in gateways)  # an environment checked alone: its cluster's not here
        for parent in spec.get("parentRefs", []) if checked else []:
            gateway = gateways.get((cluster, parent.get("namespace", route.namespace), parent["name"]))
            if gateway is None:
                err(route, f"parent Gateway {parent.get('namespace', route.namespace)}/{parent['name']} is not rendered")
                continue
            listener = next((x for x in gateway.data["spec"]["listeners"] if x["name"] == parent.get("sectionName")),
                            None)
            if listener is None:
                err(route, f"Gateway {gateway.name} has no listener {parent.get('sectionName')!r}")
                continue
            allowed = listener.get("allowedRoutes", {}).get("namespaces", {})
            admits = (allowed.get("from") == "All" or allowed.get("from", "Same") == "Same"
                      and route.namespace == gateway.namespace or allowed.get("from") == "Selector"
                      and allowed["selector"]["matchLabels"].get("kubernetes.io/metadata.name") == route.namespace)
            if not admits:
                err(route, f"listener {listener['name']} does not admit routes from {route.namespace}")
            if listener.get("hostname") and spec.get("hostnames", [listener["hostname"]]) != [listener["hostname"]]:
                err(route, f"hostnames {spec.get('hostnames')} on the listener for {listener['hostname']}")
            if listener["name"] == "http":
                continue  # the redirect to HTTPS
            audience, auth = annotations.get(AUDIENCE), annotations.get(AUTH)
            if audience not in ("public", "operators"):
                err(route, f"no audience ({AUDIENCE}: public or operators)")
            elif audience == "operators" and auth == "gateway-oidc" and (cluster, route.namespace, route.name) \
                    not in policies:
                err(route, "an operators' route without the SecurityPolicy (OIDC) that should guard it")
            elif audience == "operators" and auth == "native-oidc" and listener["hostname"] not in redirects[cluster]:
                err(route, "an operators' route whose tool logs in through Dex, but no Dex client returns to "
                           f"{listener['hostname']}")
            elif audience == "operators" and auth not in ("gateway-oidc", "native-oidc"):
                err(route, f"an operators' route without single sign-on ({AUTH}: {auth})")
        for rule in spec.get("rules", []):
            for backend in rule.get("backendRefs", []):
                key = (cluster, backend.get("namespace", route.namespace), backend["name"])
                svc = services.get(key)
                if svc is None:
                    err(route, f"backend Service {key[1]}/{key[2]} is not rendered")
                    continue
                if backend.get("port") not in {p["port"] for p in svc.data["spec"]["ports"]}:
                    err(route, f"backend Service {key[2]} has no port {backend.get('port')}")
                names = {v for k, v in (svc.data["spec"].get("selector") or {}).items() if k.endswith("name")}
                if names & INTERNAL_APPS or svc.namespace == "openbao":
                    err(route, f"Service {key[2]} is internal (Prometheus, Alertmanager, OpenBao): no route may reach it")
    return out


def check_network(objs: list[Rendered]) -> list[Finding]:
    """Every namespace the render creates denies all traffic by default (a NetworkPolicy selecting every
    pod, for ingress and egress, that allows nothing); the flows are opened by further policies."""
    home = _clusters()
    denied = {(home.get(o.env), o.namespace) for o in objs if o.kind == "NetworkPolicy"
              and o.data["spec"].get("podSelector") == {}
              and set(o.data["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
              and not o.data["spec"].get("ingress") and not o.data["spec"].get("egress")}
    return [Finding("error", o.env, o.file, "network", f"namespace {o.name} has no default-deny NetworkPolicy")
            for o in objs if o.kind == "Namespace" and (home.get(o.env), o.name) not in denied]


def _sources(app: dict) -> list[dict]:
    spec = app["spec"].get("template", {}).get("spec", app["spec"])
    return spec.get("sources") or ([spec["source"]] if "source" in spec else [])


def _matches(pattern: str, value: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


def permitted(project: dict, o: Rendered) -> str | None:
    """Why Argo CD would refuse to sync ``o`` under ``project`` (AppProject), or None."""
    spec = project["spec"]
    group = o.data.get("apiVersion", "").rpartition("/")[0]

    def listed(entries) -> bool:
        return any(_matches(e.get("group", ""), group) and _matches(e.get("kind", ""), o.kind) for e in entries or [])

    if not o.namespace:
        if not listed(spec.get("clusterResourceWhitelist")):
            return f"project {project['metadata']['name']} does not permit the cluster-scoped {o.kind}"
        return None
    if not any(_matches(d.get("namespace", ""), o.namespace) for d in spec.get("destinations", [])):
        return f"project {project['metadata']['name']} does not permit namespace {o.namespace}"
    if "namespaceResourceWhitelist" in spec and not listed(spec["namespaceResourceWhitelist"]):
        return f"project {project['metadata']['name']} does not permit {o.kind}"
    if listed(spec.get("namespaceResourceBlacklist")):
        return f"project {project['metadata']['name']} forbids {o.kind}"
    return None


def binds_people(app: Rendered, o: Rendered) -> str | None:
    """Only the platform's base (the cluster-services layer) binds roles to users and groups; elsewhere a
    group may be bound to the read-only ``view`` role and nothing else (ServiceAccounts are the
    components' own business, bounded by their projects)."""
    if o.kind not in ("ClusterRoleBinding", "RoleBinding"):
        return None
    people = [s for s in o.data.get("subjects") or [] if s.get("kind") in ("User", "Group")]
    layer = app.data["metadata"].get("labels", {}).get("plate.io/layer")
    if people and layer != "cluster-services" and o.data.get("roleRef", {}).get("name") != "view":
        return (f"binds {o.data['roleRef']['name']} to {people[0]['kind']} {people[0]['name']}: only the platform's "
                "base may bind roles to people (others: view)")
    return None


def identity(o: Rendered) -> tuple[str, str, str, str]:
    return (o.data.get("apiVersion", "").rpartition("/")[0], o.kind, o.namespace or "", o.name)


def _source_namespace(app: Rendered, argocd_namespace: str, project: dict | None) -> str | None:
    """Argo CD lets an Application outside its own namespace use a project only if the project admits
    that namespace (``sourceNamespaces``): rights go with where an Application lives."""
    import fnmatch

    namespace = app.namespace or argocd_namespace
    if namespace == argocd_namespace or project is None:
        return None
    admitted = project["spec"].get("sourceNamespaces") or []
    if not any(fnmatch.fnmatchcase(namespace, pattern) for pattern in admitted):
        return (f"Application {app.name} lives in namespace {namespace}, which project "
                f"{app.data['spec'].get('project')!r} does not admit (sourceNamespaces: "
                f"{', '.join(admitted) or 'none'}): Argo CD refuses it")
    return None


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
    projects = {(o.file.split("/")[1], o.name): o.data for o in objs
                if o.kind == "AppProject" and o.file.startswith("clusters/")}
    reached: set[str] = set()
    for root in roots:
        cluster = root.file.split("/")[1]
        queue, seen_apps = [root], set()
        while queue:
            app = queue.pop()
            if app.file in seen_apps:
                continue
            seen_apps.add(app.file)
            problem = _source_namespace(app, root.namespace or "", projects.get((cluster, app.data["spec"].get("project"))))
            if problem:
                out.append(Finding("error", app.env, app.file, "project", problem))
            for source in _sources(app.data):
                if "path" not in source:
                    continue
                folder = source["path"].removeprefix(f"{path_prefix}/")
                below = [f for f in by_folder if f.startswith(folder + "/")]
                if folder not in by_folder and not below:
                    out.append(Finding("error", app.env, app.file, "delivery",
                                       f"path {source['path']} is not in the render"))
                    continue
                folders = [f for f in [folder, *(below if (source.get("directory") or {}).get("recurse") else [])]
                           if f in by_folder]
                reached.update(folders)
                project = projects.get((cluster, app.data["spec"].get("project")))
                for o in (o for f in folders for o in by_folder[f]):
                    claims[(cluster, *identity(o))].append(f"{app.name} ({app.file})")
                    problem = permitted(project, o) if project else f"project {app.data['spec'].get('project')!r} " \
                                                                      "is not rendered"
                    problem = problem or binds_people(app, o)
                    if problem:
                        out.append(Finding("error", o.env, o.file, "project",
                                           f"Application {app.name}: {problem}"))
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


PARALLEL_FROM = 300  # files: below, a worker's start-up costs more than it saves


def _related(names: list[str]) -> list[str]:
    """``names`` with what their checks read: an environment's cluster (its CRDs, the Applications that
    reach it) and that cluster's other environments (the namespaces' policies live with them)."""
    home = _clusters()
    clusters = {home[n] for n in names if n in home}
    return sorted({*names, *clusters, *(e for e, c in home.items() if c in clusters)})


def run(root: Path, names: list[str], versions: tuple[str, ...] | None = None) -> tuple[int, list[Finding]]:
    """Check the render of ``names``; the rest of their clusters is read as their context, so checking one
    environment finds exactly what checking everything finds for it."""
    asked = set(names)
    names = _related(names)
    files = [f for f in sorted(root.glob("*/*/*/**/*.yaml")) if f.relative_to(root).parts[1] in names]
    workers = min(os.cpu_count() or 1, 4)
    if len(files) < PARALLEL_FROM or workers < 2:
        objs, findings = _load(root, files)
        findings += check_schemas(objs, versions)
    else:
        # reading and the built-ins' schemas in worker processes (the CRDs are megabytes), split by size
        targets = _targets(versions)
        shares: list[list[str]] = [[] for _ in range(workers)]
        sizes = [0] * workers
        for f in sorted(files, key=lambda f: -f.stat().st_size):
            i = sizes.index(min(sizes))
            shares[i].append(str(f))
            sizes[i] += f.stat().st_size
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_load_and_check, [str(root)] * workers, shares, [targets] * workers))
        order = {str(f.relative_to(root)): i for i, f in enumerate(files)}
        objs = sorted((o for r in results for o in r[0]), key=lambda o: order[o.file])
        findings = sorted((f for r in results for f in r[1]), key=lambda f: order.get(f.file, -1))
        findings += _custom_findings(objs)
    findings += check_policy(objs)
    findings += check_edge(objs)
    findings += check_network(objs)
    if set(names) >= {p.name for p in root.glob("*/*") if p.is_dir()}:  # reachability needs the whole render
        findings += check_delivery(objs)
    findings += check_support(names)
    return sum(o.env in asked for o in objs), [f for f in findings if f.env in asked or f.env == "platform"]


def check_support(names: list[str], today: date | None = None) -> list[Finding]:
    """A warning for each pin past its upstream end of support (components/support.py): the platform's
    own pins once, a cluster's Kubernetes version for that cluster."""
    from platectl import versions

    out = []
    for v in versions.past_support(today or date.today()):
        pin = v.pin
        owner = pin.file.removeprefix("cluster ") if pin.kind == "kubernetes" else "platform"
        if pin.kind == "kubernetes" and owner not in names:
            continue
        where = "kubernetes_version" if pin.kind == "kubernetes" else pin.file
        out.append(Finding("warning", owner, where, "support",
                           f"{pin.name} {pin.version} is {v.text}; see {v.source}"))
    return out
