"""The one way composition builds a component's props: its settings as configured, plus wiring."""
from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

P = TypeVar("P", bound=BaseModel)


def props(cls: type[P], settings: BaseModel | None = None, **wiring: Any) -> P:
    """``cls`` from the fields of ``settings`` it declares (a section may feed two components) and
    ``wiring``: the values composition supplies (hosts, issuers, stores, peers)."""
    fields = {} if settings is None else {k: getattr(settings, k) for k in type(settings).model_fields
                                          if k in cls.model_fields}
    return cls.model_validate({**fields, **wiring})
