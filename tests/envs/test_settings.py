"""One settings schema per component: the model is assembled from what components declare."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

from pydantic import BaseModel

import components
import envs
from envs.model import Cluster, ClusterGitOps, EnvGitOps, Environment, EnvSecrets, Route, ToolHosts
from platectl import render
from tests.helpers import load_objects

# Settings that belong to the platform, not to one component (declared in envs/).
PLATFORM_FIELDS = {("Secrets", "path_prefix"), ("Secrets", "refresh_interval"), ("WebService", "kind"),
                   ("ApiService", "kind"), ("LlmService", "kind"), ("WorkerService", "kind"), ("CacheService", "kind"),
                   *((k, "uses") for k in ("WebService", "ApiService", "LlmService", "WorkerService"))}


# The model's own sections: which cluster, which hosts and routes, where Argo CD pulls from.
OWN = {ClusterGitOps, ToolHosts, Route, EnvSecrets, EnvGitOps}


def _declared_by(cls: type[BaseModel], field: str) -> type:
    return next(k for k in cls.__mro__ if field in k.__dict__.get("__annotations__", {}))


def _sections(model: type[BaseModel]):
    for name, field in model.model_fields.items():
        args = getattr(field.annotation, "__args__", None) or (field.annotation,)
        for cls in args:
            inner = getattr(cls, "__args__", None)
            for c in (inner or (cls,)):
                for member in getattr(c, "__args__", (c,)):
                    if isinstance(member, type) and issubclass(member, BaseModel) and member not in OWN:
                        yield name, member


def test_every_setting_of_a_section_is_declared_by_a_component():
    seen = set()
    for model in (Cluster, Environment):
        for section, cls in _sections(model):
            for field in cls.model_fields:
                owner = _declared_by(cls, field)
                seen.add(cls.__name__)
                assert owner.__module__.startswith("components.") or (cls.__name__, field) in PLATFORM_FIELDS, (
                    f"{model.__name__}.{section}.{field} is declared in {owner.__module__}.{owner.__name__}, "
                    "not by a component")
    assert {"CertManager", "MetalLB", "Secrets", "OpenBaoSettings", "FluentdSettings", "WebService",
            "CacheService"} <= seen


def test_every_components_props_extend_its_settings():
    classes = []
    for info in pkgutil.walk_packages(components.__path__, "components."):
        module = importlib.import_module(info.name)
        classes += [c for _, c in inspect.getmembers(module, inspect.isclass)
                    if c.__module__ == module.__name__ and issubclass(c, BaseModel)]
    settings = [c for c in classes if c.__name__.endswith("Settings")]
    props = [c for c in classes if c.__name__.endswith("Props")]
    assert len(settings) >= 18
    for cls in settings:
        assert [p for p in props if issubclass(p, cls)], (
            f"{cls.__module__}.{cls.__name__}: no props extend it (a mirrored class would drift)")


def test_every_log_output_the_model_accepts_renders(tmp_path, monkeypatch):
    """The forward output once passed validation and then crashed the render (two schemas for one thing)."""
    shared = envs.CLUSTERS["shared"]
    monkeypatch.setitem(envs.CLUSTERS, "shared", {**shared, "logging": {"output": {
        "type": "forward", "host": "logs.cocdev.co.kr", "shared_key_path": "platform/fluentd"}}})
    render.synth(tmp_path / "dist", warn=lambda _: None)
    es = next(o for o in load_objects(tmp_path / "dist") if o.kind == "ExternalSecret" and o.name == "fluentd-output")
    assert es.data["spec"]["data"] == [{"secretKey": "OUTPUT_SHARED_KEY",
                                        "remoteRef": {"key": "platform/fluentd", "property": "shared-key"}}]
