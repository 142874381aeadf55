"""Leaky integrate-and-fire neurons with a refractory period (``lif_refrac``).

Equations, update order and units: :mod:`spikeplug.neurons_builtin.lif_refrac.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": [
            "LIFRefracParameters",
            "LIFRefracFeedForwardState",
            "LIFRefracState",
            "lif_refrac_step",
            "lif_refrac_initial_state",
            "MODEL",
        ],
        ".modules": ["LIFRefracCell", "LIFRefrac", "LIFRefracRecurrentCell", "LIFRefracRecurrent", "MODULES"],
    },
)
