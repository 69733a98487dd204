"""`platectl images pin`: resolve each image's tag to its digest at the registry and write it down."""
from __future__ import annotations

from pathlib import Path

import click

HELP_TARGETS = "An environment (its file's images) or 'platform' (components/versions.py); default: every one."


@click.group()
def images() -> None:
    """Image pins."""


@images.command()
@click.option("--env", "names", multiple=True, help=HELP_TARGETS)
@click.option("--insecure-registry", "insecure", multiple=True,
              help="A registry reached over plain HTTP (loopback registries are, always).")
@click.option("--dry-run", is_flag=True, help="Resolve and print; change no file.")
def pin(names: tuple[str, ...], insecure: tuple[str, ...], dry_run: bool) -> None:
    """Resolve every image's tag to the digest it names now (OCI distribution API, your Docker
    credentials) and write the digest next to the tag, where the tag is written."""
    import os

    import envs
    from platectl import images
    folder = Path(os.environ.get("PLATE_CONFIG") or envs.HERE)
    targets = list(names) or [*sorted(envs.load_platform().environments), "platform"]
    pins = [p for t in targets for p in (images.platform_pins() if t == "platform"
                                         else images.environment_pins(t, folder))]
    failed = 0
    for p in pins:
        try:
            digest = images.resolve(p.registry, p.repository, p.tag, frozenset(insecure))
        except images.PinError as exc:
            click.echo(f"error: {p.where}: {exc}", err=True)
            failed += 1
            continue
        if dry_run:
            click.echo(f"{p.where}: {p.registry}/{p.repository}:{p.tag} -> {digest}")
        elif images.write(p, digest):
            click.echo(f"{p.where}: {p.registry}/{p.repository}:{p.tag}@{digest} ({p.file.name})")
        else:
            click.echo(f"{p.where}: {p.tag} is inherited, not written in {p.file.name}: pin it where it is written "
                       f"({digest})")
    if failed:
        raise SystemExit(1)
