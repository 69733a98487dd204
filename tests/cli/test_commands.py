"""validate, diff, bootstrap and graph through CliRunner: exact output and exit codes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner

from platectl.cli import cli
from tests.cli.conftest import project_checkout, run_git
from tests.helpers import ENVIRONMENTS

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_validate_a_clean_render(fresh_render, crd_dir):
    result = invoke("validate", "--dist", str(fresh_render))
    assert result.exit_code == 0, result.output
    count = len(list(fresh_render.rglob("*.yaml")))
    lines = result.output.splitlines()
    # two warnings: production's images (ours and the platform's own) pinned by tag, not digest, and the
    # shared cluster's declared Kubernetes 1.33, past its end of support (components/support.py)
    warnings = [line for line in lines if line.startswith("warning ")]
    digests = [w for w in warnings if "image-digests" in w]
    assert digests and all("is pinned by tag only (platectl images pin)" in w for w in digests)
    assert {w.split()[1] for w in digests} == {"production", "shared"}
    assert [" ".join(w.split()) for w in warnings if w not in digests] == [
        "warning shared kubernetes_version support kubernetes 1.33 is out of support since 2026-06-28; "
        "see https://kubernetes.io/releases/"]
    checked = ", ".join(sorted([*ENVIRONMENTS, "shared"]))
    assert lines[-1] == f"{count} objects checked in {checked}: 0 errors, {len(warnings)} warnings"


def test_validate_reports_every_broken_rule_and_exits_1(fresh_render, tmp_path, crd_dir):
    dist = tmp_path / "dist"
    shutil.copytree(fresh_render, dist)
    web = dist / "environments" / "production" / "plate-web" / "Deployment.plate-web.k8s.yaml"
    web.write_text(web.read_text().replace("production/web:1.4.2", "production/web:latest"))
    stg = dist / "environments" / "staging"
    (stg / "plate-web" / "Secret.leak.k8s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: leak\n  namespace: plate-stg\ndata:\n  password: aHVudGVyMg==\n")
    (stg / "plate-web" / "ConfigMap.dup.k8s.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: again\n")
    svc = stg / "plate-web" / "Service.plate-web.k8s.yaml"
    svc.write_text(svc.read_text().replace("app.kubernetes.io/name: plate-web", "app.kubernetes.io/name: plate-wbe", 1)
                   .replace("    app.kubernetes.io/name: plate-web\n    app.kubernetes.io/instance", "    app.kubernetes.io/name: plate-wbe\n    app.kubernetes.io/instance"))
    result = invoke("validate", "--dist", str(dist))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].split() == ["LEVEL", "OWNER", "FILE", "CHECK", "MESSAGE"]
    text = "\n".join(lines)
    assert "environments/staging/plate-web/ConfigMap.dup.k8s.yaml" in text and "duplicate key 'name' at line 5" in text
    assert "no-secret-values  Secret with data" in " ".join(text.split("  ")) or "Secret with data" in text
    assert "pinned-images" in text and "image 'harbor.cocdev.co.kr/production/web:latest' is not pinned" in text
    assert "Service selects no pod" in text
    # 18 warnings: the production images pinned by tag only (the one made :latest now an error instead;
    # the backups' five CronJobs and their five hooks among them) and Kubernetes 1.33 past its end of support
    assert lines[-1].endswith("errors, 18 warnings") and not lines[-1].split(": ")[1].startswith("0 errors")


def test_bootstrap_prints_the_commands_and_each_steps_objects(fresh_render):
    result = invoke("bootstrap", "--cluster", "shared")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "kubectl apply --server-side -f dist/clusters/shared/bootstrap/1-foundation/",
        "kubectl wait --for=condition=Established --timeout=120s crd/applications.argoproj.io "
        "crd/applicationsets.argoproj.io crd/appprojects.argoproj.io",
        "kubectl apply --server-side -f dist/clusters/shared/bootstrap/2-argo-cd/",
        "kubectl -n argocd rollout status --timeout=600s statefulset,deployment",
        "kubectl apply --server-side -f dist/clusters/shared/bootstrap/3-root/"]
    result = invoke("bootstrap", "--cluster", "shared", "--step", "3")
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.output))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("AppProject", "shared-root"),
                                                                   ("Application", "shared-root")]
    root = fresh_render / "clusters" / "shared" / "bootstrap" / "3-root"
    assert result.output == "---\n".join(p.read_text() for p in sorted(root.glob("*.yaml")))


def test_graph_mermaid_shows_layers_waves_and_providers():
    result = invoke("graph", "--cluster", "shared")
    assert result.exit_code == 0
    out = result.output
    assert out.startswith("flowchart TB\n")
    assert 'subgraph shared_cluster_services["shared: Cluster services (waves 0-9)"]' in out
    assert 'shared_openbao["openbao<br/>wave 10"]' in out
    assert 'shared_staging_plate_web["staging/plate-web<br/>wave 24"]' in out
    assert "shared_cert_manager -->|CRDs| shared_cluster_issuers" in out
    assert "shared_openbao -->|secrets| shared_secret_stores" in out
    assert "shared_secret_stores -->|secrets| shared_staging_plate_web" in out
    assert "shared_cluster_issuers -->|certificates| shared_edge" in out


def test_graph_dot():
    result = invoke("graph", "--format", "dot")
    assert result.exit_code == 0
    assert result.output.startswith('digraph "shared" {\n')
    assert '"external-secrets" -> "secret-stores" [label="CRDs"];' in result.output


def _project_repo(tmp_path: Path) -> Path:
    """A real git repository holding this project's files as committed here."""
    return project_checkout(tmp_path)[0]


def test_diff_identical_renders_print_one_line(tmp_path, monkeypatch):
    repo = _project_repo(tmp_path)
    monkeypatch.chdir(repo)
    result = invoke("diff")
    assert result.exit_code == 0, result.output
    assert result.output == "No changes: the two renders are identical.\n"


def test_diff_shows_field_level_changes_in_every_format(tmp_path, monkeypatch):
    repo = _project_repo(tmp_path)
    monkeypatch.chdir(repo)
    staging = repo / "envs" / "environments" / "staging.py"
    staging.write_text(staging.read_text().replace('"web": {"image": {"tag": "1.5.0-rc.2"}}',
                                                   '"web": {"image": {"tag": "1.5.0-rc.3"}}'))
    text = invoke("diff", "--env", "staging")
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert "staging / plate-web" in lines
    assert "  ~ Deployment plate-stg/plate-web" in lines
    removed = [line for line in lines if line.startswith("      -") and "image: " in line]
    added = [line for line in lines if line.startswith("      +") and "image: " in line]
    assert [line.split("image: ")[1] for line in removed] == ["harbor.cocdev.co.kr/staging/web:1.5.0-rc.2"]
    assert [line.split("image: ")[1] for line in added] == ["harbor.cocdev.co.kr/staging/web:1.5.0-rc.3"]
    assert "production" not in text.output
    md = invoke("diff", "--env", "staging", "--format", "markdown").output
    assert md.startswith("## Rendered manifest changes\n\n| environment | component | added | removed | changed |")
    assert "<details><summary>~ Deployment plate-stg/plate-web</summary>" in md
    import json
    doc = json.loads(invoke("diff", "--env", "staging", "--format", "json").output)
    assert doc["identical"] is False
    web = [c for c in doc["changes"] if c["component"] == "plate-web" and c["kind"] == "Deployment"]
    assert web and web[0]["change"] == "changed"


def test_diff_reuses_a_render_made_from_its_inputs_and_renders_a_stale_one(tmp_path, monkeypatch):
    """A side whose dist/ carries the stamp of that side's inputs is not rendered again: the committed
    render of the base, the working tree's last render. A dist/ committed without rendering is."""
    from platectl import freshness, sides

    repo = _project_repo(tmp_path)
    monkeypatch.chdir(repo)
    assert freshness.fresh(repo / "dist", freshness.worktree_digest(repo))  # bin/render wrote it
    import importlib

    diff_command = importlib.import_module("platectl.cli.diff")  # the module (the package exports the command)

    renders: list[str] = []  # the sides that were rendered, not reused

    def start(repo_, ref, work):
        side = sides.start(repo_, ref, work)
        if side.proc is not None:
            renders.append(side.label)
        return side
    monkeypatch.setattr(diff_command, "start", start)
    assert invoke("diff").output == "No changes: the two renders are identical.\n"
    assert renders == []  # both sides were rendered already
    staging = repo / "envs" / "environments" / "staging.py"
    staging.write_text(staging.read_text().replace('"web": {"image": {"tag": "1.5.0-rc.2"}}',
                                                   '"web": {"image": {"tag": "1.5.0-rc.3"}}'))
    changed = invoke("diff", "--env", "staging")
    assert "  ~ Deployment plate-stg/plate-web" in changed.output.splitlines()
    assert renders == ["the working tree"]  # HEAD's committed render is fresh
    run_git("commit", "--quiet", "-am", "bump without rendering", cwd=repo)  # dist/ now stale at HEAD
    renders.clear()
    stale = invoke("diff")
    assert stale.output == "No changes: the two renders are identical.\n", (stale.exception, stale.output)
    assert renders == ["the working tree", "HEAD"]  # both rendered


def test_diff_unknown_ref(tmp_path, monkeypatch):
    monkeypatch.chdir(_project_repo(tmp_path))
    result = invoke("diff", "--base", "no-such-ref")
    assert result.exit_code == 1
    assert result.output == "error: unknown ref 'no-such-ref'\n"


def test_diff_redacts_secret_like_values():
    from platectl.diffing import REDACTED, redact
    out = redact({"kind": "Secret", "data": {"k": "djE="}, "spec": {"adminPassword": "x", "existingSecret": "keep"}})
    assert out["data"] == {"k": REDACTED}
    assert out["spec"] == {"adminPassword": REDACTED, "existingSecret": "keep"}


def test_readme_shows_the_current_production_graph():
    readme = (ROOT / "docs" / "configuration.md").read_text()
    graph = invoke("graph", "--cluster", "shared").output
    assert f"```mermaid\n{graph}```" in readme, "docs/configuration.md's graph is stale: run bin/update-golden and read its diff"


def test_validate_target_versions_are_options(fresh_render, crd_dir):
    result = invoke("validate", "--dist", str(fresh_render), "--env", "staging", "--kubernetes-version", "1.33.0")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 errors, 0 warnings\n")


def test_an_image_bump_changes_one_file_and_the_diff_names_the_field(tmp_path, fresh_render, monkeypatch):
    import envs
    from platectl import diffing, render
    staging = envs.OVERLAYS["staging"]
    web = {**staging["services"]["web"], "image": {"tag": "1.5.0-rc.3"}}
    monkeypatch.setitem(envs.OVERLAYS, "staging", {**staging, "services": {**staging["services"], "web": web}})
    render.synth(tmp_path / "dist", warn=lambda _: None)
    from tests.helpers import read_tree
    before, after = read_tree(fresh_render), read_tree(tmp_path / "dist")
    heirs = sorted(n for n in envs.OVERLAYS if "staging" in envs.lineage(n))  # staging, and what extends it
    assert sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)) == [
        f"environments/{n}/plate-web/Deployment.plate-web.k8s.yaml" for n in heirs]
    text = diffing.format_text(diffing.compare_dirs(fresh_render, tmp_path / "dist"))
    assert "      Deployment plate-stg/plate-web: spec.template.spec.containers[web].image: " \
           "harbor.cocdev.co.kr/staging/web:1.5.0-rc.2 -> harbor.cocdev.co.kr/staging/web:1.5.0-rc.3" in text
    assert "metadata.labels[app.kubernetes.io/version]: 1.5.0-rc.2 -> 1.5.0-rc.3" in text


def test_redaction_hides_secret_values_never_security_settings():
    from platectl.diffing import REDACTED, field_changes, redact
    sa = {"kind": "ServiceAccount", "automountServiceAccountToken": False}
    assert redact(sa) == sa
    assert field_changes(sa, {**sa, "automountServiceAccountToken": True}) == ["automountServiceAccountToken: false -> true"]
    assert field_changes({"spec": {"adminPassword": "a"}}, {"spec": {"adminPassword": "b"}}) == [
        f"spec.adminPassword: {REDACTED} -> {REDACTED}"]


def test_secrets_lists_every_path_and_key_an_environment_reads(objects):
    result = invoke("secrets", "--env", "staging")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "OpenBao KV mount 'kv' on cluster 'shared':"
    rows = {tuple(line.split()) for line in lines[2:]}
    assert ("plate/staging/cache", "password", "plate-cache", "plate-stg") in rows
    assert ("plate/staging/web", "*", "plate-web", "plate-stg") in rows
    # exactly what the environment's ExternalSecrets read, nothing else
    read = set()
    for o in objects:
        if o.kind == "ExternalSecret" and o.env == "staging":
            read |= {(d["remoteRef"]["key"], d["remoteRef"]["property"]) for d in o.data["spec"].get("data", [])}
            read |= {(d["extract"]["key"], "*") for d in o.data["spec"].get("dataFrom", [])}
    assert {(r[0], r[1]) for r in rows} == read


def test_the_pr_comment_keeps_the_environments_and_the_summary_within_its_budget(fresh_render, tmp_path):
    """A realistic change set: a chart bump relabelling every object of the platform, a dashboard edit,
    a staging image bump and a new service. The comment shows the summary, then staging (its new service
    in full), label-only changes as one line per component, and stops at an object boundary."""
    from platectl import diffing

    base, head = tmp_path / "base", tmp_path / "head"
    shutil.copytree(fresh_render, base)
    shutil.copytree(fresh_render, head)
    relabelled = 0
    for f in (head / "clusters" / "shared").rglob("*.yaml"):
        text = f.read_text()
        if "helm.sh/chart: " in text and "kind: CustomResourceDefinition" not in text:
            f.write_text(re.sub(r"(helm\.sh/chart: \S+)", r"\1-next", text))
            relabelled += 1
    boards = head / "clusters" / "shared" / "grafana" / "ConfigMap.grafana-dashboards.k8s.yaml"
    boards.write_text(boards.read_text().replace('"refresh": "1m"', '"refresh": "30s"'))
    web = head / "environments" / "staging" / "plate-web" / "Deployment.plate-web.k8s.yaml"
    web.write_text(web.read_text().replace("web:1.5.0-rc.2", "web:1.5.0-rc.3"))
    search = head / "environments" / "staging" / "plate-search" / "Deployment.plate-search.k8s.yaml"
    search.parent.mkdir()
    search.write_text(web.read_text().replace("plate-web", "plate-search"))
    changes = diffing.compare_dirs(base, head)
    full = diffing.format_markdown(changes)
    budget = 12_000
    comment = diffing.format_comment(changes, frozenset({"shared"}), budget)
    assert len(full) > 5 * budget and len(comment) <= budget
    lines = comment.splitlines()
    assert lines[4:6] == ["| environment **staging** | 1 | 1 | 0 |", f"| cluster **shared** | 0 | {relabelled + 1} | 0 |"]  # and the dashboards
    assert comment.index("### staging / plate-search") < comment.index("### staging / plate-web") < \
        comment.index("### shared /")
    assert "+  name: plate-search" in comment  # the new service's spec, not only its name
    assert "web:1.5.0-rc.2 -> harbor.cocdev.co.kr/staging/web:1.5.0-rc.3" in comment
    assert re.search(r"^- \d+ objects: only labels or annotations changed \(.*helm\.sh/chart", comment, re.M)
    assert comment.count("<details>") == comment.count("</details>")  # never cut inside a block
    assert re.search(r"^\*\*\d+ more entries: the full diff is in the job's artifact \(rendered-diff\)\.\*\*$",
                     comment, re.M)
    # the failing case: without a budget cut the comment would be the whole diff
    assert len(diffing.format_comment(changes, frozenset({"shared"}), 10 * len(full))) > budget


def test_validate_of_one_environment_finds_what_the_full_validate_finds_for_it(fresh_render, tmp_path):
    """Without ../shared/crds (a user's clone, GitHub's CI): an environment's custom resources are checked
    against the CRDs its cluster's render installs, its namespace's policies are found in its own folder."""
    env = {**os.environ, "PLATE_SHARED_CRDS": str(tmp_path / "no-shared-crds")}

    def findings(*names: str) -> tuple[set[tuple[str, ...]], str]:
        args = [a for n in names for a in ("--env", n)]
        proc = subprocess.run([str(ROOT / ".venv" / "bin" / "platectl"), "validate", "--dist", str(fresh_render), *args],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
        rows = {tuple(line.split(None, 4)) for line in proc.stdout.splitlines() if line.startswith(("error ", "warning "))}
        return rows, proc.stdout.splitlines()[-1]

    everything, last = findings()
    assert last.endswith(": 0 errors, 19 warnings"), last
    for name in ("staging", "shared", "production"):
        alone, summary = findings(name)
        assert alone == {row for row in everything if row[1] in (name, "platform")}, name
        assert " 0 errors" in summary, summary
