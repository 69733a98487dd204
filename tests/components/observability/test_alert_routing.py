"""Alert routing: Alertmanager's configuration from the typed settings, checked and route-tested with amtool."""
from __future__ import annotations

import subprocess

import pytest
import yaml

import envs
from components.observability.alert_routing import SECRET_DIR, alertmanager_config
from tests.gotemplate import execute


@pytest.fixture(scope="module")
def config_file(tmp_path_factory, fresh_render):
    """The configuration Alertmanager loads, read back from the render: the Secret its ``configSecret``
    names is written by our ExternalSecret, whose template holds ``alertmanager.yaml``."""
    folder = fresh_render / "clusters" / "shared"
    [manager] = [yaml.safe_load(p.read_text()) for p in folder.glob("*/Alertmanager.*.k8s.yaml")]
    secret = manager["spec"]["configSecret"]
    writers = [d for p in folder.glob("*/ExternalSecret.*.k8s.yaml") if (d := yaml.safe_load(p.read_text()))
               and d["metadata"]["namespace"] == manager["metadata"]["namespace"]
               and d["spec"]["target"]["name"] == secret]
    assert len(writers) == 1, f"the Secret {secret!r} Alertmanager loads has {len(writers)} writers in dist/"
    template = writers[0]["spec"]["target"]["template"]
    assert template["engineVersion"] == "v2"
    # External Secrets executes the template (Go text/template with sprig) to make the Secret's value
    text = execute({"alertmanager.yaml": template["data"]["alertmanager.yaml"]}, {})["alertmanager.yaml"]
    assert "{{ .Status | toUpper }}" in text  # Alertmanager's own template survives, unescaped
    path = tmp_path_factory.mktemp("alertmanager") / "alertmanager.yaml"
    path.write_text(text)
    return path


def test_the_rendered_configuration_passes_amtool(config_file, amtool):
    proc = subprocess.run([amtool, "check-config", str(config_file)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " - 5 receivers" in proc.stdout and " - 1 inhibit rules" in proc.stdout


@pytest.mark.parametrize("labels, receiver", [
    ({"environment": "production", "severity": "critical", "alertname": "PlateAppUnavailable"}, "oncall"),
    ({"environment": "production", "severity": "warning", "alertname": "PlateAppHighLatency"}, "production"),
    ({"environment": "staging", "severity": "critical", "alertname": "PlateAppUnavailable"}, "staging"),
    ({"environment": "staging", "severity": "warning", "alertname": "PlateAppRestarting"}, "staging"),
    ({"severity": "critical", "alertname": "OpenBaoSealed"}, "oncall"),  # the platform's own
    ({"severity": "warning", "alertname": "FluentdBufferGrowing"}, "platform"),
    ({"alertname": "Watchdog", "severity": "none"}, "deadman"),
    ({"environment": "qa", "severity": "critical", "alertname": "PlateAppUnavailable"}, "platform"),  # never pages
])
def test_sample_alerts_reach_the_right_receiver(config_file, amtool, labels, receiver):
    proc = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config_file}",
                           *(f"{k}={v}" for k, v in labels.items())], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == receiver


def test_a_critical_alert_inhibits_its_warnings_and_credentials_are_files():
    config = alertmanager_config(envs.load_cluster("shared").alerting)
    assert config["inhibit_rules"] == [{"source_matchers": ['severity="critical"'],
                                        "target_matchers": ['severity=~"warning|info"'],
                                        "equal": ["alertname", "environment", "namespace"]}]
    text = yaml.safe_dump(config)
    assert "hooks.slack.com" not in text and "routing_key:" not in text and "api_url:" not in text
    files = [v for r in config["receivers"] for key, cfgs in r.items() if key != "name" for c in cfgs
             for k, v in c.items() if k.endswith("_file")]
    assert files and all(f.startswith(SECRET_DIR + "/") for f in files)
