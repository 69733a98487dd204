"""What the commands share: the names they accept and the errors they report as one line."""
from __future__ import annotations

import click

import envs
from envs import ConfigError, ConfigFileError

INPUT_ERRORS = (ConfigError, ConfigFileError)


def _names(kind: str) -> list[str]:
    try:
        return {"env": envs.names, "cluster": envs.cluster_names,
                "any": lambda: sorted([*envs.names(), *envs.cluster_names()])}[kind]()
    except ConfigFileError:  # reported when the command loads the configuration
        return []


def environment() -> click.Choice:
    return click.Choice(_names("env"))


def cluster() -> click.Choice:
    return click.Choice(_names("cluster"))


def cluster_or_env() -> click.Choice:
    return click.Choice(_names("any"))


def fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(1)


def table(rows: list[tuple[str, ...]], indent: str = "") -> list[str]:
    """Rows as aligned columns; the last column is left as it is (messages of any length)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return [indent + "  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), r[-1]]) for r in rows]
