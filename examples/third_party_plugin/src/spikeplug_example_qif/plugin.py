"""Registration only: the hook returns a spec with lazy references."""

from spikeplug.plugins import ModelSpec, NIRMapping, hookimpl

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
        ),
        ModelSpec(
            name="leaky",
            kind="neuron",
            summary="leaky neuron without synapse, exchangeable as NIR's LI (example third-party plugin)",
            factory="spikeplug_example_qif.leaky:MODULES",
            parameters="spikeplug_example_qif.leaky:LeakyParameters",
        ),
    ]


@hookimpl
def spikeplug_nir_mappings():
    # lazy references: registration imports neither nir nor the model
    return [
        NIRMapping(
            model="leaky",
            nir_types=("LI",),
            to_nir="spikeplug_example_qif.nir_mapping:to_nir",
            from_nir="spikeplug_example_qif.nir_mapping:from_nir",
        )
    ]
