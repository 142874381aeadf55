"""Leaky integrator (LI): the LIF membrane and synapse without threshold or reset.

Continuous dynamics (τ_mem = 1/tau_mem_inv, τ_syn = 1/tau_syn_inv, in seconds)::

    dv/dt = tau_mem_inv · ((v_leak − v) + i)
    di/dt = −tau_syn_inv · i

One forward-Euler step of ``dt`` seconds, in the reference order (the input jump comes
*first*, so an input affects ``v`` in the same step)::

    i_j = i + I                                   input current jump
    v'  = v + dt · tau_mem_inv · ((v_leak − v) + i_j)
    i'  = i_j − dt · tau_syn_inv · i_j            synaptic decay

The output is the new voltage ``v'`` (no spikes), so the family has no recurrent form
and its parameters carry no surrogate (``method``/``alpha``). ``LILinearCell`` feeds the
step with ``I = x·W_inᵀ`` (``W_in`` starts as ``randn / sqrt(input_size)``), a common
read-out layer. The output tensor is the state's ``v`` itself (Norse main returns a
copy; the values are the same). Potentials and currents are in normalised units.

Preset ``bio`` (``spikeplug.create("li", preset="bio")``): Norse's ``bio_default()``
values (tau_syn_inv 0.5, tau_mem_inv 0.1 per *millisecond*, v_leak −70 mV) converted to
spikeplug's SI units: tau_syn_inv 500 1/s, tau_mem_inv 100 1/s, v_leak −70. With the
default ``dt`` = 1 ms each step is the same as Norse's with ``dt = 1`` (ms).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive

from .fused import KERNELS


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(positional=("tau_syn_inv", "tau_mem_inv", "v_leak"))
class LIParameters(spikeplug.Parameters):
    """Parameters of the leaky integrator (defaults: τ_syn = 5 ms, τ_mem = 10 ms)."""

    tau_syn_inv: float = param(200.0, unit="1/s", doc="inverse synaptic time constant", validator=positive())
    tau_mem_inv: float = param(100.0, unit="1/s", doc="inverse membrane time constant", validator=positive())
    v_leak: float = param(0.0, unit="a.u.", doc="leak (resting) potential", validator=finite())


class LIState(NamedTuple):
    """State of a leaky-integrator population: membrane potential ``v``, synaptic current ``i``."""

    v: torch.Tensor
    i: torch.Tensor


def li_step(
    input: torch.Tensor, state: LIState, p: LIParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIState]:
    """One Euler step of the leaky integrator; returns ``(v', new_state)``.

    ``detach_reset`` is accepted for the common step signature; there is no reset.
    """
    v, i = state
    i_j = i + input                                             # input jump before the voltage update
    v_n = v + p.dt * p.tau_mem_inv * ((p.v_leak - v) + i_j)     # membrane integration
    i_n = i_j - p.dt * p.tau_syn_inv * i_j                      # synaptic decay
    return v_n, LIState(v_n, i_n)


#: Rest: ``v = v_leak``, ``i = 0``.
li_initial_state = spikeplug.RestState(LIState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="li",
    parameters=LIParameters,
    state=LIState,
    step=li_step,
    initial_state=li_initial_state,
    fused=KERNELS,
    state_units={"v": "a.u.", "i": "a.u."},
    input_unit="a.u.",
)
