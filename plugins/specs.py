"""What plugins return from their hooks, and what the registry adds to it."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import attrs

from .errors import InvalidNameError, PluginError

__all__ = ["ModelSpec", "Entry", "KINDS", "parse_name", "qualified_name", "resolve_reference"]

KINDS = ("neuron", "encoder", "surrogate")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLUGIN = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _check_name(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidNameError(
            f"{type(instance).__name__}.{attribute.name} must be snake_case "
            f"(lowercase letters, digits, '_', starting with a letter), got {value!r}"
        )


def _check_factory(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if callable(value):
        return
    if isinstance(value, str):
        module_name, sep, attr = value.partition(":")
        if sep and module_name and attr:
            return
    raise PluginError(
        f"ModelSpec({instance.name!r}).factory must be a callable or a lazy reference 'package.module:attribute', "
        f"got {value!r} ({type(value).__name__})"
    )


@attrs.frozen
class ModelSpec:
    """A neuron model or encoder contributed by a plugin.

    :param name: snake_case registry name, e.g. ``"lif_adex"``.
    :param kind: ``"neuron"`` or ``"encoder"``.
    :param summary: one line for listings.
    :param factory: what ``create`` calls with the user's keywords: a callable, or a lazy
        ``"package.module:attribute"`` reference imported on first use (keeps plugin
        registration cheap). For neuron models this is usually the family's
        :class:`spikeplug.ModuleSet`.
    :param parameters: the parameter class (or a lazy reference to it), read by
        ``describe``; ``None`` when the model has none.
    :param presets: names of named parameter sets the factory accepts as ``preset=``.
    """

    name: str = attrs.field(validator=_check_name)
    kind: str = attrs.field(validator=attrs.validators.in_(("neuron", "encoder")))
    summary: str
    factory: Callable[..., Any] | str = attrs.field(validator=_check_factory)
    parameters: type | str | None = None
    presets: tuple[str, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class Entry:
    """A registered model or surrogate with the origin the host attached to it."""

    name: str
    kind: str
    summary: str
    spec: Any
    plugin: str
    distribution: str | None = None
    version: str | None = None

    @property
    def qualified_name(self) -> str:
        return qualified_name(self.plugin, self.name)


def qualified_name(plugin: str, name: str) -> str:
    """The inverse of :func:`parse_name`: ``plugin:name``."""
    return f"{plugin}:{name}"


def parse_name(name: str) -> tuple[str | None, str]:
    """Split ``"plugin:name"`` into ``("plugin", "name")``; a bare name gives ``(None, name)``."""
    if not isinstance(name, str):
        raise InvalidNameError(f"a model name must be a string like 'lif' or 'plugin:lif', got {name!r}")
    plugin, sep, bare = name.partition(":")
    if not sep:
        plugin, bare = None, name
    if not _NAME.match(bare) or (plugin is not None and not _PLUGIN.match(plugin)):
        raise InvalidNameError(
            f"{name!r} is not a model name; use 'name' or 'plugin:name' with a snake_case name, e.g. 'lif' or 'lif:lif'"
        )
    return plugin, bare


def resolve_reference(ref: Any, what: str) -> Any:
    """Import a lazy ``"module:attr"`` reference (anything else is returned as is)."""
    if not isinstance(ref, str):
        return ref
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise PluginError(f"{what} {ref!r} must have the form 'package.module:attribute'")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise PluginError(f"{what} {ref!r} cannot be imported: {type(exc).__name__}: {exc}") from exc
    return obj
