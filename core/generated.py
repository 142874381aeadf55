"""Generated fused kernels: any neuron model's ``step``, traced once and compiled with numba.

A model declares nothing for this: the layer form of every :class:`~spikeplug.NeuronModel`
(builtin or third-party) gets a fused multi-step path made from its ``step`` alone.

1. **Trace.** ``make_fx`` records the step, and its vector-Jacobian product, as ATen graphs
   over a small population. Python-number parameters enter as graph inputs (so a new
   value needs no new kernel); 0-dim tensor parameters and per-neuron tensors as well.
   Strings and booleans (``method``, ``reset_method``) are baked in: the surrogate method's
   derivative is traced with the step, so a method contributed by a plugin works too.
2. **Generate.** :mod:`spikeplug.codegen` translates the graphs into numba loops that
   repeat the eager step's floating-point operations in order and in eager's dtypes: time
   outer, blocks of neurons inner (vectorised), state kept per block. The forward saves
   each step's state when a gradient is needed; the backward runs in reverse time from
   the saved states and accumulates the gradients of per-neuron and 0-dim parameters.
3. **Compile and cache.** The source goes to a file in the cache directory named by its
   hash (``SPIKEPLUG_CACHE_DIR``, default ``~/.cache/spikeplug``), so numba's on-disk cache
   serves later processes; kernels take arrays of any length, so a new batch size, feature
   size or sequence length compiles nothing.
4. **Check.** The first time a kernel runs for a model and parameter structure, its
   outputs, final state and gradients are compared with the eager step loop on the first
   steps of the actual input: spikes identical, states within 1e-6 and gradients within
   1e-4 (relative). A kernel that fails is never used for that structure again in this
   process, and ``backend="auto"`` says why once (:class:`~spikeplug.BackendWarning`).

``backend="auto"`` prefers a model's hand-described kernel, then the generated one, then
the eager loop; it compiles a new generated kernel only for sequences of at least
:data:`MIN_STEPS` steps and :data:`MIN_WORK` neuron-steps, where compiling pays off
(a kernel already compiled in this process runs for any size of at least ``MIN_STEPS``).
Inside ``torch.compile`` the generated path is not used (numba is opaque to dynamo).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import torch
from torch.autograd.function import once_differentiable

from .backends import FusedKernel
from .codegen import NUMBA_TYPES, Body, Leaf, Unsupported, translate
from .errors import SpikeplugWarning
from .fused import _run_blocks, numba_unavailable

__all__ = [
    "BackendWarning",
    "GeneratedKernel",
    "generated_kernel",
    "check_generated",
    "verify",
    "cache_dir",
    "MIN_STEPS",
    "MIN_WORK",
]

GENERATOR_VERSION = "1"
MIN_STEPS = 5                 # auto: below this the eager loop is as fast as any kernel call
MIN_WORK = 1 << 17            # auto: steps × neurons below which a new kernel is not worth compiling
CHECK_STEPS = 16              # steps of the first-use equality check
TRACE_SIZE = 4                # neurons of the traced example population
NAME = "numba-generated"


class BackendWarning(SpikeplugWarning):
    """``backend="auto"`` could not use a fused path it would have used (the message says why)."""


def cache_dir() -> Path:
    """Where generated sources and numba's compiled code live (``SPIKEPLUG_CACHE_DIR``)."""
    root = os.environ.get("SPIKEPLUG_CACHE_DIR")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "spikeplug"


# --------------------------------------------------------------------------- structure


class _Param(NamedTuple):
    name: str
    kind: str               # "wrapped" (Python number), "scalar" (0-dim tensor) or "elem" (per-neuron)
    dtype: torch.dtype


class _Structure(NamedTuple):
    """What a kernel is specialised to (values are not part of it)."""

    step: Callable[..., Any]
    state: type
    dtype: torch.dtype
    params: tuple[_Param, ...]
    baked: tuple[tuple[str, Any], ...]
    detach_reset: bool
    default_dtype: torch.dtype            # what integer and boolean values promote to


def _structure(model: Any, p: Any, dtype: torch.dtype, detach_reset: bool) -> _Structure | str:
    """The structure of a run, or why the generator cannot take it."""
    params, baked = [], []
    for field in attrs.fields(type(p)):
        value = getattr(p, field.name)
        if isinstance(value, bool) or value is None or isinstance(value, str):
            baked.append((field.name, value))
        elif isinstance(value, (int, float)):
            params.append(_Param(field.name, "wrapped", torch.float64))
        elif isinstance(value, torch.Tensor):
            if not value.is_floating_point():
                return f"parameter {field.name} is a {value.dtype} tensor (the generator takes floating tensors)"
            if value.dim() == 0:
                params.append(_Param(field.name, "scalar", value.dtype))
            elif value.dtype != dtype:
                return f"per-neuron parameter {field.name} is {value.dtype}, the input {dtype}"
            else:
                params.append(_Param(field.name, "elem", dtype))
        else:
            return f"parameter {field.name} holds a {type(value).__name__}"
    return _Structure(
        model.step, model.state, dtype, tuple(params), tuple(baked), bool(detach_reset), torch.get_default_dtype()
    )


# --------------------------------------------------------------------------- tracing


def _example(structure: _Structure, p: Any) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Example state and parameter tensors for tracing (values only steer nothing)."""
    n, dtype = TRACE_SIZE, structure.dtype
    gen = torch.Generator().manual_seed(0)
    state = [torch.rand(n, generator=gen, dtype=torch.float64).to(dtype) for _ in structure.state._fields]
    params = []
    for prm in structure.params:
        value = getattr(p, prm.name)
        if prm.kind == "wrapped":
            params.append(torch.tensor(float(value), dtype=torch.float64))
        elif prm.kind == "scalar":
            params.append(value.detach().clone())
        else:
            params.append(value.detach().reshape(-1)[:1].expand(n).to(dtype).clone())
    return state, params


def _step_function(structure: _Structure, p: Any) -> Callable[..., tuple[torch.Tensor, ...]]:
    """``f(x, *state, *params) -> (output, *new_state)`` around the model's step."""
    n_state = len(structure.state._fields)
    names = [prm.name for prm in structure.params]

    def step(x: torch.Tensor, *rest: torch.Tensor) -> tuple[torch.Tensor, ...]:
        q = copy.copy(p)                           # already validated: set the traced values without validators
        for name, value in zip(names, rest[n_state:]):
            object.__setattr__(q, name, value)
        out, new = structure.step(x, structure.state(*rest[:n_state]), q, detach_reset=structure.detach_reset)
        return (out, *new)

    return step


def _trace(structure: _Structure, p: Any) -> tuple[torch.fx.GraphModule, torch.fx.GraphModule]:
    # inference_mode, unlike no_grad, is not lifted by enable_grad: the vjp would trace zeros
    with torch.inference_mode(False):
        return _trace_graphs(structure, p)


def _trace_graphs(structure: _Structure, p: Any) -> tuple[torch.fx.GraphModule, torch.fx.GraphModule]:
    from torch.fx.experimental.proxy_tensor import make_fx

    step = _step_function(structure, p)
    state, params = _example(structure, p)
    x = torch.rand(TRACE_SIZE, dtype=structure.dtype)
    differentiable = [k for k, prm in enumerate(structure.params) if prm.kind != "wrapped"]
    n_state = len(state)

    def vjp(x: torch.Tensor, *rest: torch.Tensor) -> tuple[torch.Tensor, ...]:
        k = 1 + n_state + len(params)
        inputs, cotangents = [x, *rest[: k - 1]], rest[k - 1:]
        wrt = [0, *range(1, 1 + n_state), *(1 + n_state + j for j in differentiable)]
        leaves = [t.detach().requires_grad_(True) if i in wrt else t for i, t in enumerate(inputs)]
        outs = step(*leaves)
        pairs = [(o, g) for o, g in zip(outs, cotangents) if o.requires_grad]
        targets = [leaves[i] for i in wrt]
        if pairs:
            grads = torch.autograd.grad([o for o, _ in pairs], targets, [g for _, g in pairs], allow_unused=True)
        else:
            grads = (None,) * len(targets)
        return tuple(torch.zeros_like(t) if g is None else g for g, t in zip(grads, targets))

    with torch.no_grad():
        forward = make_fx(step)(x, *state, *params)
    cotangents = [torch.rand(TRACE_SIZE, dtype=structure.dtype) for _ in range(1 + n_state)]
    with torch.enable_grad():                      # the caller may be under no_grad (inference, the check)
        backward = make_fx(vjp)(x, *state, *params, *cotangents)
    return forward, backward


# --------------------------------------------------------------------------- source


def _leaves(structure: _Structure) -> list[Leaf]:
    T = structure.dtype
    leaves = [Leaf("xv", "elem", T)] + [Leaf(f"sv{k}", "elem", T) for k in range(len(structure.state._fields))]
    for k, prm in enumerate(structure.params):
        if prm.kind == "elem":
            leaves.append(Leaf(f"ev{k}", "elem", T))
        else:
            leaves.append(Leaf(f"cv{k}", "const", prm.dtype, wrapped=prm.kind == "wrapped"))
    return leaves


def _value(v: Any, dtype: torch.dtype) -> str:
    """An output expression in ``dtype`` (outputs that are plain numbers become literals)."""
    if v is None:
        return f"{NUMBA_TYPES[dtype]}(0.0)"
    if not hasattr(v, "expr"):
        return f"{NUMBA_TYPES[dtype]}({float(v)!r})"
    return v.expr if v.dtype == dtype else f"{NUMBA_TYPES[dtype]}({v.expr})"


def _const_prologue(structure: _Structure) -> list[str]:
    return [
        f"cv{k} = {NUMBA_TYPES[prm.dtype]}(ca{k})"
        for k, prm in enumerate(structure.params)
        if prm.kind != "elem"
    ]


def _indent(lines: Any, depth: int) -> list[str]:
    return [" " * (4 * depth) + line for line in lines]


def _forward_source(structure: _Structure, body: Body, saved: tuple[int, ...]) -> str:
    S = len(structure.state._fields)
    elems = [k for k, prm in enumerate(structure.params) if prm.kind == "elem"]
    consts = [k for k, prm in enumerate(structure.params) if prm.kind != "elem"]
    if any(getattr(o, "level", "const") == "red" for o in body.outputs):
        raise Unsupported("a sum over the population in the step's output")
    args = ["x", *(f"s{k}" for k in range(S)), *(f"e{k}" for k in elems), *(f"ca{k}" for k in consts),
            "out", *(f"f{k}" for k in range(S)), *(f"h{k}" for k in saved), "save", "chunk", "b0", "b1"]
    T = structure.dtype
    lines = [f"def forward({', '.join(args)}):", "    T, N = x.shape"]
    lines += _indent(_const_prologue(structure), 1)
    lines += _indent(body.prologue, 1)
    lines += _indent([
        "for blk in range(b0, b1):",
        "    lo = blk * chunk",
        "    hi = min(N, lo + chunk)",
        *(f"    w{k} = s{k}[lo:hi].copy()" for k in range(S)),
        "    for t in range(T):",
        *(["        if save:"] if saved else []),
        *(f"            h{k}[t, lo:hi] = w{k}" for k in saved),
        "        for j in range(hi - lo):",
        "            n = lo + j",
        "            xv = x[t, n]",
        *(f"            sv{k} = w{k}[j]" for k in range(S)),
        *(f"            ev{k} = e{k}[n]" for k in elems),
        *_indent(body.body, 3),
        f"            out[t, n] = {_value(body.outputs[0], T)}",
        *(f"            w{k}[j] = {_value(body.outputs[1 + k], T)}" for k in range(S)),
        *(f"    f{k}[lo:hi] = w{k}" for k in range(S)),
    ], 1)
    return "\n".join(lines)


def _backward_source(structure: _Structure, body: Body, saved: tuple[int, ...]) -> str:
    S = len(structure.state._fields)
    elems = [k for k, prm in enumerate(structure.params) if prm.kind == "elem"]
    consts = [k for k, prm in enumerate(structure.params) if prm.kind != "elem"]
    scalars = [k for k, prm in enumerate(structure.params) if prm.kind == "scalar"]
    grads = [*elems, *scalars]
    differentiable = [k for k, prm in enumerate(structure.params) if prm.kind != "wrapped"]
    out_x, out_s = body.outputs[0], body.outputs[1:1 + S]
    out_p = dict(zip(differentiable, body.outputs[1 + S:]))
    T = structure.dtype
    args = ["x", *(f"h{k}" for k in saved), *(f"e{k}" for k in elems), *(f"ca{k}" for k in consts),
            "go", *(f"gf{k}" for k in range(S)),
            "gx", *(f"gs{k}" for k in range(S)), *(f"gp{k}" for k in grads), "chunk", "b0", "b1"]
    lines = [f"def backward({', '.join(args)}):", "    T, N = x.shape", "    G = go.shape[0]"]
    lines += _indent(_const_prologue(structure), 1)
    lines += _indent(body.prologue, 1)
    lines += _indent([
        "for blk in range(b0, b1):",
        "    lo = blk * chunk",
        "    hi = min(N, lo + chunk)",
        *(f"    w{k} = gf{k}[lo:hi].copy()" for k in range(S)),
        *(f"    a{k} = np.zeros(hi - lo, gp{k}.dtype)" for k in grads),
        "    for t in range(T - 1, -1, -1):",
        "        tg = t if G == T else 0",
        "        for j in range(hi - lo):",
        "            n = lo + j",
        "            xv = x[t, n]",
        *(f"            sv{k} = h{k}[t, n]" for k in saved),
        *(f"            ev{k} = e{k}[n]" for k in elems),
        "            gov = go[tg, n]",
        *(f"            gsv{k} = w{k}[j]" for k in range(S)),
        *_indent(body.body, 3),
        f"            gx[t, n] = {_value(out_x, T)}",
        *(f"            w{k}[j] = {_value(out_s[k], T)}" for k in range(S)),
        *(f"            a{k}[j] += {_value(out_p[k], T)}" for k in grads),
        *(f"    gs{k}[lo:hi] = w{k}" for k in range(S)),
        *(f"    gp{k}[lo:hi] = a{k}" for k in grads),
    ], 1)
    return "\n".join(lines)


_HEADER = '''"""Generated by spikeplug (generator {version}) from {step}, {dtype}; do not edit.{more}"""
import math

import numpy as np
from numba import njit

@njit(cache=True, nogil=True, error_model="numpy")
'''


def _sources(structure: _Structure, forward: Body, backward: Body, saved: tuple[int, ...]) -> tuple[str, str]:
    """The forward and the backward module: two files named by their text, so that a forward
    that the surrogate method or ``detach_reset`` does not change is compiled once for all."""
    step = f"{structure.step.__module__}.{structure.step.__qualname__}"
    more = (
        f"\n\nParameters {', '.join(f'{p.name}:{p.kind}' for p in structure.params) or 'none'}; fixed "
        f"{', '.join(f'{k}={v!r}' for k, v in structure.baked) or 'none'}; detach_reset={structure.detach_reset}.\n"
    )
    head = {"version": GENERATOR_VERSION, "step": step, "dtype": structure.dtype}
    forward_module = _HEADER.format(**head, more="") + _forward_source(structure, forward, saved) + "\n"
    backward_module = _HEADER.format(**head, more=more) + _backward_source(structure, backward, saved) + "\n"
    return forward_module, backward_module


_load_lock = threading.Lock()


def _load(source: str) -> Any:
    """Import ``source`` from a file named by its hash in the cache directory."""
    with _load_lock:                      # one import per module, never a half-initialised one
        return _load_locked(source)


def _load_locked(source: str) -> Any:
    import numba

    digest = hashlib.sha256(f"{source}\n{numba.__version__}".encode()).hexdigest()[:24]
    directory = cache_dir() / "generated"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"sp_{digest}.py"
    if not path.exists() or path.read_text() != source:  # a file is only ever written with its hash's text
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(source)
        os.replace(tmp, path)                     # atomic: a concurrent process sees all or nothing
    name = f"spikeplug_generated_{digest}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return module


# --------------------------------------------------------------------------- running


@attrs.define
class _Compiled:
    structure: _Structure
    forward: Any
    backward: Any
    source: str
    trace_seconds: float
    saved: tuple[int, ...]              # state fields the backward reads, saved by the forward
    verdict: str | None = None          # None: not checked yet; "" passed; otherwise why it failed
    compile_seconds: float | None = None


class _Sequence(torch.autograd.Function):
    """The generated kernels as one autograd node for the whole sequence."""

    @staticmethod
    def forward(ctx: Any, kernels: _Compiled, consts: tuple[float, ...], x: torch.Tensor, *tensors: torch.Tensor):
        st = kernels.structure
        S = len(st.state._fields)
        n_elem = sum(1 for prm in st.params if prm.kind == "elem")
        state, elems, scalars = tensors[:S], tensors[S:S + n_elem], tensors[S + n_elem:]
        T, N = x.shape
        save = any(ctx.needs_input_grad[2:])
        out = x.new_empty((T, N))
        finals = [x.new_empty(N) for _ in range(S)]
        saved = [x.new_empty((T, N) if save else (1, N)) for _ in kernels.saved]
        args = (
            x.numpy(), *(s.numpy() for s in state), *(e.numpy() for e in elems), *consts,
            out.numpy(), *(f.numpy() for f in finals), *(h.numpy() for h in saved), save,
        )
        _run_blocks(kernels.forward, args, T, N)
        ctx.kernels, ctx.consts, ctx.n_scalars = kernels, consts, len(scalars)
        ctx.scalar_dtypes = [s.dtype for s in scalars]
        ctx.set_materialize_grads(False)
        if save:
            ctx.save_for_backward(x, *saved, *elems)
        return (out, *finals)

    @staticmethod
    @once_differentiable                      # no double backward through numba: a clear error, not a crash
    def backward(ctx: Any, g_out: torch.Tensor | None, *g_finals: torch.Tensor | None):
        kernels = ctx.kernels
        st = kernels.structure
        S = len(st.state._fields)
        x, *rest = ctx.saved_tensors
        n_saved = len(kernels.saved)
        saved, elems = rest[:n_saved], rest[n_saved:]
        T, N = x.shape
        go = _rows(g_out, x, N)
        gf = [x.new_zeros(N) if g is None else g.contiguous() for g in g_finals]
        gx = torch.empty_like(x)
        gs = [x.new_empty(N) for _ in range(S)]
        gp = [x.new_empty(N) for _ in range(len(elems) + ctx.n_scalars)]
        args = (
            x.numpy(), *(h.numpy() for h in saved), *(e.numpy() for e in elems), *ctx.consts,
            go.numpy(), *(g.numpy() for g in gf), gx.numpy(), *(g.numpy() for g in gs), *(g.numpy() for g in gp),
        )
        _run_blocks(kernels.backward, args, T, N)
        g_elems = gp[: len(elems)]
        g_scalars = [g.sum().to(dtype) for g, dtype in zip(gp[len(elems):], ctx.scalar_dtypes)]
        return (None, None, gx, *gs, *g_elems, *g_scalars)


def _rows(g: torch.Tensor | None, like: torch.Tensor, n: int) -> torch.Tensor:
    """A (T, N) output gradient, or one row when it is the same for every step (or absent)."""
    if g is None:
        return like.new_zeros((1, n))
    if g.stride(0) == 0:
        return g[:1].contiguous()
    return g.contiguous()


@attrs.define(eq=False)
class GeneratedKernel:
    """The generated fused path of one model (see the module docstring)."""

    model: Any
    _compiled: dict[_Structure, _Compiled | str] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)
    _warned: set[str] = attrs.field(factory=set)
    _fused: FusedKernel | None = None

    def fused(self) -> FusedKernel:
        """This kernel for backend selection (``NeuronLayer`` adds it after the hand-described ones)."""
        if self._fused is None:
            self._fused = FusedKernel(NAME, self.run, self.supports, min_steps=MIN_STEPS, kind="generated",
                                      auto_skip=self.auto_skip, warn=self.warn_once)
        return self._fused

    # ---------------------------------------------------------------- selection
    def supports(self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> str | None:
        """``None`` when the generated path can run (compiling it if needed), else why not."""
        if torch.compiler.is_compiling():
            return "numba kernels run outside torch.compile (it traces the eager loop instead)"
        if inputs.device.type != "cpu":
            return f"runs on the CPU only, got {inputs.device.type} tensors"
        if inputs.layout != torch.strided:
            return f"takes dense (strided) tensors, got {inputs.layout}"
        if inputs.dtype not in (torch.float32, torch.float64):
            return f"runs float32 and float64 only, got {inputs.dtype}"
        why = numba_unavailable()
        if why is not None:
            return why
        structure = _structure(self.model, p, inputs.dtype, detach_reset)
        if isinstance(structure, str):
            return structure
        compiled = self._get(structure, p)
        if isinstance(compiled, str):
            return compiled
        if compiled.verdict is None:
            compiled.verdict = _first_use_check(self.model, compiled, inputs, state, p, detach_reset)
        return compiled.verdict or None

    def auto_skip(self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> str | None:
        """Under ``"auto"``: a reason not to compile a new kernel for so little work."""
        T, N = inputs.shape[0], math.prod(inputs.shape[1:])
        if T * N >= MIN_WORK:
            return None
        structure = _structure(self.model, p, inputs.dtype, detach_reset)
        if isinstance(structure, str) or structure in self._compiled:
            return None
        return f"{T}×{N} neuron-steps < {MIN_WORK}: not worth compiling a new kernel (backend='generated' forces it)"

    def warn_once(self, reason: str) -> None:
        """Warn (once per reason) that ``auto`` runs eager although a generated path was wanted."""
        if reason in self._warned:
            return
        self._warned.add(reason)
        warnings.warn(
            f"backend='auto' runs {self.model.name!r} with the eager loop: the generated kernel cannot run ({reason})",
            BackendWarning,
            stacklevel=4,
        )

    def _get(self, structure: _Structure, p: Any) -> _Compiled | str:
        with self._lock:
            found = self._compiled.get(structure)
            if found is None:
                found = _build(structure, p)
                self._compiled[structure] = found
        return found

    # ---------------------------------------------------------------- running
    def run(self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> tuple[torch.Tensor, Any]:
        """Outputs ``(T, *S)`` and the final state, as the eager loop computes them."""
        structure = _structure(self.model, p, inputs.dtype, detach_reset)
        compiled = self._compiled[structure]
        return _apply(compiled, inputs, state, p)


def _apply(compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any) -> tuple[torch.Tensor, Any]:
    st = compiled.structure
    T, S = inputs.shape[0], tuple(inputs.shape[1:])
    N = math.prod(S)
    consts, elems, scalars = [], [], []
    for prm in st.params:
        value = getattr(p, prm.name)
        if prm.kind == "wrapped":
            consts.append(float(value))
        elif prm.kind == "scalar":
            consts.append(float(value.detach()))
            scalars.append(value)
        else:
            elems.append(value.expand(S).reshape(N).contiguous())
    x = inputs.reshape(T, N).contiguous()
    fields = [t.reshape(N).contiguous() for t in state]
    out, *finals = _Sequence.apply(compiled, tuple(consts), x, *fields, *elems, *scalars)
    return out.reshape(inputs.shape), type(state)(*(f.reshape(S) for f in finals))


def _build(structure: _Structure, p: Any) -> _Compiled | str:
    """Trace, translate and load the kernels of ``structure``, or why that is impossible."""
    start = time.perf_counter()
    try:
        forward_graph, backward_graph = _trace(structure, p)
    except Exception as exc:  # noqa: BLE001 - any failure to trace a third-party step means: run eager
        return f"the step could not be traced ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    traced = time.perf_counter() - start
    leaves = _leaves(structure)
    S = len(structure.state._fields)
    bleaves = leaves + [Leaf("gov", "elem", structure.dtype)] + [Leaf(f"gsv{k}", "elem", structure.dtype) for k in range(S)]
    for graph in (forward_graph.graph, backward_graph.graph):
        graph.eliminate_dead_code()              # e.g. the forward values a backward recomputes but never uses
    inputs = [n for n in backward_graph.graph.nodes if n.op == "placeholder"]
    saved = tuple(k for k in range(S) if inputs[1 + k].users)   # the states the backward reads
    try:
        forward = translate(forward_graph.graph, leaves, structure.dtype)
        backward = translate(backward_graph.graph, bleaves, structure.dtype)
        forward_source, backward_source = _sources(structure, forward, backward, saved)
    except Unsupported as exc:
        return f"the step uses {exc}, which the generator does not fuse"
    try:
        forward_fn, backward_fn = _load(forward_source).forward, _load(backward_source).backward
    except Exception as exc:  # noqa: BLE001 - e.g. an unwritable cache directory: run eager and say why
        return f"the generated source could not be written or imported ({type(exc).__name__}: {exc})"
    return _Compiled(structure, forward_fn, backward_fn, forward_source + "\n" + backward_source, traced, saved)


# --------------------------------------------------------------------------- equality


def _first_use_check(model: Any, compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, detach: bool) -> str:
    """``""`` when the kernels equal the eager loop on the first steps of ``inputs``, else the divergence."""
    start = time.perf_counter()
    try:                                  # numba compiles here, on the first call
        report = check_generated(model, compiled, inputs[:CHECK_STEPS], state, p, detach_reset=detach)
    except Exception as exc:  # noqa: BLE001 - a kernel that fails to compile or run is not used
        report = f"the kernel failed on its first run ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    if compiled.compile_seconds is None:
        compiled.compile_seconds = time.perf_counter() - start
    return report


def check_generated(
    model: Any, compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False,
    state_rtol: float = 1e-6, grad_rtol: float = 1e-4,
) -> str:
    """Compare the generated kernels with the eager step loop on ``inputs`` from ``state``:
    outputs (spikes identical where the output is 0/1), final states within ``state_rtol``
    (relative, floor 1e-3 of the largest value) and the gradients of the input, the initial
    state and every tensor parameter within ``grad_rtol`` (relative, floor 10 % of the
    largest gradient). ``""`` when equal, else a description of each divergence."""
    with torch.inference_mode(False):     # (inference tensors are cloned into normal ones below)
        return _check(model, compiled, inputs, state, p, detach_reset, state_rtol, grad_rtol)


def _check(
    model: Any, compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, detach_reset: bool,
    state_rtol: float, grad_rtol: float,
) -> str:
    tensors = {f.name: getattr(p, f.name) for f in attrs.fields(type(p)) if isinstance(getattr(p, f.name), torch.Tensor)}
    results = {}
    for backend in ("eager", "generated"):
        gen = torch.Generator().manual_seed(7)           # the same cotangents for both
        x = inputs.detach().clone().requires_grad_(True)
        s0 = type(state)(*(t.detach().clone().requires_grad_(True) for t in state))
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in tensors.items() if v.is_floating_point()}
        q = copy.copy(p)
        for k, v in leaves.items():
            object.__setattr__(q, k, v)
        with torch.enable_grad():
            if backend == "eager":
                s, outs = s0, []
                for x_t in x.unbind(0):
                    o, s = model.step(x_t, s, q, detach_reset=detach_reset)
                    outs.append(o)
                out = torch.stack(outs)
            else:
                out, s = _apply(compiled, x, s0, q)
            weights = [torch.rand(out.shape, generator=gen, dtype=torch.float64).to(out.dtype)]
            weights += [torch.rand(t.shape, generator=gen, dtype=torch.float64).to(t.dtype) for t in s]
            loss = (out * weights[0]).sum() + sum((t * w).sum() for t, w in zip(s, weights[1:]))
            wrt = [x, *s0, *leaves.values()]
            grads = torch.autograd.grad(loss, wrt, allow_unused=True) if loss.requires_grad else [None] * len(wrt)
        names = ["input", *(f"initial state.{f}" for f in state._fields), *(f"parameter {k}" for k in leaves)]
        results[backend] = (out.detach(), [t.detach() for t in s], dict(zip(names, grads)))
    (e_out, e_state, e_grads), (g_out, g_state, g_grads) = results["eager"], results["generated"]
    spiking = bool(((e_out == 0) | (e_out == 1) | e_out.isnan()).all())
    if spiking and not torch.equal(e_out.nan_to_num(2.0), g_out.nan_to_num(2.0)):
        return f"spikes differ ({int((e_out != g_out).sum())} of {e_out.numel()})"
    problems = []
    if not spiking:
        problems.append(_divergence("output", g_out, e_out, state_rtol, 1e-3))
    problems += [
        _divergence(f"final state.{f}", g, e, state_rtol, 1e-3) for f, g, e in zip(state._fields, g_state, e_state)
    ]
    # gradients: the floor is 10 % of the largest. A surrogate of sharpness α multiplies
    # last-bit differences of the forward (float32 exp or tanh from numba's libm against
    # torch's SLEEF) by about α per step, so tiny gradient elements are compared at the
    # gradient's scale; a wrong translation differs at that scale and is still caught
    problems += [_divergence(f"gradient of the {k}", g_grads[k], e_grads[k], grad_rtol, 0.1) for k in e_grads]
    problems = [p for p in problems if p]
    return "; ".join(problems)


def _divergence(
    what: str, found: torch.Tensor | None, expected: torch.Tensor | None, rtol: float, floor_fraction: float
) -> str:
    if found is None or expected is None:
        zero = lambda t: t is None or not bool(t.nan_to_num(0.0).any())  # noqa: E731
        return "" if zero(found) and zero(expected) else f"{what}: one backend gives no gradient"
    f64, e64 = found.double(), expected.double()
    if not torch.equal(f64.isnan(), e64.isnan()):
        return f"{what}: NaN at different places"
    mask = ~e64.isnan()
    f64, e64 = f64[mask], e64[mask]
    if not torch.equal(f64.isinf(), e64.isinf()) or not torch.equal(f64[f64.isinf()], e64[e64.isinf()]):
        return f"{what}: inf at different places"
    finite = ~e64.isinf()
    f64, e64 = f64[finite], e64[finite]
    if f64.numel() == 0:
        return ""
    # relative to each value, with a floor at a fraction of the largest so that values that
    # cancel to almost nothing are compared at the scale of the others
    floor = floor_fraction * e64.abs().max().item() + 1e-300
    err = ((f64 - e64).abs() / (e64.abs() + floor)).max().item()
    return "" if err <= rtol else f"{what}: relative difference {err:.3g} > {rtol:g}"


_kernels: dict[int, GeneratedKernel] = {}
_kernels_lock = threading.Lock()


def generated_kernel(model: Any) -> GeneratedKernel:
    """The (process-wide) generated kernel of ``model``."""
    key = id(model)
    with _kernels_lock:
        kernel = _kernels.get(key)
        if kernel is None or kernel.model is not model:
            kernel = GeneratedKernel(model)
            _kernels[key] = kernel
    return kernel


def verify(model: Any, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> str:
    """Build (or reuse) the generated kernels for this run and compare them with the eager
    loop on ``inputs`` (see :func:`check_generated`): ``""`` when they agree, else why not,
    starting with ``"cannot generate:"`` when no kernel can be made for it."""
    why = numba_unavailable()
    if why is not None:
        return f"cannot generate: {why}"
    structure = _structure(model, p, inputs.dtype, detach_reset)
    if isinstance(structure, str):
        return f"cannot generate: {structure}"
    compiled = generated_kernel(model)._get(structure, p)
    if isinstance(compiled, str):
        return f"cannot generate: {compiled}"
    return check_generated(model, compiled, inputs, state, p, detach_reset=detach_reset)
