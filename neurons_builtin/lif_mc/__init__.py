"""Multicompartment leaky integrate-and-fire neurons (``lif_mc``).

States are the LIF family's (``LIFFeedForwardState``, ``LIFState``). Equations, update
order and units: :mod:`spikeplug.neurons_builtin.lif_mc.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["LIFMCParameters", "lif_mc_step", "lif_mc_coupling", "lif_mc_initial_state", "MODEL"],
        ".modules": ["LIFMCRecurrentCell", "LIFMCRecurrent", "MODULES"],
    },
)
