"""Signed Poisson rate encoding (``signed_poisson``, ``signed_poisson_step``).

The magnitude ``|x|`` is a firing rate in units of ``f_max`` and the sign of ``x`` the
sign of the spikes: at every step of ``dt`` seconds::

    U = torch.rand(seq_length, *x.shape, device=x.device, generator=generator)
    z = sign(x) · (U < dt · f_max · |x|)          values in {−1, 0, 1}

(needs |x| <= 1 / (dt · f_max)). The draws are those of the Poisson encoder applied to
``|x|``, so both give the same spike times for the same generator state. The one-step
form draws ``torch.rand(*x.shape, ...)`` and defaults to ``f_max`` = 1000 Hz.

Differences from Norse, on purpose:

* the draws are made on the input's device (Norse's sequence encoder draws on the CPU and
  fails for CUDA input);
* inputs with ``dt·f_max·|x| > 1`` (or NaN) raise :class:`spikeplug.InputValueError`
  naming the valid range, instead of silently spiking at every step;
* spikes have the input's floating dtype (float32 for integer input).
"""

from __future__ import annotations

import torch

from spikeplug.model import floating_dtype

from spikeplug.encoding import RateParameters, RateStepParameters, as_input, check_generator, sequence_length, spike_probability

__all__ = ["signed_poisson_encode", "signed_poisson_encode_step", "RateParameters", "RateStepParameters"]


def signed_poisson_encode(
    x: torch.Tensor,
    seq_length: int,
    f_max: float = 100.0,
    dt: float = 0.001,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Signed Poisson spike trains ``(seq_length, *x.shape)`` with values in {−1, 0, 1}.

    >>> signed_poisson_encode(torch.tensor([-1.0, 0.0, 1.0]), 2, f_max=1000.0)
    tensor([[-1.,  0.,  1.],
            [-1.,  0.,  1.]])
    """
    return encode(x, seq_length, RateParameters(f_max=f_max, dt=dt), generator, owner="signed_poisson_encode")


def signed_poisson_encode_step(
    x: torch.Tensor, f_max: float = 1000.0, dt: float = 0.001, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One step of signed Poisson spikes; same shape as ``x``."""
    return encode_step(x, RateStepParameters(f_max=f_max, dt=dt), generator, owner="signed_poisson_encode_step")


def encode(
    x: torch.Tensor, seq_length: int, p: RateParameters, generator: torch.Generator | None, *, owner: str
) -> torch.Tensor:
    """:func:`signed_poisson_encode` with a parameter object (``owner`` names the caller in errors)."""
    T = sequence_length(seq_length, owner)
    return _signed_spikes(x, (T,), p, generator, owner)


def encode_step(x: torch.Tensor, p: RateParameters, generator: torch.Generator | None, *, owner: str) -> torch.Tensor:
    """:func:`signed_poisson_encode_step` with a parameter object."""
    return _signed_spikes(x, (), p, generator, owner)


def _signed_spikes(
    x: torch.Tensor, lead: tuple[int, ...], p: RateParameters, generator: torch.Generator | None, owner: str
) -> torch.Tensor:
    check_generator(generator, owner)
    x = as_input(x, owner, "x")
    prob = spike_probability(x, p, owner=owner, name="x", signed=True)    # (*S), from |x|
    u = torch.rand((*lead, *x.shape), device=x.device, generator=generator)  # (*lead, *S), on x's device
    return torch.sign(x).to(floating_dtype(x)) * (u < prob)
