"""Poisson encoder modules; equations and differences from the reference in :mod:`.model`."""

from __future__ import annotations

import torch
from torch import nn

from spikeplug.params import build_parameters

from spikeplug.encoding import RateParameters, RateStepParameters, check_generator, given, sequence_length
from .model import encode, encode_step

__all__ = ["PoissonEncoder", "PoissonEncoderStep"]


class PoissonEncoder(nn.Module):
    """Rates ``x`` (a fraction of ``f_max``) to Poisson spike trains ``(seq_length, *x.shape)``.

    ``PoissonEncoder(seq_length, f_max=100.0, dt=0.001)`` as in the reference, or with a
    parameter object ``p=RateParameters(...)``. ``generator`` (a ``torch.Generator``) makes
    the draws reproducible; ``forward(x, generator=...)`` overrides it for one call.

    >>> enc = PoissonEncoder(10, f_max=500.0)
    >>> enc(torch.rand(4, 3)).shape
    torch.Size([10, 4, 3])
    """

    def __init__(
        self,
        seq_length: int,
        f_max: float | None = None,
        dt: float | None = None,
        *,
        p: RateParameters | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        owner = type(self).__name__
        self.seq_length = sequence_length(seq_length, owner)
        self.p = build_parameters(RateParameters, p, given(f_max=f_max, dt=dt))
        self.generator = check_generator(generator, owner)

    def forward(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.generator if generator is None else generator
        return encode(x, self.seq_length, self.p, g, owner=type(self).__name__)

    def extra_repr(self) -> str:
        return f"seq_length={self.seq_length}, p={self.p!r}"


class PoissonEncoderStep(nn.Module):
    """One step of Poisson spikes per call, same shape as the input (default ``f_max`` 1000 Hz).

    >>> PoissonEncoderStep()(torch.zeros(2, 3))
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
    """

    def __init__(
        self,
        f_max: float | None = None,
        dt: float | None = None,
        *,
        p: RateStepParameters | RateParameters | None = None,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        # defaults of the step form (f_max 1000 Hz); a given p may be either rate class
        cls = RateStepParameters if p is None else RateParameters
        self.p = build_parameters(cls, p, given(f_max=f_max, dt=dt))
        self.generator = check_generator(generator, type(self).__name__)

    def forward(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.generator if generator is None else generator
        return encode_step(x, self.p, g, owner=type(self).__name__)

    def extra_repr(self) -> str:
        return f"p={self.p!r}"


