"""Every person logs in as themselves: Grafana and Jenkins through Dex with their own OpenID Connect
clients, their roles from Dex's groups, read back from dist/ and checked by the rules of the program
that reads them (Grafana's role mapping is JMESPath: evaluated with jmespath, the reference
implementation of the language Grafana's go-jmespath implements; Jenkins' realm and matrix as the
oic-auth and matrix-auth plugins' JCasC reads them)."""
from __future__ import annotations

import jmespath
import pytest
import yaml

from tests.components.tools.test_dex_config import dex_groups


def _env(deploy) -> dict[str, dict]:
    [container] = deploy.data["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


@pytest.fixture(scope="module")
def grafana(objects):
    return next(o for o in objects if o.kind == "Deployment" and o.name == "grafana")


@pytest.fixture(scope="module")
def dex(fresh_render):
    from tests.gotemplate import execute
    external = yaml.safe_load((fresh_render / "clusters" / "shared" / "dex" / "ExternalSecret.dex-config.k8s.yaml")
                              .read_text())
    text = external["spec"]["target"]["template"]["data"]["config.yaml"]
    return yaml.safe_load(execute({"c": text}, {})["c"])


def _client(dex, client_id: str) -> dict:
    return next(c for c in dex["staticClients"] if c["id"] == client_id)


@pytest.mark.parametrize("groups, role", [
    (["plate-platform:platform-admins"], "Admin"),
    (["plate-platform:plate-developers"], "Viewer"),
    (["plate-platform:plate-developers", "plate-platform:platform-admins"], "Admin"),
    (["someone-else:team"], None),  # strict: refused
    ([], None),
])
def test_grafana_maps_dex_groups_to_roles(grafana, groups, role):
    env = _env(grafana)
    assert env["GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_STRICT"]["value"] == "true"
    found = jmespath.search(env["GF_AUTH_GENERIC_OAUTH_ROLE_ATTRIBUTE_PATH"]["value"], {"groups": groups})
    # Grafana takes the result as a role only when it is a non-empty string; none, with strict, refuses
    assert (found if isinstance(found, str) and found else None) == role


def test_grafana_logs_in_through_its_dex_client(grafana, dex, objects):
    env = _env(grafana)
    assert env["GF_AUTH_GENERIC_OAUTH_ENABLED"]["value"] == "true"
    assert env["GF_AUTH_OAUTH_AUTO_LOGIN"]["value"] == "true"  # no password form in daily use
    client = _client(dex, env["GF_AUTH_GENERIC_OAUTH_CLIENT_ID"]["value"])
    assert f"{env['GF_SERVER_ROOT_URL']['value']}/login/generic_oauth" in client["redirectURIs"]
    for key, path in (("AUTH_URL", "/auth"), ("TOKEN_URL", "/token"), ("API_URL", "/userinfo")):
        assert env[f"GF_AUTH_GENERIC_OAUTH_{key}"]["value"] == dex["issuer"] + path
    assert "groups" in env["GF_AUTH_GENERIC_OAUTH_SCOPES"]["value"].split()
    # the client secret: the same OpenBao entry Dex reads for this client
    ref = env["GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
    writer = next(o for o in objects if o.kind == "ExternalSecret" and o.namespace == grafana.namespace
                  and o.data["spec"]["target"]["name"] == ref["name"])
    [item] = [d for d in writer.data["spec"]["data"] if d["secretKey"] == ref["key"]]
    dex_secret = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "dex-config")
    [source] = [d for d in dex_secret.data["spec"]["data"] if d["secretKey"] == client["secretEnv"]]
    assert item["remoteRef"] == source["remoteRef"]


@pytest.fixture(scope="module")
def jcasc(objects) -> dict:
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.name == "jenkins-jenkins-jcasc-config")
    return yaml.safe_load(cm.data["data"]["jcasc-default-config.yaml"])


CORE_PERMISSIONS = {"Overall/Administer", "Overall/Read", "Job/Read", "Job/Build", "Job/Cancel", "Job/Workspace",
                    "Job/Configure", "Job/Create", "Job/Delete", "View/Read", "Run/Delete", "Run/Update"}


def test_jenkins_logs_in_through_its_dex_client(jcasc, dex, objects):
    realm = jcasc["jenkins"]["securityRealm"]["oic"]
    client = _client(dex, realm["clientId"])
    url = jcasc["unclassified"]["location"]["url"].rstrip("/")
    assert f"{url}/securityRealm/finishLogin" in client["redirectURIs"]
    assert realm["serverConfiguration"]["wellKnown"]["wellKnownOpenIDConfigurationUrl"] == \
        f"{dex['issuer']}/.well-known/openid-configuration"
    assert realm["groupsFieldName"] == "groups" and "groups" in \
        realm["serverConfiguration"]["wellKnown"]["scopesOverride"].split()
    assert "pkce" in realm["properties"]
    # ${jenkins-oidc-client-secret}: a file the controller mounts from the Secret our ExternalSecret writes
    variable = realm["clientSecret"].removeprefix("${").removesuffix("}")
    controller = next(o for o in objects if o.kind == "StatefulSet" and o.name == "jenkins")
    mounted = {item["path"]: (source["secret"]["name"], item["key"])
               for v in controller.data["spec"]["template"]["spec"]["volumes"] if "projected" in v
               for source in v["projected"]["sources"] if "secret" in source
               for item in source["secret"].get("items", [])}
    secret, key = mounted[variable]
    writer = next(o for o in objects if o.kind == "ExternalSecret" and o.namespace == "jenkins"
                  and o.data["spec"]["target"]["name"] == secret)
    [item] = [d for d in writer.data["spec"]["data"] if d["secretKey"] == key]
    dex_secret = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "dex-config")
    [source] = [d for d in dex_secret.data["spec"]["data"] if d["secretKey"] == client["secretEnv"]]
    assert item["remoteRef"] == source["remoteRef"]
    # the plugins that read this are installed, pinned
    plugins = next(o for o in objects if o.kind == "ConfigMap" and o.name == "jenkins").data["data"]["plugins.txt"]
    assert {line.split(":")[0] for line in plugins.split()} >= {"oic-auth", "matrix-auth", "configuration-as-code"}


def test_jenkins_authorizes_dex_groups_only(jcasc, dex):
    entries = jcasc["jenkins"]["authorizationStrategy"]["globalMatrix"]["entries"]
    groups = {e["group"]["name"]: set(e["group"]["permissions"]) for e in entries}
    assert not [e for e in entries if "user" in e or "everyone" in e or "authenticated" in str(e)]
    escape = jcasc["jenkins"]["securityRealm"]["oic"]["properties"][1]["escapeHatch"]["group"]
    assert set(groups) - {escape} <= dex_groups(dex), "a group no connector of Dex provides"
    assert groups["plate-platform:platform-admins"] == {"Overall/Administer"} == groups[escape]
    assert "Overall/Administer" not in groups["plate-platform:plate-developers"]
    assert all(p <= CORE_PERMISSIONS for p in groups.values())
