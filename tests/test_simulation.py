"""spikeplug.simulate and the `spikeplug simulate` command: stimulus, amplitude, outputs, errors."""

from __future__ import annotations

import csv
import io
import json
import warnings

import pytest
import torch

import spikeplug
from spikeplug.cli import main
from spikeplug.simulation import (
    SWEEP,
    TARGET_SPIKES,
    Progress,
    Stimulus,
    parse_assignments,
    rate_curve,
    rheobase,
    simulate,
    sweep,
)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _layer_spikes(name, currents, **kwargs):
    """Spike steps of the model's layer (eager, float64) driven by ``currents`` (T,) directly."""
    layer = spikeplug.create(name, backend="eager", **kwargs)
    out, _ = layer(currents.reshape(-1, 1).to(torch.float64))
    return [int(t) for t in torch.nonzero(out[:, 0]).flatten()]


def test_spikes_equal_the_layer_run_on_the_same_stimulus():
    """simulate's spike steps, times and trace equal the layer form driven by the same step current."""
    sim = simulate("lif", amplitude=0.5, steps=300)
    currents = Stimulus("step", 0.5, 30, 300).values()
    assert sim.stimulus == Stimulus("step", 0.5, 30, 300)
    assert torch.equal(sim.input[:, 0], currents)
    expected = _layer_spikes("lif", currents)
    assert sim.spike_steps() == expected and len(expected) > 5
    assert sim.spike_times() == pytest.approx([t * 0.001 for t in expected])
    layer = spikeplug.create("lif", backend="eager", record_states=True)
    _, states = layer(currents.reshape(-1, 1))
    assert torch.equal(sim.states["v"], states.v) and sim.units == {"v": "a.u.", "i": "a.u."}


def test_third_party_model_runs_like_a_builtin():
    """The example plugin's qif runs with its declared units and the same spikes as its layer."""
    sim = simulate("qif", amplitude=0.3, steps=400, onset=0)
    assert sim.qualified_name == "example_qif:qif" and sim.units == {"v": "a.u."}
    assert sim.spike_steps() == _layer_spikes("qif", torch.full((400,), 0.3)) and sim.spike_steps()


def test_stimulus_shapes_and_errors():
    """Step: 0 before onset, then the amplitude; ramp: rises linearly to the amplitude at the
    last step. Bad kinds, onsets and amplitudes name the argument."""
    assert Stimulus("step", 2.0, 2, 5).values().tolist() == [0.0, 0.0, 2.0, 2.0, 2.0]
    assert Stimulus("ramp", 3.0, 2, 5).values().tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]
    with pytest.raises(spikeplug.ParameterError, match=r"current must be one of 'step', 'ramp', got 'sine'"):
        Stimulus("sine", 1.0, 0, 5)
    with pytest.raises(spikeplug.ParameterError, match=r"onset must be an int step in \[0, steps\) = \[0, 5\), got 5"):
        Stimulus("step", 1.0, 5, 5)
    with pytest.raises(spikeplug.ParameterError, match=r"amplitude must be a finite number, got nan"):
        Stimulus("step", float("nan"), 0, 5)
    with pytest.raises(spikeplug.ParameterError, match=r"steps must be an int >= 1, got 0"):
        simulate("lif", steps=0)
    with pytest.raises(spikeplug.ParameterError, match=r"onset must be an int step in \[0, steps\) = \[0, 50\), got 50"):
        simulate("lif", steps=50, onset=50)                  # checked before the amplitude sweep runs
    with pytest.raises(spikeplug.ParameterError, match=r"amplitude must be a number, got '1'"):
        simulate("lif", amplitude="1")


def test_rheobase_of_lif_is_the_first_swept_current_above_the_hand_derived_bound():
    """LIF with a constant input I settles at v = 5·I (the synaptic current sums to I/0.2),
    so it fires only for I > 0.2: the sweep's rheobase is its first current above 0.2."""
    lo, hi, n = SWEEP
    grid = torch.logspace(lo, hi, n, dtype=torch.float64)
    first_above = float(grid[grid > 0.2][0])
    assert rheobase("lif", steps=1000) == pytest.approx(first_above)
    assert rheobase("li") is None                       # not a spiking model


def test_default_amplitude_gives_the_target_spike_count():
    """Without an amplitude, the stimulus is the smallest swept current with TARGET_SPIKES
    spikes while it is on (rounded up): it gives at least that many, and the note says why."""
    sim = simulate("iaf", steps=500)
    found = sweep("iaf", steps=450)
    assert sim.stimulus.amplitude == found.amplitude
    assert len(sim.spike_steps()) >= TARGET_SPIKES
    k = int(torch.nonzero(found.counts >= TARGET_SPIKES).flatten()[0])
    assert int(found.counts[:k].max()) < TARGET_SPIKES                    # the first swept current with enough
    assert float(found.currents[k]) <= found.amplitude < 1.1 * float(found.currents[k])   # rounded up, 2 digits
    assert any("smallest current that gives 5 spikes" in n for n in sim.notes)


def test_iaf_rate_curve_matches_the_hand_count():
    """A perfect integrator (v_th 1, strict threshold) with input I spikes every floor(1/I)+1
    steps: 0.25 -> every 5 steps, 0.3 -> every 4, 0.5 -> every 3 (1.0 is not above 1)."""
    curve = rate_curve("iaf", [0.0, 0.25, 0.3, 0.5], steps=1200)
    assert curve.rates.tolist() == pytest.approx([0.0, 200.0, 250.0, 1000.0 / 3.0])
    assert curve.rate_unit == "Hz" and curve.current_unit == "a.u."


def test_lif_rate_curve_rises_from_zero_above_rheobase():
    """The LIF f–I curve is 0 up to I = 0.2 and non-decreasing above it."""
    curve = rate_curve("lif", torch.linspace(0.0, 0.6, 13), steps=500)
    rates = curve.rates
    assert rates[curve.currents <= 0.2].sum() == 0 and rates[-1] > 50
    assert bool((rates[1:] >= rates[:-1]).all())
    with pytest.raises(spikeplug.SpikeplugError, match=r"li:li: its output is not spikes"):
        rate_curve("li")


def test_ramp_fires_more_late_than_early():
    """A ramp drives a LIF neuron harder as it rises: more spikes in the second half."""
    sim = simulate("lif", current="ramp", amplitude=0.8, steps=600, onset=0)
    steps = torch.tensor(sim.spike_steps())
    assert (steps >= 300).sum() > (steps < 300).sum() > 0


def test_izhikevich_tonic_bursting_shows_bursts():
    """The issue's example: the tonic-bursting preset fires bursts, short intervals within a
    burst and long ones between bursts."""
    sim = simulate("izhikevich", preset="tonic_bursting", amplitude=15.0, steps=1000)
    isi = torch.diff(torch.tensor(sim.spike_times()))
    assert sim.units == {"v": "mV", "u": "mV/ms"} and sim.input_unit == "mV/ms"
    assert (isi < 0.02).sum() >= 10 and (isi > 0.1).sum() >= 3


def test_non_spiking_model_settles_at_the_hand_value():
    """The leaky integrator has no spikes; with input 1 its voltage settles at v_leak + 5·1."""
    sim = simulate("li", amplitude=1.0, steps=1000)
    assert not sim.spikes and sim.states["v"][-1, 0].item() == pytest.approx(5.0, abs=1e-9)
    assert "not spikes" in sim.summary()
    with pytest.raises(spikeplug.SpikeplugError, match=r"has no spike times"):
        sim.spike_times()


def test_model_without_cell_runs_through_its_recurrent_cell():
    """lif_mc has only recurrent forms: it runs as one neuron behind an input of weight 1, and says so."""
    sim = simulate("lif_mc", amplitude=0.5, steps=200)
    assert sim.form == "recurrent_cell" and any("recurrent cell form" in n for n in sim.notes)
    assert sim.states["v"].shape == (200, 1) and sim.spike_steps()


def test_runs_are_seeded_and_leave_the_global_random_state():
    """Same seed, same result; the caller's random state is untouched."""
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = simulate("poisson", steps=60, seed=3)
    b = simulate("poisson", steps=60, seed=3)
    c = simulate("poisson", steps=60, seed=4)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert torch.equal(a.output, b.output) and not torch.equal(a.output, c.output)


def test_encoders_sample_inputs_and_output_kinds():
    """Sequence encoders give (T, N) spikes; one-step encoders are called once per step;
    graded encoders give values without time; a declared sample input is used."""
    poisson = simulate("poisson", steps=80)
    assert poisson.over_time and poisson.spikes and poisson.output.shape == (80, 8)
    step = simulate("poisson_step", steps=30)
    assert step.output.shape == (30, 8) and any("called 30 times" in n for n in step.notes)
    population = simulate("population")
    assert not population.over_time and population.output.shape == (8, 8)
    assert population.output.diagonal().tolist() == pytest.approx([1.0] * 8)   # each value is its own centre
    latency = simulate("spike_latency", steps=50)
    first = latency.input.cumsum(0)
    assert torch.equal(latency.output, ((first == 1) & (latency.input == 1)).float())
    signed = simulate("signed_poisson", steps=200)
    assert signed.input.tolist()[0] == -1.0 and (signed.output < 0).any() and (signed.output > 0).any()


def test_parse_assignments_errors_name_the_parameter():
    """--set values are floats unless the parameter is a text field; errors name the parameter and value."""
    assert parse_assignments(["tau_mem_inv=50", "reset_method=subtract"], text_fields={"reset_method"}) == {
        "tau_mem_inv": 50.0,
        "reset_method": "subtract",
    }
    with pytest.raises(spikeplug.ParameterError, match=r"--set v_th=high: the value of parameter 'v_th' must be a finite number.*got 'high'"):
        parse_assignments(["v_th=high"])
    with pytest.raises(spikeplug.ParameterError, match=r"--set takes NAME=VALUE .*got 'v_th'"):
        parse_assignments(["v_th"])
    with pytest.raises(spikeplug.ParameterError, match=r"parameter 'v_th' must be a finite number"):
        parse_assignments(["v_th=inf"])


def test_progress_shows_only_when_asked_or_long():
    """Progress writes 'steps (100%)' when shown, nothing for a short run in auto mode."""
    stream = io.StringIO()
    bar = Progress(10, "run", True, stream=stream)
    for k in range(1, 11):
        bar.update(k)
    bar.close()
    assert "run: 10/10 steps (100%)" in stream.getvalue() and stream.getvalue().endswith(" s\n")
    quiet = io.StringIO()
    bar = Progress(10, "run", None, stream=quiet, delay=60.0)
    bar.update(10)
    bar.close()
    assert quiet.getvalue() == ""


# ---------------------------------------------------------------------- command line
def test_cli_prints_spikes_and_writes_json_csv_plot(capsys, tmp_path):
    """`spikeplug simulate` prints the spike times; --json, --csv and --plot hold the same run."""
    js, cs, png = tmp_path / "run.json", tmp_path / "run.csv", tmp_path / "run.png"
    code, out, err = run(
        capsys, "simulate", "lif", "--amplitude", "0.5", "--steps", "300", "--set", "tau_mem_inv=50",
        "--json", str(js), "--csv", str(cs), "--plot", str(png),
    )
    assert code == 0, err
    sim = simulate("lif", amplitude=0.5, steps=300, overrides={"tau_mem_inv": 50.0})
    data = json.loads(js.read_text())
    assert data["spikes"][0]["times"] == pytest.approx(sim.spike_times()) and sim.spike_times()
    assert data["parameters"]["tau_mem_inv"] == 50.0 and data["states"]["v"]["unit"] == "a.u."
    assert f"{len(sim.spike_times())} spikes at t = {sim.spike_times()[0]:.6g}" in out
    rows = list(csv.DictReader(cs.open()))
    assert list(rows[0]) == ["step", "time_s", "input", "output", "v", "i"] and len(rows) == 300
    assert [int(r["step"]) for r in rows if float(r["output"]) == 1.0] == sim.spike_steps()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote" in err


def test_cli_json_to_stdout_and_the_issue_example(capsys):
    """`--json -` prints the JSON only; the izhikevich tonic-bursting example runs with its preset."""
    code, out, _ = run(capsys, "simulate", "izhikevich", "--preset", "tonic_bursting", "--amplitude", "15", "--json", "-")
    data = json.loads(out)
    assert code == 0 and data["preset"] == "tonic_bursting" and data["parameters"]["c"] == -50.0
    assert data["states"]["v"]["unit"] == "mV" and len(data["spikes"][0]["steps"]) > 20


def test_cli_errors_name_the_argument(capsys):
    """Bad values, unknown parameters and presets fail with exit code 1 and a message naming them."""
    code, _, err = run(capsys, "simulate", "lif", "--set", "tau_mem_inv=fast")
    assert code == 1 and "--set tau_mem_inv=fast: the value of parameter 'tau_mem_inv' must be a finite number" in err
    code, _, err = run(capsys, "simulate", "lif", "--set", "tau=5")
    assert code == 1 and "LIFParameters has no parameter 'tau'" in err
    code, _, err = run(capsys, "simulate", "lif", "--preset", "fast")
    assert code == 1 and "preset must be one of 'bio' for 'lif:lif', got 'fast'" in err
    code, _, err = run(capsys, "simulate", "lif_box", "--preset", "bio")
    assert code == 1 and "preset: model 'lif_box:lif_box' has no presets, got 'bio'" in err
    code, _, err = run(capsys, "simulate", "poisson", "--set", "tau_mem_inv=5")
    assert code == 1 and "--set tau_mem_inv: encoder 'poisson:poisson' takes no parameter 'tau_mem_inv'" in err
    code, _, err = run(capsys, "simulate", "poisson", "--current", "ramp")
    assert code == 1 and "--current, --onset and --fi-curve are for neuron models" in err
    code, _, err = run(capsys, "simulate", "lif_box", "--set", "reset_method=subtract", "--steps", "50")
    assert code == 0, err


def test_cli_progress_flag(capsys):
    """--progress shows the step count on stderr; --no-progress shows nothing."""
    _, _, err = run(capsys, "simulate", "qif", "--steps", "200", "--amplitude", "0.3", "--progress")
    assert "simulating example_qif:qif: 200/200 steps (100%)" in err
    _, _, err = run(capsys, "simulate", "qif", "--steps", "200", "--amplitude", "0.3", "--no-progress")
    assert "steps (" not in err


def test_cli_third_party_model_and_encoder(capsys, tmp_path):
    """The example plugin's model and an encoder run from the command line with CSV output."""
    code, out, _ = run(capsys, "simulate", "example_qif:qif", "--amplitude", "0.3", "--steps", "300")
    assert code == 0 and out.startswith("example_qif:qif: 300 steps of dt = 0.001 s, cell form")
    cs = tmp_path / "enc.csv"
    code, out, _ = run(capsys, "simulate", "constant_current_lif", "--steps", "40", "--csv", str(cs))
    rows = list(csv.reader(cs.open()))
    assert code == 0 and rows[0][:3] == ["step", "time_s", "output_0"] and len(rows) == 41
    assert "output 7 (4): " in out


def test_rate_curve_ignores_warnings_of_user_parameters():
    """Parameters with a stability warning still simulate (the warning is the user's to see)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim = simulate("lif", amplitude=0.5, steps=50, dt=0.006)
    assert sim.dt == 0.006 and any(issubclass(w.category, spikeplug.StabilityWarning) for w in caught)


def test_auto_progress_appears_once_the_run_is_long():
    """In auto mode progress appears once the run has taken longer than the delay."""
    stream = io.StringIO()
    bar = Progress(4, "long run", None, stream=stream, delay=0.0)
    for k in range(1, 5):
        bar.update(k)
    bar.close()
    assert "long run: 4/4 steps (100%)" in stream.getvalue()


def test_plot_and_figures_without_matplotlib_say_what_to_install(capsys, monkeypatch, tmp_path):
    """Without matplotlib, --plot and the catalogue's figures fail with the extra to install,
    while simulating and the catalogue's text still work."""
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)          # as if never installed, even if imported before
    monkeypatch.delitem(sys.modules, "spikeplug.plot", raising=False)
    code, _, err = run(capsys, "simulate", "lif", "--steps", "50", "--plot", str(tmp_path / "x.png"))
    assert code == 1 and 'pip install "spikeplug[plot]"' in err and not (tmp_path / "x.png").exists()
    code, _, err = run(capsys, "catalogue", "--models", "lif", "--out", str(tmp_path / "m.md"))
    assert code == 1 and 'pip install "spikeplug[plot]" (or --no-figures)' in err
    code, _, _ = run(capsys, "catalogue", "--models", "lif", "--steps", "50", "--out", str(tmp_path / "m.md"), "--no-figures")
    assert code == 0 and (tmp_path / "m" / "lif.json").is_file()
