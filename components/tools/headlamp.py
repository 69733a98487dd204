"""Headlamp, the Kubernetes project's successor of the archived Kubernetes Dashboard.

Operators log in through Dex (OIDC) and act with their own identity: Headlamp passes their token to
the API server, which must trust Dex as an OIDC issuer (the cluster's API server flags or
structured authentication configuration; see docs/security.md). Headlamp's own ServiceAccount gets no
role at all (the chart's default binds it to cluster-admin: switched off), and the groups it knows
are read-only unless a cluster names admin groups.
"""
from __future__ import annotations

from constructs import Construct

from components import versions
from components.core import HelmRelease, Obj, labels
from components.flows import NetworkNeeds
from components.rbac import group_binding
from components.routing import GatewayRef, Served, route_annotations
from components.secrets import RemoteValue, SecretStoreRef, external_secret, literal_template
from components.types import PROPS_CONFIG, Hostname, KvPath, Resources, Strict
from components.workload import HARDENED, container_security, pod_security_context, resources

OIDC_SECRET = "headlamp-oidc"
PORT = 80  # the chart's Service port
CALLBACK = "/oidc-callback"


class HeadlampSettings(Strict):
    """What a cluster may change."""

    viewer_groups: list[str] = []  # bound to the "view" ClusterRole (read-only); other roles come from the
    # platform's base, the only place that binds roles to people (platectl validate checks it)
    resources: Resources


class HeadlampProps(HeadlampSettings):
    model_config = PROPS_CONFIG

    host: Hostname  # required
    gateway: GatewayRef  # required
    issuer: str  # required: Dex
    client_secret_path: KvPath  # required: the Dex client's secret
    secret_store: SecretStoreRef  # required
    namespace: str = "headlamp"


class Headlamp(HelmRelease):
    free_form_values = ("securityContext", "podSecurityContext")  # Kubernetes securityContexts, passed as they are
    layer = "tools"
    network = NetworkNeeds(api_server=True, internet=(443,), gateway=True)  # users' requests to the API; Dex
    rank = 4

    def __init__(self, scope: Construct, props: HeadlampProps):
        p = props
        served = Served(p.host, p.namespace, "operators", "native-oidc", (CALLBACK,), "headlamp")
        values: Obj = {
            # the chart passes -oidc-callback-url=$(OIDC_CALLBACK_URL) only when a callback URL is set here;
            # its value reaches the pod from the ExternalSecret, like the other OIDC settings
            "config": {"oidc": {"secret": {"create": False}, "callbackURL": f"https://{p.host}{CALLBACK}",
                                "externalSecret": {"enabled": True, "name": OIDC_SECRET, "hasScopes": True}}},
            "clusterRoleBinding": {"create": False},  # users act with their own RBAC, never Headlamp's
            "podSecurityContext": pod_security_context(),
            "securityContext": {**container_security(HARDENED, run_as_user=100), "runAsGroup": 101, "privileged": False},
            "resources": resources(p.resources, HARDENED),
            "httpRoute": {"enabled": True, "parentRefs": [p.gateway.parent(p.host)], "hostnames": [p.host],
                          "annotations": route_annotations(served)},
        }
        super().__init__(scope, "headlamp", p.namespace, versions.HEADLAMP, values)
        self.props = props
        self.serve(served)
        lbls = labels("headlamp", "dashboard")
        self.add(external_secret(OIDC_SECRET, p.namespace, lbls, p.secret_store, merge=True,
                                 values=(RemoteValue("OIDC_CLIENT_SECRET", p.client_secret_path, "client-secret"),),
                                 template_data={k: literal_template(v) for k, v in {
                                     "OIDC_CLIENT_ID": "headlamp", "OIDC_ISSUER_URL": p.issuer,
                                     "OIDC_CALLBACK_URL": f"https://{p.host}{CALLBACK}",
                                     "OIDC_SCOPES": "openid,profile,email,groups"}.items()}))
        if p.viewer_groups:
            self.add(group_binding("headlamp-view", lbls, "view", p.viewer_groups))

