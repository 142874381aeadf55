"""Integrate-and-fire neurons (``iaf``): perfect integrator with threshold and reset.

Equations, update order and units: :mod:`spikeplug.neurons_builtin.iaf.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["IAFParameters", "IAFFeedForwardState", "IAFState", "iaf_step", "iaf_initial_state", "MODEL"],
        ".modules": ["IAFCell", "IAF", "IAFRecurrentCell", "IAFRecurrent", "MODULES"],
    },
)
