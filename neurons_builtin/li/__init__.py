"""Leaky integrator (``li``): LIF membrane and synapse without threshold, outputs the voltage.

Equations, update order and units: :mod:`spikeplug.neurons_builtin.li.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["LIParameters", "LIState", "li_step", "li_initial_state", "MODEL"],
        ".modules": ["LICell", "LI", "LILinearCell", "MODULES"],
    },
)
