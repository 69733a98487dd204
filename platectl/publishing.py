"""Publish a render to the rendered branch, and roll it back, with real git and no force.

Commits are built with git's plumbing in a private index file (the user's checkout, index and
branches are never touched, and no worktree exists to be left behind). Branch and tag move in
one ``git push --atomic``; the tag exists locally only once the remote has accepted it. The
remote is the truth: publish numbers and rollback targets come from its tags, and a local
publish tag the remote does not hold is pruned on every fetch.

A push the remote refuses is an error carrying the remote's reason. When the branch moved
because another environment was published meanwhile, the publish is rebuilt on the new tip and
pushed again; when this environment itself was published meanwhile, it stops and says so rather
than overwrite a release it has not seen.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import envs
from output import atomic
from platectl import diffing, render
from platectl.gitutil import GitError, current_branch, git, is_dirty, resolve, run, toplevel
from platectl.interrupts import alive

TAG = "publish/{env}/{n}"
TEMP_PREFIX = "platectl-publish-"
ATTEMPTS = 3
Say = Callable[[str], None]


@dataclass(frozen=True)
class Result:
    status: str  # published | unchanged | dry-run | rolled-back
    message: str
    changes: tuple[diffing.Change, ...] = ()


class PushRefused(GitError):
    """The remote refused the push; ``retryable`` when only because it moved meanwhile."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def clean_interrupted(repo: Path) -> list[str]:
    """Remove what interrupted runs left: temporary folders and worktrees of dead processes."""
    notes = []
    tmp = Path(tempfile.gettempdir())
    for folder in sorted(tmp.glob(f"{TEMP_PREFIX}*")):
        match = re.match(rf"{TEMP_PREFIX}(\d+)-", folder.name)
        if match and not alive(int(match.group(1))):
            shutil.rmtree(folder, ignore_errors=True)
            notes.append(f"removed {folder}, left by an interrupted run")
    before = git("worktree", "list", "--porcelain", cwd=repo, check=False)
    git("worktree", "prune", cwd=repo, check=False)
    if git("worktree", "list", "--porcelain", cwd=repo, check=False) != before:
        notes.append("pruned worktrees left by an interrupted run")
    for ref in git("for-each-ref", "--format=%(refname:short)", "refs/heads/platectl-orphan-*", cwd=repo).split():
        git("branch", "-D", ref, cwd=repo, check=False)
        notes.append(f"removed branch {ref}, left by an interrupted run")
    return notes


def _remote_branch_exists(repo: Path, remote: str, branch: str) -> bool:
    if remote not in git("remote", cwd=repo).split():
        raise GitError(f"no remote {remote!r} in {repo}")
    proc = run("ls-remote", "--heads", remote, f"refs/heads/{branch}", cwd=repo)
    if proc.returncode != 0:
        raise GitError(f"cannot reach {remote}: {_reason(proc.stderr)}")
    return bool(proc.stdout.strip())


def _fetch(repo: Path, remote: str, branch: str) -> str | None:
    """Fetch the branch and the publish tags (pruning local-only ones); the tip, or None."""
    exists = _remote_branch_exists(repo, remote, branch)
    refspecs = ["+refs/tags/publish/*:refs/tags/publish/*"]
    if exists:
        refspecs.insert(0, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    proc = run("fetch", "--quiet", "--prune", "--no-tags", remote, *refspecs, cwd=repo)
    if proc.returncode != 0:
        raise GitError(f"cannot fetch from {remote}: {_reason(proc.stderr)}")
    return resolve(repo, f"refs/remotes/{remote}/{branch}") if exists else None


def remote_tags(repo: Path, remote: str, env: str) -> list[tuple[int, str, str]]:
    """(n, tag, commit) of every publish of ``env`` that the remote holds, oldest first."""
    proc = run("ls-remote", "--tags", remote, f"refs/tags/publish/{env}/*", cwd=repo)
    if proc.returncode != 0:
        raise GitError(f"cannot list the tags of {remote}: {_reason(proc.stderr)}")
    commits: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        sha, ref = line.split("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            commits[name[:-3]] = sha
        else:
            commits.setdefault(name, sha)
    found = [(int(m.group(1)), tag, sha) for tag, sha in commits.items()
             if (m := re.fullmatch(rf"publish/{re.escape(env)}/(\d+)", tag))]
    return sorted(found)


def publish_tags(repo: Path, env: str) -> list[tuple[int, str]]:
    """(n, tag) of the local publish tags of ``env`` (after a fetch: exactly the remote's)."""
    tags = git("tag", "--list", f"publish/{env}/*", cwd=repo).split()
    numbered = [(int(m.group(1)), t) for t in tags if (m := re.fullmatch(rf"publish/{re.escape(env)}/(\d+)", t))]
    return sorted(numbered)


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return "; ".join(lines) or "no reason given"


def _push(repo: Path, remote: str, branch: str, commit: str, tag: tuple[str, str] | None) -> None:
    """Move branch (and tag) on the remote in one atomic push, or raise with the remote's reason."""
    refs = [f"{commit}:refs/heads/{branch}"] + ([f"{tag[1]}:refs/tags/{tag[0]}"] if tag else [])
    proc = run("push", "--atomic", "--porcelain", remote, *refs, cwd=repo)
    if proc.returncode == 0:
        return
    refused = [line.split("\t") for line in proc.stdout.splitlines() if line.startswith("!")]
    details = [f"{fields[1].split(':')[-1]} {fields[2]}" for fields in refused if len(fields) >= 3]
    said = [line.removeprefix("remote:").strip() for line in proc.stderr.splitlines()
            if line.startswith("remote:") and line.removeprefix("remote:").strip()]
    # moved: our base is no longer the tip (rejected before sending, or the ref moved while receiving)
    moved = any(re.search(r"\((fetch first|non-fast-forward|already exists|stale info)\)", d) for d in details) \
        or any(re.search(r"cannot lock ref .* but expected", line) for line in said)
    hook = any("hook declined" in d for d in details)
    reason = "; ".join(details) or _reason(proc.stderr)
    if said:
        reason += " - the remote said: " + " / ".join(said)
    raise PushRefused(f"the push to {remote}/{branch} was refused: {reason}. Nothing was changed on {remote}.",
                      retryable=moved and not hook)


def tree_differences(a: Path, b: Path) -> list[str]:
    """Relative paths of files that differ between two folders (missing on one side included)."""
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    left, right = files(a), files(b)
    return sorted(k for k in left.keys() | right.keys() if left.get(k) != right.get(k))


def _tree_of(repo: Path, ref: str | None, path: str) -> str:
    if ref is None:
        return ""
    return git("rev-parse", "--verify", "--quiet", f"{ref}:{path}", cwd=repo, check=False)


def _export(repo: Path, ref: str, path: str, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", "--format=tar", ref, path], cwd=repo, capture_output=True)
    if archive.returncode == 0:
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


METADATA = "hydrator.metadata"  # Argo CD's Source Hydrator's record of where a rendered commit came from


@dataclass(frozen=True)
class Provenance:
    """Where a publish comes from: the fields Argo CD's Source Hydrator writes to hydrator.metadata."""

    repo_url: str
    commit: str
    author: str
    date: str
    subject: str
    body: str

    def metadata(self) -> dict[str, object]:
        message = self.subject + (f"\n\n{self.body}" if self.body else "")
        return {"repoURL": self.repo_url, "drySha": self.commit, "author": self.author, "date": self.date,
                "message": message, "commands": ["bin/render"]}


def provenance(repo: Path, remote: str, head: str) -> Provenance:
    url = git("config", "--get", f"remote.{remote}.url", cwd=repo)  # as configured: insteadOf is local plumbing
    url = re.sub(r"^(https?://)[^/@]+@", r"\1", url)  # never a token embedded in the remote's URL
    fields = git("log", "-1", "--format=%an <%ae>%x00%cI%x00%s%x00%b", head, cwd=repo, strip=False).rstrip("\n")
    author, date, subject, body = (fields.split("\x00") + ["", "", "", ""])[:4]
    return Provenance(url, head, author, date, subject, body.strip())


class _Index:
    """A private index file: trees are built without a worktree and without touching the user's index."""

    def __init__(self, repo: Path, folder: Path):
        self.repo = repo
        self.env = {"GIT_INDEX_FILE": str(folder / "index")}

    def __call__(self, *args: str, cwd: Path | None = None) -> str:
        return git(*args, cwd=cwd or self.repo, env=self.env)

    def start(self, tip: str | None) -> None:
        self("read-tree", tip) if tip else self("read-tree", "--empty")

    def drop(self, path: str) -> None:
        self("rm", "-r", "-q", "-f", "--cached", "--ignore-unmatch", "--", path)

    def add_files(self, root: Path, path: str) -> None:
        gitdir = git("rev-parse", "--absolute-git-dir", cwd=self.repo)
        git(f"--git-dir={gitdir}", f"--work-tree={root}", "add", "-f", "-A", "--", path, cwd=root, env=self.env)

    def commit(self, tip: str | None, message: str, signing_key: str | None = None) -> tuple[str, str]:
        """The commit of the index on ``tip``; signed with ``signing_key`` (GnuPG, the release manager's
        keyring) when the cluster's Argo CD verifies the rendered branch's signatures."""
        tree = self("write-tree")
        parents = ["-p", tip] if tip else []
        sign = [f"-S{signing_key}"] if signing_key else []
        try:
            return tree, git("commit-tree", tree, *parents, *sign, cwd=self.repo, input=message)
        except GitError as exc:
            if signing_key:
                raise GitError(f"cannot sign with key {signing_key} (gitops.signing_keys): is its secret key in "
                               f"this GnuPG keyring (GNUPGHOME)? git said: {exc}") from None
            raise


KEYRING = "argo-cd/ConfigMap.argocd-gpg-keys-cm.k8s.yaml"  # Argo CD's keyring, in a cluster's folder


def deployed_keys(repo: Path, tip: str | None, cluster: str) -> set[str] | None:
    """The key IDs Argo CD's keyring holds in what ``tip`` of the rendered branch deploys to ``cluster``
    (None: the cluster was never published there, so nothing constrains the first signature)."""
    if tip is None:
        return None
    proc = run("show", f"{tip}:dist/clusters/{cluster}/{KEYRING}", cwd=repo)
    if proc.returncode != 0:
        return None
    import yaml

    return set((yaml.safe_load(proc.stdout).get("data") or {}).keys())


def _has_secret_key(fingerprint: str) -> bool:
    proc = subprocess.run(["gpg", "--batch", "--list-secret-keys", "--with-colons", fingerprint],
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0


def signing_key(env: str, repo: Path | None = None, tip: str | None = None) -> str | None:
    """The key to sign the rendered branch of ``env``'s cluster with (None: not signed).

    One of ``gitops.signing_keys`` that the cluster already trusts, as deployed from ``tip`` (its Argo
    CD's keyring there): a commit signed with a key Argo CD does not know yet would never sync, and
    neither would the commit that teaches it the key. Among those, the first whose secret key is in
    this GnuPG keyring (else the first, and the commit says which key is missing).

    ``PLATE_SIGNING_KEY`` signs with another key of the keyring instead (a test's throwaway key): Argo CD
    still syncs only what a configured key signed, so another key cannot get anything deployed."""
    override = os.environ.get("PLATE_SIGNING_KEY")
    if override:
        return override
    cluster = envs.cluster_of(env)
    keys = envs.load_platform().clusters[cluster].gitops.signing_keys
    if not keys:
        return None
    trusted = deployed_keys(repo, tip, cluster) if repo is not None else None
    candidates = [k for k in keys if trusted is None or k[-16:] in trusted]
    if not candidates:
        raise GitError(f"none of gitops.signing_keys ({', '.join(keys)}) is in the keyring cluster {cluster!r} runs "
                       f"now ({', '.join(sorted(trusted or ())) or 'empty'}): a commit signed with it would never "
                       f"sync. Rotate in three publishes of {cluster}: add the new key to the list, publish (signed "
                       f"with the old one); publish again; then remove the old key and publish.")
    return next((k for k in candidates if _has_secret_key(k)), candidates[0])


def _tag_object(repo: Path, tag: str, commit: str, message: str) -> str:
    ident = git("var", "GIT_COMMITTER_IDENT", cwd=repo)
    body = f"object {commit}\ntype commit\ntag {tag}\ntagger {ident}\n\n{message}\n"
    return git("mktag", cwd=repo, input=body)


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))


def _reviewed(repo: Path, remote: str, head: str, source: str) -> None:
    """The commit must be on the remote's ``source`` branch: what is published went through review."""
    proc = run("fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{source}:refs/remotes/{remote}/{source}", cwd=repo)
    if proc.returncode != 0:
        raise GitError(f"cannot fetch {remote}/{source} to check that {head[:12]} was merged: {_reason(proc.stderr)}")
    if run("merge-base", "--is-ancestor", head, f"refs/remotes/{remote}/{source}", cwd=repo).returncode != 0:
        raise GitError(f"{head[:12]} is not on {remote}/{source}: publish what was reviewed and merged (push and merge "
                       f"first), or give --emergency REASON, which the publish commit records")


def publish(env: str, *, repo: Path, branch: str, remote: str = "origin", dry_run: bool = False,
            confirm: Callable[[str], bool] = lambda _: True,
            before_push: Callable[[], None] | None = None, say: Say = lambda _: None,
            source: str = "main", emergency: str | None = None) -> Result:
    repo = toplevel(repo)
    with atomic.interruptible():
        for note in clean_interrupted(repo):
            say(f"note: {note}")
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
        if remote not in git("remote", cwd=repo).split():
            raise GitError(f"no remote {remote!r} in {repo}")
        if emergency is None:
            _reviewed(repo, remote, head, source)
        elif not emergency.strip():
            raise GitError("--emergency needs a reason (it is recorded in the publish commit)")
        else:
            say(f"emergency publish: {head[:12]} need not be on {remote}/{source} ({emergency})")
        scratch = _scratch()
        try:
            fresh = scratch / "dist"
            render.synth(fresh, names=[env], warn=lambda _: None)
            folder = envs.folder_of(env)
            stale = tree_differences(repo / "dist" / folder, fresh / folder)
            if stale:
                raise GitError(f"the committed dist/ is stale for {env} ({len(stale)} files differ, first: "
                               f"dist/{folder}/{stale[0]}); run bin/render and commit first")
            return _publish_attempts(env, repo, branch, remote, head, source_branch, scratch, dry_run, confirm,
                                     before_push, say, emergency)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _publish_attempts(env: str, repo: Path, branch: str, remote: str, head: str, source_branch: str, scratch: Path,
                      dry_run: bool, confirm: Callable[[str], bool], before_push: Callable[[], None] | None,
                      say: Say, emergency: str | None = None) -> Result:
    path = f"dist/{envs.folder_of(env)}"
    subject = git("log", "-1", "--format=%s", head, cwd=repo)
    seen: str | None = None
    for attempt in range(ATTEMPTS):
        tip = _fetch(repo, remote, branch)
        current = _tree_of(repo, tip, path)
        if attempt and current != seen:
            raise GitError(f"{remote}/{branch} moved while publishing: {env} itself was published meanwhile. "
                           f"Nothing was changed by this run; check what was published, then run the same "
                           f"command again to publish on top of it.")
        seen = current
        index = _Index(repo, scratch)
        index.start(tip)
        index.drop(path)
        index.add_files(scratch, path)
        metadata = f"{path}/{METADATA}"
        kept = git("ls-tree", tip, "--", metadata, cwd=repo) if tip else ""
        if kept:  # the render alone decides whether there is anything to publish
            index("update-index", "--add", "--cacheinfo", f"{kept.split()[0]},{kept.split()[2]},{metadata}")
        if tip and index("write-tree") == git("rev-parse", f"{tip}^{{tree}}", cwd=repo):
            return Result("unchanged", f"nothing to publish: {remote}/{branch} already holds this render of {env}")
        source = provenance(repo, remote, head)
        blob = git("hash-object", "-w", "--stdin", cwd=repo, input=json.dumps(source.metadata(), indent=2,
                                                                                sort_keys=True) + "\n")
        index("update-index", "--add", "--cacheinfo", f"100644,{blob},{metadata}")
        if attempt == 0:
            before = scratch / "before"
            if tip:
                _export(repo, tip, path, before)
            changes = tuple(diffing.compare_dirs(before / "dist", scratch / "dist", [env]))
            if dry_run:
                return Result("dry-run", f"dry run: {len(changes)} objects would change on {remote}/{branch}; "
                                         "nothing was committed or pushed", changes)
            if not confirm(f"Publish {env} from {head[:12]} to {remote}/{branch}?"):
                raise GitError("publish cancelled; nothing was changed")
        n = max((t[0] for t in remote_tags(repo, remote, env)), default=0) + 1
        tag = TAG.format(env=env, n=n)
        message = (f"publish {env} from {head[:12]}: {subject}\n\n"
                   f"Source-Commit: {head}\nSource-Branch: {source_branch}\nEnvironment: {env}\n"
                   f"Source-Repository: {source.repo_url}\nSource-Author: {source.author}\n"
                   f"Source-Date: {source.date}\nSource-Subject: {source.subject}\n"
                   + (f"Emergency: {emergency.strip()}\n" if emergency else ""))
        _, commit = index.commit(tip, message, signing_key(env, repo, tip))
        tag_object = _tag_object(repo, tag, commit, f"publish {env} #{n} from {head}")
        atomic.checkpoint("publish-committed")
        if before_push and attempt == 0:
            before_push()
        try:
            _push(repo, remote, branch, commit, (tag, tag_object))
        except PushRefused as exc:
            if not exc.retryable:
                raise
            if attempt + 1 == ATTEMPTS:
                raise GitError(f"{remote}/{branch} kept moving; gave up after {ATTEMPTS} attempts (last: {exc})") from None
            say(f"{remote}/{branch} moved meanwhile (another environment was published); trying again on top of it")
            continue
        atomic.checkpoint("publish-pushed")
        git("update-ref", f"refs/tags/{tag}", tag_object, cwd=repo)
        git("update-ref", f"refs/remotes/{remote}/{branch}", commit, cwd=repo)
        return Result("published", f"published {env} from {head[:12]} as {tag} ({remote}/{branch} at {commit[:12]})",
                      changes)
    raise AssertionError("unreachable: the last attempt returns or raises")


@dataclass(frozen=True)
class Release:
    """One publish or rollback of an environment, as the remote records it."""

    n: int
    tag: str
    commit: str
    kind: str  # publish | rollback
    source: str  # publish: the source commit; rollback: the tag (or commit) it restored
    subject: str
    date: str
    restored: str = ""  # rollback: the rendered commit it restored (Rollback-To)


def running_source(releases: list[Release]) -> str:
    """The source commit whose render the environment runs: its newest publish's, or, after a rollback,
    the source of the publish it restored (a rollback of a rollback, followed to its publish)."""
    if not releases:
        raise GitError("nothing was published: there is no verified source commit")
    by_commit = {r.commit: r for r in releases}
    by_tag = {r.tag: r for r in releases}
    current = releases[-1]
    for _ in range(len(releases)):
        if current.kind == "publish":
            return current.source
        restored = by_tag.get(current.source) or by_commit.get(current.restored)
        if restored is None:
            raise GitError(f"{current.tag} restored {current.source}, which is not a publish of this environment")
        current = restored
    raise GitError("the rollbacks restore one another: no publish at their end")


def history(env: str, *, repo: Path, branch: str, remote: str = "origin") -> list[Release]:
    """Every publish and rollback of ``env`` on the remote, oldest first."""
    repo = toplevel(repo)
    _fetch(repo, remote, branch)
    out = []
    for n, tag, commit in remote_tags(repo, remote, env):
        body = git("log", "-1", "--format=%B", commit, cwd=repo)
        trailers = dict(line.split(": ", 1) for line in body.splitlines() if re.match(r"^[A-Z][A-Za-z-]+: ", line))
        kind = "rollback" if "Rollback-To" in trailers else "publish"
        source = trailers.get("Rollback-Label") or trailers.get("Rollback-To") if kind == "rollback" else \
            trailers.get("Source-Commit", "")
        out.append(Release(n, tag, commit, kind, source or "", body.splitlines()[0] if body else "",
                           git("log", "-1", "--format=%cI", commit, cwd=repo), trailers.get("Rollback-To", "")))
    return out


def rollback(env: str, *, repo: Path, branch: str, remote: str = "origin", to: str | None = None,
             confirm: Callable[[str], bool] = lambda _: True, say: Say = lambda _: None) -> Result:
    """Restore an earlier publish as a new commit, tagged like a publish. Without ``to``: the publish
    before the one deployed; run twice, the second run finds that rollback done and changes nothing."""
    repo = toplevel(repo)
    with atomic.interruptible():
        for note in clean_interrupted(repo):
            say(f"note: {note}")
        tip = _fetch(repo, remote, branch)
        if tip is None:
            raise GitError(f"no branch {branch!r} on {remote}: nothing has been published, nothing to roll back")
        path = f"dist/{envs.folder_of(env)}"
        published = remote_tags(repo, remote, env)
        releases = history(env, repo=repo, branch=branch, remote=remote)
        current = _tree_of(repo, tip, path)
        if to is not None:
            label, target_commit = to, _published_target(repo, remote, branch, tip, to, published)
            if not _tree_of(repo, target_commit, path):
                raise GitError(f"{to!r} holds no render of {env} ({path} is missing there)")
            if _tree_of(repo, target_commit, path) == current:
                raise GitError(f"{to!r} is what {remote}/{branch} holds for {env} now: nothing to roll back")
        else:
            deployed = next((r for r in reversed(releases) if _tree_of(repo, r.commit, path) == current), None)
            if deployed is not None and deployed.kind == "rollback":
                return Result("unchanged", f"nothing to roll back: {env} is already rolled back to {deployed.source} "
                                           f"({deployed.tag}); give --to for an older publish")
            floor = deployed.n if deployed else max((r.n for r in releases), default=0) + 1
            earlier = [r for r in reversed(releases) if r.kind == "publish" and r.n < floor
                       and _tree_of(repo, r.commit, path) and _tree_of(repo, r.commit, path) != current]
            if not earlier:
                raise GitError(f"no earlier publish of {env} to roll back to")
            label, target_commit = earlier[0].tag, earlier[0].commit
        if not confirm(f"Roll {env} on {remote}/{branch} back to {label}?"):
            raise GitError("rollback cancelled; nothing was changed")
        scratch = _scratch()
        try:
            for attempt in range(ATTEMPTS):
                if attempt:
                    tip = _fetch(repo, remote, branch)
                    if _tree_of(repo, tip, path) != current:
                        raise GitError(f"{remote}/{branch} moved while rolling back: {env} was published meanwhile. "
                                       "Nothing was changed by this run.")
                index = _Index(repo, scratch)
                index.start(tip)
                index.drop(path)
                index("read-tree", f"--prefix={path}/", f"{target_commit}:{path}")
                n = max((t[0] for t in remote_tags(repo, remote, env)), default=0) + 1
                tag = TAG.format(env=env, n=n)
                _, commit = index.commit(tip, f"rollback {env} to {label}\n\nRollback-To: {target_commit}\n"
                                              f"Rollback-Label: {label}\nEnvironment: {env}\n", signing_key(env, repo, tip))
                tag_object = _tag_object(repo, tag, commit, f"rollback {env} #{n} to {label}")
                try:
                    _push(repo, remote, branch, commit, (tag, tag_object))
                except PushRefused as exc:
                    if exc.retryable and attempt + 1 < ATTEMPTS:
                        continue
                    raise
                git("update-ref", f"refs/tags/{tag}", tag_object, cwd=repo)
                git("update-ref", f"refs/remotes/{remote}/{branch}", commit, cwd=repo)
                break
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return Result("rolled-back", f"rolled {env} back to {label} as {tag} ({remote}/{branch} at {commit[:12]})")


def _published_target(repo: Path, remote: str, branch: str, tip: str, to: str,
                      published: list[tuple[int, str, str]]) -> str:
    """The commit of ``to``, which must be a publish tag on the remote or a commit of the remote branch."""
    by_tag = {tag: commit for _, tag, commit in published}
    name = to.removeprefix("refs/tags/")
    if name in by_tag:
        return by_tag[name]
    if name.startswith("publish/"):
        raise GitError(f"unknown ref {to!r}: {remote} holds no such publish tag")
    commit = resolve(repo, to)
    if run("merge-base", "--is-ancestor", commit, tip, cwd=repo).returncode != 0:
        raise GitError(f"{to!r} was never on {remote}/{branch}: only published states can be rolled back to")
    return commit
