"""Registration only: the hook returns a spec with lazy references."""

from spikeplug.plugins import ModelSpec, hookimpl

# the spikeplug versions this plugin was written for; another spikeplug refuses it with this range
SPIKEPLUG_API = ">=0.1,<0.2"


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
