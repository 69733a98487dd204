"""Dex's configuration as Dex loads it: the ``config.yaml`` its ExternalSecret makes (executed by Go's
template engine, tests/gotemplate.py), read back from dist/; its keys and types as Dex's config
structs declare them (cmd/dex/config.go, storage.Client, the connectors' configs); every static
client's redirect URIs served by a route of the render, and equal to what the client sends."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import yaml

from tests.gotemplate import execute

# Dex v2 (cmd/dex/config.go: Config; storage.Client): the keys it reads, with their types
TOP = {"issuer": str, "storage": dict, "web": dict, "telemetry": dict, "oauth2": dict, "expiry": dict,
       "logger": dict, "frontend": dict, "grpc": dict, "staticClients": list, "connectors": list,
       "enablePasswordDB": bool, "staticPasswords": list}
CLIENT = {"id": str, "idEnv": str, "secret": str, "secretEnv": str, "redirectURIs": list, "trustedPeers": list,
          "public": bool, "name": str, "logoURL": str}
CONNECTOR = {"type": str, "id": str, "name": str, "config": dict}
OAUTH2 = {"grantTypes": list, "responseTypes": list, "skipApprovalScreen": bool, "alwaysShowLoginScreen": bool,
          "passwordConnector": str}
EXPIRY = {"deviceRequests": str, "signingKeys": str, "idTokens": str, "authRequests": str, "refreshTokens": dict}


def _typed(where: str, data: dict, schema: dict) -> list[str]:
    out = [f"{where}.{k}: Dex has no such key" for k in data if k not in schema]
    out += [f"{where}.{k}: a {type(v).__name__}, Dex reads a {schema[k].__name__}" for k, v in data.items()
            if k in schema and not isinstance(v, schema[k])]
    return out


def routes_serving(objects) -> list[tuple[str, str]]:
    """(host, path prefix) of every HTTPRoute rule that reaches a backend."""
    out = []
    for route in (o for o in objects if o.kind == "HTTPRoute"):
        for rule in route.data["spec"]["rules"]:
            if rule.get("backendRefs"):
                for match in rule["matches"]:
                    out += [(h, match["path"]["value"]) for h in route.data["spec"]["hostnames"]]
    return out


def problems(config: dict, served: list[tuple[str, str]], gateway_callbacks: set[str]) -> list[str]:
    found = _typed("config", config, TOP)
    found += _typed("config.oauth2", config.get("oauth2", {}), OAUTH2)
    found += _typed("config.expiry", config.get("expiry", {}), EXPIRY)
    ids = [c["id"] for c in config["connectors"]]
    found += [f"connectors: the id {i!r} is given twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for i, connector in enumerate(config["connectors"]):
        found += _typed(f"connectors[{i}]", connector, CONNECTOR)
    client_ids = [c["id"] for c in config["staticClients"]]
    found += [f"staticClients: the id {i!r} is given twice" for i in sorted({i for i in client_ids
                                                                          if client_ids.count(i) > 1})]
    for client in config["staticClients"]:
        found += _typed(f"staticClients[{client['id']}]", client, CLIENT)
        if not client.get("secretEnv") and not client.get("public"):
            found.append(f"staticClients[{client['id']}]: neither a secretEnv nor public")
        for uri in client["redirectURIs"]:
            parts = urlsplit(uri)
            if parts.scheme != "https":
                found.append(f"staticClients[{client['id']}]: {uri} is not https")
            reached = any(parts.hostname == host and (parts.path + "/").startswith(prefix.rstrip("/") + "/")
                          for host, prefix in served)
            if not reached and uri not in gateway_callbacks:
                found.append(f"staticClients[{client['id']}]: no route serves the redirect URI {uri}")
    return found


@pytest.fixture(scope="module")
def dex_config(fresh_render) -> dict:
    external = yaml.safe_load((fresh_render / "clusters" / "shared" / "dex" / "ExternalSecret.dex-config.k8s.yaml")
                              .read_text())
    template = external["spec"]["target"]["template"]
    text = execute({"config.yaml": template["data"]["config.yaml"]}, {})["config.yaml"]
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def gateway_callbacks(objects) -> set[str]:
    """Callbacks Envoy Gateway answers itself (its OIDC filter), named by SecurityPolicies."""
    return {o.data["spec"]["oidc"]["redirectURL"] for o in objects
            if o.kind == "SecurityPolicy" and "oidc" in o.data["spec"]}


def test_dex_reads_every_key_and_every_redirect_uri_is_served(dex_config, objects, gateway_callbacks):
    assert len(dex_config["staticClients"]) >= 5 and dex_config["connectors"]
    assert problems(dex_config, routes_serving(objects), gateway_callbacks) == []


def test_each_client_sends_the_redirect_uri_dex_allows(dex_config, objects, gateway_callbacks):
    allowed = {c["id"]: set(c["redirectURIs"]) for c in dex_config["staticClients"]}
    # the gateway's OIDC filters
    for policy in (o for o in objects if o.kind == "SecurityPolicy" and "oidc" in o.data["spec"]):
        oidc = policy.data["spec"]["oidc"]
        assert oidc["redirectURL"] in allowed[oidc["clientID"]], policy.file
    # Headlamp's callback (its environment, from the ExternalSecret its pods load)
    headlamp = next(o for o in objects if o.kind == "ExternalSecret" and o.name == "headlamp-oidc")
    callback = headlamp.data["spec"]["target"]["template"]["data"]["OIDC_CALLBACK_URL"]
    assert callback in allowed["headlamp"]
    # Argo CD's: its url and /auth/callback
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.name == "argocd-cm")
    assert f"{cm.data['data']['url']}/auth/callback" in allowed["argocd"]


def test_a_redirect_uri_no_route_serves_and_an_unknown_key_are_caught(dex_config, objects, gateway_callbacks):
    broken = yaml.safe_load(yaml.safe_dump(dex_config))
    broken["staticClients"][0]["redirectURIs"] = ["https://nowhere.cocdev.co.kr/callback"]
    broken["staticClients"][1]["redirectURI"] = "https://typo.example"
    broken["connectors"].append(dict(broken["connectors"][0]))
    found = problems(broken, routes_serving(objects), gateway_callbacks)
    first, second = broken["staticClients"][0]["id"], broken["staticClients"][1]["id"]
    assert f"staticClients[{first}]: no route serves the redirect URI https://nowhere.cocdev.co.kr/callback" in found
    assert f"staticClients[{second}].redirectURI: Dex has no such key" in found
    assert f"connectors: the id {broken['connectors'][0]['id']!r} is given twice" in found


def test_headlamp_is_told_its_callback_url(objects, dex_config):
    """Headlamp reads its OIDC settings from flags; the callback URL must be one (its value from the
    environment its ExternalSecret provides), else it builds a callback Dex does not allow."""
    deploy = next(o for o in objects if o.kind == "Deployment" and o.name == "headlamp")
    [container] = deploy.data["spec"]["template"]["spec"]["containers"]
    assert "-oidc-callback-url=$(OIDC_CALLBACK_URL)" in container["args"]
    [source] = container["envFrom"]
    external = next(o for o in objects if o.kind == "ExternalSecret" and o.namespace == deploy.namespace
                    and o.data["spec"]["target"]["name"] == source["secretRef"]["name"])
    callback = external.data["spec"]["target"]["template"]["data"]["OIDC_CALLBACK_URL"]
    assert callback in next(c["redirectURIs"] for c in dex_config["staticClients"] if c["id"] == "headlamp")


# --- Argo CD's RBAC (argocd-rbac-cm), parsed as its casbin CSV -------------------------------------
BUILT_IN_ROLES = {"role:admin", "role:readonly"}
RESOURCES = {"applications", "applicationsets", "clusters", "projects", "repositories", "accounts", "certificates",
             "gpgkeys", "logs", "exec", "extensions"}
ACTIONS = {"get", "create", "update", "delete", "sync", "override", "action", "invoke", "*"}


def dex_groups(config: dict) -> set[str]:
    """The groups Dex's connectors can put in a token (GitHub: ``org:team``; others: declared names)."""
    out = set()
    for connector in config["connectors"]:
        for org in connector["config"].get("orgs", []):
            out |= {f"{org['name']}:{team}" for team in org.get("teams", [])}
        out |= set(connector["config"].get("groups", []))
    return out


def rbac_problems(data: dict[str, str], groups: set[str]) -> list[str]:
    import csv
    import io

    found, roles, bindings = [], set(BUILT_IN_ROLES), []
    for n, row in enumerate(csv.reader(io.StringIO(data.get("policy.csv", "")), skipinitialspace=True), 1):
        if not row or row[0].startswith("#"):
            continue
        if row[0] == "p":
            if len(row) != 6 or row[2].split("/")[0] not in RESOURCES or row[3] not in ACTIONS \
                    or row[5] not in ("allow", "deny"):
                found.append(f"policy.csv line {n}: not a policy Argo CD reads: {row}")
            roles.add(row[1])
        elif row[0] == "g":
            if len(row) != 3:
                found.append(f"policy.csv line {n}: a grouping has 3 fields: {row}")
                continue
            bindings.append((n, row[1], row[2]))
        else:
            found.append(f"policy.csv line {n}: unknown line type {row[0]!r}")
    for n, subject, role in bindings:
        if role not in roles:
            found.append(f"policy.csv line {n}: role {role!r} is not defined")
        if subject not in groups and not subject.startswith("role:"):
            found.append(f"policy.csv line {n}: no connector of Dex provides the group {subject!r}")
    if data.get("policy.default") and data["policy.default"] not in roles:
        found.append(f"policy.default: role {data['policy.default']!r} is not defined")
    if "groups" not in data.get("scopes", ""):
        found.append("scopes: the groups claim is not read")
    return found


@pytest.fixture(scope="module")
def rbac(objects) -> dict[str, str]:
    return next(o for o in objects if o.kind == "ConfigMap" and o.name == "argocd-rbac-cm").data["data"]


def test_argo_cd_rbac_binds_dex_groups_to_roles_that_exist(rbac, dex_config):
    assert rbac["policy.csv"].count("\ng, ") + rbac["policy.csv"].startswith("g, ") >= 2
    assert rbac_problems(rbac, dex_groups(dex_config)) == []


def test_an_undefined_role_and_an_unknown_group_are_caught(rbac, dex_config):
    broken = {**rbac, "policy.csv": rbac["policy.csv"] + "g, plate-platform:nobody, role:deployer\n"}
    found = rbac_problems(broken, dex_groups(dex_config))
    line = broken["policy.csv"].count("\n")
    assert found == [f"policy.csv line {line}: role 'role:deployer' is not defined",
                     f"policy.csv line {line}: no connector of Dex provides the group 'plate-platform:nobody'"]
