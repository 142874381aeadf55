"""Spike and reset, written once for every family with a voltage threshold.

``spike_and_reset`` is the common tail of a step::

    z  = Θ(v − v_th)                     strict threshold, surrogate gradient of p.method
    v' = (1 − z) · v + z · v_reset       reset to a value

With ``detach_reset=True`` the ``z`` inside the reset is detached, so no gradient flows
through the reset (the reference does this in its recurrent LIF and LSNN steps).
"""

from __future__ import annotations

from typing import Any

import torch

from .surrogates import threshold

__all__ = ["spike_and_reset", "reset_value", "reset_subtract"]


def reset_value(z: torch.Tensor, v: torch.Tensor, v_reset: Any) -> torch.Tensor:
    """Reset to a value: ``(1 − z)·v + z·v_reset``."""
    return (1.0 - z) * v + z * v_reset


def reset_subtract(z: torch.Tensor, v: torch.Tensor, v_th: Any) -> torch.Tensor:
    """Reset by subtraction: ``v − z·v_th`` (keeps the overshoot)."""
    return v - z * v_th


def spike_and_reset(
    v: torch.Tensor, v_th: Any, v_reset: Any, p: Any, *, detach_reset: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(z, v')``: spikes where ``v > v_th`` (surrogate ``p.method``, ``p.alpha``) and the
    potential reset to ``v_reset`` there."""
    z = threshold(v - v_th, p.method, p.alpha)
    return z, reset_value(z.detach() if detach_reset else z, v, v_reset)
