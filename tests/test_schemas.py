"""Every rendered object validates: built-ins strictly at the Kubernetes version its cluster declares,
custom resources against the CRDs the render installs (``../shared/crds`` for kinds no vendored
chart installs yet)."""
from __future__ import annotations

import pytest

import envs
from platectl import checks, schemas
from tests.helpers import on_cluster

CLUSTERS = envs.cluster_names()


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_builtin_objects_validate_strictly_at_the_declared_version(objects, platform, cluster):
    builtin = [o for o in on_cluster(objects, platform, cluster) if not schemas.is_custom(o.data)]
    assert {o.kind for o in builtin} >= {"Deployment", "CustomResourceDefinition", "Service"}
    errors = [f"{f.file}: {f.message}" for f in checks.check_schemas(builtin)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_custom_resources_validate_against_the_crds_the_render_installs(objects, platform, cluster):
    objs = on_cluster(objects, platform, cluster)
    custom = [o for o in objs if schemas.is_custom(o.data)]
    assert {o.kind for o in custom} >= {"Application", "AppProject", "ExternalSecret", "Prometheus", "Certificate"}
    crds = [o for o in objs if o.kind == "CustomResourceDefinition"]
    errors = [f"{f.file}: {f.message}" for f in checks.check_schemas([*custom, *crds]) if not f.file.count("/crds/")]
    assert not errors, "\n".join(errors)


def test_crds_newer_than_the_declared_version_are_refused(objects):
    """cert-manager v1.21's CRDs use selectableFields (Kubernetes 1.31 and later): a cluster declared at
    1.29 could not take them, and the check says so."""
    crds = [o for o in objects if o.kind == "CustomResourceDefinition" and o.name.endswith(".cert-manager.io")]
    assert crds
    messages = [f.message for f in checks.check_schemas(crds, ("1.29.0",))]
    assert any("'selectableFields' was unexpected" in m for m in messages), messages
    assert not checks.check_schemas(crds, ("1.33.0",))


def test_strict_crd_schema_rejects_unknown_fields(objects, crd_dir):
    app = next(o for o in objects if o.kind == "Application")
    broken = {**app.data, "spec": {**app.data["spec"], "sourse": {}}}
    assert any("'sourse' was unexpected" in e for e in schemas.validate_custom(broken, crd_dir))


def test_strict_builtin_schema_rejects_unknown_fields(objects):
    deploy = next(o for o in objects if o.kind == "Deployment")
    broken = {**deploy.data, "spec": {**deploy.data["spec"], "replica": 2}}
    assert schemas.validate(broken)
