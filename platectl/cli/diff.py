"""`platectl diff`: what a change does to the rendered manifests, per resource."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from platectl import diffing
from platectl.cli.common import cluster_or_env
from platectl.gitutil import GitError, toplevel
from platectl.sides import SideError, finish, start


@click.command()
@click.option("--base", default="HEAD", show_default=True, help="Git ref of the old side.")
@click.option("--head", default=None, help="Git ref of the new side. Default: the working tree.")
@click.option("--env", "env_names", multiple=True, type=cluster_or_env(),
              help="Only this environment or cluster (repeatable).")
@click.option("--format", "fmt", type=click.Choice([*diffing.FORMATS, "comment"]), default="text", show_default=True,
              help="comment: markdown for a pull request, within --budget characters.")
@click.option("--budget", type=click.IntRange(min=1000), default=diffing.BUDGET, show_default=True,
              help="The comment's size limit; whole objects only, the rest is counted.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write comment.md, diff.md and diff.json there (one render for all three: CI's artifact).")
def diff(base: str, head: str | None, env_names: tuple[str, ...], fmt: str, budget: int, out_dir: Path | None) -> None:
    """Render BASE and HEAD and print added, removed and changed objects (secrets redacted). A side whose
    dist/ was rendered from exactly its inputs (its stamp, dist/.inputs.sha256) is reused, not rendered."""
    try:
        repo = toplevel(Path.cwd())
        with tempfile.TemporaryDirectory(prefix="platectl-diff-") as tmp:
            # the working tree's render (when one is needed) starts first, while the base is exported
            new_side = start(repo, head, Path(tmp) / "head")
            old_side = start(repo, base, Path(tmp) / "base")
            old, new = finish(old_side), finish(new_side)
            changes = diffing.compare_dirs(old, new, list(env_names) or None)
    except (GitError, SideError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(1) from None
    def comment() -> str:
        import envs

        return diffing.format_comment(changes, frozenset(envs.cluster_names()), budget)

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "comment.md").write_text(comment())
        (out_dir / "diff.md").write_text(diffing.format_markdown(changes))
        (out_dir / "diff.json").write_text(diffing.format_json(changes))
    click.echo(comment() if fmt == "comment" else diffing.FORMATS[fmt](changes), nl=False)
