"""Leaky integrate-and-fire (LIF) neuron with an exponentially decaying synaptic current.

Continuous dynamics (τ_mem = 1/tau_mem_inv, τ_syn = 1/tau_syn_inv, in seconds)::

    dv/dt = tau_mem_inv · ((v_leak − v) + i)
    di/dt = −tau_syn_inv · i
    z = Θ(v − v_th);  on a spike v ← v_reset

One forward-Euler step of ``dt`` seconds, in the reference order (Norse ≥ 1.0: the
input jump comes *first*, so an input affects ``v`` in the same step)::

    i_j = i + I                                   input current jump
    v_d = v + dt · tau_mem_inv · ((v_leak − v) + i_j)
    i'  = i_j − dt · tau_syn_inv · i_j            synaptic decay
    z   = Θ(v_d − v_th)                           strict: no spike at v_d == v_th
    v'  = (1 − z) · v_d + z · v_reset             reset

With the defaults the voltage gain per step is dt·tau_mem_inv = 0.1 and the current
decays by (1 − dt·tau_syn_inv) = 0.8. The recurrent forms use
``I = x·W_inᵀ + z_prev·W_recᵀ`` and detach ``z`` in the reset by default (as the
reference); the feed-forward forms keep the reset differentiable (``detach_reset``
switches either way). Potentials and currents are in normalised units (v_th = 1).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive

from .fused import KERNELS


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(positional=("tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha"))
class LIFParameters(spikeplug.SpikingParameters):
    """Parameters of the LIF neuron (defaults: τ_syn = 5 ms, τ_mem = 10 ms)."""

    tau_syn_inv: float = param(200.0, unit="1/s", doc="inverse synaptic time constant", validator=positive())
    tau_mem_inv: float = param(100.0, unit="1/s", doc="inverse membrane time constant", validator=positive())
    v_leak: float = param(0.0, unit="a.u.", doc="leak (resting) potential", validator=finite())
    v_th: float = param(1.0, unit="a.u.", doc="spike threshold", validator=finite())
    v_reset: float = param(0.0, unit="a.u.", doc="potential after a spike", validator=finite())


class LIFFeedForwardState(NamedTuple):
    """State of a feed-forward LIF population: membrane potential ``v``, synaptic current ``i``."""

    v: torch.Tensor
    i: torch.Tensor


class LIFState(NamedTuple):
    """State of a recurrent LIF population: last spikes ``z``, ``v`` and ``i``."""

    z: torch.Tensor
    v: torch.Tensor
    i: torch.Tensor


def lif_step(
    input: torch.Tensor, state: LIFFeedForwardState, p: LIFParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIFFeedForwardState]:
    """One Euler step of the LIF neuron; returns ``(z, new_state)``."""
    v, i = state
    i_j = i + input                                             # input jump before the voltage update
    v_d = v + p.dt * p.tau_mem_inv * ((p.v_leak - v) + i_j)     # membrane integration
    i_n = i_j - p.dt * p.tau_syn_inv * i_j                      # synaptic decay
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)    # strict threshold, surrogate backward
    z_r = z.detach() if detach_reset else z
    v_n = (1.0 - z_r) * v_d + z_r * p.v_reset                   # reset
    return z, LIFFeedForwardState(v_n, i_n)


#: Rest: ``v = v_leak``, ``i = 0``.
lif_initial_state = spikeplug.RestState(LIFFeedForwardState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="lif",
    parameters=LIFParameters,
    state=LIFFeedForwardState,
    recurrent_state=LIFState,
    step=lif_step,
    initial_state=lif_initial_state,
    recurrent_detach_reset=True,
    fused=KERNELS,
    state_units={"v": "a.u.", "i": "a.u."},
    input_unit="a.u.",
)
