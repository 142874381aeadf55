"""RegularizationCell and the accumulators (norse-models.md §1.3), inside SequentialState and Lift, with reset."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug import Lift, SequentialState
from spikeplug.neurons_builtin.lif import LIFCell, LIFFeedForwardState
from spikeplug.regularization import (
    RegularizationCell,
    RegularizationState,
    regularize_step,
    spike_accumulator,
    voltage_accumulator,
)

ELEVEN = torch.full((5, 2), 11.0)  # every LIF neuron spikes at every step (v_d = 1.1, then 1.98, ...)


def test_reference_scenario_counts_10_then_20_and_reset():
    """LIFCell on constant input 11 (5×2), two calls: counts 10 then 20; reset restarts the count at the next call."""
    cell = RegularizationCell(LIFCell())
    z, state = cell(ELEVEN)
    assert state.value.item() == 10 and torch.equal(z, torch.ones(5, 2))
    z, state = cell(ELEVEN, state)
    assert state.value.item() == 20
    state = RegularizationCell.reset(state)
    assert state.value is None and isinstance(state.neuron, LIFFeedForwardState)  # neuron state kept
    _, state = cell(ELEVEN, state)
    assert state.value.item() == 10


def test_following_a_neuron_in_sequential_state():
    """After a neuron in SequentialState, the count is the cell's entry of the threaded state list."""
    net = SequentialState(LIFCell(), RegularizationCell(), torch.nn.Identity())
    out, states = net(ELEVEN)
    assert states[1] == RegularizationState(torch.tensor(10.0), None) and torch.equal(out, torch.ones(5, 2))
    _, states = net(ELEVEN, states)
    assert states[1].value.item() == 20
    _, fresh = net(ELEVEN)  # no state given: everything starts afresh, nothing is kept in the modules
    assert fresh[1].value.item() == 10


def test_wrapping_a_neuron_in_sequential_state_and_lift():
    """A wrapping cell replaces the neuron in SequentialState, and Lift threads it through time."""
    net = SequentialState(torch.nn.Linear(2, 2, bias=False), RegularizationCell(LIFCell()))
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2))
    _, states = net(ELEVEN)
    _, states = net(ELEVEN, states)
    assert states[1].value.item() == 20
    z, final = Lift(RegularizationCell(LIFCell()))(ELEVEN.expand(3, 5, 2))
    assert z.shape == (3, 5, 2) and final.value.item() == 30


def test_spike_accumulator_counts_spikes():
    """spike_accumulator sums every element of z onto the previous count (reference: 50 spikes, then 0 more)."""
    z = torch.ones(5, 10)
    first = spike_accumulator(z, None)
    assert first.item() == 50 and first.dim() == 0
    assert spike_accumulator(torch.zeros(5, 10), None, first).item() == 50


def test_voltage_accumulator_sums_membrane_potential():
    """voltage_accumulator adds the neuron state's v, starting from v itself."""
    cell = RegularizationCell(LIFCell(), accumulator=voltage_accumulator)
    x = torch.full((3,), 0.5)
    _, s1 = cell(x)
    assert torch.allclose(s1.value, torch.full((3,), 0.05))           # v1 = 0.1·0.5
    _, s2 = cell(x, s1)
    assert torch.allclose(s2.value, torch.full((3,), 0.05 + 0.135))   # v2 = 0.05 + 0.1·(−0.05 + 0.4 + 0.5)
    state = LIFFeedForwardState(v=torch.tensor([1.0, 2.0]), i=torch.zeros(2))
    assert torch.equal(voltage_accumulator(None, state, torch.tensor([1.0, 1.0])), torch.tensor([2.0, 3.0]))


def test_regularize_step_passes_spikes_through():
    """regularize_step returns z unchanged with the accumulated value."""
    z = torch.tensor([1.0, 0.0, 1.0])
    out, count = regularize_step(z, None, state=torch.tensor(3.0))
    assert out is z and count.item() == 5


def test_gradient_through_the_count():
    """The count is differentiable through the surrogate, so it can be a loss term."""
    w = torch.ones(2, requires_grad=True)
    cell = RegularizationCell(LIFCell())
    _, state = cell(torch.full((4, 2), 0.95) * w * 11)
    state.value.backward()
    assert w.grad is not None and bool((w.grad > 0).all())


def test_bad_construction_and_state():
    """Errors name what was expected: a stateful neuron, an accumulator that fits, a RegularizationState."""
    expected = "neuron must be a stateful torch.nn.Module or None, got the function 'spike_accumulator'"
    with pytest.raises(spikeplug.ParameterError, match=expected):
        RegularizationCell(spike_accumulator)
    with pytest.raises(spikeplug.ParameterError, match="must be a stateful module .* got Linear"):
        RegularizationCell(torch.nn.Linear(2, 2))
    with pytest.raises(spikeplug.ParameterError, match="voltage_accumulator needs the neuron's state"):
        RegularizationCell(accumulator=voltage_accumulator)
    with pytest.raises(spikeplug.StateError, match="needs the neuron's state with a field 'v' as s, got None"):
        voltage_accumulator(torch.ones(2), None)
    with pytest.raises(spikeplug.StateError, match="RegularizationState.*got Tensor"):
        RegularizationCell()(torch.ones(2), torch.tensor(3.0))


def test_exported_from_spikeplug():
    """RegularizationCell and both accumulators are part of the top-level API."""
    assert spikeplug.RegularizationCell is RegularizationCell
    assert spikeplug.spike_accumulator is spike_accumulator and spikeplug.voltage_accumulator is voltage_accumulator
