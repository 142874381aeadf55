"""Containers that thread state through time and through layers.

A module declares that it is stateful with a class (or instance) attribute
``stateful = True``: its ``forward(x, state)`` returns ``(output, new_state)``. Every
spikeplug neuron module does so; ``torch.nn.RNNBase`` modules (RNN, LSTM, GRU) are
recognised as well. Nothing is guessed from parameter names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .checks import flag
from .errors import InputShapeError, StateError

__all__ = ["is_stateful", "Lift", "SequentialState"]


def is_stateful(module: nn.Module) -> bool:
    """Whether ``module.forward(x, state)`` returns ``(output, state)``."""
    return getattr(module, "stateful", False) is True or isinstance(module, nn.RNNBase)


class Lift(nn.Module):
    """Apply a one-step module at every time step of a time-first input.

    ``forward(inputs, state=None)`` or ``forward((inputs, state))`` with ``inputs`` of shape
    ``(T, ...)``. A stateful module threads its state through the steps, starting from the
    given state (or its own initial state) and ``Lift`` returns ``(outputs, final_state)``;
    a stateless module is applied to each step and ``Lift`` returns ``outputs``.

    >>> import torch
    >>> Lift(torch.nn.Linear(3, 2))(torch.ones(5, 4, 3)).shape
    torch.Size([5, 4, 2])
    """

    def __init__(self, module: nn.Module):
        super().__init__()
        if not isinstance(module, nn.Module):
            raise TypeError(f"Lift wraps a torch.nn.Module, got {type(module).__name__}")
        self.lifted_module = module
        self.stateful = is_stateful(module)

    def forward(self, inputs: torch.Tensor | tuple[torch.Tensor, Any], state: Any = None) -> Any:
        # the state comes as a second argument (as SequentialState passes it to a stateful
        # child) or inside a pair (inputs, state), Norse's form
        if isinstance(inputs, tuple):
            if len(inputs) != 2 or state is not None:
                raise InputShapeError(
                    f"Lift takes inputs and an optional state, or one pair (inputs, state); got a tuple of "
                    f"{len(inputs)}{' and a state' if state is not None else ''}"
                )
            inputs, state = inputs
        if not isinstance(inputs, torch.Tensor) or inputs.dim() < 1 or inputs.shape[0] == 0:
            raise InputShapeError("Lift needs a time-first tensor (T, ...) with at least one step")
        outputs = []
        if self.stateful:
            for x_t in inputs.unbind(0):
                out, state = self.lifted_module(x_t, state)
                outputs.append(out)
            return torch.stack(outputs), state
        for x_t in inputs.unbind(0):
            outputs.append(self.lifted_module(x_t))
        return torch.stack(outputs)


Hook = Callable[[nn.Module, tuple[Any, ...], Any], Any]


class SequentialState(nn.Sequential):
    """``torch.nn.Sequential`` that threads the states of its stateful children.

    ``forward(x, state=None) -> (output, states)``: ``state`` is ``None`` or a list with one
    entry per child (``None`` for stateless children); ``states`` is a new list of the same
    form (the caller's list is never modified). With ``return_hidden=True`` the first
    element is the list of every child's output instead of the last one.

    >>> import torch, spikeplug
    >>> net = SequentialState(torch.nn.Linear(2, 3), torch.nn.ReLU())
    >>> out, states = net(torch.ones(4, 2))
    >>> out.shape, states
    (torch.Size([4, 3]), [None, None])
    """

    stateful = True

    def __init__(self, *modules: nn.Module, return_hidden: bool = False):
        super().__init__(*modules)
        self.return_hidden = flag(return_hidden, name="return_hidden", owner="SequentialState")
        #: handles of the hooks of :meth:`register_forward_state_hooks` (Norse's attribute name)
        self.forward_state_hooks: list[Any] = []

    @property
    def stateful_layers(self) -> list[bool]:
        """Which children are stateful, in order."""
        return [is_stateful(m) for m in self]

    def forward(self, input: Any, state: list[Any] | None = None) -> tuple[Any, list[Any]]:
        n = len(self)
        if state is None:
            state = [None] * n
        elif not isinstance(state, (list, tuple)) or len(state) != n:
            raise StateError(
                f"state must be None or a list with one entry per child ({n}), got "
                f"{type(state).__name__}{'' if not isinstance(state, (list, tuple)) else f' of length {len(state)}'}"
            )
        new_states: list[Any] = []
        hidden: list[Any] = []
        x = input
        for module, s in zip(self, state):
            if is_stateful(module):
                x, s = module(x, s)
                new_states.append(s)
            else:
                x = module(x)
                new_states.append(None)
            if self.return_hidden:
                hidden.append(x)
        return (hidden if self.return_hidden else x), new_states

    def register_forward_state_hooks(self, hook: Hook) -> None:
        """Call ``hook(module, (x, state), (output, new_state))`` after every stateful child."""
        if self.forward_state_hooks:
            raise ValueError("forward state hooks are already registered; call remove_forward_state_hooks() first")
        self.forward_state_hooks = [m.register_forward_hook(hook) for m in self if is_stateful(m)]

    def remove_forward_state_hooks(self) -> None:
        """Remove the hooks registered by :meth:`register_forward_state_hooks`."""
        for handle in self.forward_state_hooks:
            handle.remove()
        self.forward_state_hooks = []
