"""Named parameter sets ("presets") for a family's modules.

A family with presets wraps its generated :class:`~spikeplug.ModuleSet` once::

    MODULES = PresetModuleSet.of(build_modules(MODEL, "LI", __name__), {"bio": {"v_leak": -70.0}})

and lists the names in its ``ModelSpec(presets=("bio",))``. Then
``spikeplug.create("li", preset="bio", tau_mem_inv=50.0)`` builds the layer from the
preset's values with the user's keywords on top (the user wins), and
``MODULES.parameters("bio")`` gives the preset as a parameter object.

:class:`PresetModuleSet` *is* a :class:`~spikeplug.ModuleSet` (same forms, same
``create`` when no preset is asked for), so everything that reads a family's forms keeps
working.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from torch import nn

from .errors import ParameterError
from .modules import ModuleSet
from .params import build_parameters

__all__ = ["PresetModuleSet"]


class PresetModuleSet(ModuleSet):
    """A family's modules plus named parameter sets: ``create(form, preset=None, **kwargs)``.

    Build it with :meth:`of`. ``presets`` maps a preset name to parameter overrides
    (field name to value); it is copied, so later changes to the caller's dicts do not
    leak in.
    """

    #: preset name -> parameter overrides; set by :meth:`of` (none on a bare copy)
    presets: Mapping[str, dict[str, Any]] = MappingProxyType({})

    @classmethod
    def of(cls, modules: ModuleSet, presets: Mapping[str, Mapping[str, Any]]) -> PresetModuleSet:
        """``modules`` with ``presets`` attached (values are checked on first use, where
        unknown field names raise :class:`~spikeplug.ParameterError`)."""
        made = cls(*modules)
        made.presets = {name: dict(values) for name, values in presets.items()}
        return made

    def preset_values(self, preset: str) -> dict[str, Any]:
        """The parameter overrides of ``preset``; an unknown name lists the valid ones."""
        values = self.presets.get(preset) if isinstance(preset, str) else None
        if values is None:
            names = sorted(self.presets)
            if not names:
                raise ParameterError(f"preset: {self.model.name!r} has no presets, got {preset!r}")
            close = difflib.get_close_matches(str(preset), names, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ParameterError(
                f"preset must be one of {', '.join(map(repr, names))} for {self.model.name!r}, "
                f"got {preset!r}.{hint}"
            )
        return dict(values)

    def parameters(self, preset: str | None = None, **overrides: Any) -> Any:
        """The parameter object of ``preset`` (or the defaults) with ``overrides`` on top."""
        values = {} if preset is None else self.preset_values(preset)
        return build_parameters(self.model.parameters, None, {**values, **overrides})

    def create(self, form: str | None = None, *, preset: str | None = None, **kwargs: Any) -> nn.Module:
        """Instantiate ``form``; with ``preset=`` its values are the starting point and
        the keywords given here override them."""
        if preset is not None:
            if kwargs.get("p") is not None:
                name = self.model.name
                raise ParameterError(
                    f"preset={preset!r} cannot be combined with p=; give the changes to the preset as "
                    f"keywords (e.g. v_th=1.5), or build p with "
                    f"spikeplug.registry.factory({name!r}).parameters({preset!r}, ...)"
                )
            kwargs = {**self.preset_values(preset), **kwargs}
        return ModuleSet.create(self, form, **kwargs)

    __call__ = create
