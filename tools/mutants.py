"""Hand-written mutants of the claims the README makes loudest, and the tests that must kill them.

Each mutant breaks one claim the way a careless change would (one exact text replaced in one file),
in a throwaway copy of the repository; the tests named for it are then run there and must fail. A
mutant that survives is a claim the suite does not hold: the report says which.

    bin/mutants            every mutant
    bin/mutants NAME ...   some of them (``--list`` shows the names)

The copy shares ``.venv``, ``node_modules`` and the chart cache (``.cache``) of this checkout through
symbolic links (the cache is keyed by every input, so a mutant cannot read a stale entry); nothing in
this checkout is changed. Not part of ``bin/test``: about 6 minutes for the 33 on 2 cores.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = (".venv", ".venv-checkov", ".venv-nca", "node_modules", ".cache")
SKIPPED = {".git", "__pycache__", ".pytest_cache", *SHARED}


@dataclass(frozen=True)
class Mutant:
    name: str
    claim: str  # the README's claim the mutant breaks
    file: str
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids (or files) that must fail


MUTANTS: tuple[Mutant, ...] = (
    Mutant("unsigned-publish", "production syncs only commits signed with the configured key",
           "platectl/publishing.py",
           "    keys = envs.load_platform().clusters[cluster].gitops.signing_keys\n",
           "    keys: list[str] = []\n",
           ("tests/cli/test_publish.py::test_publish_signs_the_rendered_commit_with_the_configured_key",
            "tests/cli/test_publish.py::test_a_rollback_signs_with_the_configured_key")),
    Mutant("override-ignored", "PLATE_SIGNING_KEY overrides the configured key",
           "platectl/publishing.py",
           "    if override:\n        return override\n",
           "",
           ("tests/cli/test_publish.py::test_the_override_signs_instead_and_without_it_the_configured_key_is_required",)),
    Mutant("delete-then-rename", "dist/ is never missing or partial (one exchange, not delete and rename)",
           "output/atomic.py",
           "    if exchange(new, target):\n",
           "    shutil.rmtree(target)\n    new.rename(target)\n    if True:\n",
           ("tests/test_crash_safety.py::test_a_kill_between_any_two_file_operations_of_the_swap",)),
    Mutant("exchange-by-renames", "the exchange is one system call",
           "output/atomic.py",
           "    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:\n",
           "    swap = b.with_name(b.name + '.swap')\n    os.rename(b, swap)\n    os.rename(a, b)\n"
           "    os.rename(swap, a)\n    if True:\n",
           ("tests/test_crash_safety.py::test_the_exchange_swaps_two_folders_in_one_system_call",
            "tests/test_crash_safety.py::test_a_kill_between_any_two_file_operations_of_the_swap")),
)


MUTANTS += (
    Mutant("alerts-to-nobody", "alerts reach the receiver their environment and severity route to",
           "components/observability/alert_routing.py",
           "        config = yaml.safe_dump(alertmanager_config(p), sort_keys=False, width=1 << 16)\n",
           "        config = yaml.safe_dump({'route': {'receiver': 'nobody'}, 'receivers': [{'name': 'nobody'}]})\n",
           ("tests/components/observability/test_alert_routing.py",)),
)

MUTANTS += (
    Mutant("retry-api-errors-only", "publish --wait rides out a lost connection to the Kubernetes API",
           "platectl/watching.py",
           "        except Exception as exc:  # noqa: BLE001",
           "        except __import__('kubernetes').client.exceptions.ApiException as exc:  # noqa: BLE001",
           ("tests/cli/test_status.py::test_publish_wait_reconnects_after_a_lost_connection",)),
)

MUTANTS += (
    Mutant("route-wrong-port", "every route reaches a Service port",
           "components/routing.py",
           '"backendRefs": [{"name": b.service, "port": b.port}]}',
           '"backendRefs": [{"name": b.service, "port": b.port + 1}]}',
           ("tests/test_invariants.py::test_route_backends_exist",)),
    Mutant("route-on-plain-http", "TLS everywhere in production",
           "components/routing.py",
           '"spec": {"parentRefs": [gateway.parent(served.host)], "hostnames"',
           '"spec": {"parentRefs": [{**gateway.parent(served.host), "sectionName": "http"}], "hostnames"',
           ("tests/test_invariants.py::test_production_is_hardened_pinned_replicated_and_tls_everywhere",)),
)

MUTANTS += (
    Mutant("diff-reuses-a-stale-render", "a diff reuses a side's dist/ only when it was rendered from that side's inputs",
           "platectl/freshness.py",
           "    return inputs is not None and dist.is_dir() and stamp_of(dist) == inputs\n",
           "    return dist.is_dir() and stamp_of(dist) is not None\n",
           ("tests/cli/test_commands.py::test_diff_reuses_a_render_made_from_its_inputs_and_renders_a_stale_one",)),
    Mutant("no-backup-before-sync", "on a production cluster every sync of a stateful component first takes its backup",
           "components/backup.py", "        if before_sync:\n", "        if False:\n",
           ("tests/test_backups.py::test_each_backup_runs_on_schedule_and_before_every_sync_of_its_component",
            "tests/test_backups.py::test_a_staging_only_cluster_backs_up_on_schedule_only_unless_it_asks")),
    Mutant("backup-role-too-wide", "OpenBao's backup may take a raft snapshot and nothing else",
           "composition/tools.py", '"sys/storage/raft/snapshot", ("read",)', '"sys/*", ("read", "update")',
           ("tests/test_backups.py::test_openbaos_backup_may_take_a_snapshot_and_nothing_else",)),
    Mutant("stale-backup-silent", "a backup older than max_age pages",
           "components/observability/alert_rules.py",
           'kube_cronjob_status_last_successful_time{{{sel}}} > {max_age_seconds})"',
           'kube_cronjob_status_last_successful_time{{{sel}}} > 10 * {max_age_seconds})"',
           ("tests/test_backups.py::test_a_stale_or_never_successful_backup_pages_and_a_fresh_one_does_not",)),
    Mutant("loader-drops-a-key", "the configuration loaded is what the files say",
           "envs/loader.py",
           "    return base[\"CLUSTER\"], base[\"ENVIRONMENT\"], clusters, environments\n",
           "    environments = {k: {kk: vv for kk, vv in v.items() if kk != 'alerts'} for k, v in environments.items()}\n"
           "    return base[\"CLUSTER\"], base[\"ENVIRONMENT\"], clusters, environments\n",
           ("tests/envs/test_model.py::test_the_shipped_folder_reads_back_as_the_loaded_configuration",)),
    Mutant("crds-chart-mislabelled", "the monitoring CRDs come from the pinned chart's own archive",
           "components/cluster/prometheus_crds.py",
           "versions.PROMETHEUS_OPERATOR_CRDS, {},",
           "__import__('dataclasses').replace(versions.PROMETHEUS_OPERATOR_CRDS, version='24.0.1'), {},",
           ("tests/components/cluster/test_prometheus_crds.py::test_monitoring_crds_come_first_from_their_own_chart",)),
)

MUTANTS += (
    Mutant("values-check-one-chart", "a values key a chart does not read stops the render, for every chart",
           "composition/__init__.py",
           "        if helm is None or helm.archive is None:\n            continue\n        unknown = unknown_keys(",
           "        if helm is None or helm.archive is None or helm.chart != 'metallb':\n            continue\n"
           "        unknown = unknown_keys(",
           ("tests/test_charts.py::test_the_render_refuses_a_values_key_the_chart_does_not_read",)),
)

MUTANTS += (
    Mutant("key-file-unchecked", "Argo CD's keyring holds the key the rendered branch is signed with",
           "composition/__init__.py",
           "    if held != fingerprint:\n",
           "    if False:\n",
           ("tests/test_trust_zones.py::test_a_key_file_holding_another_key_stops_the_render",)),
)

MUTANTS += (
    Mutant("push-not-atomic", "branch and tag move together or not at all",
           "platectl/publishing.py",
           'proc = run("push", "--atomic", "--porcelain"',
           'proc = run("push", "--porcelain"',
           ("tests/cli/test_publish_faults.py::test_a_push_whose_tag_alone_is_refused_moves_nothing",)),
    Mutant("refused-push-ignored", "a refused push exits 1 with the remote's reason",
           "platectl/publishing.py",
           "    if proc.returncode == 0:\n        return\n    refused =",
           "    if True:\n        return\n    refused =",
           ("tests/cli/test_publish_faults.py::test_a_push_refused_by_a_hook_fails_with_the_remote_reason_and_leaves_no_tag",)),
    Mutant("no-redaction", "credential-like values never show in a diff",
           "platectl/diffing.py",
           "    return (not isinstance(value, bool) and isinstance(value, (str, int, float))",
           "    return False and (not isinstance(value, bool) and isinstance(value, (str, int, float))",
           ("tests/cli/test_commands.py::test_diff_redacts_secret_like_values",)),
    Mutant("no-default-deny", "every namespace denies by default",
           "components/network.py",
           '"spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},\n    }\n\n\ndef allow_dns',
           '"spec": {"podSelector": {}, "policyTypes": ["Ingress"]},\n    }\n\n\ndef allow_dns',
           ("tests/test_network_policies.py::test_every_namespace_denies_by_default",)),
    Mutant("version-label-everywhere", "an image bump changes exactly one file",
           "components/plate/service.py",
           "        self.common_labels = labels(p.name, p.role)\n",
           "        self.common_labels = labels(p.name, p.role, p.image.tag)\n",
           ("tests/cli/test_commands.py::test_an_image_bump_changes_one_file_and_the_diff_names_the_field",)),
)

MUTANTS += (
    Mutant("subject-cut-in-source", "Argo CD's notifications load: a length limit cuts rendered text, not templates",
           "components/tools/argo_notifications.py",
           '        subject = _SUBJECT.replace("WHAT", SUBJECTS[name]).replace("LIMIT", str(SUBJECT_LIMIT))\n',
           '        subject = message.split(":")[0][:SUBJECT_LIMIT]\n',
           ("tests/components/tools/test_notification_templates.py::"
            "test_every_rendered_template_parses_and_executes_for_every_environment",)),
    Mutant("headlamp-no-callback", "Headlamp sends the callback Dex allows",
           "components/tools/headlamp.py",
           '"callbackURL": f"https://{p.host}{CALLBACK}",',
           "",
           ("tests/components/tools/test_dex_config.py::test_headlamp_is_told_its_callback_url",)),
    Mutant("no-host-metrics", "Prometheus reaches every pod it scrapes, host-network ones included",
           "components/cluster/metallb.py",
           "webhooks=(9443,), host_metrics=(METRICS_PORT,))",
           "webhooks=(9443,))",
           ("tests/test_network_policies.py::test_prometheus_reaches_every_host_network_pod_it_scrapes",)),
)

MUTANTS += (
    Mutant("no-gateway-ingress", "the Gateway's proxies reach every route's backend, and nothing else",
           "components/cluster/network_policies.py",
           "            if f.dst_namespace in fenced and f.dst_namespace not in p.own_policies:\n",
           "            if f.source != 'gateway' and f.dst_namespace in fenced and f.dst_namespace not in p.own_policies:\n",
           ("tests/test_network_analysis.py::test_the_fence_allows_exactly_the_needed_and_declared_flows",)),
    Mutant("agents-reach-the-api-server", "build agents reach neither the API server nor the nodes",
           "components/tools/jenkins.py",
           "    network = NetworkNeeds(api_server=True, api_server_pods=pods(CONTROLLER_PODS), internet=(22, 80, 443),",
           "    network = NetworkNeeds(api_server=True, internet=(22, 80, 443),",
           ("tests/test_network_analysis.py::test_build_agents_reach_neither_the_api_server_nor_the_nodes",)),
    Mutant("outside-includes-nodes", "\"outside\" is not the cluster's nodes or storage",
           "components/cluster/network_policies.py",
           "            inside = [*p.cluster_cidrs, *p.node_cidrs, *p.api_server_cidrs, *p.storage_cidrs]\n",
           "            inside = [*p.cluster_cidrs]\n",
           ("tests/test_network_analysis.py::test_build_agents_reach_neither_the_api_server_nor_the_nodes",)),
    Mutant("prometheus-everywhere", "Prometheus reaches only what its monitors scrape",
           "components/cluster/network_policies.py",
           '                    {"to": [_ns(f.dst_namespace, f.dst_pods)], "ports": _ports(f.ports)} for f in flows])',
           '                    {"to": [{"namespaceSelector": {}}]} for f in flows])',
           ("tests/test_network_analysis.py::test_the_fence_allows_exactly_the_needed_and_declared_flows",)),
)

MUTANTS += (
    Mutant("grafana-anyone-viewer", "a person in none of the groups cannot log in to Grafana",
           "components/observability/grafana.py",
           '        return " || ".join(parts)\n',
           '        return " || ".join([*parts, "\'Viewer\'"])\n',
           ("tests/components/tools/test_logins.py::test_grafana_maps_dex_groups_to_roles",)),
    Mutant("jenkins-everyone-admin", "only the configured Dex groups act in Jenkins",
           "components/tools/jenkins.py",
           "                              for g in [*p.admin_groups, BREAK_GLASS]]\n",
           "                              for g in [*p.admin_groups, BREAK_GLASS, 'authenticated']]\n",
           ("tests/components/tools/test_logins.py::test_jenkins_authorizes_dex_groups_only",)),
)

MUTANTS += (
    Mutant("bootstrap-without-keyring", "an empty cluster reaches a self-managing Argo CD (no keyring deadlock)",
           "components/argocd/app_of_apps.py",
           "    own = [m for m in argo_cd.manifests if built_in(m)]\n",
           "    own = [m for m in argo_cd.manifests if built_in(m) and m['metadata']['name'] != 'argocd-gpg-keys-cm']\n",
           ("tests/test_bootstrap.py::test_an_empty_cluster_reaches_a_self_managing_argo_cd",)),
    Mutant("sign-with-an-untrusted-key", "rotating the signing key never blocks a sync",
           "platectl/publishing.py",
           "    candidates = [k for k in keys if trusted is None or k[-16:] in trusted]\n",
           "    candidates = list(keys)\n",
           ("tests/cli/test_publish.py::test_rotating_the_signing_key_in_three_publishes_never_blocks_a_sync",)),
)

MUTANTS += (
    Mutant("interrupt-traceback", "Ctrl-C prints one line and exits 130",
           "platectl/interrupts.py",
           "    except KeyboardInterrupt:\n",
           "    except ZeroDivisionError:\n",
           ("tests/test_interrupts.py::test_an_interrupt_says_one_line_and_leaves_dist_whole_and_no_scratch",)),
    Mutant("child-reads-parents-secrets", "an environment never inherits its parent's secret prefix or route hosts",
           "envs/__init__.py",
           '        inherited["secrets"] = _without(cast("dict[str, Any]", secrets), "path_prefix")\n',
           "        pass\n",
           ("tests/envs/test_model.py::test_an_environment_never_inherits_what_names_its_parent",)),
    Mutant("inherited-fault-misnamed", "a faulty value is named for the environment whose file writes it",
           "envs/__init__.py",
           "for n in parents_first(raw_envs)}",
           "for n in sorted(raw_envs)}",
           ("tests/envs/test_model.py::test_a_faulty_value_is_reported_for_the_environment_whose_file_writes_it",)),
    Mutant("jenkins-credential-dropped", "the Jenkinsfile binds only credentials the render gives Jenkins",
           "components/tools/jenkins.py",
           '                {"string": {"scope": "GLOBAL", "id": f"{pl.name}-{PUSH_URL}", '
           '"secret": f"${{{var}-{PUSH_URL}}}",\n'
           '                            "description": f"{pl.name}: where publishes push"}},\n',
           "",
           ("tests/test_jenkins_pipeline.py",)),
)


def _copy(into: Path) -> Path:
    repo = into / "repo"

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIPPED or n.startswith(".dist.")} if Path(folder) == ROOT else \
            {n for n in names if n in ("__pycache__", ".pytest_cache", "node_modules")}

    shutil.copytree(ROOT, repo, ignore=ignore, symlinks=True)
    for name in (*SHARED, "tools/renovate/node_modules"):
        if (ROOT / name).exists():
            (repo / name).symlink_to(ROOT / name)
    # a repository of its own (the diff and publish tests read git), holding what this checkout holds
    git = ["git", "-c", "user.name=mutants", "-c", "user.email=mutants@localhost", "-c", "commit.gpgsign=false"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "--no-verify", "-m", "the checkout"]):
        subprocess.run([*git, *args], cwd=repo, check=True, capture_output=True)
    return repo


def _pytest(repo: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    env = dict(os.environ, PLATE_CACHE=str(ROOT / ".cache"))
    env.setdefault("PLATE_SHARED_CRDS", str((ROOT.parent / "shared" / "crds").resolve()))  # beside this checkout
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-x", "-p",
                           "no:cacheprovider", *tests], cwd=repo, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def apply(repo: Path, mutant: Mutant) -> None:
    path = repo / mutant.file
    text = path.read_text()
    if text.count(mutant.old) != 1:
        raise SystemExit(f"mutant {mutant.name}: the text to replace occurs {text.count(mutant.old)} times in "
                         f"{mutant.file} (the code moved: update tools/mutants.py)")
    path.write_text(text.replace(mutant.old, mutant.new))


def run(names: list[str]) -> int:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    unknown = sorted(set(names) - {m.name for m in MUTANTS})
    if unknown:
        print(f"error: no mutant {unknown[0]!r}; known: {', '.join(m.name for m in MUTANTS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="plate-mutants-") as scratch:
        base = _copy(Path(scratch))
        tests = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        code, output = _pytest(base, tests)
        if code != 0:
            print(output[-3000:], file=sys.stderr)
            print("error: the tests fail without any mutant; fix them first", file=sys.stderr)
            return 2
        survived = 0
        for mutant in chosen:
            start = time.monotonic()
            shutil.rmtree(base)
            repo = _copy(Path(scratch))
            apply(repo, mutant)
            code, output = _pytest(repo, mutant.tests)
            took = time.monotonic() - start
            if code == 1:
                failed = [line.split(" ", 2)[1] for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
                print(f"killed    {mutant.name:24} {took:5.1f}s  by {', '.join(failed) or 'the tests'}")
            elif code == 0:
                survived += 1
                print(f"SURVIVED  {mutant.name:24} {took:5.1f}s  {mutant.claim}: {mutant.file} changed, "
                      f"{len(mutant.tests)} tests still pass")
            else:
                survived += 1
                print(f"ERROR     {mutant.name:24} {took:5.1f}s  pytest exit {code}:\n{output[-2000:]}")
            base = repo
        print(f"{len(chosen) - survived} of {len(chosen)} mutants killed")
        return 1 if survived else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        for m in MUTANTS:
            print(f"{m.name:24} {m.claim}")
        return 0
    return run(argv)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
