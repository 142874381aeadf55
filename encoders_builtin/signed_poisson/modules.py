"""Signed Poisson encoder modules; equations and differences from the reference in :mod:`.model`."""

from __future__ import annotations

import torch

from spikeplug.encoding import RateEncoder, RateEncoderStep
from .model import encode, encode_step

__all__ = ["SignedPoissonEncoder", "SignedPoissonEncoderStep"]


class SignedPoissonEncoder(RateEncoder):
    """Signed rates ``x`` to spike trains ``(seq_length, *x.shape)`` with values in {−1, 0, 1}.

    ``SignedPoissonEncoder(seq_length, f_max=100.0, dt=0.001)`` as in the reference, or with
    ``p=RateParameters(...)``; ``generator`` makes the draws reproducible and
    ``forward(x, generator=...)`` overrides it for one call.

    >>> SignedPoissonEncoder(3, f_max=1000.0)(torch.tensor([-1.0, 1.0]))
    tensor([[-1.,  1.],
            [-1.,  1.],
            [-1.,  1.]])
    """

    encode = staticmethod(encode)

    @staticmethod
    def sample_input(steps: int, generator: torch.Generator) -> torch.Tensor:
        """8 signed rates from -1 to 1 (negative ones give spikes of -1)."""
        return torch.linspace(-1.0, 1.0, 8)


class SignedPoissonEncoderStep(RateEncoderStep):
    """One step of signed Poisson spikes per call, same shape as the input (default ``f_max`` 1000 Hz)."""

    encode_step = staticmethod(encode_step)
    sample_input = staticmethod(SignedPoissonEncoder.sample_input)
