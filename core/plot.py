"""Plots of spiking activity and neuron dynamics (matplotlib, ``pip install "spikeplug[plot]"``).

Functions that draw on one axes take ``ax=`` (default: the current axes) and return it;
functions that lay out several axes take ``fig=`` (default: a new figure) and return it,
as matplotlib's own functions do. Data are time-first tensors ``(T, *S)`` (the ``S``
neurons are flattened) or :class:`~spikeplug.Trace` objects from a
:class:`~spikeplug.Recorder` or a :class:`~spikeplug.simulation.Simulation`, which also
bring the variable's name, its declared unit and ``dt``, so axes get labelled
``"v [mV]"`` and ``"time [s]"``. Step ``t`` (counted from 0) is drawn at ``t·dt``, or at
``t`` on a ``"step"`` axis without ``dt``.

::

    import spikeplug.plot as splt
    with spikeplug.record(net, "1.v", "1.output") as rec:
        net(x)
    splt.raster(rec.trace("1.output"))           # eventplot of the spikes
    splt.traces(rec.trace("1.v"), neurons=[0, 1])
    splt.recording(rec).savefig("net.png")       # every recorded variable

Importing this module imports matplotlib; ``import spikeplug`` does not.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import attrs
import torch

try:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError('spikeplug.plot needs matplotlib: pip install "spikeplug[plot]"') from exc

from .errors import InputShapeError
from .recording import Recorder, Trace

__all__ = [
    "raster",
    "traces",
    "phase_portrait",
    "fi_curve",
    "activity",
    "recording",
    "simulation",
    "axis_label",
    "MAX_TRACES",
]

#: traces draws at most this many neurons unless ``neurons=`` picks them
MAX_TRACES = 8
#: colours of positive and negative spikes in rasters
SPIKE_COLOURS = ("C0", "C3")


@attrs.frozen(eq=False)
class _Series:
    values: Any            # numpy (T, N)
    name: str
    unit: str
    dt: float | None
    spikes: bool

    @property
    def steps(self) -> int:
        return int(self.values.shape[0])

    @property
    def neurons(self) -> int:
        return int(self.values.shape[1])

    def times(self) -> Any:
        t = np.arange(self.steps, dtype=np.float64)
        return t * self.dt if self.dt is not None else t


def axis_label(name: str, unit: str = "") -> str:
    """``"v [mV]"``, or ``"v"`` when there is no unit."""
    return f"{name} [{unit}]" if unit else name


def _series(values: Any, what: str, *, name: str | None = None, unit: str | None = None, dt: float | None = None) -> _Series:
    """Values as a ``(T, N)`` float64 array plus labels; a :class:`Trace` brings its own,
    which explicit ``name``/``unit``/``dt`` override."""
    spikes = False
    if isinstance(values, Trace):
        name = values.variable if name is None else name
        unit = values.unit if unit is None else unit
        dt = values.dt if dt is None else dt
        spikes = values.spikes
        values = values.values
    if isinstance(values, torch.Tensor):
        array = values.detach().to("cpu", torch.float64).numpy()
    else:
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputShapeError(
                f"{what} must be a tensor, an array or a spikeplug.Trace of shape (T, ...), got {type(values).__name__}"
            ) from None
    if array.ndim == 0 or array.shape[0] == 0:
        raise InputShapeError(f"{what} must be time first with at least one step, shape (T, ...), got {array.shape}")
    array = array.reshape(array.shape[0], -1)
    if dt is not None and not (isinstance(dt, (int, float)) and not isinstance(dt, bool) and dt > 0):
        raise InputShapeError(f"{what}: dt must be a positive number of seconds or None, got {dt!r}")
    return _Series(array, name or "", unit or "", float(dt) if dt is not None else None, spikes)


def _neurons(series: _Series, neurons: Sequence[int] | None, what: str, limit: int | None = None) -> list[int]:
    if neurons is None:
        return list(range(series.neurons if limit is None else min(series.neurons, limit)))
    picked = [int(n) for n in neurons]
    bad = [n for n in picked if not 0 <= n < series.neurons]
    if bad:
        raise InputShapeError(f"{what}: neurons {bad} are outside 0..{series.neurons - 1} (the data have {series.neurons} neurons)")
    return picked


def _time_label(dt: float | None) -> str:
    return "time [s]" if dt is not None else "step"


def _gca(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _figure(fig: Figure | None, size: tuple[float, float]) -> Figure:
    """``fig``, or a new pyplot figure of ``size`` with the constrained layout."""
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt

    return plt.figure(figsize=size, layout="constrained")


def _finish(fig: Figure) -> Figure:
    """Lay out a figure whose owner chose no layout engine, so labels are not clipped."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig


def _only_bottom_labels(axes: Sequence[Axes]) -> None:
    """Axes stacked on one time axis: tick labels and x label on the bottom one only."""
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
        ax.set_xlabel("")


# ---------------------------------------------------------------------- one axes
def raster(
    spikes: Any,
    *,
    ax: Axes | None = None,
    dt: float | None = None,
    neurons: Sequence[int] | None = None,
    color: Any = None,
    **kwargs: Any,
) -> Axes:
    """A spike raster (:meth:`~matplotlib.axes.Axes.eventplot`): one row per neuron, a tick
    at every step where the value is nonzero. Negative values (signed encoders) are drawn in
    a second colour. ``kwargs`` go to ``eventplot``."""
    s = _series(spikes, "raster(spikes)", dt=dt)
    ax = _gca(ax)
    rows = _neurons(s, neurons, "raster")
    t = s.times()
    colours = (color, color) if color is not None else SPIKE_COLOURS
    kwargs.setdefault("linelengths", 0.8)
    kwargs.setdefault("linewidths", 1.0)
    for sign, colour in zip((1, -1), colours):
        positions = [t[s.values[:, n] * sign > 0] for n in rows]
        if sign < 0 and not any(len(p) for p in positions):
            continue
        ax.eventplot(positions, lineoffsets=rows, colors=colour, **kwargs)
    ax.set_xlabel(_time_label(s.dt))
    ax.set_ylabel("neuron")
    ax.set_ylim(min(rows) - 0.6, max(rows) + 0.6)
    ax.set_xlim(t[0], t[-1] + (s.dt or 1.0))
    if len(rows) <= 10:
        ax.set_yticks(rows)
    return ax


def traces(
    values: Any,
    *,
    ax: Axes | None = None,
    dt: float | None = None,
    name: str | None = None,
    unit: str | None = None,
    neurons: Sequence[int] | None = None,
    **kwargs: Any,
) -> Axes:
    """One line per neuron against time; the y axis reads ``"name [unit]"`` (from a
    :class:`~spikeplug.Trace`, or ``name=``/``unit=``). Without ``neurons``, the first
    :data:`MAX_TRACES` neurons. ``kwargs`` go to :meth:`~matplotlib.axes.Axes.plot`."""
    s = _series(values, "traces(values)", name=name, unit=unit, dt=dt)
    ax = _gca(ax)
    t = s.times()
    rows = _neurons(s, neurons, "traces", MAX_TRACES)
    kwargs.setdefault("linewidth", 1.0)
    for n in rows:
        ax.plot(t, s.values[:, n], label=f"neuron {n}", **kwargs)
    ax.set_xlabel(_time_label(s.dt))
    ax.set_ylabel(axis_label(s.name or "value", s.unit))
    if 1 < len(rows) <= MAX_TRACES:
        ax.legend(fontsize="small", loc="best")
    return ax


def phase_portrait(
    x: Any,
    y: Any,
    *,
    ax: Axes | None = None,
    neurons: Sequence[int] | None = None,
    x_name: str | None = None,
    y_name: str | None = None,
    x_unit: str | None = None,
    y_unit: str | None = None,
    **kwargs: Any,
) -> Axes:
    """The trajectory of two state variables of the same neurons (``y`` against ``x``), a
    dot at each start; axes read ``"name [unit]"``."""
    sx = _series(x, "phase_portrait(x)", name=x_name, unit=x_unit)
    sy = _series(y, "phase_portrait(y)", name=y_name, unit=y_unit)
    if sx.values.shape != sy.values.shape:
        raise InputShapeError(f"phase_portrait: x and y must have the same shape, got {sx.values.shape} and {sy.values.shape}")
    ax = _gca(ax)
    rows = _neurons(sx, neurons, "phase_portrait", MAX_TRACES)
    kwargs.setdefault("linewidth", 1.0)
    for n in rows:
        (line,) = ax.plot(sx.values[:, n], sy.values[:, n], label=f"neuron {n}", **kwargs)
        ax.plot(sx.values[0, n], sy.values[0, n], "o", color=line.get_color(), markersize=4)
    ax.set_xlabel(axis_label(sx.name or "x", sx.unit))
    ax.set_ylabel(axis_label(sy.name or "y", sy.unit))
    if 1 < len(rows) <= MAX_TRACES:
        ax.legend(fontsize="small", loc="best")
    return ax


def fi_curve(curve: Any, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Mean firing rate against input current. ``curve`` is a
    :class:`~spikeplug.simulation.RateCurve`, or a model name whose curve
    :func:`~spikeplug.simulation.rate_curve` computes first (``kwargs`` then go to it:
    ``currents=``, ``steps=``, ``preset=``...)."""
    from .simulation import RateCurve, rate_curve

    plot_kwargs: dict[str, Any] = {}
    if isinstance(curve, str):
        curve = rate_curve(curve, **kwargs)
    elif isinstance(curve, RateCurve):
        plot_kwargs = kwargs
    else:
        raise TypeError(f"fi_curve takes a RateCurve or a model name, got {type(curve).__name__}")
    ax = _gca(ax)
    plot_kwargs.setdefault("marker", "o")
    plot_kwargs.setdefault("markersize", 3)
    plot_kwargs.setdefault("linewidth", 1.0)
    ax.plot(curve.currents.tolist(), curve.rates.tolist(), **plot_kwargs)
    ax.set_xlabel(axis_label("input current", curve.current_unit))
    ax.set_ylabel(axis_label("rate", curve.rate_unit))
    ax.set_title(f"f–I curve, {curve.steps} steps per current", fontsize="medium")
    return ax


# ---------------------------------------------------------------------- figures
def activity(
    spikes: Any,
    *,
    dt: float | None = None,
    trace: Any = None,
    bins: int = 20,
    fig: Figure | None = None,
) -> Figure:
    """A summary of a layer's activity. Left, on one time axis: the raster, with ``trace``
    (e.g. the recorded ``v``) its mean ± standard deviation over the neurons, and the
    population rate in ``bins`` time bins. Right: each neuron's mean rate beside its raster
    row, and the histogram of those rates."""
    s = _series(spikes, "activity(spikes)", dt=dt)
    v = _series(trace, "activity(trace)", dt=s.dt) if trace is not None else None
    if v is not None and v.steps != s.steps:
        raise InputShapeError(f"activity: trace has {v.steps} steps but spikes have {s.steps}")
    rows = 3 if v is not None else 2
    fig = _figure(fig, (8.0, 2.0 * rows + 0.6))
    grid = fig.add_gridspec(rows, 2, width_ratios=(4, 1))
    unit_time = s.dt if s.dt is not None else 1.0
    rate_unit = "Hz" if s.dt is not None else "1/step"
    mean_rates = (s.values != 0).sum(0) / (s.steps * unit_time)            # (N,)

    ax_raster = fig.add_subplot(grid[0, 0])
    raster(attrs.evolve(_trace_of(s), spikes=True), ax=ax_raster)
    ax_raster.set_title(f"{s.neurons} neurons, {int((s.values != 0).sum())} spikes", fontsize="medium", loc="left")
    ax_rates = fig.add_subplot(grid[0, 1], sharey=ax_raster)
    ax_rates.barh(np.arange(s.neurons), mean_rates, height=0.8, alpha=0.7)
    ax_rates.set_xlabel(axis_label("rate", rate_unit))
    ax_rates.tick_params(labelleft=False)
    stacked = [ax_raster]
    if v is not None:
        ax_v = fig.add_subplot(grid[1, 0], sharex=ax_raster)
        stacked.append(ax_v)
        t = v.times()
        mean, std = v.values.mean(1), v.values.std(1)
        ax_v.plot(t, mean, linewidth=1.0, label="mean")
        ax_v.fill_between(t, mean - std, mean + std, alpha=0.3, label="± std")
        ax_v.set_ylabel(axis_label(v.name or "value", v.unit))
        ax_v.legend(fontsize="small", loc="best")
    ax_pop = fig.add_subplot(grid[rows - 1, 0], sharex=ax_raster)
    stacked.append(ax_pop)
    n_bins = max(1, min(int(bins), s.steps))
    edges = np.linspace(0, s.steps, n_bins + 1).round().astype(int)
    counts = np.array([(s.values[a:b] != 0).sum() for a, b in zip(edges[:-1], edges[1:])], dtype=np.float64)
    widths = np.diff(edges) * unit_time
    ax_pop.bar(edges[:-1] * unit_time, counts / (s.neurons * widths), width=widths, align="edge", alpha=0.7)
    ax_pop.set_xlabel(_time_label(s.dt))
    ax_pop.set_ylabel(axis_label("population rate", rate_unit))
    ax_hist = fig.add_subplot(grid[rows - 1, 1])
    ax_hist.hist(mean_rates, bins=min(20, max(1, s.neurons)), alpha=0.7)
    ax_hist.set_xlabel(axis_label("rate", rate_unit))
    ax_hist.set_ylabel("neurons")
    _only_bottom_labels(stacked)
    fig.align_ylabels(stacked)
    return _finish(fig)


def _trace_of(s: _Series) -> Trace:
    return Trace(name=s.name, values=torch.from_numpy(s.values), unit=s.unit, dt=s.dt, spikes=s.spikes)


def recording(rec: Recorder, names: Sequence[str] | None = None, *, fig: Figure | None = None) -> Figure:
    """Every recorded variable of ``rec`` (or ``names``) on its own axes, spikes as a raster."""
    names = list(rec.names if names is None else names)
    if not names:
        raise InputShapeError("recording: nothing to plot; give names of recorded variables")
    fig = _figure(fig, (8.0, 1.6 * len(names) + 0.8))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    legend = False
    for ax, name in zip(axes, names):
        trace = rec.trace(name)
        if trace.spikes:
            raster(trace, ax=ax)
            ax.set_ylabel(f"{name}\nneuron")
        else:
            traces(trace, ax=ax, name=name)
            if ax.get_legend() is not None:
                ax.get_legend().remove()
                if not legend:                       # one legend, beside the first traces: same colour, same neuron
                    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
                    legend = True
    _only_bottom_labels(axes)
    fig.align_ylabels()
    return _finish(fig)


def simulation(sim: Any, *, curve: Any = None, fig: Figure | None = None) -> Figure:
    """What :func:`spikeplug.simulate` ran: for a neuron model, the input current, every
    state variable (labelled with its unit) and the spikes, plus the f–I ``curve`` when
    given; for an encoder, its sample input and its output (raster or image)."""
    if sim.kind == "encoder":
        return _encoder_figure(sim, fig)
    names = list(sim.states)
    rows = 2 + len(names)
    fig = _figure(fig, (9.0 if curve is not None else 7.0, 1.25 * rows + 0.9))
    grid = fig.add_gridspec(rows, 2 if curve is not None else 1, width_ratios=(3, 2) if curve is not None else None)
    first = fig.add_subplot(grid[0, 0])
    axes = [first] + [fig.add_subplot(grid[k, 0], sharex=first) for k in range(1, rows)]
    traces(sim.trace("input"), ax=axes[0], name="input", color="C2")
    for ax, name in zip(axes[1:], names):
        traces(sim.trace(name), ax=ax, color="C0")
    out = sim.trace("output")
    if sim.spikes:
        raster(out, ax=axes[-1], color="k")
        axes[-1].set_ylabel("spikes")
        axes[-1].set_yticks([])
    else:
        traces(out, ax=axes[-1], name="output", color="k")
    for ax in axes:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    _only_bottom_labels(axes)
    title = sim.qualified_name + (f", preset {sim.preset}" if sim.preset else "")
    if sim.spikes:
        count = int(sim.spike_counts().sum())
        title += f": {count} spike{'' if count == 1 else 's'}"
    axes[0].set_title(title, fontsize="medium", loc="left")
    if curve is not None:
        fi_curve(curve, ax=fig.add_subplot(grid[:, 1]))
    fig.align_ylabels(axes)
    return _finish(fig)


def _encoder_figure(sim: Any, fig: Figure | None) -> Figure:
    fig = _figure(fig, (7.0, 4.2))
    ax_in, ax_out = fig.subplots(2, 1, height_ratios=(1, 2))
    x = sim.input
    if x.dim() >= 2 and sim.over_time and x.shape[0] == sim.steps:
        raster(Trace(name="input", values=x, dt=sim.dt, spikes=True), ax=ax_in, color="0.4")
        ax_in.set_ylabel("input\nneuron")
    else:
        flat = x.reshape(-1).tolist()
        ax_in.bar(range(len(flat)), flat, color="C2", alpha=0.8)
        ax_in.set_xlabel("input")
        ax_in.set_ylabel(axis_label("input value", sim.input_unit))
    if sim.over_time and sim.spikes:
        raster(sim.trace("output"), ax=ax_out)
        ax_out.set_ylabel("output neuron")
    elif sim.over_time:
        traces(sim.trace("output"), ax=ax_out, name="output")
    else:
        image = ax_out.imshow(sim.output.tolist(), aspect="auto", origin="lower", cmap="viridis", interpolation="nearest")
        ax_out.set_xlabel("output feature")
        ax_out.set_ylabel("input")
        fig.colorbar(image, ax=ax_out, label="output")
    ax_in.set_title(textwrap.fill(f"{sim.qualified_name}: {sim.input_description}", 90), fontsize="small", loc="left")
    return _finish(fig)

