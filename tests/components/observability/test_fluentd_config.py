"""Fluentd's configuration as Fluentd reads it (its config format: ``<directive arg>`` blocks, one
``name value`` parameter per line, ``#{...}`` embedded Ruby in double-quoted values), read back from
dist/: every block closed, every source, filter and match with a ``@type`` the image ships, the
environment variables its embedded Ruby reads set on the container, the files it names on the pod's
volumes, and its metrics port the one the PodMonitor scrapes."""
from __future__ import annotations

import re

import pytest
import yaml

# what fluent/fluentd-kubernetes-daemonset images carry (their Gemfiles), the output plugin per image
COMMON = {"tail", "prometheus", "prometheus_output_monitor", "kubernetes_metadata", "parser", "multi_format", "json",
          "regexp", "none", "file", "memory", "record_transformer", "grep", "cri", "systemd", "stdout", "null"}
OUTPUTS = {"opensearch": {"opensearch"}, "elasticsearch8": {"elasticsearch"}, "forward": {"forward"}}
OPEN = re.compile(r"^<(?P<name>[a-z_]+)(?:\s+(?P<arg>[^>]*))?>$")
CLOSE = re.compile(r"^</(?P<name>[a-z_]+)>$")


def parse(text: str) -> list[dict]:
    """Directives as nested dicts: {"name", "arg", "params", "children"}; ValueError on a syntax error."""
    root: dict = {"name": "root", "arg": "", "params": {}, "children": []}
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if m := OPEN.match(line):
            node = {"name": m["name"], "arg": (m["arg"] or "").strip(), "params": {}, "children": [], "line": number}
            stack[-1]["children"].append(node)
            stack.append(node)
        elif m := CLOSE.match(line):
            if len(stack) == 1 or stack[-1]["name"] != m["name"]:
                raise ValueError(f"line {number}: </{m['name']}> closes <{stack[-1]['name']}>")
            stack.pop()
        elif line.startswith("<"):
            raise ValueError(f"line {number}: not a directive: {line}")
        else:
            name, _, value = line.partition(" ")
            stack[-1]["params"][name] = value.strip()
    if len(stack) > 1:
        raise ValueError(f"<{stack[-1]['name']}> (line {stack[-1]['line']}) is never closed")
    return root["children"]


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def problems(text: str, daemonset: dict, monitor: dict, output: str) -> list[str]:
    try:
        directives = parse(text)
    except ValueError as exc:
        return [f"does not parse: {exc}"]
    found = []
    plugins = COMMON | OUTPUTS[output]
    [container] = daemonset["spec"]["template"]["spec"]["containers"]
    env = {e["name"] for e in container.get("env", [])}
    mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
    for node in _walk(directives):
        where = f"<{node['name']}{' ' + node['arg'] if node['arg'] else ''}> (line {node['line']})"
        if node["name"] in ("source", "filter", "match", "parse", "buffer") and "@type" not in node["params"]:
            found.append(f"{where}: no @type")
        kind = node["params"].get("@type")
        if kind and kind not in plugins:
            found.append(f"{where}: the image has no plugin {kind!r}")
        if node["name"] == "pattern" and node["params"].get("format") not in plugins:
            found.append(f"{where}: the image has no parser {node['params'].get('format')!r}")
        for value in node["params"].values():
            for variable in re.findall(r"ENV\['([A-Z0-9_]+)'\]", value):
                if variable not in env:
                    found.append(f"{where}: reads ${variable}, which the container does not set")
        for key in ("path", "pos_file"):
            value = node["params"].get(key)
            if key == "path" and node["name"] not in ("source", "buffer"):
                continue
            if value and not any(value.strip('"').startswith(m.rstrip("/") + "/") for m in mounts):
                found.append(f"{where}: {key} {value} is on no volume of the pod")
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    scraped = {ports.get(e["port"]) for e in monitor["spec"]["podMetricsEndpoints"]}
    served = {int(n["params"]["port"]) for n in _walk(directives) if n["params"].get("@type") == "prometheus"}
    if served != scraped:
        found.append(f"metrics served on {sorted(served)}, scraped on {sorted(p for p in scraped if p)}")
    return found


@pytest.fixture(scope="module")
def fluentd(objects, platform):
    config = next(o for o in objects if o.kind == "ConfigMap" and o.name == "fluentd-config").data["data"]["fluent.conf"]
    daemonset = next(o for o in objects if o.kind == "DaemonSet" and o.name == "fluentd").data
    monitor = next(o for o in objects if o.kind == "PodMonitor" and o.name == "fluentd").data
    tag = daemonset["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]
    output = next(o for o in OUTPUTS if f"-{o}-" in tag)
    return config, daemonset, monitor, output


def test_fluentd_reads_its_configuration(fluentd):
    config, daemonset, monitor, output = fluentd
    assert len([n for n in parse(config) if n["name"] in ("source", "filter", "match")]) >= 5
    assert problems(config, daemonset, monitor, output) == []


def test_a_broken_configuration_is_caught(fluentd):
    config, daemonset, monitor, output = fluentd
    assert problems(config.replace("</parse>\n</source>", "</source>", 1), daemonset, monitor, output)[0].startswith(
        "does not parse: line ")
    found = problems(config.replace("@type kubernetes_metadata", "@type k8s_metadata")
                     .replace("OUTPUT_PASSWORD", "OUTPUT_PASSWD").replace("port 24231", "port 24232"),
                     daemonset, monitor, output)
    assert any("the image has no plugin 'k8s_metadata'" in f for f in found), found
    assert any("reads $OUTPUT_PASSWD, which the container does not set" in f for f in found), found
    assert "metrics served on [24232], scraped on [24231]" in found
    other = yaml.safe_load(yaml.safe_dump(daemonset))
    other["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        m for m in other["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
        if m["mountPath"] != "/var/lib/fluentd-plate"]
    assert any("is on no volume of the pod" in f for f in problems(config, other, monitor, output))
