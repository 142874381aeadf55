"""Plugin module of the LIF box family (entry point ``lif_box``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, NIRMapping, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lif_box",
            kind="neuron",
            summary="leaky integrate-and-fire neuron without synaptic current, reset to a value or by subtraction",
            factory="spikeplug.neurons_builtin.lif_box.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lif_box.model:LIFBoxParameters",
        )
    ]


@hookimpl
def spikeplug_nir_mappings() -> list[NIRMapping]:
    return [
        NIRMapping(
            model="lif_box",
            nir_types=("LIF",),
            to_nir="spikeplug.neurons_builtin.lif_box.nir_mapping:to_nir",
            from_nir="spikeplug.neurons_builtin.lif_box.nir_mapping:from_nir",
        )
    ]
