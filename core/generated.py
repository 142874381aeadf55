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
   outer, blocks of neurons inner (vectorised), state kept per block. When a gradient is
   needed the forward saves, per step, a minimum cut of the backward graph (:func:`_plan`):
   the fewest values from which the backward recomputes all it needs (LIF: the pre-reset
   voltage alone, not the input, ``v`` and ``i``), computed by the same operations as the
   backward's. The backward runs in reverse time from them and accumulates the gradients
   of per-neuron and 0-dim parameters.
3. **Compile and cache.** The source goes to a file in the cache directory named by its
   hash (``SPIKEPLUG_CACHE_DIR``, default ``~/.cache/spikeplug``), so numba's on-disk cache
   serves later processes; kernels take arrays of any length, so a new batch size, feature
   size or sequence length compiles nothing.
4. **Check.** The first time a kernel runs for a model and parameter structure, its
   outputs, final state and gradients are compared with the eager step loop on the first
   steps of the actual input: spikes identical, states within 1e-6 and gradients within
   1e-4 (relative). A kernel that fails is never used for that structure again in this
   process, and ``backend="auto"`` says why once (:class:`~spikeplug.BackendWarning`).

**The recurrent form** (``NeuronRecurrent``, for models whose ``recurrent_input`` is
:func:`~spikeplug.model.linear_input`) uses the same kernels one time step at a time: every
step's ``x·W_inᵀ`` in one product (ordinary autograd), then one autograd node for the whole
sequence (:class:`_Recurrent`) whose forward adds ``z_{t-1}·W_recᵀ`` (a matrix product into a
buffer) and runs one step of the generated forward, and whose backward runs the generated
backward in reverse time, adds ``g_t·W_rec`` to the gradient of ``z_{t-1}`` and forms the
gradient of ``W_rec`` as one product at the end. Its first use is checked against the eager
loop of ``recurrent_step`` in the same way (weights' gradients included; states compared at
their own scale, since one input product rounds differently from per-step products).
For the same reason ``auto`` takes it from :data:`MIN_WORK` neuron-steps on even when its
kernels are already compiled, so that its choice depends on the size alone.

``backend="auto"`` prefers a model's hand-described kernel, then the generated one, then
the eager loop; it compiles a new generated kernel only for sequences of at least
:data:`MIN_STEPS` steps and :data:`MIN_WORK` neuron-steps, where compiling pays off
(a kernel already compiled in this process runs for any size of at least ``MIN_STEPS``).
Inside ``torch.compile`` the generated path is not used (numba is opaque to dynamo).
"""

from __future__ import annotations

import copy
import functools
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
from .codegen import NUMBA_TYPES, Body, Leaf, Unsupported, translate, value_inputs
from .errors import SpikeplugWarning
from .fused import MAX_CHUNK, _run_blocks, numba_unavailable
from .model import linear_input

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

GENERATOR_VERSION = "3"               # 2: the forward saves a minimum cut (issue 9); 3: only when a gradient is needed
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


# --------------------------------------------------------------------------- what the forward saves


class _Plan(NamedTuple):
    """What crosses from the forward to the backward, per neuron and step."""

    saved: tuple[torch.fx.Node, ...]      # backward-graph values the forward computes and stores
    reads_input: bool                     # whether the backward reads the step's input x itself


def _plan(forward: torch.fx.Graph, backward: torch.fx.Graph, n_state: int) -> _Plan:
    """Choose the per-step values the forward saves as a minimum vertex cut of ``backward``.

    The backward graph (the traced vector-Jacobian product) holds *gradient* nodes (those
    that depend on an incoming gradient) and *forward-only* nodes: the recomputation of the
    step from ``x``, the state and the parameters. Forward-only values that depend on ``x``
    or the state are per step; those consumed by a gradient node, or returned, must reach
    the backward. Any set of per-step values that every path from ``x`` and the state to
    them crosses suffices (the backward recomputes the rest from it); the cheapest one is a
    minimum vertex cut, found with ``networkx.minimum_cut`` (the max-flow formulation that
    torch's AOTAutograd partitioner uses: each value split into an in and an out node, its
    cost on the edge between them). Parameters and constants cost nothing, since they are
    not per step; ``x`` and state fields are candidates too (saving ``x`` means reading it).

    A value costs its bytes; ties go to fewer values, then to values the forward step
    computes too (found by matching expressions of the two graphs), then to the cut
    nearest the gradients (the least recomputation in the backward). When the cut is not
    cheaper than reading ``x`` and the states the backward uses (what generator 1 did),
    that choice stays.
    """
    import networkx as nx

    placeholders = [n for n in backward.nodes if n.op == "placeholder"]
    primal = placeholders[: 1 + n_state]                       # x and the state fields: per step
    cotangents = placeholders[len(placeholders) - 1 - n_state:]
    final = next(n for n in backward.nodes if n.op == "output")
    returned = final.args[0] if isinstance(final.args[0], (tuple, list)) else (final.args[0],)
    gradient, per_step = set(cotangents), set(primal)
    for node in backward.nodes:
        if node.op not in ("call_function", "get_attr"):
            continue
        uses = value_inputs(node)
        if any(u in gradient for u in uses):
            gradient.add(node)
        elif any(u in per_step for u in uses):
            per_step.add(node)
    needed = {u for n in gradient if n.op == "call_function" for u in value_inputs(n) if u in per_step}
    needed |= {o for o in returned if isinstance(o, torch.fx.Node) and o in per_step}
    today = tuple(p for p in primal if p.users)                # generator 1: x and the states read
    if not needed:
        return _Plan((), False)
    computed = _forward_keys(forward, backward)
    bonus = len(per_step) + 1                                  # > the count of any cut
    scale = bonus * (bonus + 1) + 1                            # one byte > any count and tie bonus

    def cost(node: torch.fx.Node) -> int:
        val = node.meta.get("val")
        size = val.element_size() if isinstance(val, torch.Tensor) else 8
        return size * scale + bonus + (0 if node in computed else 1)

    # reversed network (from the needed values to x and the states): the minimum cut
    # networkx reports is then the one nearest the gradients
    net = nx.DiGraph()
    for node in per_step:
        net.add_edge((node, "out"), (node, "in"), capacity=cost(node))
        for u in value_inputs(node):
            if u in per_step:
                net.add_edge((node, "in"), (u, "out"))          # no capacity: never cut
    for node in primal:
        net.add_edge((node, "in"), "primal")
    for node in needed:
        net.add_edge("needed", (node, "out"))
    flow, (near, _) = nx.minimum_cut(net, "needed", "primal")
    cut = tuple(n for n in backward.nodes if (n, "out") in near and (n, "in") not in near)
    if flow >= sum(cost(p) for p in today):
        cut = today
    return _Plan(tuple(n for n in cut if n is not primal[0]), primal[0] in cut)


def _forward_keys(forward: torch.fx.Graph, backward: torch.fx.Graph) -> set[torch.fx.Node]:
    """The nodes of ``backward`` whose expression (operation and arguments, recursively, over
    the same inputs) the ``forward`` graph computes too."""
    ids: dict[Any, int] = {}                   # expressions numbered alike in both graphs

    def keys(graph: torch.fx.Graph) -> dict[torch.fx.Node, Any]:
        found: dict[torch.fx.Node, Any] = {}

        def key(a: Any) -> Any:
            if isinstance(a, torch.fx.Node):
                return found.get(a, ("?", a.name))
            if isinstance(a, (list, tuple)):
                return tuple(key(b) for b in a)
            return repr(a)

        for k, node in enumerate(n for n in graph.nodes if n.op == "placeholder"):
            found[node] = ("in", k)
        for node in graph.nodes:
            if node.op == "call_function":
                expr = (str(node.target), key(node.args), tuple(sorted((k, key(v)) for k, v in node.kwargs.items())))
            elif node.op == "get_attr":
                value = getattr(graph.owning_module, node.target)
                expr = ("const", repr(value.tolist()) if isinstance(value, torch.Tensor) else repr(value))
            else:
                continue
            found[node] = ids.setdefault(expr, len(ids))
        return found

    forward_keys = set(keys(forward).values())
    return {node for node, k in keys(backward).items() if k in forward_keys}


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


def _forward_source(structure: _Structure, body: Body, saver: Body) -> str:
    """The forward kernel: ``body`` is the step; ``saver`` computes, from the same inputs,
    the values the backward reads (:func:`_plan`), stored at row ``t`` of ``h*`` when
    ``save``. The choice is made per time step, outside the loop over neurons, so a forward
    without gradient (inference) runs the step alone and the inner loop stays branch-free."""
    S = len(structure.state._fields)
    M = len(saver.outputs)
    elems = [k for k, prm in enumerate(structure.params) if prm.kind == "elem"]
    consts = [k for k, prm in enumerate(structure.params) if prm.kind != "elem"]
    if any(getattr(o, "level", "const") == "red" for o in body.outputs):
        raise Unsupported("a sum over the population in the step's output")
    args = ["x", *(f"s{k}" for k in range(S)), *(f"e{k}" for k in elems), *(f"ca{k}" for k in consts),
            "out", *(f"f{k}" for k in range(S)), *(f"h{m}" for m in range(M)), "save", "chunk", "b0", "b1"]
    T = structure.dtype

    def step(saving: bool) -> list[str]:
        """One time step over the block's neurons, storing the saved values or not."""
        return [
            "for j in range(hi - lo):",
            "    n = lo + j",
            "    xv = x[t, n]",
            *(f"    sv{k} = w{k}[j]" for k in range(S)),
            *(f"    ev{k} = e{k}[n]" for k in elems),
            *_indent(body.body, 1),
            *(_indent(saver.body, 1) if saving else []),
            *((f"    h{m}[t, n] = {v.expr}" for m, v in enumerate(saver.outputs)) if saving else ()),
            f"    out[t, n] = {_value(body.outputs[0], T)}",
            *(f"    w{k}[j] = {_value(body.outputs[1 + k], T)}" for k in range(S)),
        ]

    lines = [f"def forward({', '.join(args)}):", "    T, N = x.shape"]
    lines += _indent(_const_prologue(structure), 1)
    lines += _indent(body.prologue, 1)
    lines += _indent(saver.prologue, 1)
    lines += _indent([
        "for blk in range(b0, b1):",
        "    lo = blk * chunk",
        "    hi = min(N, lo + chunk)",
        *(f"    w{k} = s{k}[lo:hi].copy()" for k in range(S)),
        "    for t in range(T):",
        *(_indent(["if save:", *_indent(step(saving=True), 1), "else:", *_indent(step(saving=False), 1)], 2)
          if M else _indent(step(saving=False), 2)),
        *(f"    f{k}[lo:hi] = w{k}" for k in range(S)),
    ], 1)
    return "\n".join(lines)


def _backward_source(structure: _Structure, body: Body, n_saved: int, reads_input: bool) -> str:
    """The backward kernel: reads the ``n_saved`` values the forward saved (``hv*``, and the
    input ``xv`` when ``reads_input``) and recomputes from them only what the gradients need."""
    S = len(structure.state._fields)
    elems = [k for k, prm in enumerate(structure.params) if prm.kind == "elem"]
    consts = [k for k, prm in enumerate(structure.params) if prm.kind != "elem"]
    scalars = [k for k, prm in enumerate(structure.params) if prm.kind == "scalar"]
    grads = [*elems, *scalars]
    differentiable = [k for k, prm in enumerate(structure.params) if prm.kind != "wrapped"]
    out_x, out_s = body.outputs[0], body.outputs[1:1 + S]
    out_p = dict(zip(differentiable, body.outputs[1 + S:]))
    T = structure.dtype
    args = [*(["x"] if reads_input else []), *(f"h{m}" for m in range(n_saved)), *(f"e{k}" for k in elems),
            *(f"ca{k}" for k in consts), "go", *(f"gf{k}" for k in range(S)),
            "gx", *(f"gs{k}" for k in range(S)), *(f"gp{k}" for k in grads), "chunk", "b0", "b1"]
    lines = [f"def backward({', '.join(args)}):", "    T, N = gx.shape", "    G = go.shape[0]"]
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
        *(["            xv = x[t, n]"] if reads_input else []),
        *(f"            hv{m} = h{m}[t, n]" for m in range(n_saved)),
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


def _sources(structure: _Structure, forward: Body, saver: Body, backward: Body, reads_input: bool) -> tuple[str, str]:
    """The forward and the backward module: two files named by their text, so that a forward
    that the surrogate method or ``detach_reset`` does not change is compiled once for all."""
    step = f"{structure.step.__module__}.{structure.step.__qualname__}"
    more = (
        f"\n\nParameters {', '.join(f'{p.name}:{p.kind}' for p in structure.params) or 'none'}; fixed "
        f"{', '.join(f'{k}={v!r}' for k, v in structure.baked) or 'none'}; detach_reset={structure.detach_reset}.\n"
    )
    head = {"version": GENERATOR_VERSION, "step": step, "dtype": structure.dtype}
    forward_module = _HEADER.format(**head, more="") + _forward_source(structure, forward, saver) + "\n"
    backward_module = (_HEADER.format(**head, more=more)
                       + _backward_source(structure, backward, len(saver.outputs), reads_input) + "\n")
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
    saved: tuple[torch.dtype, ...]      # per-step values the forward saves for the backward (dtypes)
    saved_names: tuple[str, ...]        # their names: "state.<field>" or the traced node's (see _plan)
    reads_input: bool = True            # whether the backward reads the step's input
    verdict: str | None = None          # None: not checked yet; "" passed; otherwise why it failed
    recurrent_verdict: str | None = None    # the same for the recurrent path (its own first-use check)
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
        saved = [x.new_empty((T, N) if save else (1, N), dtype=dtype) for dtype in kernels.saved]
        args = (
            x.numpy(), *(s.numpy() for s in state), *(e.numpy() for e in elems), *consts,
            out.numpy(), *(f.numpy() for f in finals), *(h.numpy() for h in saved), save,
        )
        _run_blocks(kernels.forward, args, T, N)
        ctx.kernels, ctx.consts, ctx.n_scalars = kernels, consts, len(scalars)
        ctx.scalar_dtypes = [s.dtype for s in scalars]
        ctx.shape, ctx.dtype = (T, N), x.dtype
        ctx.set_materialize_grads(False)
        if save:                              # x only when the backward reads it (see _plan)
            ctx.save_for_backward(*([x] if kernels.reads_input else []), *saved, *elems)
        return (out, *finals)

    @staticmethod
    @once_differentiable                      # no double backward through numba: a clear error, not a crash
    def backward(ctx: Any, g_out: torch.Tensor | None, *g_finals: torch.Tensor | None):
        kernels = ctx.kernels
        st = kernels.structure
        S = len(st.state._fields)
        tensors = ctx.saved_tensors
        xs, tensors = (tensors[:1], tensors[1:]) if kernels.reads_input else ((), tensors)
        n_saved = len(kernels.saved)
        saved, elems = tensors[:n_saved], tensors[n_saved:]
        T, N = ctx.shape
        gx = torch.empty((T, N), dtype=ctx.dtype)
        go = _rows(g_out, gx, N)
        gf = [gx.new_zeros(N) if g is None else g.contiguous() for g in g_finals]
        gs = [gx.new_empty(N) for _ in range(S)]
        gp = [gx.new_empty(N) for _ in range(len(elems) + ctx.n_scalars)]
        args = (
            *(x.numpy() for x in xs), *(h.numpy() for h in saved), *(e.numpy() for e in elems), *ctx.consts,
            go.numpy(), *(g.numpy() for g in gf), gx.numpy(), *(g.numpy() for g in gs), *(g.numpy() for g in gp),
        )
        _run_blocks(kernels.backward, args, T, N)
        g_elems = gp[: len(elems)]
        g_scalars = [g.sum().to(dtype) for g, dtype in zip(gp[len(elems):], ctx.scalar_dtypes)]
        return (None, None, gx, *gs, *g_elems, *g_scalars)


class _Recurrent(torch.autograd.Function):
    """A recurrent population over the whole sequence as one autograd node.

    Forward, per step: ``i_t = xproj_t + z_{t-1}·W_recᵀ`` (a matrix product into a buffer,
    no autograd graph), then one time step of the generated forward kernel. Backward, in
    reverse time: one step of the generated backward kernel gives ``g_t``, the gradient of
    ``i_t`` (and of the previous state); the gradient of ``z_{t-1}`` is its output's plus
    ``g_t·W_rec``. After the loop ``∂W_rec = Gᵀ·Z_prev`` is one product, and ``G`` is the
    gradient of ``xproj`` (autograd carries it to ``x`` and ``W_in``).

    Each step runs one kernel call on one thread: the elementwise work of a step is too
    small to pay for splitting it, and the matrix products use torch's threads.
    """

    @staticmethod
    def forward(
        ctx: Any, kernels: _Compiled, consts: tuple[float, ...], xproj: torch.Tensor, w_rec: torch.Tensor,
        z0: torch.Tensor, *tensors: torch.Tensor,
    ):
        st = kernels.structure
        S = len(st.state._fields)
        n_elem = sum(1 for prm in st.params if prm.kind == "elem")
        state, elems, scalars = tensors[:S], tensors[S:S + n_elem], tensors[S + n_elem:]
        T, B, H = xproj.shape
        N = B * H
        save = any(ctx.needs_input_grad[2:])
        keep_i = save and kernels.reads_input
        i = xproj.new_empty((T if keep_i else 1, N))                # inputs i_t (all if the backward reads them)
        out = xproj.new_empty((T, N))                                # z_t of every step
        saved = [xproj.new_empty((T if save else 1, N), dtype=dtype) for dtype in kernels.saved]
        states = [[xproj.new_empty(N) for _ in range(S)] for _ in range(2)]   # written in turn, step after step
        rec = xproj.new_empty((B, H))                                # z_{t-1}·W_recᵀ
        i_np, out_np = i.numpy(), out.numpy()
        saved_np = [h.numpy() for h in saved]
        states_np = [[f.numpy() for f in fields] for fields in states]
        elems_np = [e.numpy() for e in elems]
        current = [f.numpy() for f in state]
        chunk = min(MAX_CHUNK, N)
        blocks = -(-N // chunk)
        # W_recᵀ laid out row-major once: the per-step product then runs ~1.4× faster than on
        # the transposed view (measured 189 against 274 µs for 16 × 1024 · 1024 × 1024 float32)
        w_t, z = w_rec.t().contiguous(), z0
        for t in range(T):
            r = t if keep_i else 0
            torch.mm(z, w_t, out=rec)
            torch.add(xproj[t], rec, out=i[r].view(B, H))             # linear_input's x·W_inᵀ + z·W_recᵀ
            new = states_np[t % 2]
            kernels.forward(
                i_np[r:r + 1], *current, *elems_np, *consts, out_np[t:t + 1], *new,
                *(h[t:t + 1] if save else h for h in saved_np), save, chunk, 0, blocks,
            )
            current = new
            z = out[t].view(B, H)
        finals = states[(T - 1) % 2]
        ctx.kernels, ctx.consts, ctx.n_scalars = kernels, consts, len(scalars)
        ctx.scalar_dtypes = [s.dtype for s in scalars]
        ctx.set_materialize_grads(False)
        if save:
            ctx.save_for_backward(i, out, w_rec, z0, *saved, *elems)
        return (out, out[T - 1].clone(), *finals)

    @staticmethod
    @once_differentiable                      # no double backward through numba: a clear error, not a crash
    def backward(ctx: Any, g_out: torch.Tensor | None, g_z: torch.Tensor | None, *g_finals: torch.Tensor | None):
        kernels = ctx.kernels
        S = len(kernels.structure.state._fields)
        i, out, w_rec, z0, *rest = ctx.saved_tensors
        n_saved = len(kernels.saved)
        saved, elems = rest[:n_saved], rest[n_saved:]
        T, N = out.shape
        B, H = z0.shape
        n_elem = len(elems)
        want = ctx.needs_input_grad
        want_params = any(want[5 + S:])
        g = out.new_empty((T, N))                                    # g_t: the gradient of every step's input i_t
        g_zt = out.new_zeros((B, H))                                 # the gradient of z_t
        if g_out is not None:
            g_zt += g_out[T - 1].reshape(B, H)
        if g_z is not None:
            g_zt += g_z.reshape(B, H)
        fields = [[out.new_empty(N) for _ in range(S)] for _ in range(2)]
        step_p = [out.new_empty(N) for _ in range(n_elem + ctx.n_scalars)]     # one step's parameter gradients
        total_p = [out.new_zeros(N) for _ in step_p] if want_params else []
        i_np, g_np, g_zt_np = i.numpy(), g.numpy(), g_zt.numpy().reshape(1, N)
        saved_np = [h.numpy() for h in saved]
        fields_np = [[f.numpy() for f in fs] for fs in fields]
        step_p_np = [a.numpy() for a in step_p]
        elems_np = [e.numpy() for e in elems]
        current = [(out.new_zeros(N) if f is None else f.reshape(N).contiguous()).numpy() for f in g_finals]
        chunk = min(MAX_CHUNK, N)
        blocks = -(-N // chunk)
        for t in range(T - 1, -1, -1):
            r = t if i.shape[0] == T else 0
            new = fields_np[t % 2]
            kernels.backward(
                *((i_np[r:r + 1],) if kernels.reads_input else ()), *(h[t:t + 1] for h in saved_np), *elems_np, *ctx.consts,
                g_zt_np, *current, g_np[t:t + 1], *new, *step_p_np, chunk, 0, blocks,
            )
            current = new
            for total, step in zip(total_p, step_p):
                total += step
            if t > 0:                                                # z_{t-1}: its output's gradient + g_t·W_rec
                g_t = g[t].view(B, H)
                if g_out is None:
                    torch.mm(g_t, w_rec, out=g_zt)
                else:
                    torch.addmm(g_out[t - 1].reshape(B, H), g_t, w_rec, out=g_zt)
        g0 = g[0].view(B, H)
        g_xproj = g.view(T, B, H) if want[2] else None
        g_w = None
        if want[3]:                                                  # Σ_t g_tᵀ·z_{t-1} as one product
            g_w = g[1:].view(-1, H).t().mm(out[:-1].view(-1, H)).addmm_(g0.t(), z0)
        g_z0 = g0.mm(w_rec) if want[4] else None
        g_state = fields[0]                                          # written by the last step, t = 0
        g_elems = total_p[:n_elem] if want_params else [None] * n_elem
        g_scalars = (
            [t.sum().to(dtype) for t, dtype in zip(total_p[n_elem:], ctx.scalar_dtypes)] if want_params
            else [None] * ctx.n_scalars
        )
        return (None, None, g_xproj, g_w, g_z0, *g_state, *g_elems, *g_scalars)


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
        compiled = self._checked_kernels(inputs, p, detach_reset)
        if isinstance(compiled, str):
            return compiled
        if compiled.verdict is None:
            compiled.verdict = _first_use_check(self.model, compiled, inputs, state, p, detach_reset)
        return compiled.verdict or None

    def _checked_kernels(self, inputs: torch.Tensor, p: Any, detach_reset: bool) -> _Compiled | str:
        """The kernels for ``inputs`` and ``p`` (built if needed, not yet checked), or why none can run."""
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
        return self._get(structure, p)

    def auto_skip(self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False) -> str | None:
        """Under ``"auto"``: a reason not to compile a new kernel for so little work."""
        return self._too_little_work(inputs.shape[0], math.prod(inputs.shape[1:]), inputs.dtype, p, detach_reset)

    def _too_little_work(self, T: int, N: int, dtype: torch.dtype, p: Any, detach_reset: bool) -> str | None:
        if T * N >= MIN_WORK:
            return None
        structure = _structure(self.model, p, dtype, detach_reset)
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

    # ---------------------------------------------------------------- the recurrent form
    def recurrent(self, input_weights: torch.Tensor, recurrent_weights: torch.Tensor) -> FusedKernel:
        """This kernel for a recurrent layer with these weights (``W_rec`` as the forward uses
        it, autapses masked), for :func:`~spikeplug.backends.select_kernel` as the layer form's:
        its ``inputs`` are ``(T, *B, input_size)`` and its state a ``recurrent_state``."""
        weights = (input_weights, recurrent_weights)
        return FusedKernel(
            NAME, functools.partial(self.run_recurrent, weights=weights),
            functools.partial(self.supports_recurrent, weights=weights), min_steps=MIN_STEPS, kind="generated",
            auto_skip=functools.partial(self.auto_skip_recurrent, weights=weights), warn=self.warn_once,
        )

    def supports_recurrent(
        self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False,
        weights: tuple[torch.Tensor, torch.Tensor],
    ) -> str | None:
        """``None`` when the recurrent path can run (compiling and checking it on first use
        against the eager recurrent loop), else why not."""
        recurrent_input = self.model.recurrent_input
        if recurrent_input is not linear_input:
            what = getattr(recurrent_input, "__qualname__", type(recurrent_input).__name__)
            return (f"its recurrent_input ({what}) is not linear_input (x·W_inᵀ + z·W_recᵀ), the only one the "
                    f"recurrent path fuses")
        compiled = self._checked_kernels(inputs, p, detach_reset)
        if isinstance(compiled, str):
            return compiled
        if compiled.recurrent_verdict is None:
            compiled.recurrent_verdict = _first_use_check(
                self.model, compiled, inputs, state, p, detach_reset, weights=weights
            )
        verdict = compiled.recurrent_verdict
        return f"the recurrent form diverges from eager: {verdict}" if verdict else None

    def auto_skip_recurrent(
        self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False,
        weights: tuple[torch.Tensor, torch.Tensor],
    ) -> str | None:
        """Under ``"auto"``: a reason not to run the recurrent path on so little work. Unlike
        the layer's kernels, it applies even once the kernels are compiled: the recurrent path
        rounds the input projection differently from eager (last-bit differences), so whether
        ``auto`` takes it must depend on the size alone, not on what ran before in the process."""
        if self.model.recurrent_input is not linear_input:
            return None                   # never runs: supports says why, whatever the size
        T, neurons = inputs.shape[0], math.prod(inputs.shape[1:-1]) * weights[1].shape[0]
        if T * neurons >= MIN_WORK:
            return None
        return (f"{T}×{neurons} neuron-steps < {MIN_WORK}: auto runs the recurrent path from {MIN_WORK} on "
                f"(backend='generated' forces it)")

    def run_recurrent(
        self, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False,
        weights: tuple[torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, Any]:
        """Spikes ``(T, *B, hidden)`` and the final recurrent state, as the eager recurrent loop computes them."""
        compiled = self._compiled[_structure(self.model, p, inputs.dtype, detach_reset)]
        return _apply_recurrent(compiled, inputs, state, p, *weights)

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


def _parameter_args(st: _Structure, p: Any, S: tuple[int, ...]) -> tuple[tuple[float, ...], list, list]:
    """``(consts, elems, scalars)``: the kernels' constant arguments, the per-neuron tensors
    expanded to the population ``S`` (flattened) and the 0-dim tensors (for their gradients)."""
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
    return tuple(consts), elems, scalars


def _apply(compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any) -> tuple[torch.Tensor, Any]:
    T, S = inputs.shape[0], tuple(inputs.shape[1:])
    N = math.prod(S)
    consts, elems, scalars = _parameter_args(compiled.structure, p, S)
    x = inputs.reshape(T, N).contiguous()
    fields = [t.reshape(N).contiguous() for t in state]
    tensors = _unless_grad(x, *fields, *elems, *scalars)
    out, *finals = _Sequence.apply(compiled, consts, *tensors)
    return out.reshape(inputs.shape), type(state)(*(f.reshape(S) for f in finals))


def _unless_grad(*tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The tensors as given under grad mode, else detached: inside ``Function.forward``,
    ``ctx.needs_input_grad`` follows ``requires_grad`` whatever the grad mode, so without this
    a learnable parameter under ``no_grad``/``inference_mode`` would make the forward save
    every step for a backward that never comes."""
    return tensors if torch.is_grad_enabled() else tuple(t.detach() for t in tensors)


def _apply_recurrent(
    compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, input_weights: torch.Tensor,
    recurrent_weights: torch.Tensor,
) -> tuple[torch.Tensor, Any]:
    """The recurrent layer on ``inputs`` ``(T, *B, input_size)`` from the recurrent ``state``
    ``(z, *fields)``: ``(z (T, *B, hidden), final state)``, as the eager loop of
    ``recurrent_step`` with :func:`~spikeplug.model.linear_input` computes them."""
    xproj = torch.nn.functional.linear(inputs, input_weights)     # (T, *B, H): every step's x·W_inᵀ at once
    T, S = xproj.shape[0], tuple(xproj.shape[1:])
    H = S[-1]
    B, N = math.prod(S[:-1]), math.prod(S)                         # B: the batch dimensions flattened
    consts, elems, scalars = _parameter_args(compiled.structure, p, S)
    z0 = state[0].reshape(B, H)
    fields = [t.reshape(N).contiguous() for t in state[1:]]
    out, z, *finals = _Recurrent.apply(
        compiled, consts, *_unless_grad(xproj.reshape(T, B, H), recurrent_weights, z0, *fields, *elems, *scalars)
    )
    return out.reshape(T, *S), type(state)(z.reshape(S), *(f.reshape(S) for f in finals))


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
    try:
        plan = _plan(forward_graph.graph, backward_graph.graph, S)
        forward = translate(forward_graph.graph, leaves, structure.dtype)
        # the saved values as the backward graph computes them, from the same inputs: what
        # the backward would have recomputed, to the last bit (LLVM merges the expressions
        # the step computes too)
        saver = translate(backward_graph.graph, bleaves, structure.dtype, outputs=plan.saved, prefix="u")
        given = {node: Leaf(f"hv{m}", "elem", v.dtype) for m, (node, v) in enumerate(zip(plan.saved, saver.outputs))}
        backward = translate(backward_graph.graph, bleaves, structure.dtype, given=given)
        forward_source, backward_source = _sources(structure, forward, saver, backward, plan.reads_input)
    except Unsupported as exc:
        return f"the step uses {exc}, which the generator does not fuse"
    try:
        forward_fn, backward_fn = _load(forward_source).forward, _load(backward_source).backward
    except Exception as exc:  # noqa: BLE001 - e.g. an unwritable cache directory: run eager and say why
        return f"the generated source could not be written or imported ({type(exc).__name__}: {exc})"
    names = [*structure.state._fields]
    placeholders = [n for n in backward_graph.graph.nodes if n.op == "placeholder"]
    labels = {placeholders[1 + k]: f"state.{f}" for k, f in enumerate(names)}
    return _Compiled(structure, forward_fn, backward_fn, forward_source + "\n" + backward_source, traced,
                     tuple(v.dtype for v in saver.outputs), tuple(labels.get(n, n.name) for n in plan.saved),
                     plan.reads_input)


# --------------------------------------------------------------------------- equality


def _first_use_check(
    model: Any, compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, detach: bool,
    weights: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> str:
    """``""`` when the kernels equal the eager loop on the first steps of ``inputs``, else the divergence."""
    start = time.perf_counter()
    try:                                  # numba compiles here, on the first call
        report = check_generated(model, compiled, inputs[:CHECK_STEPS], state, p, detach_reset=detach, weights=weights)
    except Exception as exc:  # noqa: BLE001 - a kernel that fails to compile or run is not used
        report = f"the kernel failed on its first run ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    if compiled.compile_seconds is None:
        compiled.compile_seconds = time.perf_counter() - start
    return report


def check_generated(
    model: Any, compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False,
    weights: tuple[torch.Tensor, torch.Tensor] | None = None, state_rtol: float = 1e-6, grad_rtol: float = 1e-4,
) -> str:
    """Compare the generated kernels with the eager step loop on ``inputs`` from ``state``:
    outputs (spikes identical where the output is 0/1), final states within ``state_rtol``
    (relative, floor 1e-3 of the largest value) and the gradients of the input, the initial
    state and every tensor parameter within ``grad_rtol`` (relative, floor 10 % of the
    largest gradient). ``""`` when equal, else a description of each divergence.

    With ``weights=(W_in, W_rec)`` it compares the recurrent path instead: ``inputs`` are
    ``(T, *B, input_size)``, ``state`` is a ``recurrent_state``, the reference is the loop of
    the model's ``recurrent_step``, and the gradients of both weight matrices are compared too.
    Its states are compared relative to each field's largest value (the input projection's
    rounding differs from eager's per-step products; see the comment in the code).
    """
    with torch.inference_mode(False):     # (inference tensors are cloned into normal ones below)
        return _check(model, compiled, inputs, state, p, detach_reset, weights, state_rtol, grad_rtol)


def _check(
    model: Any, compiled: _Compiled, inputs: torch.Tensor, state: Any, p: Any, detach_reset: bool,
    weights: tuple[torch.Tensor, torch.Tensor] | None, state_rtol: float, grad_rtol: float,
) -> str:
    tensors = {f.name: getattr(p, f.name) for f in attrs.fields(type(p)) if isinstance(getattr(p, f.name), torch.Tensor)}
    results = {}
    for backend in ("eager", "generated"):
        gen = torch.Generator().manual_seed(7)           # the same cotangents for both
        x = inputs.detach().clone().requires_grad_(True)
        s0 = type(state)(*(t.detach().clone().requires_grad_(True) for t in state))
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in tensors.items() if v.is_floating_point()}
        w = [t.detach().clone().requires_grad_(True) for t in weights or ()]
        q = copy.copy(p)
        for k, v in leaves.items():
            object.__setattr__(q, k, v)
        with torch.enable_grad():
            if backend == "eager":
                s, outs = s0, []
                for x_t in x.unbind(0):
                    if weights is None:
                        o, s = model.step(x_t, s, q, detach_reset=detach_reset)
                    else:
                        o, s = model.recurrent_step(x_t, s, q, *w, detach_reset=detach_reset)
                    outs.append(o)
                out = torch.stack(outs)
            elif weights is None:
                out, s = _apply(compiled, x, s0, q)
            else:
                out, s = _apply_recurrent(compiled, x, s0, q, *w)
            cot = [torch.rand(out.shape, generator=gen, dtype=torch.float64).to(out.dtype)]
            cot += [torch.rand(t.shape, generator=gen, dtype=torch.float64).to(t.dtype) for t in s]
            loss = (out * cot[0]).sum() + sum((t * c).sum() for t, c in zip(s, cot[1:]))
            wrt = [x, *s0, *w, *leaves.values()]
            grads = torch.autograd.grad(loss, wrt, allow_unused=True) if loss.requires_grad else [None] * len(wrt)
        names = ["input", *(f"initial state.{f}" for f in state._fields),
                 *(["input weights", "recurrent weights"] if weights is not None else []),
                 *(f"parameter {k}" for k in leaves)]
        results[backend] = (out.detach(), [t.detach() for t in s], dict(zip(names, grads)))
    (e_out, e_state, e_grads), (g_out, g_state, g_grads) = results["eager"], results["generated"]
    spiking = bool(((e_out == 0) | (e_out == 1) | e_out.isnan()).all())
    if spiking and not torch.equal(e_out.nan_to_num(2.0), g_out.nan_to_num(2.0)):
        return f"spikes differ ({int((e_out != g_out).sum())} of {e_out.numel()})"
    problems = []
    # values: the floor is 1e-3 of the largest for the layer, whose kernels repeat eager's
    # operations (equal to the last bit in practice). The recurrent path projects every
    # step's input in one product, which sums each dot product in another order than
    # eager's per-step products: float32 then differs by about one unit in the last place
    # of the state's scale (measured: 7e-8 for v ≈ 1 at 16 × 1024 neurons, 16 steps), which
    # a floor of 1e-3 would read as 7e-5. So its values are compared at their own scale
    floor = 1e-3 if weights is None else 1.0
    if not spiking:
        problems.append(_divergence("output", g_out, e_out, state_rtol, floor))
    problems += [
        _divergence(f"final state.{f}", g, e, state_rtol, floor) for f, g, e in zip(state._fields, g_state, e_state)
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


def verify(
    model: Any, inputs: torch.Tensor, state: Any, p: Any, *, detach_reset: bool = False,
    weights: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> str:
    """Build (or reuse) the generated kernels for this run and compare them with the eager
    loop on ``inputs`` (see :func:`check_generated`; ``weights=(W_in, W_rec)`` for the
    recurrent form): ``""`` when they agree, else why not, starting with
    ``"cannot generate:"`` when no kernel can be made for it."""
    if weights is not None and model.recurrent_input is not linear_input:
        return "cannot generate: the recurrent path fuses linear_input only"
    why = numba_unavailable()
    if why is not None:
        return f"cannot generate: {why}"
    structure = _structure(model, p, inputs.dtype, detach_reset)
    if isinstance(structure, str):
        return f"cannot generate: {structure}"
    compiled = generated_kernel(model)._get(structure, p)
    if isinstance(compiled, str):
        return f"cannot generate: {compiled}"
    return check_generated(model, compiled, inputs, state, p, detach_reset=detach_reset, weights=weights)
