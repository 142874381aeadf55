"""LIF box (``lif_box``): leaky integrate-and-fire neuron without a synaptic current.

Equations, update order and units: :mod:`spikeplug.neurons_builtin.lif_box.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": [
            "LIFBoxParameters",
            "LIFBoxFeedForwardState",
            "LIFBoxState",
            "lif_box_step",
            "lif_box_initial_state",
            "reset_value",
            "reset_subtract",
            "MODEL",
        ],
        ".modules": ["LIFBoxCell", "LIFBox", "LIFBoxRecurrentCell", "LIFBoxRecurrent", "MODULES"],
    },
)
