"""Run one registered model on a standard stimulus: what ``spikeplug simulate`` shows.

Everything here works from what a model declares to the registry (its forms, parameter
class, state fields, units and presets), so a third-party model runs like a builtin one::

    sim = spikeplug.simulate("izhikevich", preset="tonic_bursting", amplitude=10.0)
    sim.spike_times()          # seconds, of neuron 0
    sim.states["v"]            # (T, 1) tensor, unit sim.units["v"]

Neuron models
    one neuron is driven by an input ``current`` of one of the :data:`STIMULI`: ``"step"``
    (0 before ``onset``, then ``amplitude``) or ``"ramp"`` (0 before ``onset``, then rising
    linearly to ``amplitude`` at the last step). Without an ``amplitude`` it is the
    smallest current of a sweep of 20 currents per decade from 1e-3 to 1e3 that gives the
    model :data:`TARGET_SPIKES` spikes while it is on (within :data:`SWEEP_MAX_STEPS`
    steps; :func:`sweep`), rounded up to two
    digits; 1 for a model that never spikes or spikes without input. The model runs in its one-step form in a
    Python loop (the cell; else the linear or recurrent cell with one input of weight 1 and
    no recurrence; else its layer), in float64, with every state variable recorded by a
    :class:`~spikeplug.Recorder`.
Encoders
    the encoder gets a sample input: its factory's optional ``sample_input(steps,
    generator)`` declaration, else :data:`SAMPLE_INPUTS` values from 0 to 1. A factory
    that takes ``seq_length`` gets ``steps``; ``out_features`` gets
    :data:`SAMPLE_FEATURES`; ``generator`` a seeded ``torch.Generator``. An encoder whose
    output has the input's shape and that takes no ``seq_length`` is called once per step.

Runs are seeded (``seed``) and leave the caller's random state alone. The values of step
``t`` (counted from 0) belong to the time ``t·dt``.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import io
import json
import math
import sys
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TextIO

import attrs
import torch

from .errors import InputValueError, ParameterError, SpikeplugError
from .recording import OUTPUT, Recorder, Trace, is_spiking, state_unit

__all__ = [
    "STIMULI",
    "SAMPLE_INPUTS",
    "SAMPLE_FEATURES",
    "Stimulus",
    "Simulation",
    "RateCurve",
    "simulate",
    "rate_curve",
    "rheobase",
    "sweep",
    "Sweep",
    "TARGET_SPIKES",
    "parse_assignments",
    "Progress",
]

STIMULI = ("step", "ramp")
#: how many values the default sample input of an encoder has
SAMPLE_INPUTS = 8
#: ``out_features`` given to encoders that take it (population codes)
SAMPLE_FEATURES = 8
#: the currents :func:`sweep` tries besides 0: 20 per decade from 1e-3 to 1e3 (log10 start, stop, count)
SWEEP = (-3.0, 3.0, 121)
#: the standard amplitude is the smallest swept current that gives this many spikes
TARGET_SPIKES = 5
#: the sweep that finds it runs at most this many steps (long simulations stay cheap to set up)
SWEEP_MAX_STEPS = 2000
#: ``simulate``'s default number of steps
DEFAULT_STEPS = 1000
#: how many spike times :meth:`Simulation.summary` lists per neuron
LISTED_SPIKES = 40


def registry_or_default(registry: Any) -> Any:
    """``registry``, or the process-wide one (imported lazily: the core never imports plugins at import)."""
    if registry is not None:
        return registry
    from spikeplug.plugins import get_registry

    return get_registry()


# ---------------------------------------------------------------------- stimulus
@attrs.frozen
class Stimulus:
    """The input current of a neuron simulation: ``kind`` (``"step"`` or ``"ramp"``),
    ``amplitude``, ``onset`` (first step with input) and ``steps``."""

    kind: str
    amplitude: float
    onset: int
    steps: int

    def __attrs_post_init__(self) -> None:
        if self.kind not in STIMULI:
            raise ParameterError(f"current must be one of {', '.join(map(repr, STIMULI))}, got {self.kind!r}")
        if not math.isfinite(self.amplitude):
            raise ParameterError(f"amplitude must be a finite number, got {self.amplitude!r}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ParameterError(f"steps must be a positive int, got {self.steps!r}")
        if isinstance(self.onset, bool) or not isinstance(self.onset, int) or not 0 <= self.onset < self.steps:
            raise ParameterError(f"onset must be an int step in [0, steps) = [0, {self.steps}), got {self.onset!r}")

    def values(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """The current at every step, shape ``(steps,)``."""
        x = torch.zeros(self.steps, dtype=dtype)
        on = self.steps - self.onset
        if self.kind == "step":
            x[self.onset :] = self.amplitude
        else:
            x[self.onset :] = torch.linspace(self.amplitude / on, self.amplitude, on, dtype=dtype)
        return x

    def describe(self, unit: str = "", dt: float | None = None) -> str:
        """In words: ``"step current of 10 mV/ms from step 100 (t = 0.1 s)"``."""
        amp = f"{self.amplitude:g}{' ' + unit if unit else ''}"
        when = f"step {self.onset}" + (f" (t = {self.onset * dt:g} s)" if dt is not None else "")
        if self.kind == "step":
            return f"step current of {amp} from {when} to the end"
        return f"current ramp from 0 at {when} to {amp} at the last step"


# ---------------------------------------------------------------------- results
@attrs.frozen(eq=False)
class Simulation:
    """What :func:`simulate` ran and recorded.

    Neuron models: ``input`` is the current ``(T, N)``, ``output`` what the model returned
    at every step ``(T, N)`` (spikes when ``spikes``), ``states`` every state variable
    ``(T, N)``. Encoders: ``input`` is the sample input, ``output`` the encoder's output,
    time first ``(T, N)`` when ``over_time``, else the graded values ``(N, F)``.
    """

    name: str
    qualified_name: str
    kind: str
    input: torch.Tensor
    output: torch.Tensor
    spikes: bool
    over_time: bool = True
    dt: float | None = None
    states: Mapping[str, torch.Tensor] = attrs.field(factory=dict)
    units: Mapping[str, str] = attrs.field(factory=dict)
    input_unit: str = ""
    input_description: str = ""
    stimulus: Stimulus | None = None
    preset: str | None = None
    parameters: Mapping[str, Any] = attrs.field(factory=dict)
    form: str = ""
    notes: tuple[str, ...] = ()

    @property
    def steps(self) -> int:
        """Number of time steps (0 for graded encoder outputs)."""
        return int(self.output.shape[0]) if self.over_time else 0

    @property
    def neurons(self) -> int:
        """Number of neurons (simulated neurons, or the encoder's output channels)."""
        return int(self.output[0].numel()) if self.over_time else int(self.output.shape[0])

    def times(self) -> torch.Tensor:
        """Time of every step, ``t·dt`` (s), or the step index when ``dt`` is unknown."""
        t = torch.arange(self.steps, dtype=torch.float64)
        return t * self.dt if self.dt is not None else t

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1)

    def spike_steps(self, neuron: int = 0) -> list[int]:
        """The steps at which ``neuron`` spiked (a signed encoder's ``-1`` counts too)."""
        self._need_spikes()
        column = self._flat(self.output)[:, neuron]
        return [int(t) for t in torch.nonzero(column != 0).flatten()]

    def spike_times(self, neuron: int = 0) -> list[float]:
        """The spike times of ``neuron``: ``t·dt`` in seconds (steps when ``dt`` is unknown)."""
        scale = self.dt if self.dt is not None else 1.0
        return [t * scale for t in self.spike_steps(neuron)]

    def spike_counts(self) -> torch.Tensor:
        """Spikes of every neuron over the run, ``(N,)``."""
        self._need_spikes()
        return (self._flat(self.output) != 0).sum(0)

    def rates(self, start: int = 0) -> torch.Tensor:
        """Mean rate of every neuron from step ``start`` to the end, ``(N,)``: in Hz when
        ``dt`` is known, else spikes per step."""
        self._need_spikes()
        span = self.steps - start
        if span <= 0:
            raise ParameterError(f"rates: start must be a step before {self.steps}, got {start}")
        counts = (self._flat(self.output)[start:] != 0).sum(0).to(torch.float64)
        return counts / (span * (self.dt if self.dt is not None else 1.0))

    @property
    def rate_unit(self) -> str:
        return "Hz" if self.dt is not None else "1/step"

    def _need_spikes(self) -> None:
        if not (self.spikes and self.over_time):
            raise SpikeplugError(f"{self.qualified_name}: its output is not spikes over time, so it has no spike times")

    def trace(self, variable: str) -> Trace:
        """A state variable (or ``"output"``, or ``"input"``) as a :class:`~spikeplug.Trace` for plots."""
        if variable == "input":
            return Trace(name="input", values=self.input, unit=self.input_unit, dt=self.dt)
        if variable == OUTPUT:
            return Trace(name=OUTPUT, values=self.output, dt=self.dt, spikes=self.spikes)
        if variable not in self.states:
            raise SpikeplugError(f"{self.qualified_name} has no state variable {variable!r}; it has {', '.join(self.states)}")
        return Trace(name=variable, values=self.states[variable], unit=self.units.get(variable, ""), dt=self.dt)

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """What ``spikeplug simulate`` prints."""
        what = f"{self.qualified_name}" + (f" (preset {self.preset!r})" if self.preset else "")
        timing = f"{self.steps} steps" + (f" of dt = {self.dt:g} s" if self.dt is not None else "")
        lines = [f"{what}: {timing}" + (f", {self.form} form" if self.form else "") if self.over_time else what]
        if self.input_description:
            lines.append(f"input: {self.input_description}")
        lines.extend(f"note: {n}" for n in self.notes)
        if not self.over_time:
            lines.append(f"output: graded values of shape {tuple(self.output.shape)} (no spikes, no time)")
            for k, row in enumerate(self.output.reshape(self.output.shape[0], -1).tolist()):
                lines.append(f"  input {k}: " + " ".join(f"{v:.3g}" for v in row))
            return "\n".join(lines)
        if not self.spikes:
            out = self._flat(self.output)
            lines.append(
                f"output: not spikes; from {float(out.min()):.4g} to {float(out.max()):.4g}, last {float(out[-1, 0]):.4g}"
            )
            return "\n".join(lines)
        rates = self.rates()
        on = self.stimulus.onset if self.stimulus is not None else 0
        rates_on = self.rates(on) if on else rates
        unit = "s" if self.dt is not None else "steps"
        for n in range(self.neurons):
            times = self.spike_times(n)
            label = "" if self.neurons == 1 else f"neuron {n}: "
            if self.kind == "encoder":
                flat_in = self.input.reshape(-1)
                value = f" ({float(flat_in[n]):.4g})" if self.input.dim() == 1 and n < flat_in.numel() else ""
                label = f"output {n}{value}: "
            shown = ", ".join(f"{t:.6g}" for t in times[:LISTED_SPIKES])
            more = f", ... ({len(times) - LISTED_SPIKES} more; --json or --csv list all)" if len(times) > LISTED_SPIKES else ""
            at = f" at t = {shown}{more} {unit}" if times else ""
            rate = f"; rate {float(rates[n]):.4g} {self.rate_unit}"
            if on:
                rate += f" over the run, {float(rates_on[n]):.4g} {self.rate_unit} while the current is on"
            lines.append(f"{label}{len(times)} spike{'' if len(times) == 1 else 's'}{at}{rate}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values (lists of numbers)."""
        out: dict[str, Any] = {
            "model": self.qualified_name,
            "kind": self.kind,
            "preset": self.preset,
            "form": self.form,
            "parameters": dict(self.parameters),
            "dt": self.dt,
            "steps": self.steps,
            "input": {"description": self.input_description, "unit": self.input_unit, "values": self.input.tolist()},
            "notes": list(self.notes),
        }
        if self.stimulus is not None:
            out["stimulus"] = attrs.asdict(self.stimulus)
        if self.over_time:
            out["time"] = self.times().tolist()
        if self.spikes and self.over_time:
            out["spikes"] = [
                {"neuron": n, "steps": self.spike_steps(n), "times": self.spike_times(n)} for n in range(self.neurons)
            ]
            out["rates"] = {"unit": self.rate_unit, "values": self.rates().tolist()}
        out["output"] = {"spikes": self.spikes, "values": self.output.tolist()}
        out["states"] = {k: {"unit": self.units.get(k, ""), "values": v.tolist()} for k, v in self.states.items()}
        return out

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def csv_text(self) -> str:
        """One row per step (``step, time, input, output, state variables``; a column per
        neuron when there are several), or per input value for graded encoder outputs."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if not self.over_time:
            out = self.output.reshape(self.output.shape[0], -1)
            flat_in = self.input.reshape(-1)
            writer.writerow(["input_index", "input", *(f"output_{j}" for j in range(out.shape[1]))])
            for k in range(out.shape[0]):
                value = float(flat_in[k]) if k < flat_in.numel() else ""
                writer.writerow([k, value, *out[k].tolist()])
            return buffer.getvalue()
        columns = {"input": self.input, OUTPUT: self.output, **self.states}
        if self.input.dim() == 1 or self.input.shape[0] != self.steps:
            columns.pop("input")                               # an encoder's sample values: not per step
        flat = {k: self._flat(v) for k, v in columns.items()}
        header = ["step", "time_s" if self.dt is not None else "time_steps"]
        for k, v in flat.items():
            header += [k] if v.shape[1] == 1 else [f"{k}_{j}" for j in range(v.shape[1])]
        writer.writerow(header)
        times = self.times().tolist()
        rows = [v.tolist() for v in flat.values()]
        for t in range(self.steps):
            row: list[Any] = [t, times[t]]
            for values in rows:
                row.extend(values[t])
            writer.writerow(row)
        return buffer.getvalue()


@attrs.frozen(eq=False)
class RateCurve:
    """Mean firing rate against a constant input current (an f–I curve).

    ``rates[k]`` is the number of spikes over ``steps`` steps of current ``currents[k]``,
    per second (``rate_unit`` ``"Hz"``) or per step when ``dt`` is unknown.
    """

    name: str
    currents: torch.Tensor
    rates: torch.Tensor
    current_unit: str
    steps: int
    dt: float | None
    preset: str | None = None

    @property
    def rate_unit(self) -> str:
        return "Hz" if self.dt is not None else "1/step"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "preset": self.preset,
            "steps": self.steps,
            "dt": self.dt,
            "current_unit": self.current_unit,
            "rate_unit": self.rate_unit,
            "currents": self.currents.tolist(),
            "rates": self.rates.tolist(),
        }


# ---------------------------------------------------------------------- progress
class Progress:
    """A one-line progress report on ``stream`` (stderr) for long runs.

    ``show``: ``True`` always, ``False`` never, ``None`` only once the run has taken longer
    than ``delay`` seconds (so short runs print nothing).
    """

    def __init__(self, total: int, label: str, show: bool | None = None, *, stream: TextIO | None = None, delay: float = 1.0):
        self.total, self.label, self.show = total, label, show
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.start = time.perf_counter()
        self.last = -1.0
        self.done = 0
        self.shown = False

    def update(self, done: int) -> None:
        if self.show is False:
            return
        now = time.perf_counter()
        if self.show is None and now - self.start < self.delay:
            return
        if now - self.last < 0.1 and done < self.total:
            return
        self.last, self.done = now, done
        self.shown = True
        pct = 100.0 * done / self.total if self.total else 100.0
        self.stream.write(f"\r{self.label}: {done}/{self.total} steps ({pct:.0f}%)")
        self.stream.flush()

    def close(self) -> None:
        """End the line (when anything was shown) with the elapsed time."""
        if self.shown:
            if self.done < self.total:
                self.last = -1.0                             # force the final 100 % line
                self.update(self.total)
            self.stream.write(f" in {time.perf_counter() - self.start:.1f} s\n")
            self.stream.flush()


# ---------------------------------------------------------------------- parameters
def parse_assignments(pairs: Sequence[str], text_fields: Collection[str] = ()) -> dict[str, Any]:
    """``["tau_mem_inv=50", "reset_method=subtract"]`` as ``{name: value}``: values are
    floats, except for the parameters in ``text_fields`` (those whose default is a string),
    which keep the text. Errors name the parameter and the value."""
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise ParameterError(f"--set takes NAME=VALUE (e.g. --set tau_mem_inv=50), got {pair!r}")
        if name in text_fields:
            out[name] = text
            continue
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            raise ParameterError(
                f"--set {name}={text}: the value of parameter {name!r} must be a finite number "
                f"(e.g. --set {name}=50 or {name}=1e-3), got {text!r}"
            )
        out[name] = value
    return out


def _parameter_values(p: Any) -> dict[str, Any]:
    if p is None or not attrs.has(type(p)):
        return {}
    out: dict[str, Any] = {}
    for f in attrs.fields(type(p)):
        v = getattr(p, f.name)
        out[f.name] = v.detach().cpu().tolist() if isinstance(v, torch.Tensor) else v
    return out


# ---------------------------------------------------------------------- neuron models
_ONE_STEP_FORMS = ("cell", "linear_cell", "recurrent_cell")
_SEQUENCE_FORMS = ("layer", "recurrent")


def _check_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _neuron_factory(entry: Any, registry: Any) -> Any:
    factory = registry.factory(entry.qualified_name)
    forms = getattr(factory, "forms", None)
    if forms is None or not hasattr(factory, "model"):
        raise SpikeplugError(
            f"{entry.qualified_name}: its factory is a {type(factory).__name__}, not a ModuleSet made by "
            f"spikeplug.build_modules, so simulate cannot tell its forms and state variables"
        )
    return factory


def _module_kwargs(entry: Any, preset: str | None, overrides: Mapping[str, Any] | None, dt: float | None) -> dict[str, Any]:
    kwargs = dict(overrides or {})
    if dt is not None:
        if not (isinstance(dt, (int, float)) and not isinstance(dt, bool) and dt > 0 and math.isfinite(dt)):
            raise ParameterError(f"dt must be a positive number of seconds, got {dt!r}")
        kwargs["dt"] = float(dt)
    if preset is not None:
        names = tuple(entry.spec.presets)
        if preset not in names:
            if not names:
                raise ParameterError(f"preset: model {entry.qualified_name!r} has no presets, got {preset!r}")
            raise ParameterError(f"preset must be one of {', '.join(map(repr, names))} for {entry.qualified_name!r}, got {preset!r}")
        kwargs["preset"] = preset
    return kwargs


def _build(factory: Any, kwargs: dict[str, Any], dtype: torch.dtype) -> tuple[Any, str]:
    forms = factory.forms
    form = next((f for f in (*_ONE_STEP_FORMS, *_SEQUENCE_FORMS) if f in forms), None)
    if form is None:
        raise SpikeplugError(f"{factory.model.name}: no form simulate can drive (has {forms})")
    extra: dict[str, Any] = {}
    if form in ("linear_cell", "recurrent_cell", "recurrent"):
        extra = {"input_size": 1, "hidden_size": 1, "input_weights": torch.ones(1, 1, dtype=dtype)}
    if form in ("recurrent_cell", "recurrent"):
        extra["recurrent_weights"] = torch.zeros(1, 1, dtype=dtype)  # one neuron, no recurrence
    module = factory.create(form, **extra, **kwargs)
    return module.to(dtype), form


def _drive(
    module: Any, form: str, currents: torch.Tensor, *, progress: Progress | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor], list[str]]:
    """Run ``module`` on ``currents`` ``(T, N)``; the output and every state variable, ``(T, N)``."""
    model = module.model
    T, N = currents.shape
    shaped = currents if form in ("cell", "layer") else currents.unsqueeze(-1)   # (T, N) or (T, N, 1)
    with Recorder(module) as rec, torch.no_grad():
        if form in _SEQUENCE_FORMS:
            module(shaped)
        else:
            state = None
            for t, x_t in enumerate(shaped.unbind(0)):
                _, state = module(x_t, state)
                if progress is not None:
                    progress.update(t + 1)
    if progress is not None:
        progress.close()
    output = rec[OUTPUT].reshape(T, N)
    states = {v: rec[v].reshape(T, N) for v in model.state._fields}
    return output, states, list(rec.notes)


@attrs.frozen
class Sweep:
    """How model ``name`` answers each constant current of :data:`SWEEP` over ``steps`` steps.

    ``rheobase``: the smallest swept current that makes it spike (``0.0`` when it spikes
    without input, ``None`` when no swept current does). ``amplitude``: the standard
    stimulus, the smallest swept current that gives at least :data:`TARGET_SPIKES` spikes,
    rounded up to two significant digits (the largest count's current when none does,
    and 1 when the model never spikes).
    """

    currents: torch.Tensor
    counts: torch.Tensor
    steps: int

    @property
    def rheobase(self) -> float | None:
        firing = torch.nonzero(self.counts > 0).flatten()
        return float(self.currents[int(firing[0])]) if firing.numel() else None

    @property
    def amplitude(self) -> float:
        if not bool((self.counts > 0).any()) or bool(self.counts[0] > 0):
            return 1.0
        enough = torch.nonzero(self.counts >= TARGET_SPIKES).flatten()
        k = int(enough[0]) if enough.numel() else int(torch.argmax(self.counts))
        return _round_up(float(self.currents[k]))

    def explain(self, unit: str = "") -> str:
        """Why :attr:`amplitude` is what it is, in words."""
        u = f" {unit}" if unit else ""
        r = self.rheobase
        if r is None:
            return f"amplitude 1{u}: no current up to 1e3{u} makes the model spike"
        if r == 0.0:
            return f"amplitude 1{u}: the model spikes without input"
        return (
            f"amplitude {self.amplitude:g}{u}: the smallest current that gives {TARGET_SPIKES} spikes in {self.steps} steps "
            f"(rheobase {r:.3g}{u}); give an amplitude to choose"
        )


def _round_up(x: float) -> float:
    """``x`` rounded up to two significant digits (0.2239 -> 0.23)."""
    if x <= 0:
        return x
    scale = 10.0 ** (math.floor(math.log10(x)) - 1)
    return float(f"{math.ceil(x / scale - 1e-9) * scale:.2g}")


def sweep(
    name: str,
    *,
    steps: int = DEFAULT_STEPS,
    dt: float | None = None,
    preset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    registry: Any = None,
) -> Sweep:
    """Run model ``name`` on 0 and each current of :data:`SWEEP` (20 per decade from 1e-3 to
    1e3), one neuron per current side by side, and count the spikes (see :class:`Sweep`)."""
    reg = registry_or_default(registry)
    entry = reg.get(name)
    factory = _neuron_factory(entry, reg)
    steps = _check_int(steps, "steps")
    lo, hi, n = SWEEP
    currents = torch.cat([torch.zeros(1, dtype=torch.float64), torch.logspace(lo, hi, n, dtype=torch.float64)])
    if not is_spiking(factory.model):
        return Sweep(currents=currents, counts=torch.zeros(currents.shape, dtype=torch.long), steps=steps)
    counts, _ = _counts(factory, entry, currents, steps, dt, preset, overrides)
    return Sweep(currents=currents, counts=counts, steps=steps)


def rheobase(
    name: str,
    *,
    steps: int = DEFAULT_STEPS,
    dt: float | None = None,
    preset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    registry: Any = None,
) -> float | None:
    """The smallest current of :data:`SWEEP` that makes model ``name`` spike within ``steps``
    steps; ``0.0`` if it spikes without input, ``None`` if no swept current makes it spike."""
    return sweep(name, steps=steps, dt=dt, preset=preset, overrides=overrides, registry=registry).rheobase


def _counts(
    factory: Any, entry: Any, currents: torch.Tensor, steps: int, dt: Any, preset: Any, overrides: Any
) -> tuple[torch.Tensor, float | None]:
    """Spike counts of one neuron per constant current over ``steps`` steps, and the model's dt."""
    kwargs = _module_kwargs(entry, preset, overrides, dt)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module, form = _build(factory, kwargs, torch.float64)
        drive = currents.to(torch.float64).unsqueeze(0).expand(steps, -1).contiguous()   # (T, K): constant currents
        output, _, _ = _drive(module, form, drive)
    return (output != 0).sum(0), _dt_of(module.params())


def rate_curve(
    name: str,
    currents: Sequence[float] | torch.Tensor | None = None,
    *,
    steps: int = DEFAULT_STEPS,
    dt: float | None = None,
    preset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    registry: Any = None,
) -> RateCurve:
    """The f–I curve of model ``name``: its mean rate over ``steps`` steps of each constant
    current (one neuron per current, run side by side). Without ``currents``: 41 currents
    from 0 to twice the standard amplitude (:attr:`Sweep.amplitude`)."""
    reg = registry_or_default(registry)
    entry = reg.get(name)
    factory = _neuron_factory(entry, reg)
    if not is_spiking(factory.model):
        raise SpikeplugError(f"{entry.qualified_name}: its output is not spikes, so it has no firing rate")
    steps = _check_int(steps, "steps")
    if currents is None:
        top = 2.0 * sweep(name, steps=steps, dt=dt, preset=preset, overrides=overrides, registry=reg).amplitude
        currents = torch.linspace(0.0, top, 41, dtype=torch.float64)
    currents = torch.as_tensor(currents, dtype=torch.float64).reshape(-1)
    if currents.numel() == 0 or not bool(torch.isfinite(currents).all()):
        raise ParameterError(f"currents must be finite numbers, at least one, got {currents.tolist()!r}")
    counts, step_dt = _counts(factory, entry, currents, steps, dt, preset, overrides)
    rates = counts.to(torch.float64) / (steps * (step_dt if step_dt is not None else 1.0))
    return RateCurve(
        name=entry.qualified_name,
        currents=currents,
        rates=rates,
        current_unit=getattr(factory.model, "input_unit", ""),
        steps=steps,
        dt=step_dt,
        preset=preset,
    )


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name} must be a number, got {value!r}")
    return float(value)


def _dt_of(p: Any) -> float | None:
    dt = getattr(p, "dt", None)
    if isinstance(dt, torch.Tensor):
        return float(dt.item()) if dt.numel() == 1 else None
    return float(dt) if isinstance(dt, (int, float)) and not isinstance(dt, bool) else None


def _simulate_neuron(
    entry: Any,
    reg: Any,
    *,
    current: str,
    amplitude: float | None,
    steps: int,
    onset: int | None,
    dt: float | None,
    preset: str | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
    progress: bool | None,
) -> Simulation:
    factory = _neuron_factory(entry, reg)
    model = factory.model
    onset = steps // 10 if onset is None else onset
    stim = Stimulus(kind=current, amplitude=0.0 if amplitude is None else _number(amplitude, "amplitude"), onset=onset, steps=steps)
    notes: list[str] = []
    if amplitude is None:
        window = min(steps - onset, SWEEP_MAX_STEPS)
        found = sweep(entry.qualified_name, steps=window, dt=dt, preset=preset, overrides=overrides, registry=reg)
        stim = attrs.evolve(stim, amplitude=found.amplitude)
        notes.append(found.explain(getattr(model, "input_unit", "")))
    kwargs = _module_kwargs(entry, preset, overrides, dt)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module, form = _build(factory, kwargs, torch.float64)
        currents = stim.values(torch.float64).unsqueeze(1)                       # (T, 1): one neuron
        bar = Progress(steps, f"simulating {entry.qualified_name}", progress) if form in _ONE_STEP_FORMS else None
        output, states, rec_notes = _drive(module, form, currents, progress=bar)
    p = module.params()
    step_dt = _dt_of(p)
    if form != "cell":
        notes.append(f"driven through its {form.replace('_', ' ')} form (one input of weight 1, no recurrence)")
    notes.extend(rec_notes)
    return Simulation(
        name=entry.name,
        qualified_name=entry.qualified_name,
        kind="neuron",
        input=currents,
        output=output,
        spikes=is_spiking(model),
        dt=step_dt,
        states=states,
        units={v: state_unit(model, v) for v in states},
        input_unit=getattr(model, "input_unit", ""),
        input_description=stim.describe(getattr(model, "input_unit", ""), step_dt),
        stimulus=stim,
        preset=preset,
        parameters=_parameter_values(p),
        form=form,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------- encoders
def _signature(factory: Any) -> tuple[set[str], bool]:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return set(), True
    names = {n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return names, any(p.kind == p.VAR_KEYWORD for p in params.values())


def _simulate_encoder(
    entry: Any,
    reg: Any,
    *,
    steps: int,
    amplitude: float | None,
    dt: float | None,
    overrides: Mapping[str, Any] | None,
    seed: int,
) -> Simulation:
    factory = reg.factory(entry.qualified_name)
    names, var_kw = _signature(factory)
    kwargs: dict[str, Any] = {}
    if "seq_length" in names:
        kwargs["seq_length"] = steps
    if "out_features" in names:
        kwargs["out_features"] = SAMPLE_FEATURES
    if "generator" in names:
        kwargs["generator"] = torch.Generator().manual_seed(seed)
    if dt is not None:
        kwargs["dt"] = dt
    for key in {**(overrides or {}), **({"dt": dt} if dt is not None else {})}:
        if key not in names and not var_kw:
            raise ParameterError(
                f"{'--dt' if key == 'dt' else '--set ' + key}: encoder {entry.qualified_name!r} takes no parameter "
                f"{key!r}; it takes: {', '.join(sorted(names)) or 'nothing'}"
            )
    kwargs.update(overrides or {})
    encoder = factory(**kwargs)
    sample: Callable[..., torch.Tensor] | None = getattr(factory, "sample_input", None)
    g_input = torch.Generator().manual_seed(seed + 1)
    if sample is not None:
        x = torch.as_tensor(sample(steps, g_input))
        doc = (inspect.getdoc(sample) or "").split("\n\n")[0].replace("\n", " ").rstrip(".")
        description = doc or f"the encoder's sample input of shape {tuple(x.shape)}"
    else:
        x = torch.linspace(0.0, 1.0, SAMPLE_INPUTS)
        description = f"{SAMPLE_INPUTS} values from 0 to 1, one per input"
    if amplitude is not None:
        x = x * _number(amplitude, "amplitude")
        description += f", times {amplitude:g}"
    notes: list[str] = []
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        try:
            y = encoder(x)
        except (InputValueError, ValueError) as exc:
            raise ParameterError(f"encoder {entry.qualified_name!r} rejects its sample input ({description}): {exc}") from exc
        time_first_input = x.dim() >= 2 and x.shape[0] == steps
        over_time = tuple(y.shape) == (steps, *x.shape) or (y.shape == x.shape and time_first_input)
        if y.shape == x.shape and not over_time:
            y = torch.stack([y, *(encoder(x) for _ in range(steps - 1))])          # (T, *x.shape)
            over_time = True
            notes.append(f"a one-step encoder: called {steps} times on the same input")
    if over_time:
        output = y.reshape(steps, -1)                                             # (T, N)
    else:
        output = y.reshape(x.numel(), -1) if y.numel() % max(x.numel(), 1) == 0 else y.reshape(1, -1)
    spikes = bool(over_time and torch.isin(output, torch.tensor([-1.0, 0.0, 1.0], dtype=output.dtype)).all())
    p = getattr(encoder, "p", None)
    return Simulation(
        name=entry.name,
        qualified_name=entry.qualified_name,
        kind="encoder",
        input=x,
        output=output,
        spikes=spikes,
        over_time=over_time,
        dt=_dt_of(p) if over_time else None,
        input_description=description,
        parameters=_parameter_values(p),
        form=type(encoder).__name__,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------- entry point
def simulate(
    name: str,
    *,
    current: str = "step",
    amplitude: float | None = None,
    steps: int = DEFAULT_STEPS,
    onset: int | None = None,
    dt: float | None = None,
    preset: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    seed: int = 0,
    progress: bool | None = False,
    registry: Any = None,
) -> Simulation:
    """Run the registered model ``name`` (neuron model or encoder) on the standard stimulus.

    :param current: ``"step"`` or ``"ramp"`` (neuron models).
    :param amplitude: the current's final value (neuron models; default: :attr:`Sweep.amplitude`),
        or a factor on the sample input (encoders).
    :param steps: number of time steps; :param onset: first step of the current
        (default ``steps // 10``).
    :param dt: time step in seconds (default: the model's).
    :param preset: a named parameter set of the model; :param overrides: parameter values
        on top of it (``{"tau_mem_inv": 50.0}``).
    :param seed: seeds the random parts (weights, encoder draws).
    :param progress: show progress on stderr: ``True``, ``False``, or ``None`` for runs
        that take more than a second.
    """
    reg = registry_or_default(registry)
    entry = reg.get(name)
    steps = _check_int(steps, "steps")
    if entry.kind == "encoder":
        if preset is not None:
            raise ParameterError(f"preset: encoder {entry.qualified_name!r} has no presets, got {preset!r}")
        return _simulate_encoder(entry, reg, steps=steps, amplitude=amplitude, dt=dt, overrides=overrides, seed=seed)
    if entry.kind != "neuron":
        raise ParameterError(f"simulate runs neuron models and encoders; {entry.qualified_name!r} is a {entry.kind}")
    return _simulate_neuron(
        entry, reg, current=current, amplitude=amplitude, steps=steps, onset=onset, dt=dt, preset=preset,
        overrides=overrides, seed=seed, progress=progress,
    )


# ---------------------------------------------------------------------- command line
def add_arguments(p: Any) -> None:
    """The options of ``spikeplug simulate``."""
    p.add_argument("name", help="registered neuron model or encoder, bare ('lif') or qualified ('lif:lif')")
    p.add_argument("--current", choices=STIMULI, default="step", help="input current: step (default) or ramp")
    p.add_argument(
        "--amplitude", type=float, default=None,
        help="final value of the current (default: the smallest that gives a few spikes); for encoders a factor on the sample input",
    )
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help=f"time steps (default: {DEFAULT_STEPS})")
    p.add_argument("--onset", type=int, default=None, help="first step of the current (default: steps // 10)")
    p.add_argument("--dt", type=float, default=None, help="time step in seconds (default: the model's)")
    p.add_argument("--preset", default=None, help="named parameter set of the model (see `spikeplug describe NAME`)")
    p.add_argument(
        "--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
        help="parameter value, e.g. --set tau_mem_inv=50 (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--plot", metavar="FILE.png", help="draw the input, every state variable and the spikes")
    p.add_argument("--fi-curve", action="store_true", help="add the f-I curve to --plot")
    p.add_argument("--csv", metavar="FILE", help="write one row per step (time, input, output, state variables)")
    p.add_argument("--json", metavar="FILE", help="write everything as JSON ('-': to stdout, instead of the summary)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--progress", dest="progress", action="store_const", const=True, default=None,
                       help="always show progress (default: for runs longer than a second)")
    shown.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="never show progress")


def command(args: Any) -> int:
    """``spikeplug simulate``: run, print spike times and rates, write the files asked for."""
    reg = registry_or_default(None)
    entry = reg.get(args.name)
    text_fields = {p.name for p in reg.describe(entry.qualified_name).parameters if isinstance(p.default, str)}
    overrides = parse_assignments(args.assignments, text_fields=text_fields)
    plot_module = None
    if args.plot:
        try:
            plot_module = importlib.import_module(".plot", __package__)     # imports matplotlib
        except ImportError as exc:
            raise SpikeplugError(f'--plot needs matplotlib: pip install "spikeplug[plot]" ({exc})') from None
    if entry.kind == "encoder" and (args.current != "step" or args.onset is not None or args.fi_curve):
        raise ParameterError(f"--current, --onset and --fi-curve are for neuron models; {entry.qualified_name!r} is an encoder")
    sim = simulate(
        entry.qualified_name, current=args.current, amplitude=args.amplitude, steps=args.steps, onset=args.onset,
        dt=args.dt, preset=args.preset, overrides=overrides, seed=args.seed, progress=args.progress, registry=reg,
    )
    if args.json == "-":
        print(sim.to_json(indent=1))
    else:
        print(sim.summary())
    if args.json and args.json != "-":
        _write(args.json, sim.to_json(indent=1) + "\n")
    if args.csv:
        _write(args.csv, sim.csv_text())
    if plot_module is not None:
        from matplotlib.figure import Figure

        curve = None
        if args.fi_curve:
            if not sim.spikes:
                raise ParameterError(f"--fi-curve: {entry.qualified_name!r} does not spike, so it has no f-I curve")
            currents = torch.linspace(0.0, 2.0 * sim.stimulus.amplitude, 41, dtype=torch.float64)
            curve = rate_curve(entry.qualified_name, currents, steps=args.steps, dt=args.dt, preset=args.preset,
                               overrides=overrides, registry=reg)
        rows = len(sim.states) + 2
        fig = Figure(figsize=(9.0 if curve is not None else 7.0, 1.3 * rows + 0.9), layout="constrained")
        plot_module.simulation(sim, curve=curve, fig=fig)
        fig.savefig(args.plot, dpi=100)
    written = [f for f in (args.plot, args.csv, None if args.json == "-" else args.json) if f]
    if written:
        print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise SpikeplugError(f"cannot write {path!r}: {exc.strerror}") from None
