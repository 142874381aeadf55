"""The IAF step as coefficients of the core's fused affine kernel (:mod:`spikeplug.fused`).

A perfect integrator (``leaky=False``: ``v_j = v + I``) with threshold and value reset,
as :func:`~spikeplug.neurons_builtin.iaf.model.iaf_step`; the kernel's values are
bit-identical.
"""

from __future__ import annotations

from typing import Any

from spikeplug.fused import AffineCoefficients, affine_kernel


def iaf_coefficients(p: Any) -> AffineCoefficients:
    """Threshold and reset; no leak, no time constant."""
    return AffineCoefficients(v_th=p.v_th, v_reset=p.v_reset, method=p.method, alpha=p.alpha)


KERNELS = (affine_kernel(iaf_coefficients, synaptic=False, leaky=False),)
