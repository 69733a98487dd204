"""Argo CD's notifications as its engine loads them: the rendered ``argocd-notifications-cm`` read back
from dist/, every template text parsed and executed by Go's text/template with sprig (through the pinned
Helm, tests/gotemplate.py) against a sample Application of each environment; triggers send templates
that exist; subscriptions name triggers and services that exist. The engine compiles every template
at start-up and refuses the whole configuration when one fails: one broken text silences them all."""
from __future__ import annotations

import re

import pytest
import yaml

from tests.gotemplate import TemplateError, execute

COMMIT_CALL = "(call .repo.GetCommitMetadata .app.status.sync.revision)"
FIELD = re.compile(r"\.(app|context)((?:\.[A-Za-z0-9_]+)+)")
SUBJECT_LIMIT = 120
HELM_ONLY = {"include", "tpl", "required", "lookup", "toYaml", "fromYaml", "fromYamlArray", "toToml", "fromJson",
             "fromJsonArray"}  # what the e-mail subjects promise, of the rendered text


def _strings(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def sample_app(environment: str, component: str) -> dict:
    return {"metadata": {"name": f"{environment}-{component}", "namespace": "argocd",
                         "labels": {"plate.io/environment": environment, "plate.io/component": component}},
            "status": {"sync": {"status": "Synced", "revision": "0123456789abcdef0123456789abcdef01234567"},
                       "health": {"status": "Degraded", "message": "Deployment plate-web: CrashLoopBackOff"},
                       "operationState": {"phase": "Failed", "message": "one or more objects failed to apply"}}}


def problems(data: dict[str, str], apps: list[dict]) -> list[str]:
    """What the notifications engine would refuse or get wrong in the ConfigMap's ``data``."""
    found: list[str] = []
    context = yaml.safe_load(data.get("context", "")) or {}
    texts: dict[str, str] = {}
    for key, value in data.items():
        if key.startswith("template."):
            for path, text in _strings(yaml.safe_load(value)):
                texts[f"{key}.{path}"] = text
    # 1. every text parses (wrapped so that nothing executes: Go parses the whole text first)
    try:
        execute({k: f"{{{{- if false -}}}}{t}{{{{- end -}}}}" for k, t in texts.items()}, {})
    except TemplateError:
        for key, text in texts.items():  # which ones
            try:
                execute({key: f"{{{{- if false -}}}}{text}{{{{- end -}}}}"}, {})
            except TemplateError as exc:
                found.append(f"{key}: does not parse: {str(exc).rpartition(': template: ')[2]}")
        return found
    # Helm's own functions parse here but not in Argo CD's engine (text/template, sprig, its own)
    for key, text in texts.items():
        for action in re.findall(r"{{(.*?)}}", text, re.S):
            used = HELM_ONLY & set(re.findall(r"[A-Za-z_]+", action))
            if used:
                found.append(f"{key}: uses {sorted(used)[0]}, a function of Helm's, not of Argo CD's engine")
    # 2. every text executes against each sample (the engine's repo.GetCommitMetadata is a function,
    # which the sample provides as its result)
    for app in apps:
        runnable = {k: t.replace(COMMIT_CALL, ".commit") for k, t in texts.items()}
        leftover = [k for k, t in runnable.items() if "call " in t]
        if leftover:
            found.append(f"{leftover[0]}: calls a function the check cannot provide")
            continue
        fields = {"app": app, "context": context}
        for key, text in runnable.items():
            for root, path in FIELD.findall(text):
                node = fields[root]
                for part in path.strip(".").split("."):
                    node = node.get(part) if isinstance(node, dict) else None
                if node is None:
                    found.append(f"{key}: a field the Application does not have (.{root}{path})")
        try:
            out = execute(runnable, {"app": app, "context": context,
                                     "commit": {"Tags": ["publish/staging/7"], "Message": "publish"}})
        except TemplateError as exc:
            found.append(f"{app['metadata']['name']}: does not execute: {exc}")
            continue
        for key, text in out.items():
            if key.endswith("email.subject") and len(text) > SUBJECT_LIMIT:
                found.append(f"{key}: a subject of {len(text)} characters")
    # 3. triggers send templates that exist
    for key, value in data.items():
        if key.startswith("trigger."):
            for condition in yaml.safe_load(value):
                for template in condition["send"]:
                    if f"template.{template}" not in data:
                        found.append(f"{key}: sends {template!r}, no such template")
    return found


@pytest.fixture(scope="module")
def notifications(fresh_render) -> dict[str, str]:
    path = fresh_render / "clusters" / "shared" / "argo-cd" / "ConfigMap.argocd-notifications-cm.k8s.yaml"
    return yaml.safe_load(path.read_text())["data"]


@pytest.fixture(scope="module")
def apps(platform) -> list[dict]:
    long = "c" * 63  # the longest label value a component name can have
    return [sample_app(env, component) for env in sorted(platform.environments) for component in ("plate-web", long)]


def test_every_rendered_template_parses_and_executes_for_every_environment(notifications, apps):
    assert sum(k.startswith("template.") for k in notifications) == 4
    assert problems(notifications, apps) == []


def test_the_subjects_name_environment_component_and_revision(notifications, apps):
    texts = {k: yaml.safe_load(v)["email"]["subject"] for k, v in notifications.items() if k.startswith("template.")}
    out = execute({k: t.replace(COMMIT_CALL, ".commit") for k, t in texts.items()},
                  {"app": apps[0], "context": {}, "commit": {"Tags": []}})
    assert out["template.plate-sync-failed"] == "Sync FAILED: production/plate-web revision 0123456789ab"
    assert out["template.plate-deployed"] == "Deployed: production/plate-web revision 0123456789ab"
    assert out["template.plate-health-degraded"] == "DEGRADED: production/plate-web revision 0123456789ab"


def test_a_template_cut_through_an_action_is_caught(notifications, apps):
    broken = dict(notifications)
    template = yaml.safe_load(broken["template.plate-sync-failed"])
    template["email"]["subject"] = template["message"][:120]  # what a length limit on the source did
    broken["template.plate-sync-failed"] = yaml.safe_dump(template)
    found = problems(broken, apps)
    assert found == ['template.plate-sync-failed.email.subject: does not parse: gotpl:1: unexpected "}" in operand']


def test_a_trigger_sending_a_missing_template_and_a_missing_field_are_caught(notifications, apps):
    broken = dict(notifications)
    broken["trigger.on-deployed"] = broken["trigger.on-deployed"].replace("plate-deployed", "plate-deploy")
    template = yaml.safe_load(broken["template.plate-deployed"])
    template["message"] += " {{.app.status.nothing}}"
    broken["template.plate-deployed"] = yaml.safe_dump(template)
    template = yaml.safe_load(broken["template.plate-sync-succeeded"])
    template["message"] = '{{ include "x" . }}'
    broken["template.plate-sync-succeeded"] = yaml.safe_dump(template)
    found = problems(broken, apps)
    assert "template.plate-sync-succeeded.message: uses include, a function of Helm's, not of Argo CD's engine" in found
    assert "trigger.on-deployed: sends 'plate-deploy', no such template" in found
    assert "template.plate-deployed.message: a field the Application does not have (.app.status.nothing)" in found


def test_subscriptions_name_triggers_and_services_that_exist(notifications, objects):
    triggers = {k.removeprefix("trigger.") for k in notifications if k.startswith("trigger.")}
    services = {k.split(".", 2)[2] for k in notifications if k.startswith("service.")}
    seen = 0
    for app in (o for o in objects if o.kind == "Application"):
        for key in app.data["metadata"].get("annotations", {}):
            if key.startswith("notifications.argoproj.io/subscribe."):
                trigger, service = key.removeprefix("notifications.argoproj.io/subscribe.").split(".", 1)
                assert trigger in triggers and service in services, (app.file, key)
                seen += 1
    assert seen, "no Application subscribes to anything: nothing checked"
