"""Shared fixtures: one fresh render per session, object lookup by kind and name, golden files."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import cdk8s
import pytest

import envs
from components.core import ComponentInfo
from composition import compose_cluster
from platectl import render, schemas
from tests.helpers import Obj, load_objects, read_tree, synth_component

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden from the current code (read the diff before committing)")


@pytest.fixture(scope="session", autouse=True)
def private_tmpdir(tmp_path_factory):
    """A temporary folder of this test session's own: what other runs left in /tmp (a killed publish's
    scratch folder, which the next publish removes and reports) cannot reach these tests."""
    import tempfile

    folder = tmp_path_factory.mktemp("tmpdir")
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None
    yield folder
    if previous is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = previous
    tempfile.tempdir = None


@pytest.fixture(scope="session")
def signing_home(tmp_path_factory):
    """A signing key made for this test session in its own GnuPG home: (fingerprint, GNUPGHOME)."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                    "Test release <release@test.example>", "ed25519", "sign", "1d"], env=env, check=True,
                   capture_output=True)
    listing = subprocess.run(["gpg", "--list-keys", "--with-colons"], env=env, check=True, capture_output=True,
                             text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    yield fingerprint, home
    subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False, capture_output=True)  # its agent


@pytest.fixture(scope="session")
def fresh_render(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "dist"
    render.synth(out)
    return out


@pytest.fixture(scope="session")
def layout_render(tmp_path_factory) -> Path:
    """examples/cluster-per-environment rendered once per session (the configuration restored after)."""
    envs.use_config(Path(__file__).resolve().parent.parent / "examples" / "cluster-per-environment")
    try:
        out = tmp_path_factory.mktemp("layout") / "dist"
        render.synth(out, warn=lambda _: None)
        return out
    finally:
        envs.use_config()


@pytest.fixture(scope="session")
def objects(fresh_render) -> list[Obj]:
    return load_objects(fresh_render)


@pytest.fixture(scope="session")
def platform() -> envs.Platform:
    return envs.load_platform()


@pytest.fixture(scope="session")
def infos(tmp_path_factory, platform) -> dict[str, dict[tuple[str, str], ComponentInfo]]:
    """Per cluster, what its composition declares about each component, keyed (owner, component)."""
    out = {}
    for name in platform.clusters:
        app = cdk8s.App(outdir=str(tmp_path_factory.mktemp(f"infos-{name}")))
        out[name] = {(u.name, c.info.name): c.info for u in compose_cluster(app, platform, name) for c in u.components}
    return out


def _tool(name: str, package: str) -> str:
    """Path of a Debian-packaged checker; CI must have it (bin/test installs it), elsewhere its tests skip."""
    tool = shutil.which(name)
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI: bin/test must install Debian's {package} package")
        pytest.skip(f"{name} not installed (apt-get install {package}); CI installs it")
    return tool


@pytest.fixture(scope="session")
def promtool() -> str:
    return _tool("promtool", "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _tool("amtool", "prometheus-alertmanager")


@pytest.fixture(scope="session")
def crd_dir() -> Path:
    if not schemas.CRD_DIR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CRD schemas missing in CI at {schemas.CRD_DIR}: CI clones beside ../shared")
        pytest.skip(f"CRD schemas not found at {schemas.CRD_DIR} (../shared/crds); set PLATE_SHARED_CRDS")
    return schemas.CRD_DIR


@pytest.fixture
def golden(request, tmp_path):
    """``golden(name, build)``: render ``build`` and compare byte-for-byte with tests/golden/<name>/."""
    update = request.config.getoption("--update-golden")

    def check(name: str, build) -> dict[str, dict]:
        objs = synth_component(tmp_path / name, build)
        got = read_tree(tmp_path / name)
        folder = GOLDEN / name
        if update:
            if folder.exists():
                for f in folder.rglob("*"):
                    if f.is_file():
                        f.unlink()
            for rel, content in got.items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                (folder / rel).write_bytes(content)
        want = read_tree(folder) if folder.exists() else {}
        assert sorted(got) == sorted(want), f"golden {name}: files differ (run bin/update-golden and read the diff)"
        changed = [rel for rel in got if got[rel] != want[rel]]
        assert not changed, f"golden {name}: content differs in {changed} (run bin/update-golden and read the diff)"
        return objs

    return check



@pytest.fixture
def synth(tmp_path):
    """``synth(build)``: render what ``build(app)`` adds; return {file: object}."""
    counter = iter(range(1000))
    return lambda build: synth_component(tmp_path / f"synth-{next(counter)}", build)
