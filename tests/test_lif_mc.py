"""Multicompartment LIF family: reference case L, the coupling matrix parameter, modules."""

from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn

import spikeplug
from spikeplug.neurons_builtin.lif import LIFRecurrent
from spikeplug.neurons_builtin.lif.model import LIFParameters, LIFState
from spikeplug.neurons_builtin.lif_mc import (
    LIFMCParameters,
    LIFMCRecurrent,
    LIFMCRecurrentCell,
)

from conftest import assert_close

CASE = "L_lif_mc_rec"
G = torch.tensor([[-10.0, 10.0], [10.0, -10.0]])
X = torch.tensor([[1.0, 0.5]])


def _case_l_kwargs():
    return dict(input_weights=torch.eye(2), recurrent_weights=torch.zeros(2, 2), g_coupling=G)


def test_case_l_recurrent_cell_matches_reference(reference):
    """LIFMCRecurrentCell with W_in = I, W_rec = 0, g = [[−10, 10], [10, −10]], x = [1, 0.5]
    reproduces Norse step by step, including step 6 where neuron 0 spikes, is reset to 0 and
    then coupled to 0.00643 (coupling after the reset, no re-thresholding)."""
    case = reference["forward"][CASE]
    cell = LIFMCRecurrentCell(2, 2, **_case_l_kwargs())
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(X, state)
        assert isinstance(state, LIFState)
        assert_close(z[0], z_ref, what=f"z step {t}")
        for field in ("z", "v", "i"):
            assert_close(getattr(state, field)[0], s_ref[field], what=f"{field} step {t}")


def test_case_l_recurrent_layer_matches_reference(reference):
    """LIFMCRecurrent over 8 steps gives case L's spikes and recorded v and i."""
    case = reference["forward"][CASE]
    layer = LIFMCRecurrent(2, 2, record_states=True, **_case_l_kwargs())
    z, states = layer(X.expand(8, 1, 2))
    assert_close(z[:, 0], case["z"], what="z")
    assert_close(states.v[:, 0], [s["v"] for s in case["state"]], what="v")
    assert_close(states.i[:, 0], [s["i"] for s in case["state"]], what="i")


def test_step_reuses_lif_step_then_couples():
    """With a zero coupling matrix the MC population is exactly the recurrent LIF population."""
    x = torch.rand(6, 3, 4) * 3
    w_in, w_rec = torch.randn(4, 4), torch.randn(4, 4)
    z_mc, s_mc = LIFMCRecurrent(4, 4, input_weights=w_in, recurrent_weights=w_rec, g_coupling=torch.zeros(4, 4))(x)
    z_lif, s_lif = LIFRecurrent(4, 4, input_weights=w_in, recurrent_weights=w_rec)(x)
    assert torch.equal(z_mc, z_lif) and torch.equal(s_mc.v, s_lif.v)
    assert isinstance(LIFMCParameters(), LIFParameters)


def test_default_coupling_is_learnable_parameter_of_recurrent_forms():
    """Recurrent forms create g_coupling = randn(h, h)/sqrt(h) as an nn.Parameter that receives
    gradients, is saved in state_dict, and survives pickling."""
    torch.manual_seed(0)
    cell = LIFMCRecurrentCell(3, 64)
    g = cell.g_coupling
    assert isinstance(g, nn.Parameter) and g.shape == (64, 64)
    assert cell.p.g_coupling is g
    assert 0.11 < g.std().item() < 0.14  # 1/sqrt(64) = 0.125
    assert {"g_coupling", "input_weights", "recurrent_weights"} <= set(dict(cell.named_parameters()))
    layer = LIFMCRecurrent(2, 3, input_weights=torch.full((3, 2), 3.0))
    z, s = layer(torch.ones(10, 1, 2))
    (z.sum() + s.v.sum()).backward()
    assert layer.g_coupling.grad is not None and layer.g_coupling.grad.abs().sum() > 0
    assert "g_coupling" in layer.state_dict()
    clone = pickle.loads(pickle.dumps(layer))
    x = torch.rand(4, 2, 2)
    assert torch.equal(layer(x)[0], clone(x)[0])


def test_given_coupling_is_used_and_shape_checked():
    """A given g_coupling is used as given (a buffer, learnable on request); a wrong shape names
    the field, the expected and the given shape."""
    cell = LIFMCRecurrentCell(2, 2, g_coupling=G)
    assert torch.equal(cell.g_coupling, G) and "g_coupling" in dict(cell.named_buffers())
    learn = LIFMCRecurrentCell(2, 2, g_coupling=G, learnable=("g_coupling",))
    assert "g_coupling" in dict(learn.named_parameters())
    msg = r"g_coupling must have shape \(hidden_size, hidden_size\) = \(3, 3\), got \(2, 2\)"
    with pytest.raises(spikeplug.ParameterError, match=msg):
        LIFMCRecurrent(2, 3, g_coupling=G)


def test_only_recurrent_forms_exist():
    """As in the reference, the family has only recurrent forms; asking for another names them."""
    assert spikeplug.registry.factory("lif_mc").forms == ("recurrent_cell", "recurrent")
    with pytest.raises(spikeplug.ParameterError, match="form must be one of 'recurrent_cell', 'recurrent' for 'lif_mc', got 'cell'"):
        spikeplug.create("lif_mc", form="cell")


def test_parameters_equality_with_coupling_tensor():
    """LIFMCParameters compare by value, g_coupling included, and hash alike when equal."""
    a, b = LIFMCParameters(g_coupling=G), LIFMCParameters(g_coupling=G.clone())
    assert a == b and hash(a) == hash(b)
    assert a != LIFMCParameters(g_coupling=G * 2) and a != LIFMCParameters()
    assert LIFMCParameters() == LIFMCParameters()


def test_shapes_of_every_form():
    """The recurrent cell and recurrent layer return the documented shapes."""
    z, s = LIFMCRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and s.z.shape == (2, 3)
    z, s = LIFMCRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.v.shape == (4, 2, 3)


def test_gradients_reach_input_and_weights():
    """The surrogate gradient of Σz reaches the input and both weight matrices of the recurrent
    layer (reset detached by default, as the reference)."""
    x = torch.ones(10, 1, 2, requires_grad=True)
    layer = LIFMCRecurrent(2, 3, input_weights=torch.full((3, 2), 3.0))
    assert layer.detach_reset is True
    z, _ = layer(x)
    assert z.sum() > 0
    z.sum().backward()
    assert x.grad.abs().sum() > 0
    assert layer.input_weights.grad.abs().sum() > 0
    assert layer.recurrent_weights.grad.abs().sum() > 0


def test_create_forms_through_registry():
    """spikeplug.create('lif_mc', form='recurrent_cell') gives LIFMCRecurrentCell with its coupling;
    the recurrent layer is the default form."""
    rec = spikeplug.create("lif_mc", form="recurrent_cell", input_size=2, hidden_size=3, v_th=0.5)
    assert type(rec) is LIFMCRecurrentCell and rec.g_coupling.shape == (3, 3) and rec.p.v_th == 0.5
    assert type(spikeplug.create("lif_mc", form="recurrent", input_size=2, hidden_size=3)) is LIFMCRecurrent
    assert type(spikeplug.create("lif_mc", input_size=2, hidden_size=2, g_coupling=G)) is LIFMCRecurrent


def test_invalid_parameters_name_field_and_value():
    """Invalid values raise ParameterError naming the class, field, constraint and value."""
    msg = r"LIFMCParameters.g_coupling must be finite, got a tensor of shape \(2, 2\) \(1 of 4 elements .* nan\)"
    with pytest.raises(spikeplug.ParameterError, match=msg):
        LIFMCParameters(g_coupling=torch.tensor([[0.0, float("nan")], [1.0, 0.0]]))
    with pytest.raises(spikeplug.ParameterError, match=r"LIFMCParameters.tau_mem_inv must be finite and > 0, got -1.0"):
        LIFMCRecurrentCell(2, 2, tau_mem_inv=-1.0)
