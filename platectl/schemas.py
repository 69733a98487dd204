"""Offline schema checks of rendered objects.

Built-in kinds are checked with kubernetes-validate (strict: unknown fields are errors) against
each target Kubernetes version; custom resources against the ``openAPIV3Schema`` of their CRD in
``../shared/crds``, made strict the same way (an unknown field would be pruned silently by the
API server, so we treat it as an error).
"""
from __future__ import annotations

import copy
import os
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from output.objects import Loader as _LOADER  # the C parser: the CRDs are tens of megabytes

ROOT = Path(__file__).resolve().parent.parent
CRD_DIR = Path(os.environ.get("PLATE_SHARED_CRDS", ROOT.parent / "shared" / "crds"))
# Without a cluster (a component's objects alone): the cdk8s-plus-27 floor and the newest bundled. A
# cluster's render is checked at the version the cluster declares (``kubernetes_version``).
KUBERNETES_VERSIONS = ("1.27.0", "latest")


def declared(version: str) -> str:
    """A cluster's ``kubernetes_version`` ("1.33") as kubernetes-validate names it ("1.33.0")."""
    return f"{version}.0"


def _strict(schema: dict) -> dict:
    schema = copy.deepcopy(schema)
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            stack.extend(node.get(key, {}).values())
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                stack.append(node[key])
        for key in ("allOf", "anyOf", "oneOf"):
            stack.extend(node.get(key, []))
    return schema


def schemas_of(crds, wanted: set[tuple[str, str]] | None = None) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> strict JSON schema, for every served version of every CRD in ``crds``
    (only those in ``wanted``, when given: making a schema strict copies it, and CRDs are megabytes)."""
    out: dict[tuple[str, str], dict] = {}
    for doc in crds:
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
        for version in doc["spec"]["versions"]:
            key = (f"{group}/{version['name']}", kind)
            if version.get("served", True) and (wanted is None or key in wanted):
                out[key] = _strict(version["schema"]["openAPIV3Schema"])
    return out


@cache
def crd_schemas(crd_dir: Path = CRD_DIR) -> dict[tuple[str, str], dict]:
    """The schemas of the CRDs in ``crd_dir`` (``../shared/crds``: kinds no vendored chart installs yet)."""
    if not crd_dir.is_dir():
        return {}
    return schemas_of(doc for file in sorted(crd_dir.rglob("*.yaml"))
                      for doc in yaml.load_all(file.read_text(), Loader=_LOADER))


# The API groups Kubernetes itself serves; every other group is a CRD's (gateway.networking.k8s.io is).
BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "apiregistration.k8s.io", "authentication.k8s.io", "authorization.k8s.io", "certificates.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io", "networking.k8s.io", "node.k8s.io", "rbac.authorization.k8s.io", "resource.k8s.io",
    "scheduling.k8s.io", "storage.k8s.io", "storagemigration.k8s.io"})


def is_custom(obj: dict) -> bool:
    return obj["apiVersion"].rpartition("/")[0] not in BUILTIN_GROUPS


_VALIDATORS: dict[int, tuple[dict, jsonschema.Draft7Validator]] = {}


def _validator(schema: dict) -> jsonschema.Draft7Validator:
    hit = _VALIDATORS.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _VALIDATORS[id(schema)] = (schema, jsonschema.Draft7Validator(schema))
    return hit[1]


def validate_custom(obj: dict, crd_dir: Path = CRD_DIR, rendered: dict[tuple[str, str], dict] | None = None) -> list[str]:
    """Check a custom resource against its CRD: the render's own (``rendered``, from ``schemas_of``),
    else the one in ``crd_dir``."""
    key = (obj["apiVersion"], obj["kind"])
    schema = (rendered or {}).get(key) or crd_schemas(crd_dir).get(key)
    if schema is None:
        return [f"no CRD in the render or in {crd_dir} serves {obj['apiVersion']} {obj['kind']}"]
    validator = _validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


@cache
def _builtin_validator(version: str, api_version: str, kind: str):
    """kubernetes-validate's strict schema of a kind, loaded once (it reads two JSON files per call,
    which cost most of a whole render's check)."""
    import re

    import jsonschema
    from kubernetes_validate import utils
    from referencing import Registry, Resource

    wanted = utils.major_minor(version)
    bundled = [v for v in utils.all_versions() if _minor(utils.major_minor(v)) <= _minor(wanted)][-1]
    folder = f"kubernetes-json-schema/v{bundled}-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group_version}.json", version)
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(utils.schema_contents(f"{folder}/_definitions.json", version)) @ (
        Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def validate_builtin(obj: dict, version: str) -> list[str]:
    from kubernetes_validate.utils import latest_version

    target = latest_version() if version == "latest" else version
    validator = _builtin_validator(target, obj["apiVersion"], obj["kind"])
    if validator is None:
        return [f"Kubernetes {target}: no schema for {obj['apiVersion']} {obj['kind']}"]
    error = next(validator.iter_errors(obj), None)  # the first, as jsonschema's validate() raises
    if error is None:
        return []
    return [f"Kubernetes {target}: {'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"]


def validate(obj: dict, crd_dir: Path = CRD_DIR, versions: tuple[str, ...] = KUBERNETES_VERSIONS,
             rendered: dict[tuple[str, str], dict] | None = None) -> list[str]:
    if is_custom(obj):
        return validate_custom(obj, crd_dir, rendered)
    return [err for v in versions for err in validate_builtin(obj, v)]
