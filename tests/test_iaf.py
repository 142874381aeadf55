"""Integrate-and-fire (iaf): reference case E, the strict threshold, fresh initial states, the modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.iaf import (
    IAF,
    IAFCell,
    IAFFeedForwardState,
    IAFParameters,
    IAFRecurrent,
    IAFRecurrentCell,
    IAFState,
)

from conftest import assert_close


def test_case_e_cell_loop_matches_reference(reference):
    """IAFCell stepped by hand with I = 0.3 gives Norse's spikes and v (spike at step 4)."""
    case = reference["forward"]["E_iaf_x03"]
    cell, state = IAFCell(), None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.full((1,), 0.3), state)
        assert_close(z, z_ref, what=f"z step {t}")
        assert_close(state.v, s_ref["v"], what=f"v step {t}")


def test_case_e_layer_matches_reference(reference):
    """The IAF layer over 6 steps gives case E's spikes and, recorded, every v."""
    case = reference["forward"]["E_iaf_x03"]
    z, states = IAF(record_states=True)(torch.full((6, 1), 0.3))
    assert_close(z, case["z"], what="z")
    assert_close(states.v, [s["v"] for s in case["state"]], what="v")


def test_threshold_is_strict():
    """Norse's regression: x = 1 from v = 0 reaches v = v_th = 1 exactly, which is no spike."""
    z, s = IAFCell()(torch.ones(1))
    assert z.item() == 0.0 and s.v.item() == 1.0


def test_initial_state_is_a_fresh_tensor_at_v_reset():
    """v starts at v_reset in a new full-shape tensor; the parameter tensor is neither reused
    nor marked requires_grad (Norse's IAF mutated its default parameters)."""
    v_reset = torch.tensor(-0.5)
    cell = IAFCell(v_reset=v_reset)
    _, s = cell(torch.zeros(2, 3))
    assert s.v.shape == (2, 3) and torch.all(s.v == -0.5)
    assert s.v.data_ptr() != cell.v_reset.data_ptr()
    assert not v_reset.requires_grad and not cell.v_reset.requires_grad
    assert IAFParameters().v_reset == 0.0


def test_recurrent_cell_feeds_back_spikes():
    """IAFRecurrentCell adds z_prev·W_recᵀ: neuron 0 spikes at step 1, neuron 1 receives 0.7 at step 2."""
    cell = IAFRecurrentCell(
        2, 2, input_weights=torch.eye(2), recurrent_weights=torch.tensor([[0.0, 0.0], [0.7, 0.0]])
    )
    z, s = cell(torch.tensor([[1.5, 0.0]]))
    assert z.tolist() == [[1.0, 0.0]] and s.v.tolist() == [[0.0, 0.0]]
    z, s = cell(torch.zeros(1, 2), s)
    assert z.tolist() == [[0.0, 0.0]]
    assert_close(s.v[0], [0.0, 0.7])


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes and state types."""
    z, s = IAFCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and isinstance(s, IAFFeedForwardState) and s.v.shape == (2, 5)
    z, s = IAF()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    z, s = IAFRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, IAFState) and s.z.shape == s.v.shape == (2, 3)
    z, s = IAFRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.v.shape == (4, 2, 3)
    assert IAFRecurrent(5, 3).detach_reset is False


def test_gradient_reaches_the_input():
    """Spikes and voltages are differentiable with respect to the input through the surrogate."""
    x = torch.full((6, 3), 0.3, requires_grad=True)
    z, s = IAF()(x)
    (z.sum() + s.v.sum()).backward()
    assert x.grad is not None and torch.all(x.grad != 0)


def test_create_through_registry():
    """spikeplug.create('iaf') gives the layer, form='cell' the cell, with overrides applied."""
    assert type(spikeplug.create("iaf")) is IAF
    cell = spikeplug.create("iaf", form="cell", v_th=2.0)
    assert type(cell) is IAFCell and cell.p.v_th == 2.0


def test_invalid_parameters_name_field_and_value():
    """A non-finite threshold or a negative dt raises ParameterError naming field and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"IAFParameters.v_th must be finite, got nan"):
        IAFParameters(v_th=float("nan"))
    with pytest.raises(spikeplug.ParameterError, match=r"IAFParameters.dt must be finite and > 0, got -1.0"):
        spikeplug.create("iaf", dt=-1.0)
