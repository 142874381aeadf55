"""Plugin module of the LIF family (entry point ``lif``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, NIRMapping, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lif",
            kind="neuron",
            summary="leaky integrate-and-fire neuron with a current-based synapse",
            factory="spikeplug.neurons_builtin.lif.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lif.model:LIFParameters",
            presets=("bio",),
        )
    ]


@hookimpl
def spikeplug_nir_mappings() -> list[NIRMapping]:
    return [
        NIRMapping(
            model="lif",
            nir_types=("CubaLIF",),
            to_nir="spikeplug.neurons_builtin.lif.nir_mapping:to_nir",
            from_nir="spikeplug.neurons_builtin.lif.nir_mapping:from_nir",
        )
    ]
