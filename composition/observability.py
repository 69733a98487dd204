"""The observability part of the tools layer: Prometheus stack, alert rules, Grafana, Fluentd."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from constructs import Construct

from components import versions
from components.observability import dashboards
from components.observability.alert_routing import SECRET_NAME as ALERTMANAGER_SECRET
from components.observability.alert_routing import AlertRouting, AlertRoutingProps
from components.observability.alert_rules import AlertRules, AlertRulesProps, AppTarget
from components.observability.fluentd import Fluentd, FluentdProps
from components.observability.grafana import Grafana, GrafanaProps
from components.observability.kube_prometheus_stack import (
    NAMESPACE as MONITORING,
)
from components.observability.kube_prometheus_stack import (
    PROMETHEUS_PORT,
    PROMETHEUS_SERVICE,
    KubePrometheusStack,
    KubePrometheusStackProps,
)
from components.plate.cache import PlateCache
from components.plate.service import PlateService
from components.routing import Sso
from components.tools.dex import client_secret_path
from components.types import Image
from composition.tools import issuer
from composition.wiring import props

if TYPE_CHECKING:
    from components.core import Component
    from composition import ClusterContext, EnvContext
    from envs.model import Environment


def runbook_base(repo_url: str) -> str:
    """The operations guide's web address in the repository, whose troubleshooting sections are the
    alerts' runbooks (https remotes; others fall back to the raw URL)."""
    base = re.sub(r"\.git$", "", repo_url)
    return f"{base}/blob/main/{RUNBOOK}" if base.startswith("https://") else f"{base}:{RUNBOOK}"


RUNBOOK = "docs/operations.md"


def _targets(components: list[Component]) -> tuple[AppTarget, ...]:
    return tuple(
        AppTarget(c.props.name, c.props.namespace, "StatefulSet" if isinstance(c, PlateCache) else "Deployment",
                  http=isinstance(c, PlateService) and c.serves_http)
        for c in components if isinstance(c, (PlateService, PlateCache)))


class EnvironmentAlertRules(AlertRules):
    """An environment's application alerts, in its own namespace, labelled with the environment."""

    layer = "apps"
    rank = 6


def environment_rules(scope: Construct, ctx: EnvContext, components: list[Component]) -> AlertRules:
    env = ctx.env
    return EnvironmentAlertRules(scope, AlertRulesProps(
        apps=_targets(components), thresholds=env.alerts,
        runbook_base=runbook_base(ctx.cluster.gitops.repo_url), namespace=env.namespace, platform=False,
        environment=env.name))


def build(scope: Construct, ctx: ClusterContext, built: list[Component], app_components: list[Component],
          environments: tuple[Environment, ...]) -> list[Component]:
    """The cluster's monitoring: one Prometheus, the platform's alerts, Grafana with every dashboard, Fluentd."""
    c = ctx.cluster
    routing = AlertRouting(scope, props(AlertRoutingProps, c.alerting, secret_store=ctx.store(MONITORING),
                                        namespace=MONITORING))
    stack = KubePrometheusStack(scope, props(
        KubePrometheusStackProps, c.monitoring, storage_class=c.storage_class, namespace=MONITORING,
        alertmanager_config_secret=ALERTMANAGER_SECRET, alertmanager_secrets=routing.secrets))
    # every namespace of the platform's own workloads
    platform = sorted({c.info.namespace for c in built} | {MONITORING, "logging"} - {"default"})
    rules = AlertRules(scope, AlertRulesProps(apps=(), thresholds=c.alerts,
                                              runbook_base=runbook_base(c.gitops.repo_url), namespace=MONITORING,
                                              platform_namespaces=tuple(platform)))
    grafana = Grafana(scope, props(
        GrafanaProps, c.grafana, host=c.hosts.grafana, gateway=ctx.gateway, tls=c.ingress.tls,
        sso=Sso(issuer(c), client_secret_path(c.sso.clients_path, "grafana"), ctx.store(MONITORING)),
        storage_class=c.storage_class, prometheus_url=f"http://{PROMETHEUS_SERVICE}.{MONITORING}.svc:{PROMETHEUS_PORT}",
        secret_store=ctx.store(MONITORING), dashboards=dashboards.for_apps(_targets(app_components)),
        hardening=ctx.hardening, namespace=MONITORING))
    out = c.logging.output
    image = Image.model_validate({**versions.FLUENTD[out.type],
                                  **({"tag": c.logging.image_tag} if c.logging.image_tag else {})})
    # Fluentd keeps the hardened profile everywhere: it runs as root, so its root filesystem stays
    # read-only whatever profile the platform's other workloads use.
    fluentd = Fluentd(scope, props(FluentdProps, c.logging, image=image, secret_store=ctx.store("logging")))
    return [stack, routing, rules, grafana, fluentd]
