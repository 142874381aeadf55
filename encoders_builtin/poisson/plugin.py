"""Plugin module of the Poisson encoders (entry point ``poisson``): registration only."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="poisson",
            kind="encoder",
            summary="rates (a fraction of f_max) to Poisson spike trains (time first)",
            factory="spikeplug.encoders_builtin.poisson.modules:PoissonEncoder",
            parameters="spikeplug.encoding:RateParameters",
        ),
        ModelSpec(
            name="poisson_step",
            kind="encoder",
            summary="rates to one step of Poisson spikes per call",
            factory="spikeplug.encoders_builtin.poisson.modules:PoissonEncoderStep",
            parameters="spikeplug.encoding:RateStepParameters",
        ),
    ]
