"""Module-side adapters where Norse's constructor or container differs from spikeplug's.

Everything else in ``spikeplug.norse``'s module half *is* spikeplug's class (``LIFCell``
is the class the LIF family generates); only these need a different front door.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn

import spikeplug

from ._adapters import model, parameters_for


class RecurrentSequentialState(NamedTuple):
    """State of :class:`RecurrentSequential`: the fed-back output ``cache`` and the list of
    the children's states."""

    cache: Any = None
    state: Any = None


class RecurrentSequential(nn.Module):
    """A :class:`~spikeplug.SequentialState` whose chosen output is added to its input on the
    next call: ``forward(x, state=None) -> (output, RecurrentSequentialState)``.

    ``output_modules`` is the index of the child whose output is returned and fed back
    (default: the last), or a list of indices: then a list of outputs is returned and their
    sum is fed back. Without a state the input is used as it is.
    """

    stateful = True

    def __init__(self, *modules: nn.Module, output_modules: int | list[int] = -1):
        super().__init__()
        n = len(modules)
        indices = [output_modules] if isinstance(output_modules, int) else output_modules
        if not isinstance(indices, (list, tuple)) or not indices or any(
            isinstance(i, bool) or not isinstance(i, int) or not -n <= i < n for i in indices
        ):
            raise spikeplug.ParameterError(
                f"RecurrentSequential: output_modules must be a child index in [-{n}, {n}) or a non-empty list of "
                f"them, got {output_modules!r}"
            )
        self.module = spikeplug.SequentialState(*modules, return_hidden=True)
        self.output_modules = output_modules

    def forward(self, x: torch.Tensor, state: RecurrentSequentialState | None = None) -> tuple[Any, RecurrentSequentialState]:
        if state is None:
            state = RecurrentSequentialState()
        elif not isinstance(state, tuple) or len(state) != 2:
            raise spikeplug.StateError(
                f"RecurrentSequential: state must be None or a RecurrentSequentialState(cache, state), got "
                f"{type(state).__name__}"
            )
        else:
            cache = state.cache if isinstance(self.output_modules, int) else sum(state.cache)
            x = x + cache
        outputs, states = self.module(x, state.state)
        if isinstance(self.output_modules, int):
            out = outputs[self.output_modules]
        else:
            out = [outputs[i] for i in self.output_modules]
        return out, RecurrentSequentialState(out, states)


def _lif_mc_recurrent(form: str) -> type:
    """Norse's ``LIFMCRecurrentCell(input_size, hidden_size, p=LIFParameters(),
    g_coupling=None, ...)``: spikeplug's form, with LIF parameters widened to the MC
    parameters and ``g_coupling`` as the field of that name."""
    from ._forms import norse_form

    base = norse_form(getattr(spikeplug.registry.factory("lif_mc:lif_mc"), form))

    def __init__(
        self: Any, input_size: int, hidden_size: int, p: Any = None, g_coupling: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> None:
        params = parameters_for(model("lif_mc"), p, None)
        if g_coupling is not None:
            params = params._replace(g_coupling=g_coupling)
        base.__init__(self, input_size, hidden_size, params, **kwargs)

    name = base.__name__
    doc = (
        f"spikeplug's :class:`{base.__module__}.{name}` with Norse's signature: ``p`` may be "
        f"``LIFParameters`` and ``g_coupling`` a separate argument."
    )
    return type(name, (base,), {"__init__": __init__, "__module__": "spikeplug.norse", "__qualname__": name, "__doc__": doc})


LIFMCRecurrentCell = _lif_mc_recurrent("recurrent_cell")
LIFMCRecurrent = _lif_mc_recurrent("recurrent")

for _c in (RecurrentSequentialState, RecurrentSequential):
    _c.__module__ = "spikeplug.norse"
