"""Hand-written mutants of the claims the README makes loudest, and the tests that must kill them.

Each mutant breaks one claim the way a careless change would (one exact text replaced in one file),
in a throwaway copy of the repository; the tests named for it are then run there and must fail. A
mutant that survives is a claim the suite does not hold: the report says which.

    bin/mutants            every mutant
    bin/mutants NAME ...   some of them (``--list`` shows the names)

The copy shares ``.venv``, ``node_modules`` and the chart cache (``.cache``) of this checkout through
symbolic links (the cache is keyed by every input, so a mutant cannot read a stale entry); nothing in
this checkout is changed. Not part of ``bin/test``: about a minute per mutant on 2 cores.
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
SHARED = (".venv", ".venv-checkov", "node_modules", ".cache")
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
           "    return envs.load_platform().clusters[envs.cluster_of(env)].gitops.signing_key\n",
           "    return None\n",
           ("tests/cli/test_publish.py::test_publish_signs_the_rendered_commit_with_the_configured_key",
            "tests/cli/test_publish.py::test_a_rollback_signs_with_the_configured_key")),
    Mutant("override-ignored", "PLATE_SIGNING_KEY overrides the configured key",
           "platectl/publishing.py",
           "    if override:\n        return override\n",
           "",
           ("tests/cli/test_publish.py::test_the_override_signs_instead_and_without_it_the_configured_key_is_required",)),
    Mutant("delete-then-rename", "dist/ is never missing or partial (one exchange, not delete and rename)",
           "platectl/atomic.py",
           "    if exchange(new, target):\n",
           "    shutil.rmtree(target)\n    new.rename(target)\n    if True:\n",
           ("tests/test_crash_safety.py::test_a_kill_between_any_two_file_operations_of_the_swap",)),
    Mutant("exchange-by-renames", "the exchange is one system call",
           "platectl/atomic.py",
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


def _copy(into: Path) -> Path:
    repo = into / "repo"

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIPPED or n.startswith(".dist.")} if Path(folder) == ROOT else \
            {n for n in names if n in ("__pycache__", ".pytest_cache")}

    shutil.copytree(ROOT, repo, ignore=ignore, symlinks=True)
    for name in SHARED:
        if (ROOT / name).exists():
            (repo / name).symlink_to(ROOT / name)
    return repo


def _pytest(repo: Path, tests: tuple[str, ...]) -> tuple[int, str]:
    env = dict(os.environ, PLATE_CACHE=str(ROOT / ".cache"))
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
