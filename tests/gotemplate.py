"""Go's ``text/template`` with the sprig functions, through the pinned Helm (Go, the same engine that
Argo CD's notifications and External Secrets' templates run on): each text is parsed and executed
against a context, as the program that loads it would do."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from composition import helm

CHART = """apiVersion: v2
name: gotemplate
version: 0.0.0
"""
# One ConfigMap per text; tpl parses and executes it with the context as its data (``Template`` is what
# Helm's tpl needs of the top-level object, invisible to the texts).
TEMPLATE = """{{- range $name, $text := .Values.texts }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $name | toJson }}
data:
  out: {{ tpl $text (merge (dict "Template" $.Template) (deepCopy $.Values.context)) | toJson }}
{{- end }}
"""


class TemplateError(Exception):
    pass


def execute(texts: dict[str, str], context: dict[str, Any]) -> dict[str, str]:
    """Each text executed against ``context``; TemplateError with Go's message when one does not parse
    or fails at execution."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="plate-gotemplate-") as scratch:
        chart = Path(scratch) / "gotemplate"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(CHART)
        (chart / "templates" / "out.yaml").write_text(TEMPLATE)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": scratch, "HELM_CACHE_HOME": f"{scratch}/c",
               "HELM_CONFIG_HOME": f"{scratch}/f", "HELM_DATA_HOME": f"{scratch}/d"}
        names = {f"t{i}": name for i, name in enumerate(texts)}
        values = {"texts": {key: texts[name] for key, name in names.items()}, "context": context}
        proc = subprocess.run([str(helm.binary()), "template", "t", str(chart), "--values", "-"],
                              input=json.dumps(values), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else f"exit {proc.returncode}"
        for key, name in names.items():
            message = message.replace(f'"{key}"', f'"{name}"')
        raise TemplateError(message)
    out = {}
    for doc in yaml.safe_load_all(proc.stdout):
        if doc:
            out[names[doc["metadata"]["name"]]] = doc["data"]["out"]
    return out
