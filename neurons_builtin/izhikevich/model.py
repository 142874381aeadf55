"""Izhikevich neuron: quadratic membrane potential with a linear recovery variable.

Continuous dynamics (Izhikevich 2003; time ``t`` in ms, ``v`` in mV)::

    dv/dt = sq·v² + mn·v + bias − u + I
    du/dt = a · (b·v − u)
    z = Θ(v − v_th);  on a spike v ← c, u ← u + d

One forward-Euler step of ``h = tau_inv · dt`` *milliseconds*, in the reference order
(both updates read the old ``v`` and ``u``; the input enters the voltage update of the
same step)::

    v_d = v + h · (sq·v² + mn·v + bias − u + I)   voltage update
    u_d = u + h · a · (b·v − u)                    recovery update (old v, old u)
    z   = Θ(v_d − v_th)                            strict: no spike at v_d == v_th
    v'  = (1 − z) · v_d + z · c                    reset of v
    u'  = u_d + z · d                              jump of u (the reference writes
                                                   (1 − z)·u_d + z·(u_d + d): same
                                                   values and gradients)

Units. Izhikevich keeps its own millisecond convention (an exception to spikeplug's SI
units): ``dt`` is in seconds like every other family, and ``tau_inv`` (ms of model time
per second of ``dt``) turns it into the step in ms, ``h = tau_inv · dt``; the defaults
``dt = 0.001`` and ``tau_inv = 250`` give ``h = 0.25`` ms. Izhikevich calls ``a``–``d``
dimensionless; read with ``t`` in ms and ``v`` in mV, the right-hand side of the voltage
equation is in mV/ms, hence the units of ``u``, ``d``, ``bias`` and the input current
``I`` (mV/ms) and of ``a``, ``b``, ``mn`` (1/ms) listed with the parameters.

Initial state. ``v_init`` and ``u_init`` are parameters: the initial conditions belong to
the firing pattern, so each of the 20 presets (:mod:`spikeplug.neurons_builtin.izhikevich.presets`)
is simply a parameter object. The defaults are the ``tonic_spiking`` preset
(a = 0.02, b = 0.2, c = −65 mV, d = 6 mV/ms, v_init = −70 mV, u_init = b·v_init = −14),
so ``spikeplug.create("izhikevich")`` gives a regular-spiking neuron. ``u_init`` is its
own number: changing ``b`` or ``v_init`` does not change it.

The recurrent forms use ``I = x·W_inᵀ + z_prev·W_recᵀ``; no form detaches the reset by
default (as the reference; ``detach_reset`` detaches ``z`` in both the reset of ``v``
and the jump of ``u``).

Deliberate differences from Norse:

* Initial states are fresh full-shape tensors built from ``v_init``/``u_init`` that do
  not require grad. Norse's presets hold 0-dim state tensors created once at import
  (``v`` with ``requires_grad=True``) that every module using the preset shares, and
  its cell sets ``requires_grad`` on them. Pass a state to get gradients with respect
  to it.
* ``a, b, c, d`` have defaults (the tonic-spiking values); Norse requires them.
* The modules take the parameter object (``IzhikevichCell(tonic_spiking)``, or
  ``IzhikevichCell(p=tonic_spiking, dt=...)``), not a spiking behaviour ``(p, s)``:
  the initial state is part of the parameters. :class:`IzhikevichSpikingBehavior`
  still pairs parameters with an initial state for code that wants one.
* The ``accomodation`` preset's ``u_init`` is the float −16 (Norse: an int64 tensor).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

import spikeplug
from spikeplug import finite, param, positive


# positional order: Norse 1.1.0's field order, so code that builds parameters by position ports as is
@spikeplug.parameters(positional=("a", "b", "c", "d", "sq", "mn", "bias", "v_th", "tau_inv", "method", "alpha"))
class IzhikevichParameters(spikeplug.SpikingParameters):
    """Parameters of the Izhikevich neuron (defaults: the ``tonic_spiking`` preset).

    The Euler step is ``tau_inv · dt`` milliseconds (0.25 ms with the defaults).
    """

    a: float = param(0.02, unit="1/ms", doc="recovery rate of u (time scale 1/a)", validator=finite())
    b: float = param(0.2, unit="1/ms", doc="sensitivity of u to v", validator=finite())
    c: float = param(-65.0, unit="mV", doc="potential after a spike (reset of v)", validator=finite())
    d: float = param(6.0, unit="mV/ms", doc="jump of u after a spike", validator=finite())
    sq: float = param(0.04, unit="1/(mV·ms)", doc="coefficient of v² in dv/dt", validator=finite())
    mn: float = param(5.0, unit="1/ms", doc="coefficient of v in dv/dt", validator=finite())
    bias: float = param(140.0, unit="mV/ms", doc="constant term of dv/dt", validator=finite())
    v_th: float = param(30.0, unit="mV", doc="spike cutoff: a spike when v exceeds it", validator=finite())
    tau_inv: float = param(
        250.0, unit="ms/s", doc="model milliseconds per second of dt: the step is tau_inv·dt ms", validator=positive()
    )
    v_init: float = param(-70.0, unit="mV", doc="initial condition of v", validator=finite())
    u_init: float = param(-14.0, unit="mV/ms", doc="initial condition of u (the presets mostly use b·v_init)",
                          validator=finite())


class IzhikevichState(NamedTuple):
    """State of a feed-forward Izhikevich population: membrane potential ``v``, recovery ``u``."""

    v: torch.Tensor
    u: torch.Tensor


class IzhikevichRecurrentState(NamedTuple):
    """State of a recurrent Izhikevich population: last spikes ``z``, ``v`` and ``u``."""

    z: torch.Tensor
    v: torch.Tensor
    u: torch.Tensor


def izhikevich_step(
    input: torch.Tensor, state: IzhikevichState, p: IzhikevichParameters, *, detach_reset: bool = False
) -> tuple[torch.Tensor, IzhikevichState]:
    """One Euler step of ``tau_inv · dt`` ms of the Izhikevich neuron; returns ``(z, new_state)``."""
    v, u = state
    h = p.tau_inv * p.dt                                            # step in ms
    v_d = v + h * (p.sq * v**2 + p.mn * v + p.bias - u + input)     # voltage update
    u_d = u + h * p.a * (p.b * v - u)                               # recovery update, old v and u
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)        # strict threshold, surrogate backward
    z_r = z.detach() if detach_reset else z                         # detached in the reset and the jump alike
    v_n = spikeplug.reset_value(z_r, v_d, p.c)                      # reset of v
    u_n = u_d + z_r * p.d                                           # jump of u
    return z, IzhikevichState(v_n, u_n)


#: The preset's initial conditions: ``v = v_init``, ``u = u_init`` (fresh full-shape tensors).
izhikevich_initial_state = spikeplug.RestState(IzhikevichState, {"v": "v_init", "u": "u_init"})


class IzhikevichSpikingBehavior(NamedTuple):
    """Parameters ``p`` paired with an initial state ``s`` (Norse's name for a preset).

    In spikeplug the initial state is part of ``p`` (``v_init``, ``u_init``) and the
    modules take ``p`` alone; this pairing is for code that steps
    :func:`izhikevich_step` by hand. Build one with :meth:`of`, which makes a fresh state
    each call.
    """

    p: IzhikevichParameters
    s: IzhikevichState

    @classmethod
    def of(
        cls,
        p: IzhikevichParameters,
        shape: tuple[int, ...] = (),
        dtype: torch.dtype = torch.float32,
        device: Any = None,
    ) -> IzhikevichSpikingBehavior:
        """``p`` with a new initial state of ``shape`` built from ``p.v_init``, ``p.u_init``."""
        return cls(p, izhikevich_initial_state(tuple(shape), p, dtype, device))


MODEL = spikeplug.NeuronModel(
    name="izhikevich",
    parameters=IzhikevichParameters,
    state=IzhikevichState,
    recurrent_state=IzhikevichRecurrentState,
    step=izhikevich_step,
    initial_state=izhikevich_initial_state,
    state_units={"v": "mV", "u": "mV/ms"},
    input_unit="mV/ms",
)
