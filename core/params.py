"""Parameter conventions: frozen attrs classes whose fields carry unit and meaning.

A neuron family declares its parameters once, as an ``attrs`` class built with
:func:`parameters`, each field made by :func:`param`::

    @spikeplug.parameters
    class MyParameters(spikeplug.SpikingParameters):
        tau_mem_inv: float = spikeplug.param(100.0, unit="1/s",
            doc="inverse membrane time constant", validator=spikeplug.positive())

* Defaults are Python floats; a field may also hold a tensor (per-neuron values, or a
  learnable ``nn.Parameter`` that keeps its gradient).
* Validators understand tensors (``attrs.validators.gt`` does not: ``bool()`` of a
  multi-element tensor raises) and raise :class:`~spikeplug.ParameterError` naming the
  class, the field, the constraint and the value.
* Equality compares values (tensors with ``torch.equal``); numeric fields are left out of
  the hash so equal objects hash alike.
* Unit and meaning live in the field metadata under one key, where
  ``registry.describe`` and ``spikeplug describe`` read them.
"""

from __future__ import annotations

import difflib
import inspect
import math
import numbers
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import torch

from .checks import unknown_name
from .errors import ParameterError, StabilityWarning

__all__ = [
    "METADATA_KEY",
    "ParamInfo",
    "param",
    "parameters",
    "Parameters",
    "SpikingParameters",
    "positive",
    "non_negative",
    "finite",
    "one_of",
    "known_surrogate",
    "param_info",
    "constraint_text",
    "build_parameters",
    "tensor_fields",
]

METADATA_KEY = "spikeplug"

T = TypeVar("T")


#: an Euler step does not overshoot for ``dt·rate <= EULER_RATE_BOUND`` (see :func:`param`'s ``rate``)
EULER_RATE_BOUND = 1.0
#: a surrogate whose derivative peaks above this is steep enough to blow gradients up
STEEP_SURROGATE_PEAK = 2.0


@attrs.frozen
class ParamInfo:
    """Unit and meaning of one parameter field (stored in the field's metadata).

    ``rate``: the field is a rate integrated with forward Euler (``dt·value`` is the
    fraction of the distance to equilibrium covered in one step).
    """

    unit: str
    doc: str
    rate: bool = False


def _as_number_tensor(value: Any) -> torch.Tensor | None:
    """The value as a detached tensor, or None when it is not a number or tensor."""
    if isinstance(value, bool):
        return None
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, numbers.Real):
        return torch.tensor(float(value), dtype=torch.float64)
    return None


def _plain_number(value: Any) -> Any:
    """Converter of numeric fields: integers and numpy scalars (``1``, ``np.float32(50.0)``,
    ``np.int64(3)``) become the Python float they stand for, so a parameter object holds
    floats or tensors only (and ``v_th=1`` equals ``v_th=1.0``); everything else, bools
    included, is left for the validator to judge."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, float, torch.Tensor)):
        return float(value)
    return value


def values_equal(a: Any, b: Any) -> bool:
    """Value equality for parameter fields that may hold floats or tensors."""
    if not isinstance(a, torch.Tensor) and not isinstance(b, torch.Tensor):
        return bool(a == b)
    ta, tb = _as_number_tensor(a), _as_number_tensor(b)
    if ta is None or tb is None or ta.shape != tb.shape:
        return False
    return bool(torch.equal(ta.to(torch.float64).cpu(), tb.to(torch.float64).cpu()))


def _describe_value(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        if value.is_meta:
            return f"a meta tensor of shape {tuple(value.shape)}"
        if value.numel() == 1:
            return f"tensor({value.detach().item()!r})"
        return f"a tensor of shape {tuple(value.shape)}"
    return repr(value)


@attrs.frozen
class _NumberCheck:
    """Tensor-aware validator: ``predicate`` must hold for every element."""

    predicate: Callable[[torch.Tensor], torch.Tensor]
    constraint: str

    def __call__(self, instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        owner = f"{type(instance).__name__}.{attribute.name}"
        t = _as_number_tensor(value)
        if t is None:
            raise ParameterError(
                f"{owner} must be a number or a tensor, got {value!r} "
                f"({type(value).__name__})"
            )
        if not (t.is_floating_point() or t.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)):
            raise ParameterError(f"{owner} must hold real numbers, got a {t.dtype} tensor")
        if t.is_meta:
            return  # no values to check: shape inference on the meta device
        ok = self.predicate(t.to(torch.float64) if not t.is_floating_point() else t)
        if not bool(ok.all()):
            bad = t.reshape(-1)[~ok.reshape(-1)]
            example = bad[0].item()
            where = "" if t.numel() == 1 else f" ({bad.numel()} of {t.numel()} elements violate it, e.g. {example!r})"
            raise ParameterError(f"{owner} must be {self.constraint}, got {_describe_value(value)}{where}")


def positive() -> _NumberCheck:
    """Validator: every element finite and > 0 (time constants, ``dt``)."""
    return _NumberCheck(lambda t: torch.isfinite(t) & (t > 0), "finite and > 0")


def non_negative() -> _NumberCheck:
    """Validator: every element finite and >= 0."""
    return _NumberCheck(lambda t: torch.isfinite(t) & (t >= 0), "finite and >= 0")


def finite() -> _NumberCheck:
    """Validator: every element finite (thresholds, potentials)."""
    return _NumberCheck(torch.isfinite, "finite")


@attrs.frozen
class one_of:  # noqa: N801 - reads like the attrs validators it stands beside
    """Validator: the value is one of ``choices`` (strings)."""

    choices: tuple[str, ...] = attrs.field(converter=tuple)

    def __call__(self, instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if value not in self.choices:
            raise ParameterError(
                f"{type(instance).__name__}.{attribute.name} must be one of "
                f"{', '.join(map(repr, self.choices))}, got {value!r}"
            )


@attrs.frozen
class known_surrogate:  # noqa: N801
    """Validator: the value names a surrogate method known to the registry.

    The list of methods is not fixed: plugins add methods, so the check asks the
    registry (loaded lazily on first use).
    """

    def __call__(self, instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        from .surrogates import get_surrogate, surrogate_names

        if isinstance(value, str):
            try:
                get_surrogate(value)  # bare or qualified ("plugin:name"), as the step will look it up
                return
            except (LookupError, ValueError) as exc:  # unknown, malformed, or a bare name several plugins share
                reason = str(exc)
        else:
            reason = ""
        names = surrogate_names()
        close = difflib.get_close_matches(str(value), names, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ParameterError(
            f"{type(instance).__name__}.{attribute.name} must name a surrogate method "
            f"({', '.join(map(repr, sorted(names)))}, or 'plugin:name'), got {value!r}.{hint}"
            + (f" ({reason})" if "several plugins" in reason else "")
        )


def param(
    default: Any,
    *,
    unit: str,
    doc: str,
    validator: Callable[[Any, attrs.Attribute, Any], None] | None = None,
    rate: bool | None = None,
) -> Any:
    """Declare one parameter field with its default, unit and meaning.

    :param default: a Python float (or string for choices); never a tensor, so that
        nothing is allocated at import and no default is shared between instances.
        ``None`` declares an optional tensor field (e.g. a coupling matrix sized by the
        module); validators then run only on given values.
    :param unit: SI unit, e.g. ``"1/s"``, ``"s"``, ``"V"`` or ``""`` for dimensionless.
    :param doc: one-line meaning shown by ``spikeplug describe``.
    :param validator: a tensor-aware validator such as :func:`positive`.
    :param rate: the field is a rate (an inverse time constant) that the step integrates
        with forward Euler, ``x' = x + dt·rate·(…)``. The default: fields whose unit is
        ``"1/s"``. The step overshoots its equilibrium when ``dt·rate`` exceeds 1 and
        diverges above 2, so parameter objects warn (:class:`~spikeplug.StabilityWarning`)
        when ``dt·rate > 1`` and ``spikeplug describe`` shows the bound.
    """
    if isinstance(default, torch.Tensor):
        raise TypeError("param() defaults must be Python numbers or strings, not tensors")
    numeric = default is None or (isinstance(default, (int, float)) and not isinstance(default, bool))
    if default is None and validator is not None:
        validator = attrs.validators.optional(validator)
    return attrs.field(
        default=default,
        validator=validator,
        converter=_plain_number if numeric else None,
        metadata={METADATA_KEY: ParamInfo(unit=unit, doc=doc, rate=unit == "1/s" if rate is None else bool(rate))},
        eq=attrs.cmp_using(eq=values_equal) if numeric else True,
        hash=not numeric,
    )


def parameters(cls: type[T] | None = None, *, positional: Sequence[str] = ()) -> Any:
    """Class decorator for parameter classes: frozen, keyword-only attrs class.

    Keyword-only by default, so that shared fields (``dt``, ``method``, ``alpha``) can live
    in a base class without fixing a positional order users would have to remember.
    ``positional`` declares an order in which the named fields may also be given by
    position (a family that mirrors another library's class uses that library's order);
    every field stays accepted as a keyword. The order belongs to the decorated class only:
    a subclass is keyword-only unless it declares its own::

        @spikeplug.parameters(positional=("tau_mem_inv", "v_th"))
        class MyParameters(spikeplug.SpikingParameters): ...

        MyParameters(50.0, 0.5) == MyParameters(tau_mem_inv=50.0, v_th=0.5)
    """
    if cls is None:
        return lambda c: parameters(c, positional=positional)
    made = attrs.frozen(kw_only=True)(cls)
    if positional:
        _accept_positional(made, tuple(positional))
    return made


def _accept_positional(cls: type, order: tuple[str, ...]) -> None:
    """Let ``cls(...)`` take the fields of ``order`` by position, in that order."""
    fields = {f.name: f for f in attrs.fields(cls)}
    unknown = [n for n in order if n not in fields]
    if unknown or len(set(order)) != len(order):
        raise TypeError(
            f"{cls.__name__}: positional must name distinct fields of the class, got {order!r} "
            f"(not fields: {unknown}); its fields are {', '.join(fields)}"
        )
    keyword_init = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(order):
            raise TypeError(
                f"{cls.__name__}() takes at most {len(order)} positional arguments ({', '.join(order)}), "
                f"got {len(args)}; give the others as keywords"
            )
        for name, value in zip(order, args):
            if name in kwargs:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {name!r}")
            kwargs[name] = value
        keyword_init(self, **kwargs)

    def sig(name: str, kind: inspect._ParameterKind) -> inspect.Parameter:
        default = fields[name].default
        return inspect.Parameter(name, kind, default=inspect.Parameter.empty if default is attrs.NOTHING else default)

    __init__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [sig(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in order]
        + [sig(n, inspect.Parameter.KEYWORD_ONLY) for n in fields if n not in order]
    )
    __init__.__doc__ = keyword_init.__doc__
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = __init__  # type: ignore[misc]


def _largest(value: Any) -> float | None:
    """The largest element of a number or tensor (None for meta tensors and non-numbers)."""
    if isinstance(value, torch.Tensor):
        if value.is_meta or value.numel() == 0 or value.is_complex():
            return None
        return float(value.detach().max())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _outside_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside this module and attrs' generated
    ``__init__``, so a warning points at the line that built the parameters (however many
    wrappers, such as the positional ``__init__``, lie between)."""
    frame, level = sys._getframe(1), 1  # the _warn_* function calling this one
    while frame is not None and (frame.f_code.co_filename == __file__ or frame.f_code.co_filename.startswith("<attrs")):
        frame, level = frame.f_back, level + 1
    return level


def _warn_unstable_rates(p: Any) -> None:
    """Warn for every rate field with ``dt·rate > 1`` (see :func:`param`'s ``rate``)."""
    dt = _largest(getattr(p, "dt", None))
    if dt is None:
        return
    for field in attrs.fields(type(p)):
        if not param_info(field).rate:
            continue
        rate = _largest(getattr(p, field.name))
        if rate is None or dt * rate <= EULER_RATE_BOUND:
            continue
        warnings.warn(
            f"{type(p).__name__}: dt·{field.name} = {dt:g}·{rate:g} = {dt * rate:g} > {EULER_RATE_BOUND:g}: the "
            f"forward-Euler step overshoots its equilibrium (it oscillates above 1 and diverges to inf/NaN above 2). "
            f"Use dt <= {EULER_RATE_BOUND / rate:g} s for this {field.name}",
            StabilityWarning,
            stacklevel=_outside_stacklevel(),
        )


def _warn_steep_surrogate(p: Any) -> None:
    """Warn when the threshold's surrogate derivative peaks above :data:`STEEP_SURROGATE_PEAK`."""
    from .surrogates import get_surrogate

    derivative = get_surrogate(p.method).derivative
    alpha = _largest(p.alpha)
    if derivative is None or alpha is None:
        return
    with torch.no_grad():
        peak = float(derivative(torch.zeros((), dtype=torch.float64), alpha))
    if not math.isfinite(peak):
        warnings.warn(
            f"{type(p).__name__}: surrogate method={p.method!r} with alpha={alpha:g} has no finite derivative at the "
            f"threshold (it is {peak!r} there), so a step that lands exactly on the threshold gives a non-finite "
            f"gradient. Choose alpha > 0 for this method",
            StabilityWarning,
            stacklevel=_outside_stacklevel(),
        )
    elif peak > STEEP_SURROGATE_PEAK:
        warnings.warn(
            f"{type(p).__name__}: surrogate method={p.method!r} with alpha={alpha:g} has a derivative of {peak:g} at "
            f"the threshold (> {STEEP_SURROGATE_PEAK:g}); through a differentiable reset each spike near threshold "
            f"can multiply a gradient by about that much, so gradients over many steps explode to inf/NaN. Choose "
            f"alpha so that the peak stays <= {STEEP_SURROGATE_PEAK:g}, or detach the reset (detach_reset=True)",
            StabilityWarning,
            stacklevel=_outside_stacklevel(),
        )


@parameters
class Parameters:
    """Base of every parameter class: the Euler time step.

    Construction warns (:class:`~spikeplug.StabilityWarning`, once per value and place)
    when a rate field makes the Euler step unstable at this ``dt``; the values are legal
    and kept as given.
    """

    dt: float = param(0.001, unit="s", doc="integration time step", validator=positive())

    def __attrs_post_init__(self) -> None:
        _warn_unstable_rates(self)

    def _replace(self: T, **changes: Any) -> T:
        """A copy with ``changes`` applied and validated (the spelling of ``NamedTuple._replace``,
        for code written against parameter tuples). Unknown names raise
        :class:`~spikeplug.ParameterError` listing the fields."""
        return build_parameters(type(self), self, changes)


@parameters
class SpikingParameters(Parameters):
    """Base of the parameter classes of spiking models: the surrogate gradient."""

    method: str = param(
        "super", unit="", doc="surrogate gradient method of the threshold", validator=known_surrogate()
    )
    alpha: float = param(
        100.0,
        unit="",
        doc="sharpness of the surrogate gradient (0 is the method's flat limit: 'super' then passes gradients "
        "straight through, 'triangle' passes none)",
        validator=non_negative(),
    )

    def __attrs_post_init__(self) -> None:
        _warn_unstable_rates(self)
        _warn_steep_surrogate(self)


def constraint_text(field: attrs.Attribute) -> str:
    """What a field accepts, in words, read from its validator (``"finite and > 0"``,
    ``"one of 'value', 'subtract'"``...; ``""`` when nothing is declared), plus the Euler
    bound of a rate field (``"dt·tau_mem_inv <= 1 for a stable step"``)."""
    parts = []
    validator = field.validator
    if validator is not None and hasattr(validator, "validator") and type(validator).__name__ == "_OptionalValidator":
        validator, optional = validator.validator, True
    else:
        optional = False
    if isinstance(validator, _NumberCheck):
        parts.append(validator.constraint)
    elif isinstance(validator, one_of):
        parts.append(f"one of {', '.join(map(repr, validator.choices))}")
    elif isinstance(validator, known_surrogate):
        parts.append("a registered surrogate method")
    if optional and parts:
        parts[-1] = f"None or {parts[-1]}"
    if param_info(field).rate:
        parts.append(f"dt·{field.name} <= {EULER_RATE_BOUND:g} for a stable Euler step")
    return "; ".join(parts)


def param_info(field: attrs.Attribute) -> ParamInfo:
    """The unit and meaning of a field (an empty one for fields not made by :func:`param`)."""
    return field.metadata.get(METADATA_KEY, ParamInfo(unit="", doc=""))


def tensor_fields(p: Any) -> dict[str, torch.Tensor]:
    """The fields of a parameter object that currently hold tensors."""
    return {f.name: getattr(p, f.name) for f in attrs.fields(type(p)) if isinstance(getattr(p, f.name), torch.Tensor)}


def build_parameters(cls: type[T], p: T | None = None, overrides: Mapping[str, Any] | None = None) -> T:
    """``p`` (or the defaults of ``cls``) with ``overrides`` applied, validated.

    Unknown override names raise :class:`ParameterError` with the valid names and close
    matches, instead of attrs' bare ``TypeError``.
    """
    overrides = dict(overrides or {})
    if p is not None and not isinstance(p, cls):
        raise ParameterError(f"p must be a {cls.__name__}, got {type(p).__name__}: {p!r}")
    names = [f.name for f in attrs.fields(cls)]
    unknown = [k for k in overrides if k not in names]
    if unknown:
        raise unknown_name(cls.__name__, "parameter", unknown[0], names)
    if p is None:
        return cls(**overrides)
    return attrs.evolve(p, **overrides) if overrides else p


def format_value(value: Any) -> str:
    """Short human-readable form of a parameter value."""
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else repr(value)
    return _describe_value(value)


def field_names(cls: type) -> Iterable[str]:
    return [f.name for f in attrs.fields(cls)]
