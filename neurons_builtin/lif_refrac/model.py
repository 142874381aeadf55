"""LIF neuron with an absolute refractory period counted in time steps.

The neuron is the LIF neuron of :mod:`spikeplug.neurons_builtin.lif.model` (same
parameters, same step, same input-first order) plus a refractory counter ``rho``. After
a spike the counter is set to ``rho_reset`` and counts down by one per step; while it is
positive the membrane potential is frozen and no spike is emitted. The synaptic current
keeps integrating during the refractory period.

One step of ``dt`` seconds, in the reference order::

    (z_l, v_l, i_l) = LIF step on (v, i) with input I   see the lif family
    m   = Θ(rho)                                         1 while refractory (strict: 0 at rho == 0)
    v'  = (1 − m) · v_l + m · v                          potential frozen at its previous value
    z'  = (1 − m) · z_l                                  no spike while refractory
    rho' = (1 − z') · relu(rho − m) + z' · rho_reset     count down; restart on a spike
    i'  = i_l                                            current is not masked

``m`` goes through the surrogate threshold of ``method``/``alpha``, so the mask passes a
gradient to ``rho`` as in the reference. ``rho`` and ``rho_reset`` count *steps*, not
seconds: the refractory time is ``rho_reset · dt``. After a spike the neuron is
refractory for ``rho_reset`` steps (counter rho_reset, …, 1) and integrates again on the
step when the counter has reached 0.

The recurrent forms use ``I = x·W_inᵀ + z_prev·W_recᵀ`` where ``z_prev`` is the masked
spike ``z'`` of the previous step, and detach ``z_l`` in the LIF reset by default (as the
reference, whose recurrent refractory step wraps the recurrent LIF step); the counter
reset always uses the undetached ``z'``. The feed-forward forms keep the reset
differentiable (``detach_reset`` switches either way).

Potentials and currents are in the LIF family's normalised units (v_th = 1).

Differences from Norse (1.1.0 and main), none of which changes forward values:

* The state is flat: ``LIFRefracFeedForwardState(v, i, rho)`` and
  ``LIFRefracState(z, v, i, rho)`` instead of Norse's nested ``(lif, rho)``, and
  ``LIFRefracParameters`` carries the LIF fields itself (it derives from
  ``LIFParameters``) instead of nesting ``lif=LIFParameters()``.
* Initial state: full-shape ``v = v_leak``, ``i = 0``, ``rho = 0`` in the input's dtype
  in every form (Norse's recurrent cell keeps ``v`` 0-dim, its recurrent layer forces
  float32).
* There is a feed-forward layer over time, ``LIFRefrac`` (Norse has none).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import non_negative, param
from spikeplug.neurons_builtin.lif.model import LIFFeedForwardState, LIFParameters, lif_step


@spikeplug.parameters
class LIFRefracParameters(LIFParameters):
    """Parameters of the refractory LIF neuron: the LIF parameters and the refractory period."""

    rho_reset: float = param(
        5.0, unit="steps", doc="refractory period after a spike, in time steps", validator=non_negative()
    )


class LIFRefracFeedForwardState(NamedTuple):
    """State of a feed-forward refractory LIF population: ``v``, ``i`` and the counter ``rho`` (steps)."""

    v: torch.Tensor
    i: torch.Tensor
    rho: torch.Tensor


class LIFRefracState(NamedTuple):
    """State of a recurrent refractory LIF population: last (masked) spikes ``z``, ``v``, ``i``, ``rho``."""

    z: torch.Tensor
    v: torch.Tensor
    i: torch.Tensor
    rho: torch.Tensor


def lif_refrac_step(
    input: torch.Tensor, state: LIFRefracFeedForwardState, p: LIFRefracParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIFRefracFeedForwardState]:
    """One step of the refractory LIF neuron; returns ``(z', new_state)``."""
    v, i, rho = state
    z_l, (v_l, i_l) = lif_step(input, LIFFeedForwardState(v, i), p, detach_reset=detach_reset)
    m = spikeplug.threshold(rho, p.method, p.alpha)             # 1 while refractory
    v_n = (1.0 - m) * v_l + m * v                               # frozen potential
    z = (1.0 - m) * z_l                                         # no spike while refractory
    rho_n = spikeplug.reset_value(z, torch.relu(rho - m), p.rho_reset)  # count down, restart on a spike
    return z, LIFRefracFeedForwardState(v_n, i_l, rho_n)


#: Rest, not refractory: ``v = v_leak``, ``i = 0``, ``rho = 0``.
lif_refrac_initial_state = spikeplug.RestState(LIFRefracFeedForwardState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="lif_refrac",
    parameters=LIFRefracParameters,
    state=LIFRefracFeedForwardState,
    recurrent_state=LIFRefracState,
    step=lif_refrac_step,
    initial_state=lif_refrac_initial_state,
    recurrent_detach_reset=True,
    state_units={"v": "a.u.", "i": "a.u.", "rho": "steps"},
    input_unit="a.u.",
)
