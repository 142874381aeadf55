"""Lazy re-exports for plugin packages.

A plugin package is imported during discovery; its ``__init__`` should not import the
model code. ``lazy_exports`` gives it a PEP 562 ``__getattr__`` that imports a submodule
on first access of one of its names, so ``from spikeplug.neurons_builtin.lif import LIFCell``
still works::

    __getattr__, __dir__ = lazy_exports(__name__, {".model": ["LIFParameters"], ".modules": ["LIFCell"]})
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` exporting ``{submodule: [names]}``."""
    where = {name: sub for sub, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        sub = where.get(name)
        if sub is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(sub, package), name)

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__
