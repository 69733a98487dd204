"""Trust zones in Argo CD: one project per platform component with exactly its namespaces and the
cluster-scoped kinds it renders; only Argo CD's own project may manage argoproj.io kinds."""
from __future__ import annotations

import pytest

import envs
from platectl.checks import check_delivery
from tests.helpers import Obj, on_cluster

CLUSTERS = envs.cluster_names()


def test_every_platform_component_is_its_own_trust_zone(objects, infos):
    for cluster in CLUSTERS:
        projects = {o.name: o.data["spec"] for o in objects if o.kind == "AppProject" and o.env == cluster}
        for (owner, name), info in infos[cluster].items():
            if owner != cluster:
                continue
            spec = projects[f"{cluster}-{name}"]
            assert {d["namespace"] for d in spec["destinations"]} == {info.namespace, *info.destinations}, name
            assert [(k["group"], k["kind"]) for k in spec["clusterResourceWhitelist"]] == list(info.cluster_kinds)
            assert [(k["group"], k["kind"]) for k in spec["namespaceResourceWhitelist"]] == list(info.namespaced_kinds)
            managed = "namespaceResourceBlacklist" not in spec
            assert managed is (name == "argo-cd"), f"{name}: only Argo CD's project may manage argoproj.io kinds"
        # into Argo CD's namespace: Argo CD's own project, the root's, and the fence around it (NetworkPolicies);
        # the environments' roots create Applications in the environments' own namespaces only
        into_argocd = sorted(n for n, spec in projects.items()
                             if any(d["namespace"] == "argocd" for d in spec["destinations"]))
        assert into_argocd == [f"{cluster}-argo-cd", f"{cluster}-network-policies", f"{cluster}-root"]
        if f"{cluster}-environments" in projects:
            assert {d["namespace"] for d in projects[f"{cluster}-environments"]["destinations"]} == {
                f"argocd-{e}" for (owner, _), _info in infos[cluster].items() if owner != cluster for e in [owner]}
        assert projects[f"{cluster}-network-policies"]["namespaceResourceWhitelist"] == [
            {"group": "networking.k8s.io", "kind": "NetworkPolicy"}]
    jenkins = next(o for o in objects if o.kind == "AppProject" and o.name == "shared-jenkins").data["spec"]
    assert jenkins["clusterResourceWhitelist"] == [], "Jenkins may create nothing cluster-scoped"


def test_a_chart_change_reaching_outside_its_zone_is_refused(objects, platform):
    """A Jenkins values change that would create an AppProject in argocd, or bind cluster-admin."""
    objs = on_cluster(objects, platform, "shared")
    project = Obj("shared", "jenkins", "clusters/shared/jenkins/AppProject.evil.k8s.yaml", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {"name": "evil", "namespace": "argocd"},
        "spec": {}})
    binding = Obj("shared", "jenkins", "clusters/shared/jenkins/ClusterRoleBinding.evil.k8s.yaml", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "evil"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "ServiceAccount", "name": "jenkins", "namespace": "jenkins"}]})
    local = Obj("shared", "jenkins", "clusters/shared/jenkins/Application.evil.k8s.yaml", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "evil", "namespace": "jenkins"},
        "spec": {}})
    found = {(f.file, f.message) for f in check_delivery([*objs, project, binding, local]) if f.check == "project"}
    assert found == {
        (project.file, "Application shared-jenkins: project shared-jenkins does not permit namespace argocd"),
        (binding.file, "Application shared-jenkins: project shared-jenkins does not permit the cluster-scoped "
                       "ClusterRoleBinding"),
        (local.file, "Application shared-jenkins: project shared-jenkins does not permit Application")}


def test_production_syncs_only_commits_signed_by_the_release_key(objects, platform):
    [fingerprint] = platform.clusters["shared"].gitops.signing_keys
    projects = [o for o in objects if o.kind == "AppProject"]
    assert projects and all(p.data["spec"]["signatureKeys"] == [{"keyID": fingerprint[-16:]}] for p in projects)
    keyring = next(o for o in objects if o.kind == "ConfigMap" and o.name == "argocd-gpg-keys-cm").data["data"]
    from composition import KEYS

    assert keyring == {fingerprint[-16:]: (KEYS / f"{fingerprint}.asc").read_text()}
    assert keyring[fingerprint[-16:]].startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_only_the_platforms_base_binds_roles_to_people(objects, platform):
    objs = on_cluster(objects, platform, "shared")
    assert not [f for f in check_delivery(objs) if "to people" in f.message]
    admin = Obj("shared", "headlamp", "clusters/shared/headlamp/ClusterRoleBinding.ops.k8s.yaml", {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "ops"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "ops"}]})
    assert [f.message for f in check_delivery([*objs, admin]) if f.file == admin.file] == [
        "Application shared-headlamp: binds cluster-admin to Group ops: only the platform's base may bind roles "
        "to people (others: view)"]


def _gpg_fingerprints(path, home) -> list[str]:
    """What GnuPG itself reads in a key file: the primary keys' fingerprints (nothing imported)."""
    import subprocess

    listing = subprocess.run(["gpg", "--batch", "--show-keys", "--with-colons", str(path)], check=True,
                             capture_output=True, text=True, env={"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}).stdout
    lines = listing.splitlines()
    return [lines[i + 1].split(":")[9] for i, line in enumerate(lines) if line.startswith("pub:")]


def test_every_key_file_holds_the_key_its_name_says(tmp_path, platform):
    from composition import KEYS, openpgp_fingerprint

    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    files = sorted(KEYS.glob("*.asc"))
    assert {k for c in platform.clusters.values() for k in c.gitops.signing_keys} <= {p.stem for p in files}
    for path in files:
        assert _gpg_fingerprints(path, home) == [path.stem], path.name
        assert openpgp_fingerprint(path.read_text()) == path.stem, path.name


def test_a_key_file_holding_another_key_stops_the_render(tmp_path, monkeypatch, signing_home):
    """The throwaway key saved under the configured key's name: Argo CD's keyring would hold a key that
    signs nothing, and no production commit would ever sync."""
    import shutil
    import subprocess

    import composition
    from envs import ConfigError
    from platectl import render

    fingerprint, home = signing_home
    [configured] = envs.load_cluster("shared").gitops.signing_keys
    keys = tmp_path / "keys"
    keys.mkdir()
    exported = subprocess.run(["gpg", "--armor", "--export", fingerprint], check=True, capture_output=True,
                              env={"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}).stdout
    (keys / f"{configured}.asc").write_bytes(exported)
    assert composition.openpgp_fingerprint(exported.decode()) == fingerprint == _gpg_fingerprints(
        keys / f"{configured}.asc", home)[0]
    monkeypatch.setattr(composition, "KEYS", keys)
    with pytest.raises(ConfigError) as caught:
        render.synth(tmp_path / "dist", warn=lambda _: None)
    assert str(caught.value) == (f"cluster 'shared', component 'argo-cd', field 'gitops.signing_keys': keys/{configured}.asc "
                                 f"holds the key {fingerprint}, not {configured} (export it again: gpg --armor "
                                 f"--export {configured})")
    assert not (tmp_path / "dist").exists()
    shutil.rmtree(keys)


def test_an_environments_application_naming_another_project_is_refused(objects, platform):
    """Committed under environments/staging/apps/, an Application lives in staging's own namespace:
    naming the cluster root's project (or production's) would borrow their rights, and Argo CD refuses
    it (the projects admit Applications from their own namespace only); so do the render's checks. Put
    in Argo CD's own namespace instead, the environments' root may not create it there."""
    objs = on_cluster(objects, platform, "shared")
    web = next(o for o in objs if o.kind == "Application" and o.name == "staging-plate-web")
    assert web.namespace == "argocd-staging" and web.data["spec"]["project"] == "staging-apps"
    projects = {o.name: o.data for o in objs if o.kind == "AppProject"}
    assert projects["staging-apps"]["spec"]["sourceNamespaces"] == ["argocd-staging"]
    assert "sourceNamespaces" not in projects["shared-root"]["spec"]
    import copy
    for project in ("shared-root", "production-apps", "shared-argo-cd"):
        borrowed = copy.deepcopy(web)
        borrowed.data["spec"]["project"] = project
        found = [f.message for f in check_delivery([o for o in objs if o.file != web.file] + [borrowed])
                 if f.check == "project" and f.file == web.file]
        assert f"Application staging-plate-web lives in namespace argocd-staging, which project {project!r} does " \
               "not admit" in "\n".join(found), (project, found)
    moved = copy.deepcopy(web)
    moved.data["metadata"]["namespace"] = "argocd"
    moved.data["spec"]["project"] = "shared-root"
    found = [f.message for f in check_delivery([o for o in objs if o.file != web.file] + [moved]) if f.file == web.file]
    assert "Application staging-root: project shared-environments does not permit namespace argocd" in found, found
    assert not [f for f in check_delivery(objs) if f.check == "project"]


def test_plate_projects_allow_only_the_kinds_plate_components_render(objects, platform):
    objs = on_cluster(objects, platform, "shared")
    for env in ("staging", "production"):
        project = next(o for o in objs if o.kind == "AppProject" and o.name == f"{env}-apps").data["spec"]
        allowed = {(k["group"], k["kind"]) for k in project["namespaceResourceWhitelist"]}
        rendered = {(o.data["apiVersion"].rpartition("/")[0], o.kind) for o in objects if o.env == env
                    and o.component != "apps"}
        assert rendered <= allowed and allowed == rendered, (env, sorted(allowed ^ rendered))
        assert ("", "Secret") not in allowed and ("rbac.authorization.k8s.io", "RoleBinding") not in allowed
