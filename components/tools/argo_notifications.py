"""Argo CD notifications: how a deployment went, told to the people of each environment.

Triggers on sync succeeded, sync failed, health degraded and deployed (synced and healthy, once per
revision); templates that name the environment, the component, the revision and its publish tag
(read from the rendered branch through ``repo.GetCommitMetadata``); subscriptions per environment,
rendered as annotations on that environment's Applications; services typed (Slack, webhook,
e-mail) with their credentials from OpenBao in ``argocd-notifications-secret``.
"""
from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import Field, model_validator

from components.core import Obj
from components.types import DnsLabel, Email, KvPath, Strict

SECRET_NAME = "argocd-notifications-secret"
Trigger = Literal["on-deployed", "on-sync-succeeded", "on-sync-failed", "on-health-degraded"]
TRIGGERS: dict[str, Obj] = {
    "on-deployed": {"when": "app.status.operationState != nil and app.status.operationState.phase in ['Succeeded'] "
                            "and app.status.health.status == 'Healthy'",
                    "oncePer": "app.status.sync.revision", "send": ["plate-deployed"]},
    "on-sync-succeeded": {"when": "app.status.operationState != nil and "
                                  "app.status.operationState.phase in ['Succeeded']", "send": ["plate-sync-succeeded"]},
    "on-sync-failed": {"when": "app.status.operationState != nil and "
                               "app.status.operationState.phase in ['Error', 'Failed']", "send": ["plate-sync-failed"]},
    "on-health-degraded": {"when": "app.status.health.status == 'Degraded'", "send": ["plate-health-degraded"]},
}
_WHAT = ('{{index .app.metadata.labels "plate.io/environment"}}/{{index .app.metadata.labels "plate.io/component"}} '
         "revision {{.app.status.sync.revision | trunc 12}} "
         "({{range (call .repo.GetCommitMetadata .app.status.sync.revision).Tags}}{{.}} {{end}})")
_LINK = "{{.context.argocdUrl}}/applications/{{.app.metadata.namespace}}/{{.app.metadata.name}}"
_WEBHOOK_BODY = ('{"event": "EVENT", "environment": "{{index .app.metadata.labels "plate.io/environment"}}", '
                 '"component": "{{index .app.metadata.labels "plate.io/component"}}", '
                 '"revision": "{{.app.status.sync.revision}}", "application": "{{.app.metadata.name}}"}')
# E-mail subjects: short by construction, and cut at 120 characters of the rendered text (sprig's
# trunc), never of the template's source, which a cut would leave unparseable.
_SUBJECT = ('{{ printf "%s: %s/%s revision %s" "WHAT" (index .app.metadata.labels "plate.io/environment") '
            '(index .app.metadata.labels "plate.io/component") (.app.status.sync.revision | trunc 12) | trunc LIMIT }}')
SUBJECTS = {
    "plate-deployed": "Deployed",
    "plate-sync-succeeded": "Synced",
    "plate-sync-failed": "Sync FAILED",
    "plate-health-degraded": "DEGRADED",
}
SUBJECT_LIMIT = 120
MESSAGES = {
    "plate-deployed": f"Deployed {_WHAT}: synced and healthy. {_LINK}",
    "plate-sync-succeeded": f"Synced {_WHAT}. {_LINK}",
    "plate-sync-failed": f"Sync FAILED for {_WHAT}: {{{{.app.status.operationState.message}}}} {_LINK}",
    "plate-health-degraded": f"DEGRADED: {_WHAT} is unhealthy ({{{{.app.status.health.message}}}}). {_LINK}",
}


class SlackService(Strict):
    type: Literal["slack"]
    credentials_path: KvPath  # KV entry with ``token`` (a bot token)


class WebhookService(Strict):
    type: Literal["webhook"]
    url: Annotated[str, Field(pattern=r"^https://[^\s]+$")]
    credentials_path: KvPath | None = None  # KV entry with ``token``, sent as a bearer token


class EmailService(Strict):
    type: Literal["email"]
    host: Annotated[str, Field(pattern=r"^[a-z0-9.-]+$")]
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    sender: Email
    username: Annotated[str, Field(min_length=1)]
    credentials_path: KvPath  # KV entry with ``password``


Service = Annotated[SlackService | WebhookService | EmailService, Field(discriminator="type")]
_KEY = {"slack": "token", "webhook": "token", "email": "password"}


class Subscription(Strict):
    """The Applications of ``environment`` notify ``recipients`` (Slack channels, e-mail addresses;
    none for a webhook) through ``service`` on ``triggers``."""

    environment: DnsLabel
    service: DnsLabel
    recipients: list[Annotated[str, Field(pattern=r"^[^;\s]+$")]] = []
    triggers: Annotated[list[Trigger], Field(min_length=1)] = ["on-deployed", "on-sync-failed", "on-health-degraded"]


class ArgoNotifications(Strict):
    """What a cluster may change of Argo CD's notifications."""

    services: Annotated[dict[DnsLabel, Service], Field(min_length=1)]
    subscriptions: list[Subscription] = []

    @model_validator(mode="after")
    def _known(self) -> ArgoNotifications:
        for i, s in enumerate(self.subscriptions):
            if s.service not in self.services:
                raise ValueError(f"subscriptions.{i}.service: no service {s.service!r} "
                                 f"(services: {', '.join(sorted(self.services))})")
            if self.services[s.service].type != "webhook" and not s.recipients:
                raise ValueError(f"subscriptions.{i}.recipients: a {self.services[s.service].type} service needs them")
        return self

    def annotations(self, environment: str) -> dict[str, str]:
        """The subscription annotations of one environment's Applications."""
        out: dict[str, str] = {}
        for s in self.subscriptions:
            if s.environment == environment:
                for trigger in s.triggers:
                    out[f"notifications.argoproj.io/subscribe.{trigger}.{s.service}"] = ";".join(s.recipients)
        return dict(sorted(out.items()))

    def secret_values(self) -> list[tuple[str, str, str]]:
        """(secret key, KV path, property) of every service credential."""
        return [(f"{name}-{_KEY[s.type]}", s.credentials_path, _KEY[s.type])
                for name, s in sorted(self.services.items()) if s.credentials_path]


def _notifier(name: str, s: SlackService | WebhookService | EmailService) -> str:
    if isinstance(s, SlackService):
        config: Obj = {"token": f"${name}-token"}
    elif isinstance(s, WebhookService):
        config = {"url": s.url}
        if s.credentials_path:
            config["headers"] = [{"name": "Authorization", "value": f"Bearer ${name}-token"}]
    else:
        config = {"host": s.host, "port": s.port, "from": s.sender, "username": s.username,
                  "password": f"${name}-password"}
    return yaml.safe_dump(config, sort_keys=False)


def values(settings: ArgoNotifications, argocd_url: str) -> Obj:
    """The argo-cd chart's ``notifications`` values (its Secret comes from OpenBao, not the chart)."""
    webhooks = [name for name, s in sorted(settings.services.items()) if s.type == "webhook"]
    templates: dict[str, str] = {}
    for name, message in MESSAGES.items():
        subject = _SUBJECT.replace("WHAT", SUBJECTS[name]).replace("LIMIT", str(SUBJECT_LIMIT))
        template: Obj = {"message": message, "email": {"subject": subject}}
        for hook in webhooks:  # a body of fields a receiving service can route on
            template[f"webhook.{hook}"] = {"method": "POST", "body": _WEBHOOK_BODY.replace("EVENT", name)}
        templates[f"template.{name}"] = yaml.safe_dump(template, sort_keys=False)
    return {
        "enabled": True,
        "argocdUrl": argocd_url,
        "secret": {"create": False, "name": SECRET_NAME},
        "notifiers": {f"service.{s.type}.{name}": _notifier(name, s) for name, s in sorted(settings.services.items())},
        "templates": templates,
        "triggers": {f"trigger.{t}": yaml.safe_dump([spec], sort_keys=False) for t, spec in TRIGGERS.items()},
    }
