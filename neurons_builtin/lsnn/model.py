"""Long short-term memory spiking neuron (LSNN): a LIF neuron with an adaptive threshold.

Continuous dynamics (inverse time constants in 1/s, potentials in normalised units)::

    dv/dt = tau_mem_inv · ((v_leak − v) + i)
    di/dt = −tau_syn_inv · i
    db/dt = tau_adapt_inv · (v_th − b)
    z = Θ(v − b);  on a spike v ← v_reset and b ← b + beta

``b`` is the *absolute* threshold: it starts at ``v_th``, jumps by ``beta`` on every
spike and relaxes back towards ``v_th``.

One forward-Euler step of ``dt`` seconds, in the reference order. Unlike the other LIF
families, LSNN keeps Norse's *old* order: the voltage integrates the current of the
previous step and the input jump comes *after* the spike, so an input reaches ``v`` one
step later::

    v_d = v + dt · tau_mem_inv · ((v_leak − v) + i)   old current
    i_d = i − dt · tau_syn_inv · i                    synaptic decay
    b_d = b + dt · tau_adapt_inv · (v_th − b)         threshold relaxes towards v_th
    z   = Θ(v_d − b_d)                                strict: no spike at v_d == b_d
    v'  = (1 − z) · v_d + z · v_reset                 reset
    b'  = b_d + z · beta                              adaptation jump
    i'  = i_d + I                                     input jump, after the spike

The recurrent forms use ``I = x·W_inᵀ + z_prev·W_recᵀ`` (``z_prev`` the spikes of the
previous step) and detach ``z`` in the reset *and* the adaptation jump by default, as
the reference does; the feed-forward forms keep both differentiable (``detach_reset``
switches either way).

Initial state: ``v = v_leak``, ``i = 0``, ``b = v_th``, all full-shape tensors (Norse's
cells keep ``b`` as a 0-dim tensor that broadcasts on the first step; the values are
the same).

Differences from Norse (1.1.0 and main): none in the forward values. The defaults
reproduce Norse's, including ``tau_adapt_inv = 1/800`` 1/s (an adaptation time constant
of 800 s with ``dt`` in seconds; pass a larger value for adaptation on a behavioural time
scale). Norse's modules take ``adjoint=``; the adjoint gradients are out of scope here.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(
    positional=(
        "tau_syn_inv", "tau_mem_inv", "tau_adapt_inv", "v_leak", "v_th", "v_reset", "beta", "method",
        "alpha",
    )
)
class LSNNParameters(spikeplug.SpikingParameters):
    """Parameters of the LSNN neuron (defaults: τ_syn = 5 ms, τ_mem = 10 ms, τ_adapt = 800 s)."""

    tau_syn_inv: float = param(200.0, unit="1/s", doc="inverse synaptic time constant", validator=positive())
    tau_mem_inv: float = param(100.0, unit="1/s", doc="inverse membrane time constant", validator=positive())
    tau_adapt_inv: float = param(
        1.0 / 800.0, unit="1/s", doc="inverse time constant of the threshold's relaxation to v_th", validator=positive()
    )
    v_leak: float = param(0.0, unit="a.u.", doc="leak (resting) potential", validator=finite())
    v_th: float = param(
        1.0, unit="a.u.", doc="resting spike threshold (initial and relaxation value of b)", validator=finite()
    )
    v_reset: float = param(0.0, unit="a.u.", doc="potential after a spike", validator=finite())
    beta: float = param(1.8, unit="a.u.", doc="increase of the threshold b per spike", validator=finite())


class LSNNFeedForwardState(NamedTuple):
    """State of a feed-forward LSNN population: potential ``v``, current ``i``, threshold ``b``."""

    v: torch.Tensor
    i: torch.Tensor
    b: torch.Tensor


class LSNNState(NamedTuple):
    """State of a recurrent LSNN population: last spikes ``z``, ``v``, ``i`` and ``b``."""

    z: torch.Tensor
    v: torch.Tensor
    i: torch.Tensor
    b: torch.Tensor


def lsnn_step(
    input: torch.Tensor, state: LSNNFeedForwardState, p: LSNNParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LSNNFeedForwardState]:
    """One Euler step of the LSNN neuron (input jump after the spike); returns ``(z, new_state)``."""
    v, i, b = state
    v_d = v + p.dt * p.tau_mem_inv * ((p.v_leak - v) + i)      # integrates the previous step's current
    i_d = i - p.dt * p.tau_syn_inv * i                          # synaptic decay
    b_d = b + p.dt * p.tau_adapt_inv * (p.v_th - b)             # threshold relaxes towards v_th
    z = spikeplug.threshold(v_d - b_d, p.method, p.alpha)       # strict threshold, surrogate backward
    z_r = z.detach() if detach_reset else z                     # detached in the reset and the jump alike
    v_n = spikeplug.reset_value(z_r, v_d, p.v_reset)            # reset
    b_n = b_d + z_r * p.beta                                    # adaptation jump
    i_n = i_d + input                                           # input jump, one step late (reference order)
    return z, LSNNFeedForwardState(v_n, i_n, b_n)


#: Rest: ``v = v_leak``, ``i = 0``, threshold ``b = v_th``.
lsnn_initial_state = spikeplug.RestState(LSNNFeedForwardState, {"v": "v_leak", "b": "v_th"})


MODEL = spikeplug.NeuronModel(
    name="lsnn",
    parameters=LSNNParameters,
    state=LSNNFeedForwardState,
    recurrent_state=LSNNState,
    step=lsnn_step,
    initial_state=lsnn_initial_state,
    recurrent_detach_reset=True,
    state_units={"v": "a.u.", "i": "a.u.", "b": "a.u."},
    input_unit="a.u.",
)
