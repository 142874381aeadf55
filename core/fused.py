"""Fused multi-step kernels for neurons with an affine state update, a threshold and a reset.

LIF, LI, LIF box and IAF all follow one pattern, written here once::

    u   = i + I                 synaptic current jump        (families with a current i)
    i'  = u − b·u               synaptic decay, b = dt·tau_syn_inv
    d   = v + a·((v_leak − v) + u)   leaky membrane, a = dt·tau_mem_inv  (IAF: d = v + u)
    z   = Θ(d − v_th)           strict threshold, surrogate gradient  (LI: no threshold)
    v'  = (1 − z)·d + z·v_reset  reset to a value (or v' = d − z·v_th, reset by subtraction)

A family joins by describing its step with :func:`affine_kernel`: which terms it has
(``synaptic``, ``leaky``, ``spiking``...) and a function from its parameter object to
:class:`AffineCoefficients` (``a = p.dt * p.tau_mem_inv`` ...), written with the same
Python/torch arithmetic as its eager step, so that the kernel sees the same numbers.
The result is a :class:`~spikeplug.backends.FusedKernel` for ``NeuronModel(fused=...)``.

The kernel runs the whole ``(T, *S)`` sequence in one call per direction:

* forward: the outputs and final state, plus the pre-reset voltage ``d`` of every step
  when a gradient is needed (and the drive of every step when a parameter needs one);
* backward: a reverse-time loop that recomputes spikes, resets and surrogate derivatives
  from ``d``, giving the gradients of the input, the initial state and every coefficient
  that requires grad (scalar or per-neuron; autograd carries them on to ``tau_mem_inv``,
  ``v_th``... through the family's coefficient function).

Both directions are ``torch.library`` custom operators (``torch.ops.spikeplug.affine_forward``
and ``affine_backward``, with fake implementations and the backward registered as the
forward's autograd formula), so autograd and ``torch.compile`` see one op each. The
CPU implementation is numba (the ``fast`` extra), imported on first use; where numba is
missing the kernel says so through ``supports`` and ``backend="auto"`` runs the eager loop.
The forward repeats the eager step's floating-point operations in order, so spikes and
states are bit-identical to the eager loop; gradients agree to rounding.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import attrs
import torch

from .backends import FusedKernel
from .surrogates import BUILTIN_SURROGATES, get_surrogate

__all__ = ["AffineCoefficients", "AffineKernel", "affine_kernel", "numba_unavailable", "METHOD_CODES", "RESETS"]

#: surrogate derivative function -> method code of the kernels (the six builtin methods)
METHOD_CODES: dict[Any, int] = {s.derivative: code for code, s in enumerate(BUILTIN_SURROGATES)}
RESETS = ("value", "subtract")
ROWS = 6                                   # a, b, v_leak, v_th, v_reset, alpha (coef: (6, 1) or (6, N))
MAX_CHUNK = 8192                           # neurons per block (a block's state stays in L2)
MIN_WORK_PER_THREAD = 1 << 16              # steps × neurons below which one thread runs it all
DTYPES = (torch.float32, torch.float64)

_INSTALL = "install it with pip install 'spikeplug[fast]'"
_kernels: Any = None                       # spikeplug.fused_numba once imported
# why the kernels cannot run, once known. A missing numba is known here, without importing
# it: torch.compile then traces the eager loop instead of an import dynamo cannot trace.
_kernels_error: str | None = None if importlib.util.find_spec("numba") else f"numba is not installed; {_INSTALL}"


def numba_unavailable() -> str | None:
    """``None`` when the numba kernels can run, else why not (imports numba on first call).

    Traceable by ``torch.compile``: it reads only ``_kernels_error``, which stays ``None``
    while the kernels can run (so dynamo's guard on it holds), and the import statement is
    one that dynamo runs while tracing (after the first call it is a ``sys.modules`` lookup).
    """
    global _kernels, _kernels_error
    if _kernels_error is None:
        try:
            import spikeplug.fused_numba as fused_numba
        except Exception as exc:
            missing = isinstance(exc, ImportError) and exc.name == "numba"
            what = "numba is not installed" if missing else f"numba failed to import ({type(exc).__name__}: {exc})"
            _kernels_error = f"{what}; {_INSTALL}"
        else:
            _kernels = fused_numba
    return _kernels_error


def _numba_kernels() -> Any:
    why = numba_unavailable()
    if why is not None:
        raise RuntimeError(f"the spikeplug fused CPU kernels cannot run: {why}")
    return _kernels


def _run_blocks(kernel: Callable[..., None], args: tuple[Any, ...], T: int, N: int) -> None:
    """Run ``kernel(*args, chunk, c0, c1)`` over all blocks of neurons, split between
    ``torch.get_num_threads()`` threads when there is enough work."""
    threads = max(1, min(torch.get_num_threads(), -(-(T * N) // MIN_WORK_PER_THREAD)))
    chunk = max(1, min(MAX_CHUNK, -(-N // threads)))
    blocks = -(-N // chunk)
    threads = min(threads, blocks)
    if threads <= 1:
        kernel(*args, chunk, 0, blocks)
        return
    bounds = [blocks * k // threads for k in range(threads + 1)]
    errors: list[BaseException] = []

    def work(c0: int, c1: int) -> None:
        try:
            kernel(*args, chunk, c0, c1)
        except BaseException as exc:
            errors.append(exc)

    helpers = [threading.Thread(target=work, args=(bounds[k], bounds[k + 1]), daemon=True) for k in range(1, threads)]
    for h in helpers:
        h.start()
    work(bounds[0], bounds[1])
    for h in helpers:
        h.join()
    if errors:
        raise errors[0]


# --------------------------------------------------------------------------- custom ops


# Registered with torch.library's define/impl rather than the @custom_op decorator: the
# decorator's wrapper imports torch._dynamo on the first call (3–4 s per process). The
# structural switches travel packed in one int, ``form``: torch's autograd glue walks the
# schema's arguments on every call, at a cost that grows with their number.
_lib = torch.library.Library("spikeplug", "FRAGMENT")
_lib.define(
    "affine_forward(Tensor x, Tensor v0, Tensor i0, Tensor coef, int form) -> (Tensor, Tensor, Tensor, Tensor, Tensor)"
)
_lib.define(
    "affine_backward(Tensor g_out, Tensor g_v, Tensor g_i, Tensor d, Tensor w, Tensor v0, Tensor coef, int form, "
    "bool want_coef) -> (Tensor, Tensor, Tensor, Tensor)"
)

#: bits of ``form``; the surrogate method code sits above them (``form >> METHOD_SHIFT``).
#: NO_G_V and NO_G_I (backward only): the final v or i got no gradient (absent, not zero)
SYNAPTIC, LEAKY, LEAK_IN_DRIVE, SPIKING, SUBTRACT, DETACH, SAVE_D, SAVE_W, NO_G_V, NO_G_I = (1 << k for k in range(10))
METHOD_SHIFT = 10


def _bits(form: int) -> tuple[bool, bool, bool, bool, bool]:
    """``(synaptic, leaky, leak_in_drive, spiking, subtract)``: the kernels' structural switches."""
    return (bool(form & SYNAPTIC), bool(form & LEAKY), bool(form & LEAK_IN_DRIVE), bool(form & SPIKING),
            bool(form & SUBTRACT))


@torch.library.impl(_lib, "affine_forward", "CPU")
def _affine_forward_cpu(
    x: torch.Tensor, v0: torch.Tensor, i0: torch.Tensor, coef: torch.Tensor, form: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(out (T, N), v (N), i (N or 0), d (T or 0, N), w (T or 0, N))``: outputs, final
    state, and (with ``SAVE_D``/``SAVE_W``) the pre-reset voltages and drives of every step."""
    T, N = x.shape
    k = _numba_kernels()
    save_d, save_w = bool(form & SAVE_D), bool(form & SAVE_W)
    out = torch.empty_like(x)
    v = torch.empty_like(v0)
    i = torch.empty_like(i0)
    d = x.new_empty((T if save_d else 1, N))
    w = x.new_empty((T, N)) if save_w else x.new_zeros((1, N))
    args = (
        x.numpy(), v0.numpy(), i0.numpy(), coef.numpy(), *_bits(form),
        out.numpy(), v.numpy(), i.numpy(), d.numpy(), w.numpy(),
    )
    _run_blocks(k.forward, args, T, N)
    return out, v, i, (d if save_d else d[:0]), (w if save_w else w[:0])


@torch.library.register_fake("spikeplug::affine_forward", lib=_lib)
def _(x, v0, i0, coef, form):
    T, N = x.shape
    return (
        x.new_empty((T, N)), v0.new_empty(v0.shape), i0.new_empty(i0.shape),
        x.new_empty((T if form & SAVE_D else 0, N)), x.new_empty((T if form & SAVE_W else 0, N)),
    )


@torch.library.impl(_lib, "affine_backward", "CPU")
def _affine_backward_cpu(
    g_out: torch.Tensor,
    g_v: torch.Tensor,
    g_i: torch.Tensor,
    d: torch.Tensor,
    w: torch.Tensor,
    v0: torch.Tensor,
    coef: torch.Tensor,
    form: int,
    want_coef: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(g_x (T, N), g_v0 (N), g_i0, g_coef (6 or 0, N) per neuron)`` from the saved pre-reset
    voltages ``d`` (T, N); ``g_out`` is (T, N) or one row for every step; ``w`` holds the
    drives of every step when ``want_coef``."""
    T, N = d.shape
    k = _numba_kernels()
    g_x = torch.empty_like(d)
    g_v0 = torch.empty_like(g_v)
    g_i0 = torch.empty_like(g_i)
    g_coef = d.new_empty((ROWS if want_coef else 0, N))
    args = (
        g_out.numpy(), g_v.numpy(), g_i.numpy(), d.numpy(), w.numpy(), v0.numpy(), coef.numpy(),
        *_bits(form), bool(form & DETACH), form >> METHOD_SHIFT, bool(form & NO_G_V), bool(form & NO_G_I),
        g_x.numpy(), g_v0.numpy(), g_i0.numpy(), g_coef.numpy(),
    )
    _run_blocks(k.backward, args, T, N)
    return g_x, g_v0, g_i0, g_coef


@torch.library.register_fake("spikeplug::affine_backward", lib=_lib)
def _(g_out, g_v, g_i, d, w, v0, coef, form, want_coef):
    T, N = d.shape
    g_coef = d.new_empty((ROWS if want_coef else 0, N))
    return d.new_empty((T, N)), g_v.new_empty(g_v.shape), g_i.new_empty(g_i.shape), g_coef


def _setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[torch.Tensor, ...]) -> None:
    _, v0, _, coef, form = inputs
    out, _, _, d, w = output
    ctx.set_materialize_grads(False)           # no (T, N) zeros for the outputs nobody used
    ctx.mark_non_differentiable(d, w)
    # LI has no reset: its output is the pre-reset voltage itself
    ctx.save_for_backward(d if form & SPIKING else out, w, v0, coef)
    ctx.form = form


def _rows(g: torch.Tensor | None, like: torch.Tensor, n: int) -> torch.Tensor:
    """A (T, N) gradient, or one row when it is the same for every step (or absent)."""
    if g is None:
        return like.new_zeros((1, n))
    if g.stride(0) == 0:                     # e.g. out.sum().backward(): expanded over time
        return g[:1].contiguous()
    return g.contiguous()


def _backward(ctx: Any, g_out, g_v, g_i, g_d, g_w):
    d, w, v0, coef = ctx.saved_tensors
    N = d.shape[1]
    synaptic = bool(ctx.form & SYNAPTIC)
    want_coef = bool(ctx.needs_input_grad[3])
    # an unused final state has no gradient in eager autograd: say so rather than pass zeros
    form = ctx.form | (NO_G_V if g_v is None else 0) | (NO_G_I if g_i is None else 0)
    g_x, g_v0, g_i0, g_coef = torch.ops.spikeplug.affine_backward(
        _rows(g_out, d, N),
        v0.new_zeros(N) if g_v is None else g_v.contiguous(),
        v0.new_zeros(N if synaptic else 0) if g_i is None else g_i.contiguous(),
        d, w if want_coef else d.new_zeros((1, N)), v0, coef, form, want_coef,
    )
    if want_coef and coef.shape[1] == 1:
        g_coef = g_coef.sum(1, keepdim=True)           # shared coefficients: sum over neurons
    return g_x, g_v0, (g_i0 if synaptic else None), (g_coef if want_coef else None), None


torch.library.register_autograd("spikeplug::affine_forward", _backward, setup_context=_setup_context, lib=_lib)


# --------------------------------------------------------------------------- families


class AffineCoefficients(NamedTuple):
    """One family's step as numbers of the affine class (floats or tensors).

    A ``NamedTuple`` (not a frozen attrs class) so that ``torch.compile`` traces its
    construction; build it with keywords, change it with ``c._replace(v_th=...)``.

    :param a: membrane gain per step, ``dt · tau_mem_inv`` (leaky families).
    :param b: synaptic decay per step, ``dt · tau_syn_inv`` (synaptic families).
    :param v_leak: leak potential.
    :param v_th: threshold (spiking families).
    :param v_reset: potential after a spike (``reset="value"``).
    :param reset: ``"value"`` (v ← v_reset) or ``"subtract"`` (v ← v − v_th).
    :param method: surrogate method name (or :class:`~spikeplug.Surrogate`) of the threshold.
    :param alpha: its sharpness (no gradient flows to it).

    Tensors may be scalars or per-neuron values that broadcast to a step's shape; those
    that require grad get one.
    """

    a: Any = 1.0
    b: Any = 0.0
    v_leak: Any = 0.0
    v_th: Any = 0.0
    v_reset: Any = 0.0
    reset: str = "value"
    method: Any = "heaviside"
    alpha: Any = 1.0

    def values(self) -> tuple[Any, ...]:
        """The coefficients in the kernels' row order."""
        return (self.a, self.b, self.v_leak, self.v_th, self.v_reset, self.alpha)


_ROW_NAMES = ("a", "b", "v_leak", "v_th", "v_reset", "alpha")


@attrs.frozen
class AffineKernel:
    """The fused kernel of one family of the affine class (build it with :func:`affine_kernel`)."""

    coefficients: Callable[[Any], AffineCoefficients]
    synaptic: bool
    leaky: bool = True
    leak_in_drive: bool = False
    spiking: bool = True
    v_field: str = "v"
    i_field: str = "i"
    name: str = "numba-cpu"
    min_steps: int = 2

    @property
    def _form(self) -> int:
        return (
            (SYNAPTIC if self.synaptic else 0) | (LEAKY if self.leaky else 0)
            | (LEAK_IN_DRIVE if self.leak_in_drive else 0) | (SPIKING if self.spiking else 0)
        )

    def supports(self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> str | None:
        """``None`` when the kernel can run these inputs, else a short reason."""
        if inputs.layout != torch.strided:      # the kernel reads the values as one dense (T, N) block
            return f"runs dense (strided) inputs only, got a {inputs.layout} input"
        if inputs.device.type != "cpu":
            return f"runs on the CPU only, got {inputs.device.type} tensors"
        if inputs.dtype not in DTYPES:
            return f"runs float32 and float64 only, got {inputs.dtype}"
        why = numba_unavailable()
        if why is not None:
            return why
        S = tuple(inputs.shape[1:])
        fields = (self.v_field, self.i_field) if self.synaptic else (self.v_field,)
        if tuple(state._fields) != fields:
            return f"expects a state with fields {fields}, got {tuple(state._fields)}"
        for name in fields:
            t = getattr(state, name)
            fits = isinstance(t, torch.Tensor) and tuple(t.shape) == S
            if not fits or t.dtype != inputs.dtype or t.device != inputs.device:
                found = f"{tuple(t.shape)} {t.dtype} on {t.device}" if isinstance(t, torch.Tensor) else type(t).__name__
                return f"needs state.{name} of the step's shape {S} and dtype {inputs.dtype}, got {found}"
        with torch.no_grad():
            c = self.coefficients(p)
        if self.spiking:
            derivative = get_surrogate(c.method).derivative
            if derivative not in METHOD_CODES:
                return f"knows the six builtin surrogate methods, not the plugin method {c.method!r}"
            if c.reset not in RESETS:
                return f"resets by {' or '.join(RESETS)}, not {c.reset!r}"
        for name, value in zip(_ROW_NAMES, c.values()):
            if isinstance(value, torch.Tensor):
                why = _coefficient_problem(name, value, inputs, S)
                if why is not None:
                    return why
            elif not isinstance(value, (int, float)) or isinstance(value, bool):
                return f"needs a number or tensor for {name}, got {type(value).__name__}"
        return None

    def run(self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> tuple[torch.Tensor, Any]:
        """Outputs ``(T, *S)`` and final state, as the eager loop computes them."""
        T, S = inputs.shape[0], tuple(inputs.shape[1:])
        N = math.prod(S)
        dtype = inputs.dtype
        c = self.coefficients(p)
        method = METHOD_CODES[get_surrogate(c.method).derivative] if self.spiking else 0
        coef = _coefficient_array(self._differentiable(c, method), S, N, dtype)  # (6, 1) or (6, N)
        x = inputs.reshape(T, N).contiguous()
        v0 = getattr(state, self.v_field).reshape(N).contiguous()
        i0 = getattr(state, self.i_field).reshape(N).contiguous() if self.synaptic else x.new_empty(0)
        grad = torch.is_grad_enabled() and any(t.requires_grad for t in (x, v0, i0, coef))
        form = (
            (method << METHOD_SHIFT) | self._form
            | (SUBTRACT if self.spiking and c.reset == "subtract" else 0) | (DETACH if detach_reset else 0)
            | (SAVE_D if grad and self.spiking else 0) | (SAVE_W if grad and coef.requires_grad else 0)
        )
        out, v, i, _, _ = torch.ops.spikeplug.affine_forward(x, v0, i0, coef, form)
        if self.spiking and method == 0:
            out = out.detach()                 # heaviside: spikes carry no gradient, as in eager
        fields = {self.v_field: v.reshape(S)}
        if self.synaptic:
            fields[self.i_field] = i.reshape(S)
        return out.reshape(inputs.shape), type(state)(**fields)

    def _differentiable(self, c: AffineCoefficients, method: int) -> tuple[Any, ...]:
        """The coefficient values, detached where this step form never uses them (eager
        then leaves their ``.grad`` None, and so must the kernel, rather than a zero)."""
        subtract = c.reset == "subtract"
        unused = (
            not self.leaky,                                          # a
            not self.synaptic,                                       # b
            not self.leaky,                                          # v_leak
            not self.spiking or (method == 0 and not subtract),      # v_th: heaviside spikes carry no gradient
            not self.spiking or subtract,                            # v_reset
            True,                                                    # alpha: never differentiated
        )
        return tuple(
            v.detach() if skip and isinstance(v, torch.Tensor) else v for v, skip in zip(c.values(), unused)
        )

    def fused(self) -> FusedKernel:
        """This kernel as a :class:`~spikeplug.backends.FusedKernel` for ``NeuronModel(fused=...)``."""
        return FusedKernel(self.name, self.run, self.supports, min_steps=self.min_steps)


def _coefficient_problem(name: str, value: torch.Tensor, inputs: torch.Tensor, S: tuple[int, ...]) -> str | None:
    if value.device != inputs.device:
        return f"needs {name} on {inputs.device}, got a tensor on {value.device}"
    if value.is_complex() or value.dtype == torch.bool:
        return f"needs a real {name}, got {value.dtype}"
    try:
        fits = torch.broadcast_shapes(value.shape, S) == torch.Size(S)
    except RuntimeError:
        fits = False
    if not fits:
        return f"needs {name} to broadcast to the step's shape {S}, got shape {tuple(value.shape)}"
    if value.dim() > 0 and value.is_floating_point() and value.dtype != inputs.dtype:
        # eager type promotion would turn the whole step into value.dtype
        return f"needs a per-neuron {name} of the input's dtype {inputs.dtype}, got {value.dtype}"
    return None


def _coefficient_array(values: tuple[Any, ...], S: tuple[int, ...], N: int, dtype: torch.dtype) -> torch.Tensor:
    """The coefficient rows: (6, 1) when every neuron shares them, else (6, N);
    differentiable in every tensor that requires grad."""
    if not any(isinstance(v, torch.Tensor) for v in values):
        # python numbers round to dtype exactly as eager's scalar operands do
        return torch.tensor(values, dtype=dtype).unsqueeze(1)
    if all(not isinstance(v, torch.Tensor) or v.dim() == 0 for v in values):
        rows = [v.to(dtype) if isinstance(v, torch.Tensor) else torch.tensor(v, dtype=dtype) for v in values]
        return torch.stack(rows).unsqueeze(1)
    rows = [
        v.to(dtype).broadcast_to(S).reshape(N) if isinstance(v, torch.Tensor) else torch.full((N,), v, dtype=dtype)
        for v in values
    ]
    return torch.stack(rows)


def affine_kernel(
    coefficients: Callable[[Any], AffineCoefficients],
    *,
    synaptic: bool,
    leaky: bool = True,
    leak_in_drive: bool = False,
    spiking: bool = True,
    v_field: str = "v",
    i_field: str = "i",
    name: str = "numba-cpu",
    min_steps: int = 2,
) -> FusedKernel:
    """A fused kernel for a family of the affine class.

    :param coefficients: ``coefficients(p) -> AffineCoefficients``; compute them with the
        same expressions as the eager step (e.g. ``a=p.dt * p.tau_mem_inv``).
    :param synaptic: the family has a current ``i`` (state field ``i_field``) with the input
        jump ``u = i + I`` and decay ``i' = u − b·u``; otherwise the input drives ``v`` directly.
    :param leaky: ``d = v + a·((v_leak − v) + u)``; ``False`` for a perfect integrator ``d = v + u``.
    :param leak_in_drive: the step writes the leak as ``v + a·((u + v_leak) − v)`` (LIF box);
        the same value, another rounding, kept so the kernel stays bit-identical.
    :param spiking: the family thresholds ``d`` and resets; ``False`` outputs ``d`` (LI).
    :param v_field: state field of the membrane potential.
    :param name: shown in ``layer.last_backend``.
    :param min_steps: ``backend="auto"`` runs the eager loop for shorter sequences: for a
        single step the kernel's fixed cost per call (custom-op dispatch, autograd glue) is
        about that of one eager step, so it is not faster there.
    """
    kernel = AffineKernel(
        coefficients, synaptic, leaky, leak_in_drive, spiking, v_field=v_field, i_field=i_field, name=name,
        min_steps=min_steps,
    )
    return kernel.fused()
