"""Recording state variables by name with spikeplug.record / Recorder."""

from __future__ import annotations

import importlib.util
import io
import warnings

import pytest
import torch

import spikeplug
from spikeplug.recording import RecordingError

HAS_NUMBA = importlib.util.find_spec("numba") is not None


def _input(T=40, B=2, F=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(T, B, F, generator=g) * 1.5


def _net(**layer_kwargs):
    torch.manual_seed(0)
    return spikeplug.SequentialState(torch.nn.Linear(4, 6), spikeplug.create("lif", **layer_kwargs))


@pytest.mark.skipif(not HAS_NUMBA, reason="the fused kernel needs numba")
def test_fused_layer_records_through_eager_with_the_same_spikes():
    """A layer that runs a fused kernel records through the eager loop: the spikes, outputs and
    final state equal those of the fused run without recording, the recorder says why it ran
    eager, and the layer's own settings come back afterwards."""
    net = _net(backend="fused")
    x = _input()
    out_fused, state_fused = net(x)
    assert net[1].last_backend != "eager"
    with spikeplug.record(net, "1.v", "1.output") as rec:
        out_rec, state_rec = net(x)
        assert net[1].last_backend == "eager"
    assert torch.equal(out_rec, out_fused) and out_fused.sum() > 0
    assert torch.equal(rec["1.output"], out_fused)
    assert torch.allclose(state_rec[1].v, state_fused[1].v, atol=1e-6)
    assert torch.equal(rec["1.v"][-1], state_rec[1].v)       # the network still gets the final state
    assert rec["1.v"].shape == (40, 2, 6)
    assert rec.backends == {"1": "eager"}
    assert len(rec.notes) == 1 and "eager step loop" in rec.notes[0] and "backend='fused'" in rec.notes[0]
    assert net[1].backend == "fused" and net[1].record_states is False
    net(x)
    assert net[1].last_backend != "eager"


def test_recorded_layer_states_equal_record_states():
    """Every step recorded by name equals the layer's own record_states output, field by field."""
    net = _net(backend="eager")
    x = _input()
    with spikeplug.record(net, "1") as rec:
        net(x)
    reference = spikeplug.create("lif", backend="eager", record_states=True)
    out, stacked = reference(net[0](x))
    assert rec.names == ["1.v", "1.i", "1.output"]
    assert torch.equal(rec["1.v"], stacked.v) and torch.equal(rec["1.i"], stacked.i)
    assert torch.equal(rec["1.output"], out)


def test_user_record_states_is_left_alone():
    """A layer built with record_states=True keeps returning its stacked states while recorded."""
    layer = spikeplug.create("lif", record_states=True)
    x = _input(F=3)
    with spikeplug.record(layer, "v") as rec:
        out, stacked = layer(x)
    assert stacked.v.shape == (40, 2, 3) and torch.equal(rec["v"], stacked.v)
    assert layer.record_states is True


def test_cell_in_python_loop_matches_the_model_step():
    """A cell stepped in the user's own loop gives one recorded step per call; the values
    equal the family's step applied by hand."""
    cell = spikeplug.create("lif", form="cell")
    model, p = cell.model, cell.params()
    x = _input(T=25, F=3)
    with spikeplug.record(cell, "v", "output") as rec:
        state = None
        for x_t in x.unbind(0):
            _, state = cell(x_t, state)
    s = model.initial_state(x.shape[1:], p, x.dtype, x.device)
    vs, zs = [], []
    for x_t in x.unbind(0):
        z, s = model.step(x_t, s, p)
        vs.append(s.v)
        zs.append(z)
    assert torch.equal(rec["v"], torch.stack(vs)) and torch.equal(rec["output"], torch.stack(zs))
    assert rec["output"].sum() > 0


def test_cell_inside_lift_is_recorded_by_the_lift_path():
    """'0.v' reaches the cell a Lift wraps; its trace equals the layer form's per-step states."""
    net = torch.nn.Sequential(spikeplug.Lift(spikeplug.create("lif_adex", form="cell")))
    x = _input(F=5)
    with spikeplug.record(net, "0.v", "0.a") as rec:
        outputs, _ = net(x)
    reference = spikeplug.create("lif_adex", record_states=True)
    out, stacked = reference(x)
    assert torch.equal(rec["0.v"], stacked.v) and torch.equal(rec["0.a"], stacked.a)
    assert torch.equal(outputs, out)


def test_recurrent_forms_record_spikes_and_state():
    """Recurrent layers and cells record z, the state fields and the output; z equals the output."""
    torch.manual_seed(1)
    layer = spikeplug.create("lsnn", form="recurrent", input_size=4, hidden_size=5)
    x = _input()
    out_plain, final_plain = layer(x)
    with spikeplug.record(layer) as rec:
        out, final = layer(x)
    assert rec.names == ["z", "v", "i", "b", "output"]
    assert torch.equal(out, out_plain) and torch.equal(final.b, final_plain.b)
    assert torch.equal(rec["z"], out) and torch.equal(rec["output"], out)
    assert torch.equal(rec["b"][-1], final.b)
    cell = spikeplug.create("lsnn", form="recurrent_cell", input_size=4, hidden_size=5)
    with torch.no_grad():
        cell.input_weights.copy_(layer.input_weights)
        cell.recurrent_weights.copy_(layer.recurrent_weights)
    with spikeplug.record(cell, "b", "z") as rec_cell:
        state = None
        for x_t in x.unbind(0):
            _, state = cell(x_t, state)
    assert torch.equal(rec_cell["z"], rec["z"]) and torch.equal(rec_cell["b"], rec["b"])


def test_module_and_variable_pairs_and_module_objects():
    """Targets may be (module, variable) pairs or module objects; names follow the module path."""
    net = _net()
    with spikeplug.record(net, (net[1], "i"), net[1]) as rec:
        net(_input())
    assert rec.names == ["1.i", "1.v", "1.output"]


def test_unknown_targets_name_what_exists():
    """A wrong variable, module path or module kind raises RecordingError naming the choices."""
    net = _net()
    with pytest.raises(RecordingError, match=r"module '1' \(LIF, model 'lif'\) has no variable 'w'; its variables are 'v', 'i', 'output'"):
        spikeplug.record(net, "1.w")
    with pytest.raises(RecordingError, match=r"'2.v' names no module .* Did you mean '1.v'"):
        spikeplug.record(net, "2.v")
    with pytest.raises(RecordingError, match=r"module '0' is a Linear, not a spikeplug neuron module.*'1'"):
        spikeplug.record(net, "0")
    with pytest.raises(RecordingError, match=r"contains no spikeplug neuron module"):
        spikeplug.Recorder(torch.nn.Linear(2, 2))
    with pytest.raises(RecordingError, match=r"not a submodule"):
        spikeplug.record(net, spikeplug.create("lif"))
    rec = spikeplug.record(net, "1.v")
    rec.stop()
    with pytest.raises(RecordingError, match=r"'1.i' is not recorded; recorded: '1.v'"):
        rec["1.i"]
    with pytest.raises(RecordingError, match=r"no steps yet"):
        rec["1.v"]


def test_settings_restored_after_an_error_in_forward():
    """Leaving the block through an exception still restores record_states and backend."""
    net = _net(backend="eager")
    with pytest.raises(spikeplug.InputShapeError):
        with spikeplug.record(net, "1.v"):
            net[1](torch.zeros(0, 2, 6))
    assert net[1].record_states is False and net[1].backend == "eager"
    assert not net[1]._forward_hooks


def test_units_from_the_model_declaration_and_fallback():
    """Units come from NeuronModel(state_units=...); a model that declares none shows no unit."""
    izh = spikeplug.create("izhikevich", form="cell")
    with spikeplug.record(izh) as rec:
        izh(torch.full((3,), 10.0))
    assert rec.unit("v") == "mV" and rec.unit("u") == "mV/ms" and rec.unit("output") == ""
    assert rec.trace("output").spikes and not rec.trace("v").spikes
    bare = spikeplug.build_modules(
        spikeplug.NeuronModel(
            name="bare",
            parameters=izh.model.parameters,
            state=izh.model.state,
            step=izh.model.step,
            initial_state=izh.model.initial_state,
        ),
        "Bare",
        __name__,
    )
    cell = bare.cell()
    with spikeplug.record(cell, "v") as rec2:
        cell(torch.full((3,), 10.0))
    assert rec2.unit("v") == "" and rec2.trace("v").unit == ""


def test_state_units_must_name_state_fields():
    """A unit for a field the state does not have is a TypeError naming it."""
    lif = spikeplug.create("lif", form="cell").model
    import attrs

    with pytest.raises(TypeError, match=r"state_units names \['w'\], which are not fields of the state \('v', 'i'\)"):
        attrs.evolve(lif, state_units={"w": "mV"})
    with pytest.raises(TypeError, match=r"units are strings"):
        attrs.evolve(lif, state_units={"v": 1.0})


def test_values_detached_and_saved():
    """Recorded values are detached plain tensors (unless detach=False), and torch.save keeps them."""
    cell = spikeplug.create("lif", form="cell", learnable=("tau_mem_inv",))
    x = _input(T=5, F=3)
    with spikeplug.record(cell, "v") as rec:
        state = None
        for x_t in x.unbind(0):
            _, state = cell(x_t, state)
    assert not rec["v"].requires_grad
    with spikeplug.record(cell, "v", detach=False) as live:
        cell(x[0])
    assert live["v"].requires_grad
    buffer = io.BytesIO()
    torch.save(rec.as_dict(), buffer)
    buffer.seek(0)
    loaded = torch.load(buffer)
    assert list(loaded) == ["v"] and torch.equal(loaded["v"], rec["v"])


def test_calls_append_along_time_and_clear_starts_over():
    """Two runs append along time; clear() forgets them; different shapes are refused by name."""
    layer = spikeplug.create("lif")
    with spikeplug.record(layer, "v") as rec:
        layer(_input(T=10, F=3))
        layer(_input(T=7, F=3))
        assert rec["v"].shape == (17, 2, 3)
        rec.clear()
        layer(_input(T=4, F=3))
        assert rec["v"].shape == (4, 2, 3)
        layer(_input(T=4, B=1, F=3))
    with pytest.raises(RecordingError, match=r"different population shapes"):
        rec["v"]


def test_trace_times_use_the_module_dt():
    """A trace carries the module's dt, so its times are t·dt."""
    layer = spikeplug.create("lif", dt=2e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with spikeplug.record(layer, "v") as rec:
            layer(_input(T=5, F=2))
    trace = rec.trace("v")
    assert trace.dt == pytest.approx(2e-4)
    assert torch.allclose(trace.times(), torch.tensor([0.0, 2e-4, 4e-4, 6e-4, 8e-4], dtype=torch.float64))
    assert trace.variable == "v" and trace.unit == "a.u."
