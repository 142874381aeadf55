"""NIR mapping of ``lif``: NIR's ``CubaLIF`` (current-based LIF). Loaded only by NIR export/import.

Exact translation at step ``dt`` (``docs/nir.md``): ``tau_mem = 1/tau_mem_inv``,
``tau_syn = 1/tau_syn_inv`` (seconds), ``r = 1``, ``w_in = tau_syn/dt`` (the step's input jump
``I`` is the Euler increment ``dt·w_in·S/tau_syn`` of NIR's current), ``v_threshold = v_th``,
``v_leak`` and ``v_reset`` as they are. Import inverts this; ``r·w_in·dt/tau_syn ≠ 1`` becomes an
input gain.
"""

from __future__ import annotations

from typing import Any

import nir

from spikeplug.nir import as_array, finite_field, from_array, positive_field
from spikeplug.plugins import NIRImport


def to_nir(p: Any, shape: tuple[int, ...], dt: float) -> nir.CubaLIF:
    tau_syn = as_array(1.0 / p.tau_syn_inv, shape)
    return nir.CubaLIF(
        tau_syn=tau_syn,
        tau_mem=as_array(1.0 / p.tau_mem_inv, shape),
        r=as_array(1.0, shape),
        v_leak=as_array(p.v_leak, shape),
        v_threshold=as_array(p.v_th, shape),
        v_reset=as_array(p.v_reset, shape),
        w_in=tau_syn / dt,
    )


def from_nir(node: nir.CubaLIF, dt: float) -> NIRImport:
    tau_syn = positive_field(node, "tau_syn")
    tau_mem = positive_field(node, "tau_mem")
    gain = finite_field(node, "r") * finite_field(node, "w_in") * dt / tau_syn
    return NIRImport(
        overrides={
            "tau_syn_inv": from_array(1.0 / tau_syn),
            "tau_mem_inv": from_array(1.0 / tau_mem),
            "v_leak": from_array(finite_field(node, "v_leak")),
            "v_th": from_array(finite_field(node, "v_threshold")),
            "v_reset": from_array(finite_field(node, "v_reset")),
        },
        input_gain=from_array(gain),
    )
