"""Plugin module of the population encoder (entry point ``population``): registration only."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="population",
            kind="encoder",
            summary="values to the graded responses of a population with Gaussian tuning curves",
            factory="spikeplug.encoders_builtin.population.modules:PopulationEncoder",
            parameters="spikeplug.encoders_builtin.population.model:PopulationParameters",
        )
    ]
