"""Registration only: the hook returns a spec with lazy references."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models():
    return [
        ModelSpec(
            name="qif",
            kind="neuron",
            summary="quadratic integrate-and-fire neuron (example third-party plugin)",
            factory="spikeplug_example_qif.model:MODULES",
            parameters="spikeplug_example_qif.model:QIFParameters",
        )
    ]
