"""Where alerts go: Alertmanager's receivers, routes by environment and severity, grouping,
inhibition, and the Watchdog heartbeat to a dead man's switch.

Receivers' credentials come from OpenBao through one ExternalSecret, mounted into Alertmanager
(``alertmanagerSpec.secrets``) and read through the ``*_file`` settings: no credential is in the
configuration, in Git or in ``dist/``. The configuration itself is a key of the same Secret, templated
by the ExternalSecret from the text rendered here (Alertmanager reads its configuration only from a
Secret, and no Secret with data is ever rendered); a reviewer reads every route in the ExternalSecret.
"""
from __future__ import annotations

from typing import Annotated, Literal

import yaml
from constructs import Construct
from pydantic import Field, model_validator

from components.core import Component, Obj, labels
from components.observability.alert_rules import Severity
from components.secrets import RemoteValue, SecretStoreRef, external_secret, literal_template
from components.types import PROPS_CONFIG, DnsLabel, Duration, Email, KvPath, Strict

SECRET_NAME = "alertmanager-receivers"
SECRET_DIR = f"/etc/alertmanager/secrets/{SECRET_NAME}"
CONFIG_KEY = "alertmanager.yaml"  # the key the Prometheus Operator reads from the configuration Secret
HEARTBEAT_ALERT = "Watchdog"  # always firing (kube-prometheus-stack's default rules): silence means trouble


class SlackReceiver(Strict):
    type: Literal["slack"]
    channel: Annotated[str, Field(pattern=r"^[#@]?[a-z0-9][a-z0-9._-]{0,79}$")]
    credentials_path: KvPath  # KV entry with ``url`` (the incoming webhook)


class WebhookReceiver(Strict):
    type: Literal["webhook"]
    url: Annotated[str, Field(pattern=r"^https://[^\s]+$")]
    credentials_path: KvPath | None = None  # KV entry with ``token`` (a bearer token), if the endpoint wants one


class EmailReceiver(Strict):
    type: Literal["email"]
    to: Email
    sender: Email
    smarthost: Annotated[str, Field(pattern=r"^[a-z0-9.-]+:[0-9]{1,5}$")]
    username: Annotated[str, Field(min_length=1)]
    credentials_path: KvPath  # KV entry with ``password``


class PagerDutyReceiver(Strict):
    """Pages a person: never for an environment below production (envs/rules.py)."""

    type: Literal["pagerduty"]
    credentials_path: KvPath  # KV entry with ``routing-key`` (Events API v2)


Receiver = Annotated[SlackReceiver | WebhookReceiver | EmailReceiver | PagerDutyReceiver, Field(discriminator="type")]
# the KV property each receiver type reads, and the secret key it is mounted as
_KEYS = {"slack": ("url", "slack-url"), "webhook": ("token", "webhook-token"), "email": ("password", "email-password"),
         "pagerduty": ("routing-key", "pagerduty-routing-key")}


class AlertRoute(Strict):
    """Alerts of ``environment`` and ``severity`` go to ``receiver``; the first matching route wins.
    Unset matches any; ``environment: ""`` matches only the platform's own alerts (they carry none)."""

    receiver: DnsLabel
    environment: DnsLabel | Literal[""] | None = None
    severity: Severity | None = None


class AlertRoutingSettings(Strict):
    """What a cluster may change."""

    receivers: Annotated[dict[DnsLabel, Receiver], Field(min_length=1)]
    routes: list[AlertRoute] = []
    default_receiver: DnsLabel
    heartbeat_receiver: DnsLabel | None = None  # gets Watchdog every few minutes: a dead man's switch
    group_by: list[str] = ["alertname", "environment", "namespace"]
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "4h"

    @model_validator(mode="after")
    def _known(self) -> AlertRoutingSettings:
        named = [("default_receiver", self.default_receiver), ("heartbeat_receiver", self.heartbeat_receiver),
                 *((f"routes.{i}.receiver", r.receiver) for i, r in enumerate(self.routes))]
        for field, name in named:
            if name is not None and name not in self.receivers:
                raise ValueError(f"{field}: no receiver {name!r} (receivers: {', '.join(sorted(self.receivers))})")
        return self

    def receiver_for(self, environment: str | None, severity: str) -> str:
        """Where an alert with these labels goes (first matching route, as Alertmanager decides)."""
        for route in self.routes:
            env_matches = route.environment is None or route.environment == (environment or "")
            if env_matches and route.severity in (None, severity):
                return route.receiver
        return self.default_receiver

    def pages(self, receiver: str) -> bool:
        return self.receivers[receiver].type == "pagerduty"


class AlertRoutingProps(AlertRoutingSettings):
    model_config = PROPS_CONFIG

    secret_store: SecretStoreRef  # required
    namespace: str = "monitoring"


def _matchers(route: AlertRoute) -> list[str]:
    out: list[str] = []
    if route.environment is not None:
        out.append(f'environment="{route.environment}"')
    if route.severity:
        out.append(f'severity="{route.severity}"')
    return out


def _file(receiver: str, kind: str) -> str:
    return f"{SECRET_DIR}/{receiver}-{_KEYS[kind][1]}"


def _receiver(name: str, r: SlackReceiver | WebhookReceiver | EmailReceiver | PagerDutyReceiver) -> Obj:
    if isinstance(r, SlackReceiver):
        return {"name": name, "slack_configs": [{"api_url_file": _file(name, "slack"), "channel": r.channel,
                                                 "send_resolved": True,
                                                 "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
                                                 "text": "{{ range .Alerts }}{{ .Annotations.summary }} "
                                                         "({{ .Labels.environment }}) {{ .Annotations.runbook_url }}\n"
                                                         "{{ end }}"}]}
    if isinstance(r, WebhookReceiver):
        config: Obj = {"url": r.url, "send_resolved": True}
        if r.credentials_path:
            config["http_config"] = {"authorization": {"credentials_file": _file(name, "webhook")}}
        return {"name": name, "webhook_configs": [config]}
    if isinstance(r, EmailReceiver):
        return {"name": name, "email_configs": [{"to": r.to, "from": r.sender, "smarthost": r.smarthost,
                                                 "auth_username": r.username,
                                                 "auth_password_file": _file(name, "email"),
                                                 "send_resolved": True}]}
    return {"name": name, "pagerduty_configs": [{"routing_key_file": _file(name, "pagerduty"), "send_resolved": True}]}


def alertmanager_config(s: AlertRoutingSettings) -> Obj:
    """The whole Alertmanager configuration (kube-prometheus-stack's ``alertmanager.config``)."""
    routes: list[Obj] = []
    if s.heartbeat_receiver:
        routes.append({"matchers": [f'alertname="{HEARTBEAT_ALERT}"'], "receiver": s.heartbeat_receiver,
                       "group_wait": "0s", "group_interval": "1m", "repeat_interval": "5m"})
    routes += [{"matchers": _matchers(r), "receiver": r.receiver} for r in s.routes]
    return {
        "route": {"receiver": s.default_receiver, "group_by": list(s.group_by), "group_wait": s.group_wait,
                  "group_interval": s.group_interval, "repeat_interval": s.repeat_interval, "routes": routes},
        # a critical alert silences the warnings of the same alert in the same place
        "inhibit_rules": [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity=~"warning|info"'],
                           "equal": ["alertname", "environment", "namespace"]}],
        "receivers": [_receiver(name, r) for name, r in sorted(s.receivers.items())],
    }


class AlertRouting(Component):
    """The receivers' credentials, from OpenBao, as the Secret Alertmanager mounts."""

    layer = "tools"
    rank = 2  # with kube-prometheus-stack, whose Alertmanager mounts the Secret

    def __init__(self, scope: Construct, props: AlertRoutingProps):
        super().__init__(scope, "alert-routing", props.namespace, pod_security=None)
        self.props = p = props
        values = tuple(RemoteValue(f"{name}-{_KEYS[r.type][1]}", r.credentials_path, _KEYS[r.type][0])
                       for name, r in sorted(p.receivers.items()) if r.credentials_path)
        config = yaml.safe_dump(alertmanager_config(p), sort_keys=False, width=1 << 16)
        self.add(external_secret(SECRET_NAME, p.namespace, labels("alert-routing", "alerting"), p.secret_store,
                                 values=values, template_data={CONFIG_KEY: literal_template(config)}, merge=True))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Mounted into Alertmanager (the credential files) and its configuration Secret."""
        return (SECRET_NAME,)
