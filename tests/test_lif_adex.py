"""AdEx (lif_adex): reference case H in every form, adaptation, parameters, the modules."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.neurons_builtin.lif_adex import (
    LIFAdEx,
    LIFAdExCell,
    LIFAdExFeedForwardState,
    LIFAdExParameters,
    LIFAdExRecurrent,
    LIFAdExRecurrentCell,
    LIFAdExState,
)
from spikeplug.neurons_builtin.lif_ex import LIFExParameters

from conftest import assert_close


def test_case_h_cell_loop_matches_reference(reference):
    """LIFAdExCell stepped by hand with I = 1 gives Norse's z, v, i and a (spikes at steps 5 and 8)."""
    case = reference["forward"]["H_adex_ff_x1"]
    cell, state = LIFAdExCell(), None
    for t, (z_ref, s_ref) in enumerate(zip(case["z"], case["state"])):
        z, state = cell(torch.ones(1), state)
        assert_close(z, z_ref, what=f"z step {t}")
        for field in ("v", "i", "a"):
            assert_close(getattr(state, field), s_ref[field], what=f"{field} step {t}")


def test_case_h_layer_matches_reference(reference):
    """The LIFAdEx layer over 10 steps gives case H's spikes and, recorded, every v, i and a."""
    case = reference["forward"]["H_adex_ff_x1"]
    z, states = LIFAdEx(record_states=True)(torch.ones(10, 1))
    assert_close(z, case["z"], what="z")
    for field in ("v", "i", "a"):
        assert_close(getattr(states, field), [s[field] for s in case["state"]], what=field)


def test_case_h_through_the_recurrent_cell(reference):
    """A one-neuron recurrent cell (no autapse, W_in = 1) runs the same step: case H again."""
    case = reference["forward"]["H_adex_ff_x1"]
    cell, state = LIFAdExRecurrentCell(1, 1, input_weights=torch.ones(1, 1)), None
    for t, s_ref in enumerate(case["state"]):
        _, state = cell(torch.ones(1), state)
        assert_close(state.a, s_ref["a"], what=f"a step {t}")
        assert_close(state.v, s_ref["v"], what=f"v step {t}")


def test_parameters_extend_lif_ex_with_float_defaults():
    """LIFAdExParameters are LIF-Ex's plus the adaptation fields, all Python floats
    (adaptation_current is 4.0, not Norse's int64 tensor)."""
    p = LIFAdExParameters()
    assert isinstance(p, LIFExParameters) and p.delta_T == 0.5
    assert type(p.adaptation_current) is float and p.adaptation_current == 4.0
    assert (p.adaptation_spike, p.tau_ada_inv) == (0.02, 2.0)


def test_adaptation_follows_hand_derived_values():
    """Held at v = 0.5 with a = 0: a_d = dt·tau_ada_inv·4·0.5 = 0.004; a spike adds 0.02."""
    state = LIFAdExFeedForwardState(v=torch.full((2,), 0.5), i=torch.zeros(2), a=torch.zeros(2))
    z, s = LIFAdExCell()(torch.tensor([0.0, 100.0]), state)
    assert z.tolist() == [0.0, 1.0]
    assert_close(s.a, [0.004, 0.024])


def test_detach_reset_keeps_forward_values():
    """detach_reset only removes the voltage reset's gradient path: values stay the same."""
    x = torch.ones(10, 1, requires_grad=True)
    z1, s1 = LIFAdEx()(x)
    z2, s2 = LIFAdEx(detach_reset=True)(x)
    assert torch.equal(z1, z2) and torch.equal(s1.v, s2.v) and torch.equal(s1.a, s2.a)
    g1 = torch.autograd.grad(s1.v.sum(), x)[0]
    g2 = torch.autograd.grad(s2.v.sum(), x)[0]
    assert not torch.allclose(g1, g2)


def test_shapes_of_every_form():
    """Cell, layer, recurrent cell and recurrent layer return the documented shapes and state types."""
    z, s = LIFAdExCell()(torch.randn(2, 5))
    assert z.shape == (2, 5) and isinstance(s, LIFAdExFeedForwardState) and s.a.shape == (2, 5)
    z, s = LIFAdEx()(torch.randn(7, 2, 5))
    assert z.shape == (7, 2, 5) and s.v.shape == s.a.shape == (2, 5)
    z, s = LIFAdExRecurrentCell(5, 3)(torch.randn(2, 5))
    assert z.shape == (2, 3) and isinstance(s, LIFAdExState) and s.z.shape == s.a.shape == (2, 3)
    z, s = LIFAdExRecurrent(5, 3)(torch.randn(7, 4, 2, 5))
    assert z.shape == (7, 4, 2, 3) and s.a.shape == (4, 2, 3)
    assert LIFAdExRecurrent(5, 3).detach_reset is False


def test_gradient_reaches_the_input():
    """Spikes, voltages and adaptation are differentiable with respect to the input."""
    x = torch.ones(6, 3, requires_grad=True)
    z, s = LIFAdEx()(x)
    (z.sum() + s.v.sum() + s.a.sum()).backward()
    assert x.grad is not None and torch.all(x.grad != 0)


def test_create_through_registry():
    """spikeplug.create('lif_adex') gives the layer, form='cell' the cell, with overrides applied."""
    assert type(spikeplug.create("lif_adex")) is LIFAdEx
    cell = spikeplug.create("lif_adex", form="cell", tau_ada_inv=5.0)
    assert type(cell) is LIFAdExCell and cell.p.tau_ada_inv == 5.0


def test_invalid_parameters_name_field_and_value():
    """A negative adaptation time constant or a non-finite coupling raises ParameterError naming field and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"LIFAdExParameters.tau_ada_inv must be .* > 0, got -2.0"):
        LIFAdExParameters(tau_ada_inv=-2.0)
    with pytest.raises(spikeplug.ParameterError, match=r"LIFAdExParameters.adaptation_current must be finite, got inf"):
        spikeplug.create("lif_adex", adaptation_current=float("inf"))
