"""Invariants over the whole render of every cluster, with the environments that run on it."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

import envs
from components.argocd.app_of_apps import LAYER_WAVE, wave
from platectl import checks, podsecurity, schemas
from platectl.checks import check_delivery
from tests.helpers import Obj, on_cluster

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
CLUSTERS = envs.cluster_names()


def pods(objs: list[Obj], ours_only: bool = True):
    """Workloads and their pod templates: ours (the charts' are held to their namespace's Pod Security
    level by ``test_every_pod_passes_its_namespaces_pod_security``)."""
    for o in objs:
        if o.kind in WORKLOADS and (not ours_only or checks.ours(o)):
            yield o, podsecurity.pod_template(o.data)


def sources(app: Obj) -> list[dict]:
    spec = app.data["spec"]
    return spec["sources"] if "sources" in spec else [spec["source"]]


@pytest.fixture
def per_cluster(objects, platform):
    return lambda cluster: on_cluster(objects, platform, cluster)


def component_apps(objs: list[Obj]) -> list[Obj]:
    """Applications that deploy a component (not the roots of clusters and environments)."""
    return [o for o in objs if o.kind == "Application" and "plate.io/component" in o.data["metadata"]["labels"]]


def test_the_shipped_platform_is_one_cluster_hosting_staging_and_production(platform, objects):
    assert sorted(platform.clusters) == ["shared"]
    located = {e.name: (e.cluster, e.namespace) for e in platform.environments.values()}
    assert {n: located[n] for n in ("staging", "production")} == {
        "staging": ("shared", "plate-stg"), "production": ("shared", "plate-prod")}
    assert {c for c, _ in located.values()} == {"shared"}  # any other environment shares the one cluster
    namespaces = {o.name for o in objects if o.kind == "Namespace"}
    assert {"plate-stg", "plate-prod"} <= namespaces
    # the platform exists once: one Argo CD, one OpenBao, one Prometheus rule set for the platform
    assert len([o for o in objects if o.kind == "StatefulSet" and o.name == "openbao"]) == 1
    assert len([o for o in component_apps(objects) if o.data["metadata"]["labels"]["plate.io/component"]
                == "argo-cd"]) == 1


def test_argo_cd_reaches_every_object_from_one_root_per_cluster_and_nothing_is_claimed_twice(objects):
    findings = check_delivery(objects)
    assert findings == []
    roots = [o for o in objects if o.kind == "Application" and o.component == "bootstrap"]
    assert [r.name for r in roots] == [f"{c}-root" for c in CLUSTERS]


def test_a_second_claim_on_an_object_is_found(objects):
    web = next(o for o in objects if o.kind == "Deployment" and o.name == "plate-web" and o.env == "staging")
    copy = Obj("production", "plate-web", "environments/production/plate-web/Deployment.copy.k8s.yaml", web.data)
    findings = check_delivery([*objects, copy])
    assert [f.message for f in findings if f.check == "delivery"] == [
        "Deployment plate-stg/plate-web is claimed by 2 Applications: production-plate-web "
        "(environments/production/apps/Application.production-plate-web.k8s.yaml), staging-plate-web "
        "(environments/staging/apps/Application.staging-plate-web.k8s.yaml)"]


def test_an_unreachable_object_is_found(objects):
    stray = Obj("staging", "stray", "environments/staging/stray/ConfigMap.stray.k8s.yaml",
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", "namespace": "plate-stg"}})
    assert [(f.file, f.message) for f in check_delivery([*objects, stray])] == [
        (stray.file, "no Application reaches this object from a root")]


def test_an_object_its_project_does_not_permit_is_found(objects):
    """A chart rendering into a namespace outside its project (kube-prometheus-stack's control-plane
    Services in kube-system, before they were switched off) would fail the sync: the check finds it."""
    svc = next(o for o in objects if o.kind == "Service" and o.component == "kube-prometheus-stack")
    moved = Obj(svc.env, svc.component, svc.file.replace(".k8s.yaml", "-moved.k8s.yaml"),
                {**svc.data, "metadata": {**svc.data["metadata"], "name": "moved", "namespace": "kube-system"}})
    cluster_role = Obj(svc.env, "kube-prometheus-stack", "clusters/shared/kube-prometheus-stack/ClusterRole.x.k8s.yaml",
                       {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}})
    findings = [(f.file, f.check, f.message) for f in check_delivery([*objects, moved, cluster_role])]
    assert (moved.file, "project", "Application shared-kube-prometheus-stack: project shared-kube-prometheus-stack "
            "does not permit namespace kube-system") in findings
    assert not [f for f in findings if f[0] == cluster_role.file and f[1] == "project"], \
        "kube-prometheus-stack's project permits the ClusterRoles its chart renders"


def test_an_environment_change_touches_only_that_environments_files(objects):
    """Every file about an environment's applications lies in its folder, except the project that
    bounds it and the root that points at it (in its cluster's apps/)."""
    for o in objects:
        if o.scope == "cluster" and o.component == "apps":
            labels = o.data["metadata"]["labels"]
            env = labels.get("plate.io/environment")
            if env:
                assert o.name in (f"{env}-root", f"{env}-apps"), o.file
        if o.scope == "environment":
            assert o.namespace in (None, envs.load(o.env).namespace, f"argocd-{o.env}"), o.file


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_component_has_exactly_one_application_and_every_path_exists(per_cluster, fresh_render, infos, cluster):
    objs = per_cluster(cluster)
    folders = {(o.env, o.component) for o in objs} - {(o.env, c) for o in objs for c in ("apps", "bootstrap")}
    apps = component_apps(objs)
    labelled = sorted((a.file.split("/")[1], a.data["metadata"]["labels"]["plate.io/component"]) for a in apps)
    assert labelled == sorted(infos[cluster]), "one Application per component, in its owner's apps/"
    for a in (o for o in objs if o.kind == "Application"):
        srcs = sources(a)
        for source in srcs:
            if "chart" in source:
                assert re.fullmatch(r"v?\d+\.\d+\.\d+", source["targetRevision"]), f"{a.name}: chart not pinned"
                continue
            path = source["path"]
            assert path.startswith("dist/"), path
            assert (fresh_render.parent / path).is_dir(), f"{a.name}: path {path} does not exist in the render"
        if a in apps:
            owner = a.file.split("/")[1]
            has_path = any("path" in s for s in srcs)
            component = a.data["metadata"]["labels"]["plate.io/component"]
            assert has_path == ((owner, component) in folders), a.name
            for source in srcs:
                if "path" in source:  # an Application deploys only from its owner's folder
                    assert source["path"] == f"dist/{a.file.rsplit('/', 2)[0]}/{component}", a.name


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_no_custom_resource_syncs_before_the_application_that_installs_its_crd(per_cluster, infos, cluster):
    """Platform components order by wave; every environment syncs after the whole platform."""
    provider = {group: info for info in infos[cluster].values() for group in info.provides_crds}
    for o in per_cluster(cluster):
        if o.component in ("apps", "bootstrap") or not schemas.is_custom(o.data):
            continue
        group = o.data["apiVersion"].rpartition("/")[0]
        assert group in provider, f"{o.file}: no component installs the CRDs of {group}"
        mine = infos[cluster][(o.env, o.component)]
        assert wave(provider[group]) < wave(mine), (
            f"{o.file}: wave {wave(mine)} is not after {provider[group].name} (wave {wave(provider[group])}), "
            "which installs its CRD")
        if o.scope == "environment":
            assert provider[group].layer != "apps"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_layers_sync_in_order(per_cluster, infos, cluster):
    order = list(LAYER_WAVE)
    platform = [i for (owner, _), i in infos[cluster].items() if owner == cluster]
    layers = [order.index(i.layer) for i in sorted(platform, key=wave)]
    assert layers == sorted(layers)
    assert all(i.layer == "apps" for (owner, _), i in infos[cluster].items() if owner != cluster)
    roots = [o for o in per_cluster(cluster) if o.kind == "Application" and o.name.endswith("-root")
             and o.component == "apps"]
    assert roots and all(int(r.data["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) >
                         max(wave(i) for i in platform) for r in roots), "environments sync after the platform"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_applications_use_their_layer_project_and_allowed_destinations(per_cluster, cluster):
    objs = per_cluster(cluster)
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
        if a in component_apps(objs):
            wave = int(a.data["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
            assert LAYER_WAVE[a.data["metadata"]["labels"]["plate.io/layer"]] <= wave


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_objects_live_in_their_applications_namespace(per_cluster, infos, cluster):
    """Or in the namespaces a component declares beyond its own (the network fence of every namespace)."""
    objs = per_cluster(cluster)
    dest = {(a.file.split("/")[1], a.data["metadata"]["labels"]["plate.io/component"]):
            a.data["spec"]["destination"]["namespace"] for a in component_apps(objs)}
    for o in objs:
        if (o.env, o.component) in dest and o.namespace is not None:
            allowed = {dest[(o.env, o.component)], *infos[cluster][(o.env, o.component)].destinations}
            assert o.namespace in allowed, f"{o.file}: namespace {o.namespace}"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_service_selects_a_pod_and_every_pod_reference_resolves(per_cluster, cluster):
    """Ours and the charts': Services select pods (or the pods a controller makes from a custom
    resource), and what a pod needs (Secrets, ConfigMaps, ServiceAccounts, claims) is rendered, made
    by an ExternalSecret or a Certificate, or created at run time by its component (declared)."""
    objs = per_cluster(cluster)
    findings = [f"{f.file}: {f.message}" for f in checks.check_policy(objs) if f.check == "references"]
    assert not findings, "\n".join(findings)
    for w, t in pods(objs, ours_only=False):
        spec = t["spec"]
        claims = {c["metadata"]["name"] for c in w.data["spec"].get("volumeClaimTemplates", [])}
        for c in [*spec.get("initContainers", []), *spec["containers"]]:
            for m in c.get("volumeMounts", []):
                assert m["name"] in {v["name"] for v in spec.get("volumes", [])} | claims, f"{w.file}: mount {m['name']}"


def test_a_missing_reference_is_found(objects, platform):
    objs = on_cluster(objects, platform, "shared")
    web = next(o for o in objs if o.kind == "Deployment" and o.name == "plate-web" and o.env == "staging")
    data = copy.deepcopy(web.data)
    data["spec"]["template"]["spec"]["volumes"].append({"name": "gone", "secret": {"secretName": "nowhere"}})
    broken = Obj(web.env, web.component, web.file, data)
    findings = [f.message for f in checks.check_policy([o for o in objs if o is not web] + [broken])
                if f.check == "references"]
    assert findings == ["Secret 'nowhere' is neither rendered nor produced by an ExternalSecret"]


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_pod_passes_its_namespaces_pod_security(per_cluster, cluster):
    """The upstream charts' pods too: what the namespace's Pod Security admission would refuse."""
    findings = [f"{f.file}: {f.message}" for f in checks.check_policy(per_cluster(cluster)) if f.check == "pod-security"]
    assert not findings, "\n".join(findings)


def test_no_secret_data_anywhere(objects):
    """Secrets come from ExternalSecrets; a chart may render a Secret without data, a holder its own
    controller fills in-cluster (argocd-secret)."""
    with_data = [o.file for o in objects if o.kind == "Secret" and (o.data.get("data") or o.data.get("stringData"))]
    assert not with_data, "Secrets with data in the render:\n" + "\n".join(with_data)
    assert not [o.file for o in objects if o.kind == "Secret" and checks.ours(o)], "we never render a Secret"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_pod_is_hardened(per_cluster, cluster):
    objs = per_cluster(cluster)
    justified = {o.name for o in objs if o.kind == "Namespace"
                 and o.data["metadata"].get("annotations", {}).get("plate.io/pod-security-reason")}
    for w, t in pods(objs):
        spec = t["spec"]
        if w.namespace in justified and spec["securityContext"]["runAsNonRoot"] is False:
            # root where its namespace's Pod Security level records why; still no capability at all
            assert all(c["securityContext"]["readOnlyRootFilesystem"] for c in spec["containers"]), w.file
        else:
            assert spec["securityContext"]["runAsNonRoot"] is True, w.file
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, w.file
        if spec["automountServiceAccountToken"]:
            bound = [o for o in objs if o.kind in ("RoleBinding", "ClusterRoleBinding")
                     and {"kind": "ServiceAccount", "name": spec["serviceAccountName"], "namespace": w.namespace}
                     in o.data["subjects"]]
            # or OpenBao's Kubernetes auth takes the token (a role bound to exactly this account)
            roles = [json.loads(text) for o in objs if o.kind == "ConfigMap" and o.name == "openbao-policies"
                     for name, text in o.data["data"].items() if name.endswith(".role.json")]
            bound += [r for r in roles if r["bound_service_account_names"] == [spec["serviceAccountName"]]
                      and r["bound_service_account_namespaces"] == [w.namespace]]
            assert bound, f"{w.file}: mounts a service-account token it has no RBAC or OpenBao role use for"
        for c in spec["containers"]:
            ctx = c["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"] == {"drop": ["ALL"]}, w.file
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], w.file
            if c.get("ports"):  # a worker serves nothing to probe
                assert "livenessProbe" in c and "readinessProbe" in c, w.file


def test_production_is_hardened_pinned_replicated_and_tls_everywhere(objects, platform):
    """Production, and the platform of a cluster that hosts it."""
    prod = [o for o in objects if o.env == "production" or (o.env in platform.clusters
                                                              and platform.hosts_production(o.env))]
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
    # TLS everywhere: every production route attaches to an HTTPS listener of its host that terminates
    # TLS with a certificate (the plain-HTTP listener only redirects, and admits no namespace but its own)
    gateways = {(o.namespace, o.name): o.data for o in objects if o.kind == "Gateway"}
    routes = [o for o in prod if o.kind == "HTTPRoute" and o.env == "production"]
    assert routes, "production has no HTTPRoute: nothing checked"
    for route in routes:
        for ref in route.data["spec"]["parentRefs"]:
            gateway = gateways[(ref.get("namespace", route.namespace), ref["name"])]
            listener = next(x for x in gateway["spec"]["listeners"] if x["name"] == ref["sectionName"])
            assert listener["protocol"] == "HTTPS" and listener["tls"]["mode"] == "Terminate", route.file
            assert listener["tls"]["certificateRefs"], route.file
            assert set(route.data["spec"]["hostnames"]) == {listener["hostname"]}, route.file


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_namespace_is_rendered_with_pod_security_and_a_reason_below_restricted(per_cluster, platform, cluster):
    objs = per_cluster(cluster)
    namespaces = {o.name: o.data["metadata"] for o in objs if o.kind == "Namespace"}
    used = {o.namespace for o in objs if o.namespace} | {
        a.data["spec"]["destination"]["namespace"] for a in component_apps(objs)}
    assert used - {"default", "argocd"} <= set(namespaces), "namespace used but not rendered"
    for name, md in namespaces.items():
        level = md["labels"]["pod-security.kubernetes.io/enforce"]
        assert md["labels"]["pod-security.kubernetes.io/warn"] == level
        if level != "restricted":
            assert md["annotations"]["plate.io/pod-security-reason"], name
    for env in platform.environments_on(cluster):
        assert namespaces[env.namespace]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_no_application_creates_a_namespace(objects):
    for a in (o for o in objects if o.kind == "Application"):
        assert "CreateNamespace=true" not in a.data["spec"]["syncPolicy"].get("syncOptions", []), a.file


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_route_backends_exist(per_cluster, cluster):
    """Every HTTPRoute backend is a Service of the route's namespace with that port."""
    objs = per_cluster(cluster)
    services = {(o.namespace, o.name): o.data for o in objs if o.kind == "Service"}
    backends = 0
    for route in (o for o in objs if o.kind == "HTTPRoute"):
        for rule in route.data["spec"]["rules"]:
            for ref in rule.get("backendRefs", []):
                assert ref.get("kind", "Service") == "Service", route.file
                svc = services.get((ref.get("namespace", route.namespace), ref["name"]))
                assert svc, f"{route.file}: no Service {ref['name']}"
                assert ref["port"] in {p["port"] for p in svc["spec"]["ports"]}, f"{route.file}: port {ref['port']}"
                backends += 1
    assert backends, f"cluster {cluster}: no HTTPRoute backend found: nothing checked"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_network_flows_are_open_on_both_ends(per_cluster, cluster):
    """An egress rule to a workload is useless unless that workload's policy admits the caller."""
    objs = per_cluster(cluster)
    policies = {(o.namespace, o.name): o.data["spec"] for o in objs if o.kind == "NetworkPolicy"}
    for (ns, name), spec in policies.items():
        for rule in spec.get("egress", []):
            for peer in rule["to"]:
                target = peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                if not target or "namespaceSelector" in peer:
                    continue
                callers = [p["podSelector"]["matchLabels"].get("app.kubernetes.io/name")
                           for r in policies[(ns, target)].get("ingress", []) for p in r["from"] if "podSelector" in p]
                assert name in callers, f"{ns}: {name} -> {target}: {target}'s policy does not admit {name}"


def test_names_are_hand_picked_not_hashed(objects):
    for o in objects:
        assert not re.search(r"-[0-9a-f]{8}$", o.name), o.file
        for k in o.data["metadata"].get("labels", {}):
            assert not k.startswith("cdk8s.io/"), o.file


def test_production_replicas_spread_over_nodes_and_keep_a_disruption_budget(objects):
    prod = [o for o in objects if o.env == "production"]
    budgets = [o for o in prod if o.kind == "PodDisruptionBudget"]
    replicated = 0
    for w in (o for o in prod if o.kind in ("Deployment", "StatefulSet")):
        hpa = next((o for o in prod if o.kind == "HorizontalPodAutoscaler" and o.name == w.name), None)
        most = hpa.data["spec"]["maxReplicas"] if hpa else w.data["spec"].get("replicas", 1)
        spec = w.data["spec"]["template"]["spec"]
        if most < 2:
            assert w.data["metadata"]["annotations"]["plate.io/single-replica-reason"], w.file
            continue
        replicated += 1
        labels = w.data["spec"]["selector"]["matchLabels"]
        assert [(c["topologyKey"], c["whenUnsatisfiable"], c["labelSelector"]["matchLabels"])
                for c in spec["topologySpreadConstraints"]] == [
            ("kubernetes.io/hostname", "DoNotSchedule", labels), ("topology.kubernetes.io/zone", "ScheduleAnyway", labels)]
        assert [b for b in budgets if b.data["spec"]["selector"]["matchLabels"] == labels], f"{w.file}: no PDB"
    assert replicated >= 3
