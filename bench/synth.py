"""Benchmark: full render of every environment through `python main.py`, warm and cold.

Warm: the Helm cache (``.cache/helm``) holds every chart's output, as after any earlier render;
targets: under 3 s on 2 cores. Cold: an empty cache (``PLATE_CACHE`` pointed at a new folder), so
every chart is rendered by Helm and serialised again; target: under 20 s. Then `platectl validate`
of the render (target: under 10 s). Prints wall time (min/median/max over runs) and the peak
resident memory of the whole process tree (Python, the jsii node processes, Helm), sampled every
5 ms from /proc.

    .venv/bin/python bench/synth.py [--runs 5] [--cold-runs 3]
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


def run_once(cmd: list[str], env: dict) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.005)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"render failed: {proc.stderr.read().decode()}")
    return wall, peak


def _report(title: str, results: list[tuple[float, int]], target: float) -> None:
    walls = sorted(w for w, _ in results)
    peaks = [p for _, p in results]
    median = statistics.median(walls)
    print(f"{title}, {len(results)} runs")
    print(f"  wall   min {walls[0]:.2f} s   median {median:.2f} s   max {walls[-1]:.2f} s   "
          f"(target under {target:.0f} s: {'met' if median < target else 'MISSED'})")
    print(f"  peak RSS of the process tree   max {max(peaks) / 1024:.0f} MiB   "
          f"median {statistics.median(peaks) / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dist = Path(tmp) / "dist"
        env = dict(os.environ, PLATE_DIST=str(dist))
        env.pop("CDK8S_OUTDIR", None)
        env.pop("PLATE_CACHE", None)
        run_once([sys.executable, "main.py"], env)  # fills the cache: the warm runs measure hits only
        warm = [run_once([sys.executable, "main.py"], env) for _ in range(args.runs)]
        files = sum(1 for _ in dist.rglob("*.yaml"))
        cold = []
        for i in range(args.cold_runs):
            cold_env = dict(env, PLATE_CACHE=str(Path(tmp) / f"cache-{i}"))
            cold.append(run_once([sys.executable, "main.py"], cold_env))
        validate = [run_once([str(Path(sys.executable).parent / "platectl"), "validate", "--dist", str(dist)], env)
                    for _ in range(max(1, args.runs // 2))]
    print(f"python main.py, every cluster and environment, {files} objects")
    _report("warm (every chart's output cached)", warm, 3)
    _report("cold (empty cache: Helm renders every chart)", cold, 20)
    _report(f"platectl validate of the render ({files} objects)", validate, 10)


if __name__ == "__main__":
    main()
