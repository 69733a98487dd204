"""Helpers shared by the tests (importable as tests.helpers)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cdk8s
import yaml

from components.core import ManifestChart
from output import writer
from output.objects import Loader

ROOT = Path(__file__).resolve().parent.parent
# the environments this checkout's configuration defines (a file each): expectations that list every
# environment are derived from these, so an environment added as the README shows keeps them true
ENVIRONMENTS = sorted(p.stem for p in (ROOT / "envs" / "environments").glob("*.py"))
KNOWN_ENVIRONMENTS = ", ".join(ENVIRONMENTS)


@dataclass(frozen=True)
class Obj:
    env: str  # the owner: a cluster or an environment
    component: str
    file: str  # path relative to the render root: clusters/<c>/<component>/... or environments/<e>/...
    data: dict

    @property
    def scope(self) -> str:
        return self.file.split("/", 1)[0].removesuffix("s")

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def name(self) -> str:
        return self.data["metadata"]["name"]

    @property
    def namespace(self) -> str | None:
        return self.data["metadata"].get("namespace")


def read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def load_objects(root: Path) -> list[Obj]:
    out = []
    for file in sorted(root.rglob("*.yaml")):
        rel = file.relative_to(root)
        out.append(Obj(rel.parts[1], rel.parts[2], str(rel), yaml.load(file.read_text(), Loader=Loader)))
    return out


def find(objs: list[Obj], kind: str, name: str, env: str | None = None) -> Obj:
    hits = [o for o in objs if o.kind == kind and o.name == name and (env is None or o.env == env)]
    assert len(hits) == 1, f"expected one {kind} {name!r} in {env or 'the render'}, found {len(hits)}"
    return hits[0]


def synth_component(tmp_path: Path, build) -> dict[str, dict]:
    """Render what ``build(app)`` adds into tmp_path; return {file name: object} of that render."""
    app = cdk8s.App()
    build(app)
    charts = [c for c in app.node.find_all() if isinstance(c, ManifestChart)]
    writer.write(charts, tmp_path)
    # the values a vendored chart is rendered with (the render itself is Helm's: see tests/test_charts.py)
    for chart in charts:
        helm = getattr(chart, "info", None) and chart.info.helm
        if helm and helm.archive:
            folder = tmp_path / chart.folder
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"helm-values.{helm.chart}-{helm.version}.yaml").write_text(
                yaml.safe_dump(helm.values, sort_keys=False, width=120))
    return {str(p.relative_to(tmp_path)): yaml.safe_load(p.read_text()) for p in sorted(tmp_path.rglob("*.yaml"))
            if not p.name.startswith("helm-values.")}


def on_cluster(objs: list[Obj], platform, cluster: str) -> list[Obj]:
    """The objects of a cluster's render: its platform and every environment on it."""
    owners = {cluster, *(e.name for e in platform.environments_on(cluster))}
    return [o for o in objs if o.env in owners]
