"""LIF-Ex (lif_ex): reference case G in every form, parameters extending LIF's, the modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.lif import LIFParameters
from spikeplug.neurons_builtin.lif_ex import (
    LIFEx,
    LIFExCell,
    LIFExFeedForwardState,
    LIFExParameters,
    LIFExRecurrent,
    LIFExRecurrentCell,
    LIFExState,
)

from conftest import assert_close


def test_case_g_cell_loop_matches_reference(reference):
    """LIFExCell stepped by hand with I = 1 gives Norse's z, v and i (spikes at steps 5 and 8)."""
    case = reference["forward"]["G_lifex_ff_x1"]
    cell, state = LIFExCell(), None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.ones(1), state)
        assert_close(z, z_ref, what=f"z step {t}")
        assert_close(state.v, s_ref["v"], what=f"v step {t}")
        assert_close(state.i, s_ref["i"], what=f"i step {t}")


def test_case_g_layer_matches_reference(reference):
    """The LIFEx layer over 10 steps gives case G's spikes and, recorded, every v and i."""
    case = reference["forward"]["G_lifex_ff_x1"]
    z, states = LIFEx(record_states=True)(torch.ones(10, 1))
    assert_close(z, case["z"], what="z")
    assert_close(states.v, [s["v"] for s in case["state"]], what="v")
    assert_close(states.i, [s["i"] for s in case["state"]], what="i")


def test_case_g_through_the_recurrent_layer(reference):
    """A one-neuron recurrent layer (no autapse, W_in = 1) runs the same step: case G again."""
    case = reference["forward"]["G_lifex_ff_x1"]
    layer = LIFExRecurrent(1, 1, input_weights=torch.ones(1, 1), record_states=True)
    z, states = layer(torch.ones(10, 1))
    assert_close(z, case["z"], what="z")
    assert_close(states.v, [s["v"] for s in case["state"]], what="v")
    assert torch.equal(states.z, z)


def test_parameters_extend_lif_parameters():
    """LIFExParameters are LIF's (same defaults) plus delta_T = 0.5."""
    p = LIFExParameters()
    assert isinstance(p, LIFParameters) and p.delta_T == 0.5
    for name in ("tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "dt", "method", "alpha"):
        assert getattr(p, name) == getattr(LIFParameters(), name), name


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes and state types."""
    z, s = LIFExCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and isinstance(s, LIFExFeedForwardState) and s.i.shape == (2, 5)
    z, s = LIFEx()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    z, s = LIFExRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, LIFExState) and s.z.shape == s.v.shape == s.i.shape == (2, 3)
    z, s = LIFExRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.i.shape == (4, 2, 3)
    assert LIFExRecurrentCell(5, 3).detach_reset is False


def test_initial_state_is_rest_at_v_leak():
    """The initial state is full shape, v = v_leak, i = 0, in the input's dtype, without gradient."""
    s = LIFExCell(v_leak=-0.25).initial_state(torch.zeros(3, 2, dtype=torch.float64))
    assert s.v.shape == (3, 2) and s.v.dtype == torch.float64 and not s.v.requires_grad
    assert torch.all(s.v == -0.25) and torch.all(s.i == 0)


def test_gradient_reaches_the_input():
    """Spikes and voltages are differentiable with respect to the input through the surrogate."""
    x = torch.ones(6, 3, requires_grad=True)
    z, s = LIFEx()(x)
    (z.sum() + s.v.sum()).backward()
    assert x.grad is not None and torch.all(x.grad != 0)


def test_create_through_registry():
    """spikeplug.create('lif_ex') gives the layer, form='cell' the cell, with overrides applied."""
    assert type(spikeplug.create("lif_ex")) is LIFEx
    cell = spikeplug.create("lif_ex", form="cell", delta_T=1.5)
    assert type(cell) is LIFExCell and cell.p.delta_T == 1.5


def test_invalid_parameters_name_field_and_value():
    """A negative time constant or delta_T = 0 (NaN gradient) raises ParameterError naming field and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"LIFExParameters.tau_mem_inv must be finite and > 0, got -1.0"):
        LIFExParameters(tau_mem_inv=-1.0)
    with pytest.raises(spikeplug.ParameterError, match=r"LIFExParameters.delta_T must be finite and > 0, got 0.0"):
        spikeplug.create("lif_ex", delta_T=0.0)
