"""The documentation's examples, applied exactly as written in a copy of the repository, and the
commands the documentation gives after them (render, update the snapshots, the whole suite) run there.

An example is a fenced code block that an HTML comment just above it marks (invisible on GitHub):

    <!-- example qa: write envs/environments/qa.py -->          the block is the whole file
    <!-- example worker: insert envs/environments/staging.py after '    "services": {' -->
                                                                 the block goes after that line,
                                                                 indented like the next line with text
    <!-- example render: run -->                                 a ```sh block: each command runs in the copy,
                                                                 after the files are changed; the run
                                                                 steps named "render" are always run

    bin/examples              every example at once, then the whole suite in the copy
    bin/examples --list       the examples and what they change
    bin/examples NAME ...     some of them
    bin/examples --keep DIR   the copy is made in DIR (new) and kept, to look into a failure

The copy is made as ``bin/mutants`` makes its copies (``tools.mutants``: ``.venv``, ``node_modules`` and the
chart cache shared through links), so nothing here is changed. Exit 1 when a command fails there.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
MARK = re.compile(r"<!-- example (?P<name>[\w-]+): (?P<how>write|insert|run)(?: (?P<path>\S+))?"
                  r"(?: after (?P<after>'[^']*'))? -->\n+```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)


@dataclass(frozen=True)
class Step:
    example: str  # the example's name: the steps of one example are applied together
    how: str  # write, insert or run
    path: str  # the file written or edited ("" for run)
    after: str  # insert: the line the block goes after
    body: str
    doc: str  # where it is written


def steps(docs: tuple[Path, ...] = DOCS) -> list[Step]:
    out = []
    for doc in docs:
        for m in MARK.finditer(doc.read_text()):
            after = shlex.split(m["after"])[0] if m["after"] else ""
            out.append(Step(m["name"], m["how"], m["path"] or "", after, m["body"], doc.name))
    return out


def apply(repo: Path, step: Step) -> list[str]:
    """Apply one step in the copy; the commands a ``run`` step runs are returned, not run."""
    if step.how == "run":
        return [line.split("  #", 1)[0].strip() for line in step.body.splitlines() if line.split("  #", 1)[0].strip()]
    path = repo / step.path
    if step.how == "write":
        if path.exists():
            raise SystemExit(f"example {step.example} ({step.doc}): {step.path} exists already")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(step.body)
        return []
    lines = path.read_text().splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if line.rstrip("\n") == step.after]
    if len(at) != 1:
        raise SystemExit(f"example {step.example} ({step.doc}): the line {step.after!r} occurs {len(at)} times in "
                         f"{step.path} (the file changed: update the example's marker)")
    following = next((line for line in lines[at[0] + 1:] if line.strip()), "")  # the next line with text
    indent = following[:len(following) - len(following.lstrip())]
    block = [indent + line if line.strip() else line for line in step.body.splitlines(keepends=True)]
    path.write_text("".join(lines[:at[0] + 1] + block + lines[at[0] + 1:]))
    return []


def merged(blocks: list[list[str]]) -> list[str]:
    """The commands of several examples, each once, in an order every example's own order allows
    (``python -m tools.gen_types`` before ``bin/render`` before ``bin/test``); ties by first mention."""
    first: dict[str, int] = {}
    after: dict[str, set[str]] = {}
    for block in blocks:
        for i, command in enumerate(block):
            first.setdefault(command, len(first))
            after.setdefault(command, set()).update(block[:i])
    out: list[str] = []
    while len(out) < len(first):
        ready = [c for c in first if c not in out and after[c] <= set(out)]
        if not ready:
            raise SystemExit(f"the examples' commands ask for opposite orders: {sorted(set(first) - set(out))}")
        out.append(min(ready, key=first.__getitem__))
    return out


def run(names: list[str], keep: Path | None = None) -> int:
    from tools.mutants import _copy  # one way to copy the repository

    every = steps()
    known = sorted({s.example for s in every})
    unknown = sorted(set(names) - set(known))
    if unknown:
        print(f"error: no example {unknown[0]!r}; known: {', '.join(known)}", file=sys.stderr)
        return 2
    chosen = [s for s in every if not names or s.example in names or s.example == "render"]
    # PLATE_EXAMPLES_COPY: bin/test in the copy runs the suite, not the examples again
    env = dict(os.environ, PLATE_CACHE=str(ROOT / ".cache"), PLATE_PROGRESS="0", PLATE_EXAMPLES_COPY="1")
    env.setdefault("PLATE_SHARED_CRDS", str((ROOT.parent / "shared" / "crds").resolve()))
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory(prefix="plate-examples-") as scratch:
        if keep is not None:
            keep.mkdir(parents=True)
        repo = _copy(keep or Path(scratch))
        env["PYTHONPATH"] = str(repo)  # the copy's code, not this checkout's (.venv installs this one)
        commands = merged([apply(repo, s) for s in chosen])
        print(f"bin/examples: applied {', '.join(dict.fromkeys(s.example for s in chosen))} "
              f"({len(chosen)} blocks) in {repo}", file=sys.stderr)
        for command in commands:
            print(f"bin/examples: $ {command}", file=sys.stderr)
            proc = subprocess.run(command, shell=True, cwd=repo, env=env)
            if proc.returncode != 0:
                print(f"error: {command!r} exited {proc.returncode} in the copy", file=sys.stderr)
                return 1
        return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"]:
        for s in steps():
            print(f"{s.example:12} {s.how:7} {s.path or '(commands)':40} {s.doc}")
        return 0
    keep = None
    if "--keep" in argv:
        at = argv.index("--keep")
        keep, argv = Path(argv[at + 1]).resolve(), argv[:at] + argv[at + 2:]
    return run(argv, keep)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
