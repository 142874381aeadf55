"""Errors and warnings of the plugin system, rooted in :class:`spikeplug.SpikeplugError`."""

from __future__ import annotations

from spikeplug.errors import SpikeplugError, SpikeplugWarning

__all__ = [
    "RegistryError",
    "UnknownNameError",
    "AmbiguousNameError",
    "DuplicateNameError",
    "InvalidNameError",
    "PluginError",
    "PluginLoadWarning",
    "ShadowedNameWarning",
]


class RegistryError(SpikeplugError):
    """Base of the registry's errors."""


class UnknownNameError(RegistryError, LookupError):
    """No registered model has this name (the message lists close matches and hints)."""


class AmbiguousNameError(RegistryError, LookupError):
    """A bare name is provided by several plugins; the message lists the qualified names."""


class DuplicateNameError(RegistryError, ValueError):
    """``register`` was given a qualified name that is already taken."""


class InvalidNameError(RegistryError, ValueError):
    """A name does not have the form ``name`` or ``plugin:name``."""


class PluginError(RegistryError, RuntimeError):
    """A plugin broke its contract (bad return value, unimportable factory)."""


class PluginLoadWarning(SpikeplugWarning):
    """A plugin failed to load or its hook raised; every other model keeps working."""


class ShadowedNameWarning(SpikeplugWarning):
    """A plugin's name, or a model name it provides, is taken by another distribution.

    Nothing is lost: the plugin is loaded under its distribution-qualified name
    (``<distribution>.<entry point>``) and the message says how to reach each shadowed model.
    """
