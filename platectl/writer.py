"""Write charts of dict objects as cdk8s does: ``<out>/<chart>/<Kind>.<name>.k8s.yaml``.

The YAML comes from cdk8s's own writer (``cdk8s.Yaml.stringify``: the `yaml` library with
``lineWidth: 0`` and YAML 1.1), so files are byte-identical to what ``App.synth()`` with
``FOLDER_PER_CHART_FILE_PER_RESOURCE`` writes; but the whole batch crosses into the jsii runtime
once instead of several times per object.
"""
from __future__ import annotations

from pathlib import Path

import cdk8s

SEPARATOR = "\n---\n"


def stringify(docs: list[dict]) -> list[str]:
    """One YAML text per doc, from a single jsii call."""
    if not docs:
        return []
    joined = cdk8s.Yaml.stringify(*docs)
    parts = joined.split(SEPARATOR)
    if len(parts) != len(docs):  # a document whose text holds a separator line: fall back, one call each
        return [cdk8s.Yaml.stringify(d) for d in docs]
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def file_name(manifest: dict) -> str:
    return f"{manifest['kind']}.{manifest['metadata']['name']}.k8s.yaml"


def write(charts, outdir: Path) -> int:
    """Write every chart's objects under ``outdir``; return the number of files."""
    return write_units([(outdir, list(charts))])


def write_units(units: list[tuple[Path, list]]) -> int:
    """Write several folders of charts with a single call into the YAML writer."""
    plan: list[tuple[Path, dict]] = []
    seen: set[Path] = set()
    for outdir, charts in units:
        for chart in charts:
            for manifest in chart.manifests:
                path = outdir / chart.folder / file_name(manifest)
                if path in seen:
                    raise ValueError(f"chart {chart.folder!r}: two objects would be written to {path.name}")
                seen.add(path)
                plan.append((path, manifest))
    texts = stringify([m for _, m in plan])
    for folder in sorted({p.parent for p, _ in plan}):
        folder.mkdir(parents=True, exist_ok=True)
    for (path, _), text in zip(plan, texts, strict=True):
        path.write_text(text, encoding="utf-8")
    return len(plan)
