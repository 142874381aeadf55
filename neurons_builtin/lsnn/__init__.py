"""LIF neurons with an adaptive threshold, the LSNN of Bellec et al. (``lsnn``).

Equations, update order and units: :mod:`spikeplug.neurons_builtin.lsnn.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["LSNNParameters", "LSNNFeedForwardState", "LSNNState", "lsnn_step", "lsnn_initial_state", "MODEL"],
        ".modules": ["LSNNCell", "LSNN", "LSNNRecurrentCell", "LSNNRecurrent", "MODULES"],
    },
)
