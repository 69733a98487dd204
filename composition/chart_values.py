"""Check the values we give an upstream chart against that chart: every key path must be in its
``values.yaml`` (subcharts merged under their name or alias) or read by its templates
(``.Values.a.b``); below a map the chart leaves empty (``{}``) or unset, anything goes (free-form).
A misspelt key (``replicaCont``) is an error naming the key path."""
from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components.core import Json
from output.cache import ROOT as CACHE_ROOT
from output.cache import store as cache_store

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REF = re.compile(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
_INDEX = re.compile(r"index\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s+\"([^\"]+)\"")


@dataclass(frozen=True)
class ChartSchema:
    defaults: dict[str, Any]  # values.yaml, subcharts' under their name
    read: frozenset[str]  # dotted paths the templates read


def _merge_into(target: dict[str, Any], prefix: tuple[str, ...], values: dict[str, Any]) -> None:
    node = target
    for key in prefix:
        child: Json = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    for key, value in values.items():
        theirs: Json = value
        if isinstance(theirs, dict) and isinstance(node.get(key), dict):
            _merge_into(node, (key,), theirs)
        elif key not in node:
            node[key] = value


def _file(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(member)
    assert handle is not None, member.name  # a regular file
    return handle.read()


def _read_chart(tar: tarfile.TarFile, defaults: dict[str, Any], read: set[str], prefix: tuple[str, ...]) -> None:
    members = [m for m in tar.getmembers() if m.isfile()]
    if not members:
        return
    root = members[0].name.split("/")[0]
    aliases: dict[str, str] = {}
    chart_yaml = next((m for m in members if m.name == f"{root}/Chart.yaml"), None)
    if chart_yaml:
        meta: dict[str, Any] = yaml.load(_file(tar, chart_yaml), Loader=_LOADER) or {}
        dependencies: list[dict[str, str]] = meta.get("dependencies") or []
        aliases = {d["name"]: d.get("alias") or d["name"] for d in dependencies}
    for m in members:
        parts = m.name.split("/")[1:]
        if parts == ["values.yaml"]:
            values: dict[str, Any] = yaml.load(_file(tar, m), Loader=_LOADER) or {}
            _merge_into(defaults, prefix, values)
        elif parts[:1] == ["templates"]:
            text = _file(tar, m).decode("utf-8", "replace")
            read.update(".".join((*prefix, *p.strip(".").split("."))) for p in _REF.findall(text))
            for base, key in _INDEX.findall(text):
                read.add(".".join((*prefix, *[x for x in base.strip(".").split(".") if x], key)))
        elif parts[:1] == ["charts"] and len(parts) >= 3 and parts[2] == "values.yaml":
            sub = parts[1]
            values = yaml.load(_file(tar, m), Loader=_LOADER) or {}
            _merge_into(defaults, (*prefix, aliases.get(sub, sub)), values)
        elif parts[:1] == ["charts"] and len(parts) >= 3 and parts[2] == "templates":
            sub = aliases.get(parts[1], parts[1])
            text = _file(tar, m).decode("utf-8", "replace")
            read.update(".".join((*prefix, sub, *p.strip(".").split("."))) for p in _REF.findall(text))
        elif parts[:1] == ["charts"] and len(parts) == 2 and parts[1].endswith(".tgz"):
            name = re.sub(r"-v?[0-9][^/]*\.tgz$", "", parts[1])
            with tarfile.open(fileobj=io.BytesIO(_file(tar, m))) as nested:
                _read_chart(nested, defaults, read, (*prefix, aliases.get(name, name)))


CACHE = CACHE_ROOT / "chart-values"


def _shape(node: Json) -> Json:
    """The key structure of values: maps stay maps (keys as text), every other value becomes 0."""
    return {str(k): _shape(v) for k, v in node.items()} if isinstance(node, dict) else 0


@cache
def schema(archive: Path) -> ChartSchema:
    """What the chart declares and reads; cached on disk by the archive's sha256 (parsing the archives
    costs more than the rest of a warm render's checks)."""
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    cached = CACHE / f"{digest}.json"
    if cached.is_file():
        doc = json.loads(cached.read_text())
        return ChartSchema(doc["defaults"], frozenset(doc["read"]))
    defaults: dict[str, Any] = {}
    read: set[str] = set()
    with tarfile.open(archive) as tar:
        _read_chart(tar, defaults, read, ())
    result = ChartSchema({k: _shape(v) for k, v in defaults.items()}, frozenset(read))
    cache_store(cached, {"defaults": result.defaults, "read": sorted(result.read)})
    return result


def unknown_keys(archive: Path, values: dict[str, Any], free_form: tuple[str, ...] = ()) -> list[str]:
    """Key paths of ``values`` that the chart neither declares nor reads. Below a ``free_form`` path
    (a map of the chart's whose keys are data: ConfigMap entries, annotations, a securityContext)
    anything goes."""
    s = schema(archive)
    out: list[str] = []

    def walk(ours: dict[str, Any], theirs: Json, path: tuple[str, ...]) -> None:
        for key, value in ours.items():
            here = (*path, str(key))
            dotted = ".".join(here)
            if ".".join(path) in free_form:
                continue
            if isinstance(theirs, dict) and key in theirs:
                below: Json = theirs[key]
                mine: Json = value
                if isinstance(mine, dict) and isinstance(below, dict) and below:
                    walk(mine, below, here)
                continue  # declared; below an empty or unset map, anything goes
            if any(r == dotted or r.startswith(dotted + ".") for r in s.read):
                continue
            out.append(dotted)

    walk(values, s.defaults, ())
    return out
