"""Every rendered object validates: built-ins strictly against Kubernetes 1.27 and the newest
bundled version, custom resources against their CRD in ../shared/crds."""
from __future__ import annotations

import pytest

import envs
from platectl import schemas
from tests.helpers import on_cluster

CLUSTERS = envs.cluster_names()


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_builtin_objects_validate_strictly(objects, platform, cluster):
    errors = [f"{o.file}: {e}" for o in objects if o in on_cluster(objects, platform, cluster) and not schemas.is_custom(o.data)
              for e in schemas.validate(o.data)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_custom_resources_validate_against_their_crds(objects, platform, crd_dir, cluster):
    custom = [o for o in on_cluster(objects, platform, cluster) if schemas.is_custom(o.data)]
    assert {o.kind for o in custom} >= {"Application", "AppProject", "ExternalSecret"}
    errors = [f"{o.file}: {e}" for o in custom for e in schemas.validate_custom(o.data, crd_dir)]
    assert not errors, "\n".join(errors)


def test_strict_crd_schema_rejects_unknown_fields(objects, crd_dir):
    app = next(o for o in objects if o.kind == "Application")
    broken = {**app.data, "spec": {**app.data["spec"], "sourse": {}}}
    assert any("'sourse' was unexpected" in e for e in schemas.validate_custom(broken, crd_dir))


def test_strict_builtin_schema_rejects_unknown_fields(objects):
    deploy = next(o for o in objects if o.kind == "Deployment")
    broken = {**deploy.data, "spec": {**deploy.data["spec"], "replica": 2}}
    assert schemas.validate(broken)
