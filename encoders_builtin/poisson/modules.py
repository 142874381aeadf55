"""Poisson encoder modules; equations and differences from the reference in :mod:`.model`."""

from __future__ import annotations

import torch

from spikeplug.encoding import RateEncoder, RateEncoderStep
from .model import encode, encode_step

__all__ = ["PoissonEncoder", "PoissonEncoderStep"]


class PoissonEncoder(RateEncoder):
    """Rates ``x`` (a fraction of ``f_max``) to Poisson spike trains ``(seq_length, *x.shape)``.

    ``PoissonEncoder(seq_length, f_max=100.0, dt=0.001)`` as in the reference, or with a
    parameter object ``p=RateParameters(...)``. ``generator`` (a ``torch.Generator``) makes
    the draws reproducible; ``forward(x, generator=...)`` overrides it for one call.

    >>> enc = PoissonEncoder(10, f_max=500.0)
    >>> enc(torch.rand(4, 3)).shape
    torch.Size([10, 4, 3])
    """

    encode = staticmethod(encode)


class PoissonEncoderStep(RateEncoderStep):
    """One step of Poisson spikes per call, same shape as the input (default ``f_max`` 1000 Hz).

    >>> PoissonEncoderStep()(torch.zeros(2, 3))
    tensor([[0., 0., 0.],
            [0., 0., 0.]])
    """

    encode_step = staticmethod(encode_step)
