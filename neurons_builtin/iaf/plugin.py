"""Plugin module of the integrate-and-fire family (entry point ``iaf``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, NIRMapping, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="iaf",
            kind="neuron",
            summary="integrate-and-fire neuron: perfect integrator with threshold and reset, no leak",
            factory="spikeplug.neurons_builtin.iaf.modules:MODULES",
            parameters="spikeplug.neurons_builtin.iaf.model:IAFParameters",
            presets=("bio",),
        )
    ]


@hookimpl
def spikeplug_nir_mappings() -> list[NIRMapping]:
    return [
        NIRMapping(
            model="iaf",
            nir_types=("IF",),
            to_nir="spikeplug.neurons_builtin.iaf.nir_mapping:to_nir",
            from_nir="spikeplug.neurons_builtin.iaf.nir_mapping:from_nir",
        )
    ]
