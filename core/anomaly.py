"""Anomaly detection: find the first step, module and state variable to go non-finite.

A NaN in a spiking network is silent: ``NaN > v_th`` is false, so a neuron whose
potential became NaN simply stops spiking. With anomaly detection on, every generated
module checks its output and each state variable after every step and raises
:class:`~spikeplug.NonFiniteError` at the first non-finite value, naming the module (its
path in the network when one is given), the model, the step, the state variable and
whether the step's input was already non-finite::

    with spikeplug.detect_anomaly(net):
        out, state = net(x)
    # NonFiniteError: layer '1' (LIF, model 'lif'): state variable 'v' became non-finite
    # at step 7 (12 of 48 elements, first at index (0, 3)); the input of that step was finite ...

Like ``torch.autograd.detect_anomaly`` it is for debugging: layers run the eager step
loop (fused kernels do not expose every step) and each step synchronises to test its
values. The switch is process-wide (a plain module attribute, which ``torch.compile``
can read); nesting restores the previous setting.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from .errors import NonFiniteError

__all__ = ["detect_anomaly", "anomaly_enabled", "check_step"]

_enabled = False
_names: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()


def anomaly_enabled() -> bool:
    """Whether :func:`detect_anomaly` is on."""
    return _enabled


@contextlib.contextmanager
def detect_anomaly(module: nn.Module | None = None) -> Iterator[None]:
    """Check every step of every spikeplug module for non-finite values inside the block.

    :param module: optional root of the network; its submodules are then named by their
        path in it (``"1"``, ``"encoder.lif"``) in the error.
    """
    global _enabled
    if module is not None and not isinstance(module, nn.Module):
        raise TypeError(f"detect_anomaly(module) takes a torch.nn.Module or None, got {type(module).__name__}")
    named = []
    if module is not None:
        for name, sub in module.named_modules():
            named.append((sub, _names.get(sub)))
            _names[sub] = name or type(sub).__name__
    previous, _enabled = _enabled, True
    try:
        yield
    finally:
        _enabled = previous
        for sub, old in named:
            if old is None:
                _names.pop(sub, None)
            else:
                _names[sub] = old


def _first_bad(t: torch.Tensor) -> tuple[int, tuple[int, ...]] | None:
    if not t.is_floating_point() and not t.is_complex():
        return None
    bad = ~torch.isfinite(t.detach())
    count = int(bad.sum())
    if count == 0:
        return None
    first = tuple(int(i) for i in bad.nonzero()[0]) if t.dim() else ()
    return count, first


def check_step(module: nn.Module, step: int, x: torch.Tensor, output: torch.Tensor, state: Any) -> None:
    """Raise :class:`NonFiniteError` if ``output`` or a field of ``state`` holds a non-finite value."""
    fields = list(zip(state._fields, state)) if hasattr(state, "_fields") else [("state", state)]
    for what, value in [*((f"state variable {n!r}", v) for n, v in fields), ("output", output)]:
        if not isinstance(value, torch.Tensor):
            continue
        found = _first_bad(value)
        if found is None:
            continue
        count, first = found
        model = getattr(module, "model", None)
        label = _names.get(module)
        about = ([type(module).__name__] if label else []) + ([f"model {model.name!r}"] if model is not None else [])
        who = f"{label!r}" if label else type(module).__name__
        who += f" ({', '.join(about)})" if about else ""
        bad_input = isinstance(x, torch.Tensor) and _first_bad(x) is not None
        cause = (
            "the input of that step was already non-finite"
            if bad_input
            else "the input of that step was finite, so the step itself diverged: look for an unstable dt "
            "(dt·rate > 1), a parameter outside its range or a state variable that grew without bound"
        )
        params = f" Parameters: {module.params()!r}" if hasattr(module, "params") else ""
        raise NonFiniteError(
            f"{who}: {what} became non-finite at step {step} ({count} of {value.numel()} elements, first at "
            f"index {first}); {cause}.{params}"
        )
