"""Reading a render back: objects addressed by environment and component, and a YAML loader that
refuses duplicate keys (PyYAML silently keeps the last one)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class DuplicateKeyError(yaml.YAMLError):
    pass


class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader with the C parser (a render holds megabytes of CRDs). The ``=`` scalar (YAML
    1.1's "value" type, unquoted in some upstream CRDs' enums) is text, as it is to the API server."""


Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


class StrictLoader(Loader):
    """Loader that refuses duplicate mapping keys (PyYAML silently keeps the last)."""


def _mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKeyError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@dataclass(frozen=True)
class Rendered:
    env: str
    component: str
    file: str  # relative to the render root
    data: dict

    @property
    def kind(self) -> str:
        return self.data.get("kind", "")

    @property
    def name(self) -> str:
        return self.data.get("metadata", {}).get("name", "")

    @property
    def namespace(self) -> str | None:
        return self.data.get("metadata", {}).get("namespace")

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.env, self.component, self.kind, self.namespace or "", self.name)


# Where each workload kind keeps its pod template (a Pod is its own).
POD_TEMPLATES = {"Deployment": ("spec", "template"), "StatefulSet": ("spec", "template"),
                 "DaemonSet": ("spec", "template"), "ReplicaSet": ("spec", "template"), "Job": ("spec", "template"),
                 "CronJob": ("spec", "jobTemplate", "spec", "template")}


def pod_template(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template of a workload (the Pod itself for a Pod), or None."""
    if obj.get("kind") == "Pod":
        return obj
    path = POD_TEMPLATES.get(obj.get("kind", ""))
    if path is None:
        return None
    node: dict[str, Any] = obj
    for key in path:
        node = node.get(key) or {}
    return node or None
