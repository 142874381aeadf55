"""Norse's initial state on spikeplug's modules: the membrane potential requires grad.

Norse makes the initial ``v`` of nearly every module a leaf with ``requires_grad=True``,
so ``out.sum().backward()`` works on a bare neuron, and gradients with respect to the
initial potential exist. spikeplug's modules deliberately start from a state without
gradient (pass a state to differentiate with respect to it). The module names of
``spikeplug.norse`` offer Norse's behaviour: each is a subclass of spikeplug's class that
changes only :meth:`initial_state`; the classes of ``spikeplug.neurons_builtin`` keep
spikeplug's rule.
"""

from __future__ import annotations

from typing import Any

_MADE: dict[type, type] = {}


class NorseInitialState:
    """Mixin: the initial state's ``v`` is a leaf that requires grad (as in Norse)."""

    def initial_state(self, x: Any) -> Any:
        state = super().initial_state(x)  # type: ignore[misc]
        v = getattr(state, "v", None)
        if v is not None and v.is_floating_point() and not v.requires_grad:
            state = state._replace(v=v.requires_grad_())
        return state


def norse_form(base: type) -> type:
    """``base`` (a generated neuron module) with Norse's initial state; one class per base,
    named and placed as ``spikeplug.norse.<name>`` so that it pickles."""
    made = _MADE.get(base)
    if made is None:
        name = base.__name__
        doc = (
            f"spikeplug's :class:`{base.__module__}.{name}` with Norse's initial state (``v`` requires grad); "
            f"everything else is that class's.\n\n{base.__doc__ or ''}"
        )
        made = type(name, (NorseInitialState, base), {"__module__": "spikeplug.norse", "__qualname__": name, "__doc__": doc})
        _MADE[base] = made
    return made
