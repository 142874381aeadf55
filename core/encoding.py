"""What encoders share: argument checks and the rate parameters.

Imported by the encoder packages' model code only (never by their ``plugin`` modules), so
plugin registration stays cheap.

The contract every encoder (``kind="encoder"``) keeps, and ``tests/test_encoder_fuzz.py``
checks for every registered one, builtin or third party:

* **Shape.** A factory argument ``seq_length`` makes a sequence encoder whose output is
  time first, ``(seq_length, *x.shape)``; an ``out_features`` argument appends a
  population axis, ``(*x.shape, out_features)``; otherwise the output has ``x``'s shape.
  A 0-d input is one value (``(seq_length,)``, ``()``, ``(out_features,)``) unless the
  input needs an axis (spike trains need time): then :class:`~spikeplug.InputShapeError`.
  Size-0 dims give empty outputs.
* **Dtype and device.** The input's floating dtype, float32 for bool and integer input
  (:func:`as_input`); the input's device. On ``meta`` only values are missing: value
  checks are skipped (:func:`has_values`), so shapes can be inferred there.
* **Values.** Finite, in the encoder's documented range (spikes 0/1, signed spikes, graded
  responses in [0, 1], ...). NaN and ±inf inputs are rejected, never encoded.
* **Errors.** Bad arguments raise :class:`~spikeplug.ParameterError`, bad inputs
  :class:`~spikeplug.InputValueError` or :class:`~spikeplug.InputShapeError`; each names
  the argument and the offending value (or shape), and says what was expected. NumPy
  scalars are taken wherever Python numbers are.
"""

from __future__ import annotations

import sys
from typing import Any

import torch

from .checks import positive_int
from .errors import InputShapeError, InputValueError, ParameterError
from .params import Parameters, build_parameters, param, parameters, positive

__all__ = [
    "RateParameters",
    "RateStepParameters",
    "plain_number",
    "positive_int",
    "sequence_length",
    "as_input",
    "check_generator",
    "check_values",
    "check_finite",
    "check_fits",
    "has_values",
    "spike_probability",
    "given",
]


@parameters
class RateParameters(Parameters):
    """Parameters of the rate (Poisson) encoders that produce a sequence."""

    f_max: float = param(100.0, unit="Hz", doc="firing rate of an input of 1", validator=positive())


@parameters
class RateStepParameters(RateParameters):
    """Parameters of the one-step rate encoders (the reference's default ``f_max`` is 1000 Hz there)."""

    f_max: float = param(1000.0, unit="Hz", doc="firing rate of an input of 1", validator=positive())


def given(**values: Any) -> dict[str, Any]:
    """The keyword overrides that were actually given (``None`` means "not given")."""
    return {k: v for k, v in values.items() if v is not None}


def plain_number(value: Any) -> Any:
    """A NumPy scalar (``np.float32(50.0)``, ``np.int64(8)``) as the Python number it holds;
    anything else (a Python number, a tensor) unchanged. Arithmetic with NumPy scalars
    follows NumPy's promotion rules, which keep a float16/float32 scalar's precision.
    NumPy is not a dependency: without it imported, no value can be a NumPy scalar."""
    np = sys.modules.get("numpy")
    return value.item() if np is not None and isinstance(value, np.generic) else value


def sequence_length(value: Any, owner: str) -> int:
    """``seq_length`` as a positive ``int``, or a :class:`ParameterError` naming it."""
    return positive_int(value, owner=owner, name="seq_length", meaning="number of time steps")


def as_input(x: Any, owner: str, name: str = "input") -> torch.Tensor:
    """``x`` as a floating tensor (bool and integer tensors become float32). Complex and
    quantized tensors are rejected: converting them would drop the imaginary part (torch
    only warns) or the quantization."""
    if not isinstance(x, torch.Tensor):
        raise InputShapeError(f"{owner}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if x.is_complex() or x.is_quantized:
        raise InputValueError(
            f"{owner}: {name} must hold real numbers (bool, integer or floating), got a {x.dtype} tensor"
        )
    return x if x.is_floating_point() else x.to(torch.float32)


def check_generator(generator: Any, owner: str) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ParameterError(
            f"{owner}: generator must be a torch.Generator or None, got {generator!r} ({type(generator).__name__})"
        )
    return generator


def has_values(x: torch.Tensor) -> bool:
    """Whether ``x`` holds values that can be read. A ``meta`` tensor has a shape, dtype and
    device but no values, and an empty tensor has none either: value checks are skipped
    for them, so that running an encoder on ``device="meta"`` infers its output's shape,
    dtype and device, and an empty batch gives an empty output."""
    return x.device.type != "meta" and x.numel() > 0


def check_values(x: torch.Tensor, ok: torch.Tensor, *, owner: str, name: str, expected: str, hint: str = "") -> None:
    """Raise :class:`~spikeplug.InputValueError` unless ``ok`` (a mask broadcasting with ``x``)
    holds everywhere; the message names the argument, an offending value, how many elements
    are outside and the valid range ``expected``. One host synchronisation when all is well;
    none, and no check, for tensors without values (:func:`has_values`)."""
    if not (has_values(x) and has_values(ok)):
        return
    if bool(ok.all()):
        return
    bad = torch.broadcast_to(x, ok.shape)[~ok]
    nan = torch.isnan(bad)
    example = bad[nan][0].item() if bool(nan.any()) else bad[bad.abs().argmax()].item()  # the worst offender
    raise InputValueError(
        f"{owner}: {name} must be {expected}; got {example!r} "
        f"({bad.numel()} of {ok.numel()} elements outside){'; ' + hint if hint else ''}"
    )


def check_fits(value: Any, dtype: torch.dtype, *, owner: str, what: str) -> None:
    """Raise :class:`~spikeplug.ParameterError` if the Python number ``value``, which an
    encoder multiplies with an input of ``dtype``, is beyond that dtype's range: torch then
    raises a bare ``RuntimeError`` (``linspace``) or rounds it to inf, and ``inf · 0`` is
    NaN. ``what`` names the parameter(s) and value. Tensors are left to torch's promotion."""
    if isinstance(value, torch.Tensor):
        return
    top = torch.finfo(dtype).max
    if not abs(value) <= top:  # also catches inf and NaN
        wider = "a float64 input or " if top < torch.finfo(torch.float64).max else ""
        raise ParameterError(
            f"{owner}: {what} is beyond the range of the input's dtype {dtype} (|value| <= {top:g}); "
            f"pass {wider}a smaller value"
        )


def check_finite(x: torch.Tensor, *, owner: str, name: str, meaning: str = "values") -> None:
    """Raise :class:`~spikeplug.InputValueError` if ``x`` holds NaN or ±inf. An encoder that
    computes with its input (currents, values to place among centres) would otherwise turn
    them into silent nonsense: NaN never crosses a threshold, +inf resets to NaN."""
    check_values(x, torch.isfinite(x), owner=owner, name=name, expected=f"finite {meaning}")


def spike_probability(
    x: torch.Tensor, p: RateParameters, *, owner: str, name: str, signed: bool = False
) -> torch.Tensor:
    """``dt · f_max · x`` (``|x|`` when ``signed``), checked to be a probability.

    The reference neither clips nor checks: a value above 1 saturates (a spike at every
    step) and a negative one never fires, both silently. Here they are errors.
    """
    # numpy scalars as Python numbers: 0.001 * np.float16(50) would stay float16 (NumPy's
    # promotion) and move the edge 1 / (dt·f_max) to 19.99; a tensor field stays a tensor
    dt, f_max = plain_number(p.dt), plain_number(p.f_max)
    gain = dt * f_max
    check_fits(gain, x.dtype, owner=owner, what=f"dt·f_max = {gain!r} (dt={dt!r}, f_max={f_max!r})")
    magnitude = x.abs() if signed else x
    prob = gain * magnitude
    # a relative slack of 1e-6 lets x = 1 / (dt·f_max) through despite rounding
    # the sign from the rate itself: with dt·f_max underflowed to 0, -1 · 0 = -0.0 passed "prob >= 0"
    ok = (magnitude >= 0) & (prob <= 1.0 + 1e-6)
    if isinstance(gain, torch.Tensor) and gain.numel() > 1:
        limit = "1 / (dt·f_max) element-wise"
    else:
        g = float(gain)
        limit = f"{1.0 / g:.6g}" if g > 0 else "inf"  # dt·f_max may underflow to 0: nothing fires
    interval = f"[-{limit}, {limit}]" if signed else f"[0, {limit}]"
    expected = (
        f"in {interval}, so that the spike probability per step dt·f_max·{'|x|' if signed else 'x'} "
        f"(dt={_show(p.dt)} s, f_max={_show(p.f_max)} Hz) lies in [0, 1]"
    )
    check_values(x, ok, owner=owner, name=name, expected=expected, hint="scale the input or lower f_max")
    return prob


def _show(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"{value.item():g}" if value.numel() == 1 else f"a tensor of shape {tuple(value.shape)}"
    return f"{value:g}"



class RateEncoder(torch.nn.Module):
    """Base of the rate encoders that make a sequence: ``seq_length``, ``f_max``, ``dt``
    (or ``p=RateParameters(...)``) and an optional ``generator``; subclasses set
    ``encode(x, seq_length, p, generator, owner=...)``."""

    encode: Any

    def __init__(
        self,
        seq_length: int,
        f_max: float | None = None,
        dt: float | None = None,
        *,
        p: RateParameters | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        owner = type(self).__name__
        self.seq_length = sequence_length(seq_length, owner)
        self.p = build_parameters(RateParameters, p, given(f_max=f_max, dt=dt))
        self.generator = check_generator(generator, owner)

    def forward(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.generator if generator is None else generator
        return type(self).encode(x, self.seq_length, self.p, g, owner=type(self).__name__)

    def extra_repr(self) -> str:
        return f"seq_length={self.seq_length}, p={self.p!r}"


class RateEncoderStep(torch.nn.Module):
    """Base of the one-step rate encoders (default ``f_max`` 1000 Hz, as in the reference);
    subclasses set ``encode_step(x, p, generator, owner=...)``."""

    encode_step: Any

    def __init__(
        self,
        f_max: float | None = None,
        dt: float | None = None,
        *,
        p: RateStepParameters | RateParameters | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        # defaults of the step form (f_max 1000 Hz); a given p may be either rate class
        cls = RateStepParameters if p is None else RateParameters
        self.p = build_parameters(cls, p, given(f_max=f_max, dt=dt))
        self.generator = check_generator(generator, type(self).__name__)

    def forward(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.generator if generator is None else generator
        return type(self).encode_step(x, self.p, g, owner=type(self).__name__)

    def extra_repr(self) -> str:
        return f"p={self.p!r}"
