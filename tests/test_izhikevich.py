"""Izhikevich (izhikevich): reference case F, hand-derived steps, the 20 presets, registry access."""

from __future__ import annotations

import math

import attrs
import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin import izhikevich as izh
from spikeplug.neurons_builtin.izhikevich import (
    Izhikevich,
    IzhikevichCell,
    IzhikevichParameters,
    IzhikevichRecurrent,
    IzhikevichRecurrentCell,
    IzhikevichRecurrentState,
    IzhikevichSpikingBehavior,
    IzhikevichState,
    izhikevich_step,
    tonic_spiking,
)
from spikeplug.neurons_builtin.izhikevich.plugin import PRESET_NAMES as REGISTERED_PRESET_NAMES
from spikeplug.plugins import get_registry

from conftest import assert_close

# norse-models.md §4.5, written out again here (not read from the package) so that a changed
# value in presets.py fails: a, b, c, d, tau_inv, v0, u0 and the fields differing from the
# defaults ("other").
TABLE = {
    "tonic_spiking": (0.02, 0.2, -65, 6, 250, -70, -14, {}),
    "phasic_spiking": (0.02, 0.25, -65, 6, 250, -64, -16, {}),
    "tonic_bursting": (0.02, 0.2, -50, 2, 250, -70, -14, {}),
    "phasic_bursting": (0.02, 0.25, -55, 0.05, 200, -64, -16, {}),
    "mixed_mode": (0.02, 0.2, -55, 4, 250, -70, -14, {}),
    "spike_frequency_adaptation": (0.01, 0.2, -65, 8, 250, -70, -14, {}),
    "class_1_exc": (0.02, -0.1, -55, 6, 250, -60, 6, {"mn": 4.1, "bias": 108}),
    "class_2_exc": (0.2, 0.26, -65, 0, 250, -64, -16.64, {}),
    "spike_latency": (0.02, 0.2, -65, 6, 250, -70, -14, {}),
    "subthreshold_oscillation": (0.05, 0.26, -60, 0, 250, -62, -16.12, {}),
    "resonator": (0.1, 0.26, -60, -1, 250, -62, -16.12, {}),
    "integrator": (0.02, -0.1, -55, 6, 250, -60, 6, {"mn": 4.1, "bias": 108}),
    "rebound_spike": (0.03, 0.25, -60, 4, 200, -64, -16, {}),
    "rebound_burst": (0.03, 0.25, -52, 0, 200, -64, -16, {}),
    "threshold_variability": (0.03, 0.25, -60, 4, 250, -64, -16, {}),
    "bistability": (0.1, 0.26, -60, 0, 250, -61, -15.86, {}),
    "dap": (1.0, 0.2, -60, -21, 100, -70, -14, {}),
    "accomodation": (0.02, 1.0, -55, 4, 500, -65, -16, {}),
    "inhibition_induced_spiking": (-0.02, -1.0, -60, 8, 250, -63.8, 63.8, {}),
    "inhibition_induced_bursting": (-0.026, -1.0, -45, -2, 250, -63.8, 63.8, {}),
}


def _pulses(t: torch.Tensor, starts: list[float], width: float, amp: float, base: float = 0.0) -> torch.Tensor:
    """``amp`` where ``start < t < start + width`` for any start, else ``base``."""
    on = torch.zeros_like(t, dtype=torch.bool)
    for s in starts:
        on |= (t > s) & (t < s + width)
    return torch.where(on, amp, base)


# The stimuli of Norse's own Izhikevich tests (§4.5 "test stimulus"): (end, grid step, I(t, T_end)).
# The grid is numpy's arange(0, end, step), which leaves out `end`: T_end = end − step.
# The loops step with the default dt regardless of the grid step. `accomodation` has no
# stimulus in Norse; it gets none here (it fires from its initial state).
STIMULI = {
    "tonic_spiking": (100, 0.25, lambda t, T: torch.where(t > T / 10, 14.0, 0.0)),
    "phasic_spiking": (200, 0.25, lambda t, T: torch.where(t > 20, 0.5, 0.0)),
    "tonic_bursting": (220, 0.25, lambda t, T: torch.where(t > 25, 15.0, 0.0)),
    "phasic_bursting": (200, 0.25, lambda t, T: torch.where(t > 20, 0.6, 0.0)),
    "mixed_mode": (160, 0.25, lambda t, T: torch.where(t > T / 10, 10.0, 0.0)),
    "spike_frequency_adaptation": (85, 0.25, lambda t, T: torch.where(t > T / 10, 30.0, 0.0)),
    "class_1_exc": (300, 0.25, lambda t, T: torch.where(t > 30, 0.075 * (t - 30), 0.0)),
    "class_2_exc": (300, 0.25, lambda t, T: torch.where(t > 30, -0.5 + 0.015 * (t - 30), -0.5)),
    "spike_latency": (100, 0.2, lambda t, T: _pulses(t, [T / 10], 3, 7.4)),
    "subthreshold_oscillation": (200, 0.25, lambda t, T: _pulses(t, [T / 10], 5, 2.0)),
    "resonator": (400, 0.25, lambda t, T: _pulses(t, [T / 10, T / 10 + 20, 0.7 * T, 0.7 * T + 40], 4, 0.65)),
    "integrator": (100, 0.25, lambda t, T: _pulses(t, [T / 11, T / 11 + 5, 0.7 * T, 0.7 * T + 10], 2, 9.0)),
    "rebound_spike": (200, 0.2, lambda t, T: _pulses(t, [20], 5, -15.0)),
    "rebound_burst": (200, 0.2, lambda t, T: _pulses(t, [20], 5, -15.0)),
    "threshold_variability": (100, 0.25, lambda t, T: _pulses(t, [10, 80], 5, 1.0) + _pulses(t, [70], 5, -6.0)),
    "bistability": (300, 0.25, lambda t, T: _pulses(t, [T / 8, 216], 5, 1.24, 0.24)),
    "dap": (50, 0.1, lambda t, T: torch.where((t - 10).abs() < 1, 20.0, 0.0)),
    "accomodation": (50, 0.25, lambda t, T: torch.zeros_like(t)),
    "inhibition_induced_spiking": (350, 0.5, lambda t, T: torch.where((t < 50) | (t > 250), 80.0, 75.0)),
    "inhibition_induced_bursting": (350, 0.5, lambda t, T: torch.where((t < 50) | (t > 250), 80.0, 75.0)),
}


def norse_stimulus(name: str) -> torch.Tensor:
    """The preset's test current on its grid, shape (T, 1), float32."""
    end, step, current = STIMULI[name]
    n = round(end / step)                                # len(numpy.arange(0, end, step))
    t = torch.arange(n, dtype=torch.float64) * step       # ms
    return current(t, t[-1]).to(torch.float32)[:, None]


# ---------------------------------------------------------------------- reference case F
def test_case_f_stimulus_reconstruction():
    """Case F's stimulus is numpy's arange(0, 100, 0.25): 400 steps, T_end = 99.75, so the
    current (t > 9.975) starts at step 40 (t = 10 ms) — not at step 41 as a 401-point grid
    would give, which shifts every spike one step later."""
    x = norse_stimulus("tonic_spiking")[:, 0]
    assert x.shape == (400,)
    assert torch.all(x[:40] == 0) and torch.all(x[40:] == 14)


def test_case_f_tonic_spiking_matches_reference(reference):
    """The tonic_spiking preset under Norse's test stimulus spikes at steps 51, 67, 122, 232,
    341, sits at its equilibrium −70 mV until the current starts, and ends at v −66.63435,
    u −2.1409 (reference case F)."""
    case = reference["forward"]["F_izh_tonic_spiking"]
    z, states = Izhikevich(tonic_spiking, record_states=True)(norse_stimulus("tonic_spiking"))
    assert torch.nonzero(z[:, 0]).flatten().tolist() == case["spike_steps"]
    # Norse records v before each step: the first 10 values are the initial state and 9 steps
    v_before = torch.cat([torch.tensor([-70.0]), states.v[:9, 0]])
    assert_close(v_before, case["v_first10"], what="v first 10")
    assert_close(states.v[-1, 0], case["final_v"], what="final v")
    assert_close(states.u[-1, 0], case["final_u"], atol=1e-4, what="final u")  # given to 4 decimals


def test_case_f_cell_loop_equals_layer():
    """IzhikevichCell stepped by hand gives the layer's spikes and final state for case F."""
    x = norse_stimulus("tonic_spiking")
    cell, state, spikes = IzhikevichCell(tonic_spiking), None, []
    for x_t in x:
        z, state = cell(x_t, state)
        spikes.append(z)
    z_layer, s_layer = Izhikevich(tonic_spiking)(x)
    assert torch.equal(torch.stack(spikes), z_layer)
    assert torch.equal(state.v, s_layer.v) and torch.equal(state.u, s_layer.u)


# ---------------------------------------------------------------------- hand-derived steps
def test_step_below_threshold_hand_derived():
    """From (v, u) = (−70, −14) with I = 14 and h = 250·0.001 = 0.25 ms: f(−70) = 0, so
    v = −70 + 0.25·14 = −66.5, and u = −14 + 0.25·0.02·(0.2·(−70) + 14) = −14; no spike."""
    z, s = IzhikevichCell()(torch.tensor([14.0]))
    assert z.item() == 0.0
    assert_close(s.v, [-66.5])
    assert_close(s.u, [-14.0])


def test_step_with_spike_hand_derived():
    """From v = 29, u = 0, I = 0: v_d = 29 + 0.25·(33.64 + 145 + 140) = 108.66 > 30, so a spike,
    v ← c = −65 and u = 0 + 0.25·0.02·(0.2·29 − 0) + d = 0.029 + 6 = 6.029 (old v, old u)."""
    state = IzhikevichState(torch.tensor([29.0]), torch.tensor([0.0]))
    z, s = izhikevich_step(torch.zeros(1), state, IzhikevichParameters())
    assert z.item() == 1.0
    assert_close(s.v, [-65.0])
    assert_close(s.u, [6.029])


def test_threshold_is_strict():
    """v_d == v_th is no spike: the first step above reaches exactly −66.5 mV."""
    z, s = IzhikevichCell(v_th=-66.5)(torch.tensor([14.0]))
    assert z.item() == 0.0 and s.v.item() == -66.5
    z, _ = IzhikevichCell(v_th=-66.51)(torch.tensor([14.0]))
    assert z.item() == 1.0


def test_dt_and_tau_inv_set_the_step_in_milliseconds():
    """Only the product h = tau_inv·dt (ms) enters the step: dt 0.002 with tau_inv 125 equals
    the defaults, and dt 0.0005 halves the voltage change (−70 + 0.125·14 = −68.25)."""
    x = torch.tensor([14.0])
    _, s = IzhikevichCell(dt=0.002, tau_inv=125.0)(x)
    assert_close(s.v, [-66.5])
    _, s = IzhikevichCell(dt=0.0005)(x)
    assert_close(s.v, [-68.25])


def test_detach_reset_keeps_values_and_cuts_the_reset_gradient():
    """detach_reset changes no value; it removes the reset's gradient path, so d v'/d I of a
    spiking step is exactly 0 (v' = c) instead of passing the surrogate through (v_d − c)."""
    state = IzhikevichState(torch.tensor([29.0]), torch.tensor([0.0]))
    grads, values = [], []
    for detach in (False, True):
        x = torch.zeros(1, requires_grad=True)
        _, s = izhikevich_step(x, state, IzhikevichParameters(), detach_reset=detach)
        (g,) = torch.autograd.grad(s.v.sum(), x)
        grads.append(g.item())
        values.append((s.v.item(), s.u.item()))
    assert values[0] == values[1]
    assert grads[1] == 0.0 and grads[0] != 0.0


# ---------------------------------------------------------------------- presets
def test_preset_names_agree_everywhere():
    """The registry's preset list (plugin.py, written out to keep registration cheap), the
    presets module and the reference table name the same 20 presets in the same order."""
    assert REGISTERED_PRESET_NAMES == izh.PRESET_NAMES == tuple(TABLE)
    assert get_registry().get("izhikevich").spec.presets == tuple(TABLE)
    assert len(TABLE) == 20 and "accomodation" in TABLE   # the reference's spelling


@pytest.mark.parametrize("name", list(TABLE))
def test_preset_carries_the_table_values(name):
    """Each preset object (importable by name, and as Norse's ``<name>_p``) holds the table's
    a, b, c, d, tau_inv, v0, u0 and mn/bias where listed; every other field is the default."""
    a, b, c, d, tau_inv, v0, u0, other = TABLE[name]
    p = getattr(izh, name)
    assert isinstance(p, IzhikevichParameters) and getattr(izh, f"{name}_p") is p
    expected = {"a": a, "b": b, "c": c, "d": d, "tau_inv": tau_inv, "v_init": v0, "u_init": u0, **other}
    defaults = IzhikevichParameters()
    for field in attrs.fields(IzhikevichParameters):
        want = expected.get(field.name, getattr(defaults, field.name))
        got = getattr(p, field.name)
        assert got == want and type(got) is type(getattr(defaults, field.name)), field.name


def test_defaults_are_the_tonic_spiking_preset():
    """With no arguments the parameters (and spikeplug.create("izhikevich")) are tonic_spiking."""
    assert IzhikevichParameters() == tonic_spiking
    assert spikeplug.create("izhikevich").p == tonic_spiking


@pytest.mark.parametrize("name", list(STIMULI))
def test_preset_runs_its_norse_stimulus(name):
    """Each preset driven by the first 200 steps of its Norse test stimulus gives finite v and
    u, spikes in {0, 1}, and v' never above max(v_th, c) (a step either stays below the cutoff
    or resets)."""
    p = getattr(izh, name)
    x = norse_stimulus(name)[:200]
    z, s = Izhikevich(p, record_states=True)(x)
    assert z.shape == x.shape and s.v.shape == x.shape
    assert torch.isfinite(s.v).all() and torch.isfinite(s.u).all()
    assert set(z.unique().tolist()) <= {0.0, 1.0}
    assert s.v.max().item() <= max(p.v_th, p.c)


def test_presets_are_not_mutated_by_use():
    """Running, back-propagating through and editing the state of a module built from a preset
    leaves the preset equal to a fresh copy of its table values, and the next module starts
    from the preset's initial state again (Norse's presets share state tensors)."""
    fresh = IzhikevichParameters(**izh.PRESET_VALUES["tonic_bursting"])
    layer = Izhikevich(izh.tonic_bursting)
    x = torch.full((50, 3), 15.0, requires_grad=True)
    z, s = layer(x)
    (z.sum() + s.v.sum()).backward()
    s.v.add_(100.0)                                              # a caller editing its state in place
    assert izh.tonic_bursting == fresh
    assert spikeplug.create("izhikevich", preset="tonic_bursting").p == fresh
    _, s2 = Izhikevich(izh.tonic_bursting)(torch.zeros(1, 3))   # at rest: −70 mV, u = −14 stay
    assert s2.v.tolist() == [-70.0] * 3 and s2.u.tolist() == [-14.0] * 3
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        izh.tonic_bursting.c = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        izh.PRESET_VALUES["tonic_bursting"]["c"] = 0.0  # type: ignore[index]


# ---------------------------------------------------------------------- initial state
def test_initial_state_is_full_shape_fresh_and_without_grad():
    """The initial state is (v_init, u_init) in new full-shape tensors of the input's dtype,
    not requiring grad, new on every call; per-neuron v_init tensors broadcast."""
    cell = IzhikevichCell(izh.bistability)
    s1 = cell.initial_state(torch.zeros(2, 3, dtype=torch.float64))
    s2 = cell.initial_state(torch.zeros(2, 3, dtype=torch.float64))
    assert isinstance(s1, IzhikevichState) and s1.v.shape == s1.u.shape == (2, 3)
    assert s1.v.dtype == torch.float64 and not s1.v.requires_grad and not s1.u.requires_grad
    assert torch.all(s1.v == -61.0) and torch.all(s1.u == -15.86)
    assert s1.v.data_ptr() != s2.v.data_ptr()
    per_neuron = IzhikevichCell(v_init=torch.tensor([-70.0, -60.0, -50.0]))
    assert per_neuron.initial_state(torch.zeros(2, 3)).v.tolist() == [[-70.0, -60.0, -50.0]] * 2


def test_spiking_behavior_pairs_parameters_with_a_fresh_state():
    """IzhikevichSpikingBehavior.of(p, shape) unpacks as (p, s) like Norse's presets, and
    builds a new state each call that starts at the preset's v_init, u_init."""
    p, s = IzhikevichSpikingBehavior.of(izh.dap, (4,))
    _, s_again = IzhikevichSpikingBehavior.of(izh.dap, (4,))
    assert p is izh.dap and isinstance(s, IzhikevichState) and s.v.shape == (4,)
    assert torch.all(s.v == -70.0) and torch.all(s.u == -14.0) and not s.v.requires_grad
    assert s.v.data_ptr() != s_again.v.data_ptr()
    z, _ = IzhikevichCell(p)(torch.zeros(4), s)
    assert z.shape == (4,)


# ---------------------------------------------------------------------- forms
def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes and state
    types; the recurrent initial state is z = 0 with v, u at the preset's initial values."""
    z, s = IzhikevichCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and isinstance(s, IzhikevichState) and s.u.shape == (2, 5)
    z, s = Izhikevich()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    cell = IzhikevichRecurrentCell(5, 3, izh.resonator)
    s0 = cell.initial_state(torch.zeros(2, 5))
    assert isinstance(s0, IzhikevichRecurrentState) and s0.z.shape == s0.v.shape == s0.u.shape == (2, 3)
    assert torch.all(s0.z == 0) and torch.all(s0.v == -62.0) and torch.all(s0.u == -16.12)
    z, s = cell(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, IzhikevichRecurrentState)
    z, s = IzhikevichRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.v.shape == (4, 2, 3)
    assert IzhikevichRecurrent(5, 3).detach_reset is False and IzhikevichCell().detach_reset is False


def test_recurrent_cell_feeds_back_spikes():
    """I = x·W_inᵀ + z_prev·W_recᵀ: neuron 0 gets 500 (v_d = −70 + 0.25·500 = 55 > 30, spike);
    at the next step neuron 1 receives 10 through W_rec and moves to −70 + 0.25·10 = −67.5."""
    cell = IzhikevichRecurrentCell(
        2, 2, input_weights=torch.eye(2), recurrent_weights=torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    )
    z, s = cell(torch.tensor([[500.0, 0.0]]))
    assert z.tolist() == [[1.0, 0.0]]
    assert_close(s.v, [[-65.0, -70.0]])
    z, s = cell(torch.zeros(1, 2), s)
    assert z.tolist() == [[0.0, 0.0]]
    assert_close(s.v[0, 1], -67.5)


def test_gradient_reaches_input_and_weights():
    """A loss on the spikes and final v of the layer and of the recurrent layer sends finite,
    non-zero gradients to the input (through the surrogate) and to both weight matrices."""
    x = torch.full((30, 2, 4), 12.0).requires_grad_(True)
    z, s = Izhikevich()(x)
    assert z.sum() > 0
    (z.sum() + s.v.sum()).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    # fixed weights: each neuron receives 4·0.6·6 = 14.4, spikes, and feeds 0.5 to every neuron
    rec = IzhikevichRecurrent(
        4, 3, input_weights=torch.full((3, 4), 0.6), recurrent_weights=torch.full((3, 3), 0.5), autapses=True
    )
    xr = torch.full((30, 2, 4), 6.0).requires_grad_(True)
    zr, sr = rec(xr)
    assert zr.sum() > 0
    (zr.sum() + sr.v.sum()).backward()
    for g in (xr.grad, rec.input_weights.grad, rec.recurrent_weights.grad):
        assert torch.isfinite(g).all() and g.abs().sum() > 0


def test_learnable_parameter_gets_a_gradient():
    """learnable=("d",) makes d an nn.Parameter that receives a gradient (d enters u after spikes)."""
    layer = Izhikevich(learnable=("d",))
    z, s = layer(torch.full((60, 1), 14.0))
    assert z.sum() > 0
    s.u.sum().backward()
    assert isinstance(layer.d, torch.nn.Parameter) and layer.d.grad is not None and layer.d.grad.item() != 0


# ---------------------------------------------------------------------- registry
def test_create_with_preset_and_overrides():
    """spikeplug.create builds any form from a preset; keywords win over the preset's values and
    the preset's other values stay."""
    cell = spikeplug.create("izhikevich", form="cell", preset="tonic_bursting", d=3.0, dt=0.0005)
    assert type(cell) is IzhikevichCell
    assert cell.p == attrs.evolve(izh.tonic_bursting, d=3.0, dt=0.0005)
    rec = spikeplug.create("izhikevich", form="recurrent_cell", preset="dap", input_size=2, hidden_size=3)
    assert rec.p == izh.dap
    assert get_registry().factory("izhikevich").parameters("integrator", v_init=-61.0) == attrs.evolve(
        izh.integrator, v_init=-61.0
    )


def test_unknown_preset_lists_valid_names_and_close_matches():
    """A misspelt preset raises ParameterError naming the argument, the value, the valid presets
    and the close match."""
    with pytest.raises(spikeplug.ParameterError) as info:
        spikeplug.create("izhikevich", preset="tonic_burstin")
    msg = str(info.value)
    assert "preset must be one of" in msg and "'tonic_burstin'" in msg
    assert "'inhibition_induced_bursting'" in msg and "Did you mean 'tonic_bursting'" in msg


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [
        ("tau_inv", 0.0, "finite and > 0"),
        ("tau_inv", -250.0, "finite and > 0"),
        ("a", math.nan, "finite"),
        ("v_init", math.inf, "finite"),
        ("c", math.nan, "finite"),
        ("dt", -0.001, "finite and > 0"),
    ],
)
def test_invalid_values_raise_parameter_error(field, value, constraint):
    """Bad values are rejected by the class and through create, naming field, constraint and value."""
    with pytest.raises(spikeplug.ParameterError, match=rf"IzhikevichParameters\.{field} must be {constraint}, got"):
        IzhikevichParameters(**{field: value})
    with pytest.raises(spikeplug.ParameterError, match=rf"{field}.*{constraint}.*{value!r}"):
        spikeplug.create("izhikevich", preset="dap", **{field: value})


def test_describe_lists_every_parameter_with_unit_and_meaning_and_the_presets():
    """registry.describe("izhikevich") gives every field with its default, a unit (except the
    dimensionless surrogate fields) and a meaning, the four forms and the 20 presets."""
    desc = spikeplug.registry.describe("izhikevich")
    fields = {p.name: p for p in desc.parameters}
    assert list(fields) == [f.name for f in attrs.fields(IzhikevichParameters)]
    for name, p in fields.items():
        assert p.doc, name
        assert p.unit or name in ("method", "alpha"), name
    assert fields["tau_inv"].unit == "ms/s" and fields["c"].unit == "mV" and fields["a"].unit == "1/ms"
    assert fields["v_init"].default == -70.0 and fields["u_init"].default == -14.0
    assert desc.forms == ("cell", "layer", "recurrent_cell", "recurrent")
    assert desc.presets == tuple(TABLE)
