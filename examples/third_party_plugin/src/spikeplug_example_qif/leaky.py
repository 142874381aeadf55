"""Leaky neuron without synapse or threshold (``leaky``): the example plugin's NIR-mappable model.

Continuous dynamics (NIR's ``LI`` node with ``r = 1``; τ = 1/tau_mem_inv in seconds)::

    dv/dt = tau_mem_inv · ((v_leak − v) + I)

One Euler step of ``dt`` seconds, the input entering the same step; the output is ``v'``::

    v' = v + dt · tau_mem_inv · ((v_leak − v) + I)

Its NIR mapping (``nir_mapping.py``, declared through the ``spikeplug_nir_mappings`` hook of
this plugin) exports it as ``nir.LI(tau=1/tau_mem_inv, r=1, v_leak)``; the step above is the
forward-Euler step of that ODE at ``dt``, exactly.
"""

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive


@spikeplug.parameters
class LeakyParameters(spikeplug.Parameters):
    """Parameters of the leaky neuron (τ = 10 ms)."""

    tau_mem_inv: float = param(100.0, unit="1/s", doc="inverse membrane time constant", validator=positive())
    v_leak: float = param(0.0, unit="a.u.", doc="resting potential", validator=finite())


class LeakyState(NamedTuple):
    """State of a leaky population: membrane potential ``v``."""

    v: torch.Tensor


def leaky_step(input, state, p, *, detach_reset=False):
    """One Euler step; returns ``(v', new_state)`` (``detach_reset`` is accepted and unused)."""
    (v,) = state
    v_n = v + p.dt * p.tau_mem_inv * ((p.v_leak - v) + input)
    return v_n, LeakyState(v_n)


MODEL = spikeplug.NeuronModel(
    name="leaky",
    parameters=LeakyParameters,
    state=LeakyState,
    step=leaky_step,
    initial_state=spikeplug.RestState(LeakyState, {"v": "v_leak"}),
    state_units={"v": "a.u."},
    input_unit="a.u.",
)
MODULES = spikeplug.build_modules(MODEL, "Leaky", __name__, forms=("cell", "layer"))
LeakyCell, Leaky = MODULES.cell, MODULES.layer
