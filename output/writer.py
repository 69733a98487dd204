"""Write charts of dict objects as cdk8s does: ``<out>/<chart>/<Kind>.<name>.k8s.yaml``.

The YAML comes from cdk8s's own writer (``cdk8s.Yaml.stringify``: the `yaml` library with
``lineWidth: 0`` and YAML 1.1), so files are byte-identical to what ``App.synth()`` with
``FOLDER_PER_CHART_FILE_PER_RESOURCE`` writes; but the whole batch crosses into the jsii runtime
once instead of several times per object.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import cdk8s

from output import cache

SEPARATOR = "\n---\n"
# The writer leaves the string "=" unquoted, which YAML 1.1 readers (PyYAML, so checkov too) take for
# its "value" type and refuse; CRDs list it among operators. Quote it.
_BARE_EQUALS = re.compile(r"^(\s*(?:- |[^\s:#'\"][^:#]*: ))=$", re.MULTILINE)


CACHE = cache.ROOT / "yaml" / "texts.json"
FORMAT = 1  # bump when the text of an object changes for the same object (the writer, the quoting above)


def _key(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _cdk8s_version() -> str:
    from importlib.metadata import version

    return version("cdk8s")


def cached_stringify(docs: list[dict[str, Any]]) -> list[str]:
    """``stringify`` with the texts of the previous render reused (keyed by each object's content and the
    writer's version): a warm render of unchanged objects does not cross into jsii. The cache keeps
    exactly this render's entries."""
    version = f"{FORMAT}:{_cdk8s_version()}"
    try:
        saved = json.loads(CACHE.read_text())
        known = saved["texts"] if saved.get("version") == version else {}
    except (OSError, ValueError, KeyError):
        known = {}
    keys = [_key(d) for d in docs]
    missing = [i for i, k in enumerate(keys) if k not in known]
    made = dict(zip((keys[i] for i in missing), stringify([docs[i] for i in missing]), strict=True))
    texts = [known.get(k) or made[k] for k in keys]
    if missing or len(known) != len(set(keys)):
        cache.store(CACHE, {"version": version, "texts": dict(zip(keys, texts, strict=True))})
    return texts


def stringify(docs: list[dict[str, Any]]) -> list[str]:
    """One YAML text per doc, from a single jsii call."""
    if not docs:
        return []
    joined = cdk8s.Yaml.stringify(*docs)
    parts = joined.split(SEPARATOR)
    if len(parts) != len(docs):  # a document whose text holds a separator line: fall back, one call each
        texts = [cdk8s.Yaml.stringify(d) for d in docs]
    else:
        texts = [p + "\n" for p in parts[:-1]] + [parts[-1]]
    return [_BARE_EQUALS.sub(r"\1'='", t) if _holds_equals(d) else t for d, t in zip(docs, texts, strict=True)]


def _holds_equals(node) -> bool:
    if isinstance(node, dict):
        return any(_holds_equals(v) for v in node.values())
    if isinstance(node, list):
        return any(_holds_equals(v) for v in node)
    return node == "="


def file_name(manifest: dict, by_namespace: bool = False) -> str:
    """``Kind.name.k8s.yaml``; ``Kind.namespace.name.k8s.yaml`` for a chart whose objects of one name
    live in several namespaces (``files_by_namespace``)."""
    namespace = manifest["metadata"].get("namespace")
    if by_namespace and namespace:
        return f"{manifest['kind']}.{namespace}.{manifest['metadata']['name']}.k8s.yaml"
    return f"{manifest['kind']}.{manifest['metadata']['name']}.k8s.yaml"


def write(charts, outdir: Path) -> int:
    """Write every chart's objects under ``outdir``; return the number of files."""
    return write_units([(outdir, list(charts))])


def write_units(units: list[tuple[Path, list]]) -> int:
    """Write several folders of charts with a single call into the YAML writer.

    Objects whose text a chart already holds (``chart.texts``, by object identity: a rendered Helm
    chart's, made and checked when its cache entry was) are written as they are."""
    plan: list[tuple[Path, dict, str | None]] = []
    seen: set[Path] = set()
    for outdir, charts in units:
        for chart in charts:
            texts = getattr(chart, "texts", {})
            placed = [(chart.folder, m) for m in chart.manifests]
            placed += [(f"{chart.folder}/crds", m) for m in getattr(chart, "crds", ())]
            for folder, manifest in placed:
                path = outdir / folder / file_name(manifest, getattr(chart, "files_by_namespace", False))
                if path in seen:
                    raise ValueError(f"chart {chart.folder!r}: two objects would be written to {path.name}")
                seen.add(path)
                plan.append((path, manifest, texts.get(id(manifest))))
    fresh = [(path, m) for path, m, text in plan if text is None]
    made = cached_stringify([m for _, m in fresh])
    by_path = {p: t for (p, _), t in zip(fresh, made, strict=True)}
    for folder in sorted({p.parent for p, _, _ in plan}):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(folder)) from None
    # Creating a file costs about a millisecond here (most of a warm render's writing): in threads,
    # which release the GIL while the kernel works.
    from concurrent.futures import ThreadPoolExecutor

    def put(item: tuple[Path, dict, str | None]) -> None:
        path, _, text = item
        try:
            path.write_text(text if text is not None else by_path[path], encoding="utf-8")
        except OSError as exc:  # a full disk names no file by itself: say which
            raise OSError(exc.errno, exc.strerror, str(path)) from None

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, plan))
    return len(plan)
