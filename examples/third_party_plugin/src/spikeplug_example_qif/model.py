"""Quadratic integrate-and-fire neuron.

Continuous dynamics (normalised potentials, rates in 1/s)::

    dv/dt = tau_mem_inv · (k · (v − v_rest) · (v − v_crit) + I)
    z = Θ(v − v_th);  on a spike v ← v_reset

One Euler step of ``dt`` seconds, input first::

    v_d = v + dt · tau_mem_inv · (k · (v − v_rest) · (v − v_crit) + I)
    z   = Θ(v_d − v_th)
    v'  = (1 − z) · v_d + z · v_reset

Below ``v_crit`` the neuron relaxes to ``v_rest``; above it the quadratic term makes the
voltage run away to a spike.
"""

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive


@spikeplug.parameters
class QIFParameters(spikeplug.SpikingParameters):
    """Parameters of the quadratic integrate-and-fire neuron."""

    tau_mem_inv: float = param(100.0, unit="1/s", doc="inverse membrane time constant", validator=positive())
    k: float = param(1.0, unit="1/a.u.", doc="curvature of the quadratic term", validator=positive())
    v_rest: float = param(0.0, unit="a.u.", doc="stable resting potential", validator=finite())
    v_crit: float = param(0.5, unit="a.u.", doc="unstable critical potential", validator=finite())
    v_th: float = param(1.0, unit="a.u.", doc="spike threshold", validator=finite())
    v_reset: float = param(0.0, unit="a.u.", doc="potential after a spike", validator=finite())


class QIFState(NamedTuple):
    """Membrane potential of a feed-forward QIF population."""

    v: torch.Tensor


class QIFRecurrentState(NamedTuple):
    """Last spikes and membrane potential of a recurrent QIF population."""

    z: torch.Tensor
    v: torch.Tensor


def qif_step(input, state, p, *, detach_reset=False):
    """One Euler step; returns ``(z, QIFState)``."""
    (v,) = state
    v_d = v + p.dt * p.tau_mem_inv * (p.k * (v - p.v_rest) * (v - p.v_crit) + input)
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)
    z_r = z.detach() if detach_reset else z
    return z, QIFState((1.0 - z_r) * v_d + z_r * p.v_reset)


def qif_initial_state(shape, p, dtype, device):
    """Rest: ``v = v_rest``."""
    return QIFState(spikeplug.state_tensor(shape, p.v_rest, dtype, device, field="v_rest"))


MODEL = spikeplug.NeuronModel(
    name="qif",
    parameters=QIFParameters,
    state=QIFState,
    recurrent_state=QIFRecurrentState,
    step=qif_step,
    initial_state=qif_initial_state,
    state_units={"v": "a.u."},  # optional: plots and the catalogue label v with it
    input_unit="a.u.",
)
MODULES = spikeplug.build_modules(MODEL, "QIF", __name__)
QIFCell = MODULES.cell
QIF = MODULES.layer
QIFRecurrentCell = MODULES.recurrent_cell
QIFRecurrent = MODULES.recurrent
