"""Constant-current LIF encoder (``constant_current_lif``).

Equations and differences from the reference: :mod:`spikeplug.encoders_builtin.constant_current_lif.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["constant_current_lif_encode"],
        ".modules": ["ConstantCurrentLIFEncoder"],
    },
)
