"""Spike-latency encoding (``spike_latency``, ``spike_latency_lif``): only the first spike
of every neuron is kept, so a value is coded by *when* its neuron first fires.

``spike_latency_encode`` takes spike trains ``x`` of shape ``(T, ...)`` (time first,
values >= 0) and keeps, per element, the values up to and including its first non-zero
one; everything after it becomes 0::

    out[t] = x[t]   if x[s] == 0 for every s < t
           = 0      otherwise

(the reference writes this as a running mask, ``out[t] = 0 where mask > 0 else x[t]``,
``mask += out[t]``; for non-negative input both are the same).

``spike_latency_lif_encode`` is the constant-current LIF encoder (``constant_current_lif``,
taken from the registry, with its LIF parameters) followed by ``spike_latency_encode``:
the neuron keeps integrating and resetting, only its later spikes are dropped. Larger
currents spike earlier; a current that never reaches threshold gives no spike.

Differences from Norse, on purpose: negative, NaN or infinite values in the input of
``spike_latency_encode`` raise :class:`spikeplug.InputValueError` (the running mask is
meaningless for them); both encoders give the input's floating dtype (float32 for bool or
integer input, like every other encoder; the reference keeps ``spike_latency_encode``'s
input dtype); ``spike_latency_lif_encode`` accepts integer currents (the reference fails
on them).
"""

from __future__ import annotations

from typing import Any

import torch

import spikeplug

from spikeplug.encoding import as_input, check_values, given, sequence_length

__all__ = ["spike_latency_encode", "spike_latency_lif_encode", "first_spikes", "CONSTANT_CURRENT_LIF"]

CONSTANT_CURRENT_LIF = "constant_current_lif:constant_current_lif"


def spike_latency_encode(input_spikes: torch.Tensor) -> torch.Tensor:
    """Keep only the first spike of every element of ``input_spikes`` ``(T, ...)``; same shape,
    the input's floating dtype (float32 for bool or integer spikes).

    >>> spike_latency_encode(torch.tensor([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0]]))
    tensor([[0., 1.],
            [1., 0.],
            [0., 0.]])
    """
    return first_spikes(input_spikes, owner="spike_latency_encode")


def spike_latency_lif_encode(
    input_current: torch.Tensor, seq_length: int, p: Any = None, dt: float | None = None, **overrides: Any
) -> torch.Tensor:
    """First spikes ``(seq_length, *input_current.shape)`` of LIF neurons driven by constant currents.

    >>> spike_latency_lif_encode(torch.tensor([2.0, 4.0, 8.0, 16.0]), 5)
    tensor([[0., 0., 0., 1.],
            [0., 0., 1., 0.],
            [0., 1., 0., 0.],
            [0., 0., 0., 0.],
            [0., 0., 0., 0.]])
    """
    owner = "spike_latency_lif_encode"
    T = sequence_length(seq_length, owner)  # checked here, so that an error names this function
    encoder = spikeplug.create(CONSTANT_CURRENT_LIF, seq_length=T, p=p, **overrides, **given(dt=dt))
    return first_spikes(encoder(input_current), owner=owner, checked=True)


def first_spikes(x: torch.Tensor, *, owner: str, checked: bool = False) -> torch.Tensor:
    """The first non-zero value of every element along dim 0, zeros elsewhere, in the
    input's floating dtype.

    ``checked=True`` skips the input checks (for spike trains made by an encoder).
    """
    if not checked:
        x = as_input(x, owner, "input_spikes")                       # bool/int -> float32, as every encoder
        if x.dim() == 0:
            raise spikeplug.InputShapeError(
                f"{owner}: input_spikes must be time-first, shape (T, ...), got a 0-dim tensor"
            )
        ok = torch.isfinite(x) & (x >= 0)
        check_values(x, ok, owner=owner, name="input_spikes", expected="spikes or spike counts (finite values >= 0)")
    fired = x != 0                                                    # (T, ...)
    before = torch.cumsum(fired, dim=0) > fired                       # an earlier step already fired
    return x.masked_fill(before, 0)
