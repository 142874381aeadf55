"""NIR mapping of ``leaky``: NIR's ``LI`` node, both ways. Imported only by NIR export/import."""

from typing import Any

import nir

from spikeplug.nir import NIRError, as_array, finite_field, from_array, positive_field
from spikeplug.plugins import NIRImport


def to_nir(p: Any, shape: tuple, dt: float) -> nir.LI:
    """``tau = 1/tau_mem_inv`` (s), ``r = 1``, ``v_leak``."""
    return nir.LI(tau=as_array(1.0 / p.tau_mem_inv, shape), r=as_array(1.0, shape), v_leak=as_array(p.v_leak, shape))


def from_nir(node: Any, dt: float) -> NIRImport:
    """The inverse; ``r ≠ 1`` becomes an input gain in front of the model."""
    if not isinstance(node, nir.LI):
        raise NIRError(f"leaky imports NIR's LI, got {type(node).__name__}")
    return NIRImport(
        overrides={
            "tau_mem_inv": from_array(1.0 / positive_field(node, "tau")),
            "v_leak": from_array(finite_field(node, "v_leak")),
        },
        input_gain=from_array(finite_field(node, "r")),
    )
