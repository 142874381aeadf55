"""The conformance suite: the contract of a neuron model, as checks anyone can run.

spikeplug runs these checks over every registered neuron model, builtin or third party
(``tests/test_conformance.py``); a plugin author runs the same checks on their own model.
Each check creates the model's forms (cell, layer, recurrent cell, recurrent layer,
linear cell: whichever it has) with default parameters, drives them with small random
inputs and raises :class:`ConformanceError` on the first thing that breaks the contract.
The message names the check, the model, the form and what was expected versus found. A
check that passes returns a :class:`Report` listing what it verified.

==========================  ==============================================================
check                       what it verifies
==========================  ==============================================================
``shapes``                  output and state shapes of every form on several batch shapes,
                            the state fed back in, the initial state (full shape, no grad)
``dtypes``                  float32/float64 input gives outputs and states of that dtype;
                            bool and integer input give float32
``device``                  outputs and states live on the input's device (CUDA when
                            available, else PyTorch's ``meta`` device stands in for one)
``layer_matches_cell``      the layer equals the cell stepped in a loop (outputs, final and
                            recorded states); the recurrent layer equals the recurrent
                            cell with the same weights; a fused kernel equals the eager
                            loop in values and gradients
``gradients``               a loss on the outputs sends finite, non-zero gradients to the
                            input (through the surrogate for spiking models) and to
                            ``input_weights``/``recurrent_weights``
``batch_independence``      changing one batch element's input changes nothing else
``determinism``             the same input and state give identical results twice;
                            neither is modified in place; ``state=None`` equals the
                            initial state
``parameter_validation``    bad values (negative or NaN numbers, unknown strings such as
                            a bogus ``method``) that the parameter class rejects raise
                            :class:`~spikeplug.ParameterError` naming the field, from the
                            class and from every form; a negative ``dt`` is always
                            rejected; unknown parameter names are rejected
``parameter_constraints``   every numeric parameter rejects NaN and ±inf (class and every
                            form) and every value outside its declared constraint; a field
                            whose constraint cannot be read is a warning in the report
``state_space``             one step from any probed state in each state variable's range
                            (even points, round values where rate functions are often 0/0,
                            parameter values) gives finite outputs and states
``boundedness``             the defaults raise no StabilityWarning, and 10⁴ steps at zero
                            and at a constant input stay finite and bounded
``serialization``           ``state_dict`` into a fresh instance, ``copy.deepcopy`` and
                            ``pickle`` give identical outputs; states and parameters pickle
``compile``                 ``torch.compile`` runs the cell and matches eager within 1e-5
                            (slow: only with ``compile=True`` or :func:`check_compile`)
==========================  ==============================================================

How inputs are chosen. Inputs are ``scale · U[0.5, 1.5)`` (positive currents). For a
spiking model (one whose parameter class has a ``method`` field) a check that needs
activity multiplies ``scale`` by 4, starting from ``input_scale`` (default 1), until the
form spikes within the first 7 steps of an 8-step input, so models that need large
inputs (conductance-based neurons, millivolt-scale models) get them without
configuration. Pass ``input_scale=`` to start elsewhere. Gradients are checked with the
model's own surrogate ``method``, or ``"super"`` when the default method has no gradient.

Recurrent and linear forms are created with ``input_size=3, hidden_size=5``; parameters
whose default depends on the size (e.g. a coupling matrix) must then come from the
model's ``recurrent_parameters``. A form that cannot be created with defaults fails with a
message that says so. Random weights are drawn under a fixed seed inside
:func:`torch.random.fork_rng`, so the checks are reproducible and leave the global random
state alone.

Options, the same for :func:`check_neuron_model` and every ``check_*`` function:
``forms=`` (check only these forms), ``registry=`` (where a name is looked up; default the
process-wide registry), ``input_scale=``, ``device=`` (of the device check) and
``create_kwargs=`` (extra keywords for every form created, e.g. ``{"preset": "bio"}`` to
check a preset). Without a GPU the device check runs on PyTorch's ``meta`` device, which
tracks devices, shapes and dtypes but holds no values: a forward that reads a value
(``.item()``, ``bool(tensor)``) is listed as not applicable there instead of failing.

With one command, no test file: ``pytest --spikeplug-conformance=PLUGIN`` (the pytest
plugin :mod:`spikeplug.plugins.pytest_plugin`) or ``spikeplug check PLUGIN``.

Use in a plugin's test suite (pytest)::

    import pytest
    from spikeplug.plugins import conformance

    @pytest.mark.parametrize("check", list(conformance.CHECKS))
    def test_qif_conforms(check):
        \"\"\"The qif model fulfils spikeplug's neuron contract (one test per check).\"\"\"
        report = conformance.check_neuron_model("qif", checks=[check])
        assert report.passed

    def test_qif_compiles():
        \"\"\"torch.compile runs the qif cell and matches eager mode.\"\"\"
        report = conformance.check_compile("qif")
        assert report.passed

or all checks at once: ``check_neuron_model("qif", compile=True)``. A model that is not
registered (yet) can be checked as a :class:`spikeplug.ModuleSet`:
``check_neuron_model(build_modules(MODEL, "QIF", __name__))``.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import attrs
import torch
from torch import nn

from spikeplug.errors import ParameterError, SpikeplugError, StabilityWarning
from spikeplug.model import stack_states
from spikeplug.modules import FORMS, ModuleSet, parameters_without_gradient

from .registry import Registry, get_registry
from .specs import resolve_reference

__all__ = [
    "CHECKS",
    "ConformanceError",
    "Report",
    "check_batch_independence",
    "check_boundedness",
    "check_compile",
    "check_determinism",
    "check_device",
    "check_dtypes",
    "check_encoder",
    "check_gradients",
    "check_layer_matches_cell",
    "check_neuron_model",
    "check_parameter_constraints",
    "conformance_targets",
    "run_checks",
    "check_parameter_validation",
    "check_serialization",
    "check_shapes",
    "check_state_space",
]

INPUT_SIZE = 3
"""``input_size`` of the recurrent and linear forms under test."""
HIDDEN_SIZE = 5
"""``hidden_size`` of the recurrent and linear forms under test (≠ INPUT_SIZE, so a
transposed weight fails)."""
FEED_FORWARD_SHAPES: tuple[tuple[int, ...], ...] = ((3,), (2, 3), (2, 2, 3))
"""Population shapes fed to the cell and layer."""
BATCH_SHAPES: tuple[tuple[int, ...], ...] = ((4,), (2, 4))
"""Batch shapes ``B`` of the recurrent and linear forms (input ``(*B, input_size)``)."""
STEPS = 8
"""Time steps of the inputs that drive the models."""
SCALE_GROWTH = 4.0
SCALE_TRIES = 10
SEED = 0

# form -> (input has a leading time dimension, form takes input_size/hidden_size)
_TIMED = {"cell": False, "layer": True, "recurrent_cell": False, "recurrent": True, "linear_cell": False}
_SIZED = {"cell": False, "layer": False, "recurrent_cell": True, "recurrent": True, "linear_cell": True}
_STEP_FORM = {"layer": "cell", "recurrent": "recurrent_cell"}


class ConformanceError(SpikeplugError, AssertionError):
    """A neuron model breaks spikeplug's contract.

    ``check``, ``model`` and ``form`` say where; the message also says what was expected
    and what was found. An ``AssertionError``, so pytest reports it as a test failure.
    """

    def __init__(self, message: str, model: str | None = None, check: str | None = None, form: str | None = None):
        super().__init__(message)
        self.model = model
        self.check = check
        self.form = form


@attrs.frozen
class Report:
    """What a conformance run verified.

    :param model: the model's name.
    :param passed: one line per verified item, ``"check (form): detail"``.
    :param not_applicable: checks or forms that do not apply to this model, with why.
    :param warnings: what the model leaves open without breaking the contract (e.g. a
        parameter field that declares no constraint), for the author to look at.
    """

    model: str
    passed: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def checks(self) -> tuple[str, ...]:
        """Names of the checks with at least one passed item, in order."""
        return tuple(dict.fromkeys(item.split(" ", 1)[0].rstrip(":") for item in self.passed))

    def __add__(self, other: Report) -> Report:
        if not isinstance(other, Report):
            return NotImplemented
        return Report(
            self.model,
            self.passed + other.passed,
            self.not_applicable + other.not_applicable,
            self.warnings + other.warnings,
        )

    def __str__(self) -> str:
        lines = [f"conformance of {self.model!r}: {len(self.passed)} items passed"]
        lines += [f"  ok   {item}" for item in self.passed]
        lines += [f"  n/a  {item}" for item in self.not_applicable]
        lines += [f"  warn {item}" for item in self.warnings]
        return "\n".join(lines)


# ---------------------------------------------------------------------- the model under test
@attrs.define(eq=False)
class _Subject:
    """A neuron model resolved for checking: how to create its forms, and what it has."""

    label: str
    factory: Callable[..., nn.Module]
    forms: tuple[str, ...]
    parameters: type | None
    input_scale: float
    device: torch.device
    create_kwargs: dict[str, Any] = attrs.Factory(dict)
    scales: dict[str, float] = attrs.Factory(dict)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        if self.parameters is None or not attrs.has(self.parameters):
            return ()
        return tuple(f.name for f in attrs.fields(self.parameters))

    @property
    def spiking(self) -> bool:
        """Spiking models have a surrogate ``method``; their outputs are spikes."""
        return "method" in self.parameter_names

    def error(self, check: str, form: str | None, detail: str) -> ConformanceError:
        where = f"model {self.label!r}" + (f", form {form!r}" if form else "")
        return ConformanceError(f"conformance check {check!r} failed for {where}: {detail}", self.label, check, form)

    @contextmanager
    def guard(self, check: str, form: str | None, doing: str) -> Iterator[None]:
        """Turn an unexpected exception into a ConformanceError that says where it came from."""
        try:
            yield
        except ConformanceError:
            raise
        except Exception as exc:  # noqa: BLE001 - any crash of the model is a conformance failure
            hint = (
                " (the suite runs every form with its default parameters, which must give a working model)"
                if isinstance(exc, ParameterError)
                else ""
            )
            raise self.error(check, form, f"{doing} raised {type(exc).__name__}: {_first_lines(exc)}{hint}") from exc

    def arguments(self, form: str, **kwargs: Any) -> dict[str, Any]:
        """Keywords that create ``form``: sizes, the caller's ``create_kwargs``, then ``kwargs``."""
        sizes = {"input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE} if _SIZED[form] else {}
        return {**sizes, **self.create_kwargs, **kwargs}

    def create(self, check: str, form: str, *, seed: int = SEED, **kwargs: Any) -> nn.Module:
        """The module of ``form`` with default parameters (random weights drawn from ``seed``)."""
        kwargs = self.arguments(form, **kwargs)
        torch.manual_seed(seed)
        try:
            module = self.factory(form=form, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise self.error(
                check,
                form,
                f"the form cannot be created with default parameters: create(form={form!r}{_kwargs_text(kwargs)}) "
                f"raised {type(exc).__name__}: {_first_lines(exc)}. The conformance suite creates every form with "
                f"its defaults (plus input_size/hidden_size for recurrent and linear forms), so the defaults must "
                f"give a working model; size-dependent parameters belong in NeuronModel.recurrent_parameters",
            ) from exc
        if not isinstance(module, nn.Module):
            raise self.error(
                check, form, f"create(form={form!r}) returned {type(module).__name__}, expected a torch.nn.Module"
            )
        return module

    def gradient_overrides(self) -> dict[str, Any]:
        """``method="super"`` when the default surrogate method has no gradient."""
        if not self.spiking:
            return {}
        from spikeplug.surrogates import get_surrogate

        default = attrs.fields_dict(self.parameters)["method"].default
        try:
            has_gradient = get_surrogate(default).derivative is not None
        except Exception:  # noqa: BLE001 - an unknown default is parameter_validation's business
            has_gradient = True
        return {} if has_gradient else {"method": "super"}


def _resolve(
    model: str | ModuleSet | _Subject,
    *,
    registry: Registry | None = None,
    input_scale: float | None = None,
    device: torch.device | str | None = None,
    create_kwargs: Mapping[str, Any] | None = None,
) -> _Subject:
    """The model under test, from a registry name or a ModuleSet (see :func:`check_neuron_model`)."""
    if isinstance(model, _Subject):
        return model
    extra = dict(create_kwargs or {})
    taken = sorted(set(extra) & {"form", "input_size", "hidden_size"})
    if taken:
        raise ParameterError(f"create_kwargs must not set {', '.join(taken)}: the suite chooses forms and sizes")
    scale = 1.0 if input_scale is None else float(input_scale)
    if not (math.isfinite(scale) and scale > 0):
        raise ParameterError(f"input_scale must be a finite number > 0, got {input_scale!r}")
    if device is None:
        # Without a GPU, the meta device (shapes, dtypes and devices, no data) still shows a
        # state built on a fixed device instead of the input's.
        device = "cuda" if torch.cuda.is_available() else "meta"
    device = torch.device(device)
    if isinstance(model, ModuleSet):
        return _Subject(model.model.name, model.create, model.forms, model.model.parameters, scale, device, extra)
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a registered neuron model name or a spikeplug.ModuleSet, got {type(model).__name__}"
        )
    reg = registry if registry is not None else get_registry()
    entry = reg.get(model, kind="neuron")
    factory = reg.factory(model)
    parameters = resolve_reference(entry.spec.parameters, f"parameters of {entry.qualified_name}")
    if isinstance(factory, ModuleSet):
        parameters = parameters or factory.model.parameters
        return _Subject(model, factory.create, factory.forms, parameters, scale, device, extra)
    if not callable(factory):
        raise ConformanceError(
            f"the factory of neuron model {model!r} is a {type(factory).__name__}, not callable", model
        )
    return _Subject(model, factory, _probe_forms(model, factory, extra), parameters, scale, device, extra)


def _probe_forms(label: str, factory: Callable[..., Any], extra: Mapping[str, Any]) -> tuple[str, ...]:
    """Forms a plain callable factory provides: those it does not refuse as an unknown form."""
    forms = []
    for form in FORMS:
        sizes = {"input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE} if _SIZED[form] else {}
        try:
            with torch.random.fork_rng(devices=[]):
                factory(form=form, **sizes, **extra)
        except ParameterError as exc:
            if "form" in str(exc) and repr(form) in str(exc):
                continue  # "form must be one of ..., got 'recurrent'"
        except Exception:  # noqa: BLE001 - the form exists but is broken; its checks say how
            pass
        forms.append(form)
    if not forms:
        raise ConformanceError(
            f"the factory of neuron model {label!r} refused every form ({', '.join(FORMS)}) as unknown; "
            "expected factory(form=...) to create at least one",
            label,
        )
    return tuple(forms)


# ---------------------------------------------------------------------- inputs and runs
def _generator(offset: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(SEED + offset)


def _population(form: str, batch: tuple[int, ...]) -> tuple[int, ...]:
    """Shape of one step's output for ``batch`` (feed-forward: the batch itself)."""
    return (*batch, HIDDEN_SIZE) if _SIZED[form] else batch


def _step_input_shape(form: str, batch: tuple[int, ...]) -> tuple[int, ...]:
    return (*batch, INPUT_SIZE) if _SIZED[form] else batch


def _inputs(
    form: str,
    batch: tuple[int, ...],
    scale: float,
    *,
    steps: int = STEPS,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    offset: int = 0,
) -> torch.Tensor:
    """Positive inputs ``scale · U[0.5, 1.5)`` of shape ``(steps, *step input shape)``."""
    shape = (steps, *_step_input_shape(form, batch))
    u = torch.rand(shape, generator=_generator(offset), dtype=torch.float64)
    return (scale * (0.5 + u)).to(dtype=dtype, device=device)


def _call(module: nn.Module, form: str, xs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
    """One forward of ``form``: the whole ``xs`` for layers, ``xs[0]`` for step forms."""
    x = xs if _TIMED[form] else xs[0]
    return module(x, state)


def _unroll(module: nn.Module, xs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any, list[Any]]:
    """Step a cell-like module over ``xs.unbind(0)``: ``(stacked outputs, final state, states)``."""
    outputs, states = [], []
    for x_t in xs.unbind(0):
        out, state = module(x_t, state)
        outputs.append(out)
        states.append(state)
    return torch.stack(outputs), state, states


def _drive(module: nn.Module, form: str, xs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
    """Run ``form`` over every step of ``xs`` (layers in one call, step forms in a loop)."""
    if _TIMED[form]:
        return module(xs, state)
    outputs, state, _ = _unroll(module, xs, state)
    return outputs, state


def _active_scale(s: _Subject, check: str, form: str) -> float:
    """An input scale at which ``form`` spikes before the last step (spiking models)."""
    if form in s.scales:
        return s.scales[form]
    scale = s.input_scale
    if s.spiking:
        module = s.create(check, form, **s.gradient_overrides())
        for _ in range(SCALE_TRIES):
            xs = _inputs(form, (4,), scale)
            with torch.no_grad(), s.guard(check, form, f"the forward at input scale {scale:g}"):
                outputs, _ = _drive(module, form, xs)
            if not bool(torch.isfinite(outputs).all()):
                raise s.error(check, form, f"the outputs at input scale {scale:g} (default parameters, from the "
                              "initial state) are not finite; expected finite outputs")
            if bool((outputs[:-1] != 0).any()):
                break
            scale *= SCALE_GROWTH
        else:
            raise s.error(
                check,
                form,
                f"no spike within {STEPS - 1} steps for inputs from {s.input_scale:g} up to {scale / SCALE_GROWTH:g} "
                f"times U[0.5, 1.5); the checks need an active neuron. Pass input_scale= to start from a suitable "
                f"input magnitude",
            )
    s.scales[form] = scale
    return scale


# ---------------------------------------------------------------------- comparisons
def _leaves(obj: Any, path: str) -> Iterator[tuple[str, Any]]:
    """``(path, leaf)`` pairs of a state: NamedTuple fields by name, nested tuples by index."""
    if isinstance(obj, torch.Tensor):
        yield path, obj
    elif isinstance(obj, tuple) and hasattr(obj, "_fields"):
        for name, value in zip(obj._fields, obj):
            yield from _leaves(value, f"{path}.{name}")
    elif isinstance(obj, (tuple, list)):
        for k, value in enumerate(obj):
            yield from _leaves(value, f"{path}[{k}]")
    else:
        yield path, obj


def _tensor_leaves(s: _Subject, check: str, form: str, obj: Any, path: str) -> list[tuple[str, torch.Tensor]]:
    out = list(_leaves(obj, path))
    for name, leaf in out:
        if not isinstance(leaf, torch.Tensor):
            raise s.error(
                check, form, f"{name} is {type(leaf).__name__} {leaf!r}, expected a tensor (states hold tensors)"
            )
    if not out:
        raise s.error(check, form, f"{path} holds no tensor; expected a NamedTuple of tensors")
    return out


def _compare(
    s: _Subject,
    check: str,
    form: str,
    what: str,
    found: Any,
    expected: Any,
    *,
    atol: float = 0.0,
    rtol: float = 0.0,
) -> None:
    """Leaves of ``found`` equal those of ``expected`` (exactly, or within atol + rtol·|expected|)."""
    f_leaves = _tensor_leaves(s, check, form, found, what)
    e_leaves = _tensor_leaves(s, check, form, expected, what)
    f_names, e_names = [n for n, _ in f_leaves], [n for n, _ in e_leaves]
    if f_names != e_names:
        raise s.error(check, form, f"{what} has the fields {f_names}, expected {e_names}")
    for (name, f), (_, e) in zip(f_leaves, e_leaves):
        if f.shape != e.shape:
            raise s.error(check, form, f"{name} has shape {tuple(f.shape)}, expected {tuple(e.shape)}")
        f64, e64 = f.detach().to("cpu", torch.float64), e.detach().to("cpu", torch.float64)
        ok = (f64 == e64) | (torch.isnan(f64) & torch.isnan(e64))
        if atol or rtol:
            ok |= (f64 - e64).abs() <= atol + rtol * e64.abs()
        if not bool(ok.all()):
            bad = (~ok).nonzero()[0].tolist()
            diff = (f64 - e64).abs()
            diff = diff[torch.isfinite(diff)]
            worst = f", max |difference| {diff.max().item():.3g}" if diff.numel() else ""
            tol = f" (tolerance {atol:g} + {rtol:g}·|expected|)" if atol or rtol else " (exactly)"
            raise s.error(
                check,
                form,
                f"{name} differs{tol} at {int((~ok).sum())} of {ok.numel()} elements: at index {tuple(bad)} found "
                f"{f64[tuple(bad)].item()!r}, expected {e64[tuple(bad)].item()!r}{worst}",
            )


def _first_lines(exc: BaseException, n: int = 3) -> str:
    lines = str(exc).strip().splitlines()
    return (" | ".join(lines[:n]) + (" ..." if len(lines) > n else "")).rstrip(".")


def _kwargs_text(kwargs: Mapping[str, Any]) -> str:
    return "".join(f", {k}={v!r}" for k, v in kwargs.items())


@contextmanager
def _isolated_rng() -> Iterator[None]:
    with torch.random.fork_rng(devices=[]):
        yield


def _forms(s: _Subject, wanted: Iterable[str] | None = None) -> list[str]:
    """The model's forms, or those of them named in ``wanted``."""
    if wanted is None:
        return list(s.forms)
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    unknown = [f for f in wanted if f not in FORMS]
    if unknown:
        raise ParameterError(f"forms: unknown form {unknown[0]!r}; the forms are {', '.join(map(repr, FORMS))}")
    return [f for f in s.forms if f in wanted]


# ---------------------------------------------------------------------- the checks
def check_shapes(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Outputs and states of every form have the population's shape, on several batch shapes.

    Cells take ``(*S)`` and layers ``(T, *S)`` for S in :data:`FEED_FORWARD_SHAPES`;
    recurrent and linear forms take ``(*B, input_size)`` / ``(T, *B, input_size)`` and give
    ``(*B, hidden_size)``. Every state leaf is a tensor of the population's shape, the
    returned state can be passed back in, ``initial_state`` (when the module has one)
    gives full-shape tensors that do not require grad, and a recurrent state's ``z`` is
    the last output.
    """
    s = _resolve(model, **options)
    check, passed = "shapes", []
    with _isolated_rng():
        for form in _forms(s, forms):
            batches = BATCH_SHAPES if _SIZED[form] else FEED_FORWARD_SHAPES
            module = s.create(check, form)
            for batch in batches:
                S = _population(form, batch)
                xs = _inputs(form, batch, s.input_scale, steps=3)
                x = xs if _TIMED[form] else xs[0]
                expected_out = (3, *S) if _TIMED[form] else S
                with s.guard(check, form, f"forward on input of shape {tuple(x.shape)}"):
                    out, state = module(x)
                _expect_tensor(s, check, form, "output", out, expected_out, tuple(x.shape))
                for name, leaf in _tensor_leaves(s, check, form, state, "state"):
                    _expect_shape(s, check, form, name, leaf, S, tuple(x.shape))
                if "z" in getattr(state, "_fields", ()):
                    _compare(s, check, form, "state.z (the last output)", state.z, out[-1] if _TIMED[form] else out)
                with s.guard(check, form, "forward with the returned state passed back in"):
                    out2, state2 = module(x, state)
                _expect_tensor(s, check, form, "output with a given state", out2, expected_out, tuple(x.shape))
                for name, leaf in _tensor_leaves(s, check, form, state2, "state"):
                    _expect_shape(s, check, form, name, leaf, S, tuple(x.shape))
                initial = getattr(module, "initial_state", None)
                if callable(initial):
                    with s.guard(check, form, f"initial_state(input of shape {tuple(x.shape)})"):
                        init = initial(x)
                    for name, leaf in _tensor_leaves(s, check, form, init, "initial state"):
                        _expect_shape(s, check, form, name, leaf, S, tuple(x.shape))
                        if leaf.requires_grad:
                            raise s.error(
                                check, form, f"{name} requires grad; initial states are fresh tensors without gradient "
                                "(a user who wants gradients with respect to the state passes one)"
                            )
                passed.append(f"{check} ({form}): input {tuple(x.shape)} -> output {expected_out}, state {S}")
    return Report(s.label, tuple(passed))


def _expect_tensor(
    s: _Subject, check: str, form: str, what: str, value: Any, shape: tuple[int, ...], given: tuple[int, ...]
) -> None:
    if not isinstance(value, torch.Tensor):
        raise s.error(check, form, f"the {what} is {type(value).__name__}, expected a tensor")
    _expect_shape(s, check, form, what, value, shape, given)


def _expect_shape(
    s: _Subject, check: str, form: str, what: str, value: torch.Tensor, shape: tuple[int, ...], given: tuple[int, ...]
) -> None:
    if tuple(value.shape) != tuple(shape):
        raise s.error(
            check, form, f"{what} has shape {tuple(value.shape)} for input of shape {given}, expected {tuple(shape)}"
        )


def check_dtypes(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """float32 and float64 inputs give outputs and states of that dtype (modules moved with
    ``.to(dtype)``, as for any torch module with weights); bool and int64 inputs give float32."""
    s = _resolve(model, **options)
    check, passed = "dtypes", []
    cases = ((torch.float32, torch.float32, True), (torch.float64, torch.float64, True),
             (torch.bool, torch.float32, False), (torch.int64, torch.float32, False))
    with _isolated_rng():
        for form in _forms(s, forms):
            batch = (2, 4) if _SIZED[form] else (2, 3)
            for in_dtype, expected, move in cases:
                module = s.create(check, form)
                if move:
                    module = module.to(in_dtype)
                xs = _inputs(form, batch, s.input_scale, steps=2, dtype=torch.float64)
                if in_dtype == torch.bool:
                    xs = xs > xs.median()
                else:
                    xs = xs.to(in_dtype)
                with s.guard(check, form, f"forward on {in_dtype} input"):
                    out, state = _call(module, form, xs)
                    out2, state2 = _call(module, form, xs, state)
                for what, value in (("output", out), ("output with a given state", out2)):
                    if not isinstance(value, torch.Tensor) or value.dtype != expected:
                        found = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
                        detail = f"the {what} for {in_dtype} input has dtype {found}, expected {expected}"
                        raise s.error(check, form, detail)
                states = [("state", state), ("state", state2)]
                initial = getattr(module, "initial_state", None)
                if callable(initial):
                    with s.guard(check, form, f"initial_state of {in_dtype} input"):
                        states.append(("initial state", initial(xs if _TIMED[form] else xs[0])))
                for label, st in states:
                    for name, leaf in _tensor_leaves(s, check, form, st, label):
                        if leaf.dtype != expected:
                            detail = f"{name} for {in_dtype} input has dtype {leaf.dtype}, expected {expected}"
                            raise s.error(check, form, detail)
                passed.append(f"{check} ({form}): {in_dtype} input -> {expected}")
    return Report(s.label, tuple(passed))


def check_device(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Outputs and states (also the initial state) are on the input's device.

    ``device`` defaults to CUDA when available, else PyTorch's ``meta`` device, which runs
    no arithmetic but keeps device, shape and dtype, so a state built on a fixed device
    shows up on a machine without a GPU too.
    """
    s = _resolve(model, **options)
    check, passed, skipped = "device", [], []
    dev = s.device
    note = ""
    if dev.type == "meta":
        note = " (the meta device stands in for a GPU when none is available; pass device='cpu' to skip it)"
    with _isolated_rng():
        for form in _forms(s, forms):
            module = s.create(check, form)
            batch = (2, 4) if _SIZED[form] else (2, 3)
            xs = _inputs(form, batch, s.input_scale, steps=2)
            with s.guard(check, form, f"moving the module to {dev}{note}"):
                module = module.to(dev)
            xs = xs.to(dev)
            try:
                with s.guard(check, form, f"forward on {dev}{note}"):
                    out, state = _call(module, form, xs)
                    out2, state2 = _call(module, form, xs, state)
                    initial = getattr(module, "initial_state", None)
                    init = initial(xs if _TIMED[form] else xs[0]) if callable(initial) else state
            except ConformanceError as err:
                if dev.type != "meta" or not _needs_data(err.__cause__):
                    raise
                # Reading a value (bool(tensor), .item()) is legitimate, but meta tensors have none.
                skipped.append(
                    f"{check} ({form}): the forward reads tensor values ({_first_lines(err.__cause__, 1)}), which the "
                    "meta device cannot; run the check where CUDA is available"
                )
                continue
            for what, value in (("output", out), ("output with a given state", out2)):
                if not isinstance(value, torch.Tensor) or value.device != xs.device:
                    found = value.device if isinstance(value, torch.Tensor) else type(value).__name__
                    detail = f"the {what} for input on {xs.device} is on {found}, expected {xs.device}{note}"
                    raise s.error(check, form, detail)
            for label, st in (("state", state), ("state", state2), ("initial state", init)):
                for name, leaf in _tensor_leaves(s, check, form, st, label):
                    if leaf.device != xs.device:
                        detail = f"{name} for input on {xs.device} is on {leaf.device}, expected {xs.device}{note}"
                        raise s.error(check, form, detail)
            passed.append(f"{check} ({form}): outputs and states on {dev}")
    return Report(s.label, tuple(passed), tuple(skipped))


def _needs_data(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the meta device refusing to produce a value (not a device mix-up)."""
    text = str(exc)
    return (
        isinstance(exc, NotImplementedError) or "cannot be called on meta tensors" in text or "data-dependent" in text
    )


def check_layer_matches_cell(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """The layer equals the cell stepped in a loop; the recurrent layer equals the recurrent
    cell with the same weights (``load_state_dict`` of the cell's). Compared in float64 to
    1e-9: outputs, final state, the states of ``record_states=True``, from the initial
    state and from a state reached after a few steps. When the model has fused kernels
    (:mod:`spikeplug.backends`), the layer with ``backend="fused"`` must also equal
    ``backend="eager"`` in float32 (values within 1e-5, input gradients within 1e-5 +
    1e-4·|eager|), or is reported not applicable where no kernel runs."""
    s = _resolve(model, **options)
    check, passed, skipped = "layer_matches_cell", [], []
    with _isolated_rng():
        for layer_form, cell_form in _STEP_FORM.items():
            if forms is not None and layer_form not in forms and cell_form not in forms:
                continue
            if layer_form not in s.forms or cell_form not in s.forms:
                skipped.append(f"{check} ({layer_form}): the model has no {layer_form!r} and {cell_form!r} pair")
                continue
            scale = _active_scale(s, check, cell_form)
            cell = s.create(check, cell_form).to(torch.float64)
            layer = s.create(check, layer_form, seed=SEED + 1).to(torch.float64)
            recorder = s.create(check, layer_form, seed=SEED + 2, record_states=True).to(torch.float64)
            for target in (layer, recorder):
                try:
                    target.load_state_dict(cell.state_dict())
                except Exception as exc:  # noqa: BLE001
                    raise s.error(
                        check, layer_form, f"the {cell_form}'s state_dict does not load into the {layer_form}: "
                        f"{type(exc).__name__}: {_first_lines(exc)}; both forms must hold the same weights and "
                        "parameters"
                    ) from exc
            batch = (4,)
            xs = _inputs(cell_form, batch, scale, dtype=torch.float64)
            warmup = _inputs(cell_form, batch, scale, steps=3, dtype=torch.float64, offset=1)
            with s.guard(check, cell_form, "stepping the cell"):
                _, start, _ = _unroll(cell, warmup)
            for origin, state0 in (("the initial state", None), ("a state after 3 steps", start)):
                with s.guard(check, cell_form, f"stepping the {cell_form} from {origin}"):
                    expected_out, expected_state, expected_states = _unroll(cell, xs, state0)
                with s.guard(check, layer_form, f"the {layer_form} from {origin}"):
                    out, state = layer(xs, state0)
                    rec_out, rec_states = recorder(xs, state0)
                what = f"from {origin}: "
                tol = dict(atol=1e-9, rtol=1e-9)
                _compare(s, check, layer_form, what + "outputs", out, expected_out, **tol)
                _compare(s, check, layer_form, what + "final state", state, expected_state, **tol)
                _compare(s, check, layer_form, what + "outputs (record_states=True)", rec_out, expected_out, **tol)
                stacked = stack_states(expected_states)
                _compare(s, check, layer_form, what + "recorded states", rec_states, stacked, **tol)
                passed.append(f"{check} ({layer_form}): equals the {cell_form} stepped {STEPS} times from {origin}")
            if layer_form == "layer" and getattr(getattr(type(layer), "model", None), "fused", ()):
                ran, item = _check_fused(s, check, layer_form, scale)
                (passed if ran else skipped).append(f"{check} ({layer_form}): {item}")
    return Report(s.label, tuple(passed), tuple(skipped))


def _check_fused(s: _Subject, check: str, form: str, scale: float) -> tuple[bool, str]:
    """The ``backend="fused"`` layer equals ``backend="eager"`` in values and gradients
    (float32): ``(True, what passed)``, or ``(False, why not)`` when no kernel runs here."""
    from spikeplug.backends import BackendError

    xs = _inputs(form, (4, 3), scale, device=s.device if s.device.type == "cuda" else "cpu")
    results = {}
    for backend in ("eager", "fused"):
        module = s.create(check, form, backend=backend).to(xs.device)
        x = xs.clone().requires_grad_(True)
        try:
            with s.guard(check, form, f"the {backend} backend"):
                out, state = module(x)
        except ConformanceError as err:
            if isinstance(err.__cause__, BackendError):
                return False, f"no fused kernel runs here ({_first_lines(err.__cause__, 1)})"
            raise
        # the same random weights for both backends, so that no gradient cancels by symmetry
        g = _generator(7)
        leaves = [out] + [leaf for _, leaf in _tensor_leaves(s, check, form, state, "state")]
        weights = [torch.rand(leaf.shape, generator=g, dtype=torch.float64) for leaf in leaves]
        if out.requires_grad:
            with s.guard(check, form, f"backward through the {backend} backend"):
                loss = sum((leaf * w.to(leaf.device, leaf.dtype)).sum() for leaf, w in zip(leaves, weights))
                loss.backward()
        results[backend] = (out, state, x.grad, getattr(module, "last_backend", backend))
    (out_e, state_e, grad_e, _), (out_f, state_f, grad_f, kernel) = results["eager"], results["fused"]
    what = f"fused backend ({kernel}) vs eager: "
    _compare(s, check, form, what + "outputs", out_f, out_e, atol=1e-5, rtol=1e-5)
    _compare(s, check, form, what + "final state", state_f, state_e, atol=1e-5, rtol=1e-5)
    if (grad_e is None) != (grad_f is None):
        found, expected = ("no" if grad_f is None else "a"), ("no" if grad_e is None else "a")
        detail = f"{what}the input gets {found} gradient from the fused backend but {expected} gradient from eager"
        raise s.error(check, form, detail)
    if grad_e is not None:
        _compare(s, check, form, what + "input gradient", grad_f, grad_e, atol=1e-5, rtol=1e-4)
    return True, f"the fused backend ({kernel}) equals eager in values and gradients"


def check_gradients(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """The sum of the outputs over 8 steps has finite, non-zero gradients with respect to the
    input (for spiking models this path runs through the surrogate) and, for the forms that
    have them, to ``input_weights`` and ``recurrent_weights``."""
    s = _resolve(model, **options)
    check, passed = "gradients", []
    overrides = s.gradient_overrides()
    via = ""
    if s.spiking:
        method = overrides.get("method", attrs.fields_dict(s.parameters)["method"].default)
        via = f" through the {method!r} surrogate"
    with _isolated_rng():
        for form in _forms(s, forms):
            scale = _active_scale(s, check, form)
            module = s.create(check, form, **overrides)
            xs = _inputs(form, (4,), scale).requires_grad_(True)
            with s.guard(check, form, "forward"):
                outputs, _ = _drive(module, form, xs)
            if not outputs.requires_grad:
                raise s.error(check, form, "the outputs do not require grad for an input that does; expected outputs "
                              f"that depend differentiably on the input{via}"
                              + (". A hard threshold such as (v > v_th).float() has no gradient: spike with "
                                 "spikeplug.threshold(v - v_th, p.method, p.alpha)" if s.spiking else ""))
            with s.guard(check, form, "backward of outputs.sum()"):
                outputs.sum().backward()
            _expect_gradient(s, check, form, "the input", xs.grad, via, scale)
            for name in ("input_weights", "recurrent_weights"):
                weight = getattr(module, name, None)
                if isinstance(weight, torch.Tensor) and weight.requires_grad:
                    _expect_gradient(s, check, form, name, weight.grad, via, scale)
            passed.append(f"{check} ({form}): non-zero gradients{via} at input scale {scale:g}")
    return Report(s.label, tuple(passed))


def _expect_gradient(
    s: _Subject, check: str, form: str, what: str, grad: torch.Tensor | None, via: str, scale: float
) -> None:
    if grad is None:
        raise s.error(
            check, form, f"{what} received no gradient (grad is None) from outputs.sum(); expected a gradient{via}"
        )
    if not bool(torch.isfinite(grad).all()):
        raise s.error(
            check, form, f"the gradient of {what} has non-finite entries at input scale {scale:g}; expected finite "
            "values"
        )
    if not bool((grad != 0).any()):
        raise s.error(
            check, form, f"the gradient of {what} is zero everywhere at input scale {scale:g}"
            + (" (the neurons spike)" if via else "") + f"; expected a non-zero gradient{via}"
        )


def check_batch_independence(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Changing batch element 1's input (batch of 4, 8 steps) leaves the outputs and states of
    elements 0, 2 and 3 unchanged, and does change element 1's."""
    s = _resolve(model, **options)
    check, passed = "batch_independence", []
    with _isolated_rng():
        for form in _forms(s, forms):
            scale = _active_scale(s, check, form)
            module = s.create(check, form)
            # feed-forward forms get a separate neuron dimension: neurons may be coupled
            # (e.g. compartments), batch elements may not
            batch = (4,) if _SIZED[form] else (4, 3)
            xs = _inputs(form, batch, scale)
            changed = xs.clone()
            changed[:, 1] = _inputs(form, batch, 1.7 * scale, offset=3)[:, 1]
            with torch.no_grad(), s.guard(check, form, "forward"):
                out_a, state_a = _drive(module, form, xs)
                out_b, state_b = _drive(module, form, changed)
            keep = torch.tensor([0, 2, 3])
            # the batch is dim 1 of the stacked outputs and dim 0 of the states
            tol = dict(atol=1e-6, rtol=1e-6)
            _compare(s, check, form, "outputs of the batch elements 0, 2, 3", out_b[:, keep], out_a[:, keep], **tol)
            leaves_a = _tensor_leaves(s, check, form, state_a, "state")
            leaves_b = _tensor_leaves(s, check, form, state_b, "state")
            for (name, a), (_, b) in zip(leaves_a, leaves_b):
                _compare(s, check, form, f"{name} of the batch elements 0, 2, 3", b[keep], a[keep], **tol)
            own_changed = not torch.equal(out_a[:, 1], out_b[:, 1]) or any(
                not torch.equal(a[1], b[1]) for (_, a), (_, b) in zip(leaves_a, leaves_b)
            )
            if not own_changed:
                raise s.error(
                    check, form, "changing batch element 1's input changed neither its outputs nor its state; expected "
                    "the input to have an effect (otherwise independence cannot be seen)"
                )
            passed.append(f"{check} ({form}): elements 0, 2, 3 unaffected by element 1's input")
    return Report(s.label, tuple(passed))


def check_determinism(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Two forwards with the same input and state give identical outputs and states; the
    forward modifies neither its input nor the given state in place; ``state=None`` gives
    the same result as passing ``initial_state(input)``."""
    s = _resolve(model, **options)
    check, passed = "determinism", []
    with _isolated_rng():
        for form in _forms(s, forms):
            scale = _active_scale(s, check, form)
            module = s.create(check, form)
            xs = _inputs(form, (4,), scale)
            warmup = _inputs(form, (4,), scale, steps=3, offset=1)
            with torch.no_grad(), s.guard(check, form, "forward"):
                _, start = _drive(module, form, warmup)
                x_before = xs.clone()
                state_before = copy.deepcopy(start)
                out_1, state_1 = _call(module, form, xs, start)
                out_2, state_2 = _call(module, form, xs, start)
            with _determinism_hint():
                _compare(s, check, form, "outputs of the second run", out_2, out_1)
                _compare(s, check, form, "state of the second run", state_2, state_1)
                _compare(s, check, form, "input after the forward (modified in place)", xs, x_before)
                _compare(s, check, form, "given state after the forward (modified in place)", start, state_before)
            initial = getattr(module, "initial_state", None)
            if callable(initial):
                with torch.no_grad(), s.guard(check, form, "forward from initial_state(input)"):
                    x = xs if _TIMED[form] else xs[0]
                    out_none, state_none = module(x)
                    out_init, state_init = module(x, initial(x))
                with _determinism_hint():
                    _compare(s, check, form, "outputs from state=None vs from initial_state(input)", out_none, out_init)
                    _compare(s, check, form, "state from state=None vs from initial_state(input)", state_none,
                             state_init)
            passed.append(f"{check} ({form}): identical repeated runs, nothing modified in place")
    return Report(s.label, tuple(passed))


@contextmanager
def _determinism_hint() -> Iterator[None]:
    """Add what to fix to a determinism failure."""
    try:
        yield
    except ConformanceError as err:
        hint = ("; a forward must be a function of its input, state and parameters: no in-place updates of the input "
                "or the state (write new tensors), no noise from the global random generator (take a seed or a "
                "torch.Generator as a parameter)")
        raise ConformanceError(str(err) + hint, err.model, err.check, err.form) from None


def check_parameter_validation(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Bad parameters are rejected with :class:`~spikeplug.ParameterError` naming the field.

    For every field of the parameter class, a negative and a NaN value (numeric fields) or
    an unknown string (string fields such as ``method``) is tried. Whatever the class
    rejects must be rejected with a ``ParameterError`` whose message names the field, and
    every form created with that override must reject it too. ``dt`` must reject a
    negative value, ``method`` (spiking models) a bogus name, and every form an unknown
    parameter name.
    """
    s = _resolve(model, **options)
    check, passed = "parameter_validation", []
    cls = s.parameters
    if cls is None or not attrs.has(cls):
        raise s.error(check, None, f"the model's parameter class is {cls!r}; expected an attrs class built with "
                      "@spikeplug.parameters (with at least the field dt)")
    fields = attrs.fields(cls)
    names = [f.name for f in fields]
    if "dt" not in names:
        raise s.error(
            check, None, f"{cls.__name__} has no field 'dt' (fields: {names}); derive it from spikeplug.Parameters"
        )
    with s.guard(check, None, f"{cls.__name__}() with its defaults"):
        cls()
    must_reject = {("dt", False), ("method", True)}
    with _isolated_rng():
        for field in fields:
            for bad in _bad_values(field.default):
                try:
                    cls(**{field.name: bad})
                except ParameterError as exc:
                    _expect_names(s, check, None, f"{cls.__name__}({field.name}={bad!r})", exc, field.name)
                except Exception as exc:  # noqa: BLE001
                    raise s.error(
                        check, None, f"{cls.__name__}({field.name}={bad!r}) raised {type(exc).__name__}: "
                        f"{_first_lines(exc)}; expected spikeplug.ParameterError naming {field.name!r}"
                    ) from exc
                else:
                    # dt must reject negative numbers, method unknown names; other fields may accept
                    # the value (a threshold may be negative), and then there is nothing to check.
                    if (field.name, isinstance(bad, str)) in must_reject:
                        raise s.error(check, None, f"{cls.__name__}({field.name}={bad!r}) was accepted; expected "
                                      "spikeplug.ParameterError")
                    continue
                for form in _forms(s, forms):
                    _expect_rejected(s, check, form, {field.name: bad}, field.name)
                passed.append(f"{check}: {field.name}={bad!r} rejected by the class and every form")
        for form in _forms(s, forms):
            _expect_rejected(s, check, form, {"not_a_parameter": 1.0}, "not_a_parameter")
        passed.append(f"{check}: unknown parameter names rejected by every form")
    return Report(s.label, tuple(passed))


def _bad_values(default: Any) -> tuple[Any, ...]:
    if isinstance(default, bool):
        return ()
    if isinstance(default, (int, float)):
        return (-(abs(float(default)) + 1.0), math.nan)
    if isinstance(default, str):
        return ("not-a-valid-choice",)
    return ()


def _expect_names(s: _Subject, check: str, form: str | None, call: str, exc: Exception, name: str) -> None:
    if name not in str(exc):
        raise s.error(
            check, form, f"{call} raised ParameterError without naming the field {name!r}: {_first_lines(exc)}"
        )


def _expect_refusal(
    s: _Subject, check: str, form: str | None, call: str, attempt: Callable[[], Any], name: str, why: str = ""
) -> None:
    """``attempt()`` (described by ``call``) raises ParameterError naming ``name``; anything
    else is a ConformanceError saying what was expected (and ``why``, if given)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            attempt()
    except ParameterError as exc:
        _expect_names(s, check, form, call, exc, name)
    except Exception as exc:  # noqa: BLE001
        raise s.error(check, form, f"{call} raised {type(exc).__name__}: {_first_lines(exc)}; expected "
                      f"spikeplug.ParameterError naming {name!r}") from exc
    else:
        because = f" ({why})" if why else ""
        raise s.error(check, form, f"{call} was accepted; expected spikeplug.ParameterError naming {name!r}{because}")


def _expect_rejected(s: _Subject, check: str, form: str, overrides: dict[str, Any], name: str) -> None:
    kwargs = s.arguments(form, **overrides)
    call = f"create(form={form!r}{_kwargs_text(kwargs)})"
    _expect_refusal(s, check, form, call, lambda: s.factory(form=form, **kwargs), name)


def check_serialization(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """A module's ``state_dict`` loaded into a fresh instance (different random weights), its
    ``copy.deepcopy`` and its ``pickle`` round trip give identical outputs and states; the
    state and the default parameter object survive ``pickle``."""
    s = _resolve(model, **options)
    check, passed = "serialization", []
    if s.parameters is not None:
        with s.guard(check, None, f"pickling {s.parameters.__name__}()"):
            p = s.parameters()
            p_copy = pickle.loads(pickle.dumps(p))
        if p_copy != p:
            raise s.error(
                check, None, f"{s.parameters.__name__}() after a pickle round trip is {p_copy!r}, expected {p!r}"
            )
        passed.append(f"{check}: {s.parameters.__name__} pickles")
    with _isolated_rng():
        for form in _forms(s, forms):
            scale = _active_scale(s, check, form)
            module = s.create(check, form)
            xs = _inputs(form, (4,), scale)
            with torch.no_grad(), s.guard(check, form, "forward"):
                _, start = _drive(module, form, _inputs(form, (4,), scale, steps=3, offset=1))
                expected = _call(module, form, xs, start)
            fresh = s.create(check, form, seed=SEED + 1)
            copies: list[tuple[str, Callable[[], nn.Module]]] = [
                ("state_dict loaded into a fresh instance", lambda: _loaded(fresh, module)),
                ("copy.deepcopy", lambda: copy.deepcopy(module)),
                ("pickle round trip", lambda: pickle.loads(pickle.dumps(module))),
            ]
            for how, make in copies:
                with s.guard(check, form, how):
                    clone = make()
                with torch.no_grad(), s.guard(check, form, f"forward after {how}"):
                    found = _call(clone, form, xs, start)
                _compare(s, check, form, f"outputs after {how}", found[0], expected[0])
                _compare(s, check, form, f"state after {how}", found[1], expected[1])
                passed.append(f"{check} ({form}): {how}")
            with s.guard(check, form, "pickling the state"):
                state_copy = pickle.loads(pickle.dumps(expected[1]))
            _compare(s, check, form, "state after a pickle round trip", state_copy, expected[1])
            if type(state_copy) is not type(expected[1]):
                detail = f"the state unpickles as {type(state_copy).__name__}, expected {type(expected[1]).__name__}"
                raise s.error(check, form, detail)
            passed.append(f"{check} ({form}): the state pickles")
    return Report(s.label, tuple(passed))


def _loaded(fresh: nn.Module, source: nn.Module) -> nn.Module:
    fresh.load_state_dict(source.state_dict())
    return fresh


def check_compile(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    backend: str = "inductor",
    **options: Any,
) -> Report:
    """``torch.compile(module, backend=backend)`` runs two steps of the cell (from the initial
    state and from the returned state) and matches eager mode within 1e-5.

    Slow (seconds per model with ``inductor``; well under one with ``"aot_eager"``, which
    traces with dynamo and AOTAutograd but generates no kernels). Checks the cell, or the
    model's first step form when it has no cell, or the ``forms`` named. Runs on the
    ``device`` option when it is a real device (CUDA by default when available), else on
    the CPU. Resets dynamo's caches: every family shares the generated ``forward``, and
    past the recompile limit torch would silently fall back to eager.
    """
    s = _resolve(model, **options)
    check, passed = "compile", []
    dev = s.device if s.device.type != "meta" else torch.device("cpu")  # compiled code needs values
    if forms is None:
        forms = [next((f for f in ("cell", "recurrent_cell", "linear_cell") if f in s.forms), s.forms[0])]
    with _isolated_rng():
        for form in _forms(s, forms):
            scale = _active_scale(s, check, form)
            module = s.create(check, form).to(dev)
            xs = _inputs(form, (4,), scale, steps=2, device=dev)
            with torch.no_grad(), s.guard(check, form, "eager forward"):
                out_1, state_1 = _call(module, form, xs)
                out_2, state_2 = _call(module, form, xs[1:] if not _TIMED[form] else xs, state_1)
            torch._dynamo.reset()  # every family shares NeuronCell.forward: don't hit the recompile limit
            with torch.no_grad(), s.guard(check, form, f"torch.compile(backend={backend!r}) forward"):
                compiled = torch.compile(module, backend=backend)
                c_out_1, c_state_1 = _call(compiled, form, xs)
                c_out_2, c_state_2 = _call(compiled, form, xs[1:] if not _TIMED[form] else xs, c_state_1)
            for what, found, expected in (("first output", c_out_1, out_1), ("first state", c_state_1, state_1),
                                          ("second output", c_out_2, out_2), ("second state", c_state_2, state_2)):
                _compare(s, check, form, f"compiled {what} vs eager", found, expected, atol=1e-5, rtol=1e-5)
            passed.append(f"{check} ({form}): torch.compile(backend={backend!r}) matches eager within 1e-5")
    return Report(s.label, tuple(passed))


def check_generated(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """The generated fused backend (:mod:`spikeplug.generated`) of the layer equals the eager
    step loop: spikes identical, final states within 1e-6 and the gradients of the input,
    the initial state and every tensor parameter within 1e-4 (relative; see
    :func:`spikeplug.generated.check_generated`). Runs in float64 with every builtin
    surrogate method, with per-neuron parameters and with ``detach_reset=True``, and in
    float32 with the defaults. Where no kernel can be generated (an operation the generator
    does not fuse, no numba) or the kernel diverges (sensitive dynamics), the check reports
    it, with the measured divergence, as not applicable: ``backend="auto"`` then runs eager."""
    from spikeplug.generated import verify
    from spikeplug.surrogates import BUILTIN_SURROGATES

    from .fused_check import SURROGATE_ALPHAS, _parameters

    s = _resolve(model, **options)
    check, form, passed, skipped = "generated", "layer", [], []
    if (forms is not None and form not in forms) or form not in s.forms:
        return Report(s.label, (), (f"{check}: the model has no 'layer' form to fuse",))
    cases: list[tuple[torch.dtype, dict[str, Any], str, bool]] = []
    methods = [m.name for m in BUILTIN_SURROGATES] if s.spiking else [None]
    for method in methods:
        extra = {} if method is None else {"method": method, "alpha": SURROGATE_ALPHAS[method]}
        cases.append((torch.float64, extra, f"method={method!r}" if method else "defaults", False))
    base = s.gradient_overrides()
    cases.append((torch.float64, {**base, "per_neuron": True}, "per-neuron learnable parameters", False))
    if s.spiking:
        cases.append((torch.float64, base, "detach_reset=True", True))
    cases.append((torch.float32, base, "float32", False))
    with _isolated_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore", StabilityWarning)
        for dtype, kwargs, label, detach in cases:
            kwargs = dict(kwargs)
            if kwargs.pop("per_neuron", False):
                layer = s.create(check, form, **kwargs)
                p = layer.p
                fields = {f.name: getattr(p, f.name) for f in attrs.fields(type(p))}
                numeric = [n for n, v in fields.items() if n != "alpha" and isinstance(v, float)]
                trainable = [n for n in numeric if n not in parameters_without_gradient(type(layer).model, p, tuple(numeric))]
                overrides, learnable = _parameters("learnable per-neuron", fields, numeric, (4, 3), _generator(3), trainable)
                kwargs.update(overrides, learnable=learnable)
            scale = _active_scale(s, check, form)
            with s.guard(check, form, f"creating the layer ({label})"):
                layer = s.create(check, form, detach_reset=detach, **kwargs).to(dtype)
            xs = _inputs(form, (4, 3), scale, dtype=dtype)
            with s.guard(check, form, f"the generated backend ({label})"):
                why = verify(type(layer).model, xs, layer.initial_state(xs), layer.p, detach_reset=detach)
            if why.startswith("cannot generate"):
                skipped.append(f"{check} ({form}): {why}")
                break
            if why:
                skipped.append(f"{check} ({form}, {label}, {str(dtype).replace('torch.', '')}): diverges from eager, "
                               f"so backend='auto' runs eager for it: {why}")
                continue
            passed.append(f"{check} ({form}): equals eager ({label}, {str(dtype).replace('torch.', '')})")
        else:
            _check_generated_recurrent(s, forms, base, passed, skipped)
    return Report(s.label, tuple(passed), tuple(skipped))


def _check_generated_recurrent(
    s: _Subject, forms: Iterable[str] | None, base: dict[str, Any], passed: list[str], skipped: list[str]
) -> None:
    """The recurrent form's generated path (the layer's kernels one step at a time around
    ``z·W_recᵀ``) equals the eager recurrent loop: float64, the recurrent form's own
    ``detach_reset`` (kernels the layer cases above already built)."""
    from spikeplug.generated import verify

    check, form = "generated", "recurrent"
    if (forms is not None and form not in forms) or form not in s.forms:
        return
    with s.guard(check, form, "creating the recurrent layer"):
        layer = s.create(check, form, **base).to(torch.float64)
    xs = _inputs(form, (4, 3), _active_scale(s, check, form), dtype=torch.float64)
    weights = (layer.input_weights, layer.effective_recurrent_weights())
    with s.guard(check, form, "the generated recurrent path"):
        why = verify(type(layer).model, xs, layer.initial_state(xs), layer.p, detach_reset=layer.detach_reset,
                     weights=weights)
    if why:
        skipped.append(f"{check} ({form}): backend='auto' runs the eager recurrent loop: {why}")
    else:
        passed.append(f"{check} ({form}): the recurrent path equals the eager recurrent loop (float64)")


# ---------------------------------------------------------------------- parameters, state space, long runs
def _parameter_class(s: _Subject, check: str) -> type:
    cls = s.parameters
    if cls is None or not attrs.has(cls):
        raise s.error(check, None, f"the model's parameter class is {cls!r}; expected an attrs class built with "
                      "@spikeplug.parameters (with at least the field dt)")
    return cls


def _number_check(field: attrs.Attribute) -> Any:
    """The field's tensor-aware spikeplug validator (``positive()``, ``finite()``...), or None."""
    from spikeplug.params import _NumberCheck

    validator = field.validator
    if validator is not None and type(validator).__name__ == "_OptionalValidator":
        validator = validator.validator
    return validator if isinstance(validator, _NumberCheck) else None


def _numeric_field(field: attrs.Attribute) -> bool:
    default = field.default
    if default is None:
        return True  # an optional tensor field (a coupling matrix sized by the module)
    return isinstance(default, (int, float)) and not isinstance(default, bool)


def _expect_class_rejects(s: _Subject, check: str, cls: type, name: str, bad: Any, why: str) -> None:
    """``cls(name=bad)`` raises ParameterError naming ``name``; else a ConformanceError saying ``why``."""
    _expect_refusal(s, check, None, f"{cls.__name__}({name}={bad!r})", lambda: cls(**{name: bad}), name, why)


def check_parameter_constraints(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """Every numeric parameter rejects NaN and ±inf, and every value outside its declared constraint.

    Guarantees: no numeric field of the parameter class accepts ``nan``, ``inf`` or
    ``-inf`` (the class and every form raise :class:`~spikeplug.ParameterError` naming
    the field), so a model cannot be built with a non-finite parameter; and the class
    enforces what it declares (:func:`spikeplug.params.constraint_text`): of the values
    0, ±1 and ±(|default| + 1), each one the field's validator forbids (``> 0``,
    ``>= 0``...) is rejected, so no converter clamps or rewrites it silently. A numeric
    field whose constraint cannot be read (a validator other than spikeplug's
    ``positive()``/``non_negative()``/``finite()``...) passes when it rejects the
    non-finite values, and is listed in the report's ``warnings``: its range is open to
    every finite value as far as users and ``spikeplug describe`` can tell.
    """
    s = _resolve(model, **options)
    check, passed, warned = "parameter_constraints", [], []
    cls = _parameter_class(s, check)
    with _isolated_rng():
        for field in attrs.fields(cls):
            if field.default is attrs.NOTHING or not _numeric_field(field):
                continue
            tensor = field.default is None
            fix = ("every numeric parameter must reject non-finite values; declare a validator, e.g. "
                   "param(..., validator=spikeplug.finite()) or spikeplug.positive()")
            for bad in (math.nan, math.inf, -math.inf):
                value = torch.tensor(bad, dtype=torch.float64) if tensor else bad
                _expect_class_rejects(s, check, cls, field.name, value, fix)
            for form in _forms(s, forms):
                value = torch.tensor(math.nan, dtype=torch.float64) if tensor else math.nan
                _expect_rejected(s, check, form, {field.name: value}, field.name)
            passed.append(f"{check}: {field.name}=nan/inf/-inf rejected by the class and every form")
            validator = _number_check(field)
            if validator is None:
                warned.append(
                    f"{check}: {cls.__name__}.{field.name} declares no readable constraint (no spikeplug validator "
                    "such as positive(), non_negative() or finite()): every finite value is accepted"
                )
                continue
            default = 0.0 if tensor else float(field.default)
            outside = []
            for candidate in dict.fromkeys((0.0, -1.0, 1.0, -(abs(default) + 1.0), abs(default) + 1.0)):
                if bool(validator.predicate(torch.tensor(candidate, dtype=torch.float64)).all()):
                    continue
                value = torch.tensor(candidate, dtype=torch.float64) if tensor else candidate
                _expect_class_rejects(s, check, cls, field.name, value, f"its declared constraint is "
                                      f"{validator.constraint!r}")
                outside.append(candidate)
            if outside:
                passed.append(f"{check}: {field.name} rejects {', '.join(map(repr, outside))} (outside "
                              f"{validator.constraint!r})")
    return Report(s.label, tuple(passed), (), tuple(warned))


RANGE_STEPS = 200
"""Steps run from the initial state to find the range each state variable visits."""
DENSE_PROBES = 64
"""Evenly spaced probes per state variable (round values and parameter values are added)."""
MAX_ROUND_PROBES = 4000


def _probe_values(lo: float, hi: float, extra: Iterable[float]) -> list[float]:
    """Probe points in ``[lo, hi]``: evenly spaced ones, every multiple of half a round step
    (1/100 of the range's decade: integers and halves for a range of 10 to 1000), and the
    values of ``extra`` that fall inside."""
    values = set(torch.linspace(lo, hi, DENSE_PROBES, dtype=torch.float64).tolist())
    half = 10.0 ** (math.floor(math.log10(hi - lo)) - 2) / 2
    k0, k1 = math.ceil(lo / half), math.floor(hi / half)
    if k1 - k0 <= MAX_ROUND_PROBES:
        values.update(float(f"{k * half:.12g}") for k in range(k0, k1 + 1))  # -0.04, not -0.04000000000000001
    values.update(v for v in extra if lo <= v <= hi)
    return sorted(values)


def _visited_ranges(
    s: _Subject, check: str, form: str, module: nn.Module, inputs: Iterable[float]
) -> dict[str, tuple[float, float]]:
    """``{state field: (min, max)}`` over :data:`RANGE_STEPS` steps from the initial state at each constant input."""
    found: dict[str, list[float]] = {}
    for c in inputs:
        xs = torch.full((RANGE_STEPS, *_step_input_shape(form, (2,))), c, dtype=torch.float64)
        with s.guard(check, form, f"{RANGE_STEPS} steps at constant input {c:g}"):
            _, _, states = _unroll(module, xs)
            states.insert(0, module.initial_state(xs[0]))
        for t, state in enumerate(states):
            for name, leaf in _tensor_leaves(s, check, form, state, "state"):
                if not bool(torch.isfinite(leaf).all()):
                    raise s.error(check, form, f"{name} becomes non-finite after {t} steps at constant input {c:g} "
                                  "from the initial state (default parameters); expected finite states")
                lo, hi = found.setdefault(name, [math.inf, -math.inf])
                found[name] = [min(lo, float(leaf.min())), max(hi, float(leaf.max()))]
    ranges = {}
    for name, (lo, hi) in found.items():
        if hi > lo:
            margin = (hi - lo) / 4
        else:
            margin = abs(lo) / 2 if lo != 0 else 1.0
        ranges[name] = (lo - margin, hi + margin)
    return ranges


def check_state_space(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """One step from any state in each state variable's range gives finite outputs and states.

    Guarantees: the step has no singularity inside the range the model's states visit,
    including the exact round values and parameter values where rate functions are often
    written as 0/0 (Hodgkin–Huxley's ``(V + 40) / (1 - exp(-(V + 40) / 10))`` at
    V = -40 mV). The range of a state variable is what :data:`RANGE_STEPS` steps from the
    initial state visit at zero input and at a constant input that makes the model spike,
    widened by a quarter of its width on each side (a variable that stays constant: by
    half its magnitude, or by 1 around 0). Probed values: :data:`DENSE_PROBES` evenly spaced
    points, every multiple of half a round step (integers and halves for a range of tens
    to hundreds), and every parameter value (``v_th``, ``v_leak``, ``v_reset``...) in the
    range. One variable is probed at a time, the others keep their initial values; one
    step of the model's first step form (cell, recurrent cell or linear cell) at zero and
    at the constant input, in float64 and float32.
    """
    s = _resolve(model, **options)
    check, passed = "state_space", []
    step_forms = [f for f in _forms(s, forms) if not _TIMED[f]]
    if not step_forms:
        return Report(s.label, (), (f"{check}: no step form (cell, recurrent_cell, linear_cell) among the checked "
                                    "forms to probe",))
    form = step_forms[0]
    with _isolated_rng(), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", StabilityWarning)
        scale = _active_scale(s, check, form)
        module = s.create(check, form).to(torch.float64)
        if not callable(getattr(module, "initial_state", None)):
            return Report(s.label, (), (f"{check} ({form}): the module has no initial_state to start from",))
        inputs = (0.0, scale)
        ranges = _visited_ranges(s, check, form, module, inputs)
        p = getattr(module, "p", None)
        extra = [0.0]
        if p is not None and attrs.has(type(p)):
            extra += [float(v) for f in attrs.fields(type(p)) if isinstance(v := getattr(p, f.name), float)]
        for dtype in (torch.float64, torch.float32):
            module = module.to(dtype)
            for name, (lo, hi) in ranges.items():
                field = name.split(".", 1)[1]
                probes = _probe_values(lo, hi, extra)
                P = len(probes)
                values = torch.tensor(probes, dtype=dtype)  # (P,)
                for c in inputs:
                    x = torch.full(_step_input_shape(form, (P,)), c, dtype=dtype)
                    start = module.initial_state(x)
                    if "." in field or field not in getattr(start, "_fields", ()):
                        return Report(s.label, tuple(passed), (f"{check} ({form}): the state is not a flat NamedTuple "
                                                               "of tensors; nothing probed",))
                    leaf = getattr(start, field)
                    probed = values.view(P, *([1] * (leaf.dim() - 1))).expand_as(leaf).clone()
                    state = start._replace(**{field: probed})
                    with s.guard(check, form, f"one step from {name} in [{lo:g}, {hi:g}] at input {c:g}"):
                        out, new = module(x, state)
                    for what, t in [("the output", out), *_tensor_leaves(s, check, form, new, "the new state")]:
                        bad = ~torch.isfinite(t.reshape(P, -1)).all(-1)
                        if bool(bad.any()):
                            k = int(bad.nonzero()[0])
                            at = [probes[i] for i in bad.nonzero().flatten().tolist()[:5]]
                            raise s.error(
                                check, form,
                                f"one step from {name} = {probes[k]!r} (the other state variables at their initial "
                                f"values, input {c:g}, {str(dtype).replace('torch.', '')}) gives {what} = "
                                f"{t.reshape(P, -1)[k].flatten()[0].item()!r}; expected finite values. Non-finite at "
                                f"{name} = {', '.join(map(repr, at))}{' ...' if int(bad.sum()) > 5 else ''}. A rate "
                                f"function such as x / (1 - exp(-x / k)) is 0/0 at x = 0: give it its limit there "
                                f"(torch.where(x.abs() < eps, k, x / -torch.expm1(-x / k)))",
                            )
                passed.append(f"{check} ({form}, {str(dtype).replace('torch.', '')}): {name} at {P} values in "
                              f"[{lo:.4g}, {hi:.4g}] gives finite outputs and states")
    return Report(s.label, tuple(passed))


LONG_RUN_STEPS = 10_000
"""Steps of :func:`check_boundedness`."""


def check_boundedness(
    model: str | ModuleSet,
    *,
    forms: Iterable[str] | None = None,
    **options: Any,
) -> Report:
    """At the default parameters the model is stable: no StabilityWarning, finite and bounded over 10⁴ steps.

    Guarantees: creating the model with its defaults raises no
    :class:`~spikeplug.StabilityWarning` (``dt·rate <= 1`` for every rate field, see
    :func:`spikeplug.param`'s ``rate``), and the layer (or, without one, the first step
    form) run for :data:`LONG_RUN_STEPS` steps from the initial state at zero input and at
    a constant input that makes the model spike keeps every output and state finite, and
    no state variable's largest magnitude over the second half of the run exceeds twice
    its largest magnitude over the first half (plus 1e-6): nothing diverges or drifts
    without bound at the defaults (forward Euler with too large a ``dt`` oscillates and
    grows).
    """
    s = _resolve(model, **options)
    check, passed = "boundedness", []
    chosen = _forms(s, forms)
    form = next((f for f in ("layer", "recurrent", "cell", "recurrent_cell", "linear_cell") if f in chosen), None)
    if form is None:
        return Report(s.label, (), (f"{check}: none of the checked forms can be run",))
    with _isolated_rng(), torch.no_grad():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StabilityWarning)
            module = s.create(check, form, **({"record_states": True} if _TIMED[form] else {}))
        unstable = [w for w in caught if issubclass(w.category, StabilityWarning)]
        if unstable:
            raise s.error(check, form, f"the default parameters warn StabilityWarning: {unstable[0].message}. "
                          "Defaults must give a stable model: choose a smaller default dt or rate")
        for c in (0.0, None):
            if c is None:  # after the zero-input run, which shows a model broken at the defaults more directly
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", StabilityWarning)
                    c = _active_scale(s, check, form)
            xs = torch.full((LONG_RUN_STEPS, *_step_input_shape(form, (2,))), c)
            with s.guard(check, form, f"{LONG_RUN_STEPS} steps at constant input {c:g}"):
                if _TIMED[form]:
                    outputs, states = module(xs)
                else:
                    outputs, _, trace = _unroll(module, xs)
                    states = stack_states(trace)
            half = LONG_RUN_STEPS // 2
            for name, t in [("the output", outputs), *_tensor_leaves(s, check, form, states, "state")]:
                finite = torch.isfinite(t.reshape(LONG_RUN_STEPS, -1)).all(-1)
                if not bool(finite.all()):
                    step = int((~finite).nonzero()[0])
                    raise s.error(
                        check, form, f"{name} becomes non-finite at step {step} of {LONG_RUN_STEPS} at constant input "
                        f"{c:g} (default parameters); expected finite values throughout. Forward Euler diverges when "
                        f"dt·rate > 2: check the default dt against the model's fastest rate"
                    )
                if name == "the output":
                    continue
                first, second = float(t[:half].abs().max()), float(t[half:].abs().max())
                if second > 2 * first + 1e-6:
                    raise s.error(
                        check, form, f"{name} grows without bound at constant input {c:g} (default parameters): its "
                        f"largest magnitude is {first:.4g} over steps 0-{half - 1} and {second:.4g} over steps "
                        f"{half}-{LONG_RUN_STEPS - 1}; expected bounded states (at most twice the first half's)"
                    )
            passed.append(f"{check} ({form}): {LONG_RUN_STEPS} steps at constant input {c:g} stay finite and bounded")
    return Report(s.label, tuple(passed))


CHECKS: dict[str, Callable[..., Report]] = {
    "shapes": check_shapes,
    "dtypes": check_dtypes,
    "device": check_device,
    "layer_matches_cell": check_layer_matches_cell,
    "gradients": check_gradients,
    "batch_independence": check_batch_independence,
    "determinism": check_determinism,
    "parameter_validation": check_parameter_validation,
    "parameter_constraints": check_parameter_constraints,
    "state_space": check_state_space,
    "boundedness": check_boundedness,
    "serialization": check_serialization,
    "generated": check_generated,
}
"""The checks :func:`check_neuron_model` runs, in order (``compile`` is separate: slow)."""


# ---------------------------------------------------------------------- encoders
ENCODER_INPUT_SHAPES: tuple[tuple[int, ...], ...] = ((5,), (2, 5))
"""Input shapes of :func:`check_encoder`."""


def check_encoder(name: str, *, registry: Registry | None = None) -> Report:
    """A registered encoder keeps the contract of :mod:`spikeplug.encoding`.

    Guarantees, for the encoder built with its defaults (and ``seq_length=3``,
    ``out_features=4`` where its factory requires them), on inputs ``U[0, 1)`` of shapes
    :data:`ENCODER_INPUT_SHAPES`: **shapes and layout**: the output has the contract's
    shape, time first ``(seq_length, *x.shape)`` for a sequence encoder, a population axis
    ``(..., out_features)`` last, else the input's shape; **dtypes**: float32 and float64
    inputs give outputs of that dtype, bool inputs float32; **value range**: outputs are
    finite; **determinism under a seed**: after ``torch.manual_seed(s)`` the same input
    gives identical outputs (random encoders draw from torch's generator, never from an
    unseeded one of their own); **gradients where differentiable**: when the output
    requires grad for an input that does, the sum's gradient reaches the input and is
    finite (otherwise reported not applicable).
    """
    from . import encoder_contract as contract

    reg = registry if registry is not None else get_registry()
    entry = reg.get(name, kind="encoder")
    label, check, passed, skipped = name, "encoder", [], []

    def error(detail: str) -> ConformanceError:
        return ConformanceError(f"conformance check {check!r} failed for encoder {label!r}: {detail}", label, check)

    try:
        kwargs = contract.default_kwargs(entry.qualified_name, reg)
        encoder = reg.factory(entry.qualified_name)(**kwargs)
    except Exception as exc:  # noqa: BLE001
        raise error(f"it cannot be built with its defaults: {type(exc).__name__}: {_first_lines(exc)}") from exc
    call = f"{entry.qualified_name}({_kwargs_text(kwargs).lstrip(', ')})"
    with _isolated_rng():
        for shape in ENCODER_INPUT_SHAPES:
            expected = contract.expected_shape(entry.qualified_name, kwargs, shape, reg)
            for dtype in (torch.float32, torch.float64, torch.bool):
                x = torch.rand(shape, generator=_generator(), dtype=torch.float64)
                x = (x > 0.5) if dtype == torch.bool else x.to(dtype)
                out_dtype = dtype if dtype.is_floating_point else torch.float32
                runs = []
                for _ in range(2):
                    torch.manual_seed(SEED + 11)
                    try:
                        runs.append(encoder(x))
                    except Exception as exc:  # noqa: BLE001
                        raise error(f"{call} on a {dtype} input of shape {shape} raised {type(exc).__name__}: "
                                    f"{_first_lines(exc)}") from exc
                y = runs[0]
                if not isinstance(y, torch.Tensor):
                    raise error(f"{call} returned {type(y).__name__}, expected a tensor")
                if tuple(y.shape) != expected:
                    raise error(f"{call} on input of shape {shape} gives shape {tuple(y.shape)}, expected {expected} "
                                "(sequence encoders: time first, (seq_length, *input shape); out_features last)")
                if y.dtype != out_dtype:
                    raise error(f"{call} on {dtype} input gives {y.dtype}, expected {out_dtype}")
                if not bool(torch.isfinite(y).all()):
                    raise error(f"{call} on {dtype} input of shape {shape} gives non-finite values; expected finite")
                if not torch.equal(runs[1], y):
                    raise error(f"{call} gives different outputs for the same input after the same torch.manual_seed; "
                                "expected identical outputs: draw random numbers from torch's generator (or a given "
                                "torch.Generator), not from an unseeded one")
            passed.append(f"{check}: input {shape} -> {expected}, float32/float64/bool, finite, identical under a seed")
        x = torch.rand(ENCODER_INPUT_SHAPES[-1], generator=_generator(), dtype=torch.float64).requires_grad_(True)
        torch.manual_seed(SEED + 11)
        try:
            y = encoder(x)
        except Exception as exc:  # noqa: BLE001
            raise error(f"{call} on an input that requires grad raised {type(exc).__name__}: {_first_lines(exc)}") \
                from exc
        if y.requires_grad:
            y.sum().backward()
            if x.grad is None or not bool(torch.isfinite(x.grad).all()):
                raise error(f"the output requires grad but the input's gradient is {x.grad!r}; expected finite values")
            passed.append(f"{check}: finite gradients reach the input")
        else:
            skipped.append(f"{check}: the output does not depend differentiably on the input (no gradient to check)")
    return Report(label, tuple(passed), tuple(skipped))


def conformance_targets(names: Iterable[str], registry: Registry | None = None) -> tuple[list[str], list[str]]:
    """``(neuron models, encoders)`` from what a user typed: ``"all"`` (everything registered),
    a plugin name (its neuron models and encoders, qualified) or a model name;
    comma-separated lists are split. Duplicates are dropped, order kept. Used by the pytest
    plugin and ``spikeplug check``.

    :raises UnknownNameError: for a name that is neither (with close matches).
    :raises PluginError: for a plugin that failed to load, was blocked, or registers no
        neuron model or encoder.
    """
    from .errors import PluginError

    reg = registry if registry is not None else get_registry()
    kinds = {"neuron": reg.names(kind="neuron", qualified=True), "encoder": reg.names(kind="encoder", qualified=True)}
    found: dict[str, list[str]] = {"neuron": [], "encoder": []}
    for arg in names:
        for name in filter(None, (n.strip() for n in arg.split(","))):
            if name == "all":
                for kind, listed in kinds.items():
                    found[kind] += listed
                continue
            record = next((r for r in reg.plugin_records() if r.name == name), None)
            if record is not None:
                if record.status != "loaded":
                    raise PluginError(f"plugin {name!r} is {record.status}; `spikeplug plugins` shows why"
                                      + (f":\n{record.error}" if record.error else ""))
                mine = {kind: [q for q in listed if q.partition(":")[0] == name] for kind, listed in kinds.items()}
                if not any(mine.values()):
                    raise PluginError(f"plugin {name!r} registers no neuron model or encoder")
                for kind in found:
                    found[kind] += mine[kind]
                continue
            entry = reg.get(name)  # raises UnknownNameError with close matches
            if entry.kind not in found:
                raise PluginError(
                    f"{name!r} is a {entry.kind}; the conformance suite checks neuron models and encoders"
                )
            found[entry.kind].append(name)
    return list(dict.fromkeys(found["neuron"])), list(dict.fromkeys(found["encoder"]))


def run_checks(
    model: str | ModuleSet,
    *,
    checks: Iterable[str] | None = None,
    **options: Any,
) -> list[dict[str, Any]]:
    """Run each check on ``model`` and keep going after a failure (unlike :func:`check_neuron_model`).

    :returns: one dict per check: ``check``, ``status`` (``"passed"``, ``"failed"`` or
        ``"n/a"``), ``passed``, ``not_applicable``, ``warnings`` (lists of strings) and
        ``error`` (the failure's message, or None). ``spikeplug check`` prints these.
    """
    selected = list(CHECKS) if checks is None else list(checks)
    if selected == ["encoder"]:
        try:
            report, error = check_encoder(model, registry=options.get("registry")), None  # type: ignore[arg-type]
        except ConformanceError as exc:
            report, error = Report(str(model)), str(exc)
        return [{"check": "encoder", "status": "failed" if error else ("passed" if report.passed else "n/a"),
                 "passed": list(report.passed), "not_applicable": list(report.not_applicable),
                 "warnings": list(report.warnings), "error": error}]
    unknown = [c for c in selected if c not in CHECKS and c != "compile"]
    if unknown:
        raise ParameterError(f"checks: unknown check {unknown[0]!r}; the checks are {', '.join(map(repr, CHECKS))}, "
                             "'compile'")
    s = _resolve(model, **options)
    results = []
    for name in selected:
        run = check_compile if name == "compile" else CHECKS[name]
        try:
            report, error = run(s), None
        except ConformanceError as exc:
            report, error = Report(s.label), str(exc)
        status = "failed" if error else ("passed" if report.passed else "n/a")
        results.append({"check": name, "status": status, "passed": list(report.passed),
                        "not_applicable": list(report.not_applicable), "warnings": list(report.warnings),
                        "error": error})
    return results


def check_neuron_model(
    model: str | ModuleSet,
    *,
    checks: Iterable[str] | None = None,
    forms: Iterable[str] | None = None,
    compile: bool = False,  # noqa: A002 - reads naturally: check_neuron_model(name, compile=True)
    compile_backend: str = "inductor",
    registry: Registry | None = None,
    input_scale: float | None = None,
    device: torch.device | str | None = None,
    create_kwargs: Mapping[str, Any] | None = None,
) -> Report:
    """Run the conformance checks on a neuron model; raise :class:`ConformanceError` at the first failure.

    :param model: a registered name (``"lif"``, ``"plugin:lif"``) or a :class:`spikeplug.ModuleSet`.
    :param checks: names from :data:`CHECKS` (and ``"compile"``) to run; default all of
        :data:`CHECKS`.
    :param forms: check only these forms (default: every form the model has); forms the
        model lacks are listed in ``not_applicable``.
    :param compile: also run :func:`check_compile` (slow).
    :param compile_backend: ``torch.compile`` backend of the ``compile`` check.
    :param registry: where to look the name up (default: the process-wide registry).
    :param input_scale: starting magnitude of the test inputs (see the module docs).
    :param device: device of :func:`check_device` (default CUDA if available, else ``meta``).
    :param create_kwargs: extra keywords for every form the suite creates, e.g.
        ``{"preset": "bio"}`` to check a preset.
    :returns: a :class:`Report` of everything verified.

    Each ``check_*`` function takes the model, ``forms=`` and the keywords ``registry``,
    ``input_scale``, ``device`` and ``create_kwargs`` with the same meaning.
    """
    selected = list(CHECKS) if checks is None else ([checks] if isinstance(checks, str) else list(checks))
    if compile and "compile" not in selected:
        selected.append("compile")
    known = [*CHECKS, "compile"]
    unknown = [c for c in selected if c not in known]
    if unknown:
        raise ParameterError(f"checks: unknown check {unknown[0]!r}; the checks are {', '.join(map(repr, known))}")
    s = _resolve(model, registry=registry, input_scale=input_scale, device=device, create_kwargs=create_kwargs)
    report = Report(s.label)
    if forms is not None:
        forms = [forms] if isinstance(forms, str) else list(forms)
        _forms(s, forms)  # reject unknown names before running anything
        missing = [f for f in forms if f not in s.forms]
        report = Report(s.label, (), tuple(f"form {f!r}: the model has no such form" for f in missing))
    for name in selected:
        if name == "compile":
            report = report + check_compile(s, backend=compile_backend, forms=forms)
        else:
            report = report + CHECKS[name](s, forms=forms)
    return report
