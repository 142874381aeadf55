"""From a traced elementwise step to numba source (used by :mod:`spikeplug.generated`).

:mod:`spikeplug.generated` traces a model's ``step`` (and its vector-Jacobian product)
with ``make_fx`` into an ATen graph over one population. This module turns such a graph
into the body of a numba loop that computes one neuron at one time step, repeating the
eager step's floating-point operations in their order and in the dtypes eager computes
them in:

* every value has a *level*: ``const`` (the same for every neuron: built from Python
  numbers and 0-dim parameters; computed once, before the loops), ``elem`` (one value
  per neuron, computed in the loop) or ``red`` (a per-neuron contribution to a sum over
  the population: the gradient of a 0-dim parameter, summed by the caller);
* every value has the dtype torch's type promotion gives it, with Python numbers
  ("wrapped numbers") weaker than 0-dim tensors, which are weaker than per-neuron
  tensors, exactly as in eager; each operation casts its operands to that dtype first.

Only elementwise operations are translated (the table :data:`OPS`); anything else (a
matrix product, a reduction in the forward, a view that changes the shape) raises
:class:`Unsupported` naming the operation, and the caller runs the eager loop instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import torch

__all__ = ["Unsupported", "Leaf", "Body", "translate", "value_inputs", "NUMBA_TYPES"]

NUMBA_TYPES = {torch.float32: "np.float32", torch.float64: "np.float64", torch.bool: "np.bool_"}


class Unsupported(Exception):
    """The graph holds something the generator does not translate (the message says what)."""


@attrs.frozen
class Leaf:
    """A graph input: ``level`` is ``"elem"`` or ``"const"``; ``wrapped`` marks a Python number."""

    name: str
    level: str
    dtype: torch.dtype
    wrapped: bool = False


@attrs.frozen
class _Value:
    expr: str
    level: str
    dtype: torch.dtype
    wrapped: bool = False


@attrs.frozen
class Body:
    """Translated graph: ``prologue`` lines run once, ``body`` lines per neuron and step;
    ``outputs`` are the expressions (with their level) of the graph's outputs."""

    prologue: tuple[str, ...]
    body: tuple[str, ...]
    outputs: tuple[_Value | None, ...]


def _promote(values: Sequence[_Value | float | int | bool]) -> torch.dtype:
    """The dtype torch's type promotion gives an operation on one or two ``values``:
    per-neuron values act as dimensioned tensors, 0-dim parameters as 0-dim tensors and
    Python numbers (and values computed from Python numbers only) as wrapped numbers, which
    are computed in double precision by Python itself."""
    probes: list[Any] = []
    for v in values:
        if isinstance(v, _Value):
            if v.wrapped:
                probes.append(True if v.dtype == torch.bool else (1 if not v.dtype.is_floating_point else 1.0))
            elif v.level == "const":
                probes.append(torch.empty((), dtype=v.dtype))
            else:
                probes.append(torch.empty((1,), dtype=v.dtype))
        else:
            probes.append(v)
    if len(probes) > 2:
        raise Unsupported(f"an operation on {len(probes)} values")
    if not any(isinstance(p, torch.Tensor) for p in probes):
        return max((_python_dtype(p) for p in probes), key=lambda d: (d.is_floating_point, d != torch.bool))
    if len(probes) == 1:
        return probes[0].dtype
    return torch.result_type(probes[0], probes[1])


def _python_dtype(v: Any) -> torch.dtype:
    if isinstance(v, bool):
        return torch.bool
    if isinstance(v, int):
        return torch.int64
    return torch.float64


def _level(values: Sequence[Any]) -> str:
    levels = {v.level for v in values if isinstance(v, _Value)}
    if "red" in levels:
        return "red"
    return "elem" if "elem" in levels else "const"


def _wrapped(values: Sequence[Any]) -> bool:
    return all((not isinstance(v, _Value)) or v.wrapped for v in values)


class _Translator:
    def __init__(self, compute: torch.dtype, prefix: str = "t"):
        self.compute = compute
        self.prefix = prefix
        self.prologue: list[str] = []
        self.body: list[str] = []
        self.env: dict[Any, Any] = {}
        self.count = 0
        self.casts: dict[tuple[str, torch.dtype], str] = {}

    # ------------------------------------------------------------------ helpers
    def fresh(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count}"

    def literal(self, value: Any, dtype: torch.dtype) -> str:
        if dtype == torch.bool:
            return "True" if bool(value) else "False"
        if not dtype.is_floating_point:
            return repr(int(value))
        value = float(value)
        text = repr(value) if math.isfinite(value) else ("np.inf" if value > 0 else "-np.inf" if value < 0 else "np.nan")
        return f"{NUMBA_TYPES[dtype]}({text})"

    def cast(self, v: Any, dtype: torch.dtype) -> str:
        """Expression of ``v`` in ``dtype`` (hoisted when ``v`` is const)."""
        if not isinstance(v, _Value):
            return self.literal(v, dtype)
        if v.dtype == dtype:
            return v.expr
        if dtype not in NUMBA_TYPES:
            raise Unsupported(f"values of dtype {dtype}")
        key = (v.expr, dtype)
        if v.level == "const":
            if key not in self.casts:
                name = self.fresh()
                self.prologue.append(f"{name} = {NUMBA_TYPES[dtype]}({v.expr})")
                self.casts[key] = name
            return self.casts[key]
        return f"{NUMBA_TYPES[dtype]}({v.expr})"

    def emit(self, expr: str, level: str, dtype: torch.dtype, wrapped: bool = False) -> _Value:
        if dtype not in NUMBA_TYPES:
            raise Unsupported(f"values of dtype {dtype}")
        name = self.fresh()
        (self.prologue if level == "const" else self.body).append(f"{name} = {expr}")
        return _Value(name, level, dtype, wrapped)

    def arg(self, a: Any) -> Any:
        if isinstance(a, torch.fx.Node):
            if a not in self.env:
                raise Unsupported(f"graph value {a.name} is used but has no value")
            return self.env[a]
        if isinstance(a, (bool, int, float)):
            return a
        raise Unsupported(f"an argument of type {type(a).__name__} ({a!r})")

    def zero(self, dtype: torch.dtype) -> str:
        return self.literal(0.0, dtype)

    def one(self, dtype: torch.dtype) -> str:
        return self.literal(1.0, dtype)

    # ------------------------------------------------------------------ operations
    def binary(self, op: str, a: Any, b: Any, *, reducible: bool) -> _Value:
        vals = [a, b]
        level = _level(vals)
        if level == "red" and not reducible(a, b):
            raise Unsupported("a sum over the population used in a non-linear way")
        dtype = _promote(vals)
        if not dtype.is_floating_point and op == "/":
            dtype = torch.get_default_dtype()
        return self.emit(f"{self.cast(a, dtype)} {op} {self.cast(b, dtype)}", level, dtype, _wrapped(vals))

    def unary(self, template: str, a: Any, *, dtype: torch.dtype | None = None) -> _Value:
        if isinstance(a, _Value) and a.level == "red":
            raise Unsupported("a sum over the population used in a non-linear way")
        dtype = dtype or _promote([a])
        if not dtype.is_floating_point:
            dtype = torch.get_default_dtype()
        x = self.cast(a, dtype)
        return self.emit(template.format(x=x, Z=self.zero(dtype), O=self.one(dtype)), _level([a]), dtype, _wrapped([a]))

    def compare(self, op: str, a: Any, b: Any) -> _Value:
        vals = [a, b]
        if _level(vals) == "red":
            raise Unsupported("a sum over the population compared")
        dtype = _promote(vals)
        return self.emit(f"{self.cast(a, dtype)} {op} {self.cast(b, dtype)}", _level(vals), torch.bool, _wrapped(vals))


def _is_red(v: Any) -> bool:
    return isinstance(v, _Value) and v.level == "red"


def _linear_in_red(a: Any, b: Any) -> bool:
    """Products and quotients stay sums over the population only when one side is const."""
    levels = [v.level if isinstance(v, _Value) else "const" for v in (a, b)]
    return "elem" not in levels and levels.count("red") == 1


def _additive(a: Any, b: Any) -> bool:
    """Sums and differences of sums over the population (or with zero) stay such sums."""
    levels = [v.level if isinstance(v, _Value) else "const" for v in (a, b)]
    return "elem" not in levels and "const" not in levels


def translate(
    graph: torch.fx.Graph, leaves: Sequence[Leaf | None], compute: torch.dtype, *,
    outputs: Sequence[torch.fx.Node] | None = None, given: dict[torch.fx.Node, Leaf] | None = None,
    prefix: str = "t",
) -> Body:
    """Translate ``graph`` whose placeholders are ``leaves`` (``None``: an argument that must
    not be used). ``compute`` is the dtype of the per-neuron tensors.

    ``outputs`` (nodes of ``graph``) replaces the graph's own outputs, and ``given`` names
    nodes whose values are read (as the given leaves) rather than computed; with either,
    only the nodes the outputs need are translated, and nothing upstream of a given node.
    ``prefix`` starts the names of the translated values (two bodies in one kernel need two)."""
    tr = _Translator(compute, prefix)
    given = dict(given or {})
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(leaves):
        raise Unsupported(f"{len(placeholders)} graph inputs for {len(leaves)} leaves")
    for node, leaf in zip(placeholders, leaves):
        if leaf is None:
            if node.users and outputs is None and not given:
                raise Unsupported(f"graph input {node.name} is used but has no value")
            continue
        tr.env[node] = _Value(leaf.name, leaf.level, leaf.dtype, leaf.wrapped)
    for node, leaf in given.items():
        tr.env[node] = _Value(leaf.name, leaf.level, leaf.dtype, leaf.wrapped)
    final = next(n for n in graph.nodes if n.op == "output")
    if outputs is None:
        outputs = tuple(final.args[0]) if isinstance(final.args[0], (tuple, list)) else (final.args[0],)
    need = None
    if given or outputs is not None:
        need, stack = set(), [o for o in outputs if isinstance(o, torch.fx.Node)]
        while stack:
            node = stack.pop()
            if node in need:
                continue
            need.add(node)
            if node not in given:
                stack.extend(value_inputs(node))
    for node in graph.nodes:
        if node.op in ("placeholder", "output") or node in given or (need is not None and node not in need):
            continue
        if node.op == "get_attr":
            value = getattr(graph.owning_module, node.target)
            if not isinstance(value, torch.Tensor) or value.dim() != 0:
                raise Unsupported(f"a constant tensor of shape {tuple(getattr(value, 'shape', ()))}")
            tr.env[node] = tr.emit(tr.literal(value.item(), value.dtype), "const", value.dtype)
            continue
        if node.op != "call_function":
            raise Unsupported(f"graph node {node.op} {node.target}")
        _check_shape(node)
        tr.env[node] = _apply(tr, node)
    for o in outputs:
        if isinstance(o, torch.fx.Node) and o not in tr.env:
            raise Unsupported(f"graph input {o.name} is used but has no value")
    out = tuple(tr.env[o] if isinstance(o, torch.fx.Node) else o for o in outputs)
    return Body(tuple(tr.prologue), tuple(tr.body), out)


_LIKE = ("aten.zeros_like.default", "aten.ones_like.default", "aten.full_like.default")


def value_inputs(node: torch.fx.Node) -> list[torch.fx.Node]:
    """The nodes whose *values* ``node`` uses: its node arguments, except the source of a
    ``zeros_like``-style fill, of which only the shape and dtype matter."""
    args = list(node.args[1:]) if str(node.target) in _LIKE else [*node.args, *node.kwargs.values()]
    found: list[torch.fx.Node] = []
    for a in args:
        for b in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(b, torch.fx.Node):
                found.append(b)
    return found


def _check_shape(node: torch.fx.Node) -> None:
    val = node.meta.get("val")
    if isinstance(val, torch.Tensor) and val.dim() > 1:
        raise Unsupported(f"{node.target} makes a tensor of shape {tuple(val.shape)} (only per-neuron values are fused)")


_ARITH = {
    "aten.add.Tensor": "+", "aten.add.Scalar": "+",
    "aten.sub.Tensor": "-", "aten.sub.Scalar": "-",
    "aten.mul.Tensor": "*", "aten.mul.Scalar": "*",
    "aten.div.Tensor": "/", "aten.div.Scalar": "/",
}
_COMPARE = {
    "gt": ">", "lt": "<", "ge": ">=", "le": "<=", "eq": "==", "ne": "!=",
}
_UNARY = {
    "aten.exp.default": "math.exp({x})",
    "aten.expm1.default": "math.expm1({x})",
    "aten.log.default": "math.log({x})",
    "aten.log1p.default": "math.log1p({x})",
    "aten.sqrt.default": "math.sqrt({x})",
    "aten.rsqrt.default": "{O} / math.sqrt({x})",
    "aten.tanh.default": "math.tanh({x})",
    "aten.sin.default": "math.sin({x})",
    "aten.cos.default": "math.cos({x})",
    "aten.atan.default": "math.atan({x})",
    "aten.erf.default": "math.erf({x})",
    "aten.erfc.default": "math.erfc({x})",
    "aten.abs.default": "abs({x})",
    "aten.neg.default": "-{x}",
    "aten.reciprocal.default": "{O} / {x}",
    "aten.sigmoid.default": "{O} / ({O} + math.exp(-{x}))",
    "aten.relu.default": "({x} if ({x} != {x} or {x} > {Z}) else {Z})",
    "aten.sign.default": "({O} if {x} > {Z} else (-{O} if {x} < {Z} else {x} * {Z}))",
    "aten.floor.default": "np.floor({x})",       # math.floor gives an int in numba
    "aten.ceil.default": "np.ceil({x})",
}
_IDENTITY = {
    "aten.detach.default", "aten.alias.default", "aten.clone.default", "aten.lift_fresh_copy.default",
    "aten.expand.default", "aten.view.default", "aten._unsafe_view.default", "aten.reshape.default",
    "aten.squeeze.dim", "aten.squeeze.default", "aten.unsqueeze.default", "aten.contiguous.default",
}


def _apply(tr: _Translator, node: torch.fx.Node) -> Any:
    target = str(node.target)
    if target in _LIKE:
        return _like(tr, node)
    args = [tr.arg(a) if not isinstance(a, (list, tuple, torch.dtype, torch.device)) else a for a in node.args]
    kwargs = node.kwargs
    if target in _ARITH:
        a, b = args[0], args[1]
        alpha = kwargs.get("alpha", 1)
        if alpha != 1:
            b = tr.binary("*", b, alpha, reducible=_linear_in_red)
        op = _ARITH[target]
        if op in "+-":
            return tr.binary(op, a, b, reducible=_additive)
        if op == "/":  # (Σ a)/c is Σ (a/c); c/(Σ a) is not a sum
            return tr.binary(op, a, b, reducible=lambda x, y: _linear_in_red(x, y) and not _is_red(y))
        return tr.binary(op, a, b, reducible=_linear_in_red)
    if target in ("aten.rsub.Scalar", "aten.rsub.Tensor"):
        a, b = args[0], args[1]
        alpha = kwargs.get("alpha", 1)
        if alpha != 1:
            a = tr.binary("*", a, alpha, reducible=_linear_in_red)
        return tr.binary("-", b, a, reducible=_additive)
    base, _, overload = target.removeprefix("aten.").partition(".")
    if base in _COMPARE:
        return tr.compare(_COMPARE[base], args[0], args[1])
    if target == "aten.neg.default" and isinstance(args[0], _Value) and args[0].level == "red":
        a = args[0]                                  # −Σ a is Σ (−a): still a sum over the population
        return _Value(f"(-{a.expr})", "red", a.dtype)
    if target in _UNARY:
        return tr.unary(_UNARY[target], args[0])
    if target in _IDENTITY:
        if target in ("aten.view.default", "aten.reshape.default", "aten.expand.default", "aten._unsafe_view.default"):
            val, src = node.meta.get("val"), node.args[0].meta.get("val") if isinstance(node.args[0], torch.fx.Node) else None
            if isinstance(val, torch.Tensor) and isinstance(src, torch.Tensor) and val.numel() != src.numel() and src.dim():
                raise Unsupported(f"{target} to shape {tuple(val.shape)}")
        return args[0]
    if target in ("aten._to_copy.default", "aten.to.dtype", "aten._to_copy"):
        dtype = kwargs.get("dtype") or (node.args[1] if len(node.args) > 1 else None)
        a = args[0]
        if dtype is None or dtype == (a.dtype if isinstance(a, _Value) else None):
            return a
        if dtype not in NUMBA_TYPES:
            raise Unsupported(f"a conversion to {dtype}")
        if isinstance(a, _Value):   # .to() makes a tensor: no longer a wrapped Python number
            return tr.emit(f"{NUMBA_TYPES[dtype]}({a.expr})", a.level, dtype)
        return tr.emit(tr.literal(a, dtype), "const", dtype)
    if target == "aten.where.self":
        cond, a, b = args
        dtype = _promote([a, b])
        level = _level([cond, a, b])
        if level == "red":
            raise Unsupported("a sum over the population inside where()")
        c = cond.expr if isinstance(cond, _Value) else repr(bool(cond))
        return tr.emit(f"({tr.cast(a, dtype)} if {c} else {tr.cast(b, dtype)})", level, dtype)
    if target in ("aten.pow.Tensor_Scalar",):
        return _pow(tr, args[0], args[1])
    if target == "aten.pow.Tensor_Tensor":
        if not _promote([args[0], args[1]]).is_floating_point:
            raise Unsupported("an integer power")
        return tr.binary("**", args[0], args[1], reducible=lambda a, b: False)
    if target in ("aten.clamp.default", "aten.clamp_min.default", "aten.clamp_max.default"):
        a = args[0]
        lo = args[1] if target != "aten.clamp_max.default" else None
        hi = (args[2] if len(args) > 2 else kwargs.get("max")) if target == "aten.clamp.default" else (
            args[1] if target == "aten.clamp_max.default" else None)
        if target == "aten.clamp.default":
            lo = args[1] if len(args) > 1 else kwargs.get("min")
        out = a
        if lo is not None:
            dtype = _promote([out, lo])
            x, y = tr.cast(out, dtype), tr.cast(lo, dtype)
            out = tr.emit(f"({x} if ({x} != {x} or {x} > {y}) else {y})", _level([out, lo]), dtype)
        if hi is not None:
            dtype = _promote([out, hi])
            x, y = tr.cast(out, dtype), tr.cast(hi, dtype)
            out = tr.emit(f"({x} if ({x} != {x} or {x} < {y}) else {y})", _level([out, hi]), dtype)
        return out
    if target in ("aten.maximum.default", "aten.minimum.default"):
        a, b = args
        dtype = _promote([a, b])
        x, y = tr.cast(a, dtype), tr.cast(b, dtype)
        op = ">" if target == "aten.maximum.default" else "<"
        return tr.emit(f"({x} if {x} != {x} else ({y} if {y} != {y} else ({x} if {x} {op} {y} else {y})))",
                       _level([a, b]), dtype)
    if target == "aten.threshold_backward.default":
        grad, x, threshold = args
        dtype = _promote([grad, x])
        # torch: x <= threshold ? 0 : grad (so a NaN x passes the gradient)
        return tr.emit(f"({tr.zero(dtype)} if {tr.cast(x, dtype)} <= {tr.cast(threshold, dtype)} else "
                       f"{tr.cast(grad, dtype)})", _level([grad, x]), dtype)
    if target == "aten.tanh_backward.default":
        grad, y = args
        dtype = _promote([grad, y])
        g, yy = tr.cast(grad, dtype), tr.cast(y, dtype)
        return tr.emit(f"{g} * ({tr.one(dtype)} - {yy} * {yy})", _level([grad, y]), dtype)
    if target == "aten.sigmoid_backward.default":
        grad, y = args
        dtype = _promote([grad, y])
        g, yy = tr.cast(grad, dtype), tr.cast(y, dtype)
        return tr.emit(f"{g} * ({tr.one(dtype)} - {yy}) * {yy}", _level([grad, y]), dtype)
    if target in ("aten.logical_not.default", "aten.bitwise_not.default"):
        a = args[0]
        if not (isinstance(a, _Value) and a.dtype == torch.bool):
            raise Unsupported(f"{target} of a non-boolean")
        return tr.emit(f"not {a.expr}", a.level, torch.bool)
    if target in ("aten.logical_and.default", "aten.logical_or.default", "aten.bitwise_and.Tensor",
                  "aten.bitwise_or.Tensor"):
        a, b = args
        op = "and" if "and" in target else "or"
        return tr.emit(f"({tr.cast(a, torch.bool)} {op} {tr.cast(b, torch.bool)})", _level([a, b]), torch.bool)
    if target in ("aten.zeros.default", "aten.ones.default", "aten.full.default", "aten.scalar_tensor.default"):
        shape = node.args[0] if target != "aten.scalar_tensor.default" else []
        if list(shape) not in ([],):
            raise Unsupported(f"{target} of shape {shape}")
        fill = 0.0 if "zeros" in target else 1.0 if "ones" in target else node.args[1 if target == "aten.full.default" else 0]
        dtype = kwargs.get("dtype") or torch.get_default_dtype()
        return tr.emit(tr.literal(fill, dtype), "const", dtype)
    if target == "aten.sum.default":
        a = args[0]
        if not isinstance(a, _Value) or a.level == "const":
            raise Unsupported("a sum of a constant")
        dtype = kwargs.get("dtype") or a.dtype
        return _Value(a.expr if dtype == a.dtype else f"{NUMBA_TYPES[dtype]}({a.expr})", "red", dtype)
    raise Unsupported(f"the operation {target}")


def _like(tr: _Translator, node: torch.fx.Node) -> _Value:
    """``zeros_like``, ``ones_like`` and ``full_like``: a literal shaped like the source, which
    need not have been translated (only its shape and dtype matter; see :func:`value_inputs`)."""
    target = str(node.target)
    fill = 0.0 if "zeros" in target else 1.0 if "ones" in target else tr.arg(node.args[1])
    source = node.args[0]
    if isinstance(source, torch.fx.Node) and source not in tr.env:
        val = source.meta.get("val")
        if not isinstance(val, torch.Tensor):
            raise Unsupported(f"{target} of a value of unknown shape")
        dtype = node.kwargs.get("dtype") or val.dtype
        level = "elem" if val.dim() else "const"
    else:
        src = tr.arg(source)
        dtype = node.kwargs.get("dtype") or (src.dtype if isinstance(src, _Value) else torch.get_default_dtype())
        # a tensor shaped like its source: per-neuron (dimensioned) where the source is
        level = src.level if isinstance(src, _Value) and src.level == "elem" else "const"
    return tr.emit(tr.literal(fill, dtype), level, dtype)


def _pow(tr: _Translator, a: Any, e: Any) -> _Value:
    """``torch.pow(a, e)`` for a number ``e``, with torch's special cases (e = 2 is ``a·a``...)."""
    if isinstance(a, _Value) and a.level == "red":
        raise Unsupported("a sum over the population raised to a power")
    dtype = _promote([a, e])
    if not dtype.is_floating_point:
        raise Unsupported("an integer power")
    x = tr.cast(a, dtype)
    one = tr.one(dtype)
    special = {2: f"{x} * {x}", 3: f"{x} * {x} * {x}", 0.5: f"math.sqrt({x})", -0.5: f"{one} / math.sqrt({x})",
               -1: f"{one} / {x}", -2: f"{one} / ({x} * {x})", 1: x}
    if e in special:
        expr = special[e]
    else:
        expr = f"{x} ** {tr.literal(e, dtype)}"
    return tr.emit(expr, _level([a]), dtype, _wrapped([a]))
