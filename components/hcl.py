"""A small, deterministic HCL writer for OpenBao configuration and policies.

Blocks are (labels, body) pairs; a body is a dict whose values are scalars, lists of scalars,
nested dicts (``name { ... }``) or Block lists (repeated labelled blocks). Keys keep the order given.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias


@dataclass(frozen=True)
class Block:
    kind: str
    labels: tuple[str, ...] = ()
    body: Mapping[str, HclValue] = field(default_factory=dict[str, "HclValue"])


# An attribute's value: a scalar, a list of values, a nested block body, or (repeated) blocks.
HclValue: TypeAlias = "bool | int | float | str | Sequence[HclValue] | Mapping[str, HclValue] | Block"


def _scalar(value: HclValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(str(value))


def _body(body: Mapping[str, HclValue], indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    for key, value in body.items():
        if isinstance(value, Block):
            lines += _block(value, indent)
        elif isinstance(value, tuple) and value and all(isinstance(v, Block) for v in value):
            for b in value:
                assert isinstance(b, Block)
                lines += _block(b, indent)
        elif isinstance(value, Mapping):
            lines.append(f"{pad}{key} {{")
            lines += _body(value, indent + 1)
            lines.append(f"{pad}}}")
        else:
            lines.append(f"{pad}{key} = {_scalar(value)}")
    return lines


def _block(block: Block, indent: int) -> list[str]:
    pad = "  " * indent
    head = " ".join([block.kind, *(json.dumps(label) for label in block.labels)])
    return [f"{pad}{head} {{", *_body(block.body, indent + 1), f"{pad}}}"]


def render(*items: Block | tuple[str, HclValue]) -> str:
    """Top-level blocks and ``(key, value)`` attributes, one blank line between blocks."""
    chunks: list[str] = []
    for item in items:
        if isinstance(item, Block):
            chunks.append("\n".join(_block(item, 0)))
        else:
            key, value = item
            line = f"{key} = {_scalar(value)}"
            # consecutive attributes stay together; blocks are separated by a blank line
            if chunks and not chunks[-1].endswith("}"):
                chunks[-1] += "\n" + line
            else:
                chunks.append(line)
    return "\n\n".join(chunks) + "\n"
