"""Norse's Izhikevich spelling: spiking behaviours as ``(p, s)`` pairs.

Norse pairs a preset's parameters with an initial state (``IzhikevichSpikingBehavior(p,
s)``) and its modules take that pair (``IzhikevichCell(tonic_spiking)``). spikeplug keeps
the initial condition in the parameters (``v_init``, ``u_init``) and its modules take
parameters. This module converts between the two; the model, its presets and its step
are spikeplug's own (:mod:`spikeplug.neurons_builtin.izhikevich`, reached through the
registry).

Each access to a preset name (``spikeplug.norse.tonic_spiking``) builds a *new* pair
with fresh 0-dim state tensors, so no code can change a preset for everyone else (Norse's
presets are module-level objects whose tensors its modules modify).
"""

from __future__ import annotations

from typing import Any

import torch

import spikeplug

from ._adapters import model

FAMILY = "izhikevich:izhikevich"

#: Norse's 20 behaviours, in its order (``accomodation`` spelled as Norse spells it)
PRESETS = (
    "tonic_spiking", "phasic_spiking", "tonic_bursting", "phasic_bursting", "mixed_mode",
    "spike_frequency_adaptation", "class_1_exc", "class_2_exc", "spike_latency", "subthreshold_oscillation",
    "resonator", "integrator", "rebound_spike", "rebound_burst", "threshold_variability", "bistability", "dap",
    "accomodation", "inhibition_induced_spiking", "inhibition_induced_bursting",
)


def _modules() -> Any:
    return spikeplug.registry.factory(FAMILY)


def _behavior_type() -> type:
    """``IzhikevichSpikingBehavior`` of the family (the ``(p, s)`` NamedTuple)."""
    from spikeplug.neurons_builtin.izhikevich import IzhikevichSpikingBehavior

    return IzhikevichSpikingBehavior


def preset_parameters(name: str) -> Any:
    """``<name>_p``: the preset's parameter object (spikeplug's, with ``v_init``/``u_init``)."""
    return _modules().parameters(name)


def behavior_of(p: Any) -> Any:
    """``(p, s)`` with ``s`` new 0-dim tensors at ``p.v_init``, ``p.u_init`` (float32)."""
    return _behavior_type().of(p, ())


def preset_behavior(name: str) -> Any:
    """``<name>``: the preset as Norse's ``(p, s)`` pair, built anew on each call."""
    return behavior_of(preset_parameters(name))


def create_izhikevich_spiking_behavior(
    a: float, b: float, c: float, d: float, v_rest: float, u_rest: float, tau_inv: float = 250
) -> Any:
    """A custom behaviour ``(p, s)``: ``s.v = v_rest`` and ``s.u = b·u_rest`` (Norse's rule:
    ``u_rest`` is scaled by ``b``), also stored in ``p.v_init``/``p.u_init`` so that
    spikeplug's modules start there."""
    u0 = torch.tensor(u_rest) * b                           # float32, as Norse computes it
    # p.u_init to 10 decimals: b·u_rest in binary is an ulp off the decimal preset values (0.26·−62)
    a, b, c, d, tau_inv = (float(value) for value in (a, b, c, d, tau_inv))  # floats, as the presets hold
    p = model("izhikevich").parameters(
        a=a, b=b, c=c, d=d, tau_inv=tau_inv, v_init=float(v_rest), u_init=round(float(u_rest) * b, 10)
    )
    return _behavior_type()(p, model("izhikevich").state(torch.tensor(float(v_rest)), u0))


def _number(t: Any) -> Any:
    """A 0-dim tensor of an initial state as a float (a per-neuron one stays a tensor)."""
    return float(t.detach()) if isinstance(t, torch.Tensor) and t.dim() == 0 else t


def parameters_of(spiking_method: Any) -> Any:
    """spikeplug parameters from Norse's ``spiking_method``: a ``(p, s)`` pair (``s`` becomes
    ``v_init``/``u_init``) or a parameter object as it is."""
    cls = model("izhikevich").parameters
    if isinstance(spiking_method, cls):
        return spiking_method
    if isinstance(spiking_method, tuple) and len(spiking_method) == 2 and isinstance(spiking_method[0], cls):
        p, s = spiking_method
        return p._replace(v_init=_number(s[0]), u_init=_number(s[1]))
    raise spikeplug.ParameterError(
        f"spiking_method must be an IzhikevichSpikingBehavior (p, s) such as spikeplug.norse.tonic_spiking, or "
        f"IzhikevichParameters, got {type(spiking_method).__name__}: {spiking_method!r}"
    )


def _form(form: str, sized: bool) -> type:
    """Norse's module ``form`` taking ``spiking_method``: a subclass of spikeplug's that
    converts it to parameters and changes nothing else."""
    from ._forms import norse_form

    base = norse_form(getattr(_modules(), form))

    if sized:

        def __init__(self: Any, input_size: int, hidden_size: int, spiking_method: Any, **kwargs: Any) -> None:
            base.__init__(self, input_size, hidden_size, parameters_of(spiking_method), **kwargs)

    else:

        def __init__(self: Any, spiking_method: Any, **kwargs: Any) -> None:  # type: ignore[misc]
            base.__init__(self, parameters_of(spiking_method), **kwargs)

    name = base.__name__
    doc = (
        f"spikeplug's :class:`{base.__module__}.{name}` taking Norse's ``spiking_method`` (a ``(p, s)`` "
        f"behaviour such as ``spikeplug.norse.tonic_spiking``, or parameters) in place of ``p``."
    )
    return type(name, (base,), {"__init__": __init__, "__module__": "spikeplug.norse", "__qualname__": name, "__doc__": doc})


IzhikevichCell = _form("cell", sized=False)
Izhikevich = _form("layer", sized=False)
IzhikevichRecurrentCell = _form("recurrent_cell", sized=True)
IzhikevichRecurrent = _form("recurrent", sized=True)
