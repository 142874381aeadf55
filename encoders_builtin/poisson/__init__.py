"""Poisson rate encoders (``poisson``, ``poisson_step``).

Equations and differences from the reference: :mod:`spikeplug.encoders_builtin.poisson.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["poisson_encode", "poisson_encode_step", "RateParameters", "RateStepParameters"],
        ".modules": ["PoissonEncoder", "PoissonEncoderStep"],
    },
)
