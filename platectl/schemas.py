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

ROOT = Path(__file__).resolve().parent.parent
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: the CRDs are tens of megabytes
CRD_DIR = Path(os.environ.get("PLATE_SHARED_CRDS", ROOT.parent / "shared" / "crds"))
# The Kubernetes versions a render must be valid for: the cdk8s-plus-27 floor and the newest bundled.
KUBERNETES_VERSIONS = ("1.27.0", "latest")


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


@cache
def crd_schemas(crd_dir: Path = CRD_DIR) -> dict[tuple[str, str], dict]:
    """(apiVersion, kind) -> strict JSON schema, for every served version of every CRD."""
    out: dict[tuple[str, str], dict] = {}
    for file in sorted(crd_dir.rglob("*.yaml")):
        for doc in yaml.load_all(file.read_text(), Loader=_LOADER):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
            for version in doc["spec"]["versions"]:
                if version.get("served", True):
                    out[(f"{group}/{version['name']}", kind)] = _strict(version["schema"]["openAPIV3Schema"])
    return out


def is_custom(obj: dict) -> bool:
    group = obj["apiVersion"].rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


@cache
def _validator(api_version: str, kind: str, crd_dir: Path) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(crd_schemas(crd_dir)[(api_version, kind)])


def validate_custom(obj: dict, crd_dir: Path = CRD_DIR) -> list[str]:
    schema = crd_schemas(crd_dir).get((obj["apiVersion"], obj["kind"]))
    if schema is None:
        return [f"no CRD in {crd_dir} serves {obj['apiVersion']} {obj['kind']}"]
    validator = _validator(obj["apiVersion"], obj["kind"], crd_dir)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))]


def validate_builtin(obj: dict, version: str) -> list[str]:
    import kubernetes_validate
    from kubernetes_validate.utils import latest_version

    target = latest_version() if version == "latest" else version
    try:
        kubernetes_validate.validate(obj, target, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(map(str, exc.path)) or "(root)"
        return [f"Kubernetes {target}: {path}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"Kubernetes {target}: no schema for {obj['apiVersion']} {obj['kind']}"]
    return []


def validate(obj: dict, crd_dir: Path = CRD_DIR, versions: tuple[str, ...] = KUBERNETES_VERSIONS) -> list[str]:
    if is_custom(obj):
        return validate_custom(obj, crd_dir)
    return [err for v in versions for err in validate_builtin(obj, v)]
