"""Conductance-based leaky integrate-and-fire neuron (CobaLIF).

Potentials are in **millivolts**; time in seconds; conductances in arbitrary units
(a.u.) such that ``c_m_inv · g`` is a rate in 1/s. Continuous dynamics::

    dv/dt   = c_m_inv · (g_l · (v_rest − v) + g_e · (e_rev_E − v) + g_i · (e_rev_I − v))
    dg_e/dt = −tau_syn_exc_inv · g_e
    dg_i/dt = −tau_syn_inh_inv · g_i
    z = Θ(v − v_thresh);  on a spike v ← v_reset

Input is a conductance jump. A feed-forward input ``I`` is signed: its positive part is
excitatory, its negative part inhibitory. One forward-Euler step of ``dt`` seconds, in
the reference order (input jump first, then decay, then the voltage update with the
*decayed* conductances and the old ``v``)::

    g_e ← g_e + E,  g_i ← g_i + H                  input jumps (E, H ≥ 0, below)
    g_e' = g_e − dt · tau_syn_exc_inv · g_e        decay
    g_i' = g_i − dt · tau_syn_inh_inv · g_i
    v_d  = v + dt · c_m_inv · (g_l · (v_rest − v) + g_e' · (e_rev_E − v) + g_i' · (e_rev_I − v))
    z    = Θ(v_d − v_thresh)                       strict: no spike at v_d == v_thresh
    v'   = (1 − z) · v_d + z · v_reset

Feed-forward forms: ``E = relu(I)``, ``H = relu(−I)``. Recurrent forms (``z_prev`` the
spikes of the previous step)::

    E = x · relu(W_in)ᵀ  + z_prev · relu(W_rec)ᵀ
    H = x · relu(−W_in)ᵀ + z_prev · relu(−W_rec)ᵀ

Convention between the recurrent input and the step: :func:`coba_lif_step` accepts
either a tensor (the signed feed-forward input ``I``) or a :class:`CobaLIFInput`
``(excitatory, inhibitory)`` pair of conductance jumps ``(E, H)``, used as given. The
model's ``recurrent_input`` hook, :func:`coba_lif_recurrent_input`, returns such a pair,
because splitting one signed sum ``x·W_inᵀ + z_prev·W_recᵀ`` afterwards would let
excitation and inhibition cancel. The reset is not detached in any form by default, as
in the reference (``detach_reset`` switches it).

Names, kept from Norse: ``CobaLIFCell(input_size, hidden_size, p)`` is the *recurrent*
cell. The feed-forward forms are ``CobaLIFFeedForwardCell`` (one step) and
``CobaLIFFeedForward`` (over time); the recurrent layer over time is
``CobaLIFRecurrent``.

Deliberate fixes and differences from Norse (1.1.0 and main):

* **Recurrent input fix.** Norse's recurrent step overwrites the input contribution, so
  input spikes never reach the conductances (only ``z_prev·relu(±W_rec)ᵀ`` does). Here
  both the input and the recurrent spikes reach ``g_e`` and ``g_i`` as written above.
  With zero input the values equal Norse's.
* **Initial potential.** Cells start at ``v = v_rest`` (−20 mV by default), not at 0 mV
  (Norse's ``CobaLIFCell`` starts at 0 mV, above ``v_thresh``, so every neuron spikes on
  the first step). Conductances start at 0, recurrent spikes at 0.
* Potentials are Python floats (Norse: int64 tensors relying on type promotion).
* Weights follow the core's recurrent convention: ``randn · sqrt(2/hidden_size)`` for
  both matrices and, unless ``autapses=True``, a recurrent diagonal held at zero (Norse's
  ``CobaLIFCell`` scales by ``1/sqrt(fan_in)`` and keeps the diagonal). Pass
  ``input_weights=``/``recurrent_weights=`` (and ``autapses=True``) for Norse's layout.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch.nn.functional import linear, relu

import spikeplug
from spikeplug import finite, non_negative, param, positive


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(
    positional=(
        "tau_syn_exc_inv", "tau_syn_inh_inv", "c_m_inv", "g_l", "e_rev_I", "e_rev_E", "v_rest", "v_reset",
        "v_thresh", "method", "alpha",
    )
)
class CobaLIFParameters(spikeplug.SpikingParameters):
    """Parameters of the conductance-based LIF neuron (potentials in mV)."""

    tau_syn_exc_inv: float = param(
        0.2, unit="1/s", doc="inverse time constant of the excitatory conductance", validator=positive()
    )
    tau_syn_inh_inv: float = param(
        0.2, unit="1/s", doc="inverse time constant of the inhibitory conductance", validator=positive()
    )
    c_m_inv: float = param(5.0, unit="1/(a.u.·s)", doc="inverse membrane capacitance", validator=positive())
    g_l: float = param(0.25, unit="a.u.", doc="leak conductance", validator=non_negative())
    e_rev_I: float = param(-100.0, unit="mV", doc="inhibitory reversal potential", validator=finite())
    e_rev_E: float = param(60.0, unit="mV", doc="excitatory reversal potential", validator=finite())
    v_rest: float = param(-20.0, unit="mV", doc="resting (leak reversal) potential; initial v", validator=finite())
    v_reset: float = param(-70.0, unit="mV", doc="potential after a spike", validator=finite())
    v_thresh: float = param(-10.0, unit="mV", doc="spike threshold", validator=finite())


class CobaLIFFeedForwardState(NamedTuple):
    """State of a feed-forward CobaLIF population: ``v`` (mV) and conductances ``g_e``, ``g_i``."""

    v: torch.Tensor
    g_e: torch.Tensor
    g_i: torch.Tensor


class CobaLIFState(NamedTuple):
    """State of a recurrent CobaLIF population: last spikes ``z``, ``v`` (mV), ``g_e``, ``g_i``."""

    z: torch.Tensor
    v: torch.Tensor
    g_e: torch.Tensor
    g_i: torch.Tensor


class CobaLIFInput(NamedTuple):
    """Conductance jumps of one step, split by synapse type (both ≥ 0 for spike input)."""

    excitatory: torch.Tensor
    inhibitory: torch.Tensor


def coba_lif_recurrent_input(
    x: torch.Tensor, z_prev: torch.Tensor, input_weights: torch.Tensor, recurrent_weights: torch.Tensor
) -> CobaLIFInput:
    """Jumps of a recurrent population: positive weights excite, negative weights inhibit."""
    exc = linear(x, relu(input_weights)) + linear(z_prev, relu(recurrent_weights))
    inh = linear(x, relu(-input_weights)) + linear(z_prev, relu(-recurrent_weights))
    return CobaLIFInput(exc, inh)


def coba_lif_step(
    input: torch.Tensor | CobaLIFInput,
    state: CobaLIFFeedForwardState,
    p: CobaLIFParameters,
    *,
    detach_reset: bool = False,
) -> tuple[torch.Tensor, CobaLIFFeedForwardState]:
    """One Euler step of the CobaLIF neuron; returns ``(z, new_state)``.

    ``input`` is a signed conductance jump (positive part excitatory) or a
    :class:`CobaLIFInput` pair used as given.
    """
    v, g_e, g_i = state
    exc, inh = input if isinstance(input, CobaLIFInput) else (relu(input), relu(-input))
    g_e = g_e + exc                                             # input jumps first
    g_i = g_i + inh
    g_e = g_e - p.dt * p.tau_syn_exc_inv * g_e                  # conductance decay
    g_i = g_i - p.dt * p.tau_syn_inh_inv * g_i
    dv = p.g_l * (p.v_rest - v) + g_e * (p.e_rev_E - v) + g_i * (p.e_rev_I - v)
    v_d = v + p.dt * p.c_m_inv * dv                             # decayed conductances, old v
    z, v_n = spikeplug.spike_and_reset(v_d, p.v_thresh, p.v_reset, p, detach_reset=detach_reset)  # spike and reset
    return z, CobaLIFFeedForwardState(v_n, g_e, g_i)


#: Rest: ``v = v_rest`` (not 0 mV), ``g_e = g_i = 0``.
coba_lif_initial_state = spikeplug.RestState(CobaLIFFeedForwardState, {"v": "v_rest"})


MODEL = spikeplug.NeuronModel(
    name="coba_lif",
    parameters=CobaLIFParameters,
    state=CobaLIFFeedForwardState,
    recurrent_state=CobaLIFState,
    step=coba_lif_step,
    initial_state=coba_lif_initial_state,
    recurrent_input=coba_lif_recurrent_input,
    state_units={"v": "mV", "g_e": "a.u.", "g_i": "a.u."},
    input_unit="a.u.",
)
