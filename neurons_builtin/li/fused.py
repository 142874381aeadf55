"""The LI step as coefficients of the core's fused affine kernel (:mod:`spikeplug.fused`).

Same arithmetic as :func:`~spikeplug.neurons_builtin.li.model.li_step` (``a`` and ``b``
computed as the step computes them), so the kernel's values are bit-identical. No
threshold: the output is the new voltage.
"""

from __future__ import annotations

from typing import Any

from spikeplug.fused import AffineCoefficients, affine_kernel


def li_coefficients(p: Any) -> AffineCoefficients:
    """``a = dt·tau_mem_inv``, ``b = dt·tau_syn_inv``, ``v_leak``."""
    return AffineCoefficients(a=p.dt * p.tau_mem_inv, b=p.dt * p.tau_syn_inv, v_leak=p.v_leak)


KERNELS = (affine_kernel(li_coefficients, synaptic=True, spiking=False),)
