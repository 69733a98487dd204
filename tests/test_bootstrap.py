"""A cluster from nothing: dist/clusters/<c>/bootstrap/ walked step by step as the API server and Argo CD
will take it (``platectl bootstrap`` prints the commands): every object's kind is served and its
namespace exists when its step is applied; Argo CD starts with a keyring holding every key its projects
require, so the root's first sync is verified; the root installs Argo CD's own Application with the same
objects (self-management changes nothing it started with)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from components.argocd.app_of_apps import BOOTSTRAP_STEPS, built_in

KEYRING = "argocd-gpg-keys-cm"


def load(folder: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]


def walk(steps: dict[str, list[dict]], apps: list[dict], argo_cd: list[dict]) -> list[str]:
    """What would wait forever or fail, in the order the bootstrap meets it."""
    found: list[str] = []
    served: set[tuple[str, str]] = set()  # (group, kind) the API serves once a step is applied
    namespaces: set[str] = {"default", "kube-system"}
    keyring: set[str] = set()
    for step in BOOTSTRAP_STEPS:
        objects = steps.get(step, [])
        for o in objects:  # namespaces first within a step (kubectl applies in order; a retry settles it)
            if o["kind"] == "Namespace":
                namespaces.add(o["metadata"]["name"])
        for o in objects:
            group = o["apiVersion"].rpartition("/")[0]
            ns = o["metadata"].get("namespace")
            if not built_in(o) and (group, o["kind"]) not in served:
                found.append(f"{step}: {o['kind']} {o['metadata']['name']}: no CRD serves {group}/{o['kind']} yet")
            if ns and ns not in namespaces:
                found.append(f"{step}: {o['kind']} {ns}/{o['metadata']['name']}: namespace {ns} does not exist yet")
            if o["kind"] == "ConfigMap" and o["metadata"]["name"] == KEYRING:
                keyring = set(o.get("data") or {})
        for o in objects:  # CRDs are served once their step is applied and waited for
            if o["kind"] == "CustomResourceDefinition":
                served.add((o["spec"]["group"], o["spec"]["names"]["kind"]))
        for o in objects:
            if o["kind"] == "AppProject":
                required = {k["keyID"] for k in o["spec"].get("signatureKeys", [])}
                if required and not required <= keyring:
                    found.append(f"{step}: deadlock: AppProject {o['metadata']['name']} syncs only commits signed by "
                                 f"{sorted(required)}, but the keyring Argo CD starts with holds "
                                 f"{sorted(keyring) or 'no key'}; the ConfigMap that would add it is synced through "
                                 f"such a project")
    # what the root then syncs: every project trusts only keys the keyring holds; Argo CD's own
    # Application carries the objects it started with, the keyring included
    for o in apps:
        if o["kind"] == "AppProject":
            missing = {k["keyID"] for k in o["spec"].get("signatureKeys", [])} - keyring
            if missing:
                found.append(f"apps: AppProject {o['metadata']['name']} requires keys the keyring lacks: {sorted(missing)}")
    started = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
               for step in BOOTSTRAP_STEPS[1:2] for o in steps.get(step, [])}
    for o in argo_cd:
        key = (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        if key in started and started[key] != o:
            found.append(f"argo-cd: {o['kind']} {o['metadata']['name']} differs from what the bootstrap started: "
                         "Argo CD's first self-sync would change itself")
    return found


@pytest.fixture(scope="module")
def cluster(fresh_render):
    root = fresh_render / "clusters" / "shared"
    steps = {step: load(root / "bootstrap" / step) for step in BOOTSTRAP_STEPS}
    return steps, load(root / "apps"), load(root / "argo-cd") + load(root / "argo-cd" / "crds")


def test_an_empty_cluster_reaches_a_self_managing_argo_cd(cluster):
    steps, apps, argo_cd = cluster
    assert sorted(steps) == list(BOOTSTRAP_STEPS) and all(steps.values())
    assert any(o["kind"] == "ConfigMap" and o["metadata"]["name"] == KEYRING for o in steps["2-argo-cd"])
    assert [(o["kind"], o["metadata"]["name"]) for o in steps["3-root"]] == [("AppProject", "shared-root"),
                                                                          ("Application", "shared-root")]
    assert any(o["kind"] == "Application" and o["metadata"]["name"] == "shared-argo-cd" for o in apps)
    assert walk(steps, apps, argo_cd) == []


def test_a_bootstrap_without_the_keyring_is_the_deadlock_and_order_mistakes_are_found(cluster):
    steps, apps, argo_cd = cluster
    no_keyring = {k: [o for o in v if o["metadata"]["name"] != KEYRING] for k, v in steps.items()}
    found = walk(no_keyring, apps, argo_cd)
    assert found[0].startswith("3-root: deadlock: AppProject shared-root syncs only commits signed by ")
    assert "holds no key" in found[0]
    early = copy.deepcopy(steps)
    early["1-foundation"] = early["1-foundation"] + early["3-root"]
    assert "1-foundation: AppProject shared-root: no CRD serves argoproj.io/AppProject yet" in walk(early, apps, argo_cd)
    drifted = copy.deepcopy(argo_cd)
    cm = next(o for o in drifted if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "argocd-cm")
    cm["data"]["url"] = "https://elsewhere.example"
    assert "argo-cd: ConfigMap argocd-cm differs from what the bootstrap started: Argo CD's first self-sync would " \
           "change itself" in walk(steps, apps, drifted)
