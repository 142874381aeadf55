"""The LIF box step as coefficients of the core's fused affine kernel (:mod:`spikeplug.fused`).

Same arithmetic as :func:`~spikeplug.neurons_builtin.lif_box.model.lif_box_step`: no
synaptic current, the leak written as ``(I + v_leak) − v`` (``leak_in_drive``), reset by
value or by subtraction as ``p.reset_method`` says; the kernel's values are bit-identical.
"""

from __future__ import annotations

from typing import Any

from spikeplug.fused import AffineCoefficients, affine_kernel


def lif_box_coefficients(p: Any) -> AffineCoefficients:
    """``a = dt·tau_mem_inv``, threshold, and the reset of ``p.reset_method``."""
    return AffineCoefficients(
        a=p.dt * p.tau_mem_inv,
        v_leak=p.v_leak,
        v_th=p.v_th,
        v_reset=p.v_reset,
        reset=p.reset_method,
        method=p.method,
        alpha=p.alpha,
    )


KERNELS = (affine_kernel(lif_box_coefficients, synaptic=False, leak_in_drive=True),)
