"""Plugin module of the LIF family (entry point ``lif``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


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
