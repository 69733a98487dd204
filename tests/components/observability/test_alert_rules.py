"""Alert rules: golden, annotations on every rule, promtool check and promtool unit tests."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from components.observability.alert_rules import RUNBOOK_SECTIONS, AlertRules, AlertRulesProps, AppTarget, Thresholds

ROOT = Path(__file__).resolve().parents[3]
THRESHOLDS = Thresholds(error_ratio=0.05, latency_p99_seconds=1.0, restarts_per_hour=3, certificate_expiry_days=14,
                             argocd_out_of_sync_minutes=30, fluentd_buffer_queue=64, availability_severity="critical",
                             error_severity="warning", latency_severity="warning", restart_severity="warning",
                             platform_severity="critical")
APPS = (AppTarget("plate-web", "plate-test", "Deployment", True), AppTarget("plate-cache", "plate-test", "StatefulSet", False))
RUNBOOK = "https://git.test.example/plate/blob/main/docs/operations.md"


def build(app):
    return AlertRules(app, AlertRulesProps(apps=APPS, thresholds=THRESHOLDS, runbook_base=RUNBOOK,
                                           platform_namespaces=("cert-manager", "openbao")))


def rule_file(objs: dict, tmp_path: Path) -> Path:
    groups = [g for o in objs.values() if o["kind"] == "PrometheusRule" for g in o["spec"]["groups"]]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return path


def test_rules_match_golden_and_every_rule_is_documented(golden):
    objs = golden("alert-rules", build)
    rules = [r for o in objs.values() for g in o["spec"]["groups"] for r in g["rules"]]
    assert {r["alert"] for r in rules} >= {
        "PlateAppUnavailable", "PlateAppHighErrorRate", "PlateAppHighLatency", "PlateAppRestarting", "PlateAppOOMKilled",
        "CertificateExpiringSoon", "OpenBaoSealed", "ArgoCDApplicationDegraded", "ArgoCDApplicationOutOfSync",
        "FluentdOutputErrors", "FluentdBufferGrowing", "PlatformDeploymentUnavailable", "PlatformPodRestarting"}
    platform = next(o for o in objs.values() if o["metadata"]["name"] == "platform-workloads")
    assert 'namespace=~"cert-manager|openbao"' in platform["spec"]["groups"][0]["rules"][0]["expr"]
    readme = (ROOT / "docs" / "operations.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", readme, re.M)}
    for r in rules:
        ann = r["annotations"]
        assert ann["summary"] and ann["description"], r["alert"]
        base, _, section = ann["runbook_url"].partition("#")
        assert base == RUNBOOK and section in RUNBOOK_SECTIONS and section in anchors, ann["runbook_url"]
        assert r["labels"]["severity"] in ("critical", "warning", "info")
    cache = [r for o in objs.values() if o["metadata"]["name"] == "plate-cache" for g in o["spec"]["groups"]
             for r in g["rules"]]
    assert "PlateAppHighErrorRate" not in {r["alert"] for r in cache}  # no HTTP traffic to measure
    assert 'kube_statefulset_status_replicas_ready{namespace="plate-test",statefulset="plate-cache"} == 0' in {
        r["expr"] for r in cache}


def test_every_rule_group_passes_promtool_check(synth, tmp_path, promtool):
    tool = promtool
    path = rule_file(synth(build), tmp_path)
    proc = subprocess.run([tool, "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_availability_and_certificate_expiry_alerts_fire_on_synthetic_series(synth, tmp_path, promtool):
    tool = promtool
    path = rule_file(synth(build), tmp_path)
    unit = {
        "rule_files": [path.name],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'kube_deployment_status_replicas_available{namespace="plate-test",deployment="plate-web"}',
                     "values": "2 2 0x20"},
                ],
                "alert_rule_test": [
                    {"eval_time": "3m", "alertname": "PlateAppUnavailable", "exp_alerts": []},
                    {"eval_time": "10m", "alertname": "PlateAppUnavailable", "exp_alerts": [{
                        "exp_labels": {"severity": "critical", "namespace": "plate-test", "app": "plate-web",
                                       "deployment": "plate-web"},
                        "exp_annotations": {
                            "summary": "plate-web has no ready replica",
                            "description": "No pod of plate-test/plate-web has been ready for 5 minutes: the service is down.",
                            "runbook_url": f"{RUNBOOK}#pods"}}]},
                ],
            },
            {
                "interval": "1m",
                # expires 3 days after the epoch; evaluation runs at t=2h, so 2 days and 22 hours remain
                "input_series": [
                    {"series": 'certmanager_certificate_expiration_timestamp_seconds{namespace="plate-test",name="plate-app-tls"}',
                     "values": "259200x150"},
                ],
                "alert_rule_test": [{"eval_time": "2h", "alertname": "CertificateExpiringSoon", "exp_alerts": [{
                    "exp_labels": {"severity": "critical", "namespace": "plate-test", "name": "plate-app-tls"},
                    "exp_annotations": {
                        "summary": "Certificate plate-test/plate-app-tls expires soon",
                        "description": "The certificate expires in less than 14 days and cert-manager has not renewed it.",
                        "runbook_url": f"{RUNBOOK}#certificates"}}]}],
            },
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'certmanager_certificate_expiration_timestamp_seconds{namespace="plate-test",name="fresh"}',
                     "values": "7776000x150"},
                ],
                "alert_rule_test": [{"eval_time": "2h", "alertname": "CertificateExpiringSoon", "exp_alerts": []}],
            },
        ],
    }
    test_file = tmp_path / "test.yaml"
    test_file.write_text(yaml.safe_dump(unit, sort_keys=False))
    proc = subprocess.run([tool, "test", "rules", str(test_file)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
