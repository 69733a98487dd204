"""Dex: the platform's identity broker. Operators log in once (GitHub organisation and teams, a generic
OIDC provider, or LDAP: typed connectors) and every tool trusts Dex: Argo CD, Headlamp and Harbor
through their own OIDC login, the UIs without one (Grafana, Jenkins, Plate's admin, the LLM) through
Envoy Gateway's OIDC filter. One client per consumer, each secret in OpenBao, read by Dex and by
the consumer from the same KV entry; nothing of it in Git or dist/.

Dex reads its configuration from a Secret (the chart's ``configSecret``): ours is an ExternalSecret
whose template is the configuration rendered here, with ``$VARIABLES`` where secrets go; Dex
expands them from its environment, which the same Secret's fetched keys fill.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import yaml
from constructs import Construct
from pydantic import Field, model_validator

from components import versions
from components.core import HelmRelease, MetricsEndpoint, Obj, labels
from components.flows import NetworkNeeds
from components.routing import Backend, GatewayRef, Served, http_route
from components.secrets import RemoteValue, SecretStoreRef, external_secret, literal_template
from components.types import PROPS_CONFIG, Hostname, KvPath, Resources, Strict
from components.workload import HARDENED, container_security, pod_security_context, resources

CONFIG_SECRET = "dex-config"
PORT = 5556
TELEMETRY_PORT = 5558


class GitHubConnector(Strict):
    """GitHub organisation and teams; groups are ``<org>:<team>``."""

    type: Literal["github"]
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] = "github"
    name: str = "GitHub"
    client_id: Annotated[str, Field(min_length=1)]
    org: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}$")]
    teams: list[str] = []  # default: every member of the org may log in
    credentials_path: KvPath  # KV entry with ``client-secret``


class OidcConnector(Strict):
    """Another OpenID Connect provider (a company IdP); groups from its ``groups`` claim."""

    type: Literal["oidc"]
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] = "oidc"
    name: str = "Single sign-on"
    issuer: Annotated[str, Field(pattern=r"^https://[^\s]+$")]
    client_id: Annotated[str, Field(min_length=1)]
    credentials_path: KvPath  # KV entry with ``client-secret``


class LdapConnector(Strict):
    """An LDAP directory over TLS; groups from the group search."""

    type: Literal["ldap"]
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")] = "ldap"
    name: str = "LDAP"
    host: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+:[0-9]+$")]  # host:port, TLS (ldaps)
    bind_dn: Annotated[str, Field(min_length=1)]
    user_base_dn: Annotated[str, Field(min_length=1)]
    group_base_dn: Annotated[str, Field(min_length=1)]
    credentials_path: KvPath  # KV entry with ``bind-password``


Connector = Annotated[GitHubConnector | OidcConnector | LdapConnector, Field(discriminator="type")]


class DexSettings(Strict):
    """What a cluster may change of its single sign-on."""

    connectors: Annotated[list[Connector], Field(min_length=1)]
    clients_path: KvPath  # each client's secret at <clients_path>/<client>, property client-secret

    @model_validator(mode="after")
    def _unique_connectors(self) -> DexSettings:
        ids = [c.id for c in self.connectors]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"connectors: the id {twice[0]!r} is given twice (Dex needs each connector's id unique: "
                             "set id on one of them)")
        return self
    replicas: Annotated[int, Field(ge=1, le=100)] = 1
    resources: Resources


@dataclass(frozen=True)
class Client:
    """A consumer of Dex: its id and where its login comes back to."""

    id: str
    name: str
    redirect_uris: tuple[str, ...]


class DexProps(DexSettings):
    model_config = PROPS_CONFIG

    host: Hostname  # required: the issuer's host
    gateway: GatewayRef  # required
    clients: tuple[Client, ...]  # required: derived from the routes that log in through Dex
    secret_store: SecretStoreRef  # required
    namespace: str = "dex"


def client_secret_path(clients_path: str, client: str) -> str:
    return f"{clients_path}/{client}"


def _env(name: str) -> str:
    return name.upper().replace("-", "_")


class Dex(HelmRelease):
    layer = "tools"
    rank = 3  # after the secret stores; before every tool that logs in through it
    network = NetworkNeeds(api_server=True, internet=(443, 636))  # its storage; GitHub, OIDC, LDAPS

    def __init__(self, scope: Construct, props: DexProps):
        p = props
        issuer = f"https://{p.host}"
        connectors: list[Obj] = []
        fetched: list[RemoteValue] = []
        for c in p.connectors:
            variable = f"CONNECTOR_{_env(c.id)}_SECRET"
            if isinstance(c, GitHubConnector):
                org: Obj = {"name": c.org, **({"teams": list(c.teams)} if c.teams else {})}
                config: Obj = {"clientID": c.client_id, "clientSecret": f"${variable}", "redirectURI": f"{issuer}/callback",
                          "orgs": [org], "teamNameField": "slug"}
                fetched.append(RemoteValue(variable, c.credentials_path, "client-secret"))
            elif isinstance(c, OidcConnector):
                config = {"issuer": c.issuer, "clientID": c.client_id, "clientSecret": f"${variable}",
                          "redirectURI": f"{issuer}/callback", "insecureEnableGroups": True,
                          "scopes": ["openid", "profile", "email", "groups"]}
                fetched.append(RemoteValue(variable, c.credentials_path, "client-secret"))
            else:
                config = {"host": c.host, "bindDN": c.bind_dn, "bindPW": f"${variable}", "usernamePrompt": "User",
                          "userSearch": {"baseDN": c.user_base_dn, "filter": "(objectClass=person)",
                                         "username": "uid", "idAttr": "uid", "emailAttr": "mail", "nameAttr": "cn"},
                          "groupSearch": {"baseDN": c.group_base_dn, "filter": "(objectClass=groupOfNames)",
                                          "userMatchers": [{"userAttr": "DN", "groupAttr": "member"}],
                                          "nameAttr": "cn"}}
                fetched.append(RemoteValue(variable, c.credentials_path, "bind-password"))
            connectors.append({"type": c.type, "id": c.id, "name": c.name, "config": config})
        clients: list[Obj] = []
        for client in sorted(p.clients, key=lambda c: c.id):
            variable = f"CLIENT_{_env(client.id)}_SECRET"
            clients.append({"id": client.id, "name": client.name, "redirectURIs": list(client.redirect_uris),
                            "secretEnv": variable})
            fetched.append(RemoteValue(variable, client_secret_path(p.clients_path, client.id), "client-secret"))
        config = {  # Dex's own configuration
            "issuer": issuer,
            # Dex keeps its state (keys, sessions) in its own custom resources, in its namespace
            "storage": {"type": "kubernetes", "config": {"inCluster": True}},
            "web": {"http": f"0.0.0.0:{PORT}"},
            "telemetry": {"http": f"0.0.0.0:{TELEMETRY_PORT}"},
            "oauth2": {"skipApprovalScreen": True, "responseTypes": ["code"]},
            "expiry": {"idTokens": "1h", "refreshTokens": {"validIfNotUsedFor": "168h"}},
            "enablePasswordDB": False,  # no local users: every login goes through a connector
            "connectors": connectors,
            "staticClients": clients,
        }
        values: Obj = {
            "replicaCount": p.replicas,
            "configSecret": {"create": False, "name": CONFIG_SECRET},
            "envVars": [{"name": v.secret_key, "valueFrom": {"secretKeyRef": {"name": CONFIG_SECRET,
                                                                              "key": v.secret_key}}}
                        for v in fetched],
            "resources": resources(p.resources, HARDENED),
            "podSecurityContext": pod_security_context(),
            "securityContext": container_security(HARDENED),
            "serviceMonitor": {"enabled": True},
        }
        super().__init__(scope, "dex", p.namespace, versions.DEX, values)
        self.props = props
        self.add(external_secret(CONFIG_SECRET, p.namespace, labels("dex", "identity"), p.secret_store,
                                 values=tuple(fetched), merge=True, template_data={
                                     "config.yaml": literal_template(yaml.safe_dump(config, sort_keys=False))}))
        served = Served(p.host, p.namespace, "public", "none")  # the login pages: before anyone is known
        self.serve(served)
        self.add(http_route("dex", p.namespace, labels("dex", "identity"), served, p.gateway,
                            (Backend("/", "dex", PORT),)))
        self.scrape(MetricsEndpoint(port="telemetry", monitor="chart", metrics=()))
