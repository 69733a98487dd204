"""Re-pin Helm after its npm package moved: read the installed package's ``lib/layer.zip``, run its
``helm/helm`` for the version, and rewrite ``HELM``'s version and sha256 in ``components/versions.py``.

Renovate runs it after bumping the package in package.json (renovate.json's postUpgradeTasks), so a
bump pull request carries the new binary's digest and the render verifies exactly that binary.
"""
from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from components.versions import HELM

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = ROOT / "components" / "versions.py"


def pinned_from(layer: Path) -> tuple[str, str]:
    """(Helm version, sha256) of the binary inside an installed layer package."""
    data = zipfile.ZipFile(layer).read(HELM["member"])
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "helm"
        binary.write_bytes(data)
        binary.chmod(0o755)
        version = subprocess.run([str(binary), "version", "--template", "{{.Version}}"], capture_output=True,
                                 text=True, check=True, timeout=60).stdout.strip()
    return version, hashlib.sha256(data).hexdigest()


def rewrite(text: str, version: str, sha256: str) -> str:
    out, n = re.subn(r'(HELM = \{"version": ")[^"]+(")', rf"\g<1>{version}\g<2>", text)
    out, m = re.subn(r'("member": "helm/helm", "sha256": ")[0-9a-f]{64}(")', rf"\g<1>{sha256}\g<2>", out)
    if (n, m) != (1, 1):
        raise SystemExit("components/versions.py: HELM's version or sha256 not found where tools/pin_helm.py expects them")
    return out


def main() -> int:
    layer = ROOT / "node_modules" / HELM["npm_package"] / "lib" / "layer.zip"
    if not layer.is_file():
        print(f"{layer} is missing: run npm ci first", file=sys.stderr)
        return 1
    version, sha256 = pinned_from(layer)
    VERSIONS.write_text(rewrite(VERSIONS.read_text(), version, sha256))
    print(f"Helm {version} ({HELM['npm_package']}@{HELM['npm_version']}), sha256 {sha256}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
