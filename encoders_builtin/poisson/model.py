"""Poisson (Bernoulli-per-step) rate encoding (``poisson``, ``poisson_step``).

An input value ``x`` is a firing rate in units of ``f_max``: at every step of ``dt``
seconds each element spikes, independently, with probability::

    P(z_t = 1) = dt · f_max · x                 (needs 0 <= x <= 1 / (dt · f_max))

drawn exactly as the reference draws it, so a seeded ``torch.Generator`` reproduces its
spike trains bit for bit::

    U = torch.rand(seq_length, *x.shape, device=x.device, generator=generator)
    z = (U < dt · f_max · x)                      shape (seq_length, *x.shape)

``poisson_encode_step`` draws one step (``torch.rand(*x.shape, ...)``); its default
``f_max`` is 1000 Hz, as in the reference (the sequence encoder's is 100 Hz).

Differences from Norse, on purpose:

* inputs whose probability ``dt·f_max·x`` leaves [0, 1] (negative values, values above
  ``1 / (dt·f_max)``, NaN) raise :class:`spikeplug.InputValueError` naming the valid
  range; the reference silently never fires or fires at every step;
* spikes have the input's floating dtype (float32 for integer or bool input), not always
  float32; the uniform draws are in the default dtype, as in the reference;
* ``f_max`` and ``dt`` are validated (finite and > 0).
"""

from __future__ import annotations

import torch

from spikeplug.model import floating_dtype

from spikeplug.encoding import RateParameters, RateStepParameters, as_input, check_generator, sequence_length, spike_probability

__all__ = ["poisson_encode", "poisson_encode_step", "RateParameters", "RateStepParameters"]


def poisson_encode(
    x: torch.Tensor,
    seq_length: int,
    f_max: float = 100.0,
    dt: float = 0.001,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Poisson spike trains of ``seq_length`` steps for rates ``x`` (a fraction of ``f_max``).

    >>> g = torch.Generator().manual_seed(0)
    >>> poisson_encode(torch.tensor([0.0, 0.5, 1.0]), 2, f_max=1000.0, generator=g)
    tensor([[0., 0., 1.],
            [0., 1., 1.]])
    """
    return encode(x, seq_length, RateParameters(f_max=f_max, dt=dt), generator, owner="poisson_encode")


def poisson_encode_step(
    x: torch.Tensor, f_max: float = 1000.0, dt: float = 0.001, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One step of Poisson spikes for rates ``x``; same shape as ``x``."""
    return encode_step(x, RateStepParameters(f_max=f_max, dt=dt), generator, owner="poisson_encode_step")


def encode(
    x: torch.Tensor, seq_length: int, p: RateParameters, generator: torch.Generator | None, *, owner: str
) -> torch.Tensor:
    """:func:`poisson_encode` with a parameter object (``owner`` names the caller in errors)."""
    T = sequence_length(seq_length, owner)
    check_generator(generator, owner)
    x = as_input(x, owner, "x")
    prob = spike_probability(x, p, owner=owner, name="x")                   # (*S)
    u = torch.rand((T, *x.shape), device=x.device, generator=generator)     # (T, *S), the reference's draw
    return (u < prob).to(floating_dtype(x))


def encode_step(x: torch.Tensor, p: RateParameters, generator: torch.Generator | None, *, owner: str) -> torch.Tensor:
    """:func:`poisson_encode_step` with a parameter object."""
    check_generator(generator, owner)
    x = as_input(x, owner, "x")
    prob = spike_probability(x, p, owner=owner, name="x")
    u = torch.rand(x.shape, device=x.device, generator=generator)           # (*S); a size, so 0-d works too
    return (u < prob).to(floating_dtype(x))
