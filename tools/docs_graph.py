"""Write the graph that docs/configuration.md shows (``platectl graph --cluster shared``) from the current
configuration: a generated snapshot like the goldens, rewritten only by ``bin/update-golden``.

    python -m tools.docs_graph           rewrite the graph in docs/configuration.md; say whether it changed
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
BLOCK = re.compile(r"(`platectl graph --cluster shared`[^\n]*\n\n```mermaid\n)(.*?)(```)", re.S)


def current() -> str:
    from platectl.cli import cli

    result = CliRunner().invoke(cli, ["graph", "--cluster", "shared"])
    if result.exit_code != 0:
        raise SystemExit(f"error: platectl graph failed: {result.output.strip()}")
    return result.output


def main() -> int:
    text = DOC.read_text()
    found = BLOCK.search(text)
    if found is None:
        print(f"error: {DOC.relative_to(ROOT)} has no graph after `platectl graph --cluster shared`", file=sys.stderr)
        return 1
    graph = current()
    if found.group(2) == graph:
        print(f"{DOC.relative_to(ROOT)}: graph unchanged", file=sys.stderr)
        return 0
    DOC.write_text(text[:found.start(2)] + graph + text[found.end(2):])
    print(f"{DOC.relative_to(ROOT)}: graph rewritten (read its diff)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
