"""Plugin module of the multicompartment LIF family (entry point ``lif_mc``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lif_mc",
            kind="neuron",
            summary="multicompartment LIF neurons: potentials coupled through a learnable matrix",
            factory="spikeplug.neurons_builtin.lif_mc.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lif_mc.model:LIFMCParameters",
        )
    ]
