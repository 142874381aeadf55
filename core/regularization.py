"""Activity regularisation: accumulate a quantity (spike count, voltage) while a network runs.

An *accumulator* ``accumulator(z, s, state) -> new_state`` adds one step's contribution
to a running value (``state`` is ``None`` before the first step):

* :func:`spike_accumulator`: ``state + Σ z`` (every element, batch included; a 0-dim tensor),
* :func:`voltage_accumulator`: ``state + s.v`` (the neuron state's membrane potential; needs ``s``).

:class:`RegularizationCell` applies one to a neuron's output, and returns the running value
as its *state*, so ``SequentialState`` and ``Lift`` thread it like any other state and a
training loop reads it from there (e.g. to add ``λ·count`` to the loss). Two ways to use it:

* **following a neuron** -- ``RegularizationCell()`` placed after a neuron sees its
  spikes only: ``forward(z, state=None) -> (z, state)``; enough for
  :func:`spike_accumulator`;
* **wrapping a neuron** -- ``RegularizationCell(neuron)`` runs the neuron itself:
  ``forward(x, state=None) -> (z, state)``, and the accumulator also sees the neuron's new
  state (what :func:`voltage_accumulator` needs). It replaces the neuron in a network.

Either way the state is a :class:`RegularizationState` ``(value, neuron)``: the accumulated
value and the wrapped neuron's state (``None`` when following). Nothing is kept inside the
module. Passing ``state=None`` starts everything afresh; :meth:`RegularizationCell.reset`
restarts the accumulation only, keeping a wrapped neuron's state.

Differences from Norse, on purpose: Norse's ``RegularizationCell.forward(z, s)`` keeps the
running value in the module (``cell.state``) across calls until the user sets it to
``None``, and has no parameter named ``state``, so ``SequentialState`` and ``Lift`` treat it
as stateless and then fail to call it. Here the value is the threaded state, the module
declares ``stateful = True``, and the reset is explicit.

>>> import torch, spikeplug
>>> from spikeplug.neurons_builtin.lif import LIFCell
>>> counter = RegularizationCell(LIFCell())
>>> z, state = counter(torch.full((5, 2), 11.0))
>>> state.value
tensor(10.)
>>> z, state = counter(torch.full((5, 2), 11.0), state)
>>> state.value
tensor(20.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import nn

from .containers import is_stateful
from .errors import ParameterError, StateError

__all__ = [
    "RegularizationCell",
    "RegularizationState",
    "spike_accumulator",
    "voltage_accumulator",
    "regularize_step",
]

Accumulator = Callable[[torch.Tensor, Any, Any], Any]


def spike_accumulator(z: torch.Tensor, s: Any = None, state: Any = None) -> torch.Tensor:
    """``state + Σ z``: the number of spikes so far (a 0-dim tensor; ``s`` is not used)."""
    count = z.sum()
    return count if state is None else state + count


def voltage_accumulator(z: torch.Tensor, s: Any, state: Any = None) -> torch.Tensor:
    """``state + s.v``: the membrane potentials summed over steps (shape of ``s.v``)."""
    v = getattr(s, "v", None)
    if not isinstance(v, torch.Tensor):
        raise StateError(
            "voltage_accumulator needs the neuron's state with a field 'v' as s, got "
            f"{type(s).__name__ if s is not None else 'None'}; let RegularizationCell wrap the neuron: "
            "RegularizationCell(neuron, accumulator=voltage_accumulator)"
        )
    return v if state is None else state + v


def regularize_step(
    z: torch.Tensor, s: Any, accumulator: Accumulator = spike_accumulator, state: Any = None
) -> tuple[torch.Tensor, Any]:
    """``(z, accumulator(z, s, state))``: ``z`` passes through unchanged."""
    return z, accumulator(z, s, state)


class RegularizationState(NamedTuple):
    """State of a :class:`RegularizationCell`: the accumulated ``value`` (``None`` before the
    first step) and the wrapped ``neuron``'s state (``None`` when the cell follows a neuron)."""

    value: Any = None
    neuron: Any = None


class RegularizationCell(nn.Module):
    """Accumulate a regulariser over the steps of a neuron; the running value is the state.

    :param neuron: a stateful neuron module to wrap (``forward(x, state) -> (z, state)``), or
        ``None`` to follow a neuron and see only its output.
    :param accumulator: ``accumulator(z, s, state) -> new value``; :func:`spike_accumulator`
        (default) or :func:`voltage_accumulator` (needs a wrapped neuron) or your own. ``s``
        is the wrapped neuron's new state, ``None`` when following.

    ``forward(x, state=None) -> (z, RegularizationState(value, neuron_state))``. Equations,
    usage and the differences from the reference: :mod:`spikeplug.regularization`.
    """

    stateful = True

    def __init__(self, neuron: nn.Module | None = None, accumulator: Accumulator = spike_accumulator):
        super().__init__()
        if neuron is not None and callable(neuron) and not isinstance(neuron, nn.Module):
            raise ParameterError(
                f"RegularizationCell: neuron must be a stateful torch.nn.Module or None, got the function "
                f"{getattr(neuron, '__name__', neuron)!r}; pass an accumulator as accumulator=..."
            )
        if neuron is not None and not (isinstance(neuron, nn.Module) and is_stateful(neuron)):
            raise ParameterError(
                "RegularizationCell: neuron must be a stateful module (forward(x, state) -> (output, state), "
                f"declared with stateful = True), got {type(neuron).__name__}"
            )
        if not callable(accumulator):
            raise ParameterError(f"RegularizationCell: accumulator must be callable, got {accumulator!r}")
        if accumulator is voltage_accumulator and neuron is None:
            raise ParameterError(
                "RegularizationCell: voltage_accumulator needs the neuron's state, which a cell that follows "
                "a neuron does not see; wrap the neuron: RegularizationCell(neuron, accumulator=voltage_accumulator)"
            )
        self.neuron = neuron
        self.accumulator = accumulator

    def forward(
        self, input: torch.Tensor, state: RegularizationState | None = None
    ) -> tuple[torch.Tensor, RegularizationState]:
        state = self._checked(state)
        if self.neuron is None:
            z, s = input, None
        else:
            z, s = self.neuron(input, state.neuron)
        return z, RegularizationState(self.accumulator(z, s, state.value), s)

    @staticmethod
    def reset(state: RegularizationState | None) -> RegularizationState | None:
        """``state`` with the accumulation restarted (value ``None``), the wrapped neuron's
        state kept. ``reset(None)`` is ``None``."""
        if state is None:
            return None
        return RegularizationCell._checked(state)._replace(value=None)

    @staticmethod
    def _checked(state: Any) -> RegularizationState:
        if state is None:
            return RegularizationState()
        if isinstance(state, RegularizationState):
            return state
        if isinstance(state, tuple) and len(state) == 2 and not hasattr(state, "_fields"):
            return RegularizationState(*state)
        raise StateError(
            "RegularizationCell: state must be None or a RegularizationState(value, neuron) as returned by "
            f"a previous call, got {type(state).__name__}"
        )

    def extra_repr(self) -> str:
        return f"accumulator={getattr(self.accumulator, '__name__', self.accumulator)!r}"
