"""Invariants over the whole render of every environment."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

import envs
from components.argocd.app_of_apps import LAYER_WAVE, wave
from platectl import schemas
from platectl.checks import RUNTIME_LABELS, pod_references
from tests.helpers import Obj

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
ENVS = envs.names()


def pods(objs: list[Obj]):
    for o in objs:
        if o.kind in WORKLOADS:
            yield o, o.data["spec"]["template"]


def sources(app: Obj) -> list[dict]:
    spec = app.data["spec"]
    return spec["sources"] if "sources" in spec else [spec["source"]]


def per_env(objs, env):
    return [o for o in objs if o.env == env]


@pytest.mark.parametrize("env", ENVS)
def test_every_component_has_exactly_one_application_and_every_path_exists(objects, fresh_render, infos, env):
    objs = per_env(objects, env)
    folders = {o.component for o in objs} - {"apps", "bootstrap"}
    apps = [o for o in objs if o.kind == "Application" and o.component == "apps"]
    labelled = sorted(a.data["metadata"]["labels"]["plate.io/component"] for a in apps)
    assert labelled == sorted(infos[env]), "one Application per component"
    for a in apps + [o for o in objs if o.kind == "Application" and o.component == "bootstrap"]:
        srcs = sources(a)
        for source in srcs:
            if "chart" in source:
                assert re.fullmatch(r"v?\d+\.\d+\.\d+", source["targetRevision"]), f"{a.name}: chart not pinned"
                continue
            path = source["path"]
            assert path.startswith("dist/"), path
            assert (fresh_render.parent / path).is_dir(), f"{a.name}: path {path} does not exist in the render"
        has_path = any("path" in s for s in srcs)
        if a.component == "apps":
            assert has_path == (a.data["metadata"]["labels"]["plate.io/component"] in folders), a.name


@pytest.mark.parametrize("env", ENVS)
def test_no_custom_resource_syncs_before_the_application_that_installs_its_crd(objects, infos, env):
    provider = {group: info for info in infos[env].values() for group in info.provides_crds}
    for o in per_env(objects, env):
        if o.component in ("apps", "bootstrap") or not schemas.is_custom(o.data):
            continue
        group = o.data["apiVersion"].rpartition("/")[0]
        assert group in provider, f"{o.file}: no component installs the CRDs of {group}"
        assert wave(provider[group]) < wave(infos[env][o.component]), (
            f"{o.file}: wave {wave(infos[env][o.component])} is not after {provider[group].name} "
            f"(wave {wave(provider[group])}), which installs its CRD")


@pytest.mark.parametrize("env", ENVS)
def test_layers_sync_in_order(infos, env):
    order = list(LAYER_WAVE)
    by_wave = sorted(infos[env].values(), key=wave)
    layers = [order.index(i.layer) for i in by_wave]
    assert layers == sorted(layers)


@pytest.mark.parametrize("env", ENVS)
def test_applications_use_their_layer_project_and_allowed_destinations(objects, env):
    objs = per_env(objects, env)
    projects = {o.name: o.data["spec"] for o in objs if o.kind == "AppProject"}
    for a in (o for o in objs if o.kind == "Application"):
        spec = a.data["spec"]
        assert spec["project"] != "default", a.name
        project = projects[spec["project"]]
        for source in sources(a):
            assert source["repoURL"] in project["sourceRepos"], f"{a.name}: {source['repoURL']} not allowed"
        assert spec["destination"] in project["destinations"], f"{a.name}: destination not allowed by {spec['project']}"
        if a.data["metadata"]["labels"].get("plate.io/component") == "argo-cd":
            # Argo CD managing itself: deleting its Application must not delete Argo CD
            assert "finalizers" not in a.data["metadata"] and spec["syncPolicy"]["automated"]["prune"] is False
        else:
            assert a.data["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
        if a.component == "apps":
            wave = int(a.data["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
            assert LAYER_WAVE[a.data["metadata"]["labels"]["plate.io/layer"]] <= wave


@pytest.mark.parametrize("env", ENVS)
def test_objects_live_in_their_applications_namespace(objects, env):
    objs = per_env(objects, env)
    dest = {a.data["metadata"]["labels"]["plate.io/component"]: a.data["spec"]["destination"]["namespace"]
            for a in objs if a.kind == "Application" and a.component == "apps"}
    for o in objs:
        if o.component in dest and o.namespace is not None:
            assert o.namespace == dest[o.component], f"{o.file}: namespace {o.namespace} != {dest[o.component]}"


@pytest.mark.parametrize("env", ENVS)
def test_every_service_selects_a_pod(objects, env):
    objs = per_env(objects, env)
    templates = [(w.namespace, t["metadata"]["labels"]) for w, t in pods(objs)]
    for svc in (o for o in objs if o.kind == "Service"):
        sel = {k: v for k, v in svc.data["spec"]["selector"].items() if k not in RUNTIME_LABELS}
        assert any(ns == svc.namespace and sel.items() <= labels.items() for ns, labels in templates), svc.file


@pytest.mark.parametrize("env", ENVS)
def test_everything_a_pod_references_is_rendered_or_produced_by_an_external_secret(objects, env):
    objs = per_env(objects, env)
    have = defaultdict(set)
    for o in objs:
        have[(o.kind, o.namespace)].add(o.name)
        if o.kind == "ExternalSecret":
            have[("Secret", o.namespace)].add(o.data["spec"]["target"]["name"])
        if o.kind == "Certificate":  # TLS key pairs, issued in-cluster by cert-manager
            have[("Secret", o.namespace)].add(o.data["spec"]["secretName"])
    for w, t in pods(objs):
        ns, spec = w.namespace, t["spec"]
        claims = {c["metadata"]["name"] for c in w.data["spec"].get("volumeClaimTemplates", [])}
        for c in spec["containers"]:
            for m in c.get("volumeMounts", []):
                assert m["name"] in {v["name"] for v in spec.get("volumes", [])} | claims, f"{w.file}: mount {m['name']}"
        refs = pod_references(w.data)
        for kind, name in refs:
            assert name in have[(kind, ns)], f"{w.file}: {kind} {name!r} is neither rendered nor produced"


def test_no_secret_data_anywhere(objects):
    assert not [o.file for o in objects if o.kind == "Secret"], "Secrets must come from ExternalSecrets"
    for o in objects:
        assert "stringData" not in o.data and not (o.kind == "Secret" and "data" in o.data)


@pytest.mark.parametrize("env", ENVS)
def test_every_pod_is_hardened(objects, env):
    justified = {o.name for o in per_env(objects, env) if o.kind == "Namespace"
                 and o.data["metadata"].get("annotations", {}).get("plate.io/pod-security-reason")}
    for w, t in pods(per_env(objects, env)):
        spec = t["spec"]
        if w.namespace in justified and spec["securityContext"]["runAsNonRoot"] is False:
            # root where its namespace's Pod Security level records why; still no capability at all
            assert all(c["securityContext"]["readOnlyRootFilesystem"] for c in spec["containers"]), w.file
        else:
            assert spec["securityContext"]["runAsNonRoot"] is True, w.file
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, w.file
        if spec["automountServiceAccountToken"]:
            bound = [o for o in objects if o.env == env and o.kind in ("RoleBinding", "ClusterRoleBinding")
                     and {"kind": "ServiceAccount", "name": spec["serviceAccountName"], "namespace": w.namespace}
                     in o.data["subjects"]]
            assert bound, f"{w.file}: mounts a service-account token it has no RBAC use for"
        for c in spec["containers"]:
            ctx = c["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"] == {"drop": ["ALL"]}, w.file
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], w.file
            assert "livenessProbe" in c and "readinessProbe" in c, w.file


def test_production_is_hardened_pinned_replicated_and_tls_everywhere(objects):
    prod = per_env(objects, "production")
    for w, t in pods(prod):
        for c in t["spec"]["containers"]:
            image = c["image"]
            assert "@sha256:" in image or re.search(r":[^/:]+$", image), f"{w.file}: untagged image {image}"
            assert not image.endswith(":latest"), f"{w.file}: latest image"
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, w.file
            assert {"cpu", "memory"} <= c["resources"]["limits"].keys(), w.file
    for name in ("plate-web", "plate-server"):
        hpa = [o for o in prod if o.kind == "HorizontalPodAutoscaler" and o.name == name]
        deploy = next(o for o in prod if o.kind == "Deployment" and o.name == name)
        floor = hpa[0].data["spec"]["minReplicas"] if hpa else deploy.data["spec"]["replicas"]
        assert floor >= 2, name
    for ing in (o for o in prod if o.kind == "Ingress"):
        tls_hosts = {h for t in ing.data["spec"].get("tls", []) for h in t["hosts"]}
        assert {r["host"] for r in ing.data["spec"]["rules"]} <= tls_hosts, ing.file


@pytest.mark.parametrize("env", ENVS)
def test_every_namespace_is_rendered_with_pod_security_and_a_reason_below_restricted(objects, env):
    objs = per_env(objects, env)
    namespaces = {o.name: o.data["metadata"] for o in objs if o.kind == "Namespace"}
    used = {o.namespace for o in objs if o.namespace} | {
        a.data["spec"]["destination"]["namespace"] for a in objs if a.kind == "Application" and a.component == "apps"}
    assert used - {"default", "argocd"} <= set(namespaces), "namespace used but not rendered"
    for name, md in namespaces.items():
        level = md["labels"]["pod-security.kubernetes.io/enforce"]
        assert md["labels"]["pod-security.kubernetes.io/warn"] == level
        if level != "restricted":
            assert md["annotations"]["plate.io/pod-security-reason"], name
    plate = envs.load(env).namespace
    assert namespaces[plate]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_no_application_creates_a_namespace(objects):
    for a in (o for o in objects if o.kind == "Application"):
        assert "CreateNamespace=true" not in a.data["spec"]["syncPolicy"].get("syncOptions", []), a.file


@pytest.mark.parametrize("env", ENVS)
def test_ingress_backends_exist(objects, env):
    objs = per_env(objects, env)
    services = {(o.namespace, o.name): o.data for o in objs if o.kind == "Service"}
    for ing in (o for o in objs if o.kind == "Ingress"):
        for rule in ing.data["spec"]["rules"]:
            for p in rule["http"]["paths"]:
                backend = p["backend"]["service"]
                svc = services.get((ing.namespace, backend["name"]))
                assert svc, f"{ing.file}: no Service {backend['name']}"
                assert backend["port"]["name"] in {port["name"] for port in svc["spec"]["ports"]}


@pytest.mark.parametrize("env", ENVS)
def test_network_flows_are_open_on_both_ends(objects, env):
    """An egress rule to a workload is useless unless that workload's policy admits the caller."""
    objs = per_env(objects, env)
    policies = {o.name: o.data["spec"] for o in objs if o.kind == "NetworkPolicy"}
    for name, spec in policies.items():
        for rule in spec.get("egress", []):
            for peer in rule["to"]:
                target = peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                if not target or "namespaceSelector" in peer:
                    continue
                callers = [p["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
                           for r in policies[target].get("ingress", []) for p in r["from"] if "podSelector" in p]
                assert name in callers, f"{name} -> {target}: {target}'s policy does not admit {name}"


def test_names_are_hand_picked_not_hashed(objects):
    for o in objects:
        assert not re.search(r"-[0-9a-f]{8}$", o.name), o.file
        for k in o.data["metadata"].get("labels", {}):
            assert not k.startswith("cdk8s.io/"), o.file


@pytest.mark.parametrize("env", ENVS)
def test_cluster_scoped_objects_are_allowed_by_their_layer_project(objects, infos, env):
    objs = per_env(objects, env)
    projects = {o.data["metadata"]["labels"]["plate.io/layer"]: o.data["spec"]["clusterResourceWhitelist"]
                for o in objs if o.kind == "AppProject" and o.component == "apps"}
    for o in objs:
        if o.namespace is not None or o.component in ("apps", "bootstrap"):
            continue
        allowed = projects[infos[env][o.component].layer]
        group = o.data["apiVersion"].rpartition("/")[0]
        assert {"group": "*", "kind": "*"} in allowed or {"group": group, "kind": o.kind} in allowed, (
            f"{o.file}: {o.kind} is cluster-scoped but the {infos[env][o.component].layer} project forbids it")
