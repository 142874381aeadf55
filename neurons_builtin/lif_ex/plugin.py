"""Plugin module of the LIF-Ex family (entry point ``lif_ex``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lif_ex",
            kind="neuron",
            summary="exponential leaky integrate-and-fire neuron with a current-based synapse",
            factory="spikeplug.neurons_builtin.lif_ex.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lif_ex.model:LIFExParameters",
            presets=("bio",),
        )
    ]
