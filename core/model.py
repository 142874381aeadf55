"""What a neuron family or encoder hands to the core.

A family writes its equations once, as a pure ``step``, and describes itself with a
:class:`NeuronModel`. The core (:mod:`spikeplug.modules`) turns that description into
the cell, layer, recurrent cell and recurrent layer modules; nothing else is written per
family. :class:`NeuronModelProtocol` states the contract structurally, so a plugin may
also hand in its own object with the same attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs
import torch

from .errors import ParameterError, StateError

__all__ = [
    "RestState",
    "NeuronModel",
    "NeuronModelProtocol",
    "Encoder",
    "linear_input",
    "state_tensor",
    "floating_dtype",
    "stack_states",
]

Step = Callable[..., tuple[torch.Tensor, Any]]


def linear_input(
    x: torch.Tensor, z_prev: torch.Tensor, input_weights: torch.Tensor, recurrent_weights: torch.Tensor
) -> torch.Tensor:
    """Input of a recurrent neuron: ``x·W_inᵀ + z_prev·W_recᵀ``."""
    return torch.nn.functional.linear(x, input_weights) + torch.nn.functional.linear(z_prev, recurrent_weights)


@runtime_checkable
class NeuronModelProtocol(Protocol):
    """Structural contract of a neuron model (see :class:`NeuronModel`)."""

    name: str
    parameters: type
    state: type
    recurrent_state: type | None
    step: Step
    initial_state: Callable[..., Any]


@attrs.frozen
class NeuronModel:
    """A neuron family described for the core.

    :param name: registry name, snake_case (``"lif"``).
    :param parameters: the family's frozen attrs parameter class.
    :param state: NamedTuple class of the feed-forward state (``LIFFeedForwardState``).
    :param step: ``step(input, state, p, *, detach_reset=False) -> (output, new_state)``,
        one Euler step in the reference order. ``detach_reset`` asks the step to use
        ``z.detach()`` in the reset, so no gradient flows through it.
    :param initial_state: ``initial_state(shape, p, dtype, device) -> state``: the state
        of a population of ``shape`` before any input, as full-shape tensors (use
        :func:`state_tensor`).
    :param recurrent_state: NamedTuple class ``(z, *state fields)`` of the recurrent
        forms, or ``None`` when the family has no recurrent form (e.g. the leaky
        integrator, whose output is not a spike).
    :param recurrent_input: how a recurrent neuron turns ``(x, z_prev, W_in, W_rec)`` into
        the input of ``step``; :func:`linear_input` by default.
    :param recurrent_detach_reset: default of ``detach_reset`` for the recurrent forms
        (the reference detaches the reset of recurrent LIF and LSNN only).
    :param recurrent_parameters: optional ``(p, input_size, hidden_size) -> {field: tensor}``
        giving parameters whose default depends on the layer size (e.g. the coupling
        matrix of a multicompartment neuron); called by the recurrent and linear forms
        for fields that are ``None`` in ``p``. The tensors become ``nn.Parameter`` objects.
    :param fused: optional :class:`~spikeplug.backends.FusedKernel` objects that run the whole
        sequence of the layer form in one call (see :mod:`spikeplug.backends`); the eager
        step loop stays the reference they must match.
    :param doc: the family's documentation (equations, update order, units).
    :param state_units: optional unit of each state variable, by field name
        (``{"v": "mV", "u": "mV/ms"}``; ``""`` for dimensionless). Recordings, plots,
        ``spikeplug simulate`` and the catalogue label the variables with them; a field
        left out is shown without a unit.
    :param input_unit: optional unit of the input the step takes (a current, a conductance
        jump...), shown the same way.
    """

    name: str
    parameters: type
    state: type
    step: Step
    initial_state: Callable[..., Any]
    recurrent_state: type | None = None
    recurrent_input: Callable[..., Any] = linear_input
    recurrent_detach_reset: bool = False
    recurrent_parameters: Callable[[Any, int, int], dict[str, torch.Tensor]] | None = None
    fused: tuple[Any, ...] = attrs.field(default=(), converter=tuple)
    doc: str = ""
    state_units: Mapping[str, str] = attrs.field(factory=dict, converter=dict, hash=False)
    input_unit: str = ""

    def __attrs_post_init__(self) -> None:
        fields = tuple(self.state._fields)
        unknown = sorted(set(self.state_units) - set(fields))
        if unknown:
            raise TypeError(f"{self.name}: state_units names {unknown}, which are not fields of the state {fields}")
        bad = {k: v for k, v in self.state_units.items() if not isinstance(v, str)}
        if bad or not isinstance(self.input_unit, str):
            raise TypeError(
                f"{self.name}: units are strings (e.g. 'mV', '' for dimensionless), got "
                f"{bad or {'input_unit': self.input_unit}}"
            )
        rec = self.recurrent_state
        if rec is not None and tuple(rec._fields) != ("z", *self.state._fields):
            raise TypeError(
                f"{self.name}: recurrent_state fields {rec._fields} must be ('z', *state fields "
                f"{self.state._fields})"
            )

    def to_recurrent(self, z: torch.Tensor, state: Any) -> Any:
        """The recurrent state holding spikes ``z`` and the feed-forward ``state``."""
        return self.recurrent_state(z, *state)  # type: ignore[misc]

    def from_recurrent(self, state: Any) -> Any:
        """The feed-forward part of a recurrent state."""
        return self.state._make(state[1:])

    def recurrent_step(
        self,
        x: torch.Tensor,
        state: Any,
        p: Any,
        input_weights: torch.Tensor,
        recurrent_weights: torch.Tensor,
        *,
        detach_reset: bool | None = None,
    ) -> tuple[torch.Tensor, Any]:
        """One step of a recurrently connected population: ``step`` on
        ``recurrent_input(x, state.z, W_in, W_rec)``; ``state`` is a ``recurrent_state``.
        ``detach_reset`` defaults to :attr:`recurrent_detach_reset`. The recurrent modules
        and any functional recurrent step (e.g. :mod:`spikeplug.norse`'s) call this."""
        i = self.recurrent_input(x, state[0], input_weights, recurrent_weights)
        detach = self.recurrent_detach_reset if detach_reset is None else detach_reset
        z, ff = self.step(i, self.from_recurrent(state), p, detach_reset=detach)
        return z, self.to_recurrent(z, ff)


@runtime_checkable
class Encoder(Protocol):
    """Structural contract of an encoder module: a stateless map from values to spikes.

    Encoders are ``torch.nn.Module``s whose ``forward(x)`` returns a tensor; encoders
    that produce a time series put time first, ``(seq_length, *x.shape)``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor: ...


def floating_dtype(x: torch.Tensor) -> torch.dtype:
    """The dtype states get for input ``x``: its own if floating, float32 otherwise."""
    return x.dtype if x.is_floating_point() else torch.float32


def state_tensor(
    shape: Sequence[int], value: Any, dtype: torch.dtype, device: torch.device, *, field: str = "value"
) -> torch.Tensor:
    """A fresh full-shape state tensor filled with ``value`` (a float or a tensor that
    broadcasts to ``shape``, e.g. a per-neuron ``v_leak``).

    The tensor is new memory (never the parameter itself), but it stays a differentiable
    function of a parameter that requires grad: a learnable ``v_leak`` that is also the
    rest potential gets the gradient of both of its roles. For parameters without
    gradient (the usual case) the state does not require grad.
    """
    if not isinstance(value, torch.Tensor):
        return torch.full(tuple(shape), float(value), dtype=dtype, device=device)
    v = value.to(device=device, dtype=dtype)
    try:
        return torch.broadcast_to(v, tuple(shape)).clone()
    except RuntimeError:
        raise ParameterError(
            f"parameter {field} has shape {tuple(v.shape)}, which does not broadcast to the "
            f"state shape {tuple(shape)}; give one value per neuron in the trailing dimensions"
        ) from None


@attrs.frozen
class RestState:
    """An ``initial_state`` declared rather than written: every field of ``state`` starts
    at zero except those named in ``values``, which start at a parameter's value (a field
    name of the parameter class, e.g. ``"v_leak"``, possibly a per-neuron tensor) or at a
    number::

        initial_state=RestState(LIFFeedForwardState, {"v": "v_leak"})
    """

    state: type
    values: dict[str, str | float] = attrs.field(factory=dict, converter=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        unknown = set(self.values) - set(self.state._fields)
        if unknown:
            raise TypeError(f"RestState: {sorted(unknown)} are not fields of {self.state.__name__}{self.state._fields}")

    def __call__(self, shape: Sequence[int], p: Any, dtype: torch.dtype, device: Any) -> Any:
        fields = []
        for name in self.state._fields:
            source = self.values.get(name, 0.0)
            value = getattr(p, source) if isinstance(source, str) else source
            fields.append(state_tensor(shape, value, dtype, device, field=source if isinstance(source, str) else name))
        return self.state(*fields)


def stack_states(states: Sequence[Any]) -> Any:
    """One state whose every field stacks the per-step fields along a new dim 0."""
    first = states[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(list(states))
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(stack_states([s[k] for s in states]) for k in range(len(first))))
    if isinstance(first, (tuple, list)):
        return type(first)(stack_states([s[k] for s in states]) for k in range(len(first)))
    raise StateError(f"cannot record a state of type {type(first).__name__}")
