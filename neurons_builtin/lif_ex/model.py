"""Exponential leaky integrate-and-fire neuron (LIF-Ex) with a current-based synapse.

LIF plus an exponential spike-initiation current of sharpness Δ_T (delta_T). Continuous
dynamics (τ_mem = 1/tau_mem_inv, τ_syn = 1/tau_syn_inv, in seconds)::

    dv/dt = tau_mem_inv · ((v_leak − v) + Δ_T · exp((v − v_th) / Δ_T) + i)
    di/dt = −tau_syn_inv · i
    z = Θ(v − v_th);  on a spike v ← v_reset

One forward-Euler step of ``dt`` seconds, in the reference order (the input jump comes
*first*; the exponential uses the potential *before* the step)::

    i_j = i + I                                                        input current jump
    v_d = v + dt · tau_mem_inv · ((v_leak − v) + Δ_T · exp((v − v_th) / Δ_T) + i_j)
    i'  = i_j − dt · tau_syn_inv · i_j                                 synaptic decay
    z   = Θ(v_d − v_th)                                                strict threshold
    v'  = (1 − z) · v_d + z · v_reset                                  reset

The recurrent forms use ``I = x·W_inᵀ + z_prev·W_recᵀ``. No form detaches the reset by
default (as the reference; ``detach_reset`` switches it). The parameters extend
:class:`~spikeplug.neurons_builtin.lif.model.LIFParameters` with ``delta_T``, which must be
> 0: at Δ_T = 0 the exponential term is 0·exp(−∞) below threshold and its gradient NaN
(the LIF-Ex neuron becomes the plain LIF neuron; use ``lif``). Potentials and currents
are in normalised units.

Preset ``bio`` (``spikeplug.create("lif_ex", preset="bio")``): Norse's ``bio_default()``
values converted to SI (tau_syn_inv 0.5 → 500 1/s, tau_mem_inv 0.1 → 100 1/s; v_leak
−70, v_th −55, v_reset −70 mV), so each step with the default ``dt`` = 1 ms equals
Norse's with ``dt = 1`` (ms). Norse's Δ_T = 0 is not taken over (see above); the
preset keeps delta_T = 0.5.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import param, positive
from spikeplug.neurons_builtin.lif.model import LIFParameters


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(
    positional=(
        "delta_T", "tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha",
    )
)
class LIFExParameters(LIFParameters):
    """Parameters of the LIF-Ex neuron: the LIF parameters and the sharpness ``delta_T``."""

    delta_T: float = param(0.5, unit="a.u.", doc="sharpness of the exponential spike initiation", validator=positive())


class LIFExFeedForwardState(NamedTuple):
    """State of a feed-forward LIF-Ex population: membrane potential ``v``, synaptic current ``i``."""

    v: torch.Tensor
    i: torch.Tensor


class LIFExState(NamedTuple):
    """State of a recurrent LIF-Ex population: last spikes ``z``, ``v`` and ``i``."""

    z: torch.Tensor
    v: torch.Tensor
    i: torch.Tensor


def lif_ex_step(
    input: torch.Tensor, state: LIFExFeedForwardState, p: LIFExParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIFExFeedForwardState]:
    """One Euler step of the LIF-Ex neuron; returns ``(z, new_state)``."""
    v, i = state
    i_j = i + input                                             # input jump before the voltage update
    spike_current = p.delta_T * torch.exp((v - p.v_th) / p.delta_T)
    v_d = v + p.dt * p.tau_mem_inv * ((p.v_leak - v) + spike_current + i_j)
    i_n = i_j - p.dt * p.tau_syn_inv * i_j                      # synaptic decay
    z, v_n = spikeplug.spike_and_reset(v_d, p.v_th, p.v_reset, p, detach_reset=detach_reset)  # strict threshold, reset
    return z, LIFExFeedForwardState(v_n, i_n)


#: Rest: ``v = v_leak``, ``i = 0``.
lif_ex_initial_state = spikeplug.RestState(LIFExFeedForwardState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="lif_ex",
    parameters=LIFExParameters,
    state=LIFExFeedForwardState,
    recurrent_state=LIFExState,
    step=lif_ex_step,
    initial_state=lif_ex_initial_state,
    recurrent_detach_reset=False,
    state_units={"v": "a.u.", "i": "a.u."},
    input_unit="a.u.",
)
