import pytest

import envs
from envs import ConfigError, deep_merge, locate


@pytest.mark.parametrize("name", envs.names())
def test_shipped_environments_validate(name):
    env = envs.load(name)
    assert env.name == name


def test_environments_declare_only_what_differs():
    # an overlay never repeats a value the base already has
    def repeats(base, overlay, path=""):
        for k, v in overlay.items():
            if isinstance(v, dict) and isinstance(base.get(k), dict):
                yield from repeats(base[k], v, f"{path}{k}.")
            elif k in base and base[k] == v:
                yield path + k
    for name, overlay in envs.OVERLAYS.items():
        assert not list(repeats(envs.BASE, overlay)), name


def test_namespaces_default_per_environment():
    assert envs.load("staging").namespace == "plate-stg"
    assert envs.load("production").namespace == "plate-prod"


def test_staging_may_use_the_staging_issuer_production_uses_prod():
    assert envs.load("staging").ingress.cluster_issuer == "letsencrypt-staging"
    assert envs.load("production").ingress.cluster_issuer == "letsencrypt-prod"


def test_deep_merge_replaces_lists_and_merges_dicts():
    assert deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}}) == {"a": {"b": 1, "c": [2]}}


def test_locate_maps_field_paths_to_components():
    assert locate(("apps", "cache", "storage_size")) == ("plate-cache", "storage_size")
    assert locate(("gitops", "destination", "server")) == ("app-of-apps", "gitops.destination.server")
    assert locate(("tier",)) == ("environment", "tier")


def test_unknown_environment_is_named():
    with pytest.raises(ConfigError, match="environment 'qa', component 'environment', field 'name': unknown environment"):
        envs.load("qa")


def test_production_accepts_a_digest_without_tag():
    data = envs.raw("production")
    data["apps"]["web"]["image"] = {**data["apps"]["web"]["image"], "tag": None, "digest": "sha256:" + "a" * 64}
    assert envs.validate("production", data).apps.web.image.ref.endswith("@sha256:" + "a" * 64)
