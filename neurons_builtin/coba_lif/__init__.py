"""Conductance-based leaky integrate-and-fire neurons (``coba_lif``).

``CobaLIFCell`` is the recurrent cell, as in Norse; the feed-forward forms are
``CobaLIFFeedForwardCell`` and ``CobaLIFFeedForward``. Equations, update order and units:
:mod:`spikeplug.neurons_builtin.coba_lif.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": [
            "CobaLIFParameters",
            "CobaLIFFeedForwardState",
            "CobaLIFState",
            "CobaLIFInput",
            "coba_lif_step",
            "coba_lif_recurrent_input",
            "coba_lif_initial_state",
            "MODEL",
        ],
        ".modules": ["CobaLIFCell", "CobaLIFFeedForwardCell", "CobaLIFFeedForward", "CobaLIFRecurrent", "MODULES"],
    },
)
