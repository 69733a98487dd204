"""Benchmark: what a developer waits for, on this machine, with each figure's ratio to a floor.

- warm render: `python main.py` with every chart's output cached (target: under 2.5 s on 2 cores);
- cold render: an empty cache (``PLATE_CACHE`` pointed at a new folder): Helm renders every chart
  (target: under 10 s);
- `platectl validate` of the render (target: under 5 s);
- `platectl diff --env staging` after a one-line image bump, in a clone of this repository's HEAD
  (target: under 3 s, or at most 1.2x the warm render);
- with ``--suite``: the test suite as `bin/test` runs it (target: under 4 minutes on 2 cores).

The floor is measured in the same run: Python's start-up plus reading and writing the files of one
render (what any tool producing dist/ must do at least). A figure's ratio to it moves with a
regression, not with a busy machine. Prints min/median/max over runs and the peak resident memory of
the whole process tree (Python, the jsii node processes, Helm), sampled every 5 ms from /proc.

    .venv/bin/python bench/synth.py [--runs 5] [--cold-runs 3] [--suite]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree_rss_kib(pid: int) -> int:
    """Sum of VmRSS over pid and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        p = int(entry)
        children.setdefault(int(fields["PPid"]), []).append(p)
        rss[p] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def run_once(cmd: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"render failed: {proc.stderr.read().decode()}")
    return wall, peak


FLOOR = """
import shutil, sys
from pathlib import Path
src, dst = Path(sys.argv[1]), Path(sys.argv[2])
for f in sorted(src.rglob("*")):
    if f.is_file():
        (dst / f.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
        (dst / f.relative_to(src)).write_bytes(f.read_bytes())
shutil.rmtree(dst)
"""


def _report(title: str, results: list[tuple[float, int]], target: float, floor: float | None = None) -> float:
    walls = sorted(w for w, _ in results)
    peaks = [p for _, p in results]
    median = statistics.median(walls)
    print(f"{title}, {len(results)} runs")
    ratio = f"   {median / floor:.1f}x the floor" if floor else ""
    print(f"  wall   min {walls[0]:.2f} s   median {median:.2f} s   max {walls[-1]:.2f} s{ratio}   "
          f"(target under {target:g} s: {'met' if median < target else 'MISSED'})")
    print(f"  peak RSS of the process tree   max {max(peaks) / 1024:.0f} MiB   "
          f"median {statistics.median(peaks) / 1024:.0f} MiB")
    return median


def _diff_runs(tmp: Path, env: dict, runs: int) -> list[tuple[float, int]]:
    """`platectl diff --env staging` after a one-line image bump in a clone of HEAD (its committed dist/)."""
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    staging = clone / "envs" / "environments" / "staging.py"
    text = staging.read_text()
    bumped = text.replace('"web": {"image": {"tag": "1.5.0-rc.2"}}', '"web": {"image": {"tag": "1.5.0-rc.3"}}')
    if bumped == text:
        sys.exit("bench: staging's web image line moved; update bench/synth.py's one-line bump")
    staging.write_text(bumped)
    cmd = [str(Path(sys.executable).parent / "platectl"), "diff", "--env", "staging"]
    diff_env = {k: v for k, v in env.items() if k != "PLATE_DIST"}
    diff_env["PLATE_CACHE"] = str(ROOT / ".cache")  # the warm chart cache, as a developer's checkout has
    return [run_once(cmd, diff_env, cwd=clone) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--suite", action="store_true", help="also run the test suite once (minutes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp) / "dist"
        env = dict(os.environ, PLATE_DIST=str(dist))
        env.pop("CDK8S_OUTDIR", None)
        env.pop("PLATE_CACHE", None)
        run_once([sys.executable, "main.py"], env)  # fills the cache: the warm runs measure hits only
        floor = [run_once([sys.executable, "-c", FLOOR, str(dist), str(Path(tmp) / "copy")], env)
                 for _ in range(args.runs)]
        warm = [run_once([sys.executable, "main.py"], env) for _ in range(args.runs)]
        files = sum(1 for _ in dist.rglob("*.yaml"))
        cold = []
        for i in range(args.cold_runs):
            cold_env = dict(env, PLATE_CACHE=str(Path(tmp) / f"cache-{i}"))
            cold.append(run_once([sys.executable, "main.py"], cold_env))
        validate = [run_once([str(Path(sys.executable).parent / "platectl"), "validate", "--dist", str(dist)], env)
                    for _ in range(max(1, args.runs // 2))]
        diffs = _diff_runs(Path(tmp), env, max(1, args.runs // 2))
        suite = []
        if args.suite:
            suite_env = {k: v for k, v in env.items() if k != "PLATE_DIST"}
            suite.append(run_once([str(ROOT / "bin" / "test"), "-q", "-p", "no:cacheprovider"], suite_env))
    print(f"python main.py, every cluster and environment, {files} objects")
    base = _report(f"floor: Python start-up, reading and writing the render's {files} files", floor, 1)
    one = _report("warm render (every chart's output cached)", warm, 2.5, base)
    _report("cold render (empty cache: Helm renders every chart)", cold, 10, base)
    _report(f"platectl validate of the render ({files} objects)", validate, 5, base)
    diff = _report("platectl diff --env staging after a one-line image bump", diffs, 3, base)
    print(f"  diff / warm render: {diff / one:.2f} (target at most 1.2, or under 3 s)")
    if suite:
        _report("the test suite (bin/test -q)", suite, 240, base)


if __name__ == "__main__":
    main()
