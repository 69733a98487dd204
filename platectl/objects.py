"""Reading a render back: every YAML file of a dist/ tree as an addressed object."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class DuplicateKeyError(yaml.YAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last)."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise DuplicateKeyError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Rendered:
    env: str
    component: str
    file: str  # relative to the render root
    data: dict

    @property
    def kind(self) -> str:
        return self.data.get("kind", "")

    @property
    def name(self) -> str:
        return self.data.get("metadata", {}).get("name", "")

    @property
    def namespace(self) -> str | None:
        return self.data.get("metadata", {}).get("namespace")

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.env, self.component, self.kind, self.namespace or "", self.name)


def load_tree(root: Path, envs: list[str] | None = None, strict: bool = False) -> list[Rendered]:
    """Every object under ``root`` (``<env>/<component>/<file>.yaml``); ``strict`` rejects duplicate keys."""
    out = []
    for file in sorted(root.glob("*/*/*.yaml")):
        rel = file.relative_to(root)
        if envs and rel.parts[0] not in envs:
            continue
        text = file.read_text()
        data = yaml.load(text, Loader=_StrictLoader) if strict else yaml.load(text, Loader=_Loader)
        out.append(Rendered(rel.parts[0], rel.parts[1], str(rel), data))
    return out
