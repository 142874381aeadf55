"""Izhikevich neurons (``izhikevich``): quadratic integrate-and-fire with recovery, and the
20 firing-pattern presets (``tonic_spiking``, ``tonic_bursting``, ...; Norse's names).

Equations, update order and units: :mod:`spikeplug.neurons_builtin.izhikevich.model`;
the presets: :mod:`spikeplug.neurons_builtin.izhikevich.presets`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": [
            "IzhikevichParameters", "IzhikevichState", "IzhikevichRecurrentState", "IzhikevichSpikingBehavior",
            "izhikevich_step", "izhikevich_initial_state", "MODEL",
        ],
        ".modules": ["IzhikevichCell", "Izhikevich", "IzhikevichRecurrentCell", "IzhikevichRecurrent", "MODULES"],
        ".presets": [
            "tonic_spiking", "phasic_spiking", "tonic_bursting", "phasic_bursting", "mixed_mode",
            "spike_frequency_adaptation", "class_1_exc", "class_2_exc", "spike_latency",
            "subthreshold_oscillation", "resonator", "integrator", "rebound_spike",
            "rebound_burst", "threshold_variability", "bistability", "dap", "accomodation",
            "inhibition_induced_spiking", "inhibition_induced_bursting", "tonic_spiking_p",
            "phasic_spiking_p", "tonic_bursting_p", "phasic_bursting_p", "mixed_mode_p",
            "spike_frequency_adaptation_p", "class_1_exc_p", "class_2_exc_p", "spike_latency_p",
            "subthreshold_oscillation_p", "resonator_p", "integrator_p", "rebound_spike_p",
            "rebound_burst_p", "threshold_variability_p", "bistability_p", "dap_p",
            "accomodation_p", "inhibition_induced_spiking_p", "inhibition_induced_bursting_p",
            "PRESETS", "PRESET_NAMES", "PRESET_VALUES",
        ],
    },
)
