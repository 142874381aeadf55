"""Interchange with NIR, the Neuromorphic Intermediate Representation (``spikeplug[nir]``).

:func:`to_nir` turns a spikeplug network (a chain of modules, recurrent populations included,
or a :class:`GraphNetwork`) into a :class:`nir.NIRGraph`; :func:`from_nir` turns a NIR graph
(or a file written by ``nir.write``) back into a stateful :class:`~spikeplug.SequentialState`
(a chain) or :class:`GraphNetwork` (branches and merges) whose ``forward(x, state)`` returns
``(output, state)``.

The core knows the stateless primitives (``Affine``, ``Linear``, ``Conv2d``, ``Flatten``,
``AvgPool2d``, ``SumPool2d``) and no neuron family: each plugin declares the NIR mapping of
its own models through the hook ``spikeplug_nir_mappings`` (:class:`spikeplug.plugins.NIRMapping`).
Translation tables, units and the relation between NIR's ODEs and spikeplug's Euler step:
``docs/nir.md``.

Importing this module imports neither ``nir`` nor ``nirtorch``; the functions do, and say how
to install them when they are missing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .containers import Lift, SequentialState
from .errors import SpikeplugError

if TYPE_CHECKING:
    import nir as nir_module
    import numpy as np

__all__ = [
    "NIRError",
    "InputGain",
    "GraphNetwork",
    "to_nir",
    "from_nir",
    "inspect_graph",
    "as_array",
    "from_array",
    "positive_field",
    "finite_field",
    "STRUCTURAL_TYPES",
]

#: NIR node types the core maps itself (neurons come from plugins)
STRUCTURAL_TYPES = ("Input", "Output", "Affine", "Linear", "Conv2d", "Flatten", "AvgPool2d", "SumPool2d")
_META = "spikeplug."  # prefix of the provenance keys in a node's metadata
_RTOL = 1e-6  # how closely a node must match the model its provenance names to rebuild that model exactly


class NIRError(SpikeplugError, ValueError):
    """A network that NIR cannot express, or a NIR graph spikeplug cannot import exactly."""


def _nir() -> Any:
    try:
        import nir
    except ImportError as exc:  # pragma: no cover - the test environment has the extra
        raise NIRError("NIR interchange needs the 'nir' package: pip install 'spikeplug[nir]'") from exc
    return nir


def _np() -> Any:
    import numpy as np

    return np


def _registry(registry: Any) -> Any:
    if registry is not None:
        return registry
    from spikeplug.plugins import get_registry

    return get_registry()


def _check_dt(dt: Any) -> float:
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not math.isfinite(dt) or dt <= 0:
        raise NIRError(f"dt must be a positive number of seconds (the step the graph is simulated at), got {dt!r}")
    return float(dt)


# ---------------------------------------------------------------- helpers for plugin mappings
def as_array(value: Any, shape: Sequence[int]) -> np.ndarray:
    """A parameter value (float or tensor broadcastable to ``shape``) as a float64 array of ``shape``.

    >>> as_array(2.0, (3,)).tolist()
    [2.0, 2.0, 2.0]
    """
    np = _np()
    if isinstance(value, torch.Tensor):
        value = value.detach().to("cpu", torch.float64).numpy()
    return np.array(np.broadcast_to(np.asarray(value, dtype=np.float64), tuple(shape)))


def from_array(array: Any) -> float | torch.Tensor:
    """A NIR parameter array as spikeplug takes it: a float when every neuron shares the value,
    else a float64 tensor of the array's shape (:func:`from_nir` makes it the ``dtype`` it builds).

    >>> from_array([0.5, 0.5])
    0.5
    """
    np = _np()
    a = np.asarray(array, dtype=np.float64)
    if a.size == 0:
        raise NIRError("a NIR parameter array is empty")
    flat = a.reshape(-1)
    if np.all(flat == flat[0]):
        return float(flat[0])
    return torch.from_numpy(a.copy())


def positive_field(node: Any, name: str) -> np.ndarray:
    """``node.<name>`` as a float64 array, checked finite and positive (time constants)."""
    np = _np()
    a = np.asarray(getattr(node, name), dtype=np.float64)
    bad = a[~(np.isfinite(a) & (a > 0))]
    if bad.size:
        raise NIRError(f"{type(node).__name__}.{name} must be finite and positive (seconds), got {bad.reshape(-1)[0]!r}")
    return a


def finite_field(node: Any, name: str) -> np.ndarray:
    """``node.<name>`` as a float64 array, checked finite (potentials, ``r``, ``w_in``)."""
    np = _np()
    a = np.asarray(getattr(node, name), dtype=np.float64)
    bad = a[~np.isfinite(a)]
    if bad.size:
        raise NIRError(f"{type(node).__name__}.{name} must be finite, got {bad.reshape(-1)[0]!r}")
    return a


class InputGain(nn.Module):
    """Multiplies the input by a fixed gain: the part of a NIR node's input scaling (``r``,
    ``w_in``) that the neuron model itself has no parameter for. Stateless."""

    def __init__(self, gain: float | torch.Tensor, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.register_buffer("gain", torch.as_tensor(gain, dtype=dtype).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain

    def extra_repr(self) -> str:
        return f"gain={self.gain.tolist() if self.gain.numel() <= 4 else tuple(self.gain.shape)}"


class SumPool2d(nn.AvgPool2d):
    """NIR's ``SumPool2d``: the sum over each window (an average pool with divisor 1)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0):
        super().__init__(kernel_size, stride, padding, divisor_override=1)


# ---------------------------------------------------------------- export
def _leaves(module: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    if isinstance(module, GraphNetwork) and prefix:
        raise NIRError(
            f"module {prefix.rstrip('_')!r} is a GraphNetwork inside another container; to_nir writes a GraphNetwork "
            "only as the whole network (its branches would be lost in a chain): export it on its own"
        )
    if isinstance(module, GraphNetwork):
        return [leaf for nid in module.order if nid in module.keys
                for leaf in _leaves(module.nodes[module.keys[nid]], f"{prefix}{nid}_")]
    if isinstance(module, (SequentialState, nn.Sequential)):
        out = []
        for name, child in module.named_children():
            out.extend(_leaves(child, f"{prefix}{name}_"))
        return out
    if isinstance(module, Lift):
        return _leaves(module.lifted_module, prefix)
    return [(prefix.rstrip("_") or "0", module)]


def _neuron_entry(module: nn.Module, reg: Any) -> tuple[Any, Any] | None:
    """``(model entry, NIR mapping entry or None)`` of a spikeplug neuron module, ``None`` for other modules.

    The module's model is found by identity among the registered factories; where several
    entries share one model (a plugin re-registering a family), one with a mapping wins."""
    model = getattr(type(module), "model", None)
    if model is None or not hasattr(module, "params"):
        return None
    found = []
    for entry in reg.entries(kind="neuron"):
        try:
            factory = reg.factory(entry.qualified_name)
        except SpikeplugError:
            continue
        if getattr(factory, "model", None) is model:
            found.append((entry, reg.nir_mapping(entry.qualified_name)))
    found.sort(key=lambda f: (f[1] is None, (f[0].distribution or "").lower() != "spikeplug", f[0].qualified_name))
    return found[0] if found else None


def _param_values(p: Any) -> dict[str, Any]:
    import attrs

    out = {}
    for field in attrs.fields(type(p)):
        v = getattr(p, field.name)
        if isinstance(v, torch.Tensor):
            v = v.detach().cpu().tolist()
        out[field.name] = v
    return out


def _unsupported_model(name: str, leaf: str, reg: Any) -> NIRError:
    mapped = sorted({t for e in reg.nir_mappings() for t in e.spec.nir_types})
    owners = ", ".join(f"{e.qualified_name} ↔ {'/'.join(e.spec.nir_types)}" for e in reg.nir_mappings())
    return NIRError(
        f"module {leaf!r} is the model {name!r}, whose plugin declares no NIR mapping; NIR has no node for it. "
        f"NIR neuron primitives spikeplug maps: {', '.join(mapped) or 'none'} ({owners or 'no plugin declares one'}); "
        f"stateless primitives: {', '.join(STRUCTURAL_TYPES[2:])}"
    )


def to_nir(
    module: nn.Module, sample_input: torch.Tensor | None = None, *, dt: float, registry: Any = None
) -> nir_module.NIRGraph:
    """The NIR graph of a feed-forward network simulated at step ``dt`` (seconds).

    :param module: a spikeplug neuron module, a ``torch.nn`` primitive, or a
        :class:`~spikeplug.SequentialState` / ``torch.nn.Sequential`` of them (nested ones and
        :class:`~spikeplug.Lift` are unrolled). Neuron modules need a plugin that declares their
        NIR mapping.
    :param sample_input: one input (``(B, ...)`` for cells, ``(T, B, ...)`` for layers); needed
        when a shape cannot be read from a preceding ``Linear`` (e.g. convolutions). It is run
        through the network once, without gradients.
    :param dt: the simulation step in seconds; enters the translation (see ``docs/nir.md``).
    :returns: a :class:`nir.NIRGraph` from ``input`` through the modules to ``output``; each
        neuron node carries provenance in its ``metadata`` (``spikeplug.model``, ``.plugin``,
        ``.distribution``, ``.version``, ``.dt``, ``.form``, ``.parameters``).
    """
    nir = _nir()
    np = _np()
    dt = _check_dt(dt)
    reg = _registry(registry)
    if not isinstance(module, nn.Module):
        raise NIRError(f"to_nir takes a torch.nn.Module, got {type(module).__name__}")
    leaves = _leaves(module)
    seen: dict[int, tuple[torch.Size, torch.Size]] = {}
    if sample_input is not None:

        def record_shapes(m: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            out = output[0] if isinstance(output, tuple) else output  # stateful modules return (output, state)
            seen[id(m)] = (inputs[0].shape, out.shape)

        hooks = [m.register_forward_hook(record_shapes) for _, m in leaves]
        try:
            with torch.no_grad():
                module(sample_input)
        finally:
            for h in hooks:
                h.remove()
    if isinstance(module, GraphNetwork):
        nodes, edges = _export_graph(module, seen, dt, reg)
    else:
        nodes, order, loops, first_shape, shape = _export_chain(leaves, seen, None, dt, reg)
        if not order:
            raise NIRError("to_nir got a container without modules")
        if first_shape is None or shape is None:
            raise NIRError("to_nir cannot tell the network's input and output shapes: pass sample_input")
        # nodes in the order of the chain: nirtorch-based importers (snnTorch's) build modules in dict order
        nodes = {
            "input": nir.Input(input_type={"input": np.array(first_shape)}),
            **nodes,
            "output": nir.Output(output_type={"output": np.array(shape)}),
        }
        chain = ["input", *order, "output"]
        edges = list(zip(chain[:-1], chain[1:])) + loops
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={_META + "dt": dt}, type_check=False)


def _export_graph(net: GraphNetwork, seen: dict[int, Any], dt: float, reg: Any) -> tuple[dict[str, Any], list[Any]]:
    """Nodes and edges of a :class:`GraphNetwork` (what :func:`from_nir` builds for a graph with
    branches and merges): each node's modules as a chain, wired as the network is."""
    nir = _nir()
    np = _np()
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    ends: dict[str, tuple[list[str], list[str]]] = {_INPUT: (["input"], ["input"])}  # id -> (first ids, last ids)
    out_shape: dict[str, tuple[int, ...] | None] = {_INPUT: None}
    first_shape = None
    for nid in net.order:
        preds = net.preds[nid]
        lasts = [last for p in preds for last in ends[p][1]]
        shape = next((out_shape[p] for p in preds if out_shape[p] is not None), None)
        module = net.nodes[net.keys[nid]] if nid in net.keys else None
        if module is None:  # an identity (e.g. a Linear taken into a recurrent population's W_in)
            ends[nid], out_shape[nid] = (lasts, lasts), shape
            continue
        sub_nodes, order, loops, in_shape, shape = _export_chain(_leaves(module, f"{nid}_"), seen, shape, dt, reg)
        if "input" in lasts and in_shape is not None:  # fed by the graph's input, maybe through identities
            first_shape = first_shape or in_shape
        nodes.update(sub_nodes)
        edges += [(last, order[0]) for last in lasts] + list(zip(order[:-1], order[1:])) + loops
        ends[nid], out_shape[nid] = ([order[0]], [order[-1]]), shape
    final = [last for p in net.outputs for last in ends[p][1]]
    shape = next((out_shape[p] for p in net.outputs if out_shape[p] is not None), None)
    if first_shape is None or shape is None:
        raise NIRError("to_nir cannot tell the network's input and output shapes: pass sample_input")
    nodes = {"input": nir.Input(input_type={"input": np.array(first_shape)}), **nodes,
             "output": nir.Output(output_type={"output": np.array(shape)})}
    return nodes, edges + [(last, "output") for last in final]


def _export_chain(
    leaves: list[tuple[str, nn.Module]], seen: dict[int, Any], shape: tuple[int, ...] | None, dt: float, reg: Any
) -> tuple[dict[str, Any], list[str], list[tuple[str, str]], tuple[int, ...] | None, tuple[int, ...] | None]:
    """NIR nodes of a chain of modules: ``(nodes, their ids in order, recurrent edges, input
    shape, output shape)``; ``shape`` is the per-sample shape entering the first module, if known."""
    nir = _nir()
    np = _np()
    nodes: dict[str, Any] = {}
    order: list[str] = []
    loops: list[tuple[str, str]] = []  # recurrent edges
    first_shape: tuple[int, ...] | None = None
    gain: tuple[str, Any] | None = None  # an InputGain waiting for the neuron node it feeds
    for name, leaf in leaves:
        io = seen.get(id(leaf))
        if isinstance(leaf, InputGain):  # from_nir's r/w_in: back into the next node's r
            if gain is not None:
                raise NIRError(f"modules {gain[0]!r} and {name!r} are two InputGains in a row; merge them into one")
            gain = (name, leaf.gain.detach().cpu().double().numpy())
            continue
        found = _neuron_entry(leaf, reg)
        if gain is not None and found is None:
            raise NIRError(
                f"module {gain[0]!r} is an InputGain before {name!r} ({type(leaf).__name__}); NIR can hold a gain only "
                "in the r of the neuron node it feeds"
            )
        if found is not None:
            entry, mapping = found
            wired = isinstance(leaf, _wired_types())  # recurrent and linear-cell forms carry weights
            lead = 2 if isinstance(leaf, _layer_types()) else 1
            if wired:
                shape = (leaf.hidden_size,)
            elif io is not None:
                shape = tuple(io[0][lead:])
            if shape is None:
                raise NIRError(
                    f"module {name!r} ({entry.qualified_name}) needs its population shape: put a Linear before it "
                    "or pass sample_input"
                )
            if mapping is None:
                raise _unsupported_model(entry.qualified_name, name, reg)
            from spikeplug.plugins.specs import resolve_reference

            export = resolve_reference(mapping.spec.to_nir, f"to_nir of the NIR mapping of {entry.qualified_name}")
            node = export(leaf.params(), shape, dt)
            if gain is not None:
                if getattr(node, "r", None) is None:
                    raise NIRError(
                        f"module {gain[0]!r} is an InputGain before {name!r}, whose NIR node ({type(node).__name__}) "
                        "has no r to hold it"
                    )
                node.r = np.asarray(node.r, np.float64) * np.broadcast_to(gain[1], tuple(shape))  # r scales the input
                gain = None
            node.metadata = {
                **dict(getattr(node, "metadata", None) or {}),
                _META + "model": entry.qualified_name,
                _META + "plugin": entry.plugin,
                _META + "distribution": entry.distribution or "",
                _META + "version": entry.version or "",
                _META + "dt": dt,
                _META + "form": _form_of(leaf),
                _META + "parameters": json.dumps(_param_values(leaf.params())),
            }
            if wired:
                # W_in: a Linear node before the population; W_rec: a Linear node the population
                # feeds and is fed by (the edge back carries the last step's spikes), written flat
                # as nirtorch-based exporters write theirs
                w_in = f"{name}_w_in"  # outside the population's group "{name}.…" (nirtorch nests dotted ids)
                nodes[w_in] = nir.Linear(weight=leaf.input_weights.detach().cpu().numpy())
                order.append(w_in)
                if first_shape is None:
                    first_shape = (leaf.input_size,)
                if isinstance(leaf, _recurrent_types()):
                    from .model import linear_input

                    if leaf.model.recurrent_input is not linear_input:
                        raise NIRError(
                            f"module {name!r} is a {type(leaf).__name__} of {entry.qualified_name}, whose recurrent input "
                            "is its own, not x·W_inᵀ + z·W_recᵀ, which is all a Linear node fed back can express"
                        )
                    node.metadata[_META + "autapses"] = int(leaf.autapses)
                    name, w_rec = f"{name}.neuron", f"{name}.w_rec"
                    nodes[name] = node  # the neuron before its W_rec: dict order is chain order for nirtorch
                    nodes[w_rec] = nir.Linear(weight=leaf.effective_recurrent_weights().detach().cpu().numpy())
                    loops.extend([(name, w_rec), (w_rec, name)])
                nodes[name] = node
                order.append(name)
                continue
        elif isinstance(leaf, nn.Linear):
            w = leaf.weight.detach().cpu().numpy()
            if leaf.bias is not None:
                node = nir.Affine(weight=w, bias=leaf.bias.detach().cpu().numpy())
            else:
                node = nir.Linear(weight=w)
            shape = (leaf.in_features,)
        elif isinstance(leaf, nn.Conv2d):
            if io is None:
                raise NIRError(f"module {name!r} (Conv2d) needs its input's height and width: pass sample_input")
            shape = tuple(io[0][-3:])
            if leaf.padding_mode != "zeros":
                raise NIRError(f"module {name!r} (Conv2d) has padding_mode={leaf.padding_mode!r}; NIR's Conv2d pads with zeros")
            bias = leaf.bias.detach().cpu().numpy() if leaf.bias is not None else np.zeros(leaf.out_channels, np.float32)
            node = nir.Conv2d(
                input_shape=shape[-2:], weight=leaf.weight.detach().cpu().numpy(), stride=leaf.stride,
                padding=leaf.padding, dilation=leaf.dilation, groups=leaf.groups, bias=bias,
            )
        elif isinstance(leaf, nn.Flatten):
            if io is None:
                raise NIRError(f"module {name!r} (Flatten) needs the shape it flattens: pass sample_input")
            shape = tuple(io[0][leaf.start_dim:])
            end = leaf.end_dim if leaf.end_dim < 0 else leaf.end_dim - leaf.start_dim
            node = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=end)
        elif isinstance(leaf, nn.AvgPool2d):
            ks, st, pd = (np.array(_pair(v)) for v in (leaf.kernel_size, leaf.stride, leaf.padding))
            if leaf.divisor_override == 1:
                node = nir.SumPool2d(kernel_size=ks, stride=st, padding=pd)
            elif leaf.divisor_override is None and leaf.count_include_pad and not leaf.ceil_mode:
                node = nir.AvgPool2d(kernel_size=ks, stride=st, padding=pd)
            else:
                raise NIRError(
                    f"module {name!r} (AvgPool2d) uses ceil_mode/count_include_pad=False/divisor_override="
                    f"{leaf.divisor_override!r}; NIR's AvgPool2d and SumPool2d express none of them"
                )
            if io is not None:
                shape = tuple(io[0][-3:])
        else:
            raise NIRError(
                f"module {name!r} ({type(leaf).__name__}) has no NIR node; spikeplug exports neuron models whose "
                f"plugin declares a NIR mapping and the torch modules Linear, Conv2d, Flatten, AvgPool2d"
            )
        if first_shape is None:
            first_shape = shape
        nodes[name] = node
        order.append(name)
        if isinstance(leaf, nn.Linear):
            shape = (leaf.out_features,)
        elif io is not None and shape is not None:
            shape = tuple(io[1][len(io[0]) - len(shape):])  # as many leading (time, batch) dims as the input had
        elif isinstance(leaf, nn.AvgPool2d):
            shape = None  # pooled size unknown without a sample input
    if gain is not None:
        raise NIRError(f"module {gain[0]!r} is an InputGain with no neuron after it to hold it in its r")
    return nodes, order, loops, first_shape, shape


def _pair(v: Any) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _wired_types() -> tuple[type, ...]:
    from .modules import NeuronLinearCell, NeuronRecurrent, NeuronRecurrentCell

    return (NeuronRecurrentCell, NeuronRecurrent, NeuronLinearCell)


def _recurrent_types() -> tuple[type, ...]:
    from .modules import NeuronRecurrent, NeuronRecurrentCell

    return (NeuronRecurrentCell, NeuronRecurrent)


def _form_of(leaf: nn.Module) -> str:
    from .modules import NeuronLayer, NeuronRecurrent, NeuronRecurrentCell

    for cls, form in ((NeuronRecurrent, "recurrent"), (NeuronRecurrentCell, "recurrent_cell"), (NeuronLayer, "layer")):
        if isinstance(leaf, cls):
            return form
    return "cell"  # cells, and linear cells (exported as Linear + cell)


def _layer_types() -> tuple[type, ...]:
    from .modules import NeuronLayer, NeuronRecurrent

    return (NeuronLayer, NeuronRecurrent)


# ---------------------------------------------------------------- import
def _read(graph_or_path: Any) -> Any:
    nir = _nir()
    if isinstance(graph_or_path, (str, os.PathLike)):
        if not os.path.exists(graph_or_path):
            raise NIRError(f"no NIR file at {os.fspath(graph_or_path)!r}")
        return nir.read(graph_or_path)
    if not isinstance(graph_or_path, nir.NIRGraph):
        raise NIRError(f"from_nir takes a nir.NIRGraph or the path of a NIR file, got {type(graph_or_path).__name__}")
    return graph_or_path


def _meta(node: Any) -> dict[str, Any]:
    out = {}
    for k, v in (getattr(node, "metadata", None) or {}).items():
        if isinstance(v, bytes):
            v = v.decode()
        elif hasattr(v, "item") and getattr(v, "shape", None) == ():
            v = v.item()
            v = v.decode() if isinstance(v, bytes) else v
        out[str(k)] = v
    return out


def _shape(node: Any, port: str) -> tuple[int, ...] | None:
    types = getattr(node, "input_type" if port == "input" else "output_type", None) or {}
    v = types.get(port)
    if v is None:
        return None
    try:
        return tuple(int(s) for s in v)
    except TypeError:
        return None


def _importers(reg: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for e in reg.nir_mappings():
        for t in e.spec.nir_types:
            out.setdefault(t, []).append(e)
    return out


def _choose(nid: str, ntype: str, meta: dict[str, Any], importers: dict[str, list[Any]]) -> Any:
    candidates = importers.get(ntype, [])
    named = meta.get(_META + "model")
    for e in candidates:
        if e.qualified_name == named:
            return e
    if len(candidates) == 1:
        return candidates[0]
    own = [e for e in candidates if (e.distribution or "").lower() == "spikeplug"]
    if len(own) == 1:
        return own[0]
    raise NIRError(
        f"node {nid!r} has NIR type {ntype!r}, which several plugins import ({', '.join(e.qualified_name for e in candidates)}); "
        f"spikeplug cannot choose"
    )


def _unknown(nid: str, ntype: str, importers: dict[str, list[Any]]) -> NIRError:
    supported = sorted(set(STRUCTURAL_TYPES) | set(importers))
    return NIRError(
        f"node {nid!r} has NIR type {ntype!r}, which spikeplug cannot import; supported types: {', '.join(supported)}"
    )


def _structural(nid: str, node: Any, dtype: torch.dtype) -> nn.Module | None:
    nir = _nir()
    if isinstance(node, (nir.Input, nir.Output)):
        return None
    if isinstance(node, (nir.Affine, nir.Linear)):
        w = _tensor(node.weight, dtype)
        if w.dim() != 2:
            raise NIRError(f"node {nid!r} ({type(node).__name__}) has a weight of shape {tuple(w.shape)}; expected (out, in)")
        has_bias = isinstance(node, nir.Affine)
        m = nn.Linear(w.shape[1], w.shape[0], bias=has_bias, dtype=w.dtype)
        with torch.no_grad():
            m.weight.copy_(w)
            if has_bias:
                b = _tensor(node.bias, w.dtype)
                if tuple(b.shape) != (w.shape[0],):
                    raise NIRError(f"node {nid!r} (Affine) has a bias of shape {tuple(b.shape)}; expected ({w.shape[0]},)")
                m.bias.copy_(b)
        return m
    if isinstance(node, nir.Conv2d):
        w = _tensor(node.weight, dtype)
        padding = node.padding if isinstance(node.padding, str) else _ints(node.padding)  # 'same'/'valid' pass as is
        m = nn.Conv2d(
            w.shape[1] * int(node.groups), w.shape[0], tuple(w.shape[-2:]), stride=_ints(node.stride),
            padding=padding, dilation=_ints(node.dilation), groups=int(node.groups), bias=True, dtype=w.dtype,
        )
        with torch.no_grad():
            m.weight.copy_(w)
            m.bias.copy_(_tensor(node.bias, w.dtype))
        return m
    if isinstance(node, nir.Flatten):
        # NIR counts dimensions without the batch; torch's Flatten counts the batch as dimension 0
        end = int(node.end_dim)
        return nn.Flatten(start_dim=int(node.start_dim) + 1, end_dim=end if end < 0 else end + 1)
    if isinstance(node, (nir.AvgPool2d, nir.SumPool2d)):
        ks, st, pd = (_ints(v) for v in (node.kernel_size, node.stride, node.padding))
        if isinstance(node, nir.SumPool2d):
            return SumPool2d(ks, st, pd)
        return nn.AvgPool2d(ks, st, pd)
    return None


def _over_time(m: nn.Module) -> nn.Module:
    """A per-step primitive for time-first input ``(T, B, ...)``: a bias-free convolution as
    :class:`~spikeplug.LConv2d` (one call over all steps), pools and Flatten lifted."""
    if isinstance(m, nn.Linear):
        return m  # acts on the last dimension, whatever comes before
    if isinstance(m, nn.Conv2d) and m.bias is not None and not bool(m.bias.detach().any()) and m.padding_mode == "zeros":
        from .conv import LConv2d

        conv = LConv2d(m.in_channels, m.out_channels, m.kernel_size, stride=m.stride, padding=m.padding,
                       dilation=m.dilation, groups=m.groups, dtype=m.weight.dtype)
        with torch.no_grad():
            conv.weight.copy_(m.weight)
        return conv
    return Lift(m)


def _tensor(value: Any, dtype: torch.dtype) -> torch.Tensor:
    """A node's array (numpy, or a torch tensor as some exporters leave in the node) as a tensor of ``dtype``."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", dtype).clone()
    return torch.from_numpy(_np().array(value)).to(dtype)


def _ints(v: Any) -> Any:
    np = _np()
    a = np.atleast_1d(np.asarray(v)).astype(int).tolist()
    return a[0] if len(a) == 1 else tuple(a)


def _rebuild_exact(entry: Any, node: Any, meta: dict[str, Any], dt: float, reg: Any) -> dict[str, Any] | None:
    """The exported model's own parameters, when the node's provenance names this model at this
    ``dt`` and exporting those parameters gives this node again (so nobody edited the node)."""
    np = _np()
    if meta.get(_META + "model") != entry.qualified_name or _META + "parameters" not in meta:
        return None
    try:
        if not math.isclose(float(meta.get(_META + "dt", float("nan"))), dt, rel_tol=1e-12):
            return None
        values = json.loads(meta[_META + "parameters"])
    except (TypeError, ValueError):
        return None
    from spikeplug.plugins.specs import resolve_reference

    overrides = {k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, list) else v) for k, v in values.items()}
    overrides["dt"] = dt
    try:
        probe = reg.create(entry.qualified_name, form="cell", **overrides)
        shape = _shape(node, "input")
        again = resolve_reference(entry.spec.to_nir, "to_nir")(probe.params(), shape, dt)
    except Exception:  # noqa: BLE001 - a provenance that cannot be rebuilt falls back to the node's values
        return None
    for field in again.to_dict():
        if field in ("type", "metadata"):
            continue
        a, b = getattr(again, field, None), getattr(node, field, None)
        try:
            if not np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=_RTOL, atol=0.0):
                return None
        except (TypeError, ValueError):
            return None
    return overrides


def _neuron_import(
    nid: str, node: Any, dt: float, reg: Any, importers: dict[str, list[Any]], dtype: torch.dtype
) -> tuple[Any, dict[str, Any], Any, dict[str, Any]]:
    """``(mapping entry, create() keywords, input gain, provenance)`` of a neuron node; tensor
    parameters in ``dtype``."""
    ntype = type(node).__name__
    if ntype not in importers:
        raise _unknown(nid, ntype, importers)
    meta = _meta(node)
    entry = _choose(nid, ntype, meta, importers)
    exact = _rebuild_exact(entry, node, meta, dt, reg)
    if exact is not None:
        return entry, _in_dtype(exact, dtype), 1.0, meta
    from spikeplug.plugins.specs import NIRImport, resolve_reference

    importer = resolve_reference(entry.spec.from_nir, f"from_nir of the NIR mapping of {entry.qualified_name}")
    try:
        imp = importer(node, dt)
    except NIRError as exc:
        raise NIRError(f"node {nid!r} ({ntype}, imported as {entry.qualified_name}): {exc}") from exc
    if not isinstance(imp, NIRImport):
        raise NIRError(
            f"from_nir of {entry.qualified_name} returned {type(imp).__name__}; a NIR mapping must return NIRImport"
        )
    overrides = dict(imp.overrides)
    overrides["dt"] = dt
    return entry, _in_dtype(overrides, dtype), imp.input_gain, meta


def _in_dtype(values: dict[str, Any], dtype: torch.dtype) -> dict[str, Any]:
    return {k: (v.to(dtype) if isinstance(v, torch.Tensor) and v.is_floating_point() else v) for k, v in values.items()}


def _is_unit_gain(gain: Any) -> bool:
    return isinstance(gain, (int, float)) and float(gain) == 1.0


def _create(entry: Any, nid: str, ntype: str, form: str, reg: Any, **kwargs: Any) -> nn.Module:
    try:
        return reg.create(entry.qualified_name, form=form, **kwargs)
    except SpikeplugError as exc:
        raise NIRError(f"node {nid!r} ({ntype}) gives parameters {entry.qualified_name} refuses: {exc}") from exc


def _recurrent_parts(sub: Any) -> tuple[str, str] | None:
    """``(neuron id, weight id)`` when subgraph ``sub`` is one recurrent population:
    Input → neuron → Output and neuron ⇄ Linear/Affine, nothing else."""
    nir = _nir()
    kinds: dict[str, list[str]] = {"in": [], "out": [], "w": [], "n": []}
    for k, n in sub.nodes.items():
        if isinstance(n, nir.Input):
            kinds["in"].append(k)
        elif isinstance(n, nir.Output):
            kinds["out"].append(k)
        elif isinstance(n, (nir.Affine, nir.Linear)):
            kinds["w"].append(k)
        elif type(n).__name__ not in STRUCTURAL_TYPES and not isinstance(n, nir.NIRGraph):
            kinds["n"].append(k)
    if len(sub.nodes) != 4 or any(len(v) != 1 for v in kinds.values()):
        return None
    (i,), (o,), (w,), (n,) = kinds["in"], kinds["out"], kinds["w"], kinds["n"]
    if {tuple(e) for e in sub.edges} != {(i, n), (n, w), (w, n), (n, o)} or len(sub.edges) != 4:
        return None
    return n, w


def _collapse_recurrent(graph: Any) -> Any:
    """``graph`` with every flat recurrent population (a neuron node and a Linear/Affine node
    feeding each other, the weight node touching nothing else) as one subgraph node, the way
    :func:`to_nir` writes them; the graph passed in is not changed."""
    nir = _nir()
    np = _np()
    edges = [tuple(e) for e in graph.edges]
    pairs = []
    for src, dst in edges:
        n, w = graph.nodes.get(src), graph.nodes.get(dst)
        if not isinstance(w, (nir.Affine, nir.Linear)) or (dst, src) not in edges:
            continue
        if n is None or type(n).__name__ in STRUCTURAL_TYPES or isinstance(n, nir.NIRGraph):
            continue
        if sorted(e for e in edges if dst in e) == sorted([(src, dst), (dst, src)]):  # the weights touch nothing else
            pairs.append((src, dst))
    if not pairs:
        return graph
    nodes = dict(graph.nodes)
    for n, w in pairs:
        hidden = np.array([tuple(nodes[w].weight.shape)[0]])
        # the subgraph takes the neuron's id and keeps both nodes' ids, so errors name them as the file does
        sub = nir.NIRGraph(
            nodes={"input": nir.Input(input_type={"input": hidden}), n: nodes[n], w: nodes[w],
                   "output": nir.Output(output_type={"output": hidden})},
            edges=[("input", n), (n, w), (w, n), (n, "output")],
            type_check=False,
        )
        del nodes[w]
        nodes[n] = sub
        edges = [e for e in edges if w not in e]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=dict(getattr(graph, "metadata", None) or {}), type_check=False)


def _recurrent_module(
    nid: str, sub: Any, previous: nn.Module | None, dt: float, form: str | None, reg: Any,
    importers: dict[str, list[Any]], dtype: torch.dtype,
) -> tuple[nn.Module, bool]:
    """The spikeplug recurrent population of subgraph ``nid``; ``True`` when it took
    ``previous`` (a bias-free Linear with ``hidden`` outputs) as its input weights."""
    n_id, w_id = _recurrent_parts(sub)  # type: ignore[misc]
    node, w_node = sub.nodes[n_id], sub.nodes[w_id]
    prefix = "" if n_id == nid else f"{nid}."  # a flat population collapsed by _collapse_recurrent keeps its ids
    where, w_where = prefix + n_id, prefix + w_id
    entry, overrides, gain, meta = _neuron_import(where, node, dt, reg, importers, dtype)
    ntype = type(node).__name__
    w_rec = _tensor(w_node.weight, dtype)
    if w_rec.dim() != 2 or w_rec.shape[0] != w_rec.shape[1]:
        raise NIRError(
            f"node {w_where!r} ({type(w_node).__name__}) is the recurrent weight of {where!r} but has shape "
            f"{tuple(w_rec.shape)}; expected (hidden, hidden)"
        )
    hidden = w_rec.shape[0]
    b_rec = getattr(w_node, "bias", None)
    b_rec = None if b_rec is None else _tensor(b_rec, dtype)
    b_rec = None if b_rec is None or not bool((b_rec != 0).any()) else b_rec
    if b_rec is not None:
        # the recurrent edge adds b every step: the same as adding it to the population's input
        if not isinstance(previous, nn.Linear) or previous.out_features != hidden or tuple(b_rec.shape) != (hidden,):
            raise NIRError(
                f"node {w_where!r} (Affine) adds a bias of shape {tuple(b_rec.shape)} on the recurrent edge of "
                f"{where!r}; spikeplug's recurrent input x·W_inᵀ + z·W_recᵀ has no bias of its own and takes it into "
                f"an Affine/Linear with {hidden} outputs right before the population, which this graph does not have"
            )
        with torch.no_grad():
            if previous.bias is None:
                previous.bias = nn.Parameter(b_rec.to(previous.weight.dtype).clone())
            else:
                previous.bias.add_(b_rec.to(previous.bias.dtype))
    took = isinstance(previous, nn.Linear) and previous.bias is None and previous.out_features == hidden
    if took:
        w_in = previous.weight.detach().clone()  # type: ignore[union-attr]
    else:  # the population's input arrives as is: W_in = identity
        w_in = torch.eye(hidden, dtype=w_rec.dtype)
    if not _is_unit_gain(gain):  # the gain scales the population's whole input, both products
        g = torch.as_tensor(gain, dtype=w_rec.dtype).reshape(-1, 1)
        w_in, w_rec = g * w_in, g * w_rec
    rform = {"layer": "recurrent", "cell": "recurrent_cell"}.get(form or "", None) or meta.get(_META + "form")
    if rform not in ("recurrent", "recurrent_cell"):
        rform = "recurrent_cell"
    autapses = bool(int(meta.get(_META + "autapses", 1)))
    module = _create(
        entry, where, ntype, rform, reg, input_size=w_in.shape[1], hidden_size=hidden,
        input_weights=w_in.to(w_rec.dtype), recurrent_weights=w_rec, autapses=autapses, **overrides,
    )
    return module, took


def from_nir(
    graph_or_path: Any, *, dt: float, form: str | None = None, dtype: torch.dtype = torch.float32, registry: Any = None
) -> nn.Module:
    """A stateful spikeplug network that simulates a NIR graph at step ``dt`` (seconds).

    :param graph_or_path: a :class:`nir.NIRGraph` or the path of a file written by ``nir.write``.
    :param dt: the simulation step in seconds. The neuron models' Euler step at ``dt`` follows
        each node's ODE as ``docs/nir.md`` states; input scalings (``r``, ``w_in``) the model has
        no parameter for become an :class:`InputGain` before it.
    :param form: ``"cell"`` (one step per call, ``(B, ...)``) or ``"layer"`` (time first,
        ``(T, B, ...)``) for the neuron modules (recurrent populations: ``recurrent_cell`` or
        ``recurrent``); default: the form recorded by :func:`to_nir`, else ``"cell"``.
    :param dtype: the floating dtype of every weight and tensor parameter (NIR files usually hold
        float64 arrays; torch works in float32 by default).
    :returns: a :class:`~spikeplug.SequentialState` for a chain, a :class:`GraphNetwork` for a
        graph with branches and merges: ``forward(x, state=None) -> (output, state)``.
        A node whose provenance names a spikeplug model exported at this ``dt``, and that still
        matches it, is rebuilt as exactly that model (parameters bit for bit). A recurrent
        population (a subgraph, or a neuron node and a weight node feeding each other) becomes
        that model's recurrent form; a bias-free ``Linear`` right before it becomes its input
        weights.
    """
    dt = _check_dt(dt)
    if form not in (None, "cell", "layer"):
        raise NIRError(f"form must be 'cell', 'layer' or None, got {form!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise NIRError(f"dtype must be a floating torch.dtype such as torch.float32, got {dtype!r}")
    reg = _registry(registry)
    return _import_graph(_read(graph_or_path), dt, form, reg, dtype)


def _recorded_forms(graph: Any) -> set[Any]:
    """The forms :func:`to_nir` recorded in the nodes' provenance, subgraphs included."""
    nir = _nir()
    forms = set()
    for node in graph.nodes.values():
        forms |= _recorded_forms(node) if isinstance(node, nir.NIRGraph) else {_meta(node).get(_META + "form")}
    return forms


def _import_graph(graph: Any, dt: float, form: str | None, reg: Any, dtype: torch.dtype) -> nn.Module:
    nir = _nir()
    recorded = _recorded_forms(graph)
    graph = _collapse_recurrent(graph)
    order, preds, succs = _topology(graph)
    importers = _importers(reg)
    for src, dst in graph.edges:
        out_shape, in_shape = _shape(graph.nodes[src], "output"), _shape(graph.nodes[dst], "input")
        if out_shape is not None and in_shape is not None and out_shape != in_shape:
            hint = ""
            if in_shape == () or out_shape == ():
                scalar = dst if in_shape == () else src
                hint = (f"; {scalar!r} has 0-dimensional parameters, which NIR types as one neuron (Norse 1.1.0 "
                        f"and snnTorch 1.0.0 write homogeneous populations so): give its parameters the shape "
                        f"{out_shape if in_shape == () else in_shape}")
            raise NIRError(
                f"edge ({src!r}, {dst!r}): {src!r} ({type(graph.nodes[src]).__name__}) puts out shape {out_shape} but "
                f"{dst!r} ({type(graph.nodes[dst]).__name__}) takes shape {in_shape}{hint}"
            )
    # time-first networks (form "layer", or the layer/recurrent forms to_nir recorded): the
    # per-step primitives other than Linear run at every step
    time_first = form == "layer" or (form is None and bool(recorded & {"layer", "recurrent"}))
    built: dict[str, list[tuple[str, nn.Module]]] = {}  # node id -> its modules, in order
    for nid in order:
        node = graph.nodes[nid]
        ntype = type(node).__name__
        parts: list[tuple[str, nn.Module]] = []
        if isinstance(node, nir.NIRGraph):
            if _recurrent_parts(node) is not None:
                # a bias-free Linear feeding only this population becomes its W_in
                (src,) = preds[nid] if len(preds[nid]) == 1 else (None,)
                alone = src is not None and succs.get(src) == [nid] and len(built.get(src, [])) == 1
                prev = built[src][0][1] if alone else None
                module, took = _recurrent_module(nid, node, prev, dt, form, reg, importers, dtype)
                if took:
                    built[src] = []
            else:  # any other subgraph: imported as a network of its own
                try:
                    module = _import_graph(node, dt, form, reg, dtype)
                except NIRError as exc:
                    raise NIRError(f"in subgraph {nid!r}: {exc}") from exc
            parts.append((nid, module))
        elif ntype in STRUCTURAL_TYPES:
            m = _structural(nid, node, dtype)
            if m is not None:
                parts.append((nid, _over_time(m) if time_first else m))
        else:
            entry, overrides, gain, meta = _neuron_import(nid, node, dt, reg, importers, dtype)
            node_form = form or meta.get(_META + "form") or "cell"
            if node_form not in ("cell", "layer"):  # a recurrent population's node taken out of its subgraph
                node_form = "layer" if node_form == "recurrent" else "cell"
            neuron = _create(entry, nid, ntype, node_form, reg, **overrides)
            if not _is_unit_gain(gain):
                parts.append((f"{nid}_gain", InputGain(gain, dtype)))
            parts.append((nid, neuron))
        built[nid] = parts
    if all(len(v) <= 1 for v in list(preds.values()) + list(succs.values())):  # a chain
        return _sequential([p for nid in order for p in built.get(nid, [])])
    return GraphNetwork(
        {nid: (v[0][1] if len(v) == 1 else _sequential(v)) if v else None for nid, v in built.items()},
        {nid: preds[nid] for nid in order if nid in built}, preds[_OUTPUT],
    )


def _sequential(parts: list[tuple[str, nn.Module]]) -> SequentialState:
    net = SequentialState()
    for name, m in parts:
        key = _module_key(net, name)
        net.add_module(key, m)
    return net


def _module_key(container: nn.Module, name: str) -> str:
    key = name.replace(".", "_")
    while hasattr(container, key):  # an id such as 'pop' or 'forward' would shadow the container's own attribute
        key = f"{key}_"
    return key


_INPUT, _OUTPUT = "\x00input", "\x00output"  # the graph's Input and Output, whatever their ids


def _topology(graph: Any) -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]]:
    """``(node ids after their predecessors, predecessors, successors)``; the Input and Output
    nodes appear as :data:`_INPUT` / :data:`_OUTPUT` and not in the order. Graphs with several
    inputs or outputs, cycles, or nodes off every path from Input to Output are refused."""
    nir = _nir()
    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NIRError(
            f"spikeplug imports graphs with one Input and one Output node; this one has inputs {sorted(inputs)} "
            f"and outputs {sorted(outputs)}"
        )
    alias = {inputs[0]: _INPUT, outputs[0]: _OUTPUT}
    preds: dict[str, list[str]] = {k: [] for k in [*graph.nodes, _INPUT, _OUTPUT] if k not in alias}
    succs: dict[str, list[str]] = {k: [] for k in preds}
    preds[_INPUT], preds[_OUTPUT], succs[_INPUT], succs[_OUTPUT] = [], [], [], []
    for src, dst in graph.edges:
        for end in (src, dst):
            if end not in graph.nodes:
                raise NIRError(f"edge ({src!r}, {dst!r}) names the node {end!r}, which the graph does not have")
        s, d = alias.get(src, src), alias.get(dst, dst)
        succs[s].append(d)
        preds[d].append(s)
    reached, todo = {_INPUT}, [_INPUT]
    while todo:
        for d in succs[todo.pop()]:
            if d not in reached:
                reached.add(d)
                todo.append(d)
    unused = sorted(k for k in preds if k not in reached)
    if unused:
        raise NIRError(f"nodes {unused} are not on a path from Input {inputs[0]!r} to Output {outputs[0]!r}")
    order: list[str] = []
    ready = [_INPUT]
    waiting = {k: len(v) for k, v in preds.items()}
    while ready:
        k = ready.pop(0)
        if k not in (_INPUT, _OUTPUT):
            order.append(k)
        for d in succs[k]:
            waiting[d] -= 1
            if waiting[d] == 0:
                ready.append(d)
    names = {v: k for k, v in alias.items()}
    stuck = {k for k, n in waiting.items() if n > 0}
    if stuck:

        def returns(k: str) -> bool:  # whether k reaches itself through stuck nodes
            seen, todo = set(), list(succs[k])
            while todo:
                d = todo.pop()
                if d == k:
                    return True
                if d in stuck and d not in seen:
                    seen.add(d)
                    todo.extend(succs[d])
            return False

        cycle = sorted(names.get(k, k) for k in stuck if returns(k))
        after = sorted(names.get(k, k) for k in stuck if not returns(k))
        raise NIRError(
            f"nodes {cycle} lie on a cycle that is not one recurrent population (a neuron node and an Affine/Linear "
            f"node feeding each other){f', and {after} come after it' if after else ''}; spikeplug imports such "
            "populations and graphs without other cycles"
        )
    dead = sorted(k for k in order if not succs[k])
    if dead:
        raise NIRError(f"nodes {dead} lead nowhere: no path from them reaches the Output {outputs[0]!r}")
    return order, preds, succs


class GraphNetwork(nn.Module):
    """A NIR graph with branches and merges, stepped like :class:`~spikeplug.SequentialState`:
    ``forward(x, state=None) -> (output, state)``.

    Every node takes the sum of its predecessors' outputs (NIR's edges are identities and a node
    with several inputs adds them); the nodes run in an order where each comes after its
    predecessors. ``state`` is a tuple with one entry per node of :attr:`order` (``None`` for
    stateless nodes)."""

    stateful = True

    def __init__(self, nodes: dict[str, nn.Module | None], preds: dict[str, list[str]], outputs: list[str]):
        super().__init__()
        self.order = list(preds)
        self.preds = {k: list(v) for k, v in preds.items()}
        self.outputs = list(outputs)
        self.keys: dict[str, str] = {}
        self.nodes = nn.ModuleDict()
        for nid in self.order:
            if nodes.get(nid) is not None:
                self.keys[nid] = _module_key(self.nodes, nid)
                self.nodes[self.keys[nid]] = nodes[nid]

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, tuple[Any, ...]]:
        from .containers import is_stateful

        if state is not None and (not isinstance(state, tuple) or len(state) != len(self.order)):
            raise NIRError(
                f"GraphNetwork: state must be the tuple of {len(self.order)} node states this network returned, "
                f"got {type(state).__name__}{f' of {len(state)}' if isinstance(state, tuple) else ''}"
            )
        values: dict[str, torch.Tensor] = {_INPUT: x}
        new_state = []
        for i, nid in enumerate(self.order):
            ins = [values[p] for p in self.preds[nid]]
            h = ins[0]
            for other in ins[1:]:
                h = h + other
            module = self.nodes[self.keys[nid]] if nid in self.keys else None
            s = None
            if module is None:
                out = h
            elif is_stateful(module):
                out, s = module(h, None if state is None else state[i])
            else:
                out = module(h)
            values[nid] = out
            new_state.append(s)
        outs = [values[p] for p in self.outputs]
        y = outs[0]
        for other in outs[1:]:
            y = y + other
        return y, tuple(new_state)

    def extra_repr(self) -> str:
        edges = ", ".join(f"{'+'.join(self.preds[k]) or 'input'}→{k}" for k in self.order)
        return f"edges: {edges.replace(_INPUT, 'input')}"


# ---------------------------------------------------------------- inspection and CLI
def inspect_graph(graph_or_path: Any, *, registry: Any = None) -> dict[str, Any]:
    """Nodes (id, type, input/output shapes, the spikeplug module each maps to) and edges of a NIR graph."""
    reg = _registry(registry)
    graph = _read(graph_or_path)
    importers = _importers(reg)
    collapsed = _collapse_recurrent(graph)
    loops = {}  # weight id -> neuron id of each recurrent population
    for nid, node in collapsed.nodes.items():
        if nid not in graph.nodes or collapsed.nodes[nid] is not graph.nodes[nid]:
            parts = _recurrent_parts(node)
            if parts is not None:
                loops[parts[1]] = parts[0]
    nodes = []
    for nid, node in graph.nodes.items():
        ntype = type(node).__name__
        meta = _meta(node)
        if nid in loops:
            maps = f"recurrent weights of {loops[nid]!r} (W_rec of its recurrent form)"
        elif ntype in ("Input", "Output"):
            maps = "(graph boundary)"
        elif ntype in STRUCTURAL_TYPES:
            maps = {"Affine": "torch.nn.Linear", "Linear": "torch.nn.Linear (no bias)", "Conv2d": "torch.nn.Conv2d",
                    "Flatten": "torch.nn.Flatten", "AvgPool2d": "torch.nn.AvgPool2d",
                    "SumPool2d": "spikeplug.nir.SumPool2d"}[ntype]
        elif ntype in importers:
            try:
                maps = _choose(nid, ntype, meta, importers).qualified_name
            except NIRError as exc:
                maps = f"ambiguous: {exc}"
            if nid in loops.values():
                maps += " (recurrent form)"
        else:
            maps = "unsupported"
        nodes.append({
            "id": nid, "type": ntype, "input": _shape(node, "input"), "output": _shape(node, "output"),
            "maps_to": maps, "provenance": {k[len(_META):]: v for k, v in meta.items() if k.startswith(_META) and k != _META + "parameters"},
        })
    return {"nodes": nodes, "edges": [list(e) for e in graph.edges]}


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="nir_command", metavar="ACTION", required=True)
    ins = sub.add_parser("inspect", help="list a NIR file's nodes, edges and the spikeplug model each node maps to")
    ins.add_argument("file", help="a NIR file (HDF5, written by nir.write or spikeplug)")
    ins.add_argument("--json", action="store_true", help="machine-readable output")


def command(args: argparse.Namespace) -> int:
    info = inspect_graph(args.file)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    width = max(len(n["id"]) for n in info["nodes"])
    tw = max(len(n["type"]) for n in info["nodes"])
    print(f"nodes ({len(info['nodes'])}):")
    for n in info["nodes"]:
        shapes = f"{n['input'] or '?'} -> {n['output'] or '?'}"
        print(f"  {n['id']:<{width}}  {n['type']:<{tw}}  {shapes:<24}  {n['maps_to']}")
    print(f"edges ({len(info['edges'])}):")
    for src, dst in info["edges"]:
        print(f"  {src} -> {dst}")
    return 0
