"""The LIF step as coefficients of the core's fused affine kernel (:mod:`spikeplug.fused`).

Same arithmetic as :func:`~spikeplug.neurons_builtin.lif.model.lif_step`: ``a`` and ``b``
are computed as the step computes them, so the kernel's values are bit-identical.
"""

from __future__ import annotations

from typing import Any

from spikeplug.fused import AffineCoefficients, affine_kernel


def lif_coefficients(p: Any) -> AffineCoefficients:
    """``a = dt·tau_mem_inv``, ``b = dt·tau_syn_inv``, threshold and value reset."""
    return AffineCoefficients(
        a=p.dt * p.tau_mem_inv,
        b=p.dt * p.tau_syn_inv,
        v_leak=p.v_leak,
        v_th=p.v_th,
        v_reset=p.v_reset,
        method=p.method,
        alpha=p.alpha,
    )


KERNELS = (affine_kernel(lif_coefficients, synaptic=True),)
