"""Leaky integrate-and-fire neurons with a current-based synapse (``lif``).

Equations, update order and units: :mod:`spikeplug.neurons_builtin.lif.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["LIFParameters", "LIFFeedForwardState", "LIFState", "lif_step", "lif_initial_state", "MODEL"],
        ".modules": ["LIFCell", "LIF", "LIFRecurrentCell", "LIFRecurrent", "MODULES"],
    },
)
