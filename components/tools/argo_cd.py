"""Argo CD, managing itself from its upstream chart.

Argo CD is installed once by hand (see docs/operations.md, bootstrap); from then on this Application
keeps it in the state rendered here: domain and TLS Ingress, RBAC (read-only by default, admin
only for named groups), resource exclusions, repository credentials from OpenBao, and the Lua
health check for Applications without which sync waves between child Applications are ignored.
"""
from __future__ import annotations

from typing import Annotated

import yaml
from constructs import Construct
from pydantic import Field

from components import versions
from components.core import HelmRelease, MetricsEndpoint, Obj, labels
from components.flows import NetworkNeeds
from components.routing import GatewayRef, Served, route_annotations
from components.secrets import RemoteValue, SecretStoreRef, external_secret, same_keys
from components.tools import argo_notifications as notifications
from components.tools.argo_notifications import ArgoNotifications
from components.types import PROPS_CONFIG, KvPath, Resources, Strict
from components.workload import HARDENED, pod_security_context, resources

# Argo CD >= 1.8 no longer assesses the health of Application resources; without this check the
# root Application does not wait for a child wave to be healthy before syncing the next one.
APPLICATION_HEALTH_LUA = """\
hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
"""
REPO_SECRET = "repo-rendered"
# the chart's probes that are off by default (the server, repo server and controller have theirs on)
PROBES = {"livenessProbe": {"enabled": True}, "readinessProbe": {"enabled": True}}


class ResourceExclusion(Strict):
    api_groups: list[str]
    kinds: Annotated[list[str], Field(min_length=1)]
    clusters: list[str] = ["*"]


SSO_SECRET = "argocd-sso"  # clientSecret, from OpenBao; labelled so Argo CD may read it ($argocd-sso:clientSecret)
SSO_CLIENT = "argocd"  # its client at the platform's Dex


class ArgoCDSettings(Strict):
    """What a cluster may change."""

    admin_groups: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]  # bound to role:admin
    readonly_groups: list[str] = []  # role:readonly is already everyone's default
    repo_credentials_path: KvPath | None = None  # default: the rendered repository is public
    resource_exclusions: list[ResourceExclusion] = []
    admin_user: bool = True  # the built-in admin (its generated password never leaves the cluster)
    replicas: Annotated[int, Field(ge=1, le=100)] = 1  # server and repo server
    controller_resources: Resources
    server_resources: Resources
    repo_server_resources: Resources
    applicationset_resources: Resources
    notifications_resources: Resources
    redis_resources: Resources  # the cache, and the hook Job that generates its password
    notifications: ArgoNotifications | None = None  # default: none sent


class ArgoCDProps(ArgoCDSettings):
    model_config = PROPS_CONFIG

    domain: str  # required: Argo CD's host
    gateway: GatewayRef  # required
    sso_issuer: str  # required: the platform's Dex; operators log in through it
    sso_secret_path: KvPath  # required: the Dex client's secret (property client-secret)
    gpg_keys: dict[str, str] = {}  # key ID (16 hex) -> armored public key: commits Argo CD verifies
    # the namespaces besides its own whose Applications it reconciles (each environment's)
    application_namespaces: tuple[str, ...] = ()
    repo_url: str  # required: the rendered repository
    secret_store: SecretStoreRef  # required
    tls: bool = True
    namespace: str = "argocd"


class ArgoCD(HelmRelease):
    free_form_values = ("configs.cm", "configs.params", "configs.rbac", "configs.gpg.keys", "notifications.notifiers",
                        "notifications.templates", "notifications.triggers")
    layer = "tools"
    rank = 3  # after the secret stores: its repository credentials come from OpenBao
    server_side_apply = True
    provides_crds = ("argoproj.io",)
    # Git over HTTPS or SSH, the platform's Dex at its public address, every cluster API
    network = NetworkNeeds(api_server=True, internet=(22, 443), gateway=True)
    keep_on_delete = True  # it manages itself: no cascading delete, no pruning of its own objects
    runtime_secrets = {"argocd-redis": "the chart's redis-secret-init Job (a PreSync hook) generates its password"}

    def __init__(self, scope: Construct, props: ArgoCDProps):
        p = props
        rbac = "".join(f"g, {g}, role:admin\n" for g in p.admin_groups)
        rbac += "".join(f"g, {g}, role:readonly\n" for g in p.readonly_groups)
        exclusions = [{"apiGroups": list(e.api_groups), "kinds": list(e.kinds), "clusters": list(e.clusters)}
                      for e in p.resource_exclusions]
        cm: Obj = {
            "admin.enabled": p.admin_user,
            "exec.enabled": False,
            "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA,
        }
        if exclusions:
            cm["resource.exclusions"] = yaml.safe_dump(exclusions, sort_keys=False)
        cm["oidc.config"] = yaml.safe_dump({
            "name": "Single sign-on", "issuer": p.sso_issuer, "clientID": SSO_CLIENT,
            "clientSecret": f"${SSO_SECRET}:clientSecret", "requestedScopes": ["openid", "profile", "email", "groups"],
        }, sort_keys=False)
        # operators only: Argo CD's own OIDC login against the platform's Dex (the admin user is break-glass)
        served = Served(p.domain, p.namespace, "operators", "native-oidc", ("/auth/callback",), SSO_CLIENT)
        route = {"enabled": True, "parentRefs": [p.gateway.parent(p.domain)], "hostnames": [p.domain],
                 "annotations": route_annotations(served)}
        values: Obj = {
            # every pod non-root with the runtime's seccomp profile (the chart sets neither by default)
            "global": {"domain": p.domain, "securityContext": pod_security_context()},
            "crds": {"install": True, "keep": True},
            "configs": {
                # TLS terminates at the Gateway; the server speaks plain HTTP behind it.
                "params": {"server.insecure": True,
                           **({"application.namespaces": ",".join(p.application_namespaces)}
                              if p.application_namespaces else {})},
                "cm": cm,
                "rbac": {"policy.default": "role:readonly", "policy.csv": rbac, "scopes": "[groups]"},
                "gpg": {"keys": dict(sorted(p.gpg_keys.items()))},
            },
            "server": {"replicas": p.replicas, "httproute": route,
                       "resources": resources(p.server_resources, HARDENED)},
            # the repo server renders plain directories and never calls the Kubernetes API: no token
            "repoServer": {"replicas": p.replicas, "resources": resources(p.repo_server_resources, HARDENED),
                           "automountServiceAccountToken": False},
            "controller": {"resources": resources(p.controller_resources, HARDENED),
                           "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}}},
            "applicationSet": {"resources": resources(p.applicationset_resources, HARDENED), **PROBES},
            # the cache never calls the API: no token in its pods
            "redis": {"resources": resources(p.redis_resources, HARDENED), "automountServiceAccountToken": False,
                      **PROBES},
            "redisSecretInit": {"resources": resources(p.redis_resources, HARDENED),
                                "securityContext": pod_security_context()},
            "dex": {"enabled": False},  # the platform's Dex, not a bundled one
            "notifications": {"enabled": False},
        }
        if p.notifications:
            values["notifications"] = {
                **notifications.values(p.notifications, f"{'https' if p.tls else 'http'}://{p.domain}"),
                "resources": resources(p.notifications_resources, HARDENED), **PROBES}
        super().__init__(scope, "argo-cd", p.namespace, versions.ARGO_CD, values)
        self.props = props
        self.serve(served)
        self.scrape(MetricsEndpoint(port="http-metrics", monitor="chart", metrics=("argocd_app_info",)))
        self.add(external_secret(SSO_SECRET, p.namespace, labels("argo-cd", "gitops"), p.secret_store,
                                 values=(RemoteValue("clientSecret", p.sso_secret_path, "client-secret"),),
                                 template_labels={"app.kubernetes.io/part-of": "argocd"}))
        if p.notifications and p.notifications.secret_values():
            self.add(external_secret(notifications.SECRET_NAME, p.namespace, labels("argo-cd", "gitops"), p.secret_store,
                                     values=tuple(RemoteValue(k, path, prop)
                                                  for k, path, prop in p.notifications.secret_values())))
        if p.repo_credentials_path:
            self.add(external_secret(
                REPO_SECRET, p.namespace, labels("argo-cd", "gitops"), p.secret_store,
                values=same_keys(p.repo_credentials_path),
                template_labels={"argocd.argoproj.io/secret-type": "repository"},
                template_data={"type": "git", "url": p.repo_url,
                               "username": "{{ .username }}", "password": "{{ .password }}"}))
