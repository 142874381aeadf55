"""Plugin module of the LSNN family (entry point ``lsnn``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lsnn",
            kind="neuron",
            summary="LIF neuron with an adaptive threshold (long short-term memory SNN)",
            factory="spikeplug.neurons_builtin.lsnn.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lsnn.model:LSNNParameters",
        )
    ]
