"""Import aiogram with its Bot API models built when first used, not all at import.

aiogram declares its ~700 models with pydantic's ``defer_build``, then rebuilds every one of
them at import (the loop at the end of ``aiogram/types/__init__.py``) to hand them the names
their string annotations refer to. pydantic-core then holds a validator per model, each with
its own copy of every model inside it: 80 of the 170 MB that ``import aiogram`` takes
(aiogram issue #1513). Here that loop only hands the names over — into each model's module,
where pydantic looks for them when it builds a deferred model on first use — so only the
models the service meets (an update, a message, the few methods it calls) are built.
Validation is unchanged: the same schema, built later; a model that is not deferred is
rebuilt as aiogram asks.
"""

from __future__ import annotations

import sys
from typing import Any

import pydantic


def _import_lazily() -> None:
    if "aiogram.types" in sys.modules:
        return  # imported already, the usual way
    eager = pydantic.BaseModel.__dict__["model_rebuild"]

    def hand_over_names(cls: type[pydantic.BaseModel], *, force: bool = False,
                        raise_errors: bool = True, _parent_namespace_depth: int = 2,
                        _types_namespace: dict[str, Any] | None = None) -> bool | None:
        if (_types_namespace is None or force
                or not cls.__module__.startswith("aiogram.types.")
                or not cls.model_config.get("defer_build")):
            return eager.__func__(cls, force=force, raise_errors=raise_errors,
                                  _parent_namespace_depth=_parent_namespace_depth + 1,
                                  _types_namespace=_types_namespace)
        module = sys.modules[cls.__module__].__dict__
        for name, value in _types_namespace.items():
            module.setdefault(name, value)
        return None

    pydantic.BaseModel.model_rebuild = classmethod(hand_over_names)  # type: ignore[assignment]
    try:
        import aiogram.types  # noqa: F401
    finally:
        pydantic.BaseModel.model_rebuild = eager  # type: ignore[method-assign]


_import_lazily()
