"""Adapter factories: Norse's functional signatures over a registered model's one ``step``.

Each factory takes a model's registry name and returns a plain function with Norse's
signature. Nothing here computes a neuron: every function resolves the model's
:class:`~spikeplug.NeuronModel` from the registry (once, on first call) and calls its
``step`` / :meth:`~spikeplug.NeuronModel.recurrent_step`, so there is one implementation
of every equation. The conventions shared by all of them:

* ``p=None`` means the family's default parameters (Norse gives most steps a default
  ``p``; where it does not, the default is harmless).
* ``dt=None`` means ``p.dt`` (0.001 s unless the parameter object says otherwise; Norse's
  parameter tuples have no ``dt``, so Norse code never sees the difference). A given
  ``dt`` replaces ``p.dt`` for that call.
* Inputs of any layout are computed densely; a sparse COO input gives a sparse COO
  output (the modules' rule, :mod:`spikeplug.modules`). States stay dense.
* A function is named and placed (``__module__``, ``__qualname__``) where the package
  exports it, so it pickles by reference.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import torch

import spikeplug
from spikeplug.modules import _dense, _in_layout
from spikeplug.params import values_equal

__all__ = [
    "model",
    "parameters_for",
    "feed_forward_step",
    "recurrent_step",
    "linear_step",
    "integral",
    "current_encoder",
]

#: the module the generated functions are exported from (for pickling and help())
FUNCTIONAL = "spikeplug.norse.functional"


def model(name: str) -> spikeplug.NeuronModel:
    """spikeplug's own model ``name`` from the registry (qualified, so that a third-party
    model with the same bare name can never stand in for it)."""
    return spikeplug.registry.factory(f"{name}:{name}").model


def parameters_for(m: spikeplug.NeuronModel, p: Any, dt: Any) -> Any:
    """``p`` (or the model's defaults) as the model's parameter class, with ``dt`` applied.

    A parameter object of a base class of the model's (Norse passes ``LIFParameters`` to
    the multicompartment step) is widened: its fields are copied, the rest take defaults.
    """
    cls = m.parameters
    if p is None:
        p = cls()
    elif not isinstance(p, cls):
        if not (attrs.has(type(p)) and issubclass(cls, type(p))):
            raise spikeplug.ParameterError(
                f"p must be a {cls.__name__} (model {m.name!r}), got {type(p).__name__}: {p!r}"
            )
        p = cls(**{f.name: getattr(p, f.name) for f in attrs.fields(type(p))})
    if dt is not None and not values_equal(p.dt, dt):
        p = p._replace(dt=dt)
    return p


class _Lazy:
    """The model ``name``, resolved from the registry on first use and kept."""

    __slots__ = ("name", "_model")

    def __init__(self, name: str):
        self.name = name
        self._model: spikeplug.NeuronModel | None = None

    def __call__(self) -> spikeplug.NeuronModel:
        if self._model is None:
            self._model = model(self.name)
        return self._model


def _named(fn: Callable[..., Any], name: str, doc: str, params: Sequence[inspect.Parameter]) -> Callable[..., Any]:
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = FUNCTIONAL
    fn.__doc__ = doc
    fn.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
    return fn


def _arg(name: str, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)


def _zero_state(m: spikeplug.NeuronModel, x: torch.Tensor, state_type: type) -> Any:
    """Norse's default functional state: every field zero, shaped like the input."""
    zero = torch.zeros(x.shape, dtype=spikeplug.floating_dtype(x), device=x.device)
    return state_type(*([zero] * len(state_type._fields)))


def feed_forward_step(family: str, name: str, *, zero_state: bool = False) -> Callable[..., Any]:
    """Norse's ``<family>_feed_forward_step(input_tensor, state, p, dt)``: one step of the
    model. With ``zero_state`` (Norse's LIF-Ex and AdEx steps) the state may be left out and
    starts at zeros; elsewhere it is required, as in Norse."""
    m = _Lazy(family)

    def step(input_tensor: torch.Tensor, state: Any = None, p: Any = None, dt: float | None = None) -> tuple[Any, Any]:
        model_ = m()
        layout, x = input_tensor.layout, _dense(input_tensor)
        if state is None:
            if not zero_state:
                raise TypeError(f"{name}() missing required argument 'state' (a {model_.state.__name__})")
            state = _zero_state(model_, x, model_.state)
        out, new_state = model_.step(x, state, parameters_for(model_, p, dt))
        return _in_layout(out, layout), new_state

    doc = (
        f"One feed-forward step of spikeplug's ``{family}`` model with Norse's signature: "
        f"``(output, new_state)``. ``p=None``: the defaults; ``dt=None``: ``p.dt``. See "
        f":mod:`spikeplug.norse` and ``docs/norse.md``."
    )
    state_arg = _arg("state", None) if zero_state else _arg("state")
    return _named(step, name, doc, [_arg("input_tensor"), state_arg, _arg("p", None), _arg("dt", None)])


def recurrent_step(family: str, name: str, *, coupling: bool = False) -> Callable[..., Any]:
    """Norse's recurrent ``<family>_step(input_tensor, state, input_weights,
    recurrent_weights, p, dt)``: :meth:`~spikeplug.NeuronModel.recurrent_step` (the
    model's own ``recurrent_input`` and reset detaching). With ``coupling`` the step takes
    Norse's ``g_coupling`` matrix after the weights (the multicompartment step), which
    spikeplug keeps as the parameter field of that name."""
    m = _Lazy(family)

    def run(x: torch.Tensor, state: Any, w_in: torch.Tensor, w_rec: torch.Tensor, p: Any) -> tuple[Any, Any]:
        layout, x = x.layout, _dense(x)
        z, new_state = m().recurrent_step(x, state, p, w_in, w_rec)
        return _in_layout(z, layout), new_state

    if coupling:

        def step(
            input_tensor: torch.Tensor,
            state: Any,
            input_weights: torch.Tensor,
            recurrent_weights: torch.Tensor,
            g_coupling: torch.Tensor,
            p: Any = None,
            dt: float | None = None,
        ) -> tuple[Any, Any]:
            params = parameters_for(m(), p, dt)._replace(g_coupling=g_coupling)
            return run(input_tensor, state, input_weights, recurrent_weights, params)

    else:

        def step(  # type: ignore[misc]
            input_tensor: torch.Tensor,
            state: Any,
            input_weights: torch.Tensor,
            recurrent_weights: torch.Tensor,
            p: Any = None,
            dt: float | None = None,
        ) -> tuple[Any, Any]:
            return run(input_tensor, state, input_weights, recurrent_weights, parameters_for(m(), p, dt))

    params = [_arg("input_tensor"), _arg("state"), _arg("input_weights"), _arg("recurrent_weights")]
    if coupling:
        params.append(_arg("g_coupling"))
    params += [_arg("p", None), _arg("dt", None)]
    doc = (
        f"One recurrent step of spikeplug's ``{family}`` model with Norse's signature: input "
        f"``x·W_inᵀ + z_prev·W_recᵀ`` (the model's recurrent input), ``(z, new_state)``. "
        f"``p=None``: the defaults; ``dt=None``: ``p.dt``."
    )
    return _named(step, name, doc, params)


def linear_step(family: str, name: str) -> Callable[..., Any]:
    """Norse's ``li_step(input_tensor, state, input_weights, p, dt)``: the step on ``x·W_inᵀ``."""
    m = _Lazy(family)

    def step(
        input_tensor: torch.Tensor, state: Any, input_weights: torch.Tensor, p: Any = None, dt: float | None = None
    ) -> tuple[Any, Any]:
        model_ = m()
        layout, x = input_tensor.layout, _dense(input_tensor)
        out, new_state = model_.step(torch.nn.functional.linear(x, input_weights), state, parameters_for(model_, p, dt))
        return _in_layout(out, layout), new_state

    doc = f"One step of spikeplug's ``{family}`` model on ``x·W_inᵀ`` with Norse's signature: ``(output, new_state)``."
    return _named(
        step, name, doc, [_arg("input_tensor"), _arg("state"), _arg("input_weights"), _arg("p", None), _arg("dt", None)]
    )


def integral(step: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``step`` at every time step of a time-first input, Norse's integrals
    (``lif_feed_forward_integral(input_tensor, state, p, dt)``, and for a recurrent step
    ``(input_tensor, state, input_weights, recurrent_weights, p, dt)``): the step's other
    arguments are passed on; returns ``(outputs (T, ...), final_state)``."""

    def run(input_tensor: torch.Tensor, state: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if not isinstance(input_tensor, torch.Tensor) or input_tensor.dim() < 1 or input_tensor.shape[0] == 0:
            raise spikeplug.InputShapeError(
                f"{name}: input_tensor must be time-first (T, ...) with at least one step, got "
                f"{tuple(input_tensor.shape) if isinstance(input_tensor, torch.Tensor) else type(input_tensor).__name__}"
            )
        layout = input_tensor.layout
        outputs = []
        for x_t in _dense(input_tensor).unbind(0):      # unbind, not x[t]: keeps the backward linear in T
            out, state = step(x_t, state, *args, **kwargs)
            outputs.append(out)
        return _in_layout(torch.stack(outputs), layout), state

    doc = f"{step.__name__} at every step of a time-first input (Norse's integral): ``(outputs, final_state)``."
    params = list(inspect.signature(step).parameters.values())
    return _named(run, name, doc, params)


def current_encoder(family: str, name: str, *, adaptation: bool = False) -> Callable[..., Any]:
    """Norse's ``<family>_current_encoder(input_current, voltage, [adaptation,] p, dt)``:
    one step of the model with the synaptic current at zero, so the input current drives
    the membrane directly. Returns ``(z, v')`` (and ``a'`` with ``adaptation``)."""
    m = _Lazy(family)

    def run(input_current: torch.Tensor, fields: dict[str, torch.Tensor], p: Any, dt: Any) -> Any:
        model_ = m()
        x = _dense(input_current)
        zero = torch.zeros_like(fields["v"], dtype=spikeplug.floating_dtype(x))
        state = model_.state(**{f: fields.get(f, zero) for f in model_.state._fields})
        return model_.step(x, state, parameters_for(model_, p, dt))

    if adaptation:

        def encode(
            input_current: torch.Tensor, voltage: torch.Tensor, adaptation: torch.Tensor, p: Any = None,
            dt: float | None = None,
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            z, state = run(input_current, {"v": voltage, "a": adaptation}, p, dt)
            return z, state.v, state.a

    else:

        def encode(  # type: ignore[misc]
            input_current: torch.Tensor, voltage: torch.Tensor, p: Any = None, dt: float | None = None
        ) -> tuple[torch.Tensor, torch.Tensor]:
            z, state = run(input_current, {"v": voltage}, p, dt)
            return z, state.v

    params = [_arg("input_current"), _arg("voltage")] + ([_arg("adaptation")] if adaptation else [])
    doc = (
        f"One step of spikeplug's ``{family}`` model driven by ``input_current`` with no synaptic current "
        f"(Norse's current encoder): ``(z, v{', a' if adaptation else ''})``."
    )
    return _named(encode, name, doc, params + [_arg("p", None), _arg("dt", None)])
