"""Ingress objects and the cert-manager annotation, written once for every component that serves
a host: TLS for every host when the environment asks for it, from its ClusterIssuer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from components import kinds
from components.core import ISSUER_ANNOTATION, metadata
from components.types import DnsLabel, Strict


class IngressSettings(Strict):
    """How hosts are served: TLS from a ClusterIssuer, the largest request body."""

    tls: bool
    cluster_issuer: DnsLabel
    max_body_size: Annotated[str, Field(pattern=r"^[0-9]+[kKmMgG]?$")] = "8m"  # nginx-style, either case


@dataclass(frozen=True)
class Route:
    path: str
    service: str
    port: str = "http"


@dataclass(frozen=True)
class Host:
    host: str
    tls_secret: str
    routes: tuple[Route, ...]


def issuer_annotations(tls: bool, cluster_issuer: str) -> dict[str, str]:
    """What asks cert-manager for an Ingress certificate (nothing without TLS)."""
    return {ISSUER_ANNOTATION: cluster_issuer} if tls else {}


def ingress(name: str, namespace: str, lbls: dict, hosts: tuple[Host, ...], class_name: str, cluster_issuer: str,
            tls: bool, annotations: dict[str, str] | None = None) -> dict:
    spec: dict = {"ingressClassName": class_name}
    if tls:
        spec["tls"] = [{"hosts": [h.host], "secretName": h.tls_secret} for h in hosts]
    spec["rules"] = [
        {"host": h.host, "http": {"paths": [
            {"path": r.path, "pathType": "Prefix", "backend": {"service": {"name": r.service, "port": {"name": r.port}}}}
            for r in h.routes
        ]}}
        for h in hosts
    ]
    return {**kinds.head(kinds.builtin("Ingress")),
            "metadata": metadata(name, namespace, lbls, {**issuer_annotations(tls, cluster_issuer), **(annotations or {})}),
            "spec": spec}
