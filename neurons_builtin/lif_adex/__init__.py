"""Adaptive exponential leaky integrate-and-fire neurons (``lif_adex``).

Equations, update order and units: :mod:`spikeplug.neurons_builtin.lif_adex.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": [
            "LIFAdExParameters",
            "LIFAdExFeedForwardState",
            "LIFAdExState",
            "lif_adex_step",
            "lif_adex_initial_state",
            "MODEL",
        ],
        ".modules": ["LIFAdExCell", "LIFAdEx", "LIFAdExRecurrentCell", "LIFAdExRecurrent", "MODULES"],
    },
)
