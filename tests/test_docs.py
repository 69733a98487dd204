"""The README stays a ten-minute read (what the project is, the quick start, the model, the daily loop)
and every link in it and in docs/ leads somewhere: the file exists, the #section is a heading there."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path: Path) -> set[str]:
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).strip().replace(" ", "-")
            for h in re.findall(r"^#+ (.+)$", path.read_text(), re.M)}


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def broken(paths: list[Path]) -> list[str]:
    out = []
    for path in paths:
        for target in LINK.findall(path.read_text()):
            if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
                continue
            file, _, section = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists():
                out.append(f"{_name(path)}: {target}: no such file")
            elif section and dest.suffix == ".md" and section not in anchors(dest):
                out.append(f"{_name(path)}: {target}: no such section")
    return out


def test_the_readme_is_short_and_links_the_rest():
    lines = (ROOT / "README.md").read_text().count("\n")
    assert lines < 300, f"README.md has {lines} lines: move detail to docs/"
    linked = set(LINK.findall((ROOT / "README.md").read_text()))
    assert {f"docs/{p.name}" for p in DOCS[1:]} <= linked, "a document in docs/ the README does not link"


def test_every_link_resolves(tmp_path):
    assert broken(DOCS) == []
    bad = tmp_path / "bad.md"
    bad.write_text("[x](../nowhere.md) [y](#no-such-heading) [z](#a-heading)\n# A heading\n")
    assert broken([bad]) == ["bad.md: ../nowhere.md: no such file", "bad.md: #no-such-heading: no such section"]


def _commands(text: str) -> list[str]:
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                out.append(command)
    return out


def test_every_command_the_readme_and_docs_show_exists_as_written():
    """The shell examples: every `bin/` script exists and runs, every `platectl` line parses with
    the command line's own options exactly as written (click resolves the command and every option;
    nothing runs), kubectl lines name the render's real folders."""
    import shlex

    import click

    from platectl.cli import cli

    checked = 0
    for doc in DOCS:
        for command in _commands(doc.read_text()):
            words = shlex.split(command.split("&&")[0])
            head = words[0]
            if head.startswith("bin/"):
                assert (ROOT / head).is_file() and (ROOT / head).stat().st_mode & 0o111, (doc.name, command)
            elif head in (".venv/bin/platectl", "platectl"):
                with cli.make_context("platectl", words[1:], resilient_parsing=False) as ctx:
                    sub = cli.get_command(ctx, words[1])
                    assert sub is not None, (doc.name, command)
                    args = words[2:]
                    while isinstance(sub, click.Group):  # platectl images pin ...
                        sub, args = sub.get_command(ctx, args[0]), args[1:]
                    sub.make_context(words[1], list(args))  # raises on an unknown option or a bad value
            elif head == "kubectl":
                for word in words:
                    if word.startswith("dist/"):
                        assert (ROOT / word).exists(), (doc.name, command)
            else:
                continue
            checked += 1
    assert checked >= 10
