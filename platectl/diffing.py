"""Per-resource semantic diff of two renders, grouped by environment and component."""
from __future__ import annotations

import copy
import difflib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from platectl.objects import Rendered, load_tree
from platectl.policy import SECRET_KEY

REDACTED = "<redacted>"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Change:
    change: str  # added | removed | changed
    env: str
    component: str
    kind: str
    namespace: str
    name: str
    diff: tuple[str, ...] = ()  # unified diff lines of the object's YAML, for "changed"

    @property
    def title(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


def redact(data):
    """A copy with the values of credential-like keys (and any Secret's data) replaced."""
    data = copy.deepcopy(data)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, (str, int, float)) and SECRET_KEY.search(str(key).lower()) \
                        and not str(key).startswith("existing"):
                    node[key] = REDACTED
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if isinstance(data, dict) and data.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if isinstance(data.get(field), dict):
                data[field] = {k: REDACTED for k in data[field]}
    walk(data)
    return data


def _dump(data) -> list[str]:
    return yaml.dump(redact(data), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120).splitlines()


def compare(base: list[Rendered], head: list[Rendered]) -> list[Change]:
    old = {o.key: o for o in base}
    new = {o.key: o for o in head}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        env, component, kind, namespace, name = key
        if key not in old:
            changes.append(Change("added", env, component, kind, namespace, name))
        elif key not in new:
            changes.append(Change("removed", env, component, kind, namespace, name))
        elif old[key].data != new[key].data:
            lines = difflib.unified_diff(_dump(old[key].data), _dump(new[key].data), lineterm="", n=2)
            changes.append(Change("changed", env, component, kind, namespace, name, tuple(list(lines)[2:])))
    return changes


def compare_dirs(base: Path, head: Path, envs: list[str] | None = None) -> list[Change]:
    return compare(load_tree(base, envs), load_tree(head, envs))


def summary(changes: list[Change]) -> list[dict]:
    rows: dict[tuple[str, str], dict] = {}
    for c in changes:
        row = rows.setdefault((c.env, c.component), {"env": c.env, "component": c.component,
                                                      "added": 0, "removed": 0, "changed": 0})
        row[c.change] += 1
    return [rows[k] for k in sorted(rows)]


SIGN = {"added": "+", "removed": "-", "changed": "~"}
IDENTICAL = "No changes: the two renders are identical."


def _groups(changes: list[Change]):
    current = None
    for c in changes:
        if (c.env, c.component) != current:
            current = (c.env, c.component)
            yield c.env, c.component, [x for x in changes if (x.env, x.component) == current]


def _table(rows: list[dict]) -> list[list[str]]:
    total = {k: sum(r[k] for r in rows) for k in ("added", "removed", "changed")}
    body = [[r["env"], r["component"], str(r["added"]), str(r["removed"]), str(r["changed"])] for r in rows]
    return body + [["total", "", str(total["added"]), str(total["removed"]), str(total["changed"])]]


def format_text(changes: list[Change]) -> str:
    if not changes:
        return IDENTICAL + "\n"
    out = []
    for env, component, group in _groups(changes):
        out.append(f"{env} / {component}")
        for c in group:
            out.append(f"  {SIGN[c.change]} {c.title}")
            out.extend(f"      {line}" for line in c.diff)
        out.append("")
    header = ["environment", "component", "added", "removed", "changed"]
    rows = [header, *_table(summary(changes))]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out.append("Summary")
    for r in rows:
        out.append("  " + "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))))
    return "\n".join(out).rstrip() + "\n"


def format_markdown(changes: list[Change]) -> str:
    if not changes:
        return IDENTICAL + "\n"
    out = ["## Rendered manifest changes", "", "| environment | component | added | removed | changed |",
           "|---|---|---:|---:|---:|"]
    out += [f"| {' | '.join(r)} |" for r in _table(summary(changes))]
    for env, component, group in _groups(changes):
        out += ["", f"### {env} / {component}", ""]
        for c in group:
            if c.change == "changed":
                out += [f"<details><summary>{SIGN[c.change]} {c.title}</summary>", "", "```diff", *c.diff, "```", "",
                        "</details>"]
            else:
                out.append(f"- {c.change}: `{c.title}`")
    return "\n".join(out) + "\n"


def format_json(changes: list[Change]) -> str:
    if not changes:
        return json.dumps({"identical": True, "changes": []}) + "\n"
    doc = {"identical": False, "summary": summary(changes),
           "changes": [{**asdict(c), "diff": list(c.diff)} for c in changes]}
    return json.dumps(doc, indent=2) + "\n"


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json}
