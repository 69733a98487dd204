"""Every namespace of the platform, with its Pod Security level and the reason for it.

Derived from what the components declare: a namespace gets the least restrictive level any of
its components needs (``restricted`` when none asks), and every level below ``restricted``
carries the components' reasons in an annotation, so a reviewer sees why next to the setting.
Rendering them here (rather than letting Argo CD create them) keeps the upper layers free of
cluster-scoped objects.
"""
from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from pydantic import BaseModel, ConfigDict

from components.core import Component, ComponentInfo, labels, metadata, pod_security

LEVELS = ("restricted", "baseline", "privileged")  # most to least restrictive
REASON_ANNOTATION = "plate.io/pod-security-reason"


@dataclass(frozen=True)
class NamespaceSpec:
    name: str
    level: str
    reason: str = ""


def derive(infos: list[ComponentInfo]) -> tuple[NamespaceSpec, ...]:
    """One NamespaceSpec per namespace used by ``infos``."""
    out: list[NamespaceSpec] = []
    for ns in sorted({i.namespace for i in infos}):
        members = [i for i in infos if i.namespace == ns and i.pod_security]
        level = max((i.pod_security or "restricted" for i in members), key=LEVELS.index, default="restricted")
        reason = "; ".join(f"{i.name}: {i.pod_security_reason}" for i in members
                           if i.pod_security == level and level != "restricted")
        out.append(NamespaceSpec(ns, level, reason))
    return tuple(out)


class NamespacesProps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    namespaces: tuple[NamespaceSpec, ...]  # required
    application_namespace: str = "default"  # the Application's destination; every object here is cluster-scoped


class Namespaces(Component):
    layer = "cluster-services"
    rank = 0  # every namespaced object of every layer lands in one of these

    def __init__(self, scope: Construct, props: NamespacesProps):
        super().__init__(scope, "namespaces", props.application_namespace, pod_security=None)
        self.props = p = props
        lbls = labels("namespaces", "namespace")
        for ns in p.namespaces:
            if ns.level not in LEVELS:
                raise ValueError(f"namespace {ns.name!r}: unknown Pod Security level {ns.level!r}")
            if ns.level != "restricted" and not ns.reason:
                raise ValueError(f"namespace {ns.name!r}: level {ns.level!r} needs a reason")
            annotations = {REASON_ANNOTATION: ns.reason} if ns.reason else None
            self.add({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": metadata(ns.name, None, {**lbls, **pod_security(ns.level)}, annotations)})

    @property
    def names(self) -> set[str]:
        return {ns.name for ns in self.props.namespaces}
