"""Policy checks shared by the tests and `platectl validate`: secret literals and references."""
from __future__ import annotations

import re
from collections.abc import Iterator

# A key whose value would be a credential. Matched against the key lower-cased.
SECRET_KEY = re.compile(r"(password|passwd|secretkey|secret_key|token|apikey|api_key|privatekey|private_key)$")
# Values that are references or templates, not literals.
REFERENCE = re.compile(r"^\$\(.+\)$|\{\{.*\}\}")
# Shapes of real credentials, wherever they appear.
CREDENTIAL_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}"),
    "assigned secret": re.compile(
        r"(?i)\b(password|passwd|secret|token|api[_-]?key)\b\s*[:=]\s*[\"']([^\s\"'$({}<>]{8,})[\"']"),
}


def _walk(node, path: str = "") -> Iterator[tuple[str, str, object, dict | None]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
            if not isinstance(value, (dict, list)):
                yield path, str(key), value, node
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def secret_literals(obj: dict) -> list[str]:
    """Field paths of ``obj`` that hold what looks like a credential value."""
    found: list[str] = []
    if obj.get("kind") == "CustomResourceDefinition":
        return found  # a schema: its descriptions quote examples (a PEM header), never a value
    if obj.get("kind") == "Secret" and (obj.get("data") or obj.get("stringData")):
        found.append("Secret with data")
    for path, key, value, parent in _walk(obj):
        where = f"{path}.{key}" if path else key
        if (isinstance(value, str) and value and SECRET_KEY.search(key.lower()) and not REFERENCE.search(value)
                and not key.startswith("existing")):  # existingSecret*, existing*Key: names of Secrets/keys
            if key == "secretKey" and parent is not None and "remoteRef" in parent:
                continue  # an ExternalSecret naming the key of its target Secret
            found.append(f"{where}: literal value for a credential key")
        if isinstance(value, str):
            for name, pattern in CREDENTIAL_PATTERNS.items():
                if pattern.search(value):
                    found.append(f"{where}: looks like a {name}")
    return found


def secret_literals_in_text(text: str) -> list[str]:
    """Line numbers and kinds of credential-shaped strings in a source file."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for name, pattern in CREDENTIAL_PATTERNS.items():
            if pattern.search(line):
                found.append(f"line {number}: looks like a {name}")
    return found


# Chart values that name a Secret (as opposed to a key inside one).
SECRET_NAME_KEYS = re.compile(r"^(existingSecret|existingSecretName|existingSecretAdminPassword|existingSecretSecretKey|"
                              r"existingXsrfSecret|secretName|[a-z]+SecretName)$")


def chart_secret_references(values: dict) -> list[str]:
    """Names of credential Secrets that chart values point at (``existingSecret`` and friends).

    Secrets under a ``tls`` key are Ingress key pairs that cert-manager issues from the Ingress's
    annotation; they hold no credential from OpenBao.
    """
    return sorted({v for path, key, v, _ in _walk(values) if isinstance(v, str) and SECRET_NAME_KEYS.match(key)
                   and "tls" not in re.split(r"[.\[]", path)})
