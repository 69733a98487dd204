"""Per-resource semantic diff of two renders, grouped by environment and component."""
from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from output.objects import Rendered
from platectl.policy import SECRET_KEY

REDACTED = "<redacted>"
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Change:
    change: str  # added | removed | changed
    env: str
    component: str
    kind: str
    namespace: str
    name: str
    diff: tuple[str, ...] = ()  # unified diff lines of the object's YAML, for "changed"
    fields: tuple[str, ...] = ()  # "<field path>: <old> -> <new>" for "changed", read before the text diff

    @property
    def where(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    @property
    def title(self) -> str:
        return f"{self.kind} {self.where}"


def secret_value(key: str, value) -> bool:
    """Whether ``value`` under ``key`` is a credential to hide from review. Never a boolean or a
    reference: ``automountServiceAccountToken: true`` is a security setting a reviewer must see."""
    return (not isinstance(value, bool) and isinstance(value, (str, int, float)) and value not in ("true", "false")
            and bool(SECRET_KEY.search(str(key).lower())) and not str(key).startswith("existing"))


def redact(data):
    """A copy with the values of credential-like keys (and any Secret's data) replaced."""
    data = copy.deepcopy(data)

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if secret_value(key, value):
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


_NAMESPACE = re.compile(r"^metadata:\n(?:[ ].*\n)*?  namespace: (\S+)$", re.M)
_SECRET_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z0-9_.-]+): (.+)$")


def _redact_lines(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        m = _SECRET_LINE.match(line)
        if m and secret_value(m.group(2), m.group(3)):
            line = f"{m.group(1)}{m.group(2)}: {REDACTED}"
        out.append(line)
    return out


def _identity(rel: str, text: str) -> tuple[str, str, str, str, str]:
    _, env, component, file = rel.split("/", 3)
    kind, _, rest = file.rsplit("/", 1)[-1].partition(".")  # crds/<Kind>.<name>.k8s.yaml too
    name = rest.removesuffix(".k8s.yaml")
    ns = _NAMESPACE.search(text)
    return env, component, kind, ns.group(1) if ns else "", name


def _key(key: object) -> str:
    text = str(key)
    return f".{text}" if re.fullmatch(r"[A-Za-z0-9_-]+", text) else f"[{text}]"


def _show(key: str, value) -> str:
    if secret_value(key, value):
        return REDACTED
    if isinstance(value, (dict, list)):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
        return text if len(text) <= 80 else text[:77] + "..."
    return json.dumps(value) if not isinstance(value, str) else value


def _keyed(old: dict, new: dict, path: str, address, child_key, show_added: bool) -> list[str]:
    """Removed, added and changed entries of two maps, each addressed by ``address(key)``."""
    out = []
    for k in list(old) + [k for k in new if k not in old]:
        sub = f"{path}{address(k)}"
        here = sub.lstrip(".")
        if k not in new:
            out.append(f"{here}: removed")
        elif k not in old:
            out.append(f"{here}: added {_show(str(k), new[k])}" if show_added else f"{here}: added")
        else:
            out += field_changes(old[k], new[k], sub, child_key(k))
    return out


def field_changes(old, new, path: str = "", key: str = "") -> list[str]:
    """What changed, by field path: ``spec.template.spec.containers[web].image: a -> b``. List items
    with a ``name`` are addressed by it; values of credential-like keys are redacted."""
    if isinstance(old, dict) and isinstance(new, dict):
        return _keyed(old, new, path, _key, str, show_added=True)
    if isinstance(old, list) and isinstance(new, list):
        if all(isinstance(i, dict) and "name" in i for i in old + new):
            return _keyed({i["name"]: i for i in old}, {i["name"]: i for i in new}, path,
                          lambda name: f"[{name}]", lambda _: key, show_added=False)
        if len(old) == len(new):
            return [c for i, (a, b) in enumerate(zip(old, new, strict=True))
                    for c in field_changes(a, b, f"{path}[{i}]", key)]
    if old == new:
        return []
    return [f"{path.lstrip('.')}: {_show(key, old)} -> {_show(key, new)}"]


def compare_dirs(base: Path, head: Path, envs: list[str] | None = None) -> list[Change]:
    """Compare two renders on disk. Files are the unit: identical bytes are skipped unread, and a
    changed file is diffed as it is written (both sides come from the same YAML writer), with
    credential-like values redacted. Secrets (never rendered here) go through ``compare``."""
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.glob("*/*/*/**/*.yaml")
                if envs is None or p.relative_to(root).parts[1] in envs}
    old, new = files(base), files(head)
    changes = []
    for rel in sorted(old.keys() | new.keys()):
        a = old[rel].read_bytes() if rel in old else None
        b = new[rel].read_bytes() if rel in new else None
        if a == b:
            continue
        text_a, text_b = (a or b"").decode(), (b or b"").decode()
        ident = _identity(rel, text_b or text_a)
        if a is None:  # shown in full: a reviewer reads a new object's spec, not only its name
            shown = () if ident[2] == "Secret" else tuple(f"+{line}" for line in _redact_lines(text_b.splitlines()))
            changes.append(Change("added", *ident, shown))
        elif b is None:
            changes.append(Change("removed", *ident))
        elif ident[2] == "Secret":
            changes += compare(load_one(base, rel), load_one(head, rel))
        else:
            lines = difflib.unified_diff(_redact_lines(text_a.splitlines()), _redact_lines(text_b.splitlines()),
                                         lineterm="", n=2)
            fields = field_changes(yaml.load(text_a, Loader=_Loader), yaml.load(text_b, Loader=_Loader))
            changes.append(Change("changed", *ident, tuple(list(lines)[2:]), tuple(fields)))
    return sorted(changes, key=lambda c: (c.env, c.component, c.kind, c.namespace, c.name))


def load_one(root: Path, rel: str) -> list[Rendered]:
    _, env, component, _ = rel.split("/", 3)
    return [Rendered(env, component, rel, yaml.load((root / rel).read_text(), Loader=_Loader))]


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
            out.extend(f"      {c.kind} {c.where}: {line}" for line in c.fields)
            out.extend(f"      {line}" for line in c.diff)
        out.append("")
    header = ["environment", "component", "added", "removed", "changed"]
    rows = [header, *_table(summary(changes))]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out.append("Summary")
    for r in rows:
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append("  " + "  ".join(cells))
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
                out += [f"- `{c.kind} {c.where}: {line}`" for line in c.fields]
                out += [f"<details><summary>{SIGN[c.change]} {c.title}</summary>", "", "```diff", *c.diff, "```", "",
                        "</details>"]
            else:
                out.append(f"- {c.change}: `{c.title}`")
    return "\n".join(out) + "\n"


def format_json(changes: list[Change]) -> str:
    if not changes:
        return json.dumps({"identical": True, "changes": []}) + "\n"
    doc = {"identical": False, "summary": summary(changes),
           "changes": [{**asdict(c), "diff": list(c.diff), "fields": list(c.fields)} for c in changes]}
    return json.dumps(doc, indent=2) + "\n"


METADATA_ONLY = re.compile(r"^(spec\.template\.)?metadata\.(labels|annotations)[.\[]")
BUDGET = 60_000  # characters of a PR comment (GitHub takes 65,536): the rest is in the job's artifact


def only_metadata(c: Change) -> bool:
    """A change of labels or annotations alone (a chart's version labels, a checksum annotation)."""
    return c.change == "changed" and bool(c.fields) and all(METADATA_ONLY.match(f) for f in c.fields)


def _last_key(path: str) -> str:
    """The last key of a field path: ``metadata.labels[helm.sh/chart]`` -> ``helm.sh/chart``."""
    m = re.search(r"\[([^\]]+)\]$|\.([^.\[]+)$", path)
    return (m.group(1) or m.group(2)) if m else path


def format_comment(changes: list[Change], clusters: frozenset[str] = frozenset(), budget: int = BUDGET) -> str:
    """A pull request's comment: the summary per environment and cluster first, then the environments'
    changes before the platform's, objects whose labels or annotations alone changed as one line per
    component, added objects in full (folded); whole objects only, until ``budget`` characters, then how
    many more there are (the job's artifact holds the full diff)."""
    if not changes:
        return IDENTICAL + "\n"
    owners = sorted({c.env for c in changes}, key=lambda e: (e in clusters, e))
    out = ["## Rendered manifest changes", "", "| | added | changed | removed |", "|---|---:|---:|---:|"]
    for owner in owners:
        mine = [c for c in changes if c.env == owner]
        kind = "cluster" if owner in clusters else "environment"
        out.append(f"| {kind} **{owner}** | {sum(c.change == 'added' for c in mine)} | "
                   f"{sum(c.change == 'changed' for c in mine)} | {sum(c.change == 'removed' for c in mine)} |")
    blocks: list[tuple[str, list[str]]] = []  # (heading, lines of one object or one collapsed line)
    for owner in owners:
        for env, component, group in _groups([c for c in changes if c.env == owner]):
            heading = f"### {env} / {component}"
            quiet = [c for c in group if only_metadata(c)]
            if quiet:
                keys = sorted({_last_key(f.split(": ", 1)[0]) for c in quiet for f in c.fields})
                blocks.append((heading, [f"- {len(quiet)} objects: only labels or annotations changed "
                                         f"({', '.join(keys[:4])}{', ...' if len(keys) > 4 else ''})"]))
            for c in group:
                if c in quiet:
                    continue
                if c.change == "removed":
                    blocks.append((heading, [f"- removed: `{c.title}`"]))
                    continue
                lines = [f"- `{c.kind} {c.where}: {line}`" for line in c.fields]
                lines += [f"<details><summary>{SIGN[c.change]} {c.title}</summary>", "", "```diff", *c.diff, "```",
                          "", "</details>"]
                blocks.append((heading, lines))
    size = sum(len(line) + 1 for line in out)
    current = None
    for i, (heading, lines) in enumerate(blocks):
        text = ([ "", heading, ""] if heading != current else []) + lines
        cost = sum(len(line) + 1 for line in text)
        if size + cost > budget:
            rest = len(blocks) - i
            out += ["", f"**{rest} more {'entry' if rest == 1 else 'entries'}: the full diff is in the job's artifact "
                        "(rendered-diff).**"]
            break
        out += text
        size += cost
        current = heading
    return "\n".join(out) + "\n"


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json}
