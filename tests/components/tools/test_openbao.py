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


def test_standalone_file_storage_has_no_peers_or_budget(synth, find, image, resources):
    objs = synth(lambda app: OpenBao(app, props(image, resources, storage="file")))
    config = find(objs, "ConfigMap", "openbao-config")["data"]["config.hcl"]
    assert 'storage "file"' in config and "retry_join" not in config
    assert not [o for o in objs.values() if o["kind"] == "PodDisruptionBudget"]
    assert "affinity" not in find(objs, "StatefulSet", "openbao")["spec"]["template"]["spec"]


def test_kms_seal_stanza(synth, find, image, resources):
    objs = synth(lambda app: OpenBao(app, props(image, resources, seal={
        "type": "awskms", "region": "eu-west-1", "kms_key_id": "alias/bao"})))
    config = find(objs, "ConfigMap", "openbao-config")["data"]["config.hcl"]
    assert 'seal "awskms" {\n  kms_key_id = "alias/bao"\n  region = "eu-west-1"\n}' in config


@pytest.mark.parametrize("over,message", [
    ({"replicas": 2}, "must suit raft: 1, 3 or 5 (got 2)"),
    ({"storage": "file", "replicas": 3}, "file storage runs a single node (got 3 replicas); use raft"),
    ({"seal": {"type": "shamir", "x": "y"}}, "Extra inputs are not permitted"),
])
def test_props_reject_unsafe_settings(image, resources, over, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        props(image, resources, **over)
