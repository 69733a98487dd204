"""Backups and recovery: every volume the render makes is declared (backed up, or its loss accepted with
a reason), each backed-up state has its CronJob and, on a cluster that asks for it, its backup before
every sync; OpenBao's backup may take a snapshot and nothing else; a stale backup pages; a restore is
printed as steps and Jobs the Kubernetes schemas accept."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

import envs
from platectl import restoring, schemas
from tests.helpers import Obj, load_objects, on_cluster

ROOT = Path(__file__).resolve().parent.parent
BACKED_UP = {"openbao-raft": "openbao", "harbor-database": "harbor", "harbor-registry": "harbor",
             "jenkins-home": "jenkins", "grafana-data": "monitoring"}


def volumes(objs: list[Obj]) -> set[tuple[str, str]]:
    """(namespace, volume id) of every volume the render makes, by what makes it."""
    found = set()
    for o in objs:
        ns = o.namespace
        if o.kind == "PersistentVolumeClaim" and o.name != "backups":
            found.add((ns, f"PersistentVolumeClaim/{o.name}"))
        elif o.kind == "StatefulSet":
            for t in o.data["spec"].get("volumeClaimTemplates") or []:
                found.add((ns, f"StatefulSet/{o.name}/{t['metadata']['name']}"))
        elif o.kind in ("Prometheus", "Alertmanager") and (o.data["spec"].get("storage") or {}):
            found.add((ns, f"{o.kind}/{o.name}"))
    return found


def undeclared(objs: list[Obj], infos: dict) -> list[str]:
    declared = {(info.namespace, s.volume) for info in infos.values() for s in info.state}
    return sorted(f"{ns}: {v}" for ns, v in volumes(objs) - declared)


def test_every_volume_is_declared_with_its_backup_or_why_its_loss_is_accepted(objects, platform, infos):
    objs = on_cluster(objects, platform, "shared")
    assert len(volumes(objs)) >= 12  # PVCs, StatefulSets' claim templates, Prometheus' storage
    assert undeclared(objs, infos["shared"]) == []
    for info in infos["shared"].values():
        for s in info.state:
            assert s.backed_up or len(s.reason) > 20, f"{info.name}: {s.volume} is not backed up and says not why"
    backed = {s.name: info.namespace for info in infos["shared"].values() for s in info.state if s.backed_up}
    assert backed == BACKED_UP


def test_an_undeclared_volume_is_caught(objects, platform, infos):
    objs = on_cluster(objects, platform, "shared")
    grafana = next(info for (_, name), info in infos["shared"].items() if name == "grafana")
    without = {k: (v if v is not grafana else type(v)(**{**vars(v), "state": ()})) for k, v in infos["shared"].items()}
    assert undeclared(objs, without) == ["monitoring: PersistentVolumeClaim/grafana"]
    extra = Obj("shared", "jenkins", "x", {"kind": "PersistentVolumeClaim",
                                           "metadata": {"name": "plugins", "namespace": "jenkins"}})
    assert undeclared([*objs, extra], infos["shared"]) == ["jenkins: PersistentVolumeClaim/plugins"]


def test_each_backup_runs_on_schedule_and_before_every_sync_of_its_component(objects, platform):
    objs = on_cluster(objects, platform, "shared")
    by = {(o.kind, o.namespace, o.name): o for o in objs}
    settings = platform.clusters["shared"].backups
    for name, ns in BACKED_UP.items():
        cron = by[("CronJob", ns, name)].data
        assert cron["spec"]["schedule"] == settings.schedule and cron["spec"]["concurrencyPolicy"] == "Forbid"
        hook = by[("Job", ns, f"{name}-before-sync")]
        assert hook.data["metadata"]["annotations"] == {
            "argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/sync-wave": "-1",
            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}
        assert hook.data["spec"] == cron["spec"]["jobTemplate"]["spec"]  # the same backup
        assert hook.component == by[("CronJob", ns, name)].component  # in the component's own Application
        pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        script = pod["containers"][0]["args"][0]
        assert f"tail -n +{settings.keep + 1}" in script  # keeps `keep` backups
        assert {"name": "backups", "persistentVolumeClaim": {"claimName": "backups"}} in pod["volumes"]
        claim = by[("PersistentVolumeClaim", ns, "backups")].data
        assert claim["spec"]["storageClassName"] == "plate-backups"
        assert claim["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] == "-2"
    # the claims a copy reads sync before the backup: a first install creates them empty
    for ns, claim in (("jenkins", "jenkins"), ("monitoring", "grafana"), ("harbor", "harbor-registry")):
        assert by[("PersistentVolumeClaim", ns, claim)].data["metadata"]["annotations"][
            "argocd.argoproj.io/sync-wave"] == "-2"
    backups_class = by[("StorageClass", None, "plate-backups")].data
    assert backups_class["parameters"] == {"server": "10.20.0.11", "share": "/export/plate-backups",
                                           "subDir": "${pvc.metadata.namespace}", "onDelete": "retain"}
    assert backups_class["reclaimPolicy"] == "Retain"


def test_a_staging_only_cluster_backs_up_on_schedule_only_unless_it_asks(layout_render):
    objs = load_objects(layout_render)
    hooks = {(o.env, o.name) for o in objs if o.kind == "Job" and o.name.endswith("-before-sync")}
    crons = {(o.env, o.name) for o in objs if o.kind == "CronJob"}
    assert crons == {(c, n) for c in ("stg", "prod") for n in BACKED_UP}
    assert hooks == {("prod", f"{n}-before-sync") for n in BACKED_UP}  # the staging cluster did not ask


def test_a_production_cluster_must_back_up_before_every_sync():
    from envs.rules import TierError, production_cluster

    shared = envs.load_platform().clusters["shared"]
    production_cluster(shared)
    relaxed = shared.model_copy(update={"backups": shared.backups.model_copy(update={"before_sync": False})})
    with pytest.raises(TierError, match="every sync that changes a stateful component is preceded by its backup"):
        production_cluster(relaxed)


def test_openbaos_backup_may_take_a_snapshot_and_nothing_else(objects, platform):
    objs = on_cluster(objects, platform, "shared")
    policies = next(o for o in objs if o.kind == "ConfigMap" and o.name == "openbao-policies").data["data"]
    hcl = policies["openbao-raft.hcl"]
    assert re.findall(r'^path "([^"]+)" \{\n  capabilities = (\[[^]]*\])\n\}', hcl, re.M) == [
        ("sys/storage/raft/snapshot", '["read"]')]
    role = yaml.safe_load(policies["openbao-raft.role.json"])
    assert role["bound_service_account_names"] == ["openbao-raft"]
    assert role["bound_service_account_namespaces"] == ["openbao"] and role["token_policies"] == ["openbao-raft"]
    assert "bao policy write openbao-raft openbao-raft.hcl" in policies["apply.sh"]
    cron = next(o for o in objs if o.kind == "CronJob" and o.name == "openbao-raft").data
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "openbao-raft" and pod["automountServiceAccountToken"] is True
    assert "auth/kubernetes/login role=openbao-raft" in pod["containers"][0]["args"][0]
    # OpenBao's fence lets exactly these pods in on its API port
    fence = next(o for o in objs if o.kind == "NetworkPolicy" and o.name == "openbao").data["spec"]["ingress"]
    assert {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "openbao-raft",
                                                       "app.kubernetes.io/instance": "openbao-raft"}}}],
            "ports": [{"protocol": "TCP", "port": 8200}]} in fence


def test_a_stale_or_never_successful_backup_pages_and_a_fresh_one_does_not(objects, platform, tmp_path, promtool):
    objs = on_cluster(objects, platform, "shared")
    rule = next(o for o in objs if o.kind == "PrometheusRule" and o.name == "platform-backups").data
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    day_and_2h = 26 * 3600  # the shared cluster's max_age
    assert f"> {day_and_2h}" in rule["spec"]["groups"][0]["rules"][0]["expr"]

    def series(name: str, cron: str, values: str) -> dict:
        ns = BACKED_UP[cron]
        return {"series": f'{name}{{namespace="{ns}",cronjob="{cron}"}}', "values": values}

    def fired(cron: str) -> dict:
        return {"exp_labels": {"severity": "critical", "namespace": BACKED_UP[cron], "cronjob": cron, "backup": cron},
                "exp_annotations": {
                    "summary": f"Backup {BACKED_UP[cron]}/{cron} is older than 26 hours",
                    "description": f"The newest successful backup of {cron} is older than 26 hours, or it never "
                                   "succeeded: a restore would lose everything since. Look at the CronJob's last Job.",
                    "runbook_url": rule["spec"]["groups"][0]["rules"][0]["annotations"]["runbook_url"]}}

    unit = {"rule_files": ["rules.yaml"], "evaluation_interval": "5m", "tests": [{
        "interval": "5m",
        "input_series": [
            series("kube_cronjob_created", "openbao-raft", "0x400"),
            series("kube_cronjob_status_last_successful_time", "openbao-raft", "0+300x400"),  # fresh: now
            series("kube_cronjob_created", "jenkins-home", "0x400"),
            series("kube_cronjob_status_last_successful_time", "jenkins-home", "0x400"),  # stale: at time 0
            series("kube_cronjob_created", "grafana-data", "0x400"),  # never succeeded
        ],
        "alert_rule_test": [
            {"eval_time": "25h", "alertname": "BackupTooOld", "exp_alerts": []},
            {"eval_time": "27h", "alertname": "BackupTooOld", "exp_alerts": [fired("grafana-data"),
                                                                             fired("jenkins-home")]},
        ],
    }]}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    proc = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the failing case: a fresh backup must not page
    unit["tests"][0]["alert_rule_test"][1]["exp_alerts"].append(fired("openbao-raft"))
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(unit, sort_keys=False))
    proc = subprocess.run([promtool, "test", "rules", "test.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1 and "openbao-raft" in proc.stdout + proc.stderr


@pytest.mark.parametrize("name", sorted(BACKED_UP))
def test_restore_prints_the_steps_in_order_and_a_job_the_schemas_accept(name):
    text = restoring.steps("shared", name, None)
    lines = text.splitlines()
    steps = [line for line in lines if re.match(r"^# \d+\. ", line)]
    assert [s.split(". ", 1)[0] for s in steps] == [f"# {i}" for i in range(1, len(steps) + 1)]
    assert "skip-reconcile=true" in lines[lines.index(steps[0]) + 1]  # Argo CD paused first
    job = yaml.safe_load(text.split("kubectl apply -f - <<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0])
    assert job["kind"] == "Job" and job["metadata"]["name"] == f"{name}-restore"
    assert schemas.validate_builtin(job, schemas.declared(envs.load_platform().clusters["shared"].kubernetes_version)) == []
    pod = job["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert text.rstrip().endswith("platectl status --env shared")
    if name == "openbao-raft":  # unseal with the keys of the OpenBao the snapshot came from
        assert text.index("create secret generic openbao-restore-token") < text.index("kubectl apply")
        assert text.index("kubectl apply") < text.index("bao operator unseal")
    else:  # what writes to it is stopped before and started after
        stop = text.index("--replicas=0")
        assert stop < text.index("kubectl apply") < text.index("skip-reconcile-")


def test_restore_refuses_an_unknown_backup_and_a_path():
    with pytest.raises(restoring.RestoreError, match="cluster 'shared' has no backup 'nope' "
                                                     r"\(backups: grafana-data, harbor-database, harbor-registry"):
        restoring.steps("shared", "nope", None)
    with pytest.raises(restoring.RestoreError, match="--from '../x.tar.gz': a file name of the grafana-data folder"):
        restoring.steps("shared", "grafana-data", "../x.tar.gz")
    text = restoring.steps("shared", "grafana-data", "20261201T013000Z.tar.gz")
    assert 'file="/backup/grafana-data/20261201T013000Z.tar.gz"' in text


def test_the_readmes_backup_section_runs_as_written_and_lists_every_backup():
    """The README's restore command, run exactly as written; its inventory table names every backup."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Backups and recovery", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"`(\.venv/bin/platectl restore [^`]+)`", section).group(1)
    proc = subprocess.run(command.split(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == restoring.steps("shared", command.split()[-1], None)
    listed = set(re.findall(r"`([a-z]+-[a-z]+)`: ", section))
    assert listed == set(BACKED_UP), listed
