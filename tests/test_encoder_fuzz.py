"""Property-based fuzzing of every registered encoder (issue 8).

Every encoder the registry lists (builtin or from another plugin) is built with drawn
constructor arguments (valid ones, or exactly one invalid one) and called on drawn inputs:
0-d to 3-d, size-0 dims included, bool/int/float32/float64, values from tame rates to NaN,
±inf, negatives and huge numbers, on the CPU or the meta device. The property
(:func:`check_call`):

* a bad constructor argument raises a :class:`spikeplug.SpikeplugError` naming that
  argument and its value; valid arguments build the encoder;
* a call either returns a tensor of the contract's shape (:mod:`encoder_contract`), the
  input's floating dtype and device, finite and in the encoder's documented value range,
  or raises a :class:`spikeplug.SpikeplugError` whose message names the input argument and
  an offending value (or the shape, for a shape error), or, for a valid parameter that the
  input's dtype cannot hold, the parameter and its value;
* never another exception (a bare ``RuntimeError``/``TypeError`` from torch), and an input
  holding NaN or ±inf is always rejected: no encoder gives a silent result for it.

Bounded and deterministic: ``derandomize=True``, no example database, a fixed number of
examples per encoder and torch's random draws seeded inside each example (and restored
after it).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikeplug
from spikeplug.encoding import as_input, check_values
from spikeplug.plugins import ModelSpec, Registry

from encoder_contract import (
    SIZE_ARGUMENTS,
    bare,
    constructor_arguments,
    encoder_names,
    expected_shape,
    input_name,
    takes_any_keyword,
)

EXAMPLES = 100  # per encoder and property; the whole file runs in under 10 s

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# ------------------------------------------------------------------ documented value ranges
SPIKES = {0.0, 1.0}
SIGNED_SPIKES = {-1.0, 0.0, 1.0}


def _in_set(allowed: set[float]) -> Any:
    def check(x: torch.Tensor, y: torch.Tensor) -> str | None:
        seen = set(y.unique().tolist())
        return None if seen <= allowed else f"values {sorted(seen - allowed)} outside {sorted(allowed)}"

    return check


def _graded(x: torch.Tensor, y: torch.Tensor) -> str | None:
    return None if bool(((y >= 0) & (y <= 1)).all()) else "graded responses outside [0, 1]"


def _first_spikes(x: torch.Tensor, y: torch.Tensor) -> str | None:
    xf = x.to(y.dtype)
    kept = (y == xf) | (y == 0)
    once = (y != 0).sum(0) <= 1 if y.dim() > 0 else torch.tensor(True)
    return None if bool(kept.all()) and bool(once.all()) else "not the first non-zero value of each element"


def _one_lif_spike(x: torch.Tensor, y: torch.Tensor) -> str | None:
    bad = _in_set(SPIKES)(x, y)
    return bad or (None if bool((y.sum(0) <= 1).all()) else "more than one spike per neuron")


#: the value range each builtin encoder documents; an encoder not listed must give finite values
VALUE_RANGE = {
    "constant_current_lif:constant_current_lif": _in_set(SPIKES),
    "poisson:poisson": _in_set(SPIKES),
    "poisson:poisson_step": _in_set(SPIKES),
    "signed_poisson:signed_poisson": _in_set(SIGNED_SPIKES),
    "signed_poisson:signed_poisson_step": _in_set(SIGNED_SPIKES),
    "population:population": _graded,
    "spike_latency:spike_latency": _first_spikes,
    "spike_latency:spike_latency_lif": _one_lif_spike,
}

# ------------------------------------------------------------------ constructor arguments
NAN, INF = float("nan"), float("inf")
POSITIVE_FIELDS = {"dt", "f_max", "scale"}  # and every name ending in _inv
NON_NEGATIVE_FIELDS = {"alpha"}             # the surrogate's sharpness: 0 is Norse's range too


def argument_values(arg: str, default: Any) -> tuple[list[Any], list[Any]]:
    """(valid values, invalid values) to try for a constructor argument."""
    if arg in SIZE_ARGUMENTS:
        return [1, 2, 4, np.int64(3), np.int32(2)], [0, -2, 2.5, True, "3", None, np.float64(2.0), np.bool_(True)]
    if arg == "generator":
        return [torch.Generator().manual_seed(1)], [0, "seed"]
    if isinstance(default, str):
        return [default], ["no_such_" + default]
    positive = arg in POSITIVE_FIELDS or arg.endswith("_inv")
    if default is None and positive:  # optional, e.g. population's scale
        return [None, 0.5, 1.0, 3.0, np.float64(2.0), 1e-30, 1e30, 1e300], [0.0, -1.0, NAN, INF, "big"]
    if not isinstance(default, (int, float)) or isinstance(default, bool):
        return [default], []
    if positive:  # huge and tiny are valid too
        valid = [default, default * 0.5, default * 4, np.float64(default), default * 1e-30, default * 1e30, 1e300]
        return valid, [0.0, -default, NAN, INF, "fast"]
    if arg in NON_NEGATIVE_FIELDS:
        return [default, 0.0, default * 0.5, np.float64(default)], [-default, -1e-30, NAN, INF, "steep"]
    if arg.startswith("v_"):  # potentials: any finite value
        return [default, default + 0.5, default - 0.25, -1e30, 1e30], [NAN, INF, -INF, "high"]
    return [default], [NAN, "a string"]  # a field of another plugin: only its default is surely valid


def fuzzed_arguments(name: str, registry: Any) -> dict[str, tuple[list[Any], list[Any], bool]]:
    """Each argument to fuzz: (valid values, invalid values, required)."""
    args = constructor_arguments(name, registry)
    entry = registry.get(name)
    fields = {}
    if entry.spec.parameters is not None:
        fields = {p.name: p.default for p in registry.describe(name).parameters}
    out = {}
    for arg, p in args.items():
        if arg in SIZE_ARGUMENTS or arg == "generator":
            required = p.default is p.empty
            out[arg] = (*argument_values(arg, None if required else p.default), required)
        elif arg in fields:
            out[arg] = (*argument_values(arg, fields[arg]), False)
    if takes_any_keyword(name, registry):  # parameter overrides as keywords (the LIF encoders)
        for field, default in fields.items():
            out.setdefault(field, (*argument_values(field, default), False))
    return out


@st.composite
def constructor_kwargs(
    draw: Any, name: str, registry: Any, valid_only: bool = False
) -> tuple[dict[str, Any], str | None]:
    """Keyword arguments for the factory and the one argument made invalid (or None)."""
    args = fuzzed_arguments(name, registry)
    can_break = sorted(a for a, (_, invalid, _) in args.items() if invalid)
    broken = draw(st.sampled_from(can_break)) if can_break and not valid_only and draw(st.booleans()) else None
    kwargs = {}
    for arg, (valid, invalid, required) in sorted(args.items()):
        if arg == broken:
            kwargs[arg] = draw(st.sampled_from(invalid))
        elif required or draw(st.booleans()):
            kwargs[arg] = draw(st.sampled_from(valid))
    return kwargs, broken


# ------------------------------------------------------------------ inputs
SPECIAL = [NAN, INF, -INF, -1.0, -1e30, 1e30, 3e38, 1e300, 0.0, 1.0, 0.5, 1e-40, -0.0]
REGIMES = {  # tame regimes exercise the success path, the others the checks
    "unit": st.floats(0.0, 1.0),
    "signed": st.floats(-1.0, 1.0),
    "currents": st.floats(0.0, 30.0),
    "special": st.sampled_from(SPECIAL),
    "non-finite": st.one_of(st.sampled_from([NAN, INF, -INF]), st.floats(0.0, 1.0)),
    "wild": st.floats(allow_nan=True, allow_infinity=True),
}
INTEGERS = {  # ranges, cut to each integer dtype's
    "unit": (0, 1),
    "signed": (-1, 1),
    "currents": (0, 30),
    "non-finite": (0, 1),  # integers are always finite
    "wild": (-50, 50),
}
SPECIAL_INTEGERS = [-(2**63), 2**63 - 1, 2**31, -(2**24) - 1, 255, -1, 0, 1]
DTYPES = [torch.bool, torch.int64, torch.int32, torch.uint8] + [torch.float32, torch.float64] * 2


@st.composite
def inputs(draw: Any) -> torch.Tensor:
    dim = st.sampled_from([1, 2, 3, 0, 2])  # size-0 dims included, less often
    shape = tuple(draw(st.lists(dim, max_size=3)))  # 0-d to 3-d
    dtype = draw(st.sampled_from(DTYPES))
    device = draw(st.sampled_from(["cpu", "cpu", "cpu", "meta"]))
    if device == "meta":
        return torch.empty(shape, dtype=dtype, device="meta")
    n = math.prod(shape)
    regime = draw(st.sampled_from(sorted(REGIMES)))
    if dtype == torch.bool:
        element = st.booleans()
    elif dtype.is_floating_point:
        element = REGIMES[regime]
    else:
        info = torch.iinfo(dtype)
        if regime == "special":
            element = st.sampled_from([v for v in SPECIAL_INTEGERS if info.min <= v <= info.max])
        else:
            lo, hi = INTEGERS[regime]
            element = st.integers(max(lo, info.min), min(hi, info.max))
    values = draw(st.lists(element, min_size=n, max_size=n))
    return torch.tensor(values, dtype=dtype).reshape(shape)


# ------------------------------------------------------------------ the property
def mentions(message: str, value: Any) -> bool:
    """Whether an error message shows ``value`` (as repr or str)."""
    return repr(value) in message or str(value) in message


def element_reprs(x: torch.Tensor) -> set[str]:
    """How the elements of ``x`` can appear in a message: as the float of the input or of
    its float32 conversion (integer input is encoded as float32)."""
    out: set[str] = set()
    for t in (x.double(), x.float()):
        out.update(repr(v) for v in t.reshape(-1).tolist())
    return out


def check_construction(name: str, kwargs: dict[str, Any], broken: str | None, registry: Any) -> Any:
    """The property for one constructor call: the encoder, or None after the expected error."""
    try:
        encoder = registry.create(name, **kwargs)
    except spikeplug.SpikeplugError as exc:
        message = str(exc)
        assert broken is not None, f"{name}({kwargs}) rejected valid arguments: {message}"
        assert broken in message and mentions(message, kwargs[broken]), (
            f"{name}: error for {broken}={kwargs[broken]!r} does not name the argument and value: {message}"
        )
        return None
    except Exception as exc:  # noqa: BLE001 - the point: nothing but spikeplug errors
        raise AssertionError(f"{name}({kwargs}) raised {type(exc).__name__}, not a SpikeplugError: {exc}") from exc
    assert broken is None, f"{name} accepted {broken}={kwargs[broken]!r}"
    return encoder


def check_call_error(name: str, kwargs: dict[str, Any], x: torch.Tensor, arg: str, exc: Exception) -> None:
    """What a spikeplug error raised by a call must say."""
    message = str(exc)
    if isinstance(exc, spikeplug.ParameterError):  # a valid parameter that does not fit this input (its dtype)
        assert any(k in message and mentions(message, v) for k, v in kwargs.items()), (
            f"{name}: parameter error on a call names no argument of {kwargs} with its value: {message}"
        )
        return
    assert re.search(rf"\b{arg}\b", message), f"{name}: error does not name the input {arg!r}: {message}"
    if isinstance(exc, spikeplug.InputValueError):
        assert x.device.type != "meta", f"{name}: a value error for a meta input, which has no values: {message}"
        assert any(v in message for v in element_reprs(x)), (
            f"{name}: value error names no value of {arg} = {x.tolist()}: {message}"
        )
    else:
        assert isinstance(exc, spikeplug.InputShapeError), f"{name}: {type(exc).__name__} on a call: {message}"
        assert str(tuple(x.shape)) in message or "0-dim" in message, (
            f"{name}: shape error does not show the shape {tuple(x.shape)}: {message}"
        )


def check_call(name: str, kwargs: dict[str, Any], x: torch.Tensor, registry: Any) -> None:
    """The property for one forward call of an encoder built from valid ``kwargs``."""
    encoder = check_construction(name, kwargs, None, registry)
    arg = input_name(name, registry)
    has_values = x.device.type != "meta"
    non_finite = has_values and x.is_floating_point() and not bool(torch.isfinite(x).all())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        try:
            y = encoder(x)
        except spikeplug.SpikeplugError as exc:
            check_call_error(name, kwargs, x, arg, exc)
            return
        except Exception as exc:  # noqa: BLE001
            raise AssertionError(
                f"{name}({kwargs}) on {arg} of shape {tuple(x.shape)}, {x.dtype}, {x.device} raised "
                f"{type(exc).__name__}, not a SpikeplugError: {exc}"
            ) from exc

    assert not non_finite, f"{name} accepted non-finite {arg} = {x.tolist()} and returned {y.tolist()}"
    assert isinstance(y, torch.Tensor), f"{name} returned {type(y).__name__}"
    expected = expected_shape(name, kwargs, tuple(x.shape), registry)
    dtype = x.dtype if x.is_floating_point() else torch.float32
    assert (tuple(y.shape), y.dtype, y.device) == (expected, dtype, x.device), (
        f"{name}({kwargs}) on {tuple(x.shape)} {x.dtype} {x.device}: got {tuple(y.shape)} {y.dtype} {y.device}, "
        f"expected {expected} {dtype} {x.device}"
    )
    if has_values:
        assert bool(torch.isfinite(y).all()), f"{name} returned non-finite values for {arg} = {x.tolist()}"
        problem = VALUE_RANGE.get(name, lambda x, y: None)(x, y)
        assert problem is None, f"{name}({kwargs}) on {arg} = {x.tolist()}: {problem}"


def fuzz_arguments(name: str, registry: Any = None) -> None:
    """Run the constructor property on drawn arguments (about half with one invalid argument)."""
    registry = registry or spikeplug.registry

    @FUZZ
    @given(args=constructor_kwargs(name, registry))
    def run(args: tuple[dict[str, Any], str | None]) -> None:
        check_construction(name, *args, registry)

    run()


def fuzz_inputs(name: str, registry: Any = None) -> None:
    """Run the call property on drawn inputs, for encoders built from drawn valid arguments."""
    registry = registry or spikeplug.registry

    @FUZZ
    @given(args=constructor_kwargs(name, registry, valid_only=True), x=inputs())
    def run(args: tuple[dict[str, Any], str | None], x: torch.Tensor) -> None:
        check_call(name, args[0], x, registry)

    run()


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
def test_encoder_arguments_fuzz(name):
    """Every registered encoder accepts valid constructor arguments (NumPy scalars included) and
    rejects each invalid one with a spikeplug error naming the argument and its value."""
    fuzz_arguments(name)


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
def test_encoder_inputs_fuzz(name):
    """Every registered encoder, on drawn inputs, returns the contract's shape, dtype, device and
    value range, or raises a spikeplug error naming the input and an offending value (or its
    shape); NaN and ±inf are never encoded silently."""
    fuzz_inputs(name)


# ------------------------------------------------------------------ the harness itself
class ThresholdStep(torch.nn.Module):
    """A well-behaved encoder another plugin might register: x > threshold, one step."""

    def __init__(self, threshold: float = 0.5):
        super().__init__()
        self.threshold = threshold

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        x = as_input(values, "ThresholdStep", "values")
        check_values(x, torch.isfinite(x), owner="ThresholdStep", name="values", expected="finite")
        return (x > self.threshold).to(x.dtype)


class CarelessSequence(torch.nn.Module):
    """A broken encoder: time stacked second, no checks (NaN passed through), a torch error on 0-d input."""

    def __init__(self, seq_length: int = 2):
        super().__init__()
        if seq_length <= 0:  # a plain ValueError, without the value
            raise ValueError("bad length")
        self.seq_length = seq_length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x.float()] * self.seq_length, dim=1)


def other_plugin_registry(factory: Any, name: str) -> Registry:
    registry = Registry(path=[])
    registry.register(ModelSpec(name=name, kind="encoder", summary="fuzz example", factory=factory), plugin="other")
    return registry


def test_fuzz_covers_an_encoder_from_another_plugin():
    """An encoder registered by another plugin is discovered and fuzzed like the builtins
    (its shape contract read from its signature); a well-behaved one passes."""
    registry = other_plugin_registry(ThresholdStep, "threshold_step")
    assert encoder_names(registry) == ["other:threshold_step"]
    fuzz_arguments("other:threshold_step", registry)
    fuzz_inputs("other:threshold_step", registry)


@pytest.mark.parametrize(
    ("x", "complaint"),
    [
        (torch.tensor([[1.0, 2.0]]), "got (1, 2, 2)"),  # wrong shape: time not first
        (torch.tensor([float("nan"), 1.0]), "accepted non-finite"),
        (torch.tensor(1.0), "not a SpikeplugError"),
    ],
    ids=["shape", "nan", "0-d"],
)
def test_the_property_catches_a_broken_encoder(x, complaint):
    """The property fails for an encoder that breaks the contract (wrong shape, NaN passed
    through silently, a bare torch error), so a passing fuzz run means something."""
    registry = other_plugin_registry(CarelessSequence, "careless")
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        check_call("other:careless", {"seq_length": 2}, x, registry)


@pytest.mark.parametrize(
    ("kwargs", "broken", "complaint"),
    [
        ({"seq_length": 0}, "seq_length", "raised ValueError, not a SpikeplugError"),
        ({"seq_length": 2.5}, "seq_length", "accepted seq_length=2.5"),
    ],
    ids=["bare-error", "accepted"],
)
def test_the_argument_property_catches_a_broken_constructor(kwargs, broken, complaint):
    """The constructor property fails for a plain ValueError and for an invalid argument accepted."""
    registry = other_plugin_registry(CarelessSequence, "careless")
    with pytest.raises(AssertionError, match=re.escape(complaint)):
        check_construction("other:careless", kwargs, broken, registry)
