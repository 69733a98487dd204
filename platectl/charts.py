"""The vendored charts: verify them against charts/chartfile.yaml, and update one from its repository."""
from __future__ import annotations

import hashlib
import io
import re
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

from components.versions import CHARTS

HEADER_END = "charts:\n"


class ChartError(Exception):
    """A chart cannot be verified or updated; ``str()`` says which and why."""


def _entries(folder: Path) -> tuple[str, list[dict]]:
    text = (folder / "chartfile.yaml").read_text()
    header = text[:text.index(HEADER_END)] if HEADER_END in text else ""
    return header, yaml.safe_load(text)["charts"]


def _write(folder: Path, entry: dict) -> None:
    """Rewrite ``entry``'s lines of chartfile.yaml, or append it: every other line (comments included)
    stays as it is."""
    path = folder / "chartfile.yaml"
    lines = path.read_text().split("\n")
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"  - name: {entry['name']}"), None)
    fields = {"version": f'"{entry["version"]}"', "repository": entry["repository"], "file": entry["file"],
              "sha256": entry["sha256"]}
    if start is None:
        at = len(lines) - 1 if lines[-1] == "" else len(lines)
        lines[at:at] = [f"  - name: {entry['name']}", *(f"    {k}: {v}" for k, v in fields.items())]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  - ") or not lines[i].strip()),
                   len(lines))
        for i in range(start + 1, end):
            m = re.match(r"^(    (\w+): )(\S+)(.*)$", lines[i])
            if m and m.group(2) in fields:
                lines[i] = f"{m.group(1)}{fields[m.group(2)]}{m.group(4)}"  # a trailing comment stays
    tmp = folder / ".chartfile.yaml.new"
    tmp.write_text("\n".join(lines))
    tmp.replace(path)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(folder: Path = CHARTS) -> list[str]:
    """Problems with the vendored archives (empty: every archive is there and matches its pin)."""
    problems = []
    for c in _entries(folder)[1]:
        path = folder / c["file"]
        if not path.is_file():
            problems.append(f"{c['name']}: {c['file']} is missing")
        elif sha256(path.read_bytes()) != c["sha256"]:
            problems.append(f"{c['name']}: {c['file']} does not match its sha256 {c['sha256'][:12]}…")
    return problems


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - http(s) chart repositories only
            return response.read()
    except OSError as exc:
        raise ChartError(f"cannot download {url}: {exc}") from None


def update(name: str, version: str, *, repository: str | None = None, expected: str | None = None,
           folder: Path = CHARTS, insecure: bool = False) -> str:
    """Pull ``name`` ``version`` from its repository (or from ``repository``, a mirror of it), verify it,
    vendor it and pin it; the new sha256. The pinned repository stays the upstream one: a mirror is where
    this pull came from, not where the chart comes from.

    The archive must match the digest the repository's index lists, and ``expected`` when given; a
    mismatch is refused and nothing changes. Plain http is refused unless ``insecure``."""
    _, entries = _entries(folder)
    entry = next((c for c in entries if c["name"] == name), None)
    repo = repository or (entry or {}).get("repository")
    if not repo:
        raise ChartError(f"{name} is not pinned yet: give its --repository")
    if not repo.startswith(("https://", "http://")):
        raise ChartError(f"{repo}: only http(s) chart repositories can be pulled here (for OCI: helm pull, then "
                         "pin the archive by hand)")
    if repo.startswith("http://") and not insecure:
        raise ChartError(f"{repo}: plain http (anyone on the way could change the archive and its index); "
                         "use https, or --insecure for a mirror you trust on your own network")
    index = yaml.safe_load(_get(repo.rstrip("/") + "/index.yaml")) or {}
    found = next((v for v in (index.get("entries") or {}).get(name, []) if str(v.get("version")) == version), None)
    if found is None:
        raise ChartError(f"{repo} has no {name} {version}")
    url = urllib.parse.urljoin(repo.rstrip("/") + "/", found["urls"][0])
    data = _get(url)
    digest = sha256(data)
    if found.get("digest") and found["digest"] != digest:
        raise ChartError(f"{url}: sha256 {digest} differs from the index's {found['digest']}; refused")
    if expected and expected != digest:
        raise ChartError(f"{url}: sha256 {digest} differs from the expected {expected}; refused")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        meta = yaml.safe_load(tar.extractfile(f"{name}/Chart.yaml"))
    if (meta.get("name"), str(meta.get("version"))) != (name, version):
        raise ChartError(f"{url} holds {meta.get('name')} {meta.get('version')}, not {name} {version}; refused")
    file = f"{name}-{version}.tgz"
    tmp = folder / f".{file}.new"
    tmp.write_bytes(data)
    tmp.replace(folder / file)
    new = {"name": name, "version": version, "repository": entry["repository"] if entry else repo, "file": file,
           "sha256": digest}
    if entry is not None and entry["file"] != file:
        (folder / entry["file"]).unlink(missing_ok=True)
    _write(folder, new)
    return digest
