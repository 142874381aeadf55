"""Plugin module of the Izhikevich family (entry point ``izhikevich``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl

# The names of spikeplug.neurons_builtin.izhikevich.presets.PRESET_NAMES, written out so that
# registration imports no model code (tests/test_izhikevich.py checks that they agree).
PRESET_NAMES = (
    "tonic_spiking",
    "phasic_spiking",
    "tonic_bursting",
    "phasic_bursting",
    "mixed_mode",
    "spike_frequency_adaptation",
    "class_1_exc",
    "class_2_exc",
    "spike_latency",
    "subthreshold_oscillation",
    "resonator",
    "integrator",
    "rebound_spike",
    "rebound_burst",
    "threshold_variability",
    "bistability",
    "dap",
    "accomodation",
    "inhibition_induced_spiking",
    "inhibition_induced_bursting",
)


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="izhikevich",
            kind="neuron",
            summary="Izhikevich neuron (quadratic v, recovery u; millisecond time) with the 20 firing-pattern presets",
            factory="spikeplug.neurons_builtin.izhikevich.modules:MODULES",
            parameters="spikeplug.neurons_builtin.izhikevich.model:IzhikevichParameters",
            presets=PRESET_NAMES,
        )
    ]
