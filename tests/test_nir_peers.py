"""NIR across libraries: spikeplug's graphs run in Norse and snnTorch, theirs in spikeplug.

Where the libraries disagree, a third reading decides: NIR's own node definitions stepped by
forward Euler at ``dt`` (``_nir_euler`` below, written from the NIR documentation: the input
held over the step, a synaptic current updated before the voltage, spike when ``v >
v_threshold``, then ``v ← v_reset``; a recurrent edge carries the previous step's output).
The peers are pinned by the ``nir-peers`` extra (Norse 1.1.0, snnTorch 1.0.0, nirtorch 2.6);
the findings are in ``docs/nir.md``.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import spikeplug
from spikeplug.errors import StabilityWarning

nir = pytest.importorskip("nir")
norse_torch = pytest.importorskip("norse.torch", reason="Norse 1.1.0 is not installed (extra 'nir-peers')")
snn = pytest.importorskip("snntorch", reason="snnTorch 1.0.0 is not installed (extra 'nir-peers')")
from snntorch import utils as snn_utils  # noqa: E402
from snntorch.export_nir import export_to_nir  # noqa: E402
from snntorch.import_nir import import_from_nir  # noqa: E402

T = 80


@pytest.fixture(autouse=True)
def _quiet_peers(capsys):
    """snnTorch's importer prints its warnings; keep them out of the test report."""
    yield
    capsys.readouterr()


def _step_all(net, xs, *, state=None):
    """Outputs of a stateful ``net(x, state) -> (out, state)`` stepped over ``xs``."""
    outs = []
    for x in xs:
        out, state = net(x, state)
        outs.append(out)
    return torch.stack(outs)


def _snn_run(net, xs):
    """Outputs of an snnTorch network whose neurons keep their state (init_hidden=True)."""
    snn_utils.reset(net)
    outs = []
    for x in xs:
        out = net(x)
        outs.append(out[0] if isinstance(out, tuple) else out)
    return torch.stack(outs)


def _nir_euler(graph, chain, xs, dt, recurrent=None):
    """NIR's definitions stepped by forward Euler, float64: ``chain`` lists the node ids from
    input to output; ``recurrent`` maps a neuron id to the id of the weight node it feeds back through."""
    recurrent = recurrent or {}
    g = {k: {f: np.asarray(getattr(n, f), np.float64) for f in n.to_dict() if f not in ("type", "metadata",
         "input_type", "output_type")} for k, n in graph.nodes.items() if k in chain or k in recurrent.values()}
    kinds = {k: type(graph.nodes[k]).__name__ for k in g}
    state = {}
    outs = []
    for x in xs.double().numpy():
        y = x
        for k in chain:
            f, kind = g[k], kinds[k]
            if kind in ("Affine", "Linear"):
                y = y @ f["weight"].T + (f["bias"] if kind == "Affine" else 0.0)
                continue
            v = state.get(k, {}).get("v", np.broadcast_to(f["v_leak"], y.shape).copy())
            z_prev = state.get(k, {}).get("z", np.zeros_like(y))
            if k in recurrent:
                w = g[recurrent[k]]
                y = y + z_prev @ w["weight"].T + (w["bias"] if "bias" in w else 0.0)
            if kind == "CubaLIF":
                i = state.get(k, {}).get("i", np.zeros_like(y))
                i = i + dt / f["tau_syn"] * (-i + f["w_in"] * y)
                v = v + dt / f["tau_mem"] * (f["v_leak"] - v + f["r"] * i)
            else:  # LIF
                i = None
                v = v + dt / f["tau"] * (f["v_leak"] - v + f["r"] * y)
            z = (v > f["v_threshold"]).astype(np.float64)
            v = np.where(z > 0, f["v_reset"], v)
            state[k] = {"v": v, "z": z, "i": i}
            y = z
        outs.append(y)
    return torch.from_numpy(np.stack(outs))


def _mismatch(a, b):
    """Fraction of spike entries that differ."""
    return (a.double() != b.double()).double().mean().item()


def _drive(b=4, n=3, scale=3.0, seed=0):
    return torch.rand((T, b, n), generator=torch.Generator().manual_seed(seed)) * scale


# ---------------------------------------------------------------- spikeplug → peers
@pytest.mark.parametrize("name", ["lif_box", "lif"])
def test_spikeplug_graphs_run_in_norse_as_in_spikeplug(name):
    """lif_box (NIR LIF) and lif (NIR CubaLIF, which Norse runs as a leaky synapse before a LIF
    box) give Norse the same spikes as spikeplug, and both follow NIR's definition."""
    dt = 1e-3
    torch.manual_seed(1)
    net = spikeplug.SequentialState(torch.nn.Linear(3, 5), spikeplug.create(name, form="cell", v_th=0.3))
    g = spikeplug.to_nir(net, dt=dt)
    xs = _drive()
    ours = _step_all(net, xs)
    theirs = _step_all(norse_torch.from_nir(copy.deepcopy(g), dt=dt), xs)
    assert ours.sum() > 20
    assert torch.equal(ours, theirs)
    assert _mismatch(ours, _nir_euler(g, ["0", "1"], xs, dt)) < 0.01


def test_spikeplug_graphs_run_in_snntorch_as_in_spikeplug():
    """snnTorch 1.0.0 fixes dt = 0.1 ms and takes r ≠ tau/dt by scaling the threshold; at that dt a
    lif_box network gives it the spikes spikeplug gives."""
    dt = 1e-4
    torch.manual_seed(2)
    net = spikeplug.SequentialState(torch.nn.Linear(3, 5), spikeplug.create("lif_box", form="cell", dt=dt, v_th=0.05))
    g = spikeplug.to_nir(net, dt=dt)
    xs = _drive(scale=30.0)
    ours = _step_all(net, xs)
    theirs = _step_all(import_from_nir(copy.deepcopy(g)), xs)
    assert ours.sum() > 20
    assert _mismatch(ours, theirs) < 0.01
    assert _mismatch(ours, _nir_euler(g, ["0", "1"], xs, dt)) < 0.01


def test_snntorch_runs_spikeplugs_recurrent_graph_differently_and_nir_sides_with_spikeplug():
    """A recurrent lif_box population (W_in, the LIF node, W_rec fed back): snnTorch 1.0.0 imports
    it without error but its spikes differ from spikeplug's; stepping NIR's definition gives
    spikeplug's. (snnTorch's importer rewires the population as input → w_rec → lif, so the
    feed-forward input also passes through W_rec; its own RLeaky round trip differs the same way,
    see the next tests.)"""
    dt = 1e-4
    torch.manual_seed(3)
    rec = spikeplug.create("lif_box", form="recurrent_cell", input_size=5, hidden_size=5, dt=dt, v_th=0.05)
    net = spikeplug.SequentialState(torch.nn.Linear(3, 5), rec)
    g = spikeplug.to_nir(net, dt=dt)
    xs = _drive(scale=30.0)
    ours = _step_all(net, xs)
    theirs = _step_all(import_from_nir(copy.deepcopy(g)), xs)
    reference = _nir_euler(g, ["0", "1_w_in", "1.neuron"], xs, dt, recurrent={"1.neuron": "1.w_rec"})
    assert ours.sum() > 20
    assert _mismatch(ours, reference) < 0.01
    assert _mismatch(theirs, reference) > 0.1


# ---------------------------------------------------------------- peers → spikeplug
def _snn_neuron(kind, n=5):
    """snnTorch neurons with per-neuron tensors (scalar ones export 0-dimensional parameters that
    snnTorch's own type check refuses) and the reset NIR describes: to zero, in the same step."""
    beta, alpha, thr = torch.full((n,), 0.9), torch.full((n,), 0.8), torch.full((n,), 1.0)
    kw = {"init_hidden": True, "reset_mechanism": "zero", "reset_delay": False, "threshold": thr}
    return {
        "leaky": lambda: snn.Leaky(beta=beta, **kw),
        "synaptic": lambda: snn.Synaptic(alpha=alpha, beta=beta, **kw),
        "rleaky": lambda: snn.RLeaky(beta=beta, linear_features=n, **kw),
    }[kind]()


@pytest.mark.parametrize("kind", ["leaky", "synaptic", "rleaky"])
def test_snntorch_graphs_import_into_spikeplug_with_snntorchs_spikes(kind):
    """Leaky → NIR LIF → lif_box, Synaptic → CubaLIF → lif, RLeaky (its recurrent Affine with a
    bias) → recurrent lif_box: spikeplug at snnTorch's dt = 0.1 ms gives snnTorch's own spikes."""
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), _snn_neuron(kind))
    xs = _drive(scale=2.0)
    theirs = _snn_run(net, xs)
    g = export_to_nir(net, torch.rand(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StabilityWarning)
        ours = _step_all(spikeplug.from_nir(g, dt=1e-4), xs)
    assert theirs.sum() > 20
    assert _mismatch(ours, theirs) < 0.005


def test_snntorchs_own_recurrent_round_trip_changes_its_spikes_where_spikeplug_keeps_them():
    torch.manual_seed(5)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), _snn_neuron("rleaky"))
    xs = _drive(scale=2.0)
    original = _snn_run(net, xs)
    g = export_to_nir(net, torch.rand(3))
    reference = _nir_euler(g, ["0", "1.lif"], xs, 1e-4, recurrent={"1.lif": "1.w_rec"})
    via_spikeplug = _step_all(spikeplug.from_nir(g, dt=1e-4), xs)
    via_snntorch = _step_all(import_from_nir(copy.deepcopy(g)), xs)
    assert _mismatch(original, reference) < 0.005 and _mismatch(via_spikeplug, original) < 0.005
    assert _mismatch(via_snntorch, original) > 0.1


def test_snntorchs_default_leaky_is_exported_with_a_reset_it_does_not_do():
    """snnTorch's default Leaky resets by subtraction, one step late; its export writes a NIR LIF,
    which resets to v_reset at once. spikeplug imports what the graph says (the NIR reference),
    which is not what the snnTorch module did."""
    torch.manual_seed(6)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5),
                              snn.Leaky(beta=torch.full((5,), 0.9), threshold=torch.ones(5), init_hidden=True))
    xs = _drive(scale=2.0)
    theirs = _snn_run(net, xs)
    g = export_to_nir(net, torch.rand(3))
    ours = _step_all(spikeplug.from_nir(g, dt=1e-4), xs)
    assert _mismatch(ours, _nir_euler(g, ["0", "1"], xs, 1e-4)) < 0.005
    assert _mismatch(ours, theirs) > 0.01


def _norse_lifbox(n=5):
    p = norse_torch.LIFBoxParameters(tau_mem_inv=torch.full((n,), 100.0), v_th=torch.full((n,), 0.3),
                                     v_leak=torch.zeros(n), v_reset=torch.zeros(n))
    return norse_torch.LIFBoxCell(p)


def test_norse_writes_dt_over_tau_inv_where_nir_defines_the_time_constant():
    """Norse 1.1.0 writes tau = dt/tau_mem_inv (1e-5 s for its 10 ms membrane). Stepping NIR's LIF
    with the tau spikeplug writes for the same model (1/tau_mem_inv = 10 ms) reproduces Norse's own
    module; with the tau Norse writes it does not."""
    dt = 1e-3
    torch.manual_seed(7)
    norse_net = norse_torch.SequentialState(torch.nn.Linear(3, 5), _norse_lifbox())
    xs = _drive(scale=3.0)
    own = _step_all(norse_net, xs)
    g_norse = norse_torch.to_nir(norse_net, torch.rand(3), dt=dt)
    assert np.allclose(g_norse.nodes["1"].tau, 1e-5)
    ours = spikeplug.SequentialState(norse_net[0], spikeplug.create("lif_box", form="cell", v_th=0.3))
    g_ours = spikeplug.to_nir(ours, dt=dt)
    assert np.allclose(g_ours.nodes["1"].tau, 0.01)
    assert own.sum() > 20
    assert _mismatch(own, _nir_euler(g_ours, ["0", "1"], xs, dt)) < 0.01
    with np.errstate(all="ignore"):
        assert _mismatch(own, _nir_euler(g_norse, ["0", "1"], xs, dt)) > 0.1


def test_norse_graphs_import_into_spikeplug_as_their_values_say():
    """Norse's graph (per-neuron parameters, so NIR types it as a population) imports into
    spikeplug, which warns that tau = 1e-5 s is unstable at dt = 1 ms and steps what the graph
    says, as Norse's own importer does: both differ from the module Norse exported."""
    dt = 1e-3
    torch.manual_seed(8)
    norse_net = norse_torch.SequentialState(torch.nn.Linear(3, 5), _norse_lifbox())
    xs = _drive(scale=3.0)
    g = norse_torch.to_nir(norse_net, torch.rand(3), dt=dt)
    with pytest.warns(StabilityWarning, match="tau_mem_inv"):
        ours = spikeplug.from_nir(copy.deepcopy(g), dt=dt)
    assert ours[1].p.tau_mem_inv == pytest.approx(1e5)
    via_spikeplug = _step_all(ours, xs[:3])
    via_norse = _step_all(norse_torch.from_nir(copy.deepcopy(g), dt=dt), xs[:3])
    assert torch.equal(via_spikeplug, via_norse)
    with np.errstate(all="ignore"):
        assert torch.equal(via_spikeplug.double(), _nir_euler(g, ["0", "1"], xs[:3], dt))
