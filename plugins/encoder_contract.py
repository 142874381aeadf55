"""What the encoder checks (:func:`spikeplug.plugins.conformance.check_encoder`) and spikeplug's
encoder tests read from the registry: every encoder, how to build it and the
output shape it promises (the contract in :mod:`spikeplug.encoding`).

Encoders are discovered with ``registry.names(kind="encoder")``, so an encoder that a
third-party plugin registers is covered by the same tests as the builtins. What an encoder
needs and what it returns is read from its factory's signature, not from a table of
builtin names:

* a ``seq_length`` argument makes a sequence encoder: output ``(seq_length, *x.shape)``;
* an ``out_features`` argument appends a population axis: output ``(*x.shape, out_features)``;
* otherwise the output has the input's shape.
"""

from __future__ import annotations

import inspect
from typing import Any

from .registry import get_registry

#: constructor arguments the tests know how to fill, with the value they use by default
SIZE_ARGUMENTS = {"seq_length": 3, "out_features": 4}


def encoder_names(registry: Any = None) -> list[str]:
    """Qualified names of every registered encoder (builtin or from another plugin)."""
    return (registry or get_registry()).names(kind="encoder", qualified=True)


def bare(name: str) -> str:
    """``plugin:name`` -> ``name`` (test ids)."""
    return name.partition(":")[2] or name


def constructor_arguments(name: str, registry: Any = None) -> dict[str, inspect.Parameter]:
    """The named arguments of the encoder's factory (``*args``/``**kwargs`` left out)."""
    factory = (registry or get_registry()).factory(name)
    params = inspect.signature(factory).parameters.values()
    return {p.name: p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def takes_any_keyword(name: str, registry: Any = None) -> bool:
    """Whether the factory takes ``**kwargs`` (the LIF encoders take LIF parameter overrides so)."""
    factory = (registry or get_registry()).factory(name)
    return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(factory).parameters.values())


def input_name(name: str, registry: Any = None) -> str:
    """The name of the tensor argument of the encoder's ``forward`` (``x``, ``input_current`` ...)."""
    forward = (registry or get_registry()).factory(name).forward
    params = [p for p in inspect.signature(forward).parameters.values() if p.name != "self"]
    return params[0].name


def default_kwargs(name: str, registry: Any = None, **sizes: Any) -> dict[str, Any]:
    """Keyword arguments that build the encoder: its required size arguments (3 steps, 4
    features unless given in ``sizes``). A required argument the tests cannot fill is a
    test-setup error naming it, so a new encoder gets a value here instead of being skipped."""
    kwargs: dict[str, Any] = {}
    for arg, p in constructor_arguments(name, registry).items():
        if arg in SIZE_ARGUMENTS and (p.default is inspect.Parameter.empty or arg in sizes):
            kwargs[arg] = sizes.get(arg, SIZE_ARGUMENTS[arg])
        elif p.default is inspect.Parameter.empty:
            raise LookupError(f"encoder {name!r} requires {arg!r}, which the encoder tests cannot fill")
    return kwargs


def expected_shape(
    name: str, kwargs: dict[str, Any], x_shape: tuple[int, ...], registry: Any = None
) -> tuple[int, ...]:
    """The output shape the contract promises for an input of ``x_shape``."""
    args = constructor_arguments(name, registry)
    shape = tuple(x_shape)
    if "seq_length" in args:
        shape = (int(kwargs.get("seq_length", args["seq_length"].default)), *shape)
    if "out_features" in args:
        shape = (*shape, int(kwargs.get("out_features", args["out_features"].default)))
    return shape
