"""Checks of what users hand to modules: options, sizes, and the parameters and states
that meet an input at forward time.

Written once here for every generated module (and for encoders), so that no family
repeats them and no bad value is silently broadcast, retyped or accepted:

* :func:`flag` takes ``True``/``False`` only (``bool("no")`` is ``True``);
* :func:`positive_int` takes Python and numpy integers, not floats or bools;
* :func:`check_parameters` runs before the first step on an input: every tensor field
  must broadcast *to* the step's shape without enlarging it (a per-neuron ``(N, 1)``
  given for ``(N,)`` neurons would turn every state into ``(N, N)``), per-neuron values
  must have the input's dtype (type promotion would turn a float32 model into float64)
  and device, and a Python float must be representable in the input's dtype;
* :func:`check_state` does the same for a state passed in: every field a tensor of the
  population's shape, dtype and device.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Sequence
from typing import Any

import attrs
import torch

from .errors import ParameterError, StateError

__all__ = ["flag", "positive_int", "check_parameters", "check_state", "shape_text", "unknown_name"]


def flag(value: Any, *, name: str, owner: str = "") -> bool:
    """``value`` if it is ``True`` or ``False`` (numpy booleans included), else a
    :class:`ParameterError` naming ``name``; strings such as ``"no"`` are refused rather
    than read as ``True``."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    where = f"{owner}: " if owner else ""
    raise ParameterError(f"{where}{name} must be True or False, got {value!r} ({type(value).__name__})")


def positive_int(value: Any, *, name: str, owner: str = "", meaning: str = "") -> int:
    """``value`` as a positive ``int``, or a :class:`ParameterError` naming ``name``, the
    value and what was expected.

    Anything that is an integer by ``operator.index`` passes: ``int``, NumPy integers
    (``np.int64(8)``), 0-d integer tensors. ``bool`` (and ``np.bool_``), floats (even ``8.0``)
    and strings are refused."""
    if not isinstance(value, bool):
        try:
            n = operator.index(value)
        except TypeError:
            n = None
        if n is not None and n > 0:
            return n
    where = f"{owner}: " if owner else ""
    what = f" ({meaning})" if meaning else ""
    raise ParameterError(f"{where}{name} must be a positive int{what}, got {value!r} ({type(value).__name__})")


def shape_text(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def check_parameters(p: Any, shape: Sequence[int], dtype: torch.dtype, device: torch.device, *, owner: str) -> None:
    """Raise :class:`ParameterError` unless every field of ``p`` fits a step on a
    population of ``shape`` computed in ``dtype`` on ``device``."""
    S = torch.Size(shape)
    for field in attrs.fields(type(p)):
        value = getattr(p, field.name)
        name = f"{type(p).__name__}.{field.name}"
        if isinstance(value, torch.Tensor):
            # an optional field (default None) holds a structure sized by the module, e.g. a
            # coupling matrix; only elementwise fields must broadcast to the population
            _check_tensor_parameter(value, name, S, dtype, device, owner, elementwise=field.default is not None)
        elif isinstance(value, float) and dtype.is_floating_point and abs(value) > torch.finfo(dtype).max:
            if value == value and abs(value) != float("inf"):
                raise ParameterError(
                    f"{owner}: {name} = {value!r} is not representable in {dtype} (largest "
                    f"{torch.finfo(dtype).max:.4g}); it would become inf in every step. Use a smaller value or "
                    f"run the model in float64 (module.double() and a float64 input)"
                )


def _check_tensor_parameter(
    t: torch.Tensor, name: str, S: torch.Size, dtype: torch.dtype, device: torch.device, owner: str, elementwise: bool
) -> None:
    if t.device != device and not (t.dim() == 0 and t.device.type == "cpu"):
        raise ParameterError(
            f"{owner}: {name} is on {t.device} but the input is on {device}; move the module with "
            f".to({str(device)!r}) (parameter tensors are buffers or nn.Parameters, so .to() moves them)"
        )
    if t.dim() == 0:
        return  # a scalar tensor neither broadcasts the state nor promotes its dtype
    try:
        fits = not elementwise or torch.broadcast_shapes(t.shape, S) == S
    except RuntimeError:
        fits = False
    if not fits:
        raise ParameterError(
            f"{owner}: {name} has shape {shape_text(t.shape)}, which does not broadcast to the population's "
            f"shape {shape_text(S)} without changing it; give one value per neuron in the trailing dimensions "
            f"(e.g. shape {shape_text(S[-1:])}) or a scalar"
        )
    if t.is_floating_point() and dtype.is_floating_point and t.dtype != dtype:
        raise ParameterError(
            f"{owner}: {name} is a per-neuron {t.dtype} tensor but the input is {dtype}; the step would "
            f"compute in {torch.promote_types(t.dtype, dtype)}. Give the parameter in the input's dtype, or convert "
            f"the module (module.to({dtype})) or the input"
        )


def check_state(
    state: Any, state_type: type, shape: Sequence[int], dtype: torch.dtype, device: torch.device, *, owner: str
) -> Any:
    """``state`` as a ``state_type`` whose every field is a tensor of ``shape``, ``dtype``
    and ``device``, else a :class:`StateError` naming the field."""
    if type(state) is not state_type:
        if isinstance(state, tuple) and len(state) == len(state_type._fields):
            state = state_type._make(state)
        else:
            raise StateError(
                f"{owner}: state must be a {state_type.__name__}{state_type._fields} (or None for the initial "
                f"state), got {type(state).__name__}"
            )
    S = torch.Size(shape)
    for field, value in zip(state_type._fields, state):
        where = f"{owner}: state.{field}"
        if not isinstance(value, torch.Tensor):
            raise StateError(f"{where} must be a tensor of shape {shape_text(S)}, got {type(value).__name__}")
        if value.shape != S:
            raise StateError(
                f"{where} has shape {shape_text(value.shape)}, but this input needs {shape_text(S)}; a state "
                f"carries over only to inputs of the shape it was made for (pass state=None to start afresh)"
            )
        if value.dtype != dtype:
            raise StateError(
                f"{where} is {value.dtype} but the input computes in {dtype}; convert the state or the input"
            )
        if value.device != device:
            raise StateError(f"{where} is on {value.device} but the input is on {device}; move one of them")
    return state


def unknown_name(owner: str, what: str, key: str, names: Sequence[str]) -> ParameterError:
    """The error for keyword ``key`` that ``owner`` does not take: close matches and the names
    it does take, e.g. ``LIFParameters has no parameter 'v_thr'. Did you mean 'v_th'? Its
    parameters are: ...`` (``what`` is the singular noun: ``parameter``, ``argument``)."""
    close = difflib.get_close_matches(key, list(names), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    known = f"Its {what}s are: {', '.join(names)}." if names else f"It takes no {what}s."
    return ParameterError(f"{owner} has no {what} {key!r}.{hint} {known}")
