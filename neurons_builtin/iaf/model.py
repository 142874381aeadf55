"""Integrate-and-fire (IAF) neuron: a perfect integrator with a threshold (``iaf``).

No leak and no time constant: the input is added to the membrane potential as it comes,
so ``dt`` does not enter the step (the field exists for the common parameter base)::

    v_j = v + I                                   input jump
    z   = Θ(v_j − v_th)                           strict: no spike at v_j == v_th
    v'  = (1 − z) · v_j + z · v_reset             reset

The initial potential is ``v_reset``. The recurrent forms use
``I = x·W_inᵀ + z_prev·W_recᵀ``; no form detaches the reset by default (as the
reference's step; ``detach_reset`` switches it). Potentials are in normalised units.

Deliberate difference from Norse: the initial state is a fresh full-shape tensor filled
with ``v_reset``; Norse hands out the parameter tensor itself and sets ``requires_grad``
on it, which changes the shared default parameters.

Preset ``bio`` (``spikeplug.create("iaf", preset="bio")``): Norse's ``bio_default()``
values, v_reset −70 and v_th −55 (mV), so the neuron starts at −70.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param

from .fused import KERNELS


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(positional=("v_th", "v_reset", "method", "alpha"))
class IAFParameters(spikeplug.SpikingParameters):
    """Parameters of the integrate-and-fire neuron (``dt`` is unused)."""

    v_th: float = param(1.0, unit="a.u.", doc="spike threshold", validator=finite())
    v_reset: float = param(0.0, unit="a.u.", doc="initial potential and potential after a spike", validator=finite())


class IAFFeedForwardState(NamedTuple):
    """State of a feed-forward IAF population: membrane potential ``v``."""

    v: torch.Tensor


class IAFState(NamedTuple):
    """State of a recurrent IAF population: last spikes ``z`` and ``v``."""

    z: torch.Tensor
    v: torch.Tensor


def iaf_step(
    input: torch.Tensor, state: IAFFeedForwardState, p: IAFParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, IAFFeedForwardState]:
    """One step of the IAF neuron; returns ``(z, new_state)``."""
    (v,) = state
    v_j = v + input                                             # perfect integration, no leak
    z = spikeplug.threshold(v_j - p.v_th, p.method, p.alpha)    # strict threshold, surrogate backward
    z_r = z.detach() if detach_reset else z
    v_n = (1.0 - z_r) * v_j + z_r * p.v_reset                   # reset
    return z, IAFFeedForwardState(v_n)


#: Start at ``v = v_reset``.
iaf_initial_state = spikeplug.RestState(IAFFeedForwardState, {"v": "v_reset"})


MODEL = spikeplug.NeuronModel(
    name="iaf",
    parameters=IAFParameters,
    state=IAFFeedForwardState,
    recurrent_state=IAFState,
    step=iaf_step,
    initial_state=iaf_initial_state,
    recurrent_detach_reset=False,
    fused=KERNELS,
    state_units={"v": "a.u."},
    input_unit="a.u.",
)
