"""Plugin module of the refractory LIF family (entry point ``lif_refrac``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="lif_refrac",
            kind="neuron",
            summary="LIF neuron with an absolute refractory period counted in time steps",
            factory="spikeplug.neurons_builtin.lif_refrac.modules:MODULES",
            parameters="spikeplug.neurons_builtin.lif_refrac.model:LIFRefracParameters",
        )
    ]
