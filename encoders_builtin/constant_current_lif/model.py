"""Constant-current LIF encoding (``constant_current_lif``).

Each input value is a constant current ``I`` fed, at every one of ``seq_length`` steps,
to a LIF neuron without synaptic dynamics; the output is its spike train
``(seq_length, *I.shape)``. One step (``dt`` seconds; the reference's
``lif_current_encoder``)::

    v_d = v + dt · tau_mem_inv · ((v_leak − v) + I)
    z   = Θ(v_d − v_th)                           strict threshold, surrogate gradient
    v'  = (1 − z) · v_d + z · v_reset

with ``v`` starting at 0 (not at ``v_leak``, as in the reference). This is exactly the
step of the LIF family (:mod:`spikeplug.neurons_builtin.lif.model`) with the synaptic
current held at 0 before every step (its input jump ``i + I`` is then ``I``); the encoder
takes that step from the registry (``lif``) instead of writing the equations again, so
it takes LIF parameters: ``p=LIFParameters(...)`` and/or keyword overrides
(``tau_mem_inv=``, ``v_th=``, ``dt=`` ...). ``tau_syn_inv`` has no effect. With the defaults
a current ``I`` spikes iff ``I > 1`` (``v`` tends to ``v_leak + I``).

Differences from Norse, on purpose: spikes have the input's floating dtype (float32 for
integer input; the reference always gives float32); a NaN or ±inf current raises
:class:`spikeplug.InputValueError` (the reference silently never spikes for NaN, and for
+inf spikes once and then never, its voltage NaN after the reset); the reset is written
``(1 − z)·v_d + z·v_reset`` (the LIF step's form; the reference's ``v_d − z·(v_d − v_reset)``
gives the same values up to rounding).
"""

from __future__ import annotations

from typing import Any

import torch

import spikeplug
from spikeplug.model import floating_dtype

from spikeplug.encoding import as_input, check_finite, given, sequence_length

__all__ = ["constant_current_lif_encode", "lif_modules", "encode", "LIF"]

LIF = "lif:lif"  # qualified: a third-party model also called "lif" cannot stand in for it


def lif_modules() -> Any:
    """The LIF family's :class:`~spikeplug.ModuleSet`, from the registry."""
    return spikeplug.registry.factory(LIF)


def constant_current_lif_encode(
    input_current: torch.Tensor, seq_length: int, p: Any = None, dt: float | None = None, **overrides: Any
) -> torch.Tensor:
    """Spike trains ``(seq_length, *input_current.shape)`` of LIF neurons driven by constant currents.

    ``p`` is a ``LIFParameters``; ``dt`` and other keywords override its fields.

    >>> constant_current_lif_encode(torch.tensor([0.5, 20.0]), 3)
    tensor([[0., 1.],
            [0., 1.],
            [0., 1.]])
    """
    model = lif_modules().model
    params = spikeplug.build_parameters(model.parameters, p, {**overrides, **given(dt=dt)})
    return encode(model, input_current, seq_length, params, owner="constant_current_lif_encode")


def encode(
    model: spikeplug.NeuronModel,
    input_current: torch.Tensor,
    seq_length: int,
    p: Any,
    *,
    detach_reset: bool = False,
    owner: str,
) -> torch.Tensor:
    """Drive ``model``'s step (the LIF family's) with a constant current, the synaptic
    current held at 0; ``p`` are the model's parameters."""
    T = sequence_length(seq_length, owner)
    I = as_input(input_current, owner, "input_current")                     # (*S)
    check_finite(I, owner=owner, name="input_current", meaning="currents")
    dtype = floating_dtype(I)
    zero = torch.zeros(I.shape, dtype=dtype, device=I.device)
    state = model.state(v=zero, i=zero)                                      # v starts at 0, as in the reference
    spikes = []
    for _ in range(T):
        z, state = model.step(I, state, p, detach_reset=detach_reset)
        state = state._replace(i=zero)                                       # no synaptic current: only v carries over
        spikes.append(z)
    return torch.stack(spikes).to(dtype)                                     # (T, *S)
