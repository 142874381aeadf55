"""CobaLIF family: reference cases K and K2, case K3 with the recurrent input fix, naming, modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.coba_lif import (
    CobaLIFCell,
    CobaLIFFeedForward,
    CobaLIFFeedForwardCell,
    CobaLIFFeedForwardState,
    CobaLIFInput,
    CobaLIFParameters,
    CobaLIFRecurrent,
    CobaLIFState,
    coba_lif_step,
)

from conftest import assert_close

# Potentials are around −60 mV; float32 holds them to ~4e-6, the JSON to 1e-6.
V_ATOL = 2e-5

K3_W_REC = torch.tensor([[0.0, -1.0], [2.0, 0.0]])
# Input side of K3 with the fix: "input weights 5" with one excitatory and one inhibitory
# synapse, so both conductances receive input.
K3_W_IN = torch.tensor([[5.0, 0.0], [0.0, -5.0]])
K3_X = torch.tensor([[1.0, 0.5]])

# K3 with the input fix, derived by hand from the equations (defaults; dt·c_m_inv = 0.005,
# conductance decay 1 − dt·0.2 = 0.9998, relu written r(·)). State before step 1: z_prev = [1, 0],
# v = [−20, −20] (= v_rest), g = 0.
#  step 1, neuron 0: g_e = (1·r(5) + 0.5·r(0) + 1·r(0) + 0·r(−1))·0.9998 = 4.999, g_i = 0,
#                    v = −20 + 0.005·(0.25·0 + 4.999·80) = −18.0004
#          neuron 1: g_e = (1·r(0) + 0.5·r(−5) + 1·r(2) + 0·r(0))·0.9998 = 1.9996,
#                    g_i = (1·r(0) + 0.5·r(5) + 1·r(−2))·0.9998 = 2.4995,
#                    v = −20 + 0.005·(1.9996·80 + 2.4995·(−80)) = −20.19996
#  steps 2–4 repeat the jumps (z_prev = 0 until neuron 0 spikes at step 3, v_d = −8.555838 >
#  −10, reset to −70); its spike adds r(2) = 2 to neuron 1's g_e at step 4.
K3_FIXED = {
    "z": [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]],
    "v": [[-18.0004, -20.19996], [-14.104049, -21.392434], [-70.0, -23.523862], [-56.943999, -25.67171]],
    "g_e": [[4.999, 1.9996], [9.9970002, 1.99920008], [14.9940008, 1.99880024], [19.990002, 3.99800048]],
    "g_i": [[0.0, 2.4995], [0.0, 4.9985001], [0.0, 7.4970004], [0.0, 9.995001]],
}


def _k3_state() -> CobaLIFState:
    return CobaLIFState(
        z=torch.tensor([[1.0, 0.0]]), v=torch.full((1, 2), -20.0), g_e=torch.zeros(1, 2), g_i=torch.zeros(1, 2)
    )


@pytest.mark.parametrize("key,current", [("K_coba_ff_x2_v0=-20", 2.0), ("K2_coba_ff_x-2_v0=-20", -2.0)])
def test_cases_k_feed_forward_cell_matches_reference(reference, key, current):
    """CobaLIFFeedForwardCell from its default initial state (v = v_rest = −20 mV) with I = ±2
    reproduces Norse's z, v, g_e, g_i step by step (positive input excites, negative inhibits)."""
    case = reference["forward"][key]
    cell = CobaLIFFeedForwardCell()
    state = None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.full((1,), current), state)
        assert isinstance(state, CobaLIFFeedForwardState)
        assert_close(z, z_ref, what=f"z step {t}")
        assert_close(state.v, s_ref["v"], atol=V_ATOL, what=f"v step {t}")
        assert_close(state.g_e, s_ref["g_e"], what=f"g_e step {t}")
        assert_close(state.g_i, s_ref["g_i"], what=f"g_i step {t}")


@pytest.mark.parametrize("key,current", [("K_coba_ff_x2_v0=-20", 2.0), ("K2_coba_ff_x-2_v0=-20", -2.0)])
def test_cases_k_feed_forward_layer_matches_reference(reference, key, current):
    """The feed-forward layer CobaLIFFeedForward gives the same spikes and recorded states."""
    case = reference["forward"][key]
    T = len(case["z"])
    z, states = CobaLIFFeedForward(record_states=True)(torch.full((T, 1), current))
    assert_close(z, case["z"], what="z")
    for field in ("g_e", "g_i"):
        assert_close(getattr(states, field), [s[field] for s in case["state"]], what=field)
    assert_close(states.v, [s["v"] for s in case["state"]], atol=V_ATOL, what="v")


def test_case_k3_without_input_equals_norse(reference):
    """With zero input the recurrent cell equals Norse's K3 values (Norse ignored the input, so the
    fix changes nothing here): only z_prev·relu(W_rec)ᵀ reaches g_e."""
    case = reference["forward"]["K3_coba_rec"]
    cell = CobaLIFCell(2, 2, input_weights=K3_W_IN, recurrent_weights=K3_W_REC)
    state = _k3_state()
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.zeros(1, 2), state)
        assert_close(z[0], z_ref, what=f"z step {t}")
        assert_close(state.v[0], s_ref["v"], atol=V_ATOL, what=f"v step {t}")
        assert_close(state.g_e[0], s_ref["g_e"], what=f"g_e step {t}")
        assert_close(state.g_i[0], s_ref["g_i"], what=f"g_i step {t}")


def test_case_k3_input_reaches_conductances(reference):
    """The deliberate fix: input spikes reach g_e through relu(W_in) and g_i through relu(−W_in),
    next to the recurrent spikes; values derived by hand (K3_FIXED), and different from Norse's
    buggy ones."""
    buggy = reference["forward"]["K3_coba_rec"]["state"][0]
    cell = CobaLIFCell(2, 2, input_weights=K3_W_IN, recurrent_weights=K3_W_REC)
    state = _k3_state()
    for t in range(4):
        z, state = cell(K3_X, state)
        assert isinstance(state, CobaLIFState)
        assert_close(z[0], K3_FIXED["z"][t], what=f"z step {t}")
        assert_close(state.v[0], K3_FIXED["v"][t], atol=V_ATOL, what=f"v step {t}")
        assert_close(state.g_e[0], K3_FIXED["g_e"][t], what=f"g_e step {t}")
        assert_close(state.g_i[0], K3_FIXED["g_i"][t], what=f"g_i step {t}")
        if t == 0:
            assert state.g_e[0, 0] > buggy["g_e"][0] and state.g_i[0, 1] > buggy["g_i"][1]


def test_case_k3_recurrent_layer_with_input_fix():
    """CobaLIFRecurrent over four steps from the K3 state gives the hand-derived fixed values."""
    layer = CobaLIFRecurrent(2, 2, input_weights=K3_W_IN, recurrent_weights=K3_W_REC, record_states=True)
    z, states = layer(K3_X.expand(4, 1, 2), _k3_state())
    assert_close(z[:, 0], K3_FIXED["z"], what="z")
    assert_close(states.v[:, 0], K3_FIXED["v"], atol=V_ATOL, what="v")
    assert_close(states.g_e[:, 0], K3_FIXED["g_e"], what="g_e")
    assert_close(states.g_i[:, 0], K3_FIXED["g_i"], what="g_i")


def test_step_accepts_signed_input_or_split_pair():
    """The step's input convention: a signed tensor I equals the pair (relu(I), relu(−I)), and a
    CobaLIFInput pair is used as given (both conductances can rise in one step)."""
    p = CobaLIFParameters()
    s0 = CobaLIFFeedForwardState(torch.full((3,), -20.0), torch.zeros(3), torch.zeros(3))
    signed = torch.tensor([2.0, -1.0, 0.0])
    z1, s1 = coba_lif_step(signed, s0, p)
    z2, s2 = coba_lif_step(CobaLIFInput(torch.relu(signed), torch.relu(-signed)), s0, p)
    assert torch.equal(z1, z2) and all(torch.equal(a, b) for a, b in zip(s1, s2))
    _, s3 = coba_lif_step(CobaLIFInput(torch.ones(3), torch.ones(3)), s0, p)
    assert torch.all(s3.g_e > 0) and torch.all(s3.g_i > 0)


def test_initial_state_is_v_rest_not_zero():
    """Every form starts at v = v_rest (not Norse's 0 mV, which is above threshold): the recurrent
    cell does not spike on its first step without input."""
    cell = CobaLIFCell(3, 4, input_weights=torch.zeros(4, 3))
    s = cell.initial_state(torch.zeros(2, 3))
    assert torch.all(s.v == -20.0) and torch.all(s.g_e == 0) and torch.all(s.z == 0)
    z, _ = cell(torch.zeros(2, 3))
    assert torch.all(z == 0)
    s = CobaLIFFeedForward(v_rest=-65.0).initial_state(torch.zeros(5, 2))
    assert s.v.shape == (2,) and torch.all(s.v == -65.0)


def test_norse_names_cobalifcell_is_recurrent():
    """As in Norse, CobaLIFCell(input_size, hidden_size, p) is the recurrent cell; the feed-forward
    forms have their own names."""
    assert issubclass(CobaLIFCell, spikeplug.NeuronRecurrentCell)
    assert issubclass(CobaLIFFeedForwardCell, spikeplug.NeuronCell)
    assert issubclass(CobaLIFFeedForward, spikeplug.NeuronLayer)
    assert issubclass(CobaLIFRecurrent, spikeplug.NeuronRecurrent)
    cell = CobaLIFCell(2, 3, CobaLIFParameters(v_thresh=-5.0), dt=1e-4)
    assert cell.p.v_thresh == -5.0 and cell.p.dt == 1e-4


def test_shapes_of_every_form():
    """Feed-forward cell, feed-forward layer, recurrent cell and recurrent layer return the
    documented shapes."""
    z, s = CobaLIFFeedForwardCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and s.g_i.shape == (2, 5)
    z, s = CobaLIFFeedForward()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == (2, 5)
    z, s = CobaLIFCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and s.z.shape == (2, 3)
    z, s = CobaLIFRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.g_e.shape == (4, 2, 3)


def test_gradients_reach_input_and_weights():
    """The surrogate gradient of Σz reaches the feed-forward input and, through relu(±W), both
    weight matrices of the recurrent layer (input included, thanks to the fix)."""
    x = torch.full((10, 1, 2), 4.0, requires_grad=True)
    z, _ = CobaLIFFeedForward()(x)
    z.sum().backward()
    assert x.grad.abs().sum() > 0
    w_in = torch.tensor([[4.0, -1.0], [3.0, 2.0], [-2.0, 5.0]])
    w_rec = torch.tensor([[0.0, 1.0, -1.0], [2.0, 0.0, 1.0], [-1.0, 1.0, 0.0]])
    layer = CobaLIFRecurrent(2, 3, input_weights=w_in, recurrent_weights=w_rec)
    z, _ = layer(torch.ones(10, 1, 2))
    assert z.sum() > 0
    z.sum().backward()
    assert torch.all(layer.input_weights.grad != 0)
    assert layer.recurrent_weights.grad.abs().sum() > 0


def test_create_forms_through_registry():
    """spikeplug.create('coba_lif') gives the feed-forward layer; form='recurrent_cell' gives
    CobaLIFCell."""
    assert type(spikeplug.create("coba_lif")) is CobaLIFFeedForward
    assert type(spikeplug.create("coba_lif", form="cell", g_l=0.5)) is CobaLIFFeedForwardCell
    rec = spikeplug.create("coba_lif", form="recurrent_cell", input_size=2, hidden_size=3)
    assert type(rec) is CobaLIFCell and rec.hidden_size == 3
    assert type(spikeplug.create("coba_lif", form="recurrent", input_size=2, hidden_size=3)) is CobaLIFRecurrent


def test_invalid_parameters_name_field_and_value():
    """Invalid values raise ParameterError naming the class, field, constraint and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"CobaLIFParameters.c_m_inv must be finite and > 0, got -5.0"):
        CobaLIFParameters(c_m_inv=-5.0)
    with pytest.raises(spikeplug.ParameterError, match=r"CobaLIFParameters.g_l must be finite and >= 0, got -0.25"):
        CobaLIFCell(2, 2, g_l=-0.25)
    with pytest.raises(spikeplug.ParameterError, match=r"CobaLIFParameters.v_thresh must be finite, got inf"):
        CobaLIFFeedForwardCell(v_thresh=float("inf"))
