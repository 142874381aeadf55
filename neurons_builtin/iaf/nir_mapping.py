"""NIR mapping of ``iaf``: NIR's ``IF``. Loaded only by NIR export/import.

Exact translation at step ``dt`` (``docs/nir.md``): NIR's ``dv/dt = r·I`` advances by ``dt·r·I``
per Euler step and iaf's step adds ``I``, so ``r = 1/dt``; ``v_threshold = v_th``, ``v_reset`` as
it is. Import inverts this: ``r·dt ≠ 1`` becomes an input gain. iaf starts at ``v_reset``.
"""

from __future__ import annotations

from typing import Any

import nir

from spikeplug.nir import as_array, finite_field, from_array
from spikeplug.plugins import NIRImport


def to_nir(p: Any, shape: tuple[int, ...], dt: float) -> nir.IF:
    return nir.IF(
        r=as_array(1.0 / dt, shape),
        v_threshold=as_array(p.v_th, shape),
        v_reset=as_array(p.v_reset, shape),
    )


def from_nir(node: nir.IF, dt: float) -> NIRImport:
    return NIRImport(
        overrides={
            "v_th": from_array(finite_field(node, "v_threshold")),
            "v_reset": from_array(finite_field(node, "v_reset")),
        },
        input_gain=from_array(finite_field(node, "r") * dt),
    )
