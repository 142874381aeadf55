"""Signed Poisson rate encoders (``signed_poisson``, ``signed_poisson_step``).

Equations and differences from the reference: :mod:`spikeplug.encoders_builtin.signed_poisson.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["signed_poisson_encode", "signed_poisson_encode_step", "RateParameters", "RateStepParameters"],
        ".modules": ["SignedPoissonEncoder", "SignedPoissonEncoderStep"],
    },
)
