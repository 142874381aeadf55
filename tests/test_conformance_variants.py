"""Issue 13's ten deliberately broken neuron models, each caught by a named conformance check.

Each variant is a small toy model (one leaky membrane ``v``, spikes above ``v_th``, reset to
``v_reset``) with exactly one fault a new plugin author could make. Each test runs only the
check that is meant to catch the fault and asserts that it raises a
:class:`~spikeplug.plugins.conformance.ConformanceError` naming that check and the model, and
that the message tells the author what to fix. ``test_correct_toy_passes_the_new_checks``
shows the faults, not the toy, are what fails.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import attrs
import pytest
import torch

import spikeplug
from spikeplug.plugins.conformance import ConformanceError, check_neuron_model


@spikeplug.parameters
class KitParameters(spikeplug.SpikingParameters):
    """A leaky integrate-and-fire toy with every field validated."""

    tau_mem_inv: float = spikeplug.param(100.0, unit="1/s", doc="inverse membrane time constant",
                                         validator=spikeplug.positive())
    v_th: float = spikeplug.param(1.0, unit="a.u.", doc="spike threshold", validator=spikeplug.finite())
    v_reset: float = spikeplug.param(0.0, unit="a.u.", doc="reset potential", validator=spikeplug.finite())


class KitState(NamedTuple):
    v: torch.Tensor


class KitRecurrentState(NamedTuple):
    z: torch.Tensor
    v: torch.Tensor


Out = tuple[torch.Tensor, KitState]


def kit_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    (v,) = state
    v_d = v + p.dt * p.tau_mem_inv * (input - v)
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)
    z_r = z.detach() if detach_reset else z
    return z, KitState((1.0 - z_r) * v_d + z_r * p.v_reset)


def kit_initial_state(shape: tuple[int, ...], p: Any, dtype: torch.dtype, device: Any) -> KitState:
    return KitState(torch.full(shape, float(p.v_reset), dtype=dtype, device=device))


def _modules(name: str, **changes: Any) -> spikeplug.ModuleSet:
    """The toy named ``name`` with ``changes`` to its NeuronModel (classes published in this module)."""
    fields = dict(name=name, parameters=KitParameters, state=KitState, recurrent_state=KitRecurrentState,
                  step=kit_step, initial_state=kit_initial_state)
    modules = spikeplug.build_modules(spikeplug.NeuronModel(**{**fields, **changes}),
                                      "Kit" + name.title().replace("_", ""), __name__)
    for cls in modules:
        if cls is not None:
            globals()[cls.__name__] = cls
    return modules


# 1. in-place state update
def in_place_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: the leak is applied to the caller's state tensor in place."""
    (v,) = state
    v.mul_(1.0 - p.dt * p.tau_mem_inv)
    return kit_step(input, KitState(v / (1.0 - p.dt * p.tau_mem_inv)), p, detach_reset=detach_reset)


# 2. wrong state shape
def wrong_shape_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: the new state keeps one value per row instead of one per neuron."""
    z, (v,) = kit_step(input, state, p, detach_reset=detach_reset)
    return z, KitState(v.mean(-1, keepdim=True))


# 3. NaN with the default parameters
def nan_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: normalises by the distance to v_reset, which is 0 in the initial state (0/0)."""
    (v,) = state
    gain = (v - p.v_reset) / (v - p.v_reset)
    return kit_step(input * gain, state, p, detach_reset=detach_reset)


# 4. a threshold without surrogate gradient
def hard_threshold_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: ``(v > v_th).float()`` spikes right but passes no gradient."""
    (v,) = state
    v_d = v + p.dt * p.tau_mem_inv * (input - v)
    z = (v_d > p.v_th).to(v_d.dtype)
    return z, KitState((1.0 - z) * v_d)


# 5. coupling across the batch
def batch_coupled_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: every element also sees the batch mean of the input (dim 0 is the batch)."""
    return kit_step(input + 0.5 * input.mean(0, keepdim=True), state, p, detach_reset=detach_reset)


# 6. unseeded noise
def noisy_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: noise drawn from the global generator makes two identical runs differ."""
    return kit_step(input + 0.01 * torch.rand_like(input), state, p, detach_reset=detach_reset)


# 7. ignoring dtype and device
def fixed_initial_state(shape: tuple[int, ...], p: Any, dtype: torch.dtype, device: Any) -> KitState:
    """Broken: a float32 CPU state whatever the input's dtype and device."""
    return KitState(torch.full(shape, float(p.v_reset)))


# 8. no validators
@spikeplug.parameters
class UnvalidatedParameters(KitParameters):
    """Broken: a damping rate that must be negative, declared without any validator."""

    damping: float = spikeplug.param(-5.0, unit="1/s", doc="damping rate (must be negative)", rate=False)


def damped_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    (v,) = state
    return kit_step(input, KitState(v + p.dt * p.damping * v), p, detach_reset=detach_reset)


# 9. 0/0 rate functions (Hodgkin-Huxley's alpha_m and alpha_n, in mV)
@spikeplug.parameters
class MillivoltParameters(KitParameters):
    """The toy in millivolts: rest and reset at -65 mV, threshold -35 mV."""

    v_th: float = spikeplug.param(-35.0, unit="mV", doc="spike threshold", validator=spikeplug.finite())
    v_reset: float = spikeplug.param(-65.0, unit="mV", doc="reset and rest potential", validator=spikeplug.finite())


def hh_rate_step(input: torch.Tensor, state: KitState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: HH's alpha_m(V) = 0.1 (V + 40) / (1 - exp(-(V + 40) / 10)) and alpha_n at V + 55,
    written as the textbook does: 0/0 exactly at V = -40 mV and V = -55 mV."""
    (v,) = state
    alpha_m = 0.1 * (v + 40.0) / (1.0 - torch.exp(-(v + 40.0) / 10.0))
    alpha_n = 0.01 * (v + 55.0) / (1.0 - torch.exp(-(v + 55.0) / 10.0))
    v_d = v + p.dt * p.tau_mem_inv * (p.v_reset - v + input) + 1e-3 * (alpha_m - alpha_n)
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)
    z_r = z.detach() if detach_reset else z
    return z, KitState((1.0 - z_r) * v_d + z_r * p.v_reset)


# 10. forward Euler with an unstable dt at the defaults
@spikeplug.parameters
class UnstableParameters(KitParameters):
    """Broken: dt·tau_mem_inv = 0.001·2500 = 2.5 > 2 at the defaults."""

    tau_mem_inv: float = spikeplug.param(2500.0, unit="1/s", doc="inverse membrane time constant",
                                         validator=spikeplug.positive())


@spikeplug.parameters
class HiddenRateParameters(KitParameters):
    """Broken the same way, but the fast synaptic rate is not declared a rate (no StabilityWarning)."""

    tau_syn_inv: float = spikeplug.param(2500.0, unit="1/s", doc="inverse synaptic time constant",
                                         validator=spikeplug.positive(), rate=False)


class SynState(NamedTuple):
    v: torch.Tensor
    i: torch.Tensor


def syn_step(
    input: torch.Tensor, state: SynState, p: Any, *, detach_reset: bool = False
) -> tuple[torch.Tensor, SynState]:
    v, i = state
    i_d = i + p.dt * p.tau_syn_inv * (input - i)  # dt·tau_syn_inv = 2.5: |i - input| grows 1.5x a step
    z, (v_d,) = kit_step(i_d, KitState(v), p, detach_reset=detach_reset)
    return z, SynState(v_d, i_d)


def syn_initial_state(shape: tuple[int, ...], p: Any, dtype: torch.dtype, device: Any) -> SynState:
    return SynState(torch.zeros(shape, dtype=dtype, device=device), torch.zeros(shape, dtype=dtype, device=device))


class SynRecurrentState(NamedTuple):
    z: torch.Tensor
    v: torch.Tensor
    i: torch.Tensor


KIT = _modules("kit")
VARIANTS = {
    "in_place": _modules("in_place", step=in_place_step),
    "wrong_shape": _modules("wrong_shape", step=wrong_shape_step),
    "nan_defaults": _modules("nan_defaults", step=nan_step),
    "hard_threshold": _modules("hard_threshold", step=hard_threshold_step),
    "batch_coupled": _modules("batch_coupled", step=batch_coupled_step),
    "noisy": _modules("noisy", step=noisy_step),
    "fixed_dtype_device": _modules("fixed_dtype_device", initial_state=fixed_initial_state),
    "unvalidated": _modules("unvalidated", parameters=UnvalidatedParameters, step=damped_step),
    "hh_rates": _modules("hh_rates", parameters=MillivoltParameters, step=hh_rate_step),
    "unstable_dt": _modules("unstable_dt", parameters=UnstableParameters),
    "hidden_unstable_dt": _modules("hidden_unstable_dt", parameters=HiddenRateParameters, state=SynState,
                                   recurrent_state=SynRecurrentState, step=syn_step,
                                   initial_state=syn_initial_state),
}


def _caught(variant: str, check: str) -> str:
    """The message of the ConformanceError that ``check`` alone raises on ``variant``, checked to name both."""
    with pytest.raises(ConformanceError) as info:
        check_neuron_model(VARIANTS[variant], checks=[check])
    err = info.value
    assert (err.check, err.model) == (check, variant)
    assert str(err).startswith(f"conformance check {check!r} failed for model {variant!r}")
    return str(err)


def test_correct_toy_passes_the_new_checks() -> None:
    """The unbroken toy passes every check the variants below fail, so each failure is its fault's."""
    checks = ["shapes", "dtypes", "device", "gradients", "batch_independence", "determinism",
              "parameter_constraints", "state_space", "boundedness"]
    report = check_neuron_model(KIT, checks=checks)
    assert report.checks == tuple(checks)
    assert report.warnings == ()


def test_in_place_state_update_is_caught_by_determinism() -> None:
    """Variant 1: a step that modifies the caller's state in place."""
    msg = _caught("in_place", "determinism")
    assert "given state after the forward (modified in place)" in msg
    assert "no in-place updates of the input or the state" in msg


def test_wrong_state_shape_is_caught_by_shapes() -> None:
    """Variant 2: a state that loses the neuron dimension; the message gives found and expected shapes."""
    msg = _caught("wrong_shape", "shapes")
    assert "state.v has shape (1,) for input of shape (3,), expected (3,)" in msg


def test_nan_with_default_parameters_is_caught_by_boundedness() -> None:
    """Variant 3: 0/0 at the initial state gives NaN from the first step at the defaults."""
    msg = _caught("nan_defaults", "boundedness")
    assert "becomes non-finite at step 0 of 10000 at constant input 0" in msg
    assert "expected finite values throughout" in msg


def test_threshold_without_surrogate_is_caught_by_gradients() -> None:
    """Variant 4: a hard threshold; the message points at spikeplug.threshold."""
    msg = _caught("hard_threshold", "gradients")
    assert "the outputs do not require grad for an input that does" in msg
    assert "spikeplug.threshold(v - v_th, p.method, p.alpha)" in msg


def test_batch_coupling_is_caught_by_batch_independence() -> None:
    """Variant 5: batch elements see each other's input."""
    msg = _caught("batch_coupled", "batch_independence")
    assert "of the batch elements 0, 2, 3 differs" in msg


def test_unseeded_noise_is_caught_by_determinism() -> None:
    """Variant 6: two identical runs differ."""
    msg = _caught("noisy", "determinism")
    assert "differs (exactly)" in msg
    assert "no noise from the global random generator" in msg


def test_ignoring_dtype_and_device_is_caught_by_dtypes_and_device() -> None:
    """Variant 7: an initial state built as float32 on the CPU whatever the input."""
    msg = _caught("fixed_dtype_device", "dtypes")
    assert "initial state.v for torch.float64 input has dtype torch.float32, expected torch.float64" in msg
    msg = _caught("fixed_dtype_device", "device")
    device = "cuda" if torch.cuda.is_available() else "meta"
    assert device in msg


def test_missing_validators_are_caught_by_parameter_constraints() -> None:
    """Variant 8: a field without validator accepts NaN; the message says to declare a validator."""
    msg = _caught("unvalidated", "parameter_constraints")
    assert "UnvalidatedParameters(damping=nan) was accepted; expected spikeplug.ParameterError naming 'damping'" in msg
    assert "validator=spikeplug.finite()" in msg


def test_zero_over_zero_rate_functions_are_caught_by_state_space() -> None:
    """Variant 9: HH's rate functions are NaN exactly at -55 and -40 mV; state_space probes there
    and names the state and value."""
    msg = _caught("hh_rates", "state_space")
    assert "one step from state.v = -55.0" in msg
    assert "Non-finite at state.v = -55.0, -40.0" in msg
    assert "give it its limit there" in msg


def test_unstable_dt_is_caught_by_boundedness() -> None:
    """Variant 10: dt·tau_mem_inv = 2.5 at the defaults; boundedness reports the StabilityWarning."""
    msg = _caught("unstable_dt", "boundedness")
    expected = "the default parameters warn StabilityWarning: UnstableParameters: dt·tau_mem_inv = 0.001·2500 = 2.5"
    assert expected in msg
    assert "choose a smaller default dt or rate" in msg


def test_unstable_dt_of_an_undeclared_rate_is_caught_by_the_long_run() -> None:
    """Variant 10 without a declared rate (no warning): the 10⁴-step run finds the divergence."""
    msg = _caught("hidden_unstable_dt", "boundedness")
    assert "becomes non-finite at step" in msg
    assert "Forward Euler diverges when dt·rate > 2" in msg


def test_field_without_readable_constraint_is_a_warning() -> None:
    """A field whose validator rejects non-finite values but declares no readable range passes
    parameter_constraints and is listed in the report's warnings."""

    def must_be_finite(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        if not math.isfinite(value):
            raise spikeplug.ParameterError(f"{type(instance).__name__}.{attribute.name} must be finite, got {value!r}")

    @spikeplug.parameters
    class OpaqueParameters(KitParameters):
        gain: float = spikeplug.param(1.0, unit="", doc="input gain", validator=must_be_finite)

    report = check_neuron_model(_modules("opaque", parameters=OpaqueParameters), checks=["parameter_constraints"])
    assert "parameter_constraints: gain=nan/inf/-inf rejected by the class and every form" in report.passed
    assert report.warnings == (
        "parameter_constraints: OpaqueParameters.gain declares no readable constraint (no spikeplug validator such "
        "as positive(), non_negative() or finite()): every finite value is accepted",
    )
    assert "  warn parameter_constraints: OpaqueParameters.gain" in str(report)


def test_declared_constraint_must_be_enforced() -> None:
    """A converter that clamps a value its validator's constraint forbids (tau_mem_inv=-1 made 1)
    hides the constraint; parameter_constraints reports the accepted value."""

    @spikeplug.parameters
    class ClampingParameters(KitParameters):
        tau_mem_inv: float = attrs.field(default=100.0, converter=lambda x: abs(x) if x == x and x != 0 else x,
                                         validator=spikeplug.positive())

    with pytest.raises(ConformanceError) as info:
        check_neuron_model(_modules("clamping", parameters=ClampingParameters), checks=["parameter_constraints"])
    assert "ClampingParameters(tau_mem_inv=-1.0) was accepted" in str(info.value)
    assert "its declared constraint is 'finite and > 0'" in str(info.value)
