"""LIF box (lif_box): reference case D, Norse's LIF-box regressions, both resets, the modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.lif_box import (
    LIFBox,
    LIFBoxCell,
    LIFBoxFeedForwardState,
    LIFBoxParameters,
    LIFBoxRecurrent,
    LIFBoxRecurrentCell,
    LIFBoxState,
)

from conftest import assert_close


def test_case_d_cell_loop_matches_reference(reference):
    """LIFBoxCell stepped by hand with I = 2 gives Norse's spikes and v (spike at step 7)."""
    case = reference["forward"]["D_lifbox_x2"]
    cell, state = LIFBoxCell(), None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.full((1,), 2.0), state)
        assert_close(z, z_ref, what=f"z step {t}")
        assert_close(state.v, s_ref["v"], what=f"v step {t}")


def test_case_d_layer_matches_reference(reference):
    """The LIFBox layer over 8 steps gives case D's spikes and, recorded, every v."""
    case = reference["forward"]["D_lifbox_x2"]
    z, states = LIFBox(record_states=True)(torch.full((8, 1), 2.0))
    assert_close(z, case["z"], what="z")
    assert_close(states.v, [s["v"] for s in case["state"]], what="v")


def test_norse_regression_from_v0_10_with_int_input():
    """Norse's functional regression: x = [1,1,1,1,1,0,0] (int), v0 = 10 → spike, then
    v = 0.1, 0.19, 0.271, 0.3439, 0.3095, 0.2786."""
    x = torch.tensor([1, 1, 1, 1, 1, 0, 0]).unsqueeze(1)
    state = LIFBoxFeedForwardState(v=torch.full((1,), 10.0))
    z, states = LIFBox(record_states=True)(x, state)
    assert z[:, 0].tolist() == [1.0, 0, 0, 0, 0, 0, 0]
    assert_close(states.v[:, 0], [0.0, 0.1, 0.19, 0.271, 0.3439, 0.3095, 0.2786], atol=1e-4)


def test_norse_module_regression_one_step():
    """Norse's module regression: x = 1 from v = 0 gives v = 0.1; with tau_mem_inv = 1000, v = 1 (no spike)."""
    z, s = LIFBoxCell()(torch.ones(1))
    assert_close(s.v, [0.1])
    z, s = LIFBoxCell(tau_mem_inv=1000.0)(torch.ones(1))
    assert_close(s.v, [1.0])
    assert z.item() == 0.0


def test_reset_by_subtraction_keeps_the_overshoot():
    """reset_method='subtract' removes v_th on a spike (v_d = 1.2 → 0.2); 'value' sets v_reset (→ -0.5)."""
    x = torch.full((1,), 12.0)  # v_d = 0 + 0.1 · 12 = 1.2
    z, s = LIFBoxCell(reset_method="subtract", v_reset=-0.5)(x)
    assert z.item() == 1.0
    assert_close(s.v, [0.2])
    _, s = LIFBoxCell(reset_method="value", v_reset=-0.5)(x)
    assert_close(s.v, [-0.5])


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes and state types."""
    z, s = LIFBoxCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and isinstance(s, LIFBoxFeedForwardState) and s.v.shape == (2, 5)
    z, s = LIFBox()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    z, s = LIFBoxRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, LIFBoxState) and s.z.shape == s.v.shape == (2, 3)
    z, s = LIFBoxRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.v.shape == (4, 2, 3)


def test_recurrent_forms_keep_the_reset_differentiable():
    """Unlike recurrent LIF, the recurrent LIF box does not detach the reset by default."""
    assert LIFBoxRecurrentCell(2, 2).detach_reset is False and LIFBoxRecurrent(2, 2).detach_reset is False


def test_gradient_reaches_the_input():
    """Spikes and voltages are differentiable with respect to the input through the surrogate."""
    x = torch.full((6, 3), 2.0, requires_grad=True)
    z, s = LIFBox()(x)
    (z.sum() + s.v.sum()).backward()
    assert x.grad is not None and torch.all(x.grad != 0)


def test_create_through_registry():
    """spikeplug.create('lif_box') gives the layer, form='cell' the cell, with overrides applied."""
    assert type(spikeplug.create("lif_box")) is LIFBox
    cell = spikeplug.create("lif_box", form="cell", reset_method="subtract")
    assert type(cell) is LIFBoxCell and cell.p.reset_method == "subtract"


def test_invalid_parameters_name_field_and_value():
    """A negative time constant or an unknown reset method raises ParameterError naming field and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"LIFBoxParameters.tau_mem_inv must be finite and > 0, got -1.0"):
        LIFBoxParameters(tau_mem_inv=-1.0)
    with pytest.raises(
        spikeplug.ParameterError, match=r"LIFBoxParameters.reset_method must be one of 'value', 'subtract', got 'zero'"
    ):
        spikeplug.create("lif_box", reset_method="zero")
