"""OpenBao's configuration and policies as OpenBao reads them: HCL (version 1, the dialect of
hashicorp/hcl that OpenBao's config and policy loaders use) parsed by pyhcl, a port of that parser,
from the render in dist/; then the keys OpenBao's server configuration knows, the files it names
mounted in its pods, its raft peers the StatefulSet's own pods, and every policy's capabilities ones
OpenBao grants."""
from __future__ import annotations

import hcl
import pytest
import yaml

# command/server/config.go and the listener/storage/audit stanzas OpenBao reads (2.x)
TOP = {"ui", "disable_mlock", "cluster_name", "listener", "storage", "ha_storage", "service_registration", "audit",
       "telemetry", "api_addr", "cluster_addr", "seal", "plugin_directory", "log_level", "log_format",
       "default_lease_ttl", "max_lease_ttl", "disable_cache", "pid_file", "raw_storage_endpoint",
       "introspection_endpoint", "disable_clustering", "enable_response_header_hostname", "unsafe_allow_api_audit_creation"}
LISTENER_TCP = {"address", "cluster_address", "tls_cert_file", "tls_key_file", "tls_client_ca_file", "tls_disable",
                "tls_min_version", "tls_max_version", "tls_cipher_suites", "tls_require_and_verify_client_cert",
                "telemetry", "proxy_protocol_behavior", "x_forwarded_for_authorized_addrs", "max_request_size",
                "max_request_duration", "http_read_timeout", "http_write_timeout", "http_idle_timeout"}
RAFT = {"path", "node_id", "retry_join", "performance_multiplier", "trailing_logs", "snapshot_threshold",
        "max_entry_size", "autopilot_reconcile_interval"}
RETRY_JOIN = {"leader_api_addr", "leader_ca_cert_file", "leader_client_cert_file", "leader_client_key_file",
              "leader_tls_servername", "auto_join", "auto_join_scheme", "auto_join_port"}
CAPABILITIES = {"create", "read", "update", "patch", "delete", "list", "sudo", "deny", "scan"}


def problems(text: str, statefulset: dict | None = None) -> list[str]:
    try:
        config = hcl.loads(text)
    except Exception as exc:  # noqa: BLE001 - pyhcl raises ValueError and ply's errors
        return [f"does not parse: {exc}"]
    found = [f"{k}: OpenBao has no such setting" for k in config if k not in TOP]
    for kind, listener in config.get("listener", {}).items():
        if kind != "tcp":
            found.append(f"listener {kind}: not a listener OpenBao has")
            continue
        found += [f"listener tcp.{k}: no such setting" for k in listener if k not in LISTENER_TCP]
    raft = config.get("storage", {}).get("raft")
    if raft is None:
        found.append("storage: not raft")
        return found
    found += [f"storage raft.{k}: no such setting" for k in raft if k not in RAFT]
    joins = raft.get("retry_join", [])
    joins = joins if isinstance(joins, list) else [joins]
    for join in joins:
        found += [f"storage raft.retry_join.{k}: no such setting" for k in join if k not in RETRY_JOIN]
    if statefulset is not None:
        spec = statefulset["spec"]
        name, service = statefulset["metadata"]["name"], spec["serviceName"]
        peers = {j["leader_api_addr"] for j in joins}
        want = {f"https://{name}-{i}.{service}:8200" for i in range(spec["replicas"])}
        if peers != want:
            found.append(f"storage raft.retry_join: peers {sorted(peers)}, the StatefulSet's pods are {sorted(want)}")
        [container] = spec["template"]["spec"]["containers"]
        mounts = [m["mountPath"] for m in container["volumeMounts"]]
        files = [raft["path"], *(config["listener"]["tcp"].get(k) for k in ("tls_cert_file", "tls_key_file")),
                 *(j.get("leader_ca_cert_file") for j in joins)]
        for audit in config.get("audit", {}).values():
            for device in audit.values():
                files.append(device.get("options", {}).get("file_path"))
        for path in filter(None, files):
            if not any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts):
                found.append(f"{path}: on no volume of the pod (mounted: {', '.join(mounts)})")
    return found


def policy_problems(name: str, text: str) -> list[str]:
    try:
        policy = hcl.loads(text)
    except Exception as exc:  # noqa: BLE001
        return [f"{name}: does not parse: {exc}"]
    found = [f"{name}: {k}: a policy has only path blocks" for k in policy if k != "path"]
    for path, rule in policy.get("path", {}).items():
        caps = set(rule.get("capabilities", []))
        if not caps:
            found.append(f"{name}: path {path}: no capabilities")
        found += [f"{name}: path {path}: no capability {c!r}" for c in sorted(caps - CAPABILITIES)]
    return found


@pytest.fixture(scope="module")
def openbao(objects):
    config = next(o for o in objects if o.kind == "ConfigMap" and o.name == "openbao-config")
    statefulset = next(o for o in objects if o.kind == "StatefulSet" and o.name == "openbao")
    return config.data["data"]["config.hcl"], statefulset.data


def test_openbao_reads_its_configuration(openbao):
    text, statefulset = openbao
    assert problems(text, statefulset) == []


def test_every_policy_parses_with_capabilities_openbao_grants(objects):
    policies = next(o for o in objects if o.kind == "ConfigMap" and o.name == "openbao-policies").data["data"]
    files = {k: v for k, v in policies.items() if k.endswith(".hcl")}
    assert len(files) >= 5
    assert [p for name, text in files.items() for p in policy_problems(name, text)] == []


def test_a_broken_configuration_and_a_wrong_policy_are_caught(openbao):
    text, statefulset = openbao
    assert problems(text.replace("storage \"raft\" {", "storage \"raft\" {{"), statefulset)[0].startswith(
        "does not parse: ")
    assert problems(text.replace("tls_min_version", "tls_minimum_version"), statefulset) == [
        "listener tcp.tls_minimum_version: no such setting"]
    three = yaml.safe_load(yaml.safe_dump(statefulset))
    three["spec"]["replicas"] = 5
    assert problems(text, three)[0].startswith("storage raft.retry_join: peers ")
    assert policy_problems("x.hcl", 'path "kv/data/x" {\n  capabilities = ["read", "write"]\n}\n') == [
        "x.hcl: path kv/data/x: no capability 'write'"]
