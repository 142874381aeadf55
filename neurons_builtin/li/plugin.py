"""Plugin module of the leaky-integrator family (entry point ``li``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, NIRMapping, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="li",
            kind="neuron",
            summary="leaky integrator: LIF membrane and synapse without spikes, outputs the voltage",
            factory="spikeplug.neurons_builtin.li.modules:MODULES",
            parameters="spikeplug.neurons_builtin.li.model:LIParameters",
            presets=("bio",),
        )
    ]


@hookimpl
def spikeplug_nir_mappings() -> list[NIRMapping]:
    return [
        NIRMapping(
            model="li",
            nir_types=("CubaLI", "LI"),
            to_nir="spikeplug.neurons_builtin.li.nir_mapping:to_nir",
            from_nir="spikeplug.neurons_builtin.li.nir_mapping:from_nir",
        )
    ]
