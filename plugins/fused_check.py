"""Check that a model's fused kernels equal its eager step loop, forward and backward.

A fused kernel (:mod:`spikeplug.backends`) is only correct if the layer with
``backend="fused"`` computes what ``backend="eager"`` computes, gradients included.
:func:`check_fused_matches_eager` runs both on the same inputs, for float32 and float64,
for every builtin surrogate method (models whose parameters have ``method``), with and
without ``detach_reset``, and with three kinds of parameters:

``floats``
    the defaults, as Python numbers;
``learnable scalars``
    every numeric field (``alpha`` excepted: no gradient flows to it) a 0-dim
    ``nn.Parameter``, slightly moved from its default;
``learnable per-neuron``
    the same fields as per-neuron ``nn.Parameter`` tensors (one value per neuron of the
    last dimension, broadcast over the batch).

Each run starts from a state reached after a few eager steps that requires grad, and
backpropagates a fixed random weighting of the outputs and final state. It then requires:

* spikes identical (outputs of non-spiking models within the state tolerance);
* outputs and final states within ``1e-5`` (absolute, plus ``1e-5`` relative);
* gradients of the input, of the initial state and of every parameter tensor within
  ``1e-4`` relative to the largest magnitude of the eager gradient (and present in both or
  neither).

A mismatch raises :class:`FusedCheckError` naming the model, kernel, dtype, method, case
and the largest difference. Where no kernel runs on this machine (e.g. numba missing) the
model is reported not applicable rather than failed::

    from spikeplug.plugins.fused_check import check_fused_matches_eager
    report = check_fused_matches_eager("lif")
    print(report.compared[0])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import torch

from spikeplug.backends import BackendError
from spikeplug.errors import SpikeplugError
from spikeplug.modules import ModuleSet, parameters_without_gradient
from spikeplug.surrogates import BUILTIN_SURROGATES

from .registry import Registry, get_registry

__all__ = ["FusedCheckError", "FusedCheckReport", "check_fused_matches_eager", "SURROGATE_ALPHAS"]

#: ``alpha`` used per method, so that every surrogate gives gradients of a useful size
SURROGATE_ALPHAS = {"heaviside": 1.0, "super": 10.0, "triangle": 0.5, "tanh": 2.0, "circ": 2.0, "heavi_erfc": 2.0}
STATE_TOL = 1e-5
GRAD_RTOL = 1e-4
PARAMETER_CASES = ("floats", "learnable scalars", "learnable per-neuron")
_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)


class FusedCheckError(SpikeplugError, AssertionError):
    """A fused kernel differs from the eager step loop (an ``AssertionError``, so pytest
    reports it as a test failure)."""


@attrs.frozen
class FusedCheckReport:
    """What :func:`check_fused_matches_eager` compared.

    :param model: the model's name.
    :param kernels: the names of the fused kernels that ran (``layer.last_backend``).
    :param compared: one line per compared case.
    :param not_applicable: why nothing was compared (no fused kernel, none runs here).
    """

    model: str
    kernels: tuple[str, ...] = ()
    compared: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()


def check_fused_matches_eager(
    model: str | ModuleSet,
    *,
    dtypes: Sequence[torch.dtype] = (torch.float32, torch.float64),
    methods: Iterable[str] | None = None,
    parameter_cases: Iterable[str] = PARAMETER_CASES,
    steps: int = 12,
    shape: tuple[int, ...] = (3, 5),
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
) -> FusedCheckReport:
    """Compare ``backend="fused"`` with ``backend="eager"`` for the layer of ``model``.

    :param model: a registered neuron model name or a :class:`~spikeplug.ModuleSet`.
    :param dtypes: floating dtypes to run in.
    :param methods: surrogate methods (default: the six builtin ones; ignored for models
        without a ``method`` parameter).
    :param parameter_cases: a subset of :data:`PARAMETER_CASES`.
    :param steps: sequence length; ``shape``: the shape of one step (neurons last).
    :param overrides: parameter values for every case (e.g. ``reset_method="subtract"``).
    :returns: a :class:`FusedCheckReport`; raises :class:`FusedCheckError` on a mismatch.
    """
    name, create = _resolve(model, registry)
    unknown = sorted(set(parameter_cases) - set(PARAMETER_CASES))
    if unknown:
        raise ValueError(f"parameter_cases must be among {PARAMETER_CASES}, got {unknown}")
    fixed = dict(overrides or {})
    probe = create(**fixed)
    if not getattr(type(probe).model, "fused", ()):
        return FusedCheckReport(name, not_applicable=(f"{name!r} has no fused kernel",))
    p = probe.p
    fields = {f.name: getattr(p, f.name) for f in attrs.fields(type(p))}
    spiking = "method" in fields
    method_list = [None] if not spiking else list(methods or (s.name for s in BUILTIN_SURROGATES))
    numeric = [
        n for n, v in fields.items() if n != "alpha" and isinstance(v, (int, float)) and not isinstance(v, bool)
    ]
    compared, kernels = [], set()
    for dtype in dtypes:
        for method in method_list:
            base = dict(fixed)
            if method is not None:
                base.update(method=method, alpha=SURROGATE_ALPHAS.get(method, fields["alpha"]))
            gen = torch.Generator().manual_seed(seed)
            scale = _active_scale(create, base, shape, steps, dtype, spiking)
            # only fields the step differentiates can be learnable (e.g. not v_th with heaviside)
            model_def = type(probe).model
            untrained = set(parameters_without_gradient(model_def, create(**base).p, tuple(numeric)))
            trainable = [n for n in numeric if n not in untrained]
            for case in parameter_cases:
                overrides, learnable = _parameters(case, fields, numeric, shape, gen, trainable)
                for detach in (False, True) if spiking and case == "floats" else (False,):
                    label = (
                        f"{name} {str(dtype).replace('torch.', '')}"
                        + (f" method={method!r}" if method else "")
                        + "".join(f" {k}={v!r}" for k, v in fixed.items())
                        + f", {case}" + (", detach_reset" if detach else "")
                    )
                    kwargs = {**base, **overrides, "learnable": learnable, "detach_reset": detach}
                    x = _inputs(gen, steps, shape, scale, dtype)
                    warm = _inputs(gen, 4, shape, scale, dtype)
                    try:
                        kernel = _compare(create, kwargs, x, warm, dtype, spiking, label, gen)
                    except BackendError as err:
                        return FusedCheckReport(name, tuple(sorted(kernels)), tuple(compared), (f"{label}: {err}",))
                    kernels.add(kernel)
                    compared.append(f"{label}: fused ({kernel}) equals eager in outputs, state and gradients")
    return FusedCheckReport(name, tuple(sorted(kernels)), tuple(compared))


def _resolve(model: str | ModuleSet, registry: Registry | None) -> tuple[str, Any]:
    if isinstance(model, ModuleSet):
        return model.model.name, lambda **kw: model.create("layer", **kw)
    if not isinstance(model, str):
        raise TypeError(
            f"model must be a registered neuron model name or a spikeplug.ModuleSet, got {type(model).__name__}"
        )
    factory = (registry or get_registry()).factory(model)
    if isinstance(factory, ModuleSet):
        return model, lambda **kw: factory.create("layer", **kw)
    return model, lambda **kw: factory(form="layer", **kw)


def _inputs(gen: torch.Generator, steps: int, shape: tuple[int, ...], scale: float, dtype: torch.dtype) -> torch.Tensor:
    """Inputs mostly positive (so spiking models fire), some negative."""
    return (scale * (1.25 * torch.rand((steps, *shape), generator=gen, dtype=torch.float64) - 0.25)).to(dtype)


def _active_scale(
    create: Any, base: dict, shape: tuple[int, ...], steps: int, dtype: torch.dtype, spiking: bool
) -> float:
    """The smallest input scale at which the eager layer spikes in 10–70 % of the outputs,
    so both the spike and the no-spike branches (and their gradients) are compared."""
    if not spiking:
        return 1.0
    gen = torch.Generator().manual_seed(12345)
    layer = create(**base, backend="eager").to(dtype)
    for scale in _SCALES:
        with torch.no_grad():
            out, _ = layer(_inputs(gen, steps, shape, scale, dtype))
        if 0.1 <= out.mean().item() <= 0.7:
            return scale
    return 1.0


def _parameters(
    case: str, fields: dict[str, Any], numeric: list[str], shape: tuple[int, ...], gen: torch.Generator,
    trainable: list[str],
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Overrides and learnable names for one parameter case: defaults moved by up to 10 %
    (positive fields) or 0.05 (others), as scalars or one value per neuron; the
    ``trainable`` ones learnable."""
    if case == "floats":
        return {}, ()
    size = () if case == "learnable scalars" else shape[-1:]
    overrides = {}
    for n in numeric:
        value = float(fields[n])
        r = torch.rand(size, generator=gen, dtype=torch.float64)
        moved = value * (1.0 + 0.1 * r) if value > 0 else value + 0.05 * (2 * r - 1)
        overrides[n] = moved.to(torch.get_default_dtype())
    return overrides, tuple(trainable)


def _compare(
    create: Any, kwargs: dict, x: torch.Tensor, warm: torch.Tensor, dtype: torch.dtype, spiking: bool, label: str,
    gen: torch.Generator,
) -> str:
    """Run both backends; raise :class:`FusedCheckError` on a difference; return the kernel name."""
    eager = create(**kwargs, backend="eager").to(dtype)
    fused = create(**kwargs, backend="fused").to(dtype)
    fused.load_state_dict(eager.state_dict())
    with torch.no_grad():
        _, start = eager(warm)
    results = {}
    weights = None
    for backend, layer in (("eager", eager), ("fused", fused)):
        xs = x.clone().requires_grad_(True)
        s0 = type(start)(*(t.clone().requires_grad_(True) for t in start))
        out, state = layer(xs, s0)
        leaves = [out, *state]
        if weights is None:
            weights = [torch.rand(t.shape, generator=gen, dtype=torch.float64).to(dtype) for t in leaves]
        loss = sum((t * w).sum() for t, w in zip(leaves, weights))
        grads = {}
        if loss.requires_grad:
            loss.backward()
            grads = {"input": xs.grad, **{f"initial state.{f}": t.grad for f, t in zip(start._fields, s0)}}
            grads.update({f"parameter {n}": t.grad for n, t in layer.named_parameters()})
        results[backend] = (out.detach(), state, grads, layer.last_backend)
    (out_e, state_e, grads_e, _), (out_f, state_f, grads_f, kernel) = results["eager"], results["fused"]
    if kernel == "eager":
        raise FusedCheckError(f"{label}: backend='fused' ran the eager loop (last_backend='eager')")
    where = f"{label}: fused kernel {kernel!r} vs eager"
    if spiking and not torch.equal(out_f, out_e):
        bad = (out_f != out_e).nonzero()[0].tolist()
        raise FusedCheckError(
            f"{where}: spikes differ in {int((out_f != out_e).sum())} of {out_e.numel()} places, first at "
            f"index {bad} (fused {out_f[tuple(bad)].item()}, eager {out_e[tuple(bad)].item()}); "
            "expected identical spikes"
        )
    _close(where, "outputs", out_f, out_e)
    for field, f, e in zip(state_e._fields, state_f, state_e):
        _close(where, f"final state.{field}", f.detach(), e.detach())
    for what in sorted(set(grads_e) | set(grads_f)):
        ge, gf = grads_e.get(what), grads_f.get(what)
        if (ge is None) != (gf is None):
            raise FusedCheckError(
                f"{where}: the gradient of the {what} is {'missing' if gf is None else 'present'} in the fused run "
                f"but {'missing' if ge is None else 'present'} in the eager run"
            )
        if ge is not None:
            scale = ge.abs().max().item()
            diff = (gf - ge).abs().max().item() if ge.numel() else 0.0
            if not diff <= GRAD_RTOL * scale:
                raise FusedCheckError(
                    f"{where}: gradient of the {what} differs by {diff:.3g}, more than {GRAD_RTOL:g} × its largest "
                    f"magnitude {scale:.3g}"
                )
    return kernel


def _close(where: str, what: str, found: torch.Tensor, expected: torch.Tensor) -> None:
    if found.shape != expected.shape or found.dtype != expected.dtype:
        raise FusedCheckError(
            f"{where}: {what} has shape {tuple(found.shape)} and dtype {found.dtype}, expected "
            f"{tuple(expected.shape)} and {expected.dtype}"
        )
    diff = (found - expected).abs()
    limit = STATE_TOL + STATE_TOL * expected.abs()
    if not bool((diff <= limit).all()):
        raise FusedCheckError(
            f"{where}: {what} differ by up to {diff.max().item():.3g}, more than {STATE_TOL:g} (absolute) + "
            f"{STATE_TOL:g} (relative)"
        )
