"""LSNN family: reference cases I and I2, Norse's module regression, and the generated modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.lsnn import (
    LSNN,
    LSNNCell,
    LSNNFeedForwardState,
    LSNNParameters,
    LSNNRecurrent,
    LSNNRecurrentCell,
    LSNNState,
)

from conftest import assert_close

FF_CASE = "I_lsnn_ff_x2_b0=1"


def _case_i2_weights():
    """Weights reconstructed from case I2's values: the first step's current is the input
    jump [2, 3] and stays so (x·W_inᵀ = [2, 3]); a spike of either neuron adds exactly 1 to
    the other one's current a step later (W_rec off-diagonal = 1)."""
    return torch.eye(2), torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[2.0, 3.0]])


def test_case_i_cell_loop_matches_reference(reference):
    """LSNNCell stepped by hand with I = 2 from v = i = 0, b = 1 reproduces Norse's z, v, i, b
    (input jump after the spike: v stays 0 on the first step)."""
    case = reference["forward"][FF_CASE]
    cell = LSNNCell()
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.full((1,), 2.0), state)
        assert isinstance(state, LSNNFeedForwardState)
        assert_close(z, z_ref, what=f"z step {t}")
        for field in ("v", "i", "b"):
            assert_close(getattr(state, field), s_ref[field], what=f"{field} step {t}")


def test_case_i_layer_matches_reference(reference):
    """The LSNN layer over 12 steps gives spikes at steps 5 and 10 and every recorded state."""
    case = reference["forward"][FF_CASE]
    z, states = LSNN(record_states=True)(torch.full((12, 1), 2.0))
    assert_close(z, case["z"], what="z")
    assert z[:, 0].nonzero().flatten().tolist() == [4, 9]
    for field in ("v", "i", "b"):
        assert_close(getattr(states, field), [s[field] for s in case["state"]], what=field)


def test_norse_module_regression_second_step_current():
    """Norse's module test: LSNNCell on ones(1, 2, 2) twice gives no spike and i == 1.8."""
    cell = LSNNCell()
    z, s = cell(torch.ones(1, 2, 2))
    assert torch.all(z == 0)
    z, s = cell(torch.ones(1, 2, 2), s)
    assert torch.all(z == 0)
    assert torch.allclose(s.i, torch.full((1, 2, 2), 1.8))


def test_case_i2_recurrent_cell_matches_reference(reference):
    """LSNNRecurrentCell with the reconstructed weights reproduces case I2 step by step."""
    case = reference["forward"]["I2_lsnn_rec"]
    w_in, w_rec, x = _case_i2_weights()
    cell = LSNNRecurrentCell(2, 2, input_weights=w_in, recurrent_weights=w_rec)
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(x, state)
        assert isinstance(state, LSNNState)
        assert_close(z[0], z_ref, what=f"z step {t}")
        for field in ("z", "v", "i", "b"):
            assert_close(getattr(state, field)[0], s_ref[field], what=f"{field} step {t}")


def test_case_i2_recurrent_layer_matches_reference(reference):
    """LSNNRecurrent over 12 steps equals case I2 (recorded states included)."""
    case = reference["forward"]["I2_lsnn_rec"]
    w_in, w_rec, x = _case_i2_weights()
    layer = LSNNRecurrent(2, 2, input_weights=w_in, recurrent_weights=w_rec, record_states=True)
    z, states = layer(x.expand(12, 1, 2))
    assert_close(z[:, 0], case["z"], what="z")
    for field in ("v", "i", "b"):
        assert_close(getattr(states, field)[:, 0], [s[field] for s in case["state"]], what=field)


def test_initial_state_threshold_is_v_th_full_shape():
    """The initial threshold b equals v_th (per-neuron too) as a full-shape tensor; v = v_leak."""
    s = LSNNCell(v_th=torch.tensor([0.5, 2.0]), v_leak=-0.1).initial_state(torch.zeros(3, 2, dtype=torch.float64))
    assert s.b.shape == (3, 2) and s.b.dtype == torch.float64
    assert torch.equal(s.b, torch.tensor([[0.5, 2.0]] * 3, dtype=torch.float64))
    assert torch.all(s.v == -0.1) and torch.all(s.i == 0) and not s.b.requires_grad
    rs = LSNNRecurrent(3, 4).initial_state(torch.zeros(5, 2, 3))
    assert rs.b.shape == (2, 4) and torch.all(rs.b == 1.0) and torch.all(rs.z == 0)


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes."""
    z, s = LSNNCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and s.b.shape == (2, 5)
    z, s = LSNN()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    z, s = LSNNRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, LSNNState) and s.b.shape == (2, 3)
    z, s = LSNNRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.z.shape == (4, 2, 3)


def test_gradients_reach_input_and_weights():
    """The surrogate gradient of Σz reaches the input of the layer and both weight matrices
    of the recurrent layer (neurons spike, so z_prev·W_recᵀ is non-zero)."""
    x = torch.full((20, 1, 2), 3.0, requires_grad=True)
    z, _ = LSNN()(x)
    z.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    layer = LSNNRecurrent(2, 3, input_weights=torch.full((3, 2), 2.0))
    z, _ = layer(torch.ones(20, 1, 2))
    assert z.sum() > 0
    z.sum().backward()
    assert layer.input_weights.grad.abs().sum() > 0
    assert layer.recurrent_weights.grad.abs().sum() > 0


def test_recurrent_detaches_reset_and_adaptation_by_default():
    """Recurrent forms detach z in the reset and the threshold jump (reference); feed-forward
    forms keep them differentiable. Forward values are the same either way."""
    assert LSNNRecurrentCell(2, 2).detach_reset is True and LSNNCell().detach_reset is False
    x = torch.full((8, 1), 2.0, requires_grad=True)
    z1, s1 = LSNN()(x)
    g1 = torch.autograd.grad(s1.b.sum(), x)[0]
    z2, s2 = LSNN(detach_reset=True)(x)
    assert torch.equal(z1, z2) and torch.equal(s1.b, s2.b)
    assert g1.abs().sum() > 0  # b depends on the input only through the spikes
    assert not s2.b.requires_grad


def test_create_forms_through_registry():
    """spikeplug.create('lsnn') gives the layer; form= gives the other forms with overrides."""
    assert type(spikeplug.create("lsnn")) is LSNN
    cell = spikeplug.create("lsnn", form="cell", beta=0.5)
    assert type(cell) is LSNNCell and cell.p.beta == 0.5
    rec = spikeplug.create("lsnn", form="recurrent_cell", input_size=2, hidden_size=3)
    assert type(rec) is LSNNRecurrentCell and rec.hidden_size == 3
    assert type(spikeplug.create("lsnn", form="recurrent", input_size=2, hidden_size=3)) is LSNNRecurrent


def test_invalid_parameters_name_field_and_value():
    """Invalid values raise ParameterError naming the class, field, constraint and value."""
    msg = r"LSNNParameters.tau_adapt_inv must be finite and > 0, got -1.0"
    with pytest.raises(spikeplug.ParameterError, match=msg):
        LSNNParameters(tau_adapt_inv=-1.0)
    with pytest.raises(spikeplug.ParameterError, match=r"LSNNParameters.beta must be finite, got nan"):
        LSNNCell(beta=float("nan"))
