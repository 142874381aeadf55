"""LIF box: leaky integrate-and-fire neuron without a synaptic current (``lif_box``).

The input is the membrane current itself ("box" synapse: no filtering). Continuous
dynamics (τ_mem = 1/tau_mem_inv, in seconds)::

    dv/dt = tau_mem_inv · (I + v_leak − v)
    z = Θ(v − v_th);  on a spike v is reset

One forward-Euler step of ``dt`` seconds, in the reference order::

    v_d = v + dt · tau_mem_inv · (I + v_leak − v)   membrane integration
    z   = Θ(v_d − v_th)                             strict: no spike at v_d == v_th
    v'  = (1 − z) · v_d + z · v_reset               reset_method = "value" (default)
    v'  = v_d − z · v_th                            reset_method = "subtract"

"subtract" equals the reference's ``(1 − z)·v_d + z·(v_d − v_th)``: a spike removes the
threshold and keeps the overshoot. With the defaults the voltage gain per step is
dt·tau_mem_inv = 0.1. The reset stays differentiable in every form (``detach_reset``
switches it off); the recurrent forms (``I = x·W_inᵀ + z_prev·W_recᵀ``) are spikeplug's
own, the reference has no recurrent LIF box. Potentials are in normalised units.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, one_of, param, positive

from .fused import KERNELS


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(positional=("tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha", "reset_method"))
class LIFBoxParameters(spikeplug.SpikingParameters):
    """Parameters of the LIF box neuron (default τ_mem = 10 ms)."""

    tau_mem_inv: float = param(100.0, unit="1/s", doc="inverse membrane time constant", validator=positive())
    v_leak: float = param(0.0, unit="a.u.", doc="leak (resting) potential", validator=finite())
    v_th: float = param(1.0, unit="a.u.", doc="spike threshold", validator=finite())
    v_reset: float = param(0.0, unit="a.u.", doc="potential after a spike (reset_method 'value')", validator=finite())
    reset_method: str = param(
        "value",
        unit="",
        doc="'value': v ← v_reset on a spike; 'subtract': v ← v − v_th",
        validator=one_of(("value", "subtract")),
    )


class LIFBoxFeedForwardState(NamedTuple):
    """State of a feed-forward LIF box population: membrane potential ``v``."""

    v: torch.Tensor


class LIFBoxState(NamedTuple):
    """State of a recurrent LIF box population: last spikes ``z`` and ``v``."""

    z: torch.Tensor
    v: torch.Tensor


def reset_value(z: torch.Tensor, v: torch.Tensor, p: LIFBoxParameters) -> torch.Tensor:
    """Reset to a value: ``(1 − z)·v + z·v_reset``."""
    return (1.0 - z) * v + z * p.v_reset


def reset_subtract(z: torch.Tensor, v: torch.Tensor, p: LIFBoxParameters) -> torch.Tensor:
    """Reset by subtraction: ``v − z·v_th``."""
    return v - z * p.v_th


RESETS = {"value": reset_value, "subtract": reset_subtract}


def lif_box_step(
    input: torch.Tensor, state: LIFBoxFeedForwardState, p: LIFBoxParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIFBoxFeedForwardState]:
    """One Euler step of the LIF box neuron; returns ``(z, new_state)``."""
    (v,) = state
    v_d = v + p.dt * p.tau_mem_inv * (input + p.v_leak - v)     # membrane integration, input direct
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)    # strict threshold, surrogate backward
    z_r = z.detach() if detach_reset else z
    v_n = RESETS[p.reset_method](z_r, v_d, p)                   # reset (validated choice)
    return z, LIFBoxFeedForwardState(v_n)


#: Rest: ``v = v_leak``.
lif_box_initial_state = spikeplug.RestState(LIFBoxFeedForwardState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="lif_box",
    parameters=LIFBoxParameters,
    state=LIFBoxFeedForwardState,
    recurrent_state=LIFBoxState,
    step=lif_box_step,
    initial_state=lif_box_initial_state,
    recurrent_detach_reset=False,
    fused=KERNELS,
    state_units={"v": "a.u."},
    input_unit="a.u.",
)
