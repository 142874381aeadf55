"""Choosing between the eager step loop and a fused multi-step kernel.

A layer runs its model in one of two ways:

``"eager"``
    the reference: the family's ``step`` in a Python loop over time;
``"fused"``
    one of the model's :class:`FusedKernel`\\ s, which runs the whole ``(T, ...)`` sequence
    in one call with its own backward;
``"auto"`` (default)
    the first fused kernel that supports this model, parameters, dtype and device, else eager;
    a kernel with ``min_steps`` is skipped for shorter sequences, where its fixed cost per
    call exceeds the eager loop's (``"fused"`` runs it anyway).

Choose per module (``LIF(backend="eager")``) or for a block of code
(``with spikeplug.backend("eager"): ...``); a module's own non-``"auto"`` choice wins.
Asking for ``"fused"`` where no kernel can run raises :class:`BackendError` with each
kernel's reason. ``layer.last_backend`` tells which path the last forward took.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import torch

from .errors import ParameterError, SpikeplugError

__all__ = ["BACKENDS", "BackendError", "FusedKernel", "backend", "select_kernel", "check_backend"]

BACKENDS = ("auto", "eager", "fused")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("spikeplug_backend", default=None)


class BackendError(SpikeplugError, RuntimeError):
    """The requested backend cannot run this model with these inputs."""


@attrs.frozen
class FusedKernel:
    """A fused multi-step implementation of a model's layer form.

    :param name: short name shown in ``last_backend`` (e.g. ``"numba-cpu"``).
    :param run: ``run(inputs, state, p, *, detach_reset) -> (outputs, final_state)``; must equal
        the eager step loop (forward values and gradients).
    :param supports: ``supports(inputs, state, p, *, detach_reset) -> None`` when the kernel can
        run, else a short reason (``"per-neuron tensor parameters"``, ``"float16"``...).
    :param min_steps: ``"auto"`` uses the kernel only for sequences of at least this many steps.
    """

    name: str
    run: Callable[..., tuple[torch.Tensor, Any]]
    supports: Callable[..., str | None]
    min_steps: int = 1


def check_backend(name: str) -> str:
    """Validate a backend name."""
    if name not in BACKENDS:
        raise ParameterError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    return name


@contextlib.contextmanager
def backend(name: str) -> Iterator[None]:
    """Use backend ``name`` for layers whose own backend is ``"auto"`` inside the block."""
    token = _current.set(check_backend(name))
    try:
        yield
    finally:
        _current.reset(token)


def select_kernel(
    requested: str,
    kernels: tuple[FusedKernel, ...],
    inputs: torch.Tensor,
    state: Any,
    p: Any,
    *,
    detach_reset: bool,
    record_states: bool,
    model_name: str,
) -> FusedKernel | None:
    """The fused kernel to use, or ``None`` for the eager loop."""
    if requested == "auto":
        requested = _current.get() or "auto"
    if requested == "eager":
        return None
    reasons = []
    if record_states:
        reasons.append("record_states=True needs every step's state, which fused kernels do not keep")
    elif not kernels:
        reasons.append(f"model {model_name!r} has no fused kernel")
    else:
        for kernel in kernels:
            steps = inputs.shape[0]
            if requested == "auto" and steps < kernel.min_steps:
                reasons.append(f"{kernel.name}: {steps} step(s) < min_steps={kernel.min_steps}, where eager is as fast")
                continue
            why = kernel.supports(inputs, state, p, detach_reset=detach_reset)
            if why is None:
                return kernel
            reasons.append(f"{kernel.name}: {why}")
    if requested == "fused":
        raise BackendError(f"backend='fused' cannot run {model_name!r} here: {'; '.join(reasons)}. Use backend='auto' or 'eager'.")
    return None
