"""The folder tree is the architecture: import-linter (pinned) holds the packages to their layers
(pyproject.toml, ``[tool.importlinter]``): the command line above the composition, above the
configuration, above the construct library and the output machinery, which know nothing of each
other; inside the library, ``meta`` under ``secrets`` under ``routing`` under ``core``."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("platectl", "composition", "envs", "components", "output")


def lint(root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root), NO_COLOR="1", COLUMNS="200")
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "pyproject.toml", root)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_the_layers_hold():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 2 kept, 0 broken." in proc.stdout


def test_an_import_against_the_layers_is_caught(tmp_path):
    root = _copy(tmp_path)
    meta = root / "components" / "meta.py"
    meta.write_text(meta.read_text() + "\nfrom output import cache  # noqa: E402,F401\n")
    routing = root / "components" / "secrets.py"
    routing.write_text(routing.read_text() + "\nfrom components import routing as _r  # noqa: E402,F401\n")
    proc = lint(root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Contracts: 0 kept, 2 broken." in proc.stdout
    assert "components.meta -> output.cache" in proc.stdout
    assert "components.secrets -> components.routing" in proc.stdout
