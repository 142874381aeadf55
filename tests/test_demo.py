"""`spikeplug demo`: a small SNN from three plugins learns the 8×8 digits (reduced budget here)."""

from __future__ import annotations

import sys
import time

import pytest
import torch

import spikeplug
from spikeplug.cli import main
from spikeplug.demo import DemoResult, build_encoder, build_network, run_demo

QUICK = dict(epochs=1, progress=False)


def test_reduced_demo_learns_far_above_chance():
    """One epoch of encoder → LIF → LI on the 1,437 training images is far above 10 % chance, in seconds."""
    start = time.perf_counter()
    result = run_demo(**QUICK)
    assert isinstance(result, DemoResult) and result.test_size == 360 and result.train_size == 1437
    assert result.test_accuracy > 0.4, result
    assert time.perf_counter() - start < 60  # a few seconds on 2 idle cores; generous for loaded machines


def test_demo_is_reproducible_and_leaves_global_rng_alone():
    """The same seed gives the same losses and accuracy; the caller's global random state is untouched."""
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = run_demo(epochs=1, limit=64, steps=4, hidden=16, progress=False, seed=3)
    assert torch.equal(torch.get_rng_state(), before)
    b = run_demo(epochs=1, limit=64, steps=4, hidden=16, progress=False, seed=3)
    assert a.losses == b.losses and a.test_accuracy == b.test_accuracy


def test_network_mixes_plugins_by_registry_name():
    """The network's layers come from the registry: LIF hidden layer and LI readout, fed by the encoder's spikes."""
    net = build_network("lif", "li", 64, 20)
    assert type(net[1]) is spikeplug.registry.factory("lif").layer
    assert type(net[3]) is spikeplug.registry.factory("li").layer
    encoder, kind = build_encoder("poisson", 6, generator=torch.Generator().manual_seed(0))
    assert kind == "sequence" and type(encoder) is spikeplug.registry.factory("poisson")
    out, _ = net(encoder(torch.rand(3, 64)))
    assert out.shape == (6, 3, 10)


def test_other_plugins_can_be_tried():
    """Another neuron (recurrent-only lif_mc) and a population encoder (no time axis) plug into the same demo."""
    result = run_demo(neuron="lif_mc", encoder="population", epochs=1, limit=32, steps=4, hidden=8, progress=False)
    assert 0.0 <= result.test_accuracy <= 1.0 and result.neuron == "lif_mc"


def test_cli_demo_shows_progress_and_prints_test_accuracy(capsys):
    """`spikeplug demo` shows tqdm bars with loss and accuracy and prints the test accuracy."""
    code = main(["demo", "--epochs", "1", "--limit", "64", "--steps", "4", "--hidden", "16", "--encoder", "poisson"])
    out, err = capsys.readouterr()
    assert code == 0 and "test accuracy" in out and "encoder poisson" in out
    assert "loss=" in err and "acc=" in err and "epoch 1/1" in err


def test_unusable_encoder_and_bad_options_are_clear_errors(capsys):
    """An encoder that cannot encode images, or a bad option, is an error naming it and the alternatives."""
    with pytest.raises(spikeplug.ParameterError, match="'spike_latency' cannot encode images.*poisson"):
        build_encoder("spike_latency", 4)
    with pytest.raises(spikeplug.ParameterError, match="epochs must be a positive int, got 0"):
        run_demo(epochs=0)
    assert main(["demo", "--neuron", "lif_adexx", "--no-progress", "--epochs", "1", "--limit", "8"]) == 1
    assert "Did you mean 'lif_adex'" in capsys.readouterr().err


def test_missing_demo_dependency_says_how_to_install(monkeypatch):
    """Without scikit-learn the demo tells the user to install the demo extra."""
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(spikeplug.SpikeplugError, match=r'pip install "spikeplug\[demo\]"'):
        run_demo(**QUICK)
