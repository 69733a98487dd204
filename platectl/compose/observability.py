"""The observability part of the tools layer: Prometheus stack, alert rules, Grafana, Fluentd."""
from __future__ import annotations

import re

import cdk8s

from components import versions
from components.observability import dashboards
from components.observability.alert_rules import AlertRules, AlertRulesProps, AlertThresholds, AppTarget
from components.observability.fluentd import Fluentd, FluentdOutput, FluentdProps
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
from components.types import Image


def runbook_base(repo_url: str) -> str:
    """The README's web address in the repository (https remotes; others fall back to the raw URL)."""
    base = re.sub(r"\.git$", "", repo_url)
    return f"{base}/blob/main/README.md" if base.startswith("https://") else f"{base}:README.md"


def build(scope: cdk8s.App, ctx, built: list) -> list:
    env = ctx.env
    ic, tls, issuer = env.ingress_controller.class_name, env.ingress.tls, env.ingress.cluster_issuer
    m = env.monitoring
    stack = KubePrometheusStack(scope, KubePrometheusStackProps(
        host=env.hosts.prometheus, ingress_class=ic, cluster_issuer=issuer, tls=tls, storage_class=env.storage_class,
        storage_size=m.storage_size, retention=m.retention, prometheus_resources=m.prometheus_resources,
        alertmanager_resources=m.alertmanager_resources, prometheus_replicas=m.prometheus_replicas,
        namespace=MONITORING))
    targets = tuple(
        AppTarget(c.props.name, c.props.namespace, "StatefulSet" if isinstance(c, PlateCache) else "Deployment",
                  http=isinstance(c, PlateService))
        for c in built if isinstance(c, (PlateService, PlateCache)))
    # every namespace of the lower layers (and this one), where the platform's own workloads run
    platform = sorted({c.info.namespace for c in built if c.info.layer != "apps"} | {MONITORING, "logging"} - {"default"})
    rules = AlertRules(scope, AlertRulesProps(apps=targets, thresholds=AlertThresholds(**env.alerts.model_dump()),
                                              runbook_base=runbook_base(env.gitops.repo_url), namespace=MONITORING,
                                              platform_namespaces=tuple(platform)))
    g = env.grafana
    grafana = Grafana(scope, GrafanaProps(
        image=g.image, resources=g.resources, host=env.hosts.grafana, ingress_class=ic, cluster_issuer=issuer, tls=tls,
        storage_class=env.storage_class, storage_size=g.storage_size,
        prometheus_url=f"http://{PROMETHEUS_SERVICE}.{MONITORING}.svc:{PROMETHEUS_PORT}",
        admin_credentials_path=g.admin_credentials_path, secret_store=ctx.store(MONITORING),
        dashboards=dashboards.for_apps(targets), hardening=ctx.hardening, namespace=MONITORING))
    out = env.logging.output
    image = Image.model_validate({**versions.FLUENTD[out.type],
                                  **({"tag": env.logging.image_tag} if env.logging.image_tag else {})})
    # Fluentd keeps the hardened profile in every environment: it runs as root, so its root
    # filesystem stays read-only whatever the environment's profile allows others.
    fluentd = Fluentd(scope, FluentdProps(
        image=image, resources=env.logging.resources, secret_store=ctx.store("logging"),
        output=FluentdOutput(**{k: v for k, v in out.model_dump().items() if k in FluentdOutput.model_fields})))
    return [stack, rules, grafana, fluentd]
