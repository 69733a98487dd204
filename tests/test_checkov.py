"""checkov on the committed dist/ (fresh: tests/test_render.py) reports nothing outside docs/security.md's
list of exceptions, and every exception still matches something (a fixed finding leaves the list)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Security scan (checkov)"


def exceptions(readme: str) -> list[tuple[frozenset[str], tuple[str, ...], str]]:
    """docs/security.md's table: (check IDs, resource patterns, reason) per row."""
    body = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        if not line.startswith("| CKV"):
            continue
        checks, where, why = (cell.strip() for cell in line.strip().strip("|").split("|", 2))
        ids = frozenset(re.findall(r"CKV2?_K8S_\d+", checks))
        patterns = tuple(re.findall(r"`([^`]+)`", where))
        assert ids and patterns and len(why) > 40, f"docs/security.md exception row is incomplete: {line}"
        rows.append((ids, patterns, why))
    return rows


def expand(pattern: str, platform) -> set[str]:
    """A row's entry as the exact resources it names: ``{env}`` (each environment's namespace),
    ``{standard}`` (each on the standard profile), ``{service}`` (that environment's services) and
    ``{worker}`` (its workers)."""
    if "{" not in pattern:
        return {pattern}
    out = set()
    for env in platform.environments.values():
        if "{standard}" in pattern and env.security_profile != "standard":
            continue
        for key, service in env.services.items():
            if "{worker}" in pattern and service.kind != "worker":
                continue
            out.add(pattern.replace("{env}", env.namespace).replace("{standard}", env.namespace)
                    .replace("{service}", f"plate-{key}").replace("{worker}", f"plate-{key}"))
    return out


def test_the_readme_table_is_parsed_and_names_exact_resources(platform):
    """No row is wider than the resources it names: every exception is one resource, or the services of
    the environments the configuration names (expanded into exact names), never a glob, so a new
    resource with the same finding is refused until a reviewer justifies it."""
    rows = exceptions((ROOT / "docs" / "security.md").read_text())
    assert 0 < len(rows) <= 12
    staging = next(r for r in rows if "CKV_K8S_11" in r[0])
    assert set(staging[1]) == {"Deployment.{standard}.{service}", "StatefulSet.{standard}.{service}"}
    assert expand("Deployment.{standard}.{service}", platform) >= {"Deployment.plate-stg.plate-web"}
    assert not any(".plate-prod." in name for name in expand("Deployment.{standard}.{service}", platform))
    wide = [p for _, patterns, _ in rows for p in patterns if set(p) & set("*?[")]
    assert not wide, f"patterns wider than a resource: {wide}"
    unknown = [p for _, patterns, _ in rows for p in patterns
               if set(re.findall(r"\{(\w+)\}", p)) - {"env", "standard", "service", "worker"}]
    assert not unknown, f"placeholders the test does not know: {unknown}"


@pytest.fixture(scope="session")
def checkov() -> str:
    tool = os.environ.get("PLATE_CHECKOV") or shutil.which("checkov")
    if not tool or not Path(tool).exists():
        if os.environ.get("CI"):
            pytest.fail("checkov is missing in CI: bin/test installs it into .venv-checkov")
        pytest.skip("checkov not installed (bin/test installs it into .venv-checkov); CI runs it")
    return tool


@pytest.fixture(scope="session")
def findings(checkov) -> dict:
    run = subprocess.run([checkov, "-d", str(ROOT / "dist"), "--framework", "kubernetes", "--output", "json",
                          "--quiet", "--compact", "--skip-download"], capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr[-2000:]  # 1: failed checks, which the test judges
    report = json.loads(run.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_reports_nothing_outside_the_readme_exceptions(findings, platform):
    summary = findings["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 700 and summary["passed"] > 4000  # it scanned the whole render
    rows = exceptions((ROOT / "docs" / "security.md").read_text())
    unexplained, used = [], set()
    for failure in findings["results"]["failed_checks"]:
        check, resource = failure["check_id"], failure["resource"]
        hits = [i for i, (ids, patterns, _) in enumerate(rows)
                if check in ids and any(resource in expand(p, platform) for p in patterns)]
        used.update(hits)
        if not hits:
            unexplained.append(f"{check} {failure['check_name']}: {resource} ({failure['file_path']})")
    assert not unexplained, "checkov findings docs/security.md does not justify:\n" + "\n".join(sorted(set(unexplained)))
    stale = [sorted(rows[i][0]) for i in range(len(rows))
             if i not in used and any(expand(p, platform) for p in rows[i][1])]  # a row naming nothing here waits
    assert not stale, f"docs/security.md exceptions that no longer match any finding (remove them): {stale}"


def test_every_pattern_of_an_exception_is_needed(findings, platform):
    """A pattern that matches no finding of its row's checks widens the list for nothing."""
    rows = exceptions((ROOT / "docs" / "security.md").read_text())
    failed = [(f["check_id"], f["resource"]) for f in findings["results"]["failed_checks"]]
    idle = [(sorted(ids), p) for ids, patterns, _ in rows for p in patterns
            if expand(p, platform) and not any(c in ids and r in expand(p, platform) for c, r in failed)]
    assert not idle, f"exception patterns matching nothing: {idle}"
