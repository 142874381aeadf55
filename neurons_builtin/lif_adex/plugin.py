"""Plugin module of the AdEx family (entry point ``lif_adex``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lif_adex",
            kind="neuron",
            summary="adaptive exponential leaky integrate-and-fire neuron (AdEx) with a current-based synapse",
            factory="spikeplug.neurons_builtin.lif_adex.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lif_adex.model:LIFAdExParameters",
            presets=("bio",),
        )
    ]
