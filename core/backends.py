"""Choosing between the eager step loop and a fused multi-step kernel.

A layer (and a recurrent layer) runs its model in one of three ways:

``"eager"``
    the reference: the family's ``step`` in a Python loop over time;
``"fused"``
    one of the model's hand-described :class:`FusedKernel`\\ s, which runs the whole
    ``(T, ...)`` sequence in one call with its own backward;
``"generated"``
    the kernel generated from the model's ``step`` by :mod:`spikeplug.generated` (every
    model has one, as far as the generator can translate its step), checked against the
    eager loop on first use; recurrent layers use it one step at a time around the
    recurrent product (no model has a hand-described recurrent kernel);
``"auto"`` (default)
    the first kernel that supports this model, parameters, dtype and device, hand-described
    before generated, else eager; a kernel with ``min_steps`` is skipped for shorter
    sequences, where its fixed cost per call exceeds the eager loop's, and a kernel with
    ``auto_skip`` may decline work too small to pay for compiling it (asking for
    ``"fused"`` or ``"generated"`` runs it anyway). Where a kernel that would have run
    cannot, ``auto`` runs eager and says why once (a warning) and in ``layer.last_backend_reason``.

Choose per module (``LIF(backend="eager")``) or for a block of code
(``with spikeplug.backend("eager"): ...``); a module's own non-``"auto"`` choice wins.
Asking for ``"fused"`` where no kernel can run raises :class:`BackendError` with each
kernel's reason. ``layer.last_backend`` tells which path the last forward took.

The block's choice belongs to the thread that entered it, like ``torch.no_grad()``:
other threads keep their own, threads started inside the block do not inherit it, and
blocks nest. It is kept in a ``threading.local`` rather than a ``ContextVar`` because
``torch.compile`` can read the former (and guards on it, so a compiled layer called
inside and outside a block runs the backend each asks for) but not the latter. The one
difference from a ``ContextVar``: asyncio tasks that run in one thread share the choice,
so a block that spans an ``await`` applies to the tasks that run meanwhile.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import torch

from .errors import ParameterError, SpikeplugError

__all__ = ["BACKENDS", "BackendError", "FusedKernel", "backend", "select_kernel", "check_backend"]

BACKENDS = ("auto", "eager", "fused", "generated")


class _Selection(threading.local):
    """The innermost ``spikeplug.backend(...)`` block of this thread (``None`` outside any).

    ``name`` is set per thread in ``__init__`` (which ``threading.local`` runs in every
    thread), never as a class attribute: dynamo would guard on the class attribute and
    miss the thread's own value.
    """

    def __init__(self) -> None:
        self.name: str | None = None


_selection = _Selection()


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
    :param kind: ``"fused"`` (hand-described, asked for by ``backend="fused"``) or ``"generated"``.
    :param auto_skip: optional ``auto_skip(inputs, state, p, *, detach_reset) -> str | None``:
        a reason for ``"auto"`` not to use the kernel on these inputs (e.g. too little work to
        pay for compiling it), checked before ``supports``.
    :param warn: optional ``warn(reason)`` called when ``"auto"`` falls back to eager because
        ``supports`` refused (the kernel decides whether and how often to warn).
    """

    name: str
    run: Callable[..., tuple[torch.Tensor, Any]]
    supports: Callable[..., str | None]
    min_steps: int = 1
    kind: str = "fused"
    auto_skip: Callable[..., str | None] | None = None
    warn: Callable[[str], None] | None = None


def check_backend(name: str) -> str:
    """Validate a backend name."""
    if name not in BACKENDS:
        raise ParameterError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {name!r}")
    return name


@contextlib.contextmanager
def backend(name: str) -> Iterator[None]:
    """Use backend ``name`` for layers whose own backend is ``"auto"`` inside the block
    (in this thread; see the module docs)."""
    outer = _selection.name
    _selection.name = check_backend(name)
    try:
        yield
    finally:
        _selection.name = outer


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
) -> tuple[FusedKernel | None, str]:
    """``(kernel, "")`` for the kernel to use, or ``(None, why)`` for the eager loop."""
    if requested == "auto":
        requested = _selection.name or "auto"
    if requested == "eager":
        return None, "backend='eager' was asked for"
    if requested == "auto" and kernels and not record_states:
        # short sequences (T <= 4 in practice) leave as cheaply as backend='eager' does
        shortest = min(k.min_steps for k in kernels)
        if inputs.shape[0] < shortest:
            return None, f"{inputs.shape[0]} step(s) < min_steps={shortest} of every fused kernel here; eager is as fast"
    wanted = [k for k in kernels if requested == "auto" or k.kind == requested]
    reasons = []
    if record_states:
        reasons.append("record_states=True needs every step's state, which fused kernels do not keep")
    elif not wanted:
        what = "hand-described fused" if requested == "fused" else "generated" if requested == "generated" else "fused"
        reasons.append(f"model {model_name!r} has no {what} kernel")
    else:
        steps = inputs.shape[0]
        for kernel in wanted:
            if requested == "auto" and steps < kernel.min_steps:
                reasons.append(f"{kernel.name}: {steps} step(s) < min_steps={kernel.min_steps}, where eager is as fast")
                continue
            skip = kernel.auto_skip(inputs, state, p, detach_reset=detach_reset) if (
                requested == "auto" and kernel.auto_skip is not None) else None
            if skip is not None:
                reasons.append(f"{kernel.name}: {skip}")
                continue
            why = kernel.supports(inputs, state, p, detach_reset=detach_reset)
            if why is None:
                return kernel, ""
            reasons.append(f"{kernel.name}: {why}")
            if requested == "auto" and kernel.warn is not None and not torch.compiler.is_compiling():
                kernel.warn(why)
    if requested in ("fused", "generated"):
        raise BackendError(
            f"backend={requested!r} cannot run {model_name!r} here: {'; '.join(reasons)}. Use backend='auto' or 'eager'."
        )
    return None, "; ".join(reasons)
