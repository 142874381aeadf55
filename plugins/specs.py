"""What plugins return from their hooks, and what the registry adds to it."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

import attrs

from .errors import InvalidNameError, PluginError

__all__ = ["ModelSpec", "NIRMapping", "NIRImport", "Entry", "KINDS", "parse_name", "qualified_name", "resolve_reference"]

KINDS = ("neuron", "encoder", "surrogate")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PLUGIN = re.compile(r"^[A-Za-z0-9_.\-]+$")


def _check_name(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise InvalidNameError(
            f"{type(instance).__name__}.{attribute.name} must be snake_case "
            f"(lowercase letters, digits, '_', starting with a letter), got {value!r}"
        )


def _check_callable_or_ref(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    """Validator: a callable, or a lazy ``"package.module:attribute"`` reference (checked for
    its form now; imported on first use)."""
    if callable(value):
        return
    if isinstance(value, str):
        module_name, sep, attr = value.partition(":")
        if sep and module_name and attr:
            return
    label = getattr(instance, "name", None) or getattr(instance, "model", "?")
    raise PluginError(
        f"{type(instance).__name__}({label!r}).{attribute.name} must be a callable or a lazy reference "
        f"'package.module:attribute', got {value!r} ({type(value).__name__})"
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
    factory: Callable[..., Any] | str = attrs.field(validator=_check_callable_or_ref)
    parameters: type | str | None = None
    presets: tuple[str, ...] = attrs.field(default=(), converter=tuple)


def _check_nir_types(instance: Any, attribute: attrs.Attribute, value: tuple[str, ...]) -> None:
    bad = [v for v in value if not isinstance(v, str) or not v.isidentifier()]
    if bad:
        raise PluginError(
            f"NIRMapping({instance.model!r}).nir_types must be NIR node class names such as 'CubaLIF', got {bad[0]!r}"
        )


@attrs.frozen
class NIRMapping:
    """How one of a plugin's own neuron models translates to and from a NIR node.

    Returned by the hook ``spikeplug_nir_mappings``; the host attaches the origin and
    checks that ``model`` is a model of the same plugin. Both functions may be lazy
    ``"package.module:attribute"`` references, so registration imports neither ``nir``
    nor the family's code.

    :param model: the plugin's model name (bare, e.g. ``"lif"``).
    :param nir_types: the NIR node class names the model is exported as and imported from,
        e.g. ``("CubaLIF",)``; the first one is what :func:`spikeplug.to_nir` writes.
    :param to_nir: ``to_nir(params, shape, dt) -> nir.NIRNode``: the node for a population
        of ``shape`` neurons with parameters ``params`` simulated at step ``dt`` (seconds).
        Raise :class:`spikeplug.nir.NIRError` for parameters NIR cannot express.
    :param from_nir: ``from_nir(node, dt) -> NIRImport``: parameter overrides for
        ``create(model, ...)`` and the input gain that makes the model's step at ``dt`` follow
        the node's ODE exactly. Raise :class:`spikeplug.nir.NIRError` for values it cannot.
    """

    model: str = attrs.field(validator=_check_name)
    nir_types: tuple[str, ...] = attrs.field(converter=tuple, validator=_check_nir_types)
    to_nir: Callable[..., Any] | str = attrs.field(validator=_check_callable_or_ref)
    from_nir: Callable[..., Any] | str = attrs.field(validator=_check_callable_or_ref)

    def __attrs_post_init__(self) -> None:
        if not self.nir_types:
            raise PluginError(f"NIRMapping({self.model!r}).nir_types must name at least one NIR node type")


@attrs.frozen
class NIRImport:
    """What a mapping's ``from_nir`` returns.

    :param overrides: keyword parameters for ``create(model, **overrides)`` (floats, or
        tensors of the population's shape where the node's values differ per neuron).
    :param input_gain: factor applied to the input before the model's step (a float or a
        tensor of the population's shape); ``1.0`` adds nothing to the network.
    """

    overrides: dict[str, Any] = attrs.field(factory=dict, converter=dict)
    input_gain: Any = 1.0


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
