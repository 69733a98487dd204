import re

import pytest
from pydantic import TypeAdapter, ValidationError

from components.observability.fluentd import Fluentd, FluentdProps, Output, config

OUTPUT = TypeAdapter(Output)


def props(store, image, resources, **output):
    return FluentdProps(image=image("fluent/fluentd-kubernetes-daemonset", "v1.18.0-debian-opensearch-amd64-1.0"),
                        resources=resources, secret_store=store, output=output)


def test_fluentd_matches_golden_with_least_privilege(golden, find, store, image, resources):
    objs = golden("fluentd", lambda app: Fluentd(app, props(
        store, image, resources, type="opensearch", host="logs.test.example", port=443, index_prefix="plate-test",
        credentials_path="plate/test/logging")))
    ds = find(objs, "DaemonSet", "fluentd")
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "runAsNonRoot": False, "capabilities": {"drop": ["ALL"]}, "runAsUser": 0}
    mounts = {m["mountPath"]: m.get("readOnly", False) for m in c["volumeMounts"]}
    assert mounts["/var/log"] is True and mounts["/fluentd/etc"] is True
    writable = sorted(path for path, ro in mounts.items() if not ro)
    assert writable == ["/tmp", "/var/lib/fluentd-plate"]
    assert pod["tolerations"] == [{"operator": "Exists"}]
    role = find(objs, "ClusterRole", "fluentd")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}]
    monitor = find(objs, "PodMonitor", "fluentd")["spec"]
    assert monitor["podMetricsEndpoints"][0]["port"] == "metrics"
    conf = find(objs, "ConfigMap", "fluentd-config")["data"]["fluent.conf"]
    for part in ("@type tail", "format cri", "format json", "@type kubernetes_metadata", "@type prometheus",
                 "@type opensearch", "logstash_prefix plate-test", "user \"#{ENV['OUTPUT_USERNAME']}\""):
        assert part in conf, part
    es = find(objs, "ExternalSecret", "fluentd-output")["spec"]["data"]
    assert [d["remoteRef"]["property"] for d in es] == ["username", "password"]


@pytest.mark.parametrize("output,expected", [
    ({"type": "loki", "url": "http://loki.test:3100", "tenant": "plate"}, ["@type loki", "url http://loki.test:3100",
                                                                           "tenant plate", "namespace $.kubernetes.namespace_name"]),
    ({"type": "forward", "host": "agg.test.example", "port": 24224, "shared_key_path": "plate/test/fwd"},
     ["@type forward", "transport tls", "shared_key \"#{ENV['OUTPUT_SHARED_KEY']}\"", "host agg.test.example"]),
    ({"type": "elasticsearch", "host": "es.test.example", "port": 9200, "index_prefix": "x", "tls": False,
      "credentials_path": "plate/test/es"},
     ["@type elasticsearch", "scheme http"]),
])
def test_each_output_type(output, expected):
    conf = config(OUTPUT.validate_python(output))
    for part in expected:
        assert part in conf, part
    assert len(re.findall(r"<match ", conf)) == 1


@pytest.mark.parametrize("output,message", [
    ({"type": "loki"}, "loki.url\n  Field required"),
    ({"type": "opensearch", "host": "h.test.example", "port": 443, "credentials_path": "a/b"},
     "opensearch.index_prefix\n  Field required"),
    ({"type": "forward", "host": "h.test.example", "port": 24224}, "forward.shared_key_path\n  Field required"),
    ({"type": "forward", "host": "h.test.example", "credentials_path": "a/b", "shared_key_path": "a/c"},
     "forward.credentials_path\n  Extra inputs are not permitted"),
    ({"type": "splunk", "url": "x"}, "does not match any of the expected tags: 'elasticsearch', 'opensearch', 'loki', "
                                     "'forward'"),
])
def test_bad_output_settings_are_clear_errors(output, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        OUTPUT.validate_python(output)
