"""Lift and SequentialState: state threading through time and through layers."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug import Lift, SequentialState, is_stateful
from spikeplug.neurons_builtin.lif import LIF, LIFCell, LIFFeedForwardState, LIFRecurrentCell


def test_lift_stateless_module():
    """Lift applies a plain module at every step: Conv2d over (T, N, C, H, W)."""
    out = Lift(torch.nn.Conv2d(2, 4, 3))(torch.randn(5, 3, 2, 8, 8))
    assert out.shape == (5, 3, 4, 6, 6)


def test_lift_stateful_cell_equals_layer():
    """Lift(LIFCell) returns (outputs, final state) equal to the LIF layer."""
    x = torch.rand(12, 2, 3) * 3
    z_lift, s_lift = Lift(LIFCell())(x)
    z_layer, s_layer = LIF()(x)
    assert torch.equal(z_lift, z_layer) and torch.equal(s_lift.v, s_layer.v)


def test_lift_uses_given_initial_state():
    """A (inputs, state) pair starts the lifted cell from that state."""
    start = LIFFeedForwardState(v=torch.full((2,), 0.95), i=torch.zeros(2))
    z, _ = Lift(LIFCell())((torch.full((1, 2), 2.0), start))  # 0.9·0.95 + 0.1·2 > 1
    assert torch.equal(z, torch.ones(1, 2))
    z, _ = Lift(LIFCell())(torch.full((1, 2), 2.0))  # from rest: no spike
    assert torch.equal(z, torch.zeros(1, 2))


def test_lift_rejects_bad_input():
    """Lift needs a time-first tensor; a wrong tuple is an error naming the expected form."""
    with pytest.raises(spikeplug.InputShapeError, match="pair"):
        Lift(LIFCell())((torch.ones(2, 2), None, None))
    with pytest.raises(spikeplug.InputShapeError, match="at least one step"):
        Lift(LIFCell())(torch.ones(0, 2))


def test_statefulness_is_declared():
    """Spiking modules and RNNs are stateful; plain modules are not; nothing is guessed from names."""

    class Looks(torch.nn.Module):
        def forward(self, x, state=None):  # a parameter called state does not make it stateful
            return x

    assert is_stateful(LIFCell()) and is_stateful(torch.nn.GRU(2, 2))
    assert not is_stateful(torch.nn.Linear(2, 2)) and not is_stateful(Looks())
    assert is_stateful(Lift(LIFCell())) and not is_stateful(Lift(torch.nn.ReLU()))


def test_sequential_state_threads_states_without_mutating_caller():
    """SequentialState returns a new state list (None for stateless children), leaving the caller's intact."""
    net = SequentialState(torch.nn.Linear(3, 4), LIFCell(), torch.nn.Linear(4, 2), LIFCell())
    x = torch.ones(5, 3)
    out, states = net(x)
    assert out.shape == (5, 2) and states[0] is None and states[2] is None
    assert isinstance(states[1], LIFFeedForwardState)
    given = list(states)
    _, states2 = net(x, given)
    assert given == states and states2 is not given
    assert not torch.equal(states2[1].v, states[1].v)


def test_sequential_state_with_rnn_and_return_hidden():
    """torch.nn.RNN inside SequentialState gets its hidden state threaded; return_hidden gives every output."""
    net = SequentialState(torch.nn.RNN(3, 4), LIFCell(), return_hidden=True)
    hidden, states = net(torch.ones(6, 2, 3))
    assert [h.shape for h in hidden] == [(6, 2, 4), (6, 2, 4)]
    assert states[0].shape == (1, 2, 4)
    hidden2, _ = net(torch.ones(6, 2, 3), states)
    assert not torch.equal(hidden2[0], hidden[0])


def test_sequential_state_wrong_state_length():
    """A state list of the wrong length is an error naming the expected length."""
    net = SequentialState(LIFCell(), LIFCell())
    with pytest.raises(spikeplug.StateError, match=r"one entry per child \(2\), got list of length 1"):
        net(torch.ones(2), [None])


def test_forward_state_hooks():
    """State hooks fire after every stateful child; double registration raises; removal works."""
    net = SequentialState(LIFCell(), torch.nn.ReLU(), LIFCell(), LIFRecurrentCell(2, 2), LIF())
    seen = []
    net.register_forward_state_hooks(lambda m, inp, out: seen.append((type(m).__name__, inp[1] is None)))
    with pytest.raises(ValueError, match="already registered"):
        net.register_forward_state_hooks(lambda *a: None)
    _, states = net(torch.ones(3, 2))
    assert seen == [("LIFCell", True), ("LIFCell", True), ("LIFRecurrentCell", True), ("LIF", True)]
    seen.clear()
    net(torch.ones(3, 2), states)
    assert [s[1] for s in seen] == [False] * 4
    net.remove_forward_state_hooks()
    seen.clear()
    net(torch.ones(3, 2))
    assert seen == []


def test_bptt_training_step_through_sequential_state():
    """A two-layer spiking network trains: one Adam step over time changes the weights."""
    torch.manual_seed(0)
    net = SequentialState(torch.nn.Linear(4, 8), LIFCell(), torch.nn.Linear(8, 2), LIFCell())
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    before = net[0].weight.detach().clone()
    states = None
    total = 0.0
    for x_t in (torch.rand(20, 3, 4) * 4).unbind(0):
        out, states = net(x_t, states)
        total = total + out.sum() + states[3].v.sum()
    total.backward()
    opt.step()
    assert not torch.equal(before, net[0].weight)


def test_lifted_cell_threads_its_state_inside_sequential_state():
    """A stateful ``Lift`` inside ``SequentialState`` receives ``(x, state)`` like any
    stateful child (it raised TypeError), and two calls continue from the returned state
    exactly as one call over the joined sequence."""
    net = spikeplug.SequentialState(torch.nn.Identity(), spikeplug.Lift(LIFCell()))
    x = torch.rand(10, 2, 3) * 3
    whole, _ = net(x)
    first, states = net(x[:4])
    second, _ = net(x[4:], states)
    assert torch.equal(torch.cat([first, second]), whole) and whole.any()
