"""Reading configuration files: Python modules that define one dict, ``OVERLAY``.

A configuration folder holds ``base.py`` (``CLUSTER`` and ``ENVIRONMENT``: what every cluster and
every environment shares), ``clusters/<name>.py`` and ``environments/<name>.py`` (each an
``OVERLAY`` of what differs). Every Python error in such a file (syntax, an unknown name, a
missing ``OVERLAY``, a key given twice in one dict literal, which Python would keep silently) is
reported as one line naming the file and the line, never as a traceback.
"""
from __future__ import annotations

import ast
import copy
import traceback
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent


class ConfigFileError(Exception):
    """A configuration file that Python cannot run, or that is not shaped as a configuration."""

    def __init__(self, path: str, line: int | None, problem: str):
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):
        return ConfigFileError, (self.path, self.line, self.problem)


def shown(path: Path) -> str:
    """The path as a user reads it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _duplicate_keys(tree: ast.AST, path: Path) -> None:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        seen: dict[object, int] = {}
        for key in node.keys:
            if isinstance(key, ast.Constant):
                if key.value in seen:
                    raise ConfigFileError(shown(path), key.lineno,
                                          f"key {key.value!r} is given twice in one dict (first on line "
                                          f"{seen[key.value]}); Python would keep the last one silently")
                seen[key.value] = key.lineno


def run_file(path: Path, names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Run a configuration file; return the dicts it must define (``names``)."""
    where = shown(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigFileError(where, None, f"cannot read it: {exc.strerror}") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise ConfigFileError(where, exc.lineno, f"syntax error: {exc.msg}") from None
    _duplicate_keys(tree, path)
    namespace: dict[str, Any] = {"__file__": str(path), "__name__": f"plate_config.{path.stem}"}
    try:
        exec(compile(tree, str(path), "exec"), namespace)  # noqa: S102 - configuration is code, by design
    except SystemExit as exc:  # a configuration file only defines data: it does not end the render
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else None
        raise ConfigFileError(where, line, f"calls sys.exit({exc.code!r}): a configuration file defines settings, "
                                           "it does not end the render") from None
    except Exception as exc:  # any error the file raises is the user's to fix: name its line
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        line = frames[-1].lineno if frames else None
        raise ConfigFileError(where, line, f"{type(exc).__name__}: {exc}") from None
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name not in namespace:
            raise ConfigFileError(where, None, f"defines no {name} (a dict of settings)")
        if not isinstance(namespace[name], dict):
            raise ConfigFileError(where, None, f"{name} must be a dict (got {type(namespace[name]).__name__})")
        out[name] = copy.deepcopy(namespace[name])
    return out


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Overlay wins; dicts merge recursively; lists and scalars are replaced whole; None removes a key."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            below: dict[str, Any] = merged[key] if isinstance(merged.get(key), dict) else {}
            merged[key] = deep_merge(below, cast(dict[str, Any], value))
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_folder(root: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(cluster base, environment base, cluster overlays, environment overlays) of a configuration folder.

    A folder without ``base.py`` uses the project's (``envs/base.py``).
    """
    base_file = root / "base.py"
    if not base_file.exists():
        base_file = Path(__file__).resolve().parent / "base.py"
    base = run_file(base_file, ("CLUSTER", "ENVIRONMENT"))
    clusters = {p.stem: run_file(p, ("OVERLAY",))["OVERLAY"] for p in sorted((root / "clusters").glob("*.py"))}
    environments = {p.stem: run_file(p, ("OVERLAY",))["OVERLAY"]
                    for p in sorted((root / "environments").glob("*.py"))}
    return base["CLUSTER"], base["ENVIRONMENT"], clusters, environments
