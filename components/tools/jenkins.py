"""Jenkins from its upstream chart: pinned plugins, admin from OpenBao, unprivileged agents, and
the container-build cache volume every agent mounts."""
from __future__ import annotations

from typing import Annotated, Literal

import yaml
from constructs import Construct
from pydantic import Field

from components import versions
from components.backup import State
from components.core import HelmRelease, Obj, labels, metadata
from components.flows import NetworkNeeds, pods
from components.meta import literal_yaml
from components.routing import Backend, GatewayRef, Served, Sso, client_secret, http_route
from components.secrets import (
    RemoteValue,
    SecretStoreRef,
    external_secret,
    literal_template,
    pull_secret,
    same_keys,
)
from components.types import PROPS_CONFIG, DnsLabel, GitUrl, Image, KvPath, Resources, Size, Strict
from components.workload import HARDENED, Hardening, container_security, resources, run_as

ADMIN_SECRET = "jenkins-admin"
CACHE_CLAIM = "jenkins-build-cache"
UID = 1000
PORT = 8080  # the chart's controller Service
OIDC_CALLBACK = "/securityRealm/finishLogin"  # the OpenID Connect realm's redirect path
OIDC_SECRET = "jenkins-oidc"
OIDC_KEY = "client-secret"
BREAK_GLASS = "break-glass"  # the escape hatch's group
# what developers may do: see, build and stop jobs and read their results; never configure
DEVELOPER_PERMISSIONS = ("Overall/Read", "Job/Read", "Job/Build", "Job/Cancel", "Job/Workspace",
                         "View/Read")  # core permissions only


# the folder scan intervals Job DSL's periodicFolderTrigger accepts
ScanInterval = Literal["1m", "2m", "5m", "10m", "15m", "20m", "25m", "30m", "1h", "2h", "4h", "8h", "12h", "1d"]
# the credentials a pipeline's Jenkinsfile binds, by id ``<pipeline>-<suffix>``
PUSH_KEY, SIGNING_KEY, PUSH_URL = "push-key", "signing-key", "push-url"


class JenkinsPipeline(Strict):
    """A multibranch pipeline JCasC creates with Job DSL: every branch of ``repository`` that has the
    Jenkinsfile, found by polling (no webhook reaches this Jenkins), with the credentials its publish
    steps bind, from OpenBao."""

    name: DnsLabel  # the job; its credentials are ``<name>-push-key``, ``<name>-signing-key``, ``<name>-push-url``
    repository: GitUrl  # where Jenkins clones from
    push_url: GitUrl  # where a publish pushes the rendered branch (the deploy key's URL)
    # KV entry with ``push-key`` (an SSH deploy key that may push the rendered branch only) and
    # ``signing-key`` (the armored OpenPGP secret key the rendered branch is signed with)
    credentials_path: KvPath
    agent_image: Image  # what its stages run in: Python 3.11, Node 20, git, gpg, promtool, amtool (ci/Dockerfile)
    # KV entry with ``username`` and ``password`` of a robot that may pull ``agent_image`` (for an image in the
    # platform's Harbor: its projects script creates the project and writes this entry)
    agent_pull_path: KvPath | None = None
    script_path: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]+$")] = "Jenkinsfile"
    scan_interval: ScanInterval = "5m"
    # who may approve a production publish (the Jenkinsfile's input step), besides the admin groups
    release_groups: list[Annotated[str, Field(pattern=r"^[^\s'\"$,]+$")]] = []


class JenkinsSettings(Strict):
    """What a cluster may change."""

    admin_credentials_path: KvPath  # KV entry with ``username`` and ``password``: the escape hatch only
    # Jenkins' matrix authorization by Dex group: administrators, and developers (read, build, cancel)
    admin_groups: Annotated[list[Annotated[str, Field(pattern=r"^[^\s'\"$]+$")]], Field(min_length=1)]
    developer_groups: list[Annotated[str, Field(pattern=r"^[^\s'\"$]+$")]] = []
    storage_size: Size  # the controller's home
    build_cache_size: Size = "50Gi"
    resources: Resources
    agent_resources: Resources
    sidecar_resources: Resources  # the configuration-reload sidecar and its init container
    pipelines: list[JenkinsPipeline] = []


class JenkinsProps(JenkinsSettings):
    model_config = PROPS_CONFIG

    host: str  # required
    gateway: GatewayRef  # required
    sso: Sso  # required: operators log in through Dex (Jenkins' own OpenID Connect realm)
    storage_class: str  # required: from the cluster
    secret_store: SecretStoreRef  # required
    plugins: tuple[tuple[str, str], ...] = tuple(versions.JENKINS_PLUGINS.items())
    build_cache_path: str = "/home/jenkins/.cache"
    tls: bool = True
    namespace: str = "jenkins"


def _dump(data: object) -> str:
    return literal_yaml(data).rstrip("\n")


# the chart's controller pod, and the agents its Kubernetes cloud starts (the pod template's label)
CONTROLLER_PODS = {"app.kubernetes.io/component": "jenkins-controller", "app.kubernetes.io/instance": "jenkins"}
AGENT_PODS = {"jenkins/jenkins-jenkins-agent": "true"}


class Jenkins(HelmRelease):
    # JCasC's config scripts and the agents' pod templates are named by us (a file, a template each)
    free_form_values = ("controller.JCasC.configScripts", "agent.podTemplates",
                        "controller.containerSecurityContext", "controller.podSecurityContextOverride",
                        "controller.sidecars.configAutoReload.containerSecurityContext")
    layer = "tools"
    rank = 4
    # agents: Git, package registries, Harbor (its public address); the controller alone reaches the API
    # server (it starts the agents), so build agents, which run pull requests' code, cannot
    network = NetworkNeeds(api_server=True, api_server_pods=pods(CONTROLLER_PODS), internet=(22, 80, 443),
                           gateway=True)

    @staticmethod
    def security_realm(p: JenkinsProps) -> Obj:
        """The oic-auth plugin's realm: Dex's discovery document, groups from the token; the admin account
        from OpenBao is the escape hatch (break-glass, a group of its own) for when Dex is down."""
        return {"oic": {
            "clientId": "jenkins",
            "clientSecret": f"${{{OIDC_SECRET}-{OIDC_KEY}}}",
            "serverConfiguration": {"wellKnown": {
                "wellKnownOpenIDConfigurationUrl": f"{p.sso.issuer}/.well-known/openid-configuration",
                "scopesOverride": "openid profile email groups"}},
            "userNameField": "email",
            "fullNameFieldName": "name",
            "emailFieldName": "email",
            "groupsFieldName": "groups",
            "properties": ["pkce", {"escapeHatch": {"username": "${chart-admin-username}",
                                                    "secret": "${chart-admin-password}", "group": BREAK_GLASS}}],
        }}

    @staticmethod
    def authorization(p: JenkinsProps) -> Obj:
        """Matrix authorization by group: nobody but these groups (and the escape hatch) may do anything."""
        entries: list[Obj] = [{"group": {"name": g, "permissions": ["Overall/Administer"]}}
                              for g in [*p.admin_groups, BREAK_GLASS]]
        entries += [{"group": {"name": g, "permissions": list(DEVELOPER_PERMISSIONS)}} for g in p.developer_groups]
        return {"globalMatrix": {"entries": entries}}

    @staticmethod
    def pipeline_secret(pipeline: JenkinsPipeline) -> str:
        return f"jenkins-pipeline-{pipeline.name}"

    @staticmethod
    def agent_pull_secret(pipeline: JenkinsPipeline) -> str:
        return f"jenkins-pipeline-{pipeline.name}-pull"

    @classmethod
    def pipelines_config(cls, p: JenkinsProps) -> Obj:
        """JCasC for ``p.pipelines``: their credentials (from the Secret each pipeline's ExternalSecret
        fills, mounted by the chart), the groups that may approve a production publish, and the jobs."""
        credentials: list[Obj] = []
        jobs: list[Obj] = []
        for pl in p.pipelines:
            var = cls.pipeline_secret(pl)  # the chart mounts key k of Secret s as ${s-k}
            credentials += [
                {"basicSSHUserPrivateKey": {"scope": "GLOBAL", "id": f"{pl.name}-{PUSH_KEY}", "username": "git",
                                            "description": f"{pl.name}: pushes the rendered branch",
                                            "privateKeySource": {"directEntry": {"privateKey": f"${{{var}-{PUSH_KEY}}}"}}}},
                {"string": {"scope": "GLOBAL", "id": f"{pl.name}-{SIGNING_KEY}", "secret": f"${{{var}-{SIGNING_KEY}}}",
                            "description": f"{pl.name}: signs the rendered branch"}},
                {"string": {"scope": "GLOBAL", "id": f"{pl.name}-{PUSH_URL}", "secret": f"${{{var}-{PUSH_URL}}}",
                            "description": f"{pl.name}: where publishes push"}},
            ]
            jobs.append({"script": cls.job_dsl(pl)})
        submitters = sorted({*p.admin_groups, *(g for pl in p.pipelines for g in pl.release_groups)})
        return {"credentials": {"system": {"domainCredentials": [{"credentials": credentials}]}},
                "jenkins": {"globalNodeProperties": [{"envVars": {"env": [
                    {"key": "PLATE_RELEASE_SUBMITTERS", "value": ",".join(submitters)}]}}]},
                "jobs": jobs}

    @staticmethod
    def job_dsl(pl: JenkinsPipeline) -> str:
        """The Job DSL script of one multibranch pipeline (no ``$``: JCasC would read it as a variable)."""
        return "\n".join([
            f"multibranchPipelineJob('{pl.name}') {{",
            f"  displayName('{pl.name}')",
            "  branchSources {",
            "    branchSource {",
            "      source {",
            "        git {",
            f"          id('{pl.name}')",
            f"          remote('{pl.repository}')",
            "          traits {",
            "            gitBranchDiscovery()",
            "          }",
            "        }",
            "      }",
            "    }",
            "  }",
            "  factory {",
            "    workflowBranchProjectFactory {",
            f"      scriptPath('{pl.script_path}')",
            "    }",
            "  }",
            "  orphanedItemStrategy {",
            "    discardOldItems {",
            "      numToKeep(20)",
            "    }",
            "  }",
            "  triggers {",
            "    periodicFolderTrigger {",
            f"      interval('{pl.scan_interval}')",
            "    }",
            "  }",
            "}",
            ""])

    @staticmethod
    def pod_template(pl: JenkinsPipeline, p: JenkinsProps) -> str:
        """The agent pod template a pipeline's stages run in (its Jenkinsfile names it), built on the
        chart's default agent (the connection to the controller, the build cache volume)."""
        r = p.agent_resources
        limits = r.limits.model_dump(exclude_none=True) if r.limits else {}
        requests = r.requests.model_dump(exclude_none=True) if r.requests else {}
        container: Obj = {"name": "ci", "image": pl.agent_image.ref, "command": "sleep", "args": "infinity",
                          "ttyEnabled": False, "privileged": False, "runAsUser": str(UID), "runAsGroup": str(UID)}
        for key, value in (("resourceRequestCpu", requests.get("cpu")), ("resourceRequestMemory", requests.get("memory")),
                           ("resourceLimitCpu", limits.get("cpu")), ("resourceLimitMemory", limits.get("memory"))):
            if value:
                container[key] = value
        # what the container template's fields cannot say, merged into the pod: the restricted Pod Security
        # settings (builds run pull requests' code; the CI image's tools need a writable home, no root)
        hardened: Obj = {"spec": {"containers": [{"name": "ci", "securityContext": {
            **container_security(Hardening(read_only_root_filesystem=False), UID), "runAsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"}}}]}}
        if pl.agent_pull_path:
            hardened["spec"]["imagePullSecrets"] = [{"name": Jenkins.agent_pull_secret(pl)}]
        return _dump([{"name": pl.name, "label": pl.name, "inheritFrom": "default", "containers": [container],
                       "yamlMergeStrategy": "merge", "yaml": _dump(hardened)}])

    def __init__(self, scope: Construct, props: JenkinsProps):
        p = props
        unprivileged = {**container_security(HARDENED, UID), "runAsGroup": UID}
        values: Obj = {
            "controller": {
                # createSecret true: the chart mounts the admin Secret only then; with existingSecret set it
                # creates none of its own and mounts ours (templates/secret.yaml, the controller StatefulSet)
                "admin": {"existingSecret": ADMIN_SECRET, "userKey": "username", "passwordKey": "password",
                          "createSecret": True},
                "installPlugins": [f"{name}:{version}" for name, version in p.plugins],
                "installLatestPlugins": False,
                "installLatestSpecifiedPlugins": False,
                "jenkinsUrl": f"{'https' if p.tls else 'http'}://{p.host}",
                # the client secret reaches JCasC as ${jenkins-oidc-client-secret} (a file the chart mounts)
                "additionalExistingSecrets": [{"name": OIDC_SECRET, "keyName": OIDC_KEY}] + [
                    {"name": self.pipeline_secret(pl), "keyName": k} for pl in p.pipelines
                    for k in (PUSH_KEY, SIGNING_KEY, PUSH_URL)],
                "JCasC": {"securityRealm": yaml.safe_dump(self.security_realm(p), sort_keys=False),
                          "authorizationStrategy": yaml.safe_dump(self.authorization(p), sort_keys=False),
                          **({"configScripts": {"pipelines": _dump(self.pipelines_config(p))}} if p.pipelines else {})},
                "resources": resources(p.resources, HARDENED),
                "podSecurityContextOverride": run_as(UID, UID, UID),
                "containerSecurityContext": unprivileged,
                "sidecars": {"configAutoReload": {"resources": resources(p.sidecar_resources, HARDENED),
                                                  "containerSecurityContext": unprivileged}},
            },
            "persistence": {"enabled": True, "storageClass": p.storage_class, "size": p.storage_size},

            "agent": {
                "enabled": True,
                "privileged": False,
                "runAsUser": UID,
                "runAsGroup": UID,
                "resources": resources(p.agent_resources, HARDENED),
                "volumes": [{"type": "PVC", "claimName": CACHE_CLAIM, "mountPath": p.build_cache_path,
                             "readOnly": False}],
                **({"podTemplates": {pl.name: self.pod_template(pl, p) for pl in p.pipelines}} if p.pipelines else {}),
            },
        }
        super().__init__(scope, "jenkins", p.namespace, versions.JENKINS, values, pod_security="baseline",
                         pod_security_reason="the chart's init and reload sidecars do not set the seccomp profile "
                                             "and dropped capabilities that restricted requires")
        self.props = props
        self.state = (
            State("PersistentVolumeClaim/jenkins", "Jenkins home: build history and logs, credentials and jobs added "
                  "by hand (JCasC recreates the rest)", "volume-copy", run_as=(UID, UID), name="jenkins-home",
                  stop=("statefulset/jenkins",)),
            State("PersistentVolumeClaim/jenkins-build-cache", "the agents' dependency cache", "none",
                  reason="a cache: builds fill it again"),
        )
        self.runtime_pod("jenkins-agent", p.namespace, AGENT_PODS, {})
        lbls = labels("jenkins", "ci")
        self.add(external_secret(ADMIN_SECRET, p.namespace, lbls, p.secret_store,
                                 values=same_keys(p.admin_credentials_path)))
        self.add(client_secret(OIDC_SECRET, p.namespace, lbls, p.sso, OIDC_KEY))
        for pl in p.pipelines:  # the keys from OpenBao, the push URL from the configuration
            self.add(external_secret(
                self.pipeline_secret(pl), p.namespace, lbls, p.secret_store, merge=True,
                values=tuple(RemoteValue(k, pl.credentials_path, k) for k in (PUSH_KEY, SIGNING_KEY)),
                template_data={PUSH_URL: literal_template(pl.push_url)}))
            if pl.agent_pull_path:
                self.add(pull_secret(self.agent_pull_secret(pl), p.namespace, lbls, p.secret_store,
                                     pl.agent_image.registry, pl.agent_pull_path))
        # The UI for operators, who log in through Dex as themselves (Jenkins' OpenID Connect realm). No
        # public path: nothing in this Jenkins serves GitHub's webhook (no GitHub plugin, no webhook
        # secret), so a route to it would only answer 404 to the internet; builds start from the UI or
        # from polling the repository.
        ui = Served(p.host, p.namespace, "operators", "native-oidc", (OIDC_CALLBACK,), "jenkins")
        self.serve(ui)
        self.add(http_route("jenkins", p.namespace, lbls, ui, p.gateway, (Backend("/", "jenkins", PORT),)))
        self.add({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata(CACHE_CLAIM, p.namespace, lbls),
                  "spec": {"accessModes": ["ReadWriteMany"], "storageClassName": p.storage_class,
                           "resources": {"requests": {"storage": p.build_cache_size}}}})
