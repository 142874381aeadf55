"""Modules generated from a :class:`~spikeplug.NeuronModel`.

Four forms, written once here for every family:

=================  ==============================  ======================================
form               input                            returns
=================  ==============================  ======================================
cell               ``x`` of shape ``(*S)``          ``(output, state)`` for one step
layer              ``(T, *S)``, time first          ``(outputs (T, *S), final_state)``
recurrent cell     ``(*B, input_size)``             ``(z (*B, hidden), state)``
recurrent          ``(T, *B, input_size)``          ``(z (T, *B, hidden), final_state)``
=================  ==============================  ======================================

* The initial state is built lazily from the first input: full shape, the input's device,
  the input's floating dtype (float32 for bool or integer input). It is not a leaf that
  requires grad (pass a state to start elsewhere, or to get gradients with respect to
  it), but it stays a function of the parameters it is built from, so a learnable
  ``v_leak`` gets the gradient of its role as the rest potential too.
* Before the first step on an input, parameters and a given state are checked against
  it (:mod:`spikeplug.checks`): per-neuron values must broadcast to the population without
  enlarging it and have the input's dtype and device; a state must have the population's
  shape, dtype and device. Nothing is silently broadcast or retyped.
* ``learnable=`` names parameters to train; a name whose parameter the step never
  differentiates (``alpha``, which only shapes the surrogate, or a field the step does
  not use) is refused with the reason, since an optimiser (or DDP) would see a parameter
  that never gets a gradient.
* Under :func:`spikeplug.detect_anomaly` every step is checked for non-finite values.
* Parameters may be given as a parameter object ``p``, as keyword overrides
  (``LIFCell(tau_mem_inv=50.0, dt=1e-4)``), or both. Tensor-valued fields are registered
  as buffers, so ``.to(device)`` moves them and ``state_dict`` saves them; names listed in
  ``learnable=`` become ``nn.Parameter``\\ s an optimiser can train.
* Inputs of any layout are accepted: steps compute densely and states are dense. A
  sparse COO input gives sparse COO outputs (Norse's LIF modules do the same); other
  layouts (CSR, a non-contiguous view, channels-last) give ordinary dense outputs. Fused
  kernels run dense inputs only, so ``backend="auto"`` runs a sparse input on the eager
  loop and ``backend="fused"`` refuses it with :class:`~spikeplug.BackendError`.
* Layers loop over ``inputs.unbind(0)`` and stack once (indexing ``inputs[t]`` makes the
  backward grow as T²); ``record_states=True`` returns every step's state stacked on dim 0.
* Recurrent forms add ``x·W_inᵀ + z_prev·W_recᵀ`` to the input (or the family's own
  ``recurrent_input``). Both weights start as ``randn · sqrt(2 / hidden_size)`` (Norse's
  initialisation). With ``autapses=False`` (default) the diagonal of ``W_rec`` starts at
  zero and is masked in every forward, so no neuron feeds back onto itself and the
  diagonal receives zero gradient and stays zero under any optimiser.
* Layers and recurrent layers take ``backend=`` (:mod:`spikeplug.backends`): a fused or
  generated kernel runs the whole sequence where it can, and the eager loop stays the
  reference it is checked against; ``last_backend`` and ``last_backend_reason`` say which
  ran and why.
"""

from __future__ import annotations

import copy
import math
import warnings
from typing import Any, ClassVar, NamedTuple

import attrs
import torch
from torch import nn

from .anomaly import anomaly_enabled, check_step
from .backends import check_backend, select_kernel
from .checks import check_parameters, check_state, flag, positive_int
from .errors import InputShapeError, ParameterError, StabilityWarning
from .generated import generated_kernel
from .model import NeuronModel, floating_dtype, stack_states
from .params import build_parameters

__all__ = [
    "NeuronModule",
    "NeuronCell",
    "NeuronLayer",
    "NeuronRecurrentCell",
    "NeuronRecurrent",
    "NeuronLinearCell",
    "ModuleSet",
    "build_modules",
    "parameters_without_gradient",
    "FORMS",
]

FORMS = ("cell", "layer", "recurrent_cell", "recurrent", "linear_cell")


def _as_float(x: torch.Tensor, name: str = "input") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise InputShapeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x if x.is_floating_point() else x.to(torch.float32)


def _dense(x: torch.Tensor) -> torch.Tensor:
    """``x`` as a strided tensor: steps compute densely (states are dense), whatever the input's layout."""
    return x if x.layout == torch.strided else x.to_dense()


def _in_layout(out: torch.Tensor, layout: torch.layout) -> torch.Tensor:
    """``out`` in the input's layout: a sparse COO input gives sparse COO outputs (as Norse's
    LIF modules do); other layouts give dense outputs."""
    return out.to_sparse() if layout == torch.sparse_coo else out


class NeuronModule(nn.Module):
    """Shared parameter handling of the generated modules."""

    model: ClassVar[NeuronModel]
    stateful: ClassVar[bool] = True

    def _init_parameters(
        self,
        p: Any,
        overrides: dict[str, Any],
        learnable: tuple[str, ...] | list[str],
        sizes: tuple[int, int] | None = None,
    ) -> None:
        p = build_parameters(self.model.parameters, p, overrides)
        names = [f.name for f in attrs.fields(type(p))]
        sized = self.model.recurrent_parameters
        if sizes is not None and sized is not None:
            # parameters whose default depends on the layer size (left None by the user)
            fills = {k: nn.Parameter(v) for k, v in sized(p, *sizes).items() if getattr(p, k) is None}
            if fills:
                p = attrs.evolve(p, **fills)
        learnable = _learnable_names(learnable)
        learned: dict[str, nn.Parameter] = {}
        for name in learnable:
            if name not in names:
                raise ParameterError(
                    f"learnable: {type(p).__name__} has no parameter {name!r}; its parameters are: {', '.join(names)}"
                )
            value = getattr(p, name)
            if isinstance(value, nn.Parameter):
                learned[name] = value
            elif isinstance(value, (int, float, torch.Tensor)) and not isinstance(value, bool):
                floating = isinstance(value, torch.Tensor) and value.is_floating_point()
                t = torch.as_tensor(value, dtype=value.dtype if floating else torch.get_default_dtype())
                learned[name] = nn.Parameter(t.detach().clone())
            else:
                raise ParameterError(f"learnable: parameter {name!r} holds {value!r}, which is not a number")
        if learned:
            p = attrs.evolve(p, **learned)
        self._tensor_names: tuple[str, ...] = tuple(n for n in names if isinstance(getattr(p, n), torch.Tensor))
        for name in self._tensor_names:
            if hasattr(nn.Module, name) or name in self.__dict__:
                raise ParameterError(f"parameter name {name!r} clashes with a torch.nn.Module attribute")
            value = getattr(p, name)
            if isinstance(value, nn.Parameter):
                self.register_parameter(name, value)
            else:
                self.register_buffer(name, value)
        self._p = p
        self._checked: tuple[Any, ...] | None = None
        self._anomaly_step = 0
        if learned:
            _refuse_unused(self.model, p, tuple(learned), sizes)

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} (model {self.model.name!r})"

    def _checked_params(self, shape: tuple[int, ...] | torch.Size, dtype: torch.dtype, device: torch.device) -> Any:
        """The parameters, checked against a population of ``shape`` computed in ``dtype``
        on ``device`` (once per parameter object and input kind, not every step)."""
        p = self.params()
        key = (tuple(shape), dtype, device)
        checked = self._checked
        if checked is None or checked[0] is not p or checked[1] != key:
            check_parameters(p, shape, dtype, device, owner=self._owner)
            self._checked = (p, key)
        return p

    def _checked_state(self, state: Any, state_type: type, shape: Any, x: torch.Tensor) -> Any:
        return check_state(state, state_type, shape, x.dtype, x.device, owner=self._owner)

    def _anomaly(self, x: torch.Tensor, out: torch.Tensor, state: Any, *, fresh: bool) -> None:
        """Anomaly check of one step of a cell (steps counted from the last fresh state)."""
        self._anomaly_step = 0 if fresh else self._anomaly_step + 1
        check_step(self, self._anomaly_step, x, out, state)

    @property
    def p(self) -> Any:
        """The parameter object, holding this module's current tensors."""
        return self.params()

    def params(self) -> Any:
        """The parameters with the module's current buffers and ``nn.Parameter``\\ s.

        ``.to()``, ``load_state_dict(assign=True)`` and similar replace tensors; this
        rebuilds the (already validated) parameter object when that happened.
        """
        p = self._p
        stale = [n for n in self._tensor_names if getattr(self, n) is not getattr(p, n)]
        if stale:
            # the values were validated at construction; .to("meta") and friends only
            # move or convert them, so rebuild without running the validators again
            p = copy.copy(p)
            for n in stale:
                object.__setattr__(p, n, getattr(self, n))
            self._p = p
        return p

    def extra_repr(self) -> str:
        return f"p={self.params()!r}, detach_reset={self.detach_reset}"

    def _run_kernel(
        self, kernels: tuple[Any, ...], x: torch.Tensor, state: Any, p: Any, anomaly: bool
    ) -> tuple[torch.Tensor, Any] | None:
        """(Layers) the outputs from the fused kernel :func:`select_kernel` picks for this run,
        or ``None`` for the eager loop; sets ``last_backend`` and ``last_backend_reason``."""
        kernel, why = select_kernel(
            "eager" if anomaly else self.backend, kernels, x, state, p,
            detach_reset=self.detach_reset, record_states=self.record_states, model_name=self.model.name,
        )
        self.last_backend_reason = "detect_anomaly() runs the eager loop" if anomaly else why
        if kernel is None:
            self.last_backend = "eager"
            return None
        self.last_backend = kernel.name
        return kernel.run(x, state, p, detach_reset=self.detach_reset)


class NeuronCell(NeuronModule):
    """One Euler step of a neuron model: ``forward(x, state=None) -> (output, state)``."""

    def __init__(self, p: Any = None, *, detach_reset: bool = False, learnable: tuple[str, ...] = (), **overrides: Any):
        super().__init__()
        self.detach_reset = flag(detach_reset, name="detach_reset", owner=type(self).__name__)
        self._init_parameters(p, overrides, learnable)

    def initial_state(self, x: torch.Tensor) -> Any:
        """The state before any input, for an input like ``x`` (one step)."""
        return self.model.initial_state(tuple(x.shape), self.params(), floating_dtype(x), x.device)

    def forward(self, input: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        x = _as_float(input)
        layout, x = x.layout, _dense(x)
        p = self._checked_params(x.shape, x.dtype, x.device)
        fresh = state is None
        state = self.initial_state(x) if fresh else self._checked_state(state, self.model.state, x.shape, x)
        out, state = self.model.step(x, state, p, detach_reset=self.detach_reset)
        if anomaly_enabled():
            self._anomaly(x, out, state, fresh=fresh)
        return _in_layout(out, layout), state


class NeuronLayer(NeuronModule):
    """A neuron model over time: ``forward(inputs (T, ...), state=None) -> (outputs, state)``."""

    def __init__(
        self,
        p: Any = None,
        *,
        detach_reset: bool = False,
        record_states: bool = False,
        backend: str = "auto",
        learnable: tuple[str, ...] = (),
        **overrides: Any,
    ):
        super().__init__()
        self.detach_reset = flag(detach_reset, name="detach_reset", owner=type(self).__name__)
        self.record_states = flag(record_states, name="record_states", owner=type(self).__name__)
        self.backend = check_backend(backend)
        self._init_parameters(p, overrides, learnable)
        self.last_backend: str | None = None
        self.last_backend_reason: str = ""

    def initial_state(self, inputs: torch.Tensor) -> Any:
        """The state before the first step of ``inputs`` (time first)."""
        return self.model.initial_state(tuple(inputs.shape[1:]), self.params(), floating_dtype(inputs), inputs.device)

    def forward(self, inputs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        x = _check_time_first(_as_float(inputs, "inputs"))
        S = x.shape[1:]
        p = self._checked_params(S, x.dtype, x.device)
        state = self.initial_state(x) if state is None else self._checked_state(state, self.model.state, S, x)
        anomaly = anomaly_enabled()
        kernels = self.model.fused
        if not torch.compiler.is_compiling():  # numba kernels are opaque to dynamo; it traces the others
            kernels = (*kernels, generated_kernel(self.model).fused())
        fused = self._run_kernel(kernels, x, state, p, anomaly)
        if fused is not None:
            return fused
        layout, x = x.layout, _dense(x)         # sparse inputs run here: kernels refuse them
        step, detach = self.model.step, self.detach_reset
        outputs, recorded = [], []
        for t, x_t in enumerate(x.unbind(0)):
            out, state = step(x_t, state, p, detach_reset=detach)
            outputs.append(out)
            if self.record_states:
                recorded.append(state)
            if anomaly:
                check_step(self, t, x_t, out, state)
        return _in_layout(torch.stack(outputs), layout), (stack_states(recorded) if self.record_states else state)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", record_states={self.record_states}, backend={self.backend!r}"


class _RecurrentModule(NeuronModule):
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: Any = None,
        *,
        input_weights: torch.Tensor | None = None,
        recurrent_weights: torch.Tensor | None = None,
        autapses: bool = False,
        detach_reset: bool | None = None,
        learnable: tuple[str, ...] = (),
        **overrides: Any,
    ):
        super().__init__()
        if self.model.recurrent_state is None:
            raise TypeError(f"neuron model {self.model.name!r} has no recurrent form")
        self.input_size = positive_int(input_size, name="input_size", owner=type(self).__name__)
        self.hidden_size = positive_int(hidden_size, name="hidden_size", owner=type(self).__name__)
        self.detach_reset = (
            self.model.recurrent_detach_reset
            if detach_reset is None
            else flag(detach_reset, name="detach_reset", owner=type(self).__name__)
        )
        self.autapses = flag(autapses, name="autapses", owner=type(self).__name__)
        self._init_parameters(p, overrides, learnable, sizes=(self.input_size, self.hidden_size))
        scale = math.sqrt(2.0 / self.hidden_size)
        self.input_weights = _weight(
            "input_weights", input_weights, (self.hidden_size, self.input_size), scale
        )
        self.recurrent_weights = _weight(
            "recurrent_weights", recurrent_weights, (self.hidden_size, self.hidden_size), scale
        )
        if not self.autapses:
            with torch.no_grad():
                self.recurrent_weights.fill_diagonal_(0.0)
            mask = 1.0 - torch.eye(self.hidden_size, dtype=self.recurrent_weights.dtype, device=self.recurrent_weights.device)
            self.register_buffer("autapse_mask", mask, persistent=False)

    def effective_recurrent_weights(self) -> torch.Tensor:
        """``W_rec`` as used in the forward: diagonal masked out unless ``autapses``."""
        if self.autapses:
            return self.recurrent_weights
        return self.recurrent_weights * self.autapse_mask

    def _check_input(self, input: torch.Tensor, name: str) -> torch.Tensor:
        x = _as_float(input, name)
        if x.dim() == 0 or x.shape[-1] != self.input_size:
            raise InputShapeError(
                f"{type(self).__name__}: {name} of shape {tuple(x.shape)} has "
                f"{x.shape[-1] if x.dim() else 'no'} features in its last dimension, but "
                f"input_size={self.input_size}; pass {name} of shape (..., {self.input_size})"
            )
        for wname in ("input_weights", "recurrent_weights"):
            w = getattr(self, wname, None)
            if w is not None and (w.dtype != x.dtype or w.device != x.device):
                raise ParameterError(
                    f"{self._owner}: {wname} is {w.dtype} on {w.device} but the {name} is {x.dtype} on {x.device}; "
                    f"convert the module (module.to({x.dtype}) or .to(device)) or the {name}"
                )
        return x

    def _recurrent_step(self, x: torch.Tensor, state: Any, p: Any, w_rec: torch.Tensor) -> tuple[torch.Tensor, Any]:
        return self.model.recurrent_step(x, state, p, self.input_weights, w_rec, detach_reset=self.detach_reset)

    def _initial(self, batch_shape: tuple[int, ...], x: torch.Tensor) -> Any:
        shape = (*batch_shape, self.hidden_size)
        dtype = floating_dtype(x)
        ff = self.model.initial_state(shape, self.params(), dtype, x.device)
        return self.model.to_recurrent(torch.zeros(shape, dtype=dtype, device=x.device), ff)

    def extra_repr(self) -> str:
        return (
            f"input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"autapses={self.autapses}, " + super().extra_repr()
        )


class NeuronRecurrentCell(_RecurrentModule):
    """One step of a recurrently connected population: ``forward(x, state=None)``."""

    def initial_state(self, x: torch.Tensor) -> Any:
        """The state before any input, for one step of input ``x`` (``(*B, input_size)``)."""
        return self._initial(tuple(x.shape[:-1]), x)

    def forward(self, input: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        x = self._check_input(input, "input")
        layout, x = x.layout, _dense(x)
        shape = (*x.shape[:-1], self.hidden_size)
        p = self._checked_params(shape, x.dtype, x.device)
        fresh = state is None
        state = self.initial_state(x) if fresh else self._checked_state(state, self.model.recurrent_state, shape, x)
        z, state = self._recurrent_step(x, state, p, self.effective_recurrent_weights())
        if anomaly_enabled():
            self._anomaly(x, z, state, fresh=fresh)
        return _in_layout(z, layout), state


class NeuronRecurrent(_RecurrentModule):
    """A recurrently connected population over time: ``forward(inputs (T, *B, input_size))``.

    ``backend`` chooses how the loop runs, as for the layer form (:mod:`spikeplug.backends`):
    ``"generated"`` projects every step's input in one product and runs the recurrent
    product ``z_{t-1}·W_recᵀ`` with one step of the model's generated kernel per time step,
    all as one autograd node (:mod:`spikeplug.generated`); it needs the default
    ``recurrent_input`` (:func:`~spikeplug.model.linear_input`). No model has a
    hand-described recurrent kernel, so ``"fused"`` raises. ``last_backend`` and
    ``last_backend_reason`` tell which path the last forward took and why.
    """

    def __init__(
        self, input_size: int, hidden_size: int, p: Any = None, *, record_states: bool = False, backend: str = "auto",
        **kwargs: Any,
    ):
        super().__init__(input_size, hidden_size, p, **kwargs)
        self.record_states = flag(record_states, name="record_states", owner=type(self).__name__)
        self.backend = check_backend(backend)
        self.last_backend: str | None = None
        self.last_backend_reason: str = ""

    def initial_state(self, inputs: torch.Tensor) -> Any:
        """The state before the first step of ``inputs`` (``(T, *B, input_size)``)."""
        return self._initial(tuple(inputs.shape[1:-1]), inputs)

    def forward(self, inputs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        x = _check_time_first(self._check_input(inputs, "inputs"), min_dim=2)
        shape = (*x.shape[1:-1], self.hidden_size)
        p = self._checked_params(shape, x.dtype, x.device)
        state = self.initial_state(x) if state is None else self._checked_state(state, self.model.recurrent_state, shape, x)
        w_rec = self.effective_recurrent_weights()
        anomaly = anomaly_enabled()
        kernels = () if torch.compiler.is_compiling() else (  # numba is opaque to dynamo: it traces the eager loop
            generated_kernel(self.model).recurrent(self.input_weights, w_rec),)
        fused = self._run_kernel(kernels, x, state, p, anomaly)
        if fused is not None:
            return fused
        layout, x = x.layout, _dense(x)         # sparse inputs run here: kernels refuse them
        outputs, recorded = [], []
        for t, x_t in enumerate(x.unbind(0)):
            z, state = self._recurrent_step(x_t, state, p, w_rec)
            outputs.append(z)
            if self.record_states:
                recorded.append(state)
            if anomaly:
                check_step(self, t, x_t, z, state)
        return _in_layout(torch.stack(outputs), layout), (stack_states(recorded) if self.record_states else state)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", record_states={self.record_states}, backend={self.backend!r}"


class NeuronLinearCell(NeuronModule):
    """One step of a population fed through input weights, without recurrence.

    ``forward(x (*B, input_size), state=None) -> (output (*B, hidden), state)`` with the
    step's input ``x·W_inᵀ``. ``W_in`` starts as ``randn / sqrt(input_size)`` (the
    reference's ``LILinearCell``).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        p: Any = None,
        *,
        input_weights: torch.Tensor | None = None,
        detach_reset: bool = False,
        learnable: tuple[str, ...] = (),
        **overrides: Any,
    ):
        super().__init__()
        self.input_size = positive_int(input_size, name="input_size", owner=type(self).__name__)
        self.hidden_size = positive_int(hidden_size, name="hidden_size", owner=type(self).__name__)
        self.detach_reset = flag(detach_reset, name="detach_reset", owner=type(self).__name__)
        self._init_parameters(p, overrides, learnable, sizes=(self.input_size, self.hidden_size))
        self.input_weights = _weight(
            "input_weights", input_weights, (self.hidden_size, self.input_size), 1.0 / math.sqrt(self.input_size)
        )

    _check_input = _RecurrentModule._check_input

    def initial_state(self, x: torch.Tensor) -> Any:
        """The state before any input, for one step of input ``x`` (``(*B, input_size)``)."""
        shape = (*x.shape[:-1], self.hidden_size)
        return self.model.initial_state(shape, self.params(), floating_dtype(x), x.device)

    def forward(self, input: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        x = self._check_input(input, "input")
        layout, x = x.layout, _dense(x)
        shape = (*x.shape[:-1], self.hidden_size)
        p = self._checked_params(shape, x.dtype, x.device)
        fresh = state is None
        state = self.initial_state(x) if fresh else self._checked_state(state, self.model.state, shape, x)
        i = torch.nn.functional.linear(x, self.input_weights)
        out, state = self.model.step(i, state, p, detach_reset=self.detach_reset)
        if anomaly_enabled():
            self._anomaly(x, out, state, fresh=fresh)
        return _in_layout(out, layout), state

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, " + super().extra_repr()


def _learnable_names(learnable: Any) -> tuple[str, ...]:
    """``learnable=`` as a tuple of names: one name or an iterable of names."""
    if isinstance(learnable, str):
        return (learnable,)
    try:
        names = tuple(learnable)
    except TypeError:
        names = None
    if names is None or not all(isinstance(n, str) for n in names):
        raise ParameterError(
            f"learnable must be a parameter name or a sequence of names (e.g. learnable=('v_th',)), got {learnable!r}"
        )
    return names


def _probe_shape(p: Any, sizes: tuple[int, int] | None) -> tuple[int, ...] | None:
    """A small population shape that every elementwise tensor parameter of ``p`` fits."""
    if sizes is not None:
        return (1, sizes[1])
    shapes = [
        getattr(p, f.name).shape
        for f in attrs.fields(type(p))
        if isinstance(getattr(p, f.name), torch.Tensor) and getattr(p, f.name).dim() > 0 and f.default is not None
    ]
    try:
        return tuple(torch.broadcast_shapes(*shapes)) if shapes else (1,)
    except RuntimeError:
        return None  # the forward-time check names the misfit


def parameters_without_gradient(
    model: NeuronModel, p: Any, names: tuple[str, ...], *, sizes: tuple[int, int] | None = None
) -> tuple[str, ...]:
    """The fields among ``names`` that the step of ``model`` never differentiates.

    Two steps on a small population from the initial state, then ``autograd.grad`` with
    ``allow_unused``: a parameter outside the graph would never receive a gradient (an
    optimiser leaves it unchanged, and DDP fails on it with its default
    ``find_unused_parameters=False``). Fields that hold numbers are made tensors for the
    probe; ``sizes`` is ``(input_size, hidden_size)`` for the recurrent and linear forms.
    Meta tensors cannot be run: then nothing is reported.
    """
    values = {}
    for f in attrs.fields(type(p)):
        v = getattr(p, f.name)
        if isinstance(v, torch.Tensor) and v.is_meta:
            return ()
        if f.name in names:
            if isinstance(v, bool) or not isinstance(v, (int, float, torch.Tensor)):
                raise ParameterError(f"{type(p).__name__}.{f.name} holds {v!r}, which is not a number")
            floating = isinstance(v, torch.Tensor) and v.is_floating_point()
            t = torch.as_tensor(v, dtype=v.dtype if floating else torch.get_default_dtype())
            values[f.name] = t.detach().clone().requires_grad_(True)
    probe = attrs.evolve(p, **values) if values else p
    shape = _probe_shape(probe, sizes)
    if shape is None:
        return ()
    params = [values[n] for n in names]
    dtype = next((t.dtype for t in params if t.dim() > 0), torch.get_default_dtype())
    device = params[0].device if params else torch.device("cpu")
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", StabilityWarning)
        x = torch.ones(shape, dtype=dtype, device=device)
        state = model.initial_state(shape, probe, dtype, device)
        total = x.new_zeros(())
        for _ in range(2):
            out, state = model.step(x, state, probe, detach_reset=False)
            total = total + out.sum() + sum(f.sum() for f in state if isinstance(f, torch.Tensor))
        if total.requires_grad:
            grads = torch.autograd.grad(total, params, allow_unused=True)
        else:
            grads = (None,) * len(params)
    return tuple(n for n, g in zip(names, grads) if g is None)


def _refuse_unused(model: NeuronModel, p: Any, names: tuple[str, ...], sizes: tuple[int, int] | None) -> None:
    """Raise :class:`ParameterError` for learnable names the step never differentiates."""
    unused = parameters_without_gradient(model, p, names, sizes=sizes)
    if not unused:
        return
    method = getattr(p, "method", None)
    why = f" (with method={method!r} spikes carry no gradient, so the threshold path is cut)" if method == "heaviside" else ""
    one = len(unused) == 1
    it = "it" if one else "them"
    raise ParameterError(
        f"learnable: {', '.join(map(repr, unused))} of {type(p).__name__} never {'receives' if one else 'receive'} a "
        f"gradient: the step of {model.name!r} does not differentiate through {it}{why}. An optimiser would leave "
        f"{it} unchanged and DDP fails on parameters without gradient; leave {it} out of learnable"
    )


def _weight(name: str, given: torch.Tensor | None, shape: tuple[int, ...], scale: float) -> nn.Parameter:
    if given is None:
        return nn.Parameter(torch.randn(shape) * scale)
    if not isinstance(given, torch.Tensor):
        raise ParameterError(f"{name} must be a tensor of shape {shape}, got {type(given).__name__}")
    if not given.is_floating_point():
        raise ParameterError(
            f"{name} must be a floating-point tensor (weights are trained), got {given.dtype}; "
            f"pass {name}.float() or .double()"
        )
    if tuple(given.shape) != shape:
        raise ParameterError(
            f"{name} must have shape (hidden_size, {'input_size' if name == 'input_weights' else 'hidden_size'}) "
            f"= {shape}, got {tuple(given.shape)}"
        )
    if isinstance(given, nn.Parameter):
        return given
    return nn.Parameter(given.detach().clone())


def _check_time_first(x: torch.Tensor, min_dim: int = 1) -> torch.Tensor:
    if x.dim() < min_dim or x.shape[0] == 0:
        raise InputShapeError(
            f"inputs must be time-first with at least one time step, shape (T, ...), got {tuple(x.shape)}"
        )
    return x


class ModuleSet(NamedTuple):
    """The modules of one family; ``create(form, ...)`` builds one of them."""

    cell: type[NeuronCell] | None
    layer: type[NeuronLayer] | None
    recurrent_cell: type[NeuronRecurrentCell] | None
    recurrent: type[NeuronRecurrent] | None
    linear_cell: type[NeuronLinearCell] | None = None

    @property
    def forms(self) -> tuple[str, ...]:
        """The forms this family has, in :data:`FORMS` order."""
        return tuple(f for f in FORMS if getattr(self, f) is not None)

    @property
    def model(self) -> NeuronModel:
        """The model the modules were generated from."""
        return getattr(self, self.forms[0]).model

    def create(self, form: str | None = None, **kwargs: Any) -> nn.Module:
        """Instantiate ``form`` (``"cell"``, ``"layer"``, ``"recurrent_cell"``, ``"recurrent"``,
        ``"linear_cell"``; those the family has). The default is the form over time:
        the layer, else the recurrent layer, else the family's first form."""
        available = self.forms
        if form is None:
            form = next((f for f in ("layer", "recurrent") if f in available), available[0])
        if form not in available:
            raise ParameterError(
                f"form must be one of {', '.join(map(repr, available))} for {self.model.name!r}, got {form!r}"
            )
        return getattr(self, form)(**kwargs)

    __call__ = create


_FORM_DOCS = {
    "cell": "One Euler step of the {title} model. ``forward(x, state=None) -> (output, state)``.",
    "layer": "The {title} model over time (time first). ``forward(inputs, state=None) -> (outputs, state)``.",
    "recurrent_cell": "One step of a recurrent {title} population. ``forward(x, state=None) -> (z, state)``.",
    "recurrent": "A recurrent {title} population over time. ``forward(inputs, state=None) -> (z, state)``.",
    "linear_cell": "One step of a {title} population behind input weights. ``forward(x, state=None)``.",
}


def build_modules(
    model: NeuronModel,
    prefix: str,
    module: str,
    *,
    title: str | None = None,
    linear: bool = False,
    names: dict[str, str] | None = None,
    forms: tuple[str, ...] | None = None,
) -> ModuleSet:
    """Generate the family's module classes, named ``{prefix}Cell``, ``{prefix}``,
    ``{prefix}RecurrentCell``, ``{prefix}Recurrent`` (when the model has a recurrent state)
    and, with ``linear=True``, ``{prefix}LinearCell``; ``names`` overrides any of them;
    ``forms`` restricts the set (e.g. a model that only makes sense recurrently).

    Assign them to the same names in ``module`` (the module they are generated for), so
    that pickling finds them::

        MODULES = build_modules(MODEL, "LIF", __name__)
        LIFCell, LIF = MODULES.cell, MODULES.layer
    """
    title = title or prefix
    bases = {
        "cell": NeuronCell,
        "layer": NeuronLayer,
        "recurrent_cell": NeuronRecurrentCell,
        "recurrent": NeuronRecurrent,
        "linear_cell": NeuronLinearCell,
    }
    default_names = {
        "cell": f"{prefix}Cell",
        "layer": prefix,
        "recurrent_cell": f"{prefix}RecurrentCell",
        "recurrent": f"{prefix}Recurrent",
        "linear_cell": f"{prefix}LinearCell",
    }
    unknown = (set(names or {}) | set(forms or ())) - set(default_names)
    if unknown:
        raise ValueError(f"unknown forms {sorted(unknown)}; forms are {list(default_names)}")
    names = {**default_names, **(names or {})}
    made: dict[str, Any] = {}
    for form, base in bases.items():
        if (
            (form.startswith("recurrent") and model.recurrent_state is None)
            or (form == "linear_cell" and not linear)
            or (forms is not None and form not in forms)
        ):
            made[form] = None
            continue
        doc = _FORM_DOCS[form].format(title=title) + "\n\n" + (
            f"Parameters: :class:`{model.parameters.__module__}.{model.parameters.__qualname__}`. "
            f"Equations and update order: :mod:`{model.step.__module__}`.\n\n" + (base.__doc__ or "")
        )
        made[form] = type(names[form], (base,), {"model": model, "__module__": module, "__qualname__": names[form], "__doc__": doc})
    return ModuleSet(**made)
