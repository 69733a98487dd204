"""Publish a render to the rendered branch, and roll it back, with real git and no force.

Every operation works in a temporary git worktree (the user's checkout is never touched),
pushes branch and tag atomically, and never rewrites history: a rejected push means someone
else published first, and nothing changes.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from platectl import diffing, render
from platectl.gitutil import GitError, current_branch, git, is_dirty, resolve, toplevel

TAG = "publish/{env}/{n}"


@dataclass(frozen=True)
class Result:
    status: str  # published | unchanged | dry-run | rolled-back
    message: str
    changes: tuple[diffing.Change, ...] = ()


def _remote_branch_exists(repo: Path, remote: str, branch: str) -> bool:
    if remote not in git("remote", cwd=repo).split():
        raise GitError(f"no remote {remote!r} in {repo}")
    return bool(git("ls-remote", "--heads", remote, branch, cwd=repo))


def _fetch(repo: Path, remote: str, branch: str) -> bool:
    exists = _remote_branch_exists(repo, remote, branch)
    refspecs = ["+refs/tags/publish/*:refs/tags/publish/*"]
    if exists:
        refspecs.insert(0, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    git("fetch", "--quiet", remote, *refspecs, cwd=repo)
    return exists


def publish_tags(repo: Path, env: str) -> list[tuple[int, str]]:
    """(n, tag) of every publish of ``env``, oldest first."""
    tags = git("tag", "--list", f"publish/{env}/*", cwd=repo).split()
    numbered = [(int(m.group(1)), t) for t in tags if (m := re.fullmatch(rf"publish/{re.escape(env)}/(\d+)", t))]
    return sorted(numbered)


@contextmanager
def _worktree(repo: Path, start: str | None):
    """A detached worktree at ``start`` (None: an empty orphan), removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="platectl-publish-"))
    wt = tmp / "rendered"
    try:
        if start:
            git("worktree", "add", "--quiet", "--detach", str(wt), start, cwd=repo)
        else:
            git("worktree", "add", "--quiet", "--detach", str(wt), cwd=repo)
            git("checkout", "--quiet", "--orphan", f"platectl-orphan-{tmp.name}", cwd=wt)
            git("rm", "-rfq", "--cached", ".", cwd=wt, check=False)
            for child in wt.iterdir():
                if child.name != ".git":
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        yield wt
    finally:
        git("worktree", "remove", "--force", str(wt), cwd=repo, check=False)
        if not start:
            git("branch", "-D", f"platectl-orphan-{tmp.name}", cwd=repo, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _push(wt: Path, remote: str, branch: str, tag: str | None) -> None:
    refs = [f"HEAD:refs/heads/{branch}"] + ([f"refs/tags/{tag}"] if tag else [])
    proc = git("push", "--atomic", "--porcelain", remote, *refs, cwd=wt, check=False)
    rejected = "[rejected]" in proc or "! " in proc or "error:" in proc
    if rejected or not re.search(rf"refs/heads/{re.escape(branch)}", proc):
        if tag:
            git("tag", "-d", tag, cwd=wt, check=False)
        raise GitError(f"push rejected: {remote}/{branch} moved since this command started (someone else "
                       "published first). Nothing was changed; run the same command again to publish on top of it.")


def tree_differences(a: Path, b: Path) -> list[str]:
    """Relative paths of files that differ between two folders (missing on one side included)."""
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    left, right = files(a), files(b)
    return sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


def publish(env: str, *, repo: Path, branch: str, remote: str = "origin", dry_run: bool = False,
            confirm: Callable[[str], bool] = lambda _: True,
            before_push: Callable[[], None] | None = None) -> Result:
    repo = toplevel(repo)
    dirty = is_dirty(repo)
    if dirty:
        listed = "\n".join(f"  {line}" for line in dirty[:5])
        raise GitError(f"the source tree is dirty ({len(dirty)} changes); commit or stash them first:\n{listed}")
    source_branch = current_branch(repo)
    if source_branch is None:
        raise GitError("HEAD is detached: check out the branch you publish from (the publish records it)")
    if git("check-ref-format", "--branch", branch, cwd=repo, check=False) != branch:
        raise GitError(f"{branch!r} is not a valid branch name")
    head = resolve(repo, "HEAD")
    subject = git("log", "-1", "--format=%s", head, cwd=repo)
    with tempfile.TemporaryDirectory(prefix="platectl-render-") as tmp:
        fresh = Path(tmp) / "dist"
        render.synth(fresh, names=[env], warn=lambda _: None)
        stale = tree_differences(repo / "dist" / env, fresh / env)
        if stale:
            raise GitError(f"the committed dist/ is stale for {env} ({len(stale)} files differ, first: "
                           f"dist/{env}/{stale[0]}); run bin/render and commit first")
        exists = _fetch(repo, remote, branch)
        with _worktree(repo, f"refs/remotes/{remote}/{branch}" if exists else None) as wt:
            target = wt / "dist" / env
            before = Path(tmp) / "before"
            if target.exists():
                shutil.copytree(target, before / env)
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(fresh / env, target)
            changes = tuple(diffing.compare_dirs(before, fresh, [env]))
            git("add", "-A", "--", f"dist/{env}", cwd=wt)
            if not git("status", "--porcelain", "--", f"dist/{env}", cwd=wt):
                return Result("unchanged", f"nothing to publish: {remote}/{branch} already holds this render of {env}")
            if dry_run:
                return Result("dry-run", f"dry run: {len(changes)} objects would change on {remote}/{branch}; "
                                         "nothing was committed or pushed", changes)
            if not confirm(f"Publish {env} from {head[:12]} to {remote}/{branch}?"):
                raise GitError("publish cancelled; nothing was changed")
            n = (publish_tags(repo, env) or [(0, "")])[-1][0] + 1
            tag = TAG.format(env=env, n=n)
            message = (f"publish {env} from {head[:12]}: {subject}\n\n"
                       f"Source-Commit: {head}\nSource-Branch: {source_branch}\nEnvironment: {env}\n")
            git("commit", "--quiet", "-m", message, cwd=wt)
            git("tag", "-a", tag, "-m", f"publish {env} #{n} from {head}", cwd=wt)
            if before_push:
                before_push()
            _push(wt, remote, branch, tag)
            commit = git("rev-parse", "HEAD", cwd=wt)
    return Result("published", f"published {env} from {head[:12]} as {tag} ({remote}/{branch} at {commit[:12]})",
                  changes)


def rollback(env: str, *, repo: Path, branch: str, remote: str = "origin", to: str | None = None,
             confirm: Callable[[str], bool] = lambda _: True) -> Result:
    repo = toplevel(repo)
    if not _fetch(repo, remote, branch):
        raise GitError(f"no branch {branch!r} on {remote}: nothing has been published, nothing to roll back")
    tip = f"refs/remotes/{remote}/{branch}"
    path = f"dist/{env}"

    def tree(ref: str) -> str:
        return git("rev-parse", "--verify", "--quiet", f"{ref}:{path}", cwd=repo, check=False)

    if to is not None:
        target_commit = resolve(repo, to)
        label = to
        if not tree(target_commit):
            raise GitError(f"{to!r} holds no render of {env} ({path} is missing there)")
    else:
        current = tree(tip)
        earlier = [t for _, t in reversed(publish_tags(repo, env)) if tree(t) and tree(t) != current]
        if not earlier:
            raise GitError(f"no earlier publish of {env} to roll back to")
        label, target_commit = earlier[0], resolve(repo, earlier[0])
    if tree(target_commit) == tree(tip):
        return Result("unchanged", f"nothing to roll back: {remote}/{branch} already holds {label} for {env}")
    if not confirm(f"Roll {env} on {remote}/{branch} back to {label}?"):
        raise GitError("rollback cancelled; nothing was changed")
    with _worktree(repo, tip) as wt:
        git("rm", "-rq", "--", path, cwd=wt, check=False)
        git("checkout", target_commit, "--", path, cwd=wt)
        git("add", "-A", "--", path, cwd=wt)
        git("commit", "--quiet", "-m", f"rollback {env} to {label}\n\nRollback-To: {target_commit}\nEnvironment: {env}\n",
            cwd=wt)
        _push(wt, remote, branch, None)
        commit = git("rev-parse", "HEAD", cwd=wt)
    return Result("rolled-back", f"rolled {env} back to {label} ({remote}/{branch} at {commit[:12]})")
