"""Constant-current LIF encoder module; equations and differences from the reference in :mod:`.model`."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from spikeplug.encoding import given, sequence_length
from .model import encode, lif_modules

__all__ = ["ConstantCurrentLIFEncoder"]


class ConstantCurrentLIFEncoder(nn.Module):
    """Constant currents ``I`` to the spike trains ``(seq_length, *I.shape)`` of LIF neurons.

    ``ConstantCurrentLIFEncoder(seq_length, p=LIFParameters(), dt=0.001)`` as in the
    reference; keyword overrides of LIF parameters work too (``tau_mem_inv=50.0``). The
    LIF parameters live in :attr:`neuron`, a LIF cell from the registry, so tensor-valued
    or ``learnable=`` parameters behave as in the LIF modules (buffers, ``nn.Parameter``).

    >>> ConstantCurrentLIFEncoder(5)(torch.tensor([2.0, 4.0, 8.0, 16.0]))
    tensor([[0., 0., 0., 1.],
            [0., 0., 1., 1.],
            [0., 1., 0., 1.],
            [0., 0., 1., 1.],
            [0., 0., 0., 1.]])
    """

    def __init__(
        self,
        seq_length: int,
        p: Any = None,
        dt: float | None = None,
        *,
        detach_reset: bool = False,
        learnable: tuple[str, ...] = (),
        **overrides: Any,
    ):
        super().__init__()
        self.seq_length = sequence_length(seq_length, type(self).__name__)
        self.neuron = lif_modules().create(
            "cell", p=p, detach_reset=detach_reset, learnable=learnable, **overrides, **given(dt=dt)
        )

    @property
    def p(self) -> Any:
        """The LIF parameters."""
        return self.neuron.params()

    @staticmethod
    def sample_input(steps: int, generator: torch.Generator) -> torch.Tensor:
        """8 constant currents from 0 to 4 (the threshold v_th = 1 needs a current above 1)."""
        return torch.linspace(0.0, 4.0, 8)

    def forward(self, input_current: torch.Tensor) -> torch.Tensor:
        n = self.neuron
        return encode(
            n.model, input_current, self.seq_length, n.params(), detach_reset=n.detach_reset, owner=type(self).__name__
        )

    def extra_repr(self) -> str:
        return f"seq_length={self.seq_length}"
