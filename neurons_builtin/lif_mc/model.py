"""Multicompartment LIF neuron: LIF neurons whose membrane potentials are coupled.

Each neuron of a population of ``n`` is a LIF neuron (:mod:`spikeplug.neurons_builtin.lif.model`:
same parameters, same input-first step, same units); after the LIF step the potentials
of the population are coupled linearly through a matrix ``g_coupling`` of shape
``(n, n)`` (1/s): neuron ``j`` receives ``dt · Σ_k g_coupling[j, k] · v_k``.

One step of ``dt`` seconds, in the reference order of the recurrent MC step::

    (z, v_l, i') = LIF step on (v, i) with input I     see the lif family, incl. the reset
    v'           = v_l + dt · (v_l · g_couplingᵀ)      coupling after the reset

The coupling acts on the post-reset potential and is not re-thresholded: a coupled
potential above ``v_th`` spikes on the next step. The recurrent forms use
``I = x·W_inᵀ + z_prev·W_recᵀ`` and detach ``z`` in the reset by default (as the
reference's recurrent MC step, which wraps the recurrent LIF step); the feed-forward
forms keep the reset differentiable (``detach_reset`` switches either way). The state is
the LIF family's: ``LIFFeedForwardState(v, i)`` and ``LIFState(z, v, i)``, starting at
``v = v_leak``, ``i = 0``.

``g_coupling`` is a parameter field that defaults to ``None``. The recurrent forms
(``LIFMCRecurrentCell``, ``LIFMCRecurrent``, the only forms, as in the reference) then
create it as a learnable ``nn.Parameter`` ``randn(hidden, hidden) / sqrt(hidden)``
(Norse's default); a given matrix must have shape ``(hidden_size, hidden_size)`` and is
used as a buffer unless ``learnable=("g_coupling",)``.

Differences from Norse (1.1.0 and main):

* Only the recurrent forms exist, as in Norse's modules. Norse's functional
  feed-forward MC step (coupling *before* the LIF step) has no counterpart.
* ``g_coupling`` lives in the parameter object (``LIFMCParameters``, which derives from
  ``LIFParameters``) rather than as a separate constructor argument; it is still a
  module parameter the optimiser sees.
* Initial state: full-shape tensors in the input's dtype (as Norse's MC cell).
* Out of scope: the refractory MC variant (Norse's ``LIFMCRefracRecurrentCell``).
"""

from __future__ import annotations

import math

import torch
from torch.nn.functional import linear

import spikeplug
from spikeplug.neurons_builtin.lif.model import (
    LIFFeedForwardState,
    LIFParameters,
    LIFState,
    lif_step,
)


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(positional=("tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha"))
class LIFMCParameters(LIFParameters):
    """Parameters of the multicompartment LIF neuron: the LIF parameters and the coupling."""

    g_coupling: torch.Tensor | None = spikeplug.param(
        None,
        unit="1/s",
        doc="coupling matrix (n, n) of the potentials; None: randn(n, n)/sqrt(n) per layer",
        validator=spikeplug.finite(),
        rate=False,  # a matrix: its Euler bound is on its eigenvalues, not on its largest element
    )


def _check_coupling(g: torch.Tensor, n: int, what: str) -> None:
    if g.dim() != 2 or tuple(g.shape) != (n, n):
        raise spikeplug.ParameterError(
            f"LIFMCParameters.g_coupling must have shape ({what}, {what}) = ({n}, {n}), got {tuple(g.shape)}"
        )


def lif_mc_coupling(p: LIFMCParameters, input_size: int, hidden_size: int) -> dict[str, torch.Tensor]:
    """The size-dependent default of ``g_coupling`` (``randn(h, h) / sqrt(h)``) when it is
    ``None``; checks the shape of a given one."""
    if p.g_coupling is not None:
        _check_coupling(p.g_coupling, hidden_size, "hidden_size")
        return {}
    return {"g_coupling": torch.randn(hidden_size, hidden_size) / math.sqrt(hidden_size)}


def lif_mc_step(
    input: torch.Tensor, state: LIFFeedForwardState, p: LIFMCParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, LIFFeedForwardState]:
    """One step of the multicompartment LIF neuron (LIF step, then coupling); returns ``(z, new_state)``."""
    g = p.g_coupling
    if g is None:
        raise spikeplug.ParameterError(
            "LIFMCParameters.g_coupling is None; pass g_coupling=<tensor of shape (n, n)> for n neurons "
            "(the recurrent modules create one of shape (hidden_size, hidden_size))"
        )
    _check_coupling(g, state.v.shape[-1], "n")
    z, (v_l, i_n) = lif_step(input, state, p, detach_reset=detach_reset)
    v_n = v_l + p.dt * linear(v_l, g)                           # coupling after the reset, no re-threshold
    return z, LIFFeedForwardState(v_n, i_n)


#: Rest, as the LIF neuron: ``v = v_leak``, ``i = 0``.
lif_mc_initial_state = spikeplug.RestState(LIFFeedForwardState, {"v": "v_leak"})


MODEL = spikeplug.NeuronModel(
    name="lif_mc",
    parameters=LIFMCParameters,
    state=LIFFeedForwardState,
    recurrent_state=LIFState,
    step=lif_mc_step,
    initial_state=lif_mc_initial_state,
    recurrent_detach_reset=True,
    recurrent_parameters=lif_mc_coupling,
    state_units={"v": "a.u.", "i": "a.u."},
    input_unit="a.u.",
)
