"""The platform as a graph: layers, components (with their sync waves) and what orders them:
CRD providers, the secret path (OpenBao -> stores -> consumers) and certificate issuers."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from components.argocd.app_of_apps import LAYER_WAVE, MAX_RANK, wave
from components.core import Component, ComponentInfo

LAYER_TITLE = {"cluster-services": "Cluster services", "tools": "Development tools", "apps": "Applications"}


def edges(components: list[Component]) -> list[tuple[str, str, str]]:
    """(from, to, why), sorted, deduplicated."""
    infos = {c.info.name: c.info for c in components}
    providers = {group: i.name for i in infos.values() for group in i.provides_crds}
    stores = [c.info.name for c in components if any(m["kind"] == "ClusterSecretStore" for m in c.manifests)]
    secret_source = [c.info.name for c in components if any(m["kind"] == "StatefulSet" and
                                                            m["metadata"]["name"] == "openbao" for m in c.manifests)]
    issuing = {m["metadata"]["name"]: c.info.name for c in components for m in c.manifests if m["kind"] == "ClusterIssuer"}
    out: set[tuple[str, str, str]] = set()
    for c in components:
        name = c.info.name
        for m in c.manifests:
            group = m["apiVersion"].rpartition("/")[0]
            if group in providers and providers[group] != name:
                out.add((providers[group], name, "CRDs"))
            if m["kind"] == "ExternalSecret":
                out.update((s, name, "secrets") for s in stores if s != name)
        out.update((issuing[i], name, "certificates") for i in c.info.issuers if i in issuing and issuing[i] != name)
    for s in stores:
        out.update((b, s, "secrets") for b in secret_source)
    return sorted(e for e in out if e[0] in infos and e[1] in infos)


@dataclass(frozen=True)
class Node:
    """A component as the graph shows it: environment components are named ``<env>/<component>``."""

    info: ComponentInfo
    manifests: list[dict]


def nodes(units) -> list[Node]:
    out = []
    for unit in units:
        for c in unit.components:
            name = c.info.name if unit.kind == "cluster" else f"{unit.name}/{c.info.name}"
            out.append(Node(dataclasses.replace(c.info, name=name), c.manifests))
    return out


def _id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _layers(components: list[Component]):
    for layer, base in LAYER_WAVE.items():
        members = sorted((c.info for c in components if c.info.layer == layer), key=lambda i: (wave(i), i.name))
        if members:
            yield layer, base, members


def mermaid(env: str, components: list[Component]) -> str:
    lines = ["flowchart TB"]
    for layer, base, members in _layers(components):
        lines.append(f'  subgraph {_id(env + "_" + layer)}["{env}: {LAYER_TITLE[layer]} (waves {base}-{base + MAX_RANK})"]')
        lines += [f'    {_id(env + "_" + i.name)}["{i.name}<br/>wave {wave(i)}"]' for i in members]
        lines.append("  end")
    lines += [f"  {_id(env + '_' + a)} -->|{why}| {_id(env + '_' + b)}" for a, b, why in edges(components)]
    return "\n".join(lines) + "\n"


def dot(env: str, components: list[Component]) -> str:
    lines = [f'digraph "{env}" {{', "  rankdir=TB;", "  node [shape=box];"]
    for layer, base, members in _layers(components):
        lines.append(f'  subgraph "cluster_{layer}" {{')
        lines.append(f'    label="{env}: {LAYER_TITLE[layer]} (waves {base}-{base + MAX_RANK})";')
        lines += [f'    "{i.name}" [label="{i.name}\\nwave {wave(i)}"];' for i in members]
        lines.append("  }")
    lines += [f'  "{a}" -> "{b}" [label="{why}"];' for a, b, why in edges(components)]
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"mermaid": mermaid, "dot": dot}
