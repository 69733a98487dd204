"""The network fence as an independent analyzer reads it: np-guard's network-config-analyzer (NCA, pinned
in .venv-nca) computes which pod may reach which from the rendered NetworkPolicies, with endpoints for
every workload of the render and the pods operators make at run time (Prometheus, Alertmanager, the
Gateway's proxies, Jenkins' build agents: ``Component.runtime_pods``). Then:

- every needed flow is allowed: the Gateway's proxies to each route's backend, Prometheus to each
  monitor's targets, External Secrets to each store's server, a pod to each Service address its
  containers are given (OpenBao's backup: ``BAO_ADDR``), read from dist/ as Kubernetes will see them;
  the pods of Jobs and CronJobs (the backups) are endpoints like the workloads';
- no pod reaches a pod of another namespace on every port;
- every allowed flow between namespaces is one that is needed or declared (``NetworkNeeds``: named
  namespaces and ports, the Gateway's listeners, admission webhooks, clients from anywhere to the proxies).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import cdk8s
import pytest
import yaml

from components.cluster.envoy_gateway import PROXY_LABELS
from components.flows import PodFlow, pods
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.observability.kube_prometheus_stack import PROMETHEUS_PODS
from composition import compose
from composition.flows import gateway_flows, matches, prometheus_flows

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")
BATCH = ("CronJob", "Job")  # the backups' pods among them


def pod_template(o: dict) -> dict:
    return o["spec"]["jobTemplate"]["spec"]["template"] if o["kind"] == "CronJob" else o["spec"]["template"]
NOT_OURS = {"kube-system", "default"}  # no policies of ours: everything is open there
ALL = frozenset({-1})  # "All connections"
LINE = re.compile(r"^(?P<src>\S+) => (?P<dst>\S+) : (?P<conns>.+)$")


@pytest.fixture(scope="session")
def nca() -> str:
    tool = os.environ.get("PLATE_NCA") or str(ROOT / ".venv-nca" / "bin" / "nca")
    if not Path(tool).exists():
        tool = shutil.which("nca") or ""
    if not tool:
        if os.environ.get("CI"):
            pytest.fail("network-config-analyzer is missing in CI: bin/test installs it into .venv-nca")
        pytest.skip("network-config-analyzer not installed (bin/test installs it into .venv-nca); CI runs it")
    return tool


@pytest.fixture(scope="session")
def runtime_pods(platform, tmp_path_factory) -> list[dict]:
    app = cdk8s.App(outdir=str(tmp_path_factory.mktemp("runtime-pods")))
    return [pod for c in compose(app, platform, "shared") for pod in c.runtime_pods]


@pytest.fixture(scope="session")
def declared(platform, tmp_path_factory) -> dict[str, object]:
    """Per namespace, the union of its components' declared needs."""
    app = cdk8s.App(outdir=str(tmp_path_factory.mktemp("declared")))
    out: dict[str, object] = {}
    for c in compose(app, platform, "shared"):
        info = c.info
        out[info.namespace] = out[info.namespace] | info.network if info.namespace in out else info.network
    return out


# a pod in each namespace the platform does not fence: our egress rules are all that keeps our pods
# from it (DNS goes to kube-dns only, which NCA adds itself)
PROBES = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe", "namespace": ns, "labels": {"app": "probe"}},
           "spec": {"containers": [{"name": "probe", "ports": [{"name": "http", "containerPort": 8080}]}]}}
          for ns in sorted(NOT_OURS)]


def _docs(folder: Path):
    for path in sorted(folder.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        if isinstance(doc, dict):
            yield doc


class Endpoints:
    """What NCA is given (besides the policies), and each endpoint's namespace and labels by its name in
    NCA's answers (``ns/name[Kind]``)."""

    def __init__(self, objects: list[dict], runtime: list[dict]):
        self.objects: list[dict] = []
        self.labels: dict[str, tuple[str, dict[str, str]]] = {}
        for o in [*objects, *runtime, *PROBES]:
            kind, md = o["kind"], o["metadata"]
            if kind in BATCH:  # a Job's or a CronJob's pods: NCA is given the pod they make
                template = pod_template(o)
                o = {"apiVersion": "v1", "kind": "Pod", "metadata": {
                    "name": md["name"], "namespace": md["namespace"], "labels": template["metadata"].get("labels") or {}},
                    "spec": template["spec"]}
                kind, md = "Pod", o["metadata"]
            if kind in WORKLOADS:
                template = o["spec"]["template"]
                if template["spec"].get("hostNetwork"):
                    continue  # answers on the node's address: policies do not apply to it
                labels = template["metadata"].get("labels") or {}
            elif kind == "Pod":
                labels = md.get("labels") or {}
            else:
                continue
            self.objects.append(o)
            self.labels[f"{md['namespace']}/{md['name']}[{kind}]"] = (md["namespace"], labels)

    def select(self, namespace: str, selector: tuple[tuple[str, str], ...]) -> list[str]:
        return [name for name, (ns, labels) in self.labels.items()
                if ns == namespace and matches({"matchLabels": dict(selector)}, labels)]


def connectivity(nca: str, folder: Path, policies: list[dict], endpoints: Endpoints, namespaces: list[dict]) \
        -> dict[tuple[str, str], frozenset[int]]:
    """NCA's connectivity map: (source, destination) -> TCP ports (ALL for every connection)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i, doc in enumerate([*namespaces, *policies, *endpoints.objects]):
        (folder / f"{i:04d}.yaml").write_text(yaml.safe_dump(doc))
    out = folder.parent / "connectivity.txt"
    proc = subprocess.run([nca, "--connectivity", str(folder), "-r", str(folder), "-o", "txt_no_fw_rules",
                           "-f", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    conns: dict[tuple[str, str], frozenset[int]] = {}
    for line in out.read_text().splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        text = m["conns"]
        if text.startswith("All connections"):
            ports: frozenset[int] = ALL
        else:
            found: set[int] = set()
            for part in re.findall(r"dst_ports:([0-9,\-]+)", text):
                for item in part.split(","):
                    lo, _, hi = item.partition("-")
                    found |= set(range(int(lo), int(hi or lo) + 1))
            ports = frozenset(found)
        conns[(m["src"], m["dst"])] = ports
    return conns


ESO_CONTROLLER = (("app.kubernetes.io/instance", "external-secrets"), ("app.kubernetes.io/name", "external-secrets"))


def secret_store_flows(objects: list[dict]) -> list[PodFlow]:
    """External Secrets' controller reaches the server each secret store names (a Service URL)."""
    from urllib.parse import urlsplit
    services = {(o["metadata"]["name"], o["metadata"]["namespace"]): o for o in objects if o.get("kind") == "Service"}
    out = []
    for store in (o for o in objects if o.get("kind") in ("ClusterSecretStore", "SecretStore")):
        url = urlsplit(store["spec"]["provider"]["vault"]["server"])
        name, _, rest = (url.hostname or "").partition(".")
        svc = services[(name, rest.split(".")[0])]
        ns = svc["metadata"]["namespace"]
        out.append(PodFlow("secrets", name, "external-secrets", ESO_CONTROLLER, ns,
                           pods(rendered_selector(objects, ns, svc["spec"]["selector"])), (url.port or 443,)))
    return sorted(set(out), key=lambda f: (f.dst_namespace, f.name))


def rendered_selector(objects: list[dict], namespace: str, selector: dict[str, str]) -> dict[str, str]:
    """A Service's selector without the labels no pod of the render carries: those are set at run time
    (OpenBao's service registration marks the active pod openbao-active), so a flow goes to every pod
    that can become it."""
    rendered = {k for o in objects if o.get("kind") in WORKLOADS and o["metadata"].get("namespace") == namespace
                for k in o["spec"]["template"]["metadata"].get("labels", {})}
    return {k: v for k, v in selector.items() if k in rendered}


def needed(objects: list[dict], runtime: list[dict]) -> list[PodFlow]:
    """The flows the render's own objects say must work: routes, monitors, secret stores."""
    everything = [*objects, *runtime]
    return [*gateway_flows(everything, "envoy-gateway-system", pods(dict(PROXY_LABELS))),
            *prometheus_flows(everything, MONITORING, pods(PROMETHEUS_PODS)),
            *secret_store_flows(objects), *address_flows(objects)]


SERVICE_URL = re.compile(r"^https?://(?P<svc>[a-z0-9-]+)\.(?P<ns>[a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::(?P<port>\d+))?(/|$)")


def address_flows(objects: list[dict]) -> list[PodFlow]:
    """A pod told a Service's address (a container's environment: ``BAO_ADDR`` of OpenBao's backup) must
    reach the pods behind it on the port the Service sends that address to."""
    services = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects if o.get("kind") == "Service"}
    out = []
    for o in objects:
        if o.get("kind") not in (*WORKLOADS, *BATCH):
            continue
        template = pod_template(o)
        src = pods({k: v for k, v in (template["metadata"].get("labels") or {}).items()})
        for container in [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]:
            for var in container.get("env", []):
                m = SERVICE_URL.match(str(var.get("value", "")))
                svc = services.get((m["ns"], m["svc"])) if m else None
                if svc is None or not svc["spec"].get("selector"):
                    continue
                selector = rendered_selector(objects, m["ns"], svc["spec"]["selector"])
                port = int(m["port"] or (443 if var["value"].startswith("https") else 80))
                target = next((sp.get("targetPort", sp["port"]) for sp in svc["spec"]["ports"] if sp["port"] == port), None)
                if isinstance(target, str):  # a named port: the number the selected pods give it
                    target = next((cp["containerPort"] for w in objects if w.get("kind") in WORKLOADS
                                   and w["metadata"].get("namespace") == m["ns"]
                                   and matches({"matchLabels": selector}, w["spec"]["template"]["metadata"].get("labels") or {})
                                   for c in w["spec"]["template"]["spec"]["containers"] for cp in c.get("ports", [])
                                   if cp.get("name") == target), None)
                assert isinstance(target, int), f"{o['metadata']['name']}: {var['value']} reaches no port of {m['svc']}"
                out.append(PodFlow("address", f"{m['svc']}:{var['name']}", o["metadata"]["namespace"], src,
                                   m["ns"], pods(selector), (target,)))
    return sorted(set(out), key=lambda f: (f.dst_namespace, f.name))


def problems(conns, endpoints: Endpoints, flows: list[PodFlow], declared) -> tuple[list[str], dict[str, int]]:
    found: list[str] = []
    allowed_pairs = sum(1 for (s, d) in conns if s in endpoints.labels and d in endpoints.labels)
    # 1. every needed flow allowed
    for f in flows:
        sources, targets = endpoints.select(f.src_namespace, f.src_pods), endpoints.select(f.dst_namespace, f.dst_pods)
        if not sources or not targets:
            found.append(f"{f.source} -> {f.dst_namespace}/{f.name}: no endpoint for one side")
        for s in sources:
            for d in targets:
                got = conns.get((s, d), frozenset())
                if got != ALL and not set(f.ports) <= got:
                    found.append(f"needed but denied: {s} -> {d} on {sorted(set(f.ports) - got)}")
    # 2. and 3. every allowed flow between our namespaces: never every port, and needed or declared
    proxies = set(endpoints.select("envoy-gateway-system", pods(dict(PROXY_LABELS))))
    cross = 0
    for (s, d), ports in sorted(conns.items()):
        if s not in endpoints.labels or d not in endpoints.labels:
            continue
        (s_ns, s_labels), (d_ns, d_labels) = endpoints.labels[s], endpoints.labels[d]
        if s_ns == d_ns or s_ns in NOT_OURS:
            continue  # (pods of namespaces we do not fence may go anywhere their destination admits)
        cross += 1
        if ports == ALL:
            found.append(f"every port open across namespaces: {s} -> {d}")
            continue
        ok: set[int] = set()
        for f in flows:
            if (f.src_namespace, f.dst_namespace) == (s_ns, d_ns) and matches({"matchLabels": dict(f.src_pods)}, s_labels) \
                    and matches({"matchLabels": dict(f.dst_pods)}, d_labels):
                ok |= set(f.ports)
        src, dst = declared.get(s_ns), declared.get(d_ns)
        if src is not None:
            ok |= {port for ns, port in src.to if ns == d_ns}
            if src.gateway and d in proxies:
                ok |= {10080, 10443}
        if dst is not None:
            ok |= set(dst.webhooks)
            if dst.world and (not dst.world_pods or matches({"matchLabels": dict(dst.world_pods)}, d_labels)):
                ok |= set(dst.world)
        extra = sorted(set(ports) - ok)
        if extra:
            found.append(f"allowed but neither needed nor declared: {s} -> {d} on {extra}")
    return found, {"endpoints": len(endpoints.labels), "needed flows": len(flows), "allowed pairs": allowed_pairs,
                   "allowed pairs across namespaces": cross}


@pytest.fixture(scope="module")
def rendered(fresh_render):
    docs = list(_docs(fresh_render))
    policies = [d for d in docs if d.get("kind") == "NetworkPolicy"]
    namespaces = [d for d in docs if d.get("kind") == "Namespace"] + [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}
        for n in sorted(NOT_OURS)]
    for ns in namespaces:
        ns["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = ns["metadata"]["name"]
    return docs, policies, namespaces


def test_the_fence_allows_exactly_the_needed_and_declared_flows(nca, rendered, runtime_pods, declared, tmp_path):
    docs, policies, namespaces = rendered
    endpoints = Endpoints(docs, runtime_pods)
    flows = needed(docs, runtime_pods)
    conns = connectivity(nca, tmp_path / "input", policies, endpoints, namespaces)
    found, figures = problems(conns, endpoints, flows, declared)
    print(figures)
    assert found == []
    assert figures["needed flows"] >= 20 and figures["allowed pairs across namespaces"] > 0


def test_a_missing_policy_and_a_wide_one_are_caught(nca, rendered, runtime_pods, declared, tmp_path):
    docs, policies, namespaces = rendered
    endpoints = Endpoints(docs, runtime_pods)
    flows = needed(docs, runtime_pods)
    # the proxies' way to Harbor's portal removed, and Grafana allowed everywhere
    narrowed = [p for p in policies if p["metadata"]["name"] != "platform-from-gateway-harbor-portal"]
    assert len(narrowed) == len(policies) - 1
    wide = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "too-wide", "namespace": "monitoring"},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "grafana"}}, "policyTypes": ["Egress"],
                     "egress": [{"to": [{"namespaceSelector": {}}]}]}}
    wide_in = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "too-wide", "namespace": "harbor"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                        "ingress": [{"from": [{"namespaceSelector": {}}]}]}}
    # ... and External Secrets' declared way to OpenBao (NetworkNeeds.to) gone
    narrowed = [p for p in narrowed if (p["metadata"]["namespace"], p["metadata"]["name"]) !=
                ("external-secrets", "platform-to-namespaces")]
    # ... and OpenBao's admission of its backup's pods (they are told BAO_ADDR) gone, with the namespace's
    # own openness that also admits them
    import copy
    narrowed = [copy.deepcopy(p) for p in narrowed if (p["metadata"]["namespace"], p["metadata"]["name"]) !=
                ("openbao", "platform-same-namespace")]
    bao = next(p for p in narrowed if (p["metadata"]["namespace"], p["metadata"]["name"]) == ("openbao", "openbao"))
    bao["spec"]["ingress"] = [r for r in bao["spec"]["ingress"] if not any(
        f.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "openbao-raft"
        for f in r.get("from", []))]
    found, _ = problems(connectivity(nca, tmp_path / "narrow", narrowed, endpoints, namespaces), endpoints, flows,
                        declared)
    assert found == ["needed but denied: envoy-gateway-system/envoy-edge[Pod] -> harbor/harbor-portal[Deployment] "
                     "on [8080]",
                     "needed but denied: external-secrets/external-secrets[Deployment] -> openbao/openbao[StatefulSet] "
                     "on [8200]",
                     "needed but denied: openbao/openbao-raft[Pod] -> openbao/openbao[StatefulSet] on [8200]",
                     "needed but denied: openbao/openbao-raft-before-sync[Pod] -> openbao/openbao[StatefulSet] on [8200]"],\
        found
    found, _ = problems(connectivity(nca, tmp_path / "wide", [*policies, wide, wide_in], endpoints, namespaces),
                        endpoints, flows, declared)
    assert found and all(f.startswith(("every port open across namespaces: ", "allowed but neither needed"))
                         for f in found), found
    assert any(f.startswith("every port open across namespaces: monitoring/grafana[Deployment] -> harbor/")
               for f in found), found


def test_build_agents_reach_neither_the_api_server_nor_the_nodes(nca, rendered, runtime_pods, platform, tmp_path):
    """Build agents run pull requests' code: outside the cluster on Git's and registries' ports, and the
    Gateway (Harbor's registry), never the API server, a node or the storage server."""
    import ipaddress

    docs, policies, namespaces = rendered
    endpoints = Endpoints(docs, runtime_pods)
    conns = connectivity(nca, tmp_path / "input", policies, endpoints, namespaces)
    [agent] = endpoints.select("jenkins", (("jenkins/jenkins-jenkins-agent", "true"),))
    [controller] = [n for n in endpoints.labels if n.startswith("jenkins/jenkins[")]
    network = platform.clusters["shared"].network
    private = [ipaddress.ip_network(c) for c in [*network.api_server_cidrs, *network.node_cidrs]]
    private.append(ipaddress.ip_network(f"{platform.clusters['shared'].nfs.server}/32"))

    def reaches_private(source: str) -> list[str]:
        out = []
        for (s, d), _ports in conns.items():
            if s != source or "-" not in d or "/" in d:
                continue
            lo, hi = (ipaddress.ip_address(x) for x in d.split("-"))
            out += [d for net in private if lo <= net.broadcast_address and hi >= net.network_address]
        return out

    assert reaches_private(agent) == []
    assert reaches_private(controller), "the controller must reach the API server (it starts the agents)"
    targets = {d.split("/")[0] for (s, d) in conns if s == agent and d in endpoints.labels}
    assert targets == {"jenkins", "envoy-gateway-system"}, targets  # its namespace, the Gateway (and DNS)
