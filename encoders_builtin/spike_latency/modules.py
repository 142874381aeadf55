"""Spike-latency encoder modules; equations and differences from the reference in :mod:`.model`."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

import spikeplug

from spikeplug.encoding import given, sequence_length
from .model import CONSTANT_CURRENT_LIF, first_spikes

__all__ = ["SpikeLatencyEncoder", "SpikeLatencyLIFEncoder"]


class SpikeLatencyEncoder(nn.Module):
    """Keep only the first spike of every neuron in spike trains ``(T, ...)``; same shape.

    >>> SpikeLatencyEncoder()(torch.ones(3, 2))
    tensor([[1., 1.],
            [0., 0.],
            [0., 0.]])
    """

    @staticmethod
    def sample_input(steps: int, generator: torch.Generator) -> torch.Tensor:
        """8 random spike trains, time first, with a spike probability of 0.05 per step."""
        return (torch.rand(steps, 8, generator=generator) < 0.05).float()

    def forward(self, input_spikes: torch.Tensor) -> torch.Tensor:
        return first_spikes(input_spikes, owner=type(self).__name__)


class SpikeLatencyLIFEncoder(nn.Module):
    """Constant currents ``I`` to the first spikes ``(seq_length, *I.shape)`` of LIF neurons.

    ``SpikeLatencyLIFEncoder(seq_length, p=LIFParameters(), dt=0.001)`` as in the reference,
    LIF keyword overrides too. :attr:`encoder` is the ``constant_current_lif`` encoder (from
    the registry) whose spike trains are reduced to their first spikes.

    >>> SpikeLatencyLIFEncoder(4)(torch.tensor([1.0, 16.0]))
    tensor([[0., 1.],
            [0., 0.],
            [0., 0.],
            [0., 0.]])
    """

    def __init__(self, seq_length: int, p: Any = None, dt: float | None = None, **overrides: Any):
        super().__init__()
        T = sequence_length(seq_length, type(self).__name__)  # checked here, so that an error names this class
        self.encoder = spikeplug.create(CONSTANT_CURRENT_LIF, seq_length=T, p=p, **overrides, **given(dt=dt))

    @property
    def seq_length(self) -> int:
        return self.encoder.seq_length

    @property
    def p(self) -> Any:
        """The LIF parameters."""
        return self.encoder.p

    @staticmethod
    def sample_input(steps: int, generator: torch.Generator) -> torch.Tensor:
        """8 constant currents from 0 to 4 (the threshold v_th = 1 needs a current above 1)."""
        return torch.linspace(0.0, 4.0, 8)

    def forward(self, input_current: torch.Tensor) -> torch.Tensor:
        return first_spikes(self.encoder(input_current), owner=type(self).__name__, checked=True)
