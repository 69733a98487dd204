"""The bottom of the construct library: the shapes and helpers every object is built with (names,
labels, metadata), importing nothing else of the library, so the modules above it (``core``,
``routing``, ``secrets``) import it and not one another."""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from components.k8s.api import ObjectMeta

Obj = dict[str, Any]  # a JSON object of free shape: chart values, a chart's rendered object
Json = Obj | list[Any] | str | int | float | bool | None  # any YAML or JSON value

PART_OF = "plate"
MANAGED_BY = "cdk8s"


def labels(name: str, role: str, version: str | None = None) -> dict[str, str]:
    """The recommended ``app.kubernetes.io/*`` labels, in a fixed order."""
    out = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": role,
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if version:
        out["app.kubernetes.io/version"] = version
    return out


def selector(name: str) -> dict[str, str]:
    """Selector labels: stable across releases, so never the version."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def metadata(name: str, namespace: str | None, lbls: dict[str, str],
             annotations: dict[str, str] | None = None) -> ObjectMeta:
    md: ObjectMeta = {"name": name}
    if namespace is not None:
        md["namespace"] = namespace
    md["labels"] = dict(lbls)
    if annotations:
        md["annotations"] = dict(annotations)
    return md


def content_hash(value: object) -> str:
    """A stable checksum of a JSON-able value (used to roll pods when their config changes)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings (scripts) as literal blocks, as a reviewer would write them."""


def _literal_str(_: yaml.SafeDumper, text: str) -> yaml.Node:
    return yaml.ScalarNode("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_LiteralDumper.add_representer(str, _literal_str)


def literal_yaml(data: object, width: int = 80) -> str:
    """``data`` as YAML in its own key order, multi-line strings (scripts, Job DSL) as literal blocks."""
    return yaml.dump(data, Dumper=_LiteralDumper, sort_keys=False, width=width)
