"""spikeplug.plot: what the figures show (points, lines, labels with units), drawn headless with Agg."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.collections import EventCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import spikeplug  # noqa: E402
import spikeplug.plot as splt  # noqa: E402
from spikeplug.simulation import rate_curve, simulate  # noqa: E402


def _axes():
    return Figure().add_subplot()


def _events(ax):
    """{row offset: sorted positions} of every eventplot row on ``ax``, with its colour."""
    out = {}
    for c in ax.collections:
        if isinstance(c, EventCollection):
            out.setdefault(c.get_lineoffset(), []).extend(c.get_positions())
    return {k: sorted(v) for k, v in out.items()}


def _recorded_lif(T=120, N=6):
    torch.manual_seed(0)
    net = spikeplug.SequentialState(torch.nn.Linear(3, N), spikeplug.create("lif", tau_mem_inv=60.0))
    x = torch.rand(T, 1, 3) * 2
    with spikeplug.record(net) as rec:
        net(x)
    return rec


def test_raster_points_are_the_recorded_spikes():
    """Each raster row holds exactly the times t·dt of that neuron's recorded spikes."""
    rec = _recorded_lif()
    spikes = rec["1.output"][:, 0, :]                       # (T, N)
    ax = splt.raster(rec.trace("1.output"), ax=_axes())
    expected = {
        float(n): [t * 0.001 for t in torch.nonzero(spikes[:, n]).flatten().tolist()]
        for n in range(spikes.shape[1])
    }
    got = _events(ax)
    assert set(got) == set(expected) and spikes.sum() > 10
    for n, times in expected.items():
        assert got[n] == pytest.approx(times)
    assert ax.get_xlabel() == "time [s]" and ax.get_ylabel() == "neuron"


def test_raster_without_dt_uses_steps_and_signed_spikes_get_two_colours():
    """Without dt the axis counts steps; spikes of -1 are a second eventplot in another colour."""
    spikes = torch.tensor([[1.0, 0.0], [0.0, -1.0], [-1.0, 1.0]])
    ax = splt.raster(spikes, ax=_axes())
    rows = [c for c in ax.collections if isinstance(c, EventCollection)]   # positive rows, then negative rows
    assert ax.get_xlabel() == "step"
    pos = {c.get_lineoffset(): list(c.get_positions()) for c in rows[:2]}
    neg = {c.get_lineoffset(): list(c.get_positions()) for c in rows[2:]}
    assert pos == {0.0: [0.0], 1.0: [2.0]} and neg == {0.0: [2.0], 1.0: [1.0]}
    assert tuple(rows[0].get_color()) != tuple(rows[2].get_color())


def test_traces_draw_the_values_with_the_unit():
    """Lines equal the recorded values of each neuron; the y axis reads 'v [mV]'."""
    cell = spikeplug.create("izhikevich", form="cell")
    with spikeplug.record(cell, "v") as rec:
        state = None
        for _ in range(50):
            _, state = cell(torch.tensor([10.0, 20.0]), state)
    ax = splt.traces(rec.trace("v"), ax=_axes())
    lines = ax.get_lines()
    assert len(lines) == 2 and ax.get_ylabel() == "v [mV]" and ax.get_xlabel() == "time [s]"
    assert lines[1].get_ydata().tolist() == pytest.approx(rec["v"][:, 1].tolist())
    assert lines[0].get_xdata().tolist() == pytest.approx([0.001 * t for t in range(50)])
    plain = splt.traces(torch.ones(4, 3), ax=_axes(), name="x", neurons=[2])
    assert plain.get_ylabel() == "x" and len(plain.get_lines()) == 1     # no unit declared: none shown


def test_phase_portrait_plots_u_against_v():
    """The trajectory's points are (v, u) of every step; the axes carry both units."""
    cell = spikeplug.create("izhikevich", form="cell", preset="tonic_bursting")
    with spikeplug.record(cell) as rec:
        state = None
        for _ in range(300):
            _, state = cell(torch.tensor([15.0]), state)
    ax = splt.phase_portrait(rec.trace("v"), rec.trace("u"), ax=_axes())
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == pytest.approx(rec["v"][:, 0].tolist())
    assert line.get_ydata().tolist() == pytest.approx(rec["u"][:, 0].tolist())
    assert ax.get_xlabel() == "v [mV]" and ax.get_ylabel() == "u [mV/ms]"
    with pytest.raises(spikeplug.InputShapeError, match=r"phase_portrait: x and y must have the same shape"):
        splt.phase_portrait(torch.zeros(3, 2), torch.zeros(4, 2), ax=_axes())


def test_fi_curve_shows_the_computed_rates():
    """The f–I line is the RateCurve's data; axes read 'input current [a.u.]' and 'rate [Hz]'."""
    curve = rate_curve("iaf", [0.0, 0.25, 0.5], steps=600)
    ax = splt.fi_curve(curve, ax=_axes())
    line = ax.get_lines()[0]
    assert line.get_xdata().tolist() == [0.0, 0.25, 0.5] and line.get_ydata().tolist() == pytest.approx([0.0, 200.0, 1000 / 3])
    assert ax.get_xlabel() == "input current [a.u.]" and ax.get_ylabel() == "rate [Hz]"
    by_name = splt.fi_curve("iaf", ax=_axes(), currents=[0.25], steps=600)
    assert by_name.get_lines()[0].get_ydata().tolist() == pytest.approx([200.0])


def test_activity_summary_counts():
    """The activity figure's per-neuron rate bars, population rate and histogram agree with the spikes."""
    rec = _recorded_lif(T=100, N=5)
    spikes = rec["1.output"][:, 0, :]
    fig = splt.activity(rec.trace("1.output"), trace=rec.trace("1.v"), bins=4, fig=Figure(layout="constrained"))
    ax_raster, ax_rates, ax_v, ax_pop, ax_hist = fig.axes
    rates = [p.get_width() for p in ax_rates.patches]
    assert rates == pytest.approx((spikes.sum(0) / 0.1).tolist())          # spikes / (100 steps · 1 ms)
    pop = [p.get_height() for p in ax_pop.patches]
    expected = [float(spikes[k * 25 : (k + 1) * 25].sum()) / (5 * 0.025) for k in range(4)]
    assert pop == pytest.approx(expected)
    assert sum(p.get_height() for p in ax_hist.patches) == 5
    assert ax_v.get_ylabel() == "v [a.u.]" and ax_pop.get_ylabel() == "population rate [Hz]"
    assert sum(len(v) for v in _events(ax_raster).values()) == int(spikes.sum())


def test_recording_figure_has_one_axes_per_variable():
    """splt.recording draws each recorded name, spikes as a raster, with units on the traces."""
    rec = _recorded_lif()
    fig = splt.recording(rec, fig=Figure(layout="constrained"))
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == ["1.v [a.u.]", "1.i [a.u.]", "1.output\nneuron"]
    assert sum(len(v) for v in _events(fig.axes[2]).values()) == int(rec["1.output"].sum())


def test_simulation_figure_shows_every_state_and_the_spikes():
    """The simulate figure has input, one axes per state variable (with units), the spikes
    (the run's spike times) and the f–I curve when given; it saves as PNG headless."""
    sim = simulate("lif_adex", amplitude=0.4, steps=300)
    curve = rate_curve("lif_adex", [0.0, 0.2, 0.4], steps=300)
    fig = splt.simulation(sim, curve=curve, fig=Figure(figsize=(8, 6), layout="constrained"))
    axes = fig.axes
    assert [ax.get_ylabel() for ax in axes[:5]] == ["input [a.u.]", "v [a.u.]", "i [a.u.]", "a [a.u.]", "spikes"]
    assert _events(axes[4])[0.0] == pytest.approx(sim.spike_times()) and sim.spike_times()
    assert axes[5].get_xlabel() == "input current [a.u.]"
    assert axes[1].get_lines()[0].get_ydata().tolist() == pytest.approx(sim.states["v"][:, 0].tolist())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_encoder_figures():
    """Encoder figures: a signed raster with the -1 spikes in their own rows, or an image of graded values."""
    sim = simulate("signed_poisson", steps=100)
    fig = splt.simulation(sim, fig=Figure(layout="constrained"))
    out = fig.axes[1]
    rows = [c for c in out.collections if isinstance(c, EventCollection)]
    negative = {c.get_lineoffset(): list(c.get_positions()) for c in rows[8:]}
    flat = sim.output
    for n, times in negative.items():
        assert times == pytest.approx([t * 0.001 for t in torch.nonzero(flat[:, int(n)] < 0).flatten().tolist()])
    assert negative and all(sim.input[int(n)] < 0 for n in negative if negative[n])
    graded = splt.simulation(simulate("population"), fig=Figure(layout="constrained"))
    image = graded.axes[1].get_images()[0]
    assert image.get_array().shape == (8, 8) and graded.axes[1].get_xlabel() == "output feature"


def test_bad_data_names_the_argument():
    """Empty or non-numeric data raise InputShapeError naming the function's argument."""
    with pytest.raises(spikeplug.InputShapeError, match=r"raster\(spikes\) must be time first with at least one step"):
        splt.raster(torch.zeros(0, 3), ax=_axes())
    with pytest.raises(spikeplug.InputShapeError, match=r"traces\(values\) must be a tensor, an array or a spikeplug.Trace"):
        splt.traces(object(), ax=_axes())
    with pytest.raises(spikeplug.InputShapeError, match=r"traces: neurons \[7\] are outside 0..2"):
        splt.traces(torch.zeros(4, 3), ax=_axes(), neurons=[7])


def test_import_spikeplug_does_not_import_matplotlib():
    """matplotlib is optional: `import spikeplug` (and the CLI module) leave it unimported."""
    code = "import spikeplug, spikeplug.cli, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
