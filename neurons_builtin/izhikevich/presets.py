"""The 20 firing patterns of Izhikevich (2004) as frozen parameter objects.

Values are those of the reference (Norse 1.1.0 ``norse.torch.functional.izhikevich``),
including its spelling ``accomodation``. Each preset is an :class:`IzhikevichParameters`
object whose ``v_init``/``u_init`` are the preset's initial state (``u_init = b·v_init``
except ``accomodation``); fields not listed take the class defaults (sq 0.04, mn 5,
bias 140, v_th 30, tau_inv 250).

Use a preset as the parameters of any form, or by name through the registry (keywords
override the preset's values):

>>> import spikeplug
>>> from spikeplug.neurons_builtin.izhikevich import IzhikevichCell, tonic_bursting
>>> IzhikevichCell(tonic_bursting).p.c
-50.0
>>> cell = spikeplug.create("izhikevich", form="cell", preset="tonic_bursting", d=3.0)
>>> cell.p.c, cell.p.d
(-50.0, 3.0)

The objects are frozen, and modules build their initial states as new tensors, so using
a preset never changes it (Norse's presets share state tensors that its modules modify).
``<name>_p`` (Norse's name for a preset's parameters) is the same object as ``<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .model import IzhikevichParameters


def _preset(
    a: float, b: float, c: float, d: float, v_init: float, u_init: float, **other: float
) -> Mapping[str, Any]:
    """One preset's field values, in the order of the reference's table (u_init written out:
    ``b·v_init`` computed in float64 would be off by an ulp, e.g. 0.26·−61 ≠ −15.86)."""
    return MappingProxyType({"a": a, "b": b, "c": c, "d": d, "v_init": v_init, "u_init": u_init, **other})


#: preset name -> field values (read-only at both levels); the registry's ``preset=`` uses these.
PRESET_VALUES = MappingProxyType({
    "tonic_spiking": _preset(0.02, 0.2, -65.0, 6.0, -70.0, -14.0),
    "phasic_spiking": _preset(0.02, 0.25, -65.0, 6.0, -64.0, -16.0),
    "tonic_bursting": _preset(0.02, 0.2, -50.0, 2.0, -70.0, -14.0),
    "phasic_bursting": _preset(0.02, 0.25, -55.0, 0.05, -64.0, -16.0, tau_inv=200.0),
    "mixed_mode": _preset(0.02, 0.2, -55.0, 4.0, -70.0, -14.0),
    "spike_frequency_adaptation": _preset(0.01, 0.2, -65.0, 8.0, -70.0, -14.0),
    "class_1_exc": _preset(0.02, -0.1, -55.0, 6.0, -60.0, 6.0, mn=4.1, bias=108.0),
    "class_2_exc": _preset(0.2, 0.26, -65.0, 0.0, -64.0, -16.64),
    "spike_latency": _preset(0.02, 0.2, -65.0, 6.0, -70.0, -14.0),
    "subthreshold_oscillation": _preset(0.05, 0.26, -60.0, 0.0, -62.0, -16.12),
    "resonator": _preset(0.1, 0.26, -60.0, -1.0, -62.0, -16.12),
    "integrator": _preset(0.02, -0.1, -55.0, 6.0, -60.0, 6.0, mn=4.1, bias=108.0),
    "rebound_spike": _preset(0.03, 0.25, -60.0, 4.0, -64.0, -16.0, tau_inv=200.0),
    "rebound_burst": _preset(0.03, 0.25, -52.0, 0.0, -64.0, -16.0, tau_inv=200.0),
    "threshold_variability": _preset(0.03, 0.25, -60.0, 4.0, -64.0, -16.0),
    "bistability": _preset(0.1, 0.26, -60.0, 0.0, -61.0, -15.86),
    "dap": _preset(1.0, 0.2, -60.0, -21.0, -70.0, -14.0, tau_inv=100.0),
    "accomodation": _preset(0.02, 1.0, -55.0, 4.0, -65.0, -16.0, tau_inv=500.0),
    "inhibition_induced_spiking": _preset(-0.02, -1.0, -60.0, 8.0, -63.8, 63.8),
    "inhibition_induced_bursting": _preset(-0.026, -1.0, -45.0, -2.0, -63.8, 63.8),
})

#: the preset names, in the reference's order
PRESET_NAMES: tuple[str, ...] = tuple(PRESET_VALUES)

tonic_spiking = IzhikevichParameters(**PRESET_VALUES["tonic_spiking"])
phasic_spiking = IzhikevichParameters(**PRESET_VALUES["phasic_spiking"])
tonic_bursting = IzhikevichParameters(**PRESET_VALUES["tonic_bursting"])
phasic_bursting = IzhikevichParameters(**PRESET_VALUES["phasic_bursting"])
mixed_mode = IzhikevichParameters(**PRESET_VALUES["mixed_mode"])
spike_frequency_adaptation = IzhikevichParameters(**PRESET_VALUES["spike_frequency_adaptation"])
class_1_exc = IzhikevichParameters(**PRESET_VALUES["class_1_exc"])
class_2_exc = IzhikevichParameters(**PRESET_VALUES["class_2_exc"])
spike_latency = IzhikevichParameters(**PRESET_VALUES["spike_latency"])
subthreshold_oscillation = IzhikevichParameters(**PRESET_VALUES["subthreshold_oscillation"])
resonator = IzhikevichParameters(**PRESET_VALUES["resonator"])
integrator = IzhikevichParameters(**PRESET_VALUES["integrator"])
rebound_spike = IzhikevichParameters(**PRESET_VALUES["rebound_spike"])
rebound_burst = IzhikevichParameters(**PRESET_VALUES["rebound_burst"])
threshold_variability = IzhikevichParameters(**PRESET_VALUES["threshold_variability"])
bistability = IzhikevichParameters(**PRESET_VALUES["bistability"])
dap = IzhikevichParameters(**PRESET_VALUES["dap"])
accomodation = IzhikevichParameters(**PRESET_VALUES["accomodation"])
inhibition_induced_spiking = IzhikevichParameters(**PRESET_VALUES["inhibition_induced_spiking"])
inhibition_induced_bursting = IzhikevichParameters(**PRESET_VALUES["inhibition_induced_bursting"])

# Norse's names for the parameters of each preset: the same objects.
tonic_spiking_p = tonic_spiking
phasic_spiking_p = phasic_spiking
tonic_bursting_p = tonic_bursting
phasic_bursting_p = phasic_bursting
mixed_mode_p = mixed_mode
spike_frequency_adaptation_p = spike_frequency_adaptation
class_1_exc_p = class_1_exc
class_2_exc_p = class_2_exc
spike_latency_p = spike_latency
subthreshold_oscillation_p = subthreshold_oscillation
resonator_p = resonator
integrator_p = integrator
rebound_spike_p = rebound_spike
rebound_burst_p = rebound_burst
threshold_variability_p = threshold_variability
bistability_p = bistability
dap_p = dap
accomodation_p = accomodation
inhibition_induced_spiking_p = inhibition_induced_spiking
inhibition_induced_bursting_p = inhibition_induced_bursting

#: preset name -> parameter object
PRESETS: MappingProxyType[str, IzhikevichParameters] = MappingProxyType(
    {name: globals()[name] for name in PRESET_NAMES}
)
