"""Plugin module of the CobaLIF family (entry point ``coba_lif``): registration only, no model code."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="coba_lif",
            kind="neuron",
            summary="conductance-based leaky integrate-and-fire neuron (potentials in mV)",
            factory="spikeplug.neurons_builtin.coba_lif.modules:MODULES",
            parameters="spikeplug.neurons_builtin.coba_lif.model:CobaLIFParameters",
        )
    ]
