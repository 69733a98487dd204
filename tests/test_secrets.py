"""No secret value in dist/ or in the repo; every Secret reference resolves to exactly one producer;
every ExternalSecret's store exists, admits it, syncs no later, and grants exactly what is read."""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

import envs
from components.argocd.app_of_apps import wave
from platectl import policy
from platectl.checks import RUNTIME_SECRETS, WORKLOADS, pod_references
from tests.helpers import Obj, on_cluster

ROOT = Path(__file__).resolve().parent.parent
CLUSTERS = envs.cluster_names()


def test_render_holds_no_secret_value(objects):
    findings = [f"{o.file}: {f}" for o in objects for f in policy.secret_literals(o.data)]
    assert not findings, "\n".join(findings)


def test_source_tree_holds_no_secret_value():
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    findings = []
    for rel in files:
        # generated bindings are scanned by their own generator's upstream; this file holds the patterns
        if rel.startswith("node_modules/") or rel in ("tests/test_secrets.py", "platectl/policy.py"):
            continue
        if "/crds/" in rel:  # CustomResourceDefinitions: schemas, whose descriptions quote examples (a PEM header)
            continue
        path = ROOT / rel
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        findings += [f"{rel}: {f}" for f in policy.secret_literals_in_text(text)]
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("planted", [
    {"kind": "Secret", "data": {"x": "eA=="}},
    {"spec": {"values": {"adminPassword": "correct-horse"}}},
    {"spec": {"env": [{"name": "K", "value": "-----BEGIN RSA PRIVATE KEY-----"}]}},
    {"spec": {"token": "AKIAABCDEFGHIJKLMNOP"}},
])
def test_the_scanner_finds_planted_secrets(planted):
    assert policy.secret_literals(planted)


def test_the_scanner_leaves_references_alone():
    assert not policy.secret_literals({"args": ["--requirepass", "$(CACHE_PASSWORD)"], "password": "{{ .password }}",
                                       "data": [{"secretKey": "password", "remoteRef": {"key": "a", "property": "b"}}]})


def _producers(objs: list[Obj]) -> Counter:
    """Who writes each Secret: an ExternalSecret, or a chart's Secret without data (a holder its own
    controller fills, such as argocd-secret), or the component's workloads at run time (declared on
    its Application)."""
    count = Counter()
    for o in objs:
        if o.kind == "ExternalSecret":
            count[(o.namespace, o.data["spec"]["target"]["name"])] += 1
        if o.kind == "Secret":
            count[(o.namespace, o.name)] += 1
        if o.kind == "Application" and RUNTIME_SECRETS in o.data["metadata"].get("annotations", {}):
            for ref in o.data["metadata"]["annotations"][RUNTIME_SECRETS].split(","):
                count[tuple(ref.split("/", 1))] += 1
    return count


def _referenced_secrets(objs: list[Obj]) -> list[tuple[str, str, str]]:
    """(namespace, secret, where) for every Secret a pod, image pull or chart value references."""
    # TLS key pairs issued in-cluster by cert-manager (Certificates), or by cert-manager for an Ingress
    certs = {(o.namespace, o.data["spec"]["secretName"]) for o in objs if o.kind == "Certificate"}
    refs = []
    for o in objs:
        if o.kind in WORKLOADS:
            names = [name for kind, name in pod_references(o.data) if kind == "Secret"]
            refs += [(o.namespace, n, o.file) for n in names if (o.namespace, n) not in certs]
        if o.kind == "Application":
            ns = o.data["spec"]["destination"]["namespace"]
            for src in o.data["spec"].get("sources", [o.data["spec"].get("source")]):
                if "chart" in src:
                    names = policy.chart_secret_references(src["helm"].get("valuesObject", {}))
                    refs += [(ns, n, o.file) for n in names if (ns, n) not in certs]
    return refs


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_referenced_secret_has_exactly_one_external_secret_in_its_namespace(objects, platform, cluster):
    objs = on_cluster(objects, platform, cluster)
    producers = _producers(objs)
    for ns, name, where in _referenced_secrets(objs):
        assert producers[(ns, name)] == 1, f"{where}: Secret {ns}/{name} has {producers[(ns, name)]} ExternalSecrets"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_external_secret_store_exists_admits_it_and_syncs_no_later(objects, platform, infos, cluster):
    objs = on_cluster(objects, platform, cluster)
    stores = {o.name: o for o in objs if o.kind == "ClusterSecretStore"}
    for es in (o for o in objs if o.kind == "ExternalSecret"):
        ref = es.data["spec"]["secretStoreRef"]
        assert ref["kind"] == "ClusterSecretStore" and ref["name"] in stores, f"{es.file}: unknown store {ref}"
        store = stores[ref["name"]]
        admitted = [ns for cond in store.data["spec"].get("conditions", []) for ns in cond.get("namespaces", [])]
        assert es.namespace in admitted, f"{es.file}: store {store.name} does not admit {es.namespace}"
        assert wave(infos[cluster][(store.env, store.component)]) <= wave(infos[cluster][(es.env, es.component)]), f"{es.file}: store syncs later"


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_each_role_policy_grants_exactly_the_paths_its_external_secrets_read(objects, platform, cluster):
    objs = on_cluster(objects, platform, cluster)
    policies = next(o for o in objs if o.kind == "ConfigMap" and o.name == "openbao-policies").data["data"]
    for store in (o for o in objs if o.kind == "ClusterSecretStore"):
        vault = store.data["spec"]["provider"]["vault"]
        ns = store.data["spec"]["conditions"][0]["namespaces"][0]
        read = set()
        for es in (o for o in objs if o.kind == "ExternalSecret" and o.namespace == ns):
            read |= {d["remoteRef"]["key"] for d in es.data["spec"].get("data", [])}
            read |= {d["extract"]["key"] for d in es.data["spec"].get("dataFrom", [])}
        text = policies[f"{vault['auth']['kubernetes']['role']}.hcl"]
        granted = set(re.findall(r'path "' + vault["path"] + r'/data/([^"]+)"', text))
        assert granted == read, f"{store.name}: policy grants {sorted(granted ^ read)} differently from what is read"
        assert set(re.findall(r"capabilities = \[(.*)\]", text)) == {'"read"'}
