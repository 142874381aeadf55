"""Plugin module of the constant-current LIF encoder (entry point ``constant_current_lif``): registration only."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="constant_current_lif",
            kind="encoder",
            summary="constant currents to the spike trains of LIF neurons (time first)",
            factory="spikeplug.encoders_builtin.constant_current_lif.modules:ConstantCurrentLIFEncoder",
            # the encoder takes the LIF family's parameters (and its step, through the registry)
            parameters="spikeplug.neurons_builtin.lif.model:LIFParameters",
        )
    ]
