"""Record the state variables of spikeplug modules inside any network, by name, over time.

A :class:`Recorder` attaches forward hooks to the spikeplug neuron modules it is asked
about, so the network's own ``forward`` stays as it is::

    net = spikeplug.SequentialState(torch.nn.Linear(4, 8), spikeplug.create("lif"))
    with spikeplug.record(net, "1.v", "1.output") as rec:
        out, state = net(x)                      # x: (T, B, 4)
    rec["1.v"]                                   # tensor (T, B, 8): v after every step
    rec.trace("1.v")                             # the same with its unit and dt, for spikeplug.plot

Names are ``"<module path>.<variable>"``, the path as ``named_modules()`` gives it
(``"1"``, ``"encoder.lif"``; empty when the root itself is the neuron module). The
variables are the fields of the model's state (``v``, ``i``...; recurrent forms add
``z``) and ``output``, what the module returns at each step (the spikes of a spiking
model). A target may also be a module path alone (all its variables), a module object,
or a ``(module, variable)`` pair; ``record(net)`` records every variable of every
spikeplug module in ``net``. A ``Lift`` around a cell stands for the cell.

How each form is recorded:

* one-step forms (cells, recurrent cells, linear cells) add one time step per call, so a
  cell stepped in a Python loop or by :class:`~spikeplug.Lift` gives ``(T, ...)``;
* layers over time (the layer and recurrent forms) are asked for every step's state: while
  recording they run with ``record_states=True`` and ``backend="eager"``, and the hook
  hands the network the final state as usual. A fused kernel keeps only the final state,
  so a layer that would have run one runs the eager step loop instead (the reference it
  matches); :attr:`Recorder.notes` says so for each such layer and ``layer.last_backend``
  reads ``"eager"``. Both settings are restored when recording stops.

Recorded values are plain tensors, time first, detached from the autograd graph unless
``detach=False``; consecutive calls append along time (:meth:`Recorder.clear` starts
over). ``torch.save(rec.as_dict(), path)`` saves them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

import attrs
import torch
from torch import nn

from .containers import Lift
from .errors import SpikeplugError
from .modules import NeuronLayer, NeuronModule, NeuronRecurrent, NeuronRecurrentCell
from .params import SpikingParameters

__all__ = ["OUTPUT", "Recorder", "RecordingError", "Trace", "record", "state_unit", "is_spiking"]

#: the pseudo-variable naming what a module returns at each step (spikes for spiking models)
OUTPUT = "output"


class RecordingError(SpikeplugError, LookupError):
    """A recording target names no spikeplug module or no variable of one, or the recorded
    steps cannot be put together."""


def is_spiking(model: Any) -> bool:
    """Whether ``model``'s output is spikes: its parameters derive from
    :class:`~spikeplug.SpikingParameters` (they carry the surrogate of a threshold)."""
    params = getattr(model, "parameters", None)
    return isinstance(params, type) and issubclass(params, SpikingParameters)


def state_unit(model: Any, variable: str) -> str:
    """The declared unit of state variable ``variable`` of ``model``
    (``NeuronModel(state_units=...)``); ``""`` when the model declares none for it, and for
    spikes and ``output``."""
    units = getattr(model, "state_units", None) or {}
    return str(units.get(variable, ""))


@attrs.frozen(eq=False)
class Trace:
    """One recorded variable: ``values`` of shape ``(T, *S)`` with what plots need to label it.

    :param name: the recording name (``"1.v"``).
    :param values: the values after every step, time first.
    :param unit: the declared unit (``""`` when none is declared).
    :param dt: the module's time step in seconds (``None`` when it is not one number).
    :param spikes: the values are spikes (``z``, or the output of a spiking model).
    """

    name: str
    values: torch.Tensor
    unit: str = ""
    dt: float | None = None
    spikes: bool = False

    @property
    def variable(self) -> str:
        """The variable part of the name (``"v"`` of ``"1.v"``)."""
        return self.name.rpartition(".")[2]

    def times(self) -> torch.Tensor:
        """The time of each step: ``t·dt`` for step ``t`` (counted from 0), or the step index without ``dt``."""
        steps = torch.arange(self.values.shape[0], dtype=torch.float64)
        return steps * self.dt if self.dt is not None else steps


@attrs.define(eq=False)
class _Target:
    path: str
    module: nn.Module
    variables: list[str]
    over_time: bool
    spiking: bool
    saved: tuple[bool, str | None] | None = None  # (record_states, backend) while recording a layer


class Recorder:
    """Records state variables of spikeplug modules in ``root`` (see the module docs).

    :param root: the network (any ``nn.Module``), or a neuron module itself.
    :param targets: names (``"1.v"``, ``"1"``), module objects, or ``(module, variable)``
        pairs; none means every variable of every spikeplug module in ``root``.
    :param detach: store values detached from the autograd graph (default), so recording
        keeps no graph alive.

    Use it as a context manager (``with Recorder(net, "1.v") as rec: ...``) or call
    :meth:`start` and :meth:`stop`.
    """

    def __init__(self, root: nn.Module, *targets: Any, detach: bool = True):
        if not isinstance(root, nn.Module):
            raise TypeError(f"Recorder(root): root must be a torch.nn.Module, got {type(root).__name__}")
        self.root = root
        self.detach = bool(detach)
        self._paths = {id(m): name for name, m in root.named_modules()}
        self._targets: dict[str, _Target] = {}
        self._data: dict[str, list[torch.Tensor]] = {}
        self._owner: dict[str, tuple[_Target, str]] = {}   # recorded name -> (target, variable)
        self._handles: list[Any] = []
        self.backends: dict[str, str | None] = {}
        self.notes: list[str] = []
        for target in targets or (None,):
            self._add(target)
        if not self._targets:
            raise RecordingError(f"Recorder: {type(root).__name__} contains no spikeplug neuron module to record")

    # ------------------------------------------------------------------ targets
    def _neuron(self, module: nn.Module, what: str) -> nn.Module:
        """``module`` itself, or the cell a ``Lift`` wraps."""
        if isinstance(module, Lift) and isinstance(module.lifted_module, NeuronModule):
            return module.lifted_module
        if not isinstance(module, NeuronModule):
            raise RecordingError(
                f"Recorder: {what} is a {type(module).__name__}, not a spikeplug neuron module (a cell, layer or "
                f"recurrent form made by spikeplug.create or build_modules); modules that can be recorded: "
                f"{', '.join(map(repr, self._recordable())) or 'none'}"
            )
        return module

    def _recordable(self) -> list[str]:
        return [name for name, m in self.root.named_modules() if isinstance(m, NeuronModule)]

    def _variables(self, module: nn.Module) -> list[str]:
        model = module.model
        state = model.recurrent_state if isinstance(module, (NeuronRecurrent, NeuronRecurrentCell)) else model.state
        return [*state._fields, OUTPUT]

    def _path(self, module: nn.Module, what: str) -> str:
        path = self._paths.get(id(module))
        if path is None:
            raise RecordingError(f"Recorder: {what} ({type(module).__name__}) is not a submodule of the root {type(self.root).__name__}")
        return path

    def _add(self, target: Any) -> None:
        if target is None:
            for name, m in self.root.named_modules():
                if isinstance(m, NeuronModule):
                    self._add_variables(name, m, None)
            return
        if isinstance(target, str):
            self._add_name(target)
        elif isinstance(target, nn.Module):
            path = self._path(target, "the module")
            self._add_variables(path, self._neuron(target, f"module {path!r}"), None)
        elif isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], nn.Module) and isinstance(target[1], str):
            module, variable = target
            path = self._path(module, "the module")
            self._add_variables(path, self._neuron(module, f"module {path!r}"), variable)
        else:
            raise RecordingError(
                f"Recorder: a target must be a name like '1.v', a module, or a (module, variable) pair, got {target!r}"
            )

    def _add_name(self, name: str) -> None:
        modules = dict(self.root.named_modules())
        if name in modules:
            self._add_variables(name, self._neuron(modules[name], f"module {name!r}"), None)
            return
        path, _, variable = name.rpartition(".")
        module = modules.get(path)
        if module is None:
            close = difflib.get_close_matches(name, [f"{p}.{v}" if p else v for p in self._recordable() for v in self._variables(modules[p])], n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise RecordingError(
                f"Recorder: {name!r} names no module of {type(self.root).__name__} and no variable of one; give "
                f"'<module path>.<variable>' with a module path from named_modules() (recordable modules: "
                f"{', '.join(map(repr, self._recordable())) or 'none'}).{hint}"
            )
        self._add_variables(path, self._neuron(module, f"module {path!r}"), variable)

    def _add_variables(self, path: str, module: nn.Module, variable: str | None) -> None:
        known = self._variables(module)
        if variable is not None and variable not in known:
            close = difflib.get_close_matches(variable, known, n=2)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise RecordingError(
                f"Recorder: module {path!r} ({type(module).__name__}, model {module.model.name!r}) has no variable "
                f"{variable!r}; its variables are {', '.join(map(repr, known))}.{hint}"
            )
        target = self._targets.get(path)
        if target is None:
            target = _Target(
                path=path,
                module=module,
                variables=[],
                over_time=isinstance(module, (NeuronLayer, NeuronRecurrent)),
                spiking=is_spiking(module.model),
            )
            self._targets[path] = target
        for v in known if variable is None else [variable]:
            if v not in target.variables:
                target.variables.append(v)
                self._data.setdefault(_join(path, v), [])
                self._owner[_join(path, v)] = (target, v)

    # ------------------------------------------------------------------ hooks
    @property
    def recording(self) -> bool:
        """Whether the hooks are attached."""
        return bool(self._handles)

    def start(self) -> Recorder:
        """Attach the hooks (and switch recorded layers to the eager step loop); a no-op
        while already recording."""
        if self._handles:
            return self
        for target in self._targets.values():
            module = target.module
            if target.over_time:
                target.saved = (module.record_states, getattr(module, "backend", None))
                module.record_states = True
                if target.saved[1] is not None:
                    module.backend = "eager"
            self._handles.append(module.register_forward_hook(self._hook(target)))
        return self

    def stop(self) -> None:
        """Remove the hooks and restore the layers' own ``record_states`` and ``backend``."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for target in self._targets.values():
            if target.saved is not None:
                record_states, backend = target.saved
                target.module.record_states = record_states
                if backend is not None:
                    target.module.backend = backend
                target.saved = None

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _hook(self, target: _Target) -> Any:
        def hook(module: nn.Module, args: Any, result: Any) -> Any:
            out, state = result
            user_records = target.saved is not None and target.saved[0]
            if target.over_time:
                steps = state                                    # every step's state, stacked on dim 0
                self._store(target, out, steps)
                self.backends[target.path or type(module).__name__] = getattr(module, "last_backend", "eager")
                self._note_eager(target)
                if user_records:
                    return None                                  # the caller asked for the stacked states
                return out, type(steps)(*(field[-1] for field in steps))
            self._store(target, out.unsqueeze(0), type(state)(*(t.unsqueeze(0) for t in state)))
            return None

        return hook

    def _note_eager(self, target: _Target) -> None:
        saved = target.saved
        if saved is None or saved[1] in (None, "eager"):
            return
        name = target.path or type(target.module).__name__
        note = (
            f"layer {name!r} ({type(target.module).__name__}, backend={saved[1]!r}) ran the eager step loop while "
            f"recording: fused kernels keep only the final state, not every step's"
        )
        if note not in self.notes:
            self.notes.append(note)

    def _store(self, target: _Target, out: torch.Tensor, steps: Any) -> None:
        for v in target.variables:
            value = out if v == OUTPUT else getattr(steps, v)
            if self.detach:
                value = value.detach()
            self._data[_join(target.path, v)].append(value)

    # ------------------------------------------------------------------ data
    @property
    def names(self) -> list[str]:
        """The recorded names, in the order they were asked for."""
        return list(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def _check(self, name: str) -> None:
        if name not in self._data:
            close = difflib.get_close_matches(str(name), list(self._data), n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise RecordingError(f"Recorder: {name!r} is not recorded; recorded: {', '.join(map(repr, self._data))}.{hint}")

    def __getitem__(self, name: str) -> torch.Tensor:
        """The values of ``name`` after every recorded step, ``(T, *S)``."""
        self._check(name)
        chunks = self._data[name]
        if not chunks:
            raise RecordingError(f"Recorder: {name!r} has no steps yet; run the network inside the recording first")
        shapes = {tuple(c.shape[1:]) for c in chunks}
        if len(shapes) > 1:
            raise RecordingError(
                f"Recorder: {name!r} was recorded with different population shapes {sorted(shapes)}; call clear() "
                f"between runs on inputs of different shapes"
            )
        return chunks[0] if len(chunks) == 1 else torch.cat(chunks, 0)

    def _target_of(self, name: str) -> tuple[_Target, str]:
        self._check(name)
        return self._owner[name]

    def unit(self, name: str) -> str:
        """The declared unit of the variable ``name`` (``""`` when none is declared)."""
        target, variable = self._target_of(name)
        return state_unit(target.module.model, variable)

    def is_spikes(self, name: str) -> bool:
        """Whether ``name`` holds spikes (``z``, or the output of a spiking model)."""
        target, variable = self._target_of(name)
        return variable == "z" or (variable == OUTPUT and target.spiking)

    def dt(self, name: str) -> float | None:
        """The time step (s) of the module that ``name`` belongs to, if it is one number."""
        target, _ = self._target_of(name)
        dt = getattr(target.module.params(), "dt", None)
        if isinstance(dt, torch.Tensor):
            return float(dt.item()) if dt.numel() == 1 else None
        return float(dt) if isinstance(dt, (int, float)) else None

    def module(self, name: str) -> nn.Module:
        """The neuron module that ``name`` belongs to."""
        return self._target_of(name)[0].module

    def trace(self, name: str) -> Trace:
        """``name``'s values with their unit, ``dt`` and whether they are spikes (for :mod:`spikeplug.plot`)."""
        return Trace(name=name, values=self[name], unit=self.unit(name), dt=self.dt(name), spikes=self.is_spikes(name))

    def as_dict(self) -> dict[str, torch.Tensor]:
        """Every name that has steps, with its values (plain tensors, time first)."""
        return {name: self[name] for name, chunks in self._data.items() if chunks}

    def clear(self) -> None:
        """Forget the recorded steps (the targets stay)."""
        for chunks in self._data.values():
            chunks.clear()
        self.backends.clear()
        self.notes.clear()

    def __repr__(self) -> str:
        steps = {name: sum(c.shape[0] for c in chunks) for name, chunks in self._data.items()}
        return f"Recorder({', '.join(f'{n!r}: {s} steps' for n, s in steps.items())}, recording={bool(self._handles)})"


def record(root: nn.Module, *targets: Any, detach: bool = True) -> Recorder:
    """A started :class:`Recorder`, for a ``with`` block (``with spikeplug.record(net, "1.v") as
    rec: net(x)``) or to :meth:`~Recorder.stop` by hand."""
    return Recorder(root, *targets, detach=detach).start()


def _join(path: str, variable: str) -> str:
    return f"{path}.{variable}" if path else variable
