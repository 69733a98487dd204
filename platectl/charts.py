"""The vendored charts: verify them against charts/chartfile.yaml, and update one from its repository."""
from __future__ import annotations

import hashlib
import io
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


def _write(folder: Path, header: str, entries: list[dict]) -> None:
    lines = [header.rstrip("\n"), HEADER_END.rstrip("\n")] if header else [HEADER_END.rstrip("\n")]
    for c in entries:
        lines += [f"  - name: {c['name']}", f"    version: \"{c['version']}\"", f"    repository: {c['repository']}",
                  f"    file: {c['file']}", f"    sha256: {c['sha256']}"]
    tmp = folder / ".chartfile.yaml.new"
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(folder / "chartfile.yaml")


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
           folder: Path = CHARTS) -> str:
    """Pull ``name`` ``version`` from its repository, verify it, vendor it and pin it; the new sha256.

    The archive must match the digest the repository's index lists, and ``expected`` when given; a
    mismatch is refused and nothing changes."""
    header, entries = _entries(folder)
    entry = next((c for c in entries if c["name"] == name), None)
    repo = repository or (entry or {}).get("repository")
    if not repo:
        raise ChartError(f"{name} is not pinned yet: give its --repository")
    if not repo.startswith(("https://", "http://")):
        raise ChartError(f"{repo}: only http(s) chart repositories can be pulled here (for OCI: helm pull, then "
                         "pin the archive by hand)")
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
    new = {"name": name, "version": version, "repository": repo, "file": file, "sha256": digest}
    if entry is not None and entry["file"] != file:
        (folder / entry["file"]).unlink(missing_ok=True)
    entries = [new if c["name"] == name else c for c in entries] if entry else [*entries, new]
    _write(folder, header, entries)
    return digest
