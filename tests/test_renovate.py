"""Versions that keep themselves current: renovate.json is valid for Renovate's own validator, and every
pin of the repository has exactly one manager that would bump it.

Renovate itself needs Node 22, so the coverage test applies the managers' patterns here: a custom
manager's ``managerFilePatterns`` and ``matchStrings`` (Renovate's ``(?<name>...)`` groups are Python's
``(?P<name>...)``), a built-in manager's default file patterns (Renovate's documentation). The pins come
from ``platectl.versions``, which reads the files themselves, not from the managers.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from platectl import versions

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = os.environ.get("PLATE_RENOVATE_VALIDATOR") or str(
    ROOT / "tools" / "renovate" / "node_modules" / ".bin" / "renovate-config-validator")

# The built-in managers' default managerFilePatterns (docs.renovatebot.com/modules/manager/<name>/).
BUILTIN = {
    "npm": [r"(^|/)package\.json$"],
    "pep621": [r"(^|/)pyproject\.toml$"],
    "pip_requirements": [r"(^|/)[\w-]*requirements([-.]\w+)?\.(txt|pip)$"],
    "github-actions": [r"(^|/)(workflow-templates|\.(?:github|gitea|forgejo)/(?:workflows|actions))/.+\.ya?ml$"],
    "dockerfile": [r"(^|/|\.)([Dd]ocker|[Cc]ontainer)file$", r"(^|/)([Dd]ocker|[Cc]ontainer)file[^/]*$"],
}


def _patterns(values: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(v[1:-1] if v.startswith("/") and v.endswith("/") else re.escape(v)) for v in values]


def _python_regex(renovate: str) -> re.Pattern[str]:
    return re.compile(renovate.replace("(?<", "(?P<"))


def _custom_matches(manager: dict, text: str) -> list[dict[str, str]]:
    """What a regex manager extracts from a file's text: its groups per dependency."""
    strings = [_python_regex(s) for s in manager["matchStrings"]]
    if manager.get("matchStringsStrategy") == "recursive":
        chunks = [text]
        for pattern in strings[:-1]:
            chunks = [m.group(0) for chunk in chunks for m in pattern.finditer(chunk)]
        return [m.groupdict() for chunk in chunks for m in strings[-1].finditer(chunk)]
    return [m.groupdict() for pattern in strings for m in pattern.finditer(text)]


def managers_of(config: dict, root: Path) -> dict[versions.Pin, list[str]]:
    """Each pin of the repository, with the managers that would bump it."""
    enabled = set(config.get("enabledManagers") or [])
    found: dict[versions.Pin, list[str]] = {p: [] for p in versions.pins(root)}
    by_file: dict[str, list[versions.Pin]] = {}
    for pin in found:
        by_file.setdefault(pin.file, []).append(pin)
    for name, defaults in BUILTIN.items():
        if name not in enabled:
            continue
        patterns = _patterns((config.get(name) or {}).get("managerFilePatterns") or [f"/{d}/" for d in defaults])
        for file, pins in by_file.items():
            if any(p.search(file) for p in patterns):
                for pin in pins:
                    found[pin].append(name)
    for i, manager in enumerate(config.get("customManagers") or []):
        if "custom.regex" not in enabled:
            break
        label = f"custom #{i + 1} ({manager.get('description', '')})"
        for file, pins in by_file.items():
            if not any(p.search(file) for p in _patterns(manager["managerFilePatterns"])):
                continue
            extracted = _custom_matches(manager, (root / file).read_text())
            for pin in pins:
                if any(e.get("depName") == pin.name and e.get("currentValue") == pin.version for e in extracted):
                    found[pin].append(label)
    return found


def uncovered(config: dict, root: Path) -> list[str]:
    return [f"{p.file}:{p.line} {p.kind} {p.name} {p.version}: " + (", ".join(m) if m else "no manager")
            for p, m in managers_of(config, root).items() if len(m) != 1]


def test_every_pin_in_the_repository_has_exactly_one_manager():
    config = json.loads((ROOT / "renovate.json").read_text())
    pins = versions.pins(ROOT)
    kinds = {p.kind for p in pins}
    assert kinds == {"chart", "image", "jenkins-plugin", "npm", "python", "action"}, kinds
    assert len([p for p in pins if p.kind == "chart"]) == len(list((ROOT / "charts").glob("*.tgz")))
    assert uncovered(config, ROOT) == []


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel in ("charts/chartfile.yaml", "components/versions.py", "package.json", "tools/renovate/package.json",
                "pyproject.toml", "ci/Dockerfile", *[p.name for p in ROOT.glob("constraints*.txt")],
                *[str(p.relative_to(ROOT)) for p in (ROOT / ".github" / "workflows").glob("*.yml")]):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, root / rel)
    return root


def test_a_pin_without_a_manager_and_a_pin_with_two_are_refused(tmp_path):
    config = json.loads((ROOT / "renovate.json").read_text())
    root = _copy(tmp_path)
    assert uncovered(config, root) == []
    versions_py = root / "components" / "versions.py"
    # a new image pin, its keys in another order: the inventory sees it, the image manager does not
    versions_py.write_text(versions_py.read_text() + '\nTEMPO: ImageRef = {"repository": "grafana/tempo", '
                                                      '"registry": "docker.io", "tag": "2.9.0"}\n')
    assert uncovered(config, root) == [f"components/versions.py:{len(versions_py.read_text().splitlines())} "
                                       "image grafana/tempo 2.9.0: no manager"]
    shutil.copy(ROOT / "components" / "versions.py", versions_py)
    twice = {**config, "customManagers": [*config["customManagers"], config["customManagers"][0]]}
    problems = uncovered(twice, root)
    assert problems and all("custom #1" in p and "custom #5" in p and " chart " in p for p in problems)
    assert len(problems) == len([p for p in versions.pins(root) if p.kind == "chart" and p.registry.startswith("https")])


@pytest.fixture(scope="module")
def validator() -> str:
    if not Path(VALIDATOR).exists():
        pytest.fail(f"{VALIDATOR} is missing: bin/test installs it (npm ci --prefix tools/renovate)")
    return VALIDATOR


def _validate(validator: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([validator, "--strict"], cwd=folder, capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "LOG_FORMAT": "json", "LOG_LEVEL": "info"})


def test_renovate_config_validator_accepts_the_config_and_refuses_a_broken_one(validator, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(ROOT / "renovate.json", good / "renovate.json")
    proc = _validate(validator, good)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Config validated successfully" in proc.stdout + proc.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    config = json.loads((ROOT / "renovate.json").read_text())
    config["customManagers"][0]["datasourceTemplate"] = 7  # a template is a string
    config["packageRules"][0]["postUpgradeTask"] = config["packageRules"][0].pop("postUpgradeTasks")  # misspelt
    (bad / "renovate.json").write_text(json.dumps(config))
    proc = _validate(validator, bad)
    assert proc.returncode != 0
    assert "postUpgradeTask" in proc.stdout + proc.stderr


def test_validate_warns_about_a_pin_past_its_end_of_support(monkeypatch):
    from components import support
    from platectl import checks

    assert checks.check_support(["shared"], today=date(2026, 6, 1)) == []  # Kubernetes 1.33 until 2026-06-28
    [late] = checks.check_support(["shared"], today=date(2026, 7, 1))
    assert (late.level, late.env, late.check) == ("warning", "shared", "support")
    assert late.message == "kubernetes 1.33 is out of support since 2026-06-28; see https://kubernetes.io/releases/"
    assert checks.check_support(["production"], today=date(2026, 7, 1)) == []  # not this environment's cluster
    ended = support.Line("openbao/openbao", "2.7.", date(2026, 11, 30), "https://example.test/openbao")
    monkeypatch.setattr(support, "LINES", (*support.LINES, ended))
    found = {f.message for f in checks.check_support(["production"], today=date(2026, 12, 2))}
    assert found == {"openbao/openbao 2.7.0 is out of support since 2026-11-30; see https://example.test/openbao"}


def test_platectl_versions_lists_every_platform_pin_with_its_support(monkeypatch):
    from click.testing import CliRunner

    from platectl.cli import cli

    result = CliRunner().invoke(cli, ["versions"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["KIND", "NAME", "VERSION", "SUPPORT", "SOURCE"]
    rows = {tuple(line.split()[:3]) for line in lines[1:-1]}
    assert ("chart", "csi-driver-nfs", "4.13.4") in rows and ("image", "openbao/openbao", "2.7.0") in rows
    assert ("helm", "helm", "v4.1.4") in rows and ("kubernetes", "kubernetes", "1.33") in rows
    assert not any(name == "nfs-subdir-external-provisioner" for _, name, _ in rows)
    assert lines[-1] == f"{len(lines) - 2} pins: 1 past their end of support (kubernetes 1.33)"
    strict = CliRunner().invoke(cli, ["versions", "--strict"])
    assert strict.exit_code == 1
    monkeypatch.setattr(versions, "latest_chart_versions",
                        lambda timeout=5.0: ({}, "cannot reach https://charts.test/index.yaml (offline)"))
    offline = CliRunner().invoke(cli, ["versions", "--latest"])
    assert offline.exit_code == 0
    assert "offline: cannot reach https://charts.test/index.yaml (offline)" in offline.output
