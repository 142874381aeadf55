"""Refractory LIF family: reference case J through every form, refractory masking, modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.lif.model import LIFParameters
from spikeplug.neurons_builtin.lif_refrac import (
    LIFRefrac,
    LIFRefracCell,
    LIFRefracFeedForwardState,
    LIFRefracParameters,
    LIFRefracRecurrent,
    LIFRefracRecurrentCell,
    LIFRefracState,
)

from conftest import assert_close

CASE = "J_refrac_ff_x5"


def test_case_j_cell_loop_matches_reference(reference):
    """LIFRefracCell with I = 5 reproduces Norse's z, v, i, rho at every step: spikes at 2, 8, 14,
    five masked steps after each spike while the current keeps integrating."""
    case = reference["forward"][CASE]
    cell = LIFRefracCell()
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.full((1,), 5.0), state)
        assert isinstance(state, LIFRefracFeedForwardState)
        assert_close(z, z_ref, what=f"z step {t}")
        for field in ("v", "i", "rho"):
            assert_close(getattr(state, field), s_ref[field], what=f"{field} step {t}")


def test_case_j_layer_matches_reference(reference):
    """The LIFRefrac layer (a form Norse lacks) gives case J's spikes and recorded states."""
    case = reference["forward"][CASE]
    z, states = LIFRefrac(record_states=True)(torch.full((15, 1), 5.0))
    assert z[:, 0].nonzero().flatten().tolist() == [1, 7, 13]
    assert_close(z, case["z"], what="z")
    for field in ("v", "i", "rho"):
        assert_close(getattr(states, field), [s[field] for s in case["state"]], what=field)


def test_case_j_recurrent_forms_match_reference(reference):
    """A one-neuron recurrent population (its only recurrent weight is the masked autapse) with
    W_in = 1 and x = 5 is case J, in the recurrent cell and the recurrent layer; the state's z
    is the masked spike."""
    case = reference["forward"][CASE]
    cell = LIFRefracRecurrentCell(1, 1, input_weights=torch.ones(1, 1))
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.full((1, 1), 5.0), state)
        assert isinstance(state, LIFRefracState)
        assert_close(z[0], z_ref, what=f"z step {t}")
        assert_close(state.z[0], z_ref, what=f"state z step {t}")
        for field in ("v", "i", "rho"):
            assert_close(getattr(state, field)[0], s_ref[field], what=f"{field} step {t}")
    layer = LIFRefracRecurrent(1, 1, input_weights=torch.ones(1, 1), record_states=True)
    z, states = layer(torch.full((15, 1, 1), 5.0))
    assert_close(z[:, 0], case["z"], what="z")
    assert_close(states.rho[:, 0], [s["rho"] for s in case["state"]], what="rho")


def test_recurrent_spike_of_refractory_neuron_reaches_its_target():
    """Neuron 0 follows case J; W_rec[1, 0] = 1 carries its spikes to the silent neuron 1 one step
    later. Hand-derived for neuron 1: after step 3, i = 0.8·(0 + 1) = 0.8 and v = 0.1·1 = 0.1;
    after step 4, v = 0.1 + 0.1·(−0.1 + 0.8) = 0.17 and i = 0.64."""
    cell = LIFRefracRecurrentCell(
        2, 2, input_weights=torch.eye(2), recurrent_weights=torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    )
    x = torch.tensor([[5.0, 0.0]])
    state = None
    vs, is_ = [], []
    for _ in range(4):
        z, state = cell(x, state)
        vs.append(state.v[0, 1].item())
        is_.append(state.i[0, 1].item())
    assert_close(vs, [0.0, 0.0, 0.1, 0.17], what="v of neuron 1")
    assert_close(is_, [0.0, 0.0, 0.8, 0.64], what="i of neuron 1")


def test_rho_counts_steps_independent_of_dt():
    """rho_reset counts steps: with rho_reset = 2 and any dt, a spike is followed by exactly two
    masked steps (counter 2, 1) before the neuron integrates again."""
    for dt in (1e-3, 1e-4):
        z, s = LIFRefrac(rho_reset=2.0, dt=dt, record_states=True)(torch.full((12, 1), 1e4 * 1e-3 / dt))
        spikes = z[:, 0].nonzero().flatten().tolist()
        assert spikes[1] - spikes[0] == 3, (dt, spikes)
        assert s.rho[spikes[0] : spikes[0] + 3, 0].tolist() == [2.0, 1.0, 0.0]


def test_refractory_mask_passes_surrogate_gradient_to_rho():
    """m = Θ(rho) uses the surrogate (as in the reference), so the state depends differentiably on
    the counter. Hand-derived with I = 2 from v = i = 0, rho = 0.01: the LIF step gives
    v_l = 0.2, the frozen v' = (1 − m)·v_l + m·0 = 0, and dv'/drho = −v_l · Θ'(0.01) with the
    SuperSpike Θ'(x) = 1/(100·|x| + 1)² = 0.25, i.e. −0.05."""
    rho = torch.tensor([0.01], requires_grad=True)
    state = LIFRefracFeedForwardState(torch.zeros(1), torch.zeros(1), rho)
    z, s = LIFRefracCell()(torch.full((1,), 2.0), state)
    assert z.item() == 0.0 and s.v.item() == 0.0
    (g,) = torch.autograd.grad(s.v.sum(), rho)
    assert_close(g, [-0.05], what="dv'/drho")


def test_parameters_extend_lif_and_step_reuses_it():
    """LIFRefracParameters is a LIFParameters (flat fields) with rho_reset = 5 steps by default."""
    p = LIFRefracParameters(v_th=0.5)
    assert isinstance(p, LIFParameters) and p.rho_reset == 5.0 and p.v_th == 0.5


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes and states."""
    z, s = LIFRefracCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and s.rho.shape == (2, 5)
    z, s = LIFRefrac()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and isinstance(s, LIFRefracFeedForwardState) and s.v.shape == (2, 5)
    z, s = LIFRefracRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, LIFRefracState) and s.rho.shape == (2, 3)
    z, s = LIFRefracRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.z.shape == (4, 2, 3)


def test_gradients_reach_input_and_weights():
    """The surrogate gradient of Σz reaches the layer's input and both recurrent weight matrices."""
    x = torch.full((12, 1, 2), 3.0, requires_grad=True)
    z, _ = LIFRefrac()(x)
    z.sum().backward()
    assert x.grad.abs().sum() > 0
    layer = LIFRefracRecurrent(2, 3, input_weights=torch.full((3, 2), 2.0))
    z, _ = layer(torch.ones(12, 1, 2))
    assert z.sum() > 0
    z.sum().backward()
    assert layer.input_weights.grad.abs().sum() > 0
    assert layer.recurrent_weights.grad.abs().sum() > 0


def test_recurrent_detaches_lif_reset_by_default():
    """As the reference (whose recurrent step wraps the recurrent LIF step), recurrent forms detach
    the reset; feed-forward forms do not."""
    assert LIFRefracRecurrentCell(2, 2).detach_reset is True
    assert LIFRefracCell().detach_reset is False and LIFRefrac().detach_reset is False


def test_create_forms_through_registry():
    """spikeplug.create('lif_refrac') gives the layer; form= gives the other forms with overrides."""
    assert type(spikeplug.create("lif_refrac")) is LIFRefrac
    cell = spikeplug.create("lif_refrac", form="cell", rho_reset=3.0, tau_mem_inv=50.0)
    assert type(cell) is LIFRefracCell and cell.p.rho_reset == 3.0 and cell.p.tau_mem_inv == 50.0
    rec = spikeplug.create("lif_refrac", form="recurrent_cell", input_size=2, hidden_size=3)
    assert type(rec) is LIFRefracRecurrentCell
    assert type(spikeplug.create("lif_refrac", form="recurrent", input_size=2, hidden_size=3)) is LIFRefracRecurrent


def test_invalid_parameters_name_field_and_value():
    """Invalid values raise ParameterError naming the class, field, constraint and value."""
    msg = r"LIFRefracParameters.rho_reset must be finite and >= 0, got -1.0"
    with pytest.raises(spikeplug.ParameterError, match=msg):
        LIFRefracParameters(rho_reset=-1.0)
    msg = r"LIFRefracParameters.tau_syn_inv must be finite and > 0, got 0.0"
    with pytest.raises(spikeplug.ParameterError, match=msg):
        LIFRefracCell(tau_syn_inv=0.0)
