"""Adaptive exponential leaky integrate-and-fire neuron (AdEx) with a current-based synapse.

LIF-Ex plus an adaptation current ``a`` that the membrane loses, driven below threshold
by the potential (coupling ``adaptation_current``) and increased by every spike
(``adaptation_spike``). Continuous dynamics (τ = 1/tau_*_inv, in seconds)::

    dv/dt = tau_mem_inv · ((v_leak − v) + Δ_T · exp((v − v_th) / Δ_T) + i − a)
    di/dt = −tau_syn_inv · i
    da/dt = tau_ada_inv · (adaptation_current · (v − v_leak) − a)
    z = Θ(v − v_th);  on a spike v ← v_reset and a ← a + adaptation_spike

One forward-Euler step of ``dt`` seconds, in the reference order (the input jump comes
*first*; the exponential and the adaptation use ``v`` and ``a`` from *before* the step)::

    i_j = i + I                                                             input jump
    v_d = v + dt · tau_mem_inv · ((v_leak − v) + Δ_T · exp((v − v_th) / Δ_T) + i_j − a)
    i'  = i_j − dt · tau_syn_inv · i_j                                      synaptic decay
    a_d = a + dt · tau_ada_inv · (adaptation_current · (v − v_leak) − a)    adaptation
    z   = Θ(v_d − v_th)                                                     strict threshold
    v'  = (1 − z) · v_d + z · v_reset                                       reset
    a'  = a_d + z · adaptation_spike                                        spike-triggered jump

The recurrent forms use ``I = x·W_inᵀ + z_prev·W_recᵀ``. No form detaches the reset by
default (as the reference); ``detach_reset`` detaches ``z`` in the voltage reset only,
the spike-triggered adaptation keeps its gradient. The parameters extend
:class:`~spikeplug.neurons_builtin.lif_ex.model.LIFExParameters` (``delta_T`` > 0) with
the adaptation fields. The state starts at ``v = v_leak``, ``i = a = 0``. Potentials and
currents are in normalised units.

Deliberate differences from Norse: ``adaptation_current`` defaults to the float 4.0
(Norse: an int64 tensor); the step is the same.

Preset ``bio`` (``spikeplug.create("lif_adex", preset="bio")``): Norse's ``bio_default()``
values converted to SI (tau_syn_inv 0.5 → 500, tau_mem_inv 0.1 → 100, tau_ada_inv
0.01 → 10, all 1/s; adaptation_current 0, adaptation_spike 0.01, delta_T 2, v_leak −70,
v_th −55, v_reset −70 mV), so each step with the default ``dt`` = 1 ms equals Norse's
with ``dt = 1`` (ms).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive
from spikeplug.neurons_builtin.lif_ex.model import LIFExParameters


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(
    positional=(
        "adaptation_current", "adaptation_spike", "delta_T", "tau_ada_inv", "tau_syn_inv", "tau_mem_inv",
        "v_leak", "v_th", "v_reset", "method", "alpha",
    )
)
class LIFAdExParameters(LIFExParameters):
    """Parameters of the AdEx neuron: the LIF-Ex parameters and the adaptation."""

    adaptation_current: float = param(
        4.0, unit="a.u.", doc="subthreshold adaptation: drive of a by v − v_leak", validator=finite()
    )
    adaptation_spike: float = param(0.02, unit="a.u.", doc="increase of a per spike", validator=finite())
    tau_ada_inv: float = param(2.0, unit="1/s", doc="inverse adaptation time constant", validator=positive())


class LIFAdExFeedForwardState(NamedTuple):
    """State of a feed-forward AdEx population: ``v``, synaptic current ``i``, adaptation current ``a``."""

    v: torch.Tensor
    i: torch.Tensor
    a: torch.Tensor


class LIFAdExState(NamedTuple):
    """State of a recurrent AdEx population: last spikes ``z``, ``v``, ``i`` and ``a``."""

    z: torch.Tensor
    v: torch.Tensor
    i: torch.Tensor
    a: torch.Tensor


def lif_adex_step(
    input: torch.Tensor, state: LIFAdExFeedForwardState, p: LIFAdExParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIFAdExFeedForwardState]:
    """One Euler step of the AdEx neuron; returns ``(z, new_state)``."""
    v, i, a = state
    i_j = i + input                                             # input jump before the voltage update
    spike_current = p.delta_T * torch.exp((v - p.v_th) / p.delta_T)
    v_d = v + p.dt * p.tau_mem_inv * ((p.v_leak - v) + spike_current + i_j - a)
    i_n = i_j - p.dt * p.tau_syn_inv * i_j                      # synaptic decay
    a_d = a + p.dt * p.tau_ada_inv * (p.adaptation_current * (v - p.v_leak) - a)  # old v and a
    z, v_n = spikeplug.spike_and_reset(v_d, p.v_th, p.v_reset, p, detach_reset=detach_reset)  # strict threshold, reset
    a_n = a_d + z * p.adaptation_spike                          # spike-triggered adaptation, z never detached
    return z, LIFAdExFeedForwardState(v_n, i_n, a_n)


#: Rest: ``v = v_leak``, ``i = a = 0``.
lif_adex_initial_state = spikeplug.RestState(LIFAdExFeedForwardState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="lif_adex",
    parameters=LIFAdExParameters,
    state=LIFAdExFeedForwardState,
    recurrent_state=LIFAdExState,
    step=lif_adex_step,
    initial_state=lif_adex_initial_state,
    recurrent_detach_reset=False,
    state_units={"v": "a.u.", "i": "a.u.", "a": "a.u."},
    input_unit="a.u.",
)
