"""End to end: the example third-party plugin installed from examples/, next to the builtins."""

from __future__ import annotations

import importlib.metadata

import pytest
import torch

import spikeplug
from spikeplug import SequentialState
from spikeplug.plugins import UnknownNameError


def test_example_plugin_is_installed_as_a_distribution():
    """The example is a real distribution with its own entry point in the spikeplug group."""
    dist = importlib.metadata.distribution("spikeplug-example-qif")
    assert [ep.name for ep in dist.entry_points if ep.group == "spikeplug"] == ["example_qif"]
    entry = spikeplug.registry.get("qif")
    assert (entry.plugin, entry.distribution) == ("example_qif", "spikeplug-example-qif")


def test_example_model_mixes_with_lif_in_sequential_state():
    """A network mixes the third-party QIF and the builtin LIF, both made by spikeplug.create."""
    torch.manual_seed(0)
    net = SequentialState(
        torch.nn.Linear(4, 6),
        spikeplug.create("lif", form="cell"),
        torch.nn.Linear(6, 3),
        spikeplug.create("qif", form="cell", v_crit=0.3),
    )
    x = torch.rand(30, 2, 4) * 5
    states, spikes = None, []
    for x_t in x.unbind(0):
        out, states = net(x_t, states)
        spikes.append(out)
    z = torch.stack(spikes)
    assert z.shape == (30, 2, 3) and set(z.unique().tolist()) <= {0.0, 1.0}
    assert type(states[1]).__name__ == "LIFFeedForwardState" and type(states[3]).__name__ == "QIFState"
    z.sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0


def test_example_qif_dynamics():
    """QIF step by hand: from rest with I = 1, v = 0.1, then 0.1 + 0.1·(0.1·(−0.4) + 1) = 0.196."""
    cell = spikeplug.create("qif", form="cell")
    _, s = cell(torch.ones(1))
    assert s.v.item() == pytest.approx(0.1)
    _, s = cell(torch.ones(1), s)
    assert s.v.item() == pytest.approx(0.196)


def test_broken_example_plugin_is_reported_and_others_work():
    """The example plugin that fails on import is listed as failed; every other model works."""
    records = {r.name: r for r in spikeplug.registry.plugin_records()}
    assert records["example_broken"].status == "failed"
    assert "spikeplug_example_missing_dependency" in records["example_broken"].error
    with pytest.raises(UnknownNameError, match="example_broken: ModuleNotFoundError"):
        spikeplug.create("broken_neuron")
    assert spikeplug.create("lif")(torch.ones(3, 2))[0].shape == (3, 2)
    assert spikeplug.create("qif")(torch.ones(3, 2))[0].shape == (3, 2)
