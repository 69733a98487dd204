"""Benchmark: full render of every environment through `python main.py`.

Prints wall time (min/median/max over runs) and the peak resident memory of the whole process
tree (Python plus the jsii node processes), sampled every 5 ms from /proc.

    .venv/bin/python bench/synth.py [--runs 5]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PLATE_DIST=str(Path(tmp) / "dist"))
        env.pop("CDK8S_OUTDIR", None)
        results = [run_once([sys.executable, "main.py"], env) for _ in range(args.runs)]
        files = sum(1 for _ in (Path(tmp) / "dist").rglob("*.yaml"))
    walls = sorted(w for w, _ in results)
    peaks = [p for _, p in results]
    print(f"python main.py, every cluster and environment, {files} objects, {args.runs} runs")
    print(f"  wall   min {walls[0]:.2f} s   median {statistics.median(walls):.2f} s   max {walls[-1]:.2f} s")
    print(f"  peak RSS of the process tree   max {max(peaks) / 1024:.0f} MiB   "
          f"median {statistics.median(peaks) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
