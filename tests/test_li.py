"""Leaky integrator (li): reference case C, the linear cell, and the generated modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.li import LI, LICell, LILinearCell, LIParameters, LIState

from conftest import assert_close


def test_case_c_cell_loop_matches_reference(reference):
    """LICell stepped by hand with I = 1 gives Norse's output (the voltage), v and i at every step."""
    case = reference["forward"]["C_li_ff_x1"]
    cell, state = LICell(), None
    for t, (out_ref, s_ref) in enumerate(zip(case["out"], case["state"])):
        out, state = cell(torch.ones(1), state)
        assert_close(out, out_ref, what=f"output step {t}")
        assert_close(state.v, s_ref["v"], what=f"v step {t}")
        assert_close(state.i, s_ref["i"], what=f"i step {t}")


def test_case_c_layer_matches_reference(reference):
    """The LI layer over 5 steps returns the voltages of case C and, recorded, every state."""
    case = reference["forward"]["C_li_ff_x1"]
    out, states = LI(record_states=True)(torch.ones(5, 1))
    assert_close(out, case["out"], what="output")
    assert_close(states.v, [s["v"] for s in case["state"]], what="v")
    assert_close(states.i, [s["i"] for s in case["state"]], what="i")


def test_linear_cell_feeds_x_times_w_in(reference):
    """LILinearCell uses I = x·W_inᵀ: unit weights reproduce case C, weights 2 and 0.5 double it."""
    case = reference["forward"]["C_li_ff_x1"]
    cell = LILinearCell(2, 1, input_weights=torch.tensor([[2.0, 0.5]]))
    x = torch.tensor([[0.25, 1.0]])  # x·W_inᵀ = 1
    state = None
    for t, out_ref in enumerate(case["out"]):
        out, state = cell(x, state)
        assert_close(out[0], out_ref, what=f"output step {t}")
    assert cell.input_weights.shape == (1, 2) and isinstance(cell.input_weights, torch.nn.Parameter)


def test_shapes_of_every_form_and_no_recurrent_form():
    """Cell, layer and linear cell return full-shape voltages and LIState; there is no recurrent form."""
    out, s = LICell()(torch.randn(2, 5))
    assert out.shape == (2, 5) and isinstance(s, LIState) and s.i.shape == (2, 5)
    out, s = LI()(torch.randn(7, 2, 5))
    assert out.shape == (7, 2, 5) and s.v.shape == (2, 5) and s.i.shape == (2, 5)
    out, s = LILinearCell(5, 3)(torch.randn(4, 2, 5))
    assert out.shape == (4, 2, 3) and s.v.shape == (4, 2, 3)
    only_forms = "form must be one of 'cell', 'layer', 'linear_cell'.*got 'recurrent'"
    with pytest.raises(spikeplug.ParameterError, match=only_forms):
        spikeplug.create("li", form="recurrent", input_size=2, hidden_size=3)


def test_initial_state_is_rest_at_v_leak():
    """The initial state is full shape, v = v_leak, i = 0, in the input's dtype, without gradient."""
    s = LICell(v_leak=-0.25).initial_state(torch.zeros(3, 2, dtype=torch.float64))
    assert s.v.shape == (3, 2) and s.v.dtype == torch.float64 and not s.v.requires_grad
    assert torch.all(s.v == -0.25) and torch.all(s.i == 0)


def test_gradient_reaches_the_input():
    """The output voltage is differentiable with respect to every earlier input step."""
    x = torch.ones(4, 3, requires_grad=True)
    out, _ = LI()(x)
    out[-1].sum().backward()
    assert x.grad is not None and torch.all(x.grad > 0)


def test_create_through_registry():
    """spikeplug.create('li') gives the layer, form='cell' the cell, with overrides applied."""
    assert type(spikeplug.create("li")) is LI
    cell = spikeplug.create("li", form="cell", tau_mem_inv=50.0)
    assert type(cell) is LICell and cell.p.tau_mem_inv == 50.0


def test_no_surrogate_parameters():
    """LI outputs no spikes, so its parameters have dt but no method or alpha."""
    assert not isinstance(LIParameters(), spikeplug.SpikingParameters)
    with pytest.raises(spikeplug.ParameterError, match="LIParameters has no parameter 'method'"):
        LICell(method="super")


def test_invalid_parameter_names_field_and_value():
    """A negative time constant raises ParameterError naming the class, field and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"LIParameters.tau_syn_inv must be finite and > 0, got -2.0"):
        LIParameters(tau_syn_inv=-2.0)
    with pytest.raises(spikeplug.ParameterError, match=r"LIParameters.tau_mem_inv must be finite and > 0, got -1.0"):
        spikeplug.create("li", tau_mem_inv=-1.0)
