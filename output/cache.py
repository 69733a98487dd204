"""Where the render's caches live, and how an entry is written: every cache of the project
(Helm output, chart values schemas, YAML texts, validated files) is keyed by what its result depends
on, lives under one folder (``.cache/``; ``PLATE_CACHE`` moves it) and is written atomically."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path

ROOT = Path(os.environ.get("PLATE_CACHE", Path(__file__).resolve().parent.parent / ".cache"))


def store(path: Path, doc: object) -> None:
    """Write ``doc`` as JSON at ``path`` in one rename; a read-only checkout just goes without."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(doc, separators=(",", ":")))
        tmp.replace(path)
    except OSError:
        pass
