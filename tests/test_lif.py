"""LIF family: reference cases A and B, gradient cases, and the generated modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.lif import (
    LIF,
    LIFCell,
    LIFFeedForwardState,
    LIFParameters,
    LIFRecurrent,
    LIFRecurrentCell,
    LIFState,
)

from conftest import assert_close

METHODS = [("triangle", 0.3), ("tanh", 2.0), ("super", 100.0), ("circ", 2.0), ("heavi_erfc", 2.0)]


def test_case_a_cell_loop_matches_reference(reference):
    """LIFCell stepped by hand with I = 1 reproduces Norse's z, v and i at every step."""
    case = reference["forward"]["A_lif_ff_x1"]
    cell = LIFCell()
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.ones(1), state)
        assert_close(z, z_ref, what=f"z step {t}")
        assert_close(state.v, s_ref["v"], what=f"v step {t}")
        assert_close(state.i, s_ref["i"], what=f"i step {t}")


def test_case_a_layer_matches_reference(reference):
    """The LIF layer over 10 steps gives the reference spikes and, with record_states, every state."""
    case = reference["forward"]["A_lif_ff_x1"]
    z, states = LIF(record_states=True)(torch.ones(10, 1))
    assert_close(z, case["z"], what="z")
    assert_close(states.v, [s["v"] for s in case["state"]], what="v")
    assert_close(states.i, [s["i"] for s in case["state"]], what="i")


def test_norse_regression_values():
    """Norse's hard-coded ff regression: v after steps 1..9 with x = 1 from rest."""
    expected = [0.1, 0.27, 0.487, 0.7335, 0.9963, 0.0, 0.3951, 0.7717, 0.0]
    _, states = LIF(record_states=True)(torch.ones(9, 10))
    assert_close(states.v[:, 0], expected, atol=1e-4)
    assert torch.equal(states.v, states.v[:, :1].expand(9, 10))


def _case_b_modules():
    w_in = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    w_rec = torch.tensor([[0.0, -0.5], [0.5, 0.0]])
    return w_in, w_rec


def test_case_b_recurrent_cell_matches_reference(reference):
    """LIFRecurrentCell with the reference weights reproduces case B step by step."""
    case = reference["forward"]["B_lif_rec"]
    w_in, w_rec = _case_b_modules()
    cell = LIFRecurrentCell(2, 2, input_weights=w_in, recurrent_weights=w_rec)
    x = torch.tensor([[1.0, 0.5]])
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(x, state)
        assert isinstance(state, LIFState)
        assert_close(z[0], z_ref, what=f"z step {t}")
        for field in ("z", "v", "i"):
            assert_close(getattr(state, field)[0], s_ref[field], what=f"{field} step {t}")


def test_case_b_recurrent_layer_matches_reference(reference):
    """LIFRecurrent over 12 steps equals case B (spikes at steps 6, 9, 12 for both neurons)."""
    case = reference["forward"]["B_lif_rec"]
    w_in, w_rec = _case_b_modules()
    layer = LIFRecurrent(2, 2, input_weights=w_in, recurrent_weights=w_rec, record_states=True)
    z, states = layer(torch.tensor([[1.0, 0.5]]).expand(12, 1, 2))
    assert_close(z[:, 0], case["z"], what="z")
    assert_close(states.v[:, 0], [s["v"] for s in case["state"]], what="v")


@pytest.mark.parametrize("method,alpha", METHODS)
def test_gradient_cases_match_reference(reference, method, alpha):
    """d(Σz)/dI_t through 10 steps of constant input equals Norse's for every surrogate
    (super with the α-aware formula of Norse main)."""
    x = torch.ones(10, 1, requires_grad=True)
    z, _ = LIF(method=method, alpha=alpha)(x)
    z.sum().backward()
    key = f"G_lif_ff_x1_{method}_{alpha}"
    assert_close(x.grad[:, 0], reference["grad_head"][key], atol=2e-5, what=key)


def test_super_gradient_differs_from_norse_110(reference):
    """The α-aware SuperSpike derivative is used, not Norse 1.1.0's α-free one."""
    x = torch.ones(10, 1, requires_grad=True)
    LIF()(x)[0].sum().backward()
    old = torch.tensor(reference["grad_v110"]["G_lif_ff_x1_super_100.0"])
    assert (x.grad[:, 0] - old).abs().max() > 0.1


def test_recurrent_weight_gradients_match_reference(reference):
    """Case B with super α=100: dΣz/dW_in and dΣz/dW_rec equal Norse main's (reset detached)."""
    w_in, w_rec = _case_b_modules()
    layer = LIFRecurrent(2, 2, input_weights=w_in, recurrent_weights=w_rec, autapses=True)
    z, _ = layer(torch.tensor([[1.0, 0.5]]).expand(12, 1, 2))
    z.sum().backward()
    assert_close(layer.input_weights.grad.flatten(), reference["grad_head"]["G_lif_rec_super100_dWin"], atol=2e-5)
    assert_close(layer.recurrent_weights.grad.flatten(), reference["grad_head"]["G_lif_rec_super100_dWrec"], atol=2e-5)


def test_initial_state_full_shape_input_dtype_no_grad():
    """Lazy initial state: full shape, input's floating dtype, v = v_leak, no gradient."""
    cell = LIFCell(v_leak=-0.5)
    state = cell.initial_state(torch.zeros(2, 3, dtype=torch.float64))
    assert state.v.shape == (2, 3) and state.v.dtype == torch.float64
    assert torch.all(state.v == -0.5) and torch.all(state.i == 0)
    assert not state.v.requires_grad
    layer_state = LIF().initial_state(torch.zeros(7, 2, 3))
    assert layer_state.v.shape == (2, 3)


def test_bool_and_int_input_give_float32():
    """Bool or integer spikes are accepted; outputs and states are float32."""
    z, s = LIFCell()(torch.ones(4, dtype=torch.bool))
    assert z.dtype == torch.float32 and s.v.dtype == torch.float32
    z, s = LIF()(torch.ones(3, 4, dtype=torch.int64))
    assert z.dtype == torch.float32 and s.i.dtype == torch.float32


def test_float64_input_propagates():
    """float64 input gives float64 spikes and states in every form."""
    x = torch.ones(5, 2, 3, dtype=torch.float64)
    z, s = LIFRecurrent(3, 4).double()(x)
    assert z.dtype == torch.float64 and s.v.dtype == torch.float64


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes."""
    z, s = LIFCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and isinstance(s, LIFFeedForwardState)
    z, s = LIF()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    z, s = LIFRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and s.z.shape == (2, 3)
    z, s = LIFRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.i.shape == (4, 2, 3)


def test_per_neuron_tensor_parameters_and_to():
    """Tensor parameters broadcast per neuron, are buffers moved by .to(), and saved in state_dict."""
    v_th = torch.tensor([0.05, 10.0])
    layer = LIF(v_th=v_th)
    z, _ = layer(torch.ones(3, 1, 2))
    assert z[:, 0, 0].sum() > 0 and z[:, 0, 1].sum() == 0
    assert "v_th" in layer.state_dict()
    layer = layer.double()
    assert layer.v_th.dtype == torch.float64 and layer.p.v_th.dtype == torch.float64


def test_per_neuron_parameter_with_wrong_shape_is_an_error():
    """A per-neuron v_leak that cannot broadcast to the state names the field and shapes."""
    with pytest.raises(spikeplug.ParameterError, match=r"v_leak has shape \(3,\).*\(2, 5\)"):
        LIFCell(v_leak=torch.zeros(3))(torch.ones(2, 5))


def test_learnable_parameters_get_gradients():
    """learnable= turns chosen fields into nn.Parameters that receive gradients."""
    layer = LIF(learnable=("tau_mem_inv", "v_th"))
    names = dict(layer.named_parameters())
    assert set(names) == {"tau_mem_inv", "v_th"}
    z, s = layer(torch.ones(10, 3))
    (z.sum() + s.v.sum()).backward()
    assert layer.tau_mem_inv.grad is not None and layer.tau_mem_inv.grad != 0
    assert layer.v_th.grad is not None and layer.v_th.grad != 0


def test_learnable_unknown_name_is_an_error():
    """learnable= with a field that does not exist names it and lists the fields."""
    with pytest.raises(spikeplug.ParameterError, match="no parameter 'tau'.*tau_mem_inv"):
        LIF(learnable=("tau",))


def test_detach_reset_changes_only_gradients():
    """detach_reset keeps forward values and removes the reset's gradient path."""
    x = torch.ones(10, 1, requires_grad=True)
    z1, s1 = LIF()(x)
    g1 = torch.autograd.grad(s1.v.sum(), x)[0]
    z2, s2 = LIF(detach_reset=True)(x)
    g2 = torch.autograd.grad(s2.v.sum(), x)[0]
    assert torch.equal(z1, z2) and torch.equal(s1.v, s2.v)
    assert not torch.allclose(g1, g2)
    assert LIFRecurrentCell(2, 2).detach_reset is True and LIFCell().detach_reset is False


def test_autapses_masked_and_diagonal_stays_zero_after_adam():
    """autapses=False: zero diagonal, a neuron's own spike does not reach its current, and the
    diagonal stays zero through optimiser steps."""
    cell = LIFRecurrentCell(3, 3)
    assert torch.all(cell.recurrent_weights.diagonal() == 0)
    opt = torch.optim.Adam(cell.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        z, s = cell(torch.ones(2, 3) * 5)
        z, s = cell(torch.ones(2, 3) * 5, s)
        (z.sum() + s.v.sum()).backward()
        opt.step()
    assert torch.all(cell.recurrent_weights.diagonal() == 0)
    with torch.no_grad():
        cell.recurrent_weights.fill_diagonal_(100.0)  # even a set diagonal has no effect
    state = LIFState(z=torch.tensor([[1.0, 0.0, 0.0]]), v=torch.zeros(1, 3), i=torch.zeros(1, 3))
    _, s = cell(torch.zeros(1, 3), state)
    assert s.i[0, 0] == 0


def test_given_weights_are_kept_and_shapes_checked():
    """User weights are used as given; a wrong shape names the argument and the expected shape."""
    w = torch.randn(4, 3)
    cell = LIFRecurrentCell(3, 4, input_weights=w)
    assert torch.equal(cell.input_weights, w)
    with pytest.raises(spikeplug.ParameterError, match=r"input_weights must have shape .* \(4, 3\), got \(3, 4\)"):
        LIFRecurrentCell(3, 4, input_weights=w.T)


def test_recurrent_cell_wrong_input_shape():
    """A recurrent cell fed the wrong number of features says what it expected."""
    with pytest.raises(spikeplug.InputShapeError, match=r"shape \(2, 5\).*input_size=3"):
        LIFRecurrentCell(3, 4)(torch.ones(2, 5))
    with pytest.raises(spikeplug.InputShapeError, match="input_size=3"):
        LIFRecurrent(3, 4)(torch.ones(6, 2, 5))


def test_bad_sizes_and_states():
    """Non-positive sizes and malformed states raise errors naming the argument."""
    with pytest.raises(spikeplug.ParameterError, match="hidden_size must be a positive int, got 0"):
        LIFRecurrentCell(3, 0)
    with pytest.raises(spikeplug.StateError, match=r"LIFFeedForwardState\('v', 'i'\)"):
        LIFCell()(torch.ones(3), (torch.zeros(3),))
    with pytest.raises(spikeplug.InputShapeError, match="at least one time step"):
        LIF()(torch.ones(0, 3))


def test_parameter_validation_messages():
    """Invalid values name the class, field, constraint and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"LIFParameters.tau_mem_inv must be finite and > 0, got -1.0"):
        LIFParameters(tau_mem_inv=-1.0)
    with pytest.raises(spikeplug.ParameterError, match=r"LIFParameters.dt must be finite and > 0, got 0.0"):
        LIFCell(dt=0.0)
    with pytest.raises(spikeplug.ParameterError, match=r"method must name a surrogate method .*'super'.*got 'sup'.*Did you mean 'super'"):
        LIFParameters(method="sup")
    with pytest.raises(spikeplug.ParameterError, match=r"2 of 3 elements violate it"):
        LIFParameters(tau_syn_inv=torch.tensor([1.0, -1.0, 0.0]))
    with pytest.raises(spikeplug.ParameterError, match=r"v_th must be finite, got inf"):
        LIFParameters(v_th=float("inf"))


def test_parameters_frozen_equality_and_hash():
    """Parameter objects are frozen, compare by value (tensors too) and hash consistently."""
    a, b = LIFParameters(v_th=torch.tensor([1.0, 2.0])), LIFParameters(v_th=torch.tensor([1.0, 2.0]))
    assert a == b and hash(a) == hash(b)
    assert LIFParameters() != LIFParameters(v_th=2.0)
    with pytest.raises(AttributeError):
        a.v_th = 3.0  # type: ignore[misc]


def test_learnable_tensor_parameter_keeps_gradient_through_p():
    """A tensor with requires_grad passed in p keeps its graph (e.g. from a hypernetwork)."""
    v_th = torch.tensor(0.5, requires_grad=True)
    z, s = LIF(v_th=v_th * 1.0)(torch.ones(5, 2))
    s.v.sum().backward()
    assert v_th.grad is not None


def test_create_forms_through_registry():
    """spikeplug.create('lif') gives the layer; form= gives the other forms."""
    assert type(spikeplug.create("lif")) is LIF
    assert type(spikeplug.create("lif", form="cell", tau_mem_inv=50.0)) is LIFCell
    rec = spikeplug.create("lif:lif", form="recurrent", input_size=2, hidden_size=3)
    assert type(rec) is LIFRecurrent and rec.hidden_size == 3
    with pytest.raises(spikeplug.ParameterError, match="form must be one of 'cell', 'layer', 'recurrent_cell', 'recurrent'.*got 'rnn'"):
        spikeplug.create("lif", form="rnn")
    with pytest.raises(spikeplug.ParameterError, match="LIFParameters has no parameter 'tau_mem'.*Did you mean 'tau_mem_inv'"):
        spikeplug.create("lif", tau_mem=3.0)


def test_pickle_state_dict_roundtrip(tmp_path):
    """Modules pickle (generated classes are importable) and reload from state_dict."""
    import pickle

    layer = LIFRecurrent(3, 4, v_th=torch.tensor([1.0, 0.5, 0.2, 0.3]))
    clone = pickle.loads(pickle.dumps(layer))
    x = torch.rand(5, 2, 3) * 3
    assert torch.equal(layer(x)[0], clone(x)[0])
    fresh = LIFRecurrent(3, 4, v_th=torch.zeros(4) + 9)
    fresh.load_state_dict(layer.state_dict())
    assert torch.equal(layer(x)[0], fresh(x)[0])


def test_rest_state_declares_initial_state():
    """RestState starts named fields at a parameter's value (per-neuron too) and the rest at 0."""
    rest = spikeplug.RestState(LIFFeedForwardState, {"v": "v_leak"})
    s = rest((2, 3), LIFParameters(v_leak=torch.tensor([1.0, 2.0, 3.0])), torch.float64, "cpu")
    assert s.v.dtype == torch.float64 and s.v[1].tolist() == [1.0, 2.0, 3.0] and torch.all(s.i == 0)
    with pytest.raises(TypeError, match=r"\['u'\] are not fields of LIFFeedForwardState"):
        spikeplug.RestState(LIFFeedForwardState, {"u": 0.0})


def test_spike_and_reset():
    """spike_and_reset: strict threshold, reset to v_reset, detach only changes the gradient."""
    p = LIFParameters()
    v = torch.tensor([0.5, 1.0, 1.5], requires_grad=True)
    z, v_n = spikeplug.spike_and_reset(v, 1.0, -0.5, p)
    assert z.tolist() == [0.0, 0.0, 1.0] and v_n.tolist() == [0.5, 1.0, -0.5]
    g = torch.autograd.grad(v_n.sum(), v)[0]
    g_detached = torch.autograd.grad(spikeplug.spike_and_reset(v, 1.0, -0.5, p, detach_reset=True)[1].sum(), v)[0]
    assert g_detached.tolist() == [1.0, 1.0, 0.0] and g[1] != 1.0
