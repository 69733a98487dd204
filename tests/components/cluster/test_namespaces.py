import pytest

from components.cluster.namespaces import REASON_ANNOTATION, Namespaces, NamespaceSpec, NamespacesProps, derive
from components.core import ComponentInfo


def test_least_restrictive_level_wins_and_carries_its_reason():
    specs = derive([
        ComponentInfo("a", "tools", 0, "shared", pod_security="restricted"),
        ComponentInfo("b", "tools", 1, "shared", pod_security="baseline", pod_security_reason="mounts nfs"),
        ComponentInfo("c", "tools", 1, "quiet", pod_security=None),
    ])
    assert specs == (NamespaceSpec("quiet", "restricted"), NamespaceSpec("shared", "baseline", "b: mounts nfs"))


def test_namespaces_match_golden(golden, find):
    objs = golden("namespaces", lambda app: Namespaces(app, NamespacesProps(namespaces=(
        NamespaceSpec("plate-test", "restricted"), NamespaceSpec("metallb-system", "privileged", "metallb: ARP")))))
    md = find(objs, "Namespace", "metallb-system")["metadata"]
    assert md["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert md["annotations"] == {REASON_ANNOTATION: "metallb: ARP"}
    assert "annotations" not in find(objs, "Namespace", "plate-test")["metadata"]


def test_a_level_below_restricted_without_reason_is_refused():
    from cdk8s import App
    with pytest.raises(ValueError, match="level 'baseline' needs a reason"):
        Namespaces(App(), NamespacesProps(namespaces=(NamespaceSpec("x", "baseline"),)))
