"""Scale benchmark: 50 applications in 10 environments (about 5,000 objects).

    .venv/bin/python -m bench.scale [--envs 10] [--apps 50] [--runs 3]

Prints the render's wall time and peak memory (whole process tree), the floor (the same objects
dumped by PyYAML's C dumper), their ratio, the cost of one environment against all of them
(linearity), and the time `diff` takes between two renders of the scale platform.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXTRA = "bench.scale:extra_services"
BASE_APPS = 5  # the Plate services every environment has


def environments(count: int, tag: str = "2.0.0"):
    import envs

    out = []
    for i in range(count):
        data = copy.deepcopy(envs.raw("staging"))
        name, domain = f"scale-{i:02d}", f"scale{i:02d}.plate.example.com"
        data.update(name=name, namespace=f"plate-scale-{i:02d}", domain=domain)
        data["hosts"] = {k: f"{k}.{domain}" for k in data["hosts"]}
        data["secrets"]["path_prefix"] = f"plate/{name}"
        data["secrets"]["registry_pull_path"] = f"plate/{name}/registry"
        for app_name, app in data["apps"].items():
            app["secrets_path"] = f"plate/{name}/{app_name}"
            if "image" in app and app_name != "cache":
                app["image"]["tag"] = tag
        for section, field in (("jenkins", "admin_credentials_path"), ("harbor", "secrets_path"),
                               ("grafana", "admin_credentials_path")):
            data[section][field] = f"plate/{name}/{section}"
        out.append(envs.validate(name, data))
    return out


def extra_services(scope, ctx):
    """The rest of the 50 applications: PlateServices with their own config, secret and policies."""
    from components.network import Peer
    from components.plate.server import PlateServer, PlateServerProps

    env = ctx.env
    apps = int(os.environ.get("PLATE_SCALE_APPS", "50"))
    built = []
    for j in range(apps - BASE_APPS):
        name = f"svc-{j:02d}"
        built.append(PlateServer(scope, PlateServerProps(
            name=name, namespace=env.namespace, image=env.apps.server.image, replicas=2,
            resources=env.apps.server.resources, secret_store=ctx.store(env.namespace),
            secrets_path=f"{env.secrets.path_prefix}/{name}", hardening=ctx.hardening,
            config={"SERVICE": name, "LOG_LEVEL": "info"},
            ingress_from=(Peer(namespace=env.ingress_controller.namespace, port=8080),))))
    return built


def render(out: Path, count: int, tag: str = "2.0.0") -> None:
    from platectl import render as r

    r.synth(out, environments=environments(count, tag), extra=EXTRA, warn=lambda _: None)


def _timed_child(args: list[str], env: dict) -> tuple[float, int]:
    from bench.synth import tree_rss_kib

    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.scale", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.01)
    if proc.returncode:
        sys.exit(proc.stderr.read().decode())
    return time.perf_counter() - start, peak


def floor(out: Path) -> float:
    docs = [(p, yaml.load(p.read_text(), Loader=yaml.CSafeLoader)) for p in sorted(out.rglob("*.yaml"))]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i, (_, doc) in enumerate(docs):
            Path(tmp, f"{i}.yaml").write_text(yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", type=int, default=10)
    parser.add_argument("--apps", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--render-only", metavar="OUT", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="2.0.0", help=argparse.SUPPRESS)
    args = parser.parse_args()
    env = dict(os.environ, PLATE_SCALE_APPS=str(args.apps))
    os.environ.update(PLATE_SCALE_APPS=str(args.apps))
    if args.render_only:
        render(Path(args.render_only), args.envs, args.tag)
        return
    with tempfile.TemporaryDirectory() as tmp:
        full = [_timed_child(["--envs", str(args.envs), "--apps", str(args.apps), "--render-only", f"{tmp}/a{i}"], env)
                for i in range(args.runs)]
        one = [_timed_child(["--envs", "1", "--apps", str(args.apps), "--render-only", f"{tmp}/one{i}"], env)
               for i in range(args.runs)]
        objects = sum(1 for _ in Path(tmp, "a0").rglob("*.yaml"))
        base = floor(Path(tmp, "a0"))
        _timed_child(["--envs", str(args.envs), "--apps", str(args.apps), "--render-only", f"{tmp}/b", "--tag", "2.0.1"],
                     env)
        from platectl import diffing

        start = time.perf_counter()
        changes = diffing.compare_dirs(Path(tmp, "a0"), Path(tmp, "b"))
        diffing.format_text(changes)
        diff_s = time.perf_counter() - start
    wall = statistics.median(w for w, _ in full)
    wall_one = statistics.median(w for w, _ in one)
    print(f"scale platform: {args.apps} applications x {args.envs} environments = {objects} objects, "
          f"{args.runs} runs, {os.cpu_count()} cores")
    print(f"  render wall   median {wall:.2f} s (min {min(w for w, _ in full):.2f}, max {max(w for w, _ in full):.2f})")
    print(f"  peak RSS      {max(p for _, p in full) / 1024:.0f} MiB (whole process tree)")
    print(f"  floor         {base:.2f} s (PyYAML C dumper, same objects); render / floor = {wall / base:.1f}x")
    print(f"  one env       median {wall_one:.2f} s; {args.envs} envs / 1 env = {wall / wall_one:.1f}x")
    print(f"  diff          {diff_s:.2f} s between two scale renders ({len(changes)} changed objects)")


if __name__ == "__main__":
    main()
