"""ExternalSecrets: the only way a secret value reaches a pod. No Secret object is ever rendered."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from components.meta import metadata

if TYPE_CHECKING:
    from components.k8s.crds import (
        ExternalSecret,
        ExternalSecretSpec,
        ExternalSecretSpecTarget,
        ExternalSecretSpecTargetTemplate,
    )


@dataclass(frozen=True)
class SecretStoreRef:
    name: str
    kind: Literal["ClusterSecretStore", "SecretStore"]
    refresh_interval: str


@dataclass(frozen=True)
class RemoteValue:
    """One key of the target Secret, read from ``property`` of the KV entry at ``path``."""

    secret_key: str
    path: str
    property: str


def same_keys(path: str, keys: tuple[str, ...] = ("username", "password")) -> tuple[RemoteValue, ...]:
    """Each key of the target Secret read from the property of the same name at ``path``."""
    return tuple(RemoteValue(k, path, k) for k in keys)


# Inside its Application, an ExternalSecret syncs (and becomes healthy) before the workloads that
# read its Secret, so no pod starts against a missing Secret.
SYNC_FIRST = {"argocd.argoproj.io/sync-wave": "-1"}


def external_secret(name: str, namespace: str, lbls: dict[str, str], store: SecretStoreRef, *,
                    extract_path: str | None = None, values: tuple[RemoteValue, ...] = (),
                    secret_type: str | None = None, template_data: dict[str, str] | None = None,
                    template_labels: dict[str, str] | None = None, merge: bool = False) -> ExternalSecret:
    """An ExternalSecret producing the Secret ``name`` (owned by the ExternalSecret). ``merge``: the
    templated keys join the fetched ones (otherwise a template replaces them). External Secrets'
    admission refuses one that fetches nothing, so ``values`` or ``extract_path`` is required."""
    if not values and not extract_path:
        raise ValueError(f"ExternalSecret {name!r}: it must fetch something (values or extract_path)")
    target: ExternalSecretSpecTarget = {"name": name, "creationPolicy": "Owner"}
    if secret_type or template_data or template_labels:
        template: ExternalSecretSpecTargetTemplate = {"engineVersion": "v2"}
        if secret_type:
            template["type"] = secret_type
        if template_labels:
            template["metadata"] = {"labels": dict(template_labels)}
        if template_data:
            template["data"] = dict(template_data)
        if merge:
            template["mergePolicy"] = "Merge"
        target["template"] = template
    spec: ExternalSecretSpec = {
        "refreshInterval": store.refresh_interval,
        "secretStoreRef": {"name": store.name, "kind": store.kind},
        "target": target,
    }
    if values:
        spec["data"] = [
            {"secretKey": v.secret_key, "remoteRef": {"key": v.path, "property": v.property}} for v in values
        ]
    if extract_path:
        spec["dataFrom"] = [{"extract": {"key": extract_path}}]
    return {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": metadata(name, namespace, lbls, SYNC_FIRST),
            "spec": spec}


def literal_template(text: str) -> str:
    """``text`` as an ExternalSecret template that yields it unchanged: only ``{{`` opens an action in
    Go templates, so each one becomes an action printing it (Alertmanager's own templates survive)."""
    return text.replace("{{", '{{ "{{" }}')


# Built by the ExternalSecret template from two KV properties; the value never leaves the cluster.
# Only "auth" is set: base64 needs no JSON escaping, whatever characters the password holds.
DOCKERCONFIG_TEMPLATE = '{"auths":{"%s":{"auth":"{{ printf "%%s:%%s" .username .password | b64enc }}"}}}'


def pull_secret(name: str, namespace: str, lbls: dict[str, str], store: SecretStoreRef, registry: str,
                path: str) -> ExternalSecret:
    """An image pull Secret for ``registry`` from a robot's ``username`` and ``password`` at ``path``."""
    return external_secret(name, namespace, lbls, store, values=same_keys(path),
                           secret_type="kubernetes.io/dockerconfigjson",
                           template_data={".dockerconfigjson": DOCKERCONFIG_TEMPLATE % registry})
