"""``check_encoder``: the encoders' conformance check (shapes and time-first layout, dtypes,
finite values, determinism under a seed, gradients where differentiable), run over every
registered encoder and shown to catch the faults it is written for (issue 13)."""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug.plugins import ModelSpec, Registry
from spikeplug.plugins.conformance import ConformanceError, check_encoder

from encoder_contract import bare, encoder_names


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
def test_registered_encoder_passes_check_encoder(name: str) -> None:
    """Every registered encoder keeps the contract; a spike encoder without gradient says so as n/a."""
    report = check_encoder(name)
    assert len(report.passed) >= 2, str(report)
    assert len(report.passed) + len(report.not_applicable) == 3, str(report)


class GoodEncoder(torch.nn.Module):
    """Bernoulli spikes at rate x for seq_length steps, time first, from torch's generator."""

    def __init__(self, seq_length: int) -> None:
        super().__init__()
        self.seq_length = seq_length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(torch.get_default_dtype()) if not x.is_floating_point() else x
        return (torch.rand((self.seq_length, *x.shape), dtype=x.dtype) < x).to(x.dtype)


class TimeLastEncoder(GoodEncoder):
    """Broken: time is the last dimension."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).movedim(0, -1)


class UnseededEncoder(GoodEncoder):
    """Broken: draws from a generator of its own, seeded from the clock."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = torch.Generator()
        g.seed()
        x = x.to(torch.float32) if not x.is_floating_point() else x
        return (torch.rand((self.seq_length, *x.shape), generator=g, dtype=x.dtype) < x).to(x.dtype)


class Float32Encoder(GoodEncoder):
    """Broken: always float32."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x).to(torch.float32)


def _registry(factory: type) -> Registry:
    registry = Registry(path=[])
    registry.register(ModelSpec(name="enc", kind="encoder", summary="toy", factory=factory))
    return registry


def test_toy_encoder_passes() -> None:
    """The correct toy encoder passes (so the failures below are the faults')."""
    report = check_encoder("enc", registry=_registry(GoodEncoder))
    assert report.passed[0] == ("encoder: input (5,) -> (3, 5), float32/float64/bool, finite, identical under a "
                                "seed")


@pytest.mark.parametrize(("factory", "message"), [
    (TimeLastEncoder, "on input of shape (5,) gives shape (5, 3), expected (3, 5) (sequence encoders: time first"),
    (UnseededEncoder, "gives different outputs for the same input after the same torch.manual_seed"),
    (Float32Encoder, "on torch.float64 input gives torch.float32, expected torch.float64"),
])
def test_broken_encoder_fails_check_encoder(factory: type, message: str) -> None:
    """Time-last layout, an unseeded generator and a fixed dtype each fail with what to fix."""
    with pytest.raises(ConformanceError) as info:
        check_encoder("enc", registry=_registry(factory))
    expected = "conformance check 'encoder' failed for encoder 'enc': __main__:enc(seq_length=3)"
    assert str(info.value).startswith(expected)
    assert message in str(info.value)


def test_neuron_name_is_not_an_encoder() -> None:
    """check_encoder on a neuron model is an unknown-encoder error, not a silent pass."""
    with pytest.raises(spikeplug.SpikeplugError, match="lif"):
        check_encoder("lif")
