"""Harbor from its upstream chart. Every credential and internal secret comes from OpenBao
through existing-secret settings (the chart would otherwise generate new random ones on every
render, which Argo CD would apply as a change each time); the token-signing key pair comes
from cert-manager."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Literal

from constructs import Construct
from pydantic import Field, model_validator

from components import versions
from components.backup import State
from components.core import HelmRelease, Obj, labels, metadata
from components.flows import NetworkNeeds
from components.routing import GatewayRef, Served, route_annotations
from components.secrets import RemoteValue, SecretStoreRef, external_secret
from components.types import PROPS_CONFIG, KvPath, NfsServer, Resources, Size, Strict
from components.workload import HARDENED, resources

if TYPE_CHECKING:
    from components.k8s.api import ConfigMap

# Secret name -> {key in the Secret: property of the KV entry}
SECRETS: dict[str, dict[str, str]] = {
    "harbor-admin": {"HARBOR_ADMIN_PASSWORD": "admin-password"},
    "harbor-secret-key": {"secretKey": "secret-key"},
    # not "harbor-core"/"harbor-jobservice": the chart always renders Secrets of those names itself
    "harbor-core-secret": {"secret": "core-secret"},
    "harbor-xsrf": {"CSRF_KEY": "xsrf-key"},
    "harbor-jobservice-secret": {"JOBSERVICE_SECRET": "jobservice-secret"},
    # the chart's own name: it renders this Secret always (with the Redis password); ours replaces it
    "harbor-registry": {"REGISTRY_HTTP_SECRET": "registry-http-secret"},
    # the chart's own name too (no existing-secret setting): Trivy's GitHub token (raises the rate
    # limit of vulnerability database downloads; an empty value is allowed)
    "harbor-trivy": {"gitHubToken": "trivy-github-token"},
    "harbor-registry-credentials": {"REGISTRY_PASSWD": "registry-password", "REGISTRY_HTPASSWD": "registry-htpasswd"},
}
TOKEN_CERT = "harbor-core-token"
REGISTRY_USER = "harbor_registry_user"


class Persistence(Strict):
    registry: Size
    database: Size
    redis: Size
    jobservice: Size
    trivy: Size


class HarborResources(Strict):
    """Per Harbor service (the chart sets none); Trivy and the internal PostgreSQL keep the chart's."""

    core: Resources
    jobservice: Resources
    portal: Resources
    registry: Resources  # the registry and its controller, each
    redis: Resources  # the internal Redis


class ExternalDatabase(Strict):
    host: NfsServer  # an IPv4 address or a DNS hostname
    port: Annotated[int, Field(ge=1, le=65535)] = 5432
    username: Annotated[str, Field(min_length=1)]
    database: Annotated[str, Field(min_length=1)]
    password_path: KvPath  # KV entry with a ``password`` property


class ExternalRedis(Strict):
    addr: Annotated[str, Field(pattern=r"^[a-z0-9.-]+:[0-9]{1,5}$")]  # host:port
    password_path: KvPath | None = None


class HarborSettings(Strict):
    """What a cluster may change."""

    secrets_path: KvPath  # KV entry with the properties named in SECRETS
    persistence: Persistence
    resources: HarborResources
    database: Literal["internal", "external"] = "internal"
    external_database: ExternalDatabase | None = None
    redis: Literal["internal", "external"] = "internal"
    external_redis: ExternalRedis | None = None

    @model_validator(mode="after")
    def _choices(self) -> HarborSettings:
        for part in ("database", "redis"):
            chosen, ext = getattr(self, part), getattr(self, f"external_{part}")
            if chosen == "external" and ext is None:
                raise ValueError(f"{part} is 'external' but external_{part} is not set")
            if chosen == "internal" and ext is not None:
                raise ValueError(f"external_{part} is set but {part} is 'internal'")
        return self


class HarborProps(HarborSettings):
    model_config = PROPS_CONFIG

    host: str  # required
    gateway: GatewayRef  # required
    sso_issuer: str  # required: the platform's Dex (Harbor's OIDC auth mode)
    sso_secret_path: KvPath  # required: the Dex client's secret (property client-secret)
    admin_groups: tuple[str, ...] = ()  # Dex groups that are Harbor administrators
    internal_issuer: str  # required: signs the token key pair
    storage_class: str  # required: from the cluster
    secret_store: SecretStoreRef  # required
    projects: tuple[tuple[str, str], ...] = ()  # (project, KV path of its pull robot): one per environment
    # projects whose tags can never be pushed again (production's): a tag deployed is the image deployed
    immutable_projects: tuple[str, ...] = ()
    secret_store_kv_mount: str = "kv"  # where the robots' credentials are written
    tls: bool = True
    namespace: str = "harbor"


OIDC_CALLBACK_PATH = "/c/oidc/callback"


class Harbor(HelmRelease):
    free_form_values = ("expose.route.annotations",)
    chart_secret_literals = {"harbor-registry": ("REGISTRY_REDIS_PASSWORD",), "harbor-trivy": ("redisURL",)}
    layer = "tools"
    # Trivy's vulnerability database, the external PostgreSQL and Redis, Dex (OIDC login)
    network = NetworkNeeds(internet=(443, 5432, 6379), gateway=True)
    rank = 4

    def __init__(self, scope: Construct, props: HarborProps):
        p = props
        claim = {part: {"storageClass": p.storage_class, "size": getattr(p.persistence, part)}
                 for part in ("registry", "database", "redis", "trivy")}
        claim["jobservice"] = {"jobLog": {"storageClass": p.storage_class, "size": p.persistence.jobservice}}
        # Operators log in to the UI through Dex (Harbor's OIDC auth mode, which the projects script sets);
        # machines (CI pushes, nodes' pulls) use robot accounts. Image layers stream: no body limit, and
        # no request buffering policy on this route. TLS ends at the Gateway.
        self.served_ui = Served(p.host, p.namespace, "operators", "native-oidc", (OIDC_CALLBACK_PATH,), "harbor")
        values: Obj = {
            "expose": {
                "type": "route",
                "tls": {"enabled": False},
                "route": {"parentRefs": [p.gateway.parent(p.host)], "hosts": [p.host],
                          "annotations": route_annotations(self.served_ui)},
            },
            "externalURL": f"{'https' if p.tls else 'http'}://{p.host}",
            "existingSecretAdminPassword": "harbor-admin",
            "existingSecretAdminPasswordKey": "HARBOR_ADMIN_PASSWORD",
            "existingSecretSecretKey": "harbor-secret-key",
            "core": {"existingSecret": "harbor-core-secret", "existingXsrfSecret": "harbor-xsrf",
                     "existingXsrfSecretKey": "CSRF_KEY", "secretName": TOKEN_CERT,
                     "resources": resources(p.resources.core, HARDENED)},
            "jobservice": {"existingSecret": "harbor-jobservice-secret", "existingSecretKey": "JOBSERVICE_SECRET",
                           "resources": resources(p.resources.jobservice, HARDENED)},
            "portal": {"resources": resources(p.resources.portal, HARDENED)},
            "registry": {"existingSecret": "harbor-registry", "existingSecretKey": "REGISTRY_HTTP_SECRET",
                         "credentials": {"username": REGISTRY_USER, "existingSecret": "harbor-registry-credentials"},
                         "registry": {"resources": resources(p.resources.registry, HARDENED)},
                         "controller": {"resources": resources(p.resources.registry, HARDENED)}},
            "persistence": {"enabled": True, "resourcePolicy": "keep", "persistentVolumeClaim": claim},
            "database": {"type": p.database},
            "redis": {"type": p.redis, "internal": {"resources": resources(p.resources.redis, HARDENED)}},
        }
        if p.external_database:
            db = p.external_database
            values["database"]["external"] = {"host": db.host, "port": str(db.port), "username": db.username,
                                              "coreDatabase": db.database, "existingSecret": "harbor-external-database",
                                              "sslmode": "require"}
        if p.database == "internal":  # see below
            values["database"]["external"] = {"existingSecret": "harbor-database-password"}
        if p.external_redis:
            values["redis"]["external"] = {"addr": p.external_redis.addr}
            if p.external_redis.password_path:
                values["redis"]["external"]["existingSecret"] = "harbor-external-redis"
        # Every Harbor pod the chart renders passes restricted (the render's Pod Security check proves it),
        # but for the internal PostgreSQL's, whose init container changes the data directory's owner.
        internal_db = p.database == "internal"
        super().__init__(scope, "harbor", p.namespace, versions.HARBOR, values,
                         pod_security="baseline" if internal_db else "restricted",
                         pod_security_reason="the chart's internal PostgreSQL runs an init container as root to "
                                             "own its data directory" if internal_db else "")
        self.props = props
        registry_user = 10000  # the chart's registry pod (runAsUser and fsGroup)
        self.state = (
            State("PersistentVolumeClaim/harbor-registry", "every image layer the environments run", "volume-copy",
                  run_as=(registry_user, registry_user), name="harbor-registry", stop=("deployment/harbor-registry",)),
            State("database/harbor", "projects, robots, users, tags and scan results (PostgreSQL, "
                  f"{'in the chart' if internal_db else 'external'})", "pg-dump", run_as=(registry_user, registry_user),
                  name="harbor-database", stop=("deployment/harbor-core", "deployment/harbor-jobservice")),
            *((State("StatefulSet/harbor-database/database-data", "the internal PostgreSQL's files", "none",
                     reason="backed up as a database (harbor-database), not as files"),) if internal_db else ()),
            State("PersistentVolumeClaim/harbor-jobservice", "logs of replication and scan jobs", "none",
                  reason="job logs: the jobs' results are in the database"),
            State("StatefulSet/harbor-redis/data", "sessions and job queues", "none",
                  reason="transient: users log in again, queued jobs are scheduled again"),
            State("StatefulSet/harbor-trivy/data", "Trivy's vulnerability database", "none",
                  reason="downloaded again by Trivy"),
        )
        self.serve(self.served_ui)
        lbls = labels("harbor", "registry")
        if p.database == "internal":
            # The chart has no existing-secret setting for its internal PostgreSQL: core reads the password
            # from the external database's setting (which it honours for either type), the database pod
            # from the chart's Secret harbor-database, which our ExternalSecret of that name replaces.
            self.add(external_secret("harbor-database-password", p.namespace, lbls, p.secret_store,
                                     values=(RemoteValue("password", p.secrets_path, "database-password"),)))
            self.add(external_secret("harbor-database", p.namespace, lbls, p.secret_store,
                                     values=(RemoteValue("POSTGRES_PASSWORD", p.secrets_path, "database-password"),)))
        for name, keys in SECRETS.items():
            self.add(external_secret(name, p.namespace, lbls, p.secret_store,
                                     values=tuple(RemoteValue(k, p.secrets_path, prop) for k, prop in keys.items())))
        if p.external_database:
            self.add(external_secret("harbor-external-database", p.namespace, lbls, p.secret_store,
                                     values=(RemoteValue("password", p.external_database.password_path, "password"),)))
        if p.external_redis and p.external_redis.password_path:
            self.add(external_secret("harbor-external-redis", p.namespace, lbls, p.secret_store, values=(
                RemoteValue("REDIS_PASSWORD", p.external_redis.password_path, "password"),)))
        self.add(self.projects_config_map(lbls))
        self.add({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
                  "metadata": metadata(TOKEN_CERT, p.namespace, lbls), "spec": {
            "secretName": TOKEN_CERT,
            "commonName": "harbor-token-service",
            "duration": "8760h",
            "renewBefore": "720h",
            "privateKey": {"algorithm": "RSA", "size": 4096},
            "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": p.internal_issuer},
        }})

    def projects_config_map(self, lbls: dict[str, str]) -> ConfigMap:
        """The environments' projects (and the platform's own, for the CI image), private, each with a
        pull-only robot account, and the script an operator runs once (and after adding an environment)
        to create them: the chart has no setting for projects. The robot's credentials go to OpenBao at
        the project's pull path, never to Git."""
        p = self.props
        api = f"https://{p.host}/api/v2.0"
        lines = [
            "#!/bin/sh",
            "# Create the projects and their pull robots (idempotent). Needs HARBOR_ADMIN_PASSWORD",
            "# (kubectl -n harbor get secret harbor-admin -o jsonpath='{.data.HARBOR_ADMIN_PASSWORD}' | base64 -d),",
            "# an OpenBao token that may write the pull paths, curl and jq.",
            "set -eu",
            'auth="admin:${HARBOR_ADMIN_PASSWORD:?set HARBOR_ADMIN_PASSWORD}"',
            "# Operators log in through the platform's Dex (Harbor keeps its auth mode in its database).",
            f"secret=$(bao kv get -field=client-secret {p.secret_store_kv_mount}/{p.sso_secret_path})",
            "jq -n --arg secret \"$secret\" '" + json.dumps({
                "auth_mode": "oidc_auth", "oidc_name": "Single sign-on", "oidc_endpoint": p.sso_issuer,
                "oidc_client_id": "harbor", "oidc_scope": "openid,profile,email,groups,offline_access",
                "oidc_groups_claim": "groups", "oidc_admin_group": ",".join(p.admin_groups), "oidc_verify_cert": True,
                "oidc_auto_onboard": True, "oidc_user_claim": "email"},
                sort_keys=True).replace("}", ", oidc_client_secret: $secret}")
            + f"' | curl -fsS -u \"$auth\" -H 'Content-Type: application/json' -X PUT {api}/configurations -d @-",
        ]
        for project, path in p.projects:
            robot = {"name": f"pull-{project}", "level": "project", "duration": -1, "permissions": [{
                "kind": "project", "namespace": project,
                "access": [{"resource": "repository", "action": "pull"}]}]}
            kv = f"{p.secret_store_kv_mount}/{path}"
            lines += [
                f"curl -fsS -u \"$auth\" -H 'Content-Type: application/json' -X POST {api}/projects "
                f"-d '{{\"project_name\":\"{project}\",\"metadata\":{{\"public\":\"false\"}}}}' || true",
                f"if ! bao kv get -field=username {kv} >/dev/null 2>&1; then",
                f"  robot=$(curl -fsS -u \"$auth\" -H 'Content-Type: application/json' -X POST {api}/robots "
                f"-d '{json.dumps(robot, sort_keys=True, separators=(',', ':'))}')",
                f"  echo \"$robot\" | jq '{{username: .name, password: .secret}}' | bao kv put {kv} -",
                "fi",
            ]
            if project in p.immutable_projects:  # every tag of every repository, once pushed, stays as it is
                rule = {"disabled": False, "action": "immutable", "template": "immutable_template",
                        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "**"}],
                        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                                            "pattern": "**"}]}}
                rules = f"{api}/projects/{project}/immutabletagrules"
                lines += [
                    f"if [ \"$(curl -fsS -u \"$auth\" {rules} | jq length)\" = 0 ]; then",
                    f"  curl -fsS -u \"$auth\" -H 'Content-Type: application/json' -X POST {rules} "
                    f"-d '{json.dumps(rule, sort_keys=True, separators=(',', ':'))}'",
                    "fi",
                ]
        data = {"projects.json": json.dumps([{"name": n, "public": False, "pull_secret_path": path,
                                              "immutable_tags": n in p.immutable_projects}
                                             for n, path in p.projects], indent=2, sort_keys=True) + "\n",
                "apply.sh": "\n".join(lines) + "\n"}
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("harbor-projects", p.namespace, lbls),
                "data": data}
