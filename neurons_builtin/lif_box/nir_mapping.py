"""NIR mapping of ``lif_box``: NIR's ``LIF``. Loaded only by NIR export/import.

Exact translation at step ``dt`` (``docs/nir.md``): ``tau = 1/tau_mem_inv`` (seconds), ``r = 1``,
``v_threshold = v_th``, ``v_leak`` and ``v_reset`` as they are; the Euler step of NIR's ODE with
the input held over the step is lif_box's step. Import inverts this; ``r ≠ 1`` becomes an input
gain. Reset by subtraction (``reset_method="subtract"``) has no NIR node and is refused.
"""

from __future__ import annotations

from typing import Any

import nir

from spikeplug.nir import NIRError, as_array, finite_field, from_array, positive_field
from spikeplug.plugins import NIRImport


def to_nir(p: Any, shape: tuple[int, ...], dt: float) -> nir.LIF:
    if p.reset_method != "value":
        raise NIRError(
            f"lif_box with reset_method={p.reset_method!r} (v ← v − v_th on a spike) has no NIR node: NIR's LIF and "
            "CubaLIF reset to v_reset; only reset_method='value' can be exported"
        )
    return nir.LIF(
        tau=as_array(1.0 / p.tau_mem_inv, shape),
        r=as_array(1.0, shape),
        v_leak=as_array(p.v_leak, shape),
        v_threshold=as_array(p.v_th, shape),
        v_reset=as_array(p.v_reset, shape),
    )


def from_nir(node: nir.LIF, dt: float) -> NIRImport:
    tau = positive_field(node, "tau")
    return NIRImport(
        overrides={
            "tau_mem_inv": from_array(1.0 / tau),
            "v_leak": from_array(finite_field(node, "v_leak")),
            "v_th": from_array(finite_field(node, "v_threshold")),
            "v_reset": from_array(finite_field(node, "v_reset")),
            "reset_method": "value",
        },
        input_gain=from_array(finite_field(node, "r")),
    )
