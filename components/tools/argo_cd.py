"""Argo CD, managing itself from its upstream chart.

Argo CD is installed once by hand (see the README's bootstrap); from then on this Application
keeps it in the state rendered here: domain and TLS Ingress, RBAC (read-only by default, admin
only for named groups), resource exclusions, repository credentials from OpenBao, and the Lua
health check for Applications without which sync waves between child Applications are ignored.
"""
from __future__ import annotations

from typing import Annotated, Literal

import yaml
from pydantic import Field, model_validator

from components import versions
from components.core import HelmRelease, MetricsEndpoint, labels
from components.routing import issuer_annotations
from components.secrets import RemoteValue, SecretStoreRef, external_secret, same_keys
from components.tools import argo_notifications as notifications
from components.tools.argo_notifications import ArgoNotifications
from components.types import PROPS_CONFIG, KvPath, Resources, Strict
from components.workload import HARDENED, resources

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


class ResourceExclusion(Strict):
    api_groups: list[str]
    kinds: Annotated[list[str], Field(min_length=1)]
    clusters: list[str] = ["*"]


SSO_SECRET = "argocd-sso"  # clientSecret, from OpenBao; labelled so Argo CD may read it ($argocd-sso:clientSecret)


class GitHubLogin(Strict):
    """Log in through GitHub (Argo CD's bundled Dex); groups are ``<org>:<team>``."""

    type: Literal["github"]
    client_id: Annotated[str, Field(min_length=1)]
    org: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")]
    teams: list[str] = []  # default: every team of the org may log in
    credentials_path: KvPath  # KV entry with ``client-secret``


class OidcLogin(Strict):
    """Log in through an OpenID Connect provider directly (no Dex); groups come from ``groups``."""

    type: Literal["oidc"]
    issuer: Annotated[str, Field(pattern=r"^https://[^\s]+$")]
    client_id: Annotated[str, Field(min_length=1)]
    credentials_path: KvPath  # KV entry with ``client-secret``


Login = Annotated[GitHubLogin | OidcLogin, Field(discriminator="type")]


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
    notifications: ArgoNotifications | None = None  # default: none sent
    sso: Login | None = None  # single sign-on; without it only the built-in admin can log in

    @model_validator(mode="after")
    def _someone_can_log_in(self) -> ArgoCDSettings:
        if not self.admin_user and self.sso is None:
            raise ValueError("admin_user is false and no sso is set: nobody could log in")
        return self


class ArgoCDProps(ArgoCDSettings):
    model_config = PROPS_CONFIG

    domain: str  # required: Argo CD's host
    ingress_class: str  # required
    cluster_issuer: str  # required
    repo_url: str  # required: the rendered repository
    secret_store: SecretStoreRef  # required
    tls: bool = True
    namespace: str = "argocd"


class ArgoCD(HelmRelease):
    free_form_values = ("configs.cm", "configs.params", "configs.rbac", "notifications.notifiers",
                        "notifications.templates", "notifications.triggers")
    layer = "tools"
    rank = 3  # after the secret stores: its repository credentials come from OpenBao
    server_side_apply = True
    provides_crds = ("argoproj.io",)
    keep_on_delete = True  # it manages itself: no cascading delete, no pruning of its own objects
    runtime_secrets = {"argocd-redis": "the chart's redis-secret-init Job (a PreSync hook) generates its password"}

    def __init__(self, scope, props: ArgoCDProps):
        p = props
        rbac = "".join(f"g, {g}, role:admin\n" for g in p.admin_groups)
        rbac += "".join(f"g, {g}, role:readonly\n" for g in p.readonly_groups)
        exclusions = [{"apiGroups": list(e.api_groups), "kinds": list(e.kinds), "clusters": list(e.clusters)}
                      for e in p.resource_exclusions]
        cm: dict = {
            "admin.enabled": p.admin_user,
            "exec.enabled": False,
            "resource.customizations.health.argoproj.io_Application": APPLICATION_HEALTH_LUA,
        }
        if exclusions:
            cm["resource.exclusions"] = yaml.safe_dump(exclusions, sort_keys=False)
        if isinstance(p.sso, GitHubLogin):
            org: dict = {"name": p.sso.org, **({"teams": list(p.sso.teams)} if p.sso.teams else {})}
            cm["dex.config"] = yaml.safe_dump({"connectors": [{
                "type": "github", "id": "github", "name": "GitHub",
                "config": {"clientID": p.sso.client_id, "clientSecret": f"${SSO_SECRET}:clientSecret",
                           "orgs": [org], "loadAllGroups": False}}]}, sort_keys=False)
        elif isinstance(p.sso, OidcLogin):
            cm["oidc.config"] = yaml.safe_dump({
                "name": "SSO", "issuer": p.sso.issuer, "clientID": p.sso.client_id,
                "clientSecret": f"${SSO_SECRET}:clientSecret", "requestedScopes": ["openid", "profile", "email", "groups"],
            }, sort_keys=False)
        ingress: dict = {"enabled": True, "ingressClassName": p.ingress_class, "tls": p.tls}
        if p.tls:
            ingress["annotations"] = issuer_annotations(p.tls, p.cluster_issuer)
        values = {
            "global": {"domain": p.domain},
            "crds": {"install": True, "keep": True},
            "configs": {
                # TLS terminates at the ingress controller; the server speaks plain HTTP behind it.
                "params": {"server.insecure": True},
                "cm": cm,
                "rbac": {"policy.default": "role:readonly", "policy.csv": rbac, "scopes": "[groups]"},
            },
            "server": {"replicas": p.replicas, "ingress": ingress,
                       "resources": resources(p.server_resources, HARDENED)},
            "repoServer": {"replicas": p.replicas, "resources": resources(p.repo_server_resources, HARDENED)},
            "controller": {"resources": resources(p.controller_resources, HARDENED),
                           "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}}},
            "dex": {"enabled": isinstance(p.sso, GitHubLogin)},
            "notifications": {"enabled": False},
        }
        if p.notifications:
            values["notifications"] = notifications.values(p.notifications, f"{'https' if p.tls else 'http'}://{p.domain}")
        super().__init__(scope, "argo-cd", p.namespace, versions.ARGO_CD, values)
        self.props = props
        self.scrape(MetricsEndpoint(port="http-metrics", monitor="chart", metrics=("argocd_app_info",)))
        if p.sso:
            self.add(external_secret(SSO_SECRET, p.namespace, labels("argo-cd", "gitops"), p.secret_store,
                                     values=(RemoteValue("clientSecret", p.sso.credentials_path, "client-secret"),),
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
