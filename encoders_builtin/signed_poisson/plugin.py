"""Plugin module of the signed Poisson encoders (entry point ``signed_poisson``): registration only."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="signed_poisson",
            kind="encoder",
            summary="signed rates (a fraction of f_max) to spike trains in {-1, 0, 1} (time first)",
            factory="spikeplug.encoders_builtin.signed_poisson.modules:SignedPoissonEncoder",
            parameters="spikeplug.encoding:RateParameters",
        ),
        ModelSpec(
            name="signed_poisson_step",
            kind="encoder",
            summary="signed rates to one step of spikes in {-1, 0, 1} per call",
            factory="spikeplug.encoders_builtin.signed_poisson.modules:SignedPoissonEncoderStep",
            parameters="spikeplug.encoding:RateStepParameters",
        ),
    ]
