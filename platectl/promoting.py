"""Moving images between environments by editing their configuration files, as a person would.

``set_image`` rewrites one service's image tag where the environment's file writes it (the literal
only: comments, layout and every other line stay as they are). ``promote`` copies the images that
staging runs into production's file on a new branch and commit, after checking in Argo CD that staging
is Synced and Healthy at its newest publish, and records where they came from in the commit.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

import envs
from platectl.gitutil import GitError, git, is_dirty, toplevel

TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")  # what a registry accepts as a tag


class PromoteError(Exception):
    pass


def config_folder(repo: Path | None = None) -> Path:
    """PLATE_CONFIG, else the configuration of the checkout the command runs in (its envs/)."""
    import os

    if os.environ.get("PLATE_CONFIG"):
        return Path(os.environ["PLATE_CONFIG"])
    return (repo / "envs") if repo is not None and (repo / "envs").is_dir() else envs.HERE


def environment_file(env: str, repo: Path | None = None) -> Path:
    path = config_folder(repo) / "environments" / f"{env}.py"
    if not path.is_file():
        raise PromoteError(f"environment {env!r}: no file {path}")
    return path


def _literal(tree: ast.Module, path: list[str]) -> ast.Constant | None:
    """The string literal at ``path`` (keys of nested dict literals) in the file's OVERLAY or ENVIRONMENT."""
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign)
                                                                        else None)
        if not (isinstance(target, ast.Name) and target.id in ("OVERLAY", "ENVIRONMENT")):
            continue
        current = node.value
        for key in path:
            if not isinstance(current, ast.Dict):
                return None
            current = next((v for k, v in zip(current.keys, current.values, strict=True)
                            if isinstance(k, ast.Constant) and k.value == key), None)
            if current is None:
                return None
        return current if isinstance(current, ast.Constant) and isinstance(current.value, str) else None
    return None


def set_image(env: str, service: str, tag: str, repo: Path | None = None) -> tuple[str, str]:
    """Rewrite ``services.<service>.image.tag`` in the environment's file; returns (old tag, new tag)."""
    if not TAG.match(tag):
        raise PromoteError(f"environment {env!r}, service {service!r}: {tag!r} is not an image tag")
    path = environment_file(env, repo)
    text = path.read_text()
    node = _literal(ast.parse(text), ["services", service, "image", "tag"])
    if node is None:
        raise PromoteError(f"environment {env!r}, service {service!r}: {path} writes no image tag for it "
                           f"(services.{service}.image.tag); add the line once, by hand")
    lines = text.encode().split(b"\n")
    assert node.end_lineno == node.lineno and node.end_col_offset is not None, "a tag literal spans one line"
    line = lines[node.lineno - 1]
    lines[node.lineno - 1] = line[:node.col_offset] + json.dumps(tag).encode() + line[node.end_col_offset:]
    old = str(node.value)
    path.write_text(b"\n".join(lines).decode())
    try:  # the edited file must still be a valid configuration
        envs.use_config(config_folder(repo))
        envs.load_platform()
    except Exception:
        path.write_text(text)
        envs.use_config(config_folder(repo))
        raise
    return old, tag


@dataclass(frozen=True)
class Promotion:
    branch: str
    commit: str
    changed: dict[str, tuple[str, str]]  # service -> (old, new)
    diff: str


def staging_is_verified(env: str, revision: str, states) -> list[str]:
    """What stops ``env`` from counting as verified: Applications not Synced and Healthy at ``revision``."""
    problems = [f"{s.name}: {s.sync}/{s.health} at {s.revisions[0][:12] if s.revisions else '-'}" for s in states
                if not (s.sync == "Synced" and s.health == "Healthy" and revision in s.revisions)]
    if not states:
        problems.append(f"no Application of {env} found")
    return problems


def promote(source: str, target: str, *, repo: Path, services: tuple[str, ...], states, release, running: str,
            force: str | None) -> Promotion:
    """Copy ``source``'s image tags of ``services`` (default: every service both run) into ``target``'s
    file, on a new branch, one commit. ``states``: the source's Applications as Argo CD reports them;
    ``release``: its newest publish or rollback (publishing.Release)."""
    repo = toplevel(repo)
    dirty = is_dirty(repo)
    if dirty:
        raise GitError(f"the source tree is dirty ({len(dirty)} changes); commit or stash them first")
    problems = staging_is_verified(source, release.commit, states)
    if problems and not force:
        raise PromoteError(f"{source} is not verified at {release.tag} ({release.commit[:12]}): "
                           + "; ".join(problems[:3]) + (" ..." if len(problems) > 3 else "")
                           + " (wait for it, or --force REASON, which the commit records)")
    envs.use_config(config_folder(repo))
    platform = envs.load_platform()
    src, dst = platform.environments[source], platform.environments[target]
    chosen = services or tuple(sorted(set(src.services) & set(dst.services)))
    unknown = [s for s in chosen if s not in src.services or s not in dst.services]
    if unknown:
        raise PromoteError(f"{unknown[0]!r} is not a service of both {source} and {target}")
    n = release.tag.rsplit("/", 1)[-1]
    branch = f"promote/{source}-{n}-to-{target}"
    git("switch", "--quiet", "-c", branch, cwd=repo)
    changed: dict[str, tuple[str, str]] = {}
    for service in chosen:
        tag = src.services[service].image.tag
        current = dst.services[service].image.tag
        if tag and tag != current:
            changed[service] = set_image(target, service, tag, repo)
    if not changed:
        git("switch", "--quiet", "-", cwd=repo)
        git("branch", "--quiet", "-D", branch, cwd=repo)
        raise PromoteError(f"{target} already runs {source}'s images of {', '.join(chosen)}: nothing to promote")
    from platectl import render

    render.synth(repo / "dist", warn=lambda _: None)  # the change and its render: one reviewable commit
    git("add", "--", str(environment_file(target, repo)), "dist", cwd=repo)
    body = "\n".join(f"- {s}: {old} -> {new}" for s, (old, new) in sorted(changed.items()))
    message = (f"promote {source} to {target}: {', '.join(sorted(changed))}\n\n{body}\n\n"
               f"Promoted-From: {release.tag}\nPromoted-Source-Commit: {running}\n"
               f"Promoted-Rendered-Commit: {release.commit}\n"
               + (f"Promotion-Forced: {force.strip()}\n" if force else ""))
    git("commit", "--quiet", "-m", message, cwd=repo)
    diff = git("show", "--format=", "HEAD", cwd=repo, strip=False)
    return Promotion(branch, git("rev-parse", "HEAD", cwd=repo), changed, diff)
