"""The plugin system of spikeplug: hooks, discovery and the registry.

A plugin package declares an entry point in the ``spikeplug`` group that names a module
with hook implementations::

    # pyproject.toml of the plugin package
    [project.entry-points.spikeplug]
    my_neurons = "my_package.plugin"

    # my_package/plugin.py
    from spikeplug.plugins import ModelSpec, hookimpl

    @hookimpl
    def spikeplug_models():
        return [ModelSpec(name="qif", kind="neuron", summary="quadratic integrate-and-fire",
                          factory="my_package.qif:MODULES", parameters="my_package.qif:QIFParameters")]

The builtin neuron families, encoders and surrogate methods are registered the same way,
by entry points in spikeplug's own ``pyproject.toml``.
"""

from __future__ import annotations

from .errors import (
    AmbiguousNameError,
    DuplicateNameError,
    InvalidNameError,
    PluginError,
    PluginLoadWarning,
    RegistryError,
    ShadowedNameWarning,
    UnknownNameError,
)
from .hookspecs import hookimpl, hookspec
from .registry import PluginRecord, Registry, get_registry
from .specs import Entry, ModelSpec, NIRImport, NIRMapping, parse_name, qualified_name

__all__ = [
    "AmbiguousNameError",
    "DuplicateNameError",
    "Entry",
    "InvalidNameError",
    "ModelSpec",
    "NIRImport",
    "NIRMapping",
    "PluginError",
    "PluginLoadWarning",
    "PluginRecord",
    "Registry",
    "RegistryError",
    "ShadowedNameWarning",
    "UnknownNameError",
    "get_registry",
    "hookimpl",
    "hookspec",
    "parse_name",
    "qualified_name",
]
