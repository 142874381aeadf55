"""Exponential leaky integrate-and-fire neurons (``lif_ex``) with a current-based synapse.

Equations, update order and units: :mod:`spikeplug.neurons_builtin.lif_ex.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": [
            "LIFExParameters",
            "LIFExFeedForwardState",
            "LIFExState",
            "lif_ex_step",
            "lif_ex_initial_state",
            "MODEL",
        ],
        ".modules": ["LIFExCell", "LIFEx", "LIFExRecurrentCell", "LIFExRecurrent", "MODULES"],
    },
)
