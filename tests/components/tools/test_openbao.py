import re

import pytest
from pydantic import ValidationError

from components.tools.openbao import HEALTH, OpenBao, OpenBaoProps


def props(image, resources, **over):
    return OpenBaoProps(image=image("openbao/openbao", "2.5.0"), resources=resources, storage_class="nfs-client",
                        data_size="10Gi", audit_size="5Gi", internal_issuer="platform-internal", **over)


def test_openbao_ha_raft_matches_golden(golden, find, image, resources):
    objs = golden("openbao", lambda app: OpenBao(app, props(image, resources, replicas=3)))
    sts = find(objs, "StatefulSet", "openbao")
    pod = sts["spec"]["template"]["spec"]
    config = find(objs, "ConfigMap", "openbao-config")["data"]["config.hcl"]
    assert sts["spec"]["replicas"] == 3
    assert 'storage "raft"' in config and config.count("retry_join {") == 3
    assert 'leader_api_addr = "https://openbao-2.openbao-internal:8200"' in config
    assert "tls_disable" not in config and 'tls_cert_file = "/openbao/tls/tls.crt"' in config
    assert 'audit "file" "file"' in config and "ui = true" in config
    assert 'seal "' not in config  # shamir: manual unseal, no stanza
    anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["topologyKey"] == "kubernetes.io/hostname"
    assert {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]} == {"data", "audit"}
    assert all(c["spec"]["storageClassName"] == "nfs-client" for c in sts["spec"]["volumeClaimTemplates"])
    container = pod["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"] == {"path": HEALTH, "port": "https", "scheme": "HTTPS"}
    assert "sealedcode=204" in container["livenessProbe"]["httpGet"]["path"]
    cert = find(objs, "Certificate", "openbao-tls")["spec"]
    assert cert["issuerRef"]["name"] == "platform-internal" and "*.openbao-internal" in cert["dnsNames"]
    assert find(objs, "Service", "openbao-internal")["spec"]["clusterIP"] == "None"
    assert find(objs, "Service", "openbao")["spec"]["selector"]["openbao-active"] == "true"
    assert find(objs, "PodDisruptionBudget", "openbao")["spec"]["maxUnavailable"] == 1
    assert not [o for o in objs.values() if o["kind"] in ("Ingress", "HTTPRoute")]  # internal: no route


def test_a_single_node_runs_raft_with_no_peers_to_spread_or_budget(synth, find, image, resources):
    objs = synth(lambda app: OpenBao(app, props(image, resources, replicas=1)))
    config = find(objs, "ConfigMap", "openbao-config")["data"]["config.hcl"]
    assert 'storage "raft"' in config and config.count("retry_join") == 1  # itself
    assert not [o for o in objs.values() if o["kind"] == "PodDisruptionBudget"]
    assert "affinity" not in find(objs, "StatefulSet", "openbao")["spec"]["template"]["spec"]


PLUGIN = {"image": "ghcr.io/openbao/openbao-plugin-kms-awskms", "version": "v0.1.0", "sha256sum": "ab" * 32}


def test_kms_seal_installs_its_plugin_and_may_reach_the_cloud(synth, find, image, resources):
    """OpenBao 2.7 has no built-in cloud seals: the KMS plugin is declared (image, version, sha256), downloaded
    into a writable directory at start, and the pod may leave the cluster on 443 (the KMS API, the registry)."""
    objs = synth(lambda app: OpenBao(app, props(image, resources, seal={
        "type": "awskms", "region": "eu-west-1", "kms_key_id": "alias/bao", "plugin": PLUGIN})))
    config = find(objs, "ConfigMap", "openbao-config")["data"]["config.hcl"]
    assert 'seal "awskms" {\n  kms_key_id = "alias/bao"\n  region = "eu-west-1"\n}' in config
    assert ('plugin "kms" "awskms" {\n  image = "ghcr.io/openbao/openbao-plugin-kms-awskms"\n'
            f'  version = "v0.1.0"\n  sha256sum = "{"ab" * 32}"\n}}') in config
    assert 'plugin_directory = "/openbao/plugins"' in config and "plugin_auto_download = true" in config
    pod = find(objs, "StatefulSet", "openbao")["spec"]["template"]["spec"]
    assert "/openbao/plugins" in [m["mountPath"] for m in pod["containers"][0]["volumeMounts"]]
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_shamir_seal_needs_no_plugin_and_no_internet(synth, find, image, resources):
    objs = synth(lambda app: OpenBao(app, props(image, resources)))
    config = find(objs, "ConfigMap", "openbao-config")["data"]["config.hcl"]
    assert "plugin" not in config and "seal" not in config.replace("unseal", "")


@pytest.mark.parametrize("over,message", [
    ({"replicas": 2}, "must suit raft: 1, 3 or 5 (got 2)"),
    ({"storage": "file"}, "OpenBao 2.7 removed the file storage backend: use raft"),
    ({"seal": {"type": "awskms", "region": "eu-west-1", "kms_key_id": "k"}}, "plugin\n  Field required"),
    ({"seal": {"type": "awskms", "region": "eu-west-1", "kms_key_id": "k", "plugin": {**PLUGIN, "sha256sum": "x"}}},
     "String should match pattern '^[0-9a-f]{64}$'"),
    ({"seal": {"type": "shamir", "x": "y"}}, "Extra inputs are not permitted"),
])
def test_props_reject_unsafe_settings(image, resources, over, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        props(image, resources, **over)
