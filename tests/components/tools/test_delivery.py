"""Argo CD, Jenkins, Harbor and Headlamp: chart values from typed props, credentials only through
existing-secret settings backed by ExternalSecrets, operators' logins through Dex."""
import pytest
from pydantic import ValidationError

from components import versions
from components.argocd.app_of_apps import AppOfAppsProps, ClusterAppsChart
from components.routing import GatewayRef, Sso
from components.tools.argo_cd import APPLICATION_HEALTH_LUA, REPO_SECRET, ArgoCD, ArgoCDProps, ResourceExclusion
from components.tools.harbor import SECRETS, ExternalDatabase, Harbor, HarborProps, HarborResources, Persistence
from components.tools.headlamp import Headlamp, HeadlampProps
from components.tools.jenkins import ADMIN_SECRET, CACHE_CLAIM, Jenkins, JenkinsProps
from components.types import Resources
from platectl import policy

AOA = AppOfAppsProps(owner="test", folder="clusters/test", repo_url="https://git.test.example/plate.git", revision="rendered",
                     argocd_namespace="argocd")
GATEWAY = GatewayRef("edge", "envoy-gateway-system")
DEX = "https://dex.test.example"
PERSISTENCE = Persistence(registry="100Gi", database="5Gi", redis="1Gi", jobservice="1Gi", trivy="5Gi")
_R = Resources.model_validate({"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "128Mi"}})
HARBOR_RESOURCES = HarborResources(core=_R, jobservice=_R, portal=_R, registry=_R, redis=_R)


def argo_props(store, resources, **over):
    return ArgoCDProps(
        domain="argocd.test.example", gateway=GATEWAY, sso_issuer=DEX, sso_secret_path="platform/dex/clients/argocd",
        admin_groups=("platform-admins",), repo_url=AOA.repo_url, controller_resources=resources,
        server_resources=resources, repo_server_resources=resources, applicationset_resources=resources,
        notifications_resources=resources, redis_resources=resources, secret_store=store,
        resource_exclusions=[ResourceExclusion(api_groups=[""], kinds=["Endpoints"])], **over)


def tools(store, resources):
    """Each delivery tool, built into a scope from test props."""
    return {
        "argo-cd": lambda app: ArgoCD(app, argo_props(store, resources, repo_credentials_path="plate/test/repo")),
        "jenkins": lambda app: Jenkins(app, JenkinsProps(
            host="jenkins.test.example", gateway=GATEWAY, sso=Sso(DEX, "platform/dex/clients/jenkins", store),
            storage_class="nfs-client", storage_size="20Gi", resources=resources, agent_resources=resources,
            sidecar_resources=resources, admin_credentials_path="plate/test/jenkins", secret_store=store,
            admin_groups=["test:admins"], developer_groups=["test:developers"])),
        "harbor": lambda app: Harbor(app, HarborProps(
            host="harbor.test.example", gateway=GATEWAY, sso_issuer=DEX, sso_secret_path="platform/dex/clients/harbor",
            internal_issuer="platform-internal", storage_class="nfs-client", persistence=PERSISTENCE,
            resources=HARBOR_RESOURCES, secrets_path="plate/test/harbor", secret_store=store)),
        "headlamp": lambda app: Headlamp(app, HeadlampProps(
            host="headlamp.test.example", gateway=GATEWAY, issuer=DEX, secret_store=store,
            client_secret_path="platform/dex/clients/headlamp", resources=resources, viewer_groups=["developers"])),
    }


def build_all(app, store, resources):
    comps = [make(app) for make in tools(store, resources).values()]
    ClusterAppsChart(app, AOA, [c.info for c in comps], frozenset(), ())
    return comps


def values(comps, name):
    """The values a component gives its chart (Helm renders the chart with them at synth)."""
    return next(c for c in comps if c.info.name == name).info.helm.values


@pytest.mark.parametrize("name", ["argo-cd", "jenkins", "harbor", "headlamp"])
def test_each_delivery_tool_matches_its_golden(golden, store, resources, name):
    golden(name, tools(store, resources)[name])


def test_delivery_tools_values_and_objects(synth, find, store, resources):
    comps: list = []
    objs = synth(lambda app: comps.extend(build_all(app, store, resources)))
    for o in objs.values():
        assert not policy.secret_literals(o), o["metadata"]["name"]
    # Argo CD
    v = values(comps, "argo-cd")
    assert v["configs"]["rbac"]["policy.default"] == "role:readonly"
    assert v["configs"]["rbac"]["policy.csv"] == "g, platform-admins, role:admin\n"
    assert v["configs"]["cm"]["resource.customizations.health.argoproj.io_Application"] == APPLICATION_HEALTH_LUA
    assert "Endpoints" in v["configs"]["cm"]["resource.exclusions"]
    assert v["global"]["domain"] == "argocd.test.example"
    assert v["server"]["httproute"]["parentRefs"] == [GATEWAY.parent("argocd.test.example")]
    assert v["server"]["httproute"]["annotations"] == {"plate.io/audience": "operators", "plate.io/auth": "native-oidc"}
    oidc = __import__("yaml").safe_load(v["configs"]["cm"]["oidc.config"])
    assert (oidc["issuer"], oidc["clientID"], oidc["clientSecret"]) == (DEX, "argocd", "$argocd-sso:clientSecret")
    repo = find(objs, "ExternalSecret", REPO_SECRET)["spec"]["target"]["template"]
    assert repo["metadata"]["labels"] == {"argocd.argoproj.io/secret-type": "repository"}
    assert repo["data"]["url"] == AOA.repo_url
    # Jenkins
    v = values(comps, "jenkins")
    assert v["controller"]["admin"]["existingSecret"] == ADMIN_SECRET
    assert v["controller"]["installPlugins"] == [f"{k}:{x}" for k, x in versions.JENKINS_PLUGINS.items()]
    assert v["controller"]["installLatestPlugins"] is False
    assert v["agent"]["privileged"] is False and v["agent"]["runAsUser"] == 1000
    assert v["agent"]["volumes"][0]["claimName"] == CACHE_CLAIM
    cache = find(objs, "PersistentVolumeClaim", CACHE_CLAIM)["spec"]
    assert cache["resources"]["requests"]["storage"] == "50Gi" and cache["storageClassName"] == "nfs-client"
    # Harbor
    v = values(comps, "harbor")
    assert "harborAdminPassword" not in v
    assert v["existingSecretAdminPassword"] == "harbor-admin"
    assert v["expose"]["type"] == "route" and v["expose"]["route"]["hosts"] == ["harbor.test.example"]
    assert v["persistence"]["persistentVolumeClaim"]["registry"] == {"storageClass": "nfs-client", "size": "100Gi"}
    assert v["persistence"]["persistentVolumeClaim"]["jobservice"]["jobLog"]["size"] == "1Gi"
    for name in SECRETS:
        find(objs, "ExternalSecret", name)
    assert find(objs, "Certificate", "harbor-core-token")["spec"]["issuerRef"]["name"] == "platform-internal"
    # Headlamp: the users' own RBAC; the groups it knows read only
    binding = find(objs, "ClusterRoleBinding", "headlamp-view")
    assert binding["roleRef"]["name"] == "view" and binding["subjects"][0]["name"] == "developers"
    assert values(comps, "headlamp")["clusterRoleBinding"] == {"create": False}
    assert not [o for o in objs.values() if o["kind"] == "ClusterRoleBinding" and o["roleRef"]["name"] == "cluster-admin"]
    # Jenkins' own login through Dex (no Gateway filter in front), and no public path (nothing in it
    # serves GitHub's webhook)
    assert not [o for o in objs.values() if o["kind"] == "SecurityPolicy" and o["metadata"]["namespace"] == "jenkins"]
    assert find(objs, "ExternalSecret", "jenkins-oidc")["spec"]["data"][0]["remoteRef"] == {
        "key": "platform/dex/clients/jenkins", "property": "client-secret"}
    routes = [o for o in objs.values() if o["kind"] == "HTTPRoute" and o["metadata"]["namespace"] == "jenkins"]
    assert [r["metadata"]["name"] for r in routes] == ["jenkins"]
    assert routes[0]["metadata"]["annotations"] == {"plate.io/audience": "operators", "plate.io/auth": "native-oidc"}


def test_harbor_external_database_reads_its_password_from_openbao(synth, find, store, resources):
    objs = synth(lambda app: Harbor(app, HarborProps(
        host="harbor.test.example", gateway=GATEWAY, sso_issuer=DEX, sso_secret_path="platform/dex/clients/harbor",
        internal_issuer="platform-internal", storage_class="nfs-client", persistence=PERSISTENCE, resources=HARBOR_RESOURCES,
        secrets_path="plate/test/harbor", secret_store=store, database="external",
        external_database=ExternalDatabase(host="pg.test.example", username="harbor", database="registry",
                                           password_path="plate/test/harbor-db"))))
    es = find(objs, "ExternalSecret", "harbor-external-database")["spec"]["data"][0]
    assert es["remoteRef"] == {"key": "plate/test/harbor-db", "property": "password"}


def test_harbor_external_choice_needs_its_settings(store):
    with pytest.raises(ValidationError, match="database is .external. but external_database is not set"):
        HarborProps(host="h.test.example", gateway=GATEWAY, sso_issuer=DEX, sso_secret_path="p/q", internal_issuer="y",
                    storage_class="s", persistence=PERSISTENCE, resources=HARBOR_RESOURCES, secrets_path="p/q", secret_store=store,
                    database="external")


def test_argo_cd_is_one_application_of_its_rendered_chart_and_credentials(synth, find, store, resources):
    objs = synth(lambda app: build_all(app, store, resources))
    app = find(objs, "Application", "test-argo-cd")["spec"]
    assert app["source"] == {"repoURL": AOA.repo_url, "targetRevision": AOA.revision,
                             "path": "dist/clusters/test/argo-cd", "directory": {"recurse": True}}
    assert "ServerSideApply=true" in app["syncPolicy"]["syncOptions"]


def test_notifications_are_typed_subscribed_per_environment_and_their_credentials_come_from_openbao(objects):
    import yaml as _yaml
    # what the chart rendered from our values: the notifications ConfigMap, the controller's Secret
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.name == "argocd-notifications-cm").data["data"]
    assert _yaml.safe_load(cm["service.slack.slack"]) == {"token": "$slack-token"}
    assert sorted(k for k in cm if k.startswith("trigger.")) == [
        "trigger.on-deployed", "trigger.on-health-degraded", "trigger.on-sync-failed", "trigger.on-sync-succeeded"]
    controller = next(o for o in objects if o.kind == "Deployment" and o.name == "argo-cd-argocd-notifications-controller")
    assert "--secret-name=argocd-notifications-secret" in controller.data["spec"]["template"]["spec"]["containers"][0][
        "args"]
    assert not [o for o in objects if o.kind == "Secret" and o.name == "argocd-notifications-secret"]
    deployed = _yaml.safe_load(cm["template.plate-deployed"])["message"]
    for part in ('plate.io/environment', 'plate.io/component', ".app.status.sync.revision", "GetCommitMetadata",
                 ".Tags"):
        assert part in deployed
    es = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "argocd-notifications-secret")
    assert es.data["spec"]["data"] == [{"secretKey": "slack-token",
                                        "remoteRef": {"key": "platform/argocd/slack", "property": "token"}}]
    # each environment's Applications notify its own channel; the platform's notify nobody
    for o in (o for o in objects if o.kind == "Application"):
        subscribed = {k: v for k, v in o.data["metadata"].get("annotations", {}).items()
                      if k.startswith("notifications.argoproj.io/")}
        if o.env == "production":
            assert subscribed["notifications.argoproj.io/subscribe.on-deployed.slack"] == "plate-prod-deploys", o.file
        elif o.env == "staging":
            assert set(subscribed.values()) == {"plate-stg-deploys"}, o.file
        else:
            assert subscribed == {}, o.file


def test_a_subscription_to_an_unknown_service_is_refused():
    from components.tools.argo_notifications import ArgoNotifications
    with pytest.raises(ValidationError, match="subscriptions.0.service: no service 'teams' \\(services: slack\\)"):
        ArgoNotifications.model_validate({
            "services": {"slack": {"type": "slack", "credentials_path": "platform/argocd/slack"}},
            "subscriptions": [{"environment": "staging", "service": "teams", "recipients": ["x"]}]})


def test_production_argo_cd_logs_in_through_the_platforms_dex_with_the_secret_from_openbao(objects):
    import yaml as _yaml
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.name == "argocd-cm").data["data"]
    assert cm["admin.enabled"] == "false"
    assert not [o for o in objects if o.kind == "Deployment" and o.name == "argo-cd-argocd-dex-server"]
    oidc = _yaml.safe_load(cm["oidc.config"])
    assert (oidc["issuer"], oidc["clientID"], oidc["clientSecret"]) == (
        "https://dex.cocdev.co.kr", "argocd", "$argocd-sso:clientSecret")
    # GitHub's teams come through Dex as <org>:<team> groups, mapped to Argo CD's roles
    rbac = next(o for o in objects if o.kind == "ConfigMap" and o.name == "argocd-rbac-cm").data["data"]
    assert "g, plate-platform:platform-admins, role:admin" in rbac["policy.csv"]
    sso = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "argocd-sso")
    assert sso.data["spec"]["target"]["template"]["metadata"]["labels"] == {"app.kubernetes.io/part-of": "argocd"}
    assert sso.data["spec"]["data"] == [{"secretKey": "clientSecret",
                                         "remoteRef": {"key": "platform/dex/clients/argocd", "property": "client-secret"}}]
