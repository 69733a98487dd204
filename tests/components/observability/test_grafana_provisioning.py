"""Grafana's provisioning as Grafana loads it, read back from dist/: the files sit where Grafana looks
(/etc/grafana/provisioning/{datasources,dashboards}), the dashboard provider's path is mounted with the
dashboards, every panel's datasource uid is a provisioned one, and the datasource URL is a Service of
the render on a port it serves."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import yaml

DATASOURCE_KEYS = {"name", "uid", "type", "access", "url", "isDefault", "editable", "jsonData", "secureJsonData",
                   "orgId", "basicAuth", "basicAuthUser", "withCredentials", "version", "database", "user"}


def _uids(node):
    if isinstance(node, dict):
        ds = node.get("datasource")
        if isinstance(ds, dict) and "uid" in ds and not str(ds["uid"]).startswith("$"):
            yield ds["uid"]
        for value in node.values():
            yield from _uids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uids(value)


def problems(objects) -> list[str]:
    found = []
    cms = {o.name: o.data["data"] for o in objects if o.kind == "ConfigMap" and o.namespace == "monitoring"}
    deploy = next(o for o in objects if o.kind == "Deployment" and o.name == "grafana").data
    [container] = deploy["spec"]["template"]["spec"]["containers"]
    volumes = {v["name"]: v for v in deploy["spec"]["template"]["spec"]["volumes"]}
    files: dict[str, str] = {}  # path in the pod -> content
    for m in container["volumeMounts"]:
        cm = volumes[m["name"]].get("configMap", {}).get("name")
        if cm is None:
            continue
        if "subPath" in m:
            files[m["mountPath"]] = cms[cm][m["subPath"]]
        else:
            files.update({f"{m['mountPath']}/{k}": v for k, v in cms[cm].items()})
    datasources = [f for p, f in files.items() if p.startswith("/etc/grafana/provisioning/datasources/")]
    providers = [f for p, f in files.items() if p.startswith("/etc/grafana/provisioning/dashboards/")]
    if not datasources or not providers:
        return ["no provisioning where Grafana looks (/etc/grafana/provisioning)"]
    uids = set()
    services = {(o.name, o.namespace): o.data for o in objects if o.kind == "Service"}
    for text in datasources:
        doc = yaml.safe_load(text)
        if doc.get("apiVersion") != 1:
            found.append("datasources: apiVersion is not 1")
        for ds in doc["datasources"]:
            found += [f"datasource {ds.get('name')}: Grafana has no setting {k!r}" for k in ds if k not in DATASOURCE_KEYS]
            uids.add(ds["uid"])
            url = urlsplit(ds["url"])
            name, _, rest = (url.hostname or "").partition(".")
            svc = services.get((name, rest.split(".")[0]))
            if svc is None or url.port not in {p["port"] for p in svc["spec"]["ports"]}:
                found.append(f"datasource {ds['name']}: {ds['url']} is no Service port of the render")
    for text in providers:
        for provider in yaml.safe_load(text)["providers"]:
            folder = provider["options"]["path"].rstrip("/")
            dashboards = {p: f for p, f in files.items() if p.startswith(folder + "/")}
            if not dashboards:
                found.append(f"provider {provider['name']}: nothing mounted at {folder}")
            for path, text_ in dashboards.items():
                for uid in set(_uids(json.loads(text_))) - uids:
                    found.append(f"{path}: datasource uid {uid!r} is not provisioned")
    return found


def test_grafana_loads_its_provisioning(objects):
    assert problems(objects) == []


def test_a_dashboard_on_an_unknown_datasource_and_a_wrong_url_are_caught(objects):
    import copy
    changed = copy.deepcopy(objects)
    cm = next(o for o in changed if o.kind == "ConfigMap" and o.name == "grafana-dashboards")
    key = sorted(cm.data["data"])[0]
    cm.data["data"][key] = cm.data["data"][key].replace('"uid": "prometheus"', '"uid": "thanos"', 1)
    prov = next(o for o in changed if o.kind == "ConfigMap" and o.name == "grafana-provisioning")
    prov.data["data"]["datasources.yaml"] = prov.data["data"]["datasources.yaml"].replace(":9090", ":9091")
    found = problems(changed)
    assert any("datasource uid 'thanos' is not provisioned" in f for f in found), found
    assert any(f.endswith(":9091 is no Service port of the render") for f in found), found


@pytest.fixture(autouse=True)
def _uses_prometheus_uid(objects):
    cm = next(o for o in objects if o.kind == "ConfigMap" and o.name == "grafana-dashboards")
    assert any('"uid": "prometheus"' in v for v in cm.data["data"].values()), "the dashboards' uid changed: update the test"
