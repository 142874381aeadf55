"""Norse's names and signatures on spikeplug: port Norse code by changing its imports.

::

    import spikeplug.norse as norse              # was: import norse.torch as norse
    from spikeplug.norse.functional.lif import lif_step, LIFParameters

``spikeplug.norse`` mirrors ``norse.torch`` (Norse 1.1.0) for the features spikeplug
covers: the top-level names, ``spikeplug.norse.functional`` and ``spikeplug.norse.module``
(flat, and as Norse's submodules such as ``functional.lif`` or ``module.sequential``).
Every name is spikeplug's own object or a thin adapter onto it: a family's classes come
from the registry, functional steps wrap the family's one ``step`` (:mod:`._adapters`),
and no equation is written twice. Where spikeplug deliberately differs from Norse
(states without gradient, flat refractory parameters, SI units of the presets, ...), the
difference is listed, with the spikeplug spelling, in one table: ``docs/norse.md``. Names
spikeplug does not offer raise an ``AttributeError`` that gives the reason.

Importing ``spikeplug.norse`` loads no family: each name is resolved on first access.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterable
from typing import Any

from ._names import IZHIKEVICH_PRESETS, MODEL_NAMES, NOT_PROVIDED, OBJECT_NAMES, PACKAGES, SUBMODULES, TOP_LEVEL

__all__ = list(TOP_LEVEL)

#: every name spikeplug.norse resolves (top level, functional and module alike)
PROVIDED = frozenset(MODEL_NAMES) | frozenset(OBJECT_NAMES) | frozenset(IZHIKEVICH_PRESETS) | frozenset(
    f"{n}_p" for n in IZHIKEVICH_PRESETS
)
_PRESETS = frozenset(IZHIKEVICH_PRESETS)
_PRESET_PARAMETERS = {f"{n}_p": n for n in IZHIKEVICH_PRESETS}


def resolve(name: str, where: str = __name__) -> Any:
    """The object behind the Norse name ``name`` (see :mod:`._names` for where each comes from).

    Izhikevich behaviours (``tonic_spiking``) are built anew on every access, so that no
    caller can change a preset for another.
    """
    if name in MODEL_NAMES:
        import spikeplug

        family, attribute = MODEL_NAMES[name]
        modules = spikeplug.registry.factory(f"{family}:{family}")
        if attribute in ("parameters", "state", "recurrent_state"):
            return getattr(modules.model, attribute)
        from ._forms import norse_form

        return norse_form(getattr(modules, attribute))
    if name in OBJECT_NAMES:
        module, _, attr = OBJECT_NAMES[name].partition(":")
        return getattr(importlib.import_module(module), attr)
    if name in _PRESETS:
        return importlib.import_module(f"{__name__}._izhikevich").preset_behavior(name)
    if name in _PRESET_PARAMETERS:
        return importlib.import_module(f"{__name__}._izhikevich").preset_parameters(_PRESET_PARAMETERS[name])
    if name in NOT_PROVIDED:
        raise AttributeError(f"{where} does not provide Norse's {name!r}: {NOT_PROVIDED[name]} (docs/norse.md)")
    raise AttributeError(f"module {where!r} has no attribute {name!r}")


class NorseNamespace(types.ModuleType):
    """A module mirroring one of Norse's (``spikeplug.norse.functional.lif``...): its names
    are resolved on access from :func:`resolve`; the module has no file of its own."""

    def __init__(self, name: str, names: Iterable[str], doc: str):
        super().__init__(name, doc)
        self.__all__ = sorted(set(names))
        self.__package__ = name.rpartition(".")[0]

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if attr not in self.__all__ and attr not in NOT_PROVIDED:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        return resolve(attr, self.__name__)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__all__))


def _install() -> dict[str, NorseNamespace]:
    """Create ``spikeplug.norse.functional``, ``.module`` and Norse's submodules of them, and
    register them in ``sys.modules`` so that ``import``/``from ... import`` find them."""
    made: dict[str, NorseNamespace] = {}
    for package in PACKAGES:
        members = {sub: names for sub, names in SUBMODULES.items() if sub.startswith(f"{package}.")}
        flat = {n for names in members.values() for n in names}
        if package == "functional":
            flat.add("Lifted")
        ns = NorseNamespace(
            f"{__name__}.{package}", flat, f"Norse's ``norse.torch.{package}`` on spikeplug (see :mod:`spikeplug.norse`)."
        )
        ns.__path__ = []  # a package, so that its submodules import
        for sub, names in members.items():
            child = NorseNamespace(
                f"{__name__}.{sub}", names, f"Norse's ``norse.torch.{sub}`` on spikeplug (see :mod:`spikeplug.norse`)."
            )
            if sub.partition(".")[2] not in flat:     # functional.lift: the function keeps the name
                setattr(ns, sub.partition(".")[2], child)
            made[child.__name__] = child
        made[ns.__name__] = ns
    for full, ns in made.items():
        sys.modules.setdefault(full, ns)
    return made


_NAMESPACES = _install()
functional = _NAMESPACES[f"{__name__}.functional"]
module = _NAMESPACES[f"{__name__}.module"]


def __getattr__(name: str) -> Any:
    if name in PROVIDED or name in NOT_PROVIDED:
        return resolve(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | PROVIDED)
