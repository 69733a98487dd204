"""Grafana, rendered by our own construct: a provisioned Prometheus datasource, dashboards from
ConfigMaps, persistent state on the environment's storage class. People log in as themselves through
Dex (Grafana's generic OAuth, straight to Dex's login), their role from their groups; someone in none
of the groups is refused. The admin account from OpenBao is for break-glass only (the login form
at ``/login?disableAutoLogin=true``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import yaml
from constructs import Construct
from pydantic import Field

from components.backup import State
from components.core import Component, MetricsEndpoint, content_hash, labels, metadata, selector
from components.flows import NetworkNeeds
from components.observability.dashboards import DATASOURCE_UID, Dashboard
from components.observability.kube_prometheus_stack import NAMESPACE as MONITORING
from components.rbac import service_account
from components.routing import Backend, GatewayRef, Served, Sso, client_secret, http_route
from components.secrets import SecretStoreRef, external_secret, same_keys
from components.types import PROPS_CONFIG, Image, KvPath, Resources, Size, Strict
from components.workload import HARDENED, Container, Hardening, PodOptions, Probe, pod_template

if TYPE_CHECKING:
    from components.k8s.api import Deployment, EnvVar, EnvVarSource, ObjectMeta

PORT = 3000
OAUTH_CALLBACK = "/login/generic_oauth"  # Grafana's generic OAuth redirect path
OAUTH_SECRET = "grafana-oidc"
Group = Annotated[str, Field(pattern=r"^[^'\s]+$")]  # a Dex group (GitHub: org:team), quoted in JMESPath
UID = 472  # the grafana user of the upstream image
DASHBOARD_DIR = "/var/lib/grafana-dashboards"


class GrafanaSettings(Strict):
    """What a cluster may change."""

    image: Image
    resources: Resources
    storage_size: Size
    admin_credentials_path: KvPath  # KV entry with ``username`` and ``password``: break-glass only
    # Grafana's roles by Dex group (the first that matches wins); a person in none is refused
    admin_groups: Annotated[list[Group], Field(min_length=1)]
    editor_groups: list[Group] = []
    viewer_groups: list[Group] = []


class GrafanaProps(GrafanaSettings):
    model_config = PROPS_CONFIG

    host: str  # required
    gateway: GatewayRef  # required
    sso: Sso  # required: operators log in through Dex (Grafana's own OAuth client)
    storage_class: str  # required: from the cluster
    prometheus_url: str  # required: the datasource
    secret_store: SecretStoreRef  # required
    dashboards: tuple[Dashboard, ...]  # required
    tls: bool = True
    hardening: Hardening = HARDENED
    namespace: str = MONITORING


class Grafana(Component):
    layer = "tools"
    rank = 3  # after kube-prometheus-stack, its datasource
    network = NetworkNeeds(gateway=True)  # Dex's token endpoint, at its public address

    def __init__(self, scope: Construct, props: GrafanaProps):
        super().__init__(scope, "grafana", props.namespace)
        self.props = p = props
        self.common_labels = labels("grafana", "dashboards")
        self.state = (State("PersistentVolumeClaim/grafana", "Grafana's database: users' preferences, annotations, "
                            "dashboards saved by hand (those in Git are provisioned again)", "volume-copy",
                            run_as=(UID, UID), name="grafana-data", stop=("deployment/grafana",)),)
        self.workload_labels = labels("grafana", "dashboards", p.image.tag)  # the version on the workload only

        def md(name: str = "grafana") -> ObjectMeta:
            return metadata(name, p.namespace, self.common_labels)

        self.add(service_account("grafana", p.namespace, self.common_labels))
        self.add(external_secret("grafana-admin", p.namespace, self.common_labels, p.secret_store,
                                 values=same_keys(p.admin_credentials_path)))
        provisioning = self.provisioning()
        dashboards = {d.file: d.json for d in sorted(p.dashboards, key=lambda d: d.uid)}
        self.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": md("grafana-provisioning"), "data": provisioning})
        self.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": md("grafana-dashboards"), "data": dashboards})
        self.add({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": md(), "spec": {
            "accessModes": ["ReadWriteOnce"], "storageClassName": p.storage_class,
            "resources": {"requests": {"storage": p.storage_size}}}})
        self.add(self.deployment(content_hash([provisioning, dashboards])))
        self.add({"apiVersion": "v1", "kind": "Service", "metadata": md(), "spec": {
            "type": "ClusterIP", "selector": selector("grafana"),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}})
        self.add(client_secret(OAUTH_SECRET, p.namespace, self.common_labels, p.sso))
        served = Served(p.host, p.namespace, "operators", "native-oidc", (OAUTH_CALLBACK,), "grafana")
        self.serve(served)
        self.add(http_route("grafana", p.namespace, self.common_labels, served, p.gateway, (Backend("/", "grafana", 80),)))
        self.scrape(MetricsEndpoint(port="http", metrics=("grafana_build_info",)), lbls=self.common_labels)

    def provisioning(self) -> dict[str, str]:
        p = self.props
        datasources = {"apiVersion": 1, "datasources": [{
            "name": "Prometheus", "uid": DATASOURCE_UID, "type": "prometheus", "access": "proxy",
            "url": p.prometheus_url, "isDefault": True, "editable": False}]}
        providers = {"apiVersion": 1, "providers": [{
            "name": "plate", "type": "file", "disableDeletion": True, "allowUiUpdates": False,
            "options": {"path": DASHBOARD_DIR}}]}
        return {"datasources.yaml": yaml.safe_dump(datasources, sort_keys=False),
                "dashboards.yaml": yaml.safe_dump(providers, sort_keys=False)}

    def role_path(self) -> str:
        """Grafana's JMESPath from the token's groups to a role (its ``role_attribute_path``)."""
        p = self.props
        parts = [f"contains(groups[*], '{g}') && '{role}'" for role, groups in
                 (("Admin", p.admin_groups), ("Editor", p.editor_groups), ("Viewer", p.viewer_groups)) for g in groups]
        return " || ".join(parts)

    def deployment(self, checksum: str) -> Deployment:
        p = self.props

        def secret(key: str, name: str = "grafana-admin") -> EnvVarSource:
            return {"secretKeyRef": {"name": name, "key": key}}

        issuer = p.sso.issuer
        oauth: tuple[EnvVar, ...] = (
            {"name": "GF_AUTH_GENERIC_OAUTH_ENABLED", "value": "true"},
            {"name": "GF_AUTH_GENERIC_OAUTH_NAME", "value": "Dex"},
            {"name": "GF_AUTH_GENERIC_OAUTH_CLIENT_ID", "value": "grafana"},
            {"name": "GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET", "valueFrom": secret("client-secret", OAUTH_SECRET)},
            {"name": "GF_AUTH_GENERIC_OAUTH_SCOPES", "value": "openid profile email groups offline_access"},
            {"name": "GF_AUTH_GENERIC_OAUTH_AUTH_URL", "value": f"{issuer}/auth"},
            {"name": "GF_AUTH_GENERIC_OAUTH_TOKEN_URL", "value": f"{issuer}/token"},
            {"name": "GF_AUTH_GENERIC_OAUTH_API_URL", "value": f"{issuer}/userinfo"},
            {"name": "GF_AUTH_GENERIC_OAUTH_USE_PKCE", "value": "true"},
            {"name": "GF_AUTH_GENERIC_OAUTH_LOGIN_ATTRIBUTE_PATH", "value": "email"},
            {"name": "GF_AUTH_GENERIC_OAUTH_GROUPS_ATTRIBUTE_PATH", "value": "groups"},
            {"name": "GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH", "value": self.role_path()},
            {"name": "GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT", "value": "true"},  # no group, no login
            {"name": "GF_AUTH_GENERIC_OAUTH_ALLOW_ASSIGN_GRAFANA_ADMIN", "value": "false"},
            {"name": "GF_AUTH_GENERIC_OAUTH_ALLOW_SIGN_UP", "value": "true"},  # accounts made at first login
            {"name": "GF_AUTH_OAUTH_AUTO_LOGIN", "value": "true"},  # straight to Dex
        )
        env: tuple[EnvVar, ...] = (
            {"name": "GF_SECURITY_ADMIN_USER", "valueFrom": secret("username")},
            {"name": "GF_SECURITY_ADMIN_PASSWORD", "valueFrom": secret("password")},
            *oauth,
            {"name": "GF_SERVER_ROOT_URL", "value": f"{'https' if p.tls else 'http'}://{p.host}"},
            {"name": "GF_USERS_ALLOW_SIGN_UP", "value": "false"},
            {"name": "GF_ANALYTICS_REPORTING_ENABLED", "value": "false"},
            {"name": "GF_ANALYTICS_CHECK_FOR_UPDATES", "value": "false"},
            {"name": "GF_PLUGINS_PREINSTALL_DISABLED", "value": "true"},
        )
        container = Container(
            name="grafana", image=p.image.ref, resources=p.resources, ports={"http": PORT}, env=env,
            liveness=Probe(path="/api/health", initial_delay=30), readiness=Probe(path="/api/health"),
            writable_paths=("/tmp",),
            mounts=({"name": "data", "mountPath": "/var/lib/grafana"},
                    {"name": "provisioning", "mountPath": "/etc/grafana/provisioning/datasources/datasources.yaml",
                     "subPath": "datasources.yaml", "readOnly": True},
                    {"name": "provisioning", "mountPath": "/etc/grafana/provisioning/dashboards/dashboards.yaml",
                     "subPath": "dashboards.yaml", "readOnly": True},
                    {"name": "dashboards", "mountPath": DASHBOARD_DIR, "readOnly": True}),
        )
        opts = PodOptions(service_account="grafana", run_as_user=UID, run_as_group=UID, fs_group=UID, volumes=(
            {"name": "data", "persistentVolumeClaim": {"claimName": "grafana"}},
            {"name": "provisioning", "configMap": {"name": "grafana-provisioning"}},
            {"name": "dashboards", "configMap": {"name": "grafana-dashboards"}},
        ))
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": metadata("grafana", p.namespace, self.workload_labels),
                "spec": {
                    "replicas": 1,
                    "revisionHistoryLimit": 5,
                    "selector": {"matchLabels": selector("grafana")},
                    "strategy": {"type": "Recreate"},  # one writer on a ReadWriteOnce volume
                    "template": pod_template(self.workload_labels, {"checksum/config": checksum}, [container], opts,
                                             p.hardening),
                }}
