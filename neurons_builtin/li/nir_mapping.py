"""NIR mapping of ``li``: NIR's ``CubaLI`` (exported) and ``LI`` (imported). Loaded only by NIR export/import.

Exact translation at step ``dt`` (``docs/nir.md``): ``CubaLI`` as ``lif``'s ``CubaLIF`` without
threshold: ``tau_mem = 1/tau_mem_inv``, ``tau_syn = 1/tau_syn_inv``, ``r = 1``,
``w_in = tau_syn/dt``. NIR's ``LI`` has no synapse: it imports as ``li`` with
``tau_syn_inv = 1/dt``, whose current then lasts exactly one step (``i' = i_j − 1·i_j = 0``), so
the step is the Euler step of ``tau·dv/dt = v_leak − v + r·I``; ``r ≠ 1`` becomes an input gain.
"""

from __future__ import annotations

from typing import Any

import nir

from spikeplug.nir import NIRError, as_array, finite_field, from_array, positive_field
from spikeplug.plugins import NIRImport


def to_nir(p: Any, shape: tuple[int, ...], dt: float) -> nir.CubaLI:
    tau_syn = as_array(1.0 / p.tau_syn_inv, shape)
    return nir.CubaLI(
        tau_syn=tau_syn,
        tau_mem=as_array(1.0 / p.tau_mem_inv, shape),
        r=as_array(1.0, shape),
        v_leak=as_array(p.v_leak, shape),
        w_in=tau_syn / dt,
    )


def from_nir(node: Any, dt: float) -> NIRImport:
    if isinstance(node, nir.CubaLI):
        tau_syn = positive_field(node, "tau_syn")
        return NIRImport(
            overrides={
                "tau_syn_inv": from_array(1.0 / tau_syn),
                "tau_mem_inv": from_array(1.0 / positive_field(node, "tau_mem")),
                "v_leak": from_array(finite_field(node, "v_leak")),
            },
            input_gain=from_array(finite_field(node, "r") * finite_field(node, "w_in") * dt / tau_syn),
        )
    if isinstance(node, nir.LI):
        return NIRImport(
            overrides={
                "tau_syn_inv": 1.0 / dt,
                "tau_mem_inv": from_array(1.0 / positive_field(node, "tau")),
                "v_leak": from_array(finite_field(node, "v_leak")),
            },
            input_gain=from_array(finite_field(node, "r")),
        )
    raise NIRError(f"li imports NIR's CubaLI and LI, got {type(node).__name__}")
