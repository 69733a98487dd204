"""Scale benchmark: 50 applications in 10 environments, two per cluster (about 5,000 objects).

    .venv/bin/python -m bench.scale [--envs 10] [--apps 50] [--runs 3]

Prints the render's wall time and peak memory (whole process tree), the floor (the same objects
dumped by PyYAML's C dumper), their ratio, the cost of one environment against all of them
(linearity), and the time `diff` takes between two renders of the scale platform.
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

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXTRA = "bench.scale:extra_services"
BASE_APPS = 5  # the Plate services every environment has


ENVS_PER_CLUSTER = 2  # as the shipped platform: staging and production share a cluster


def platform(count: int, tag: str = "2.0.0"):
    """``count`` environments like staging, two per cluster like the shipped one, each with its own names."""
    import envs
    from envs import conventions

    clusters, environments = {}, {}
    for i in range(count):
        c = f"scale-c{i // ENVS_PER_CLUSTER:02d}"
        if c not in clusters:
            data = envs.deep_merge(envs.CLUSTER_BASE, envs.CLUSTERS["shared"])
            data["domain"] = f"{c}.cocdev.co.kr"
            clusters[c] = envs.validate_cluster(c, conventions.cluster(c, data), production=True)
        name = f"scale-{i:02d}"
        data = envs.deep_merge(envs.raw("staging"), {})
        for identity in (*envs.IDENTITY, "name"):
            data.pop(identity, None)
        data["cluster"] = c
        data["secrets"] = {"refresh_interval": data["secrets"]["refresh_interval"]}
        data["routes"]["llm"]["host"] = f"llm.{name}.{c}.cocdev.co.kr"
        data["routes"]["app"].pop("host")
        for service in data["services"].values():
            service.pop("secrets_path")
            if service["kind"] != "cache":
                service["image"] = {"repository": service["image"]["repository"].rpartition("/")[2], "tag": tag}
        raw = conventions.environment(name, data, envs.raw_cluster("shared") | {"domain": f"{c}.cocdev.co.kr",
                                                                             "hosts": clusters[c].hosts.model_dump()})
        environments[name] = envs.validate(name, raw, clusters[c])
    return envs.Platform(clusters, environments)


def extra_services(scope, ctx):
    """The rest of the 50 applications: PlateServices with their own config, secret and policies."""
    from components.network import NamespacePeer
    from components.plate.server import PlateServer, PlateServerProps

    env, server = ctx.env, ctx.env.services["server"]
    apps = int(os.environ.get("PLATE_SCALE_APPS", "50"))
    built = []
    for j in range(apps - BASE_APPS):
        name = f"svc-{j:02d}"
        built.append(PlateServer(scope, PlateServerProps(
            name=name, namespace=env.namespace, image=server.image, replicas=2,
            resources=server.resources, secret_store=ctx.store(env.namespace),
            secrets_path=f"{env.secrets.path_prefix}/{name}", hardening=ctx.hardening,
            config={"SERVICE": name, "LOG_LEVEL": "info"},
            ingress_from=(NamespacePeer(namespace=ctx.cluster.edge.namespace, port=8080),))))
    return built


def render(out: Path, count: int, tag: str = "2.0.0") -> None:
    from platectl import render as r

    r.synth(out, platform=platform(count, tag), extra=EXTRA, warn=lambda _: None)


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
