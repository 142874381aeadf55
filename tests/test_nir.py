"""NIR interchange: spikeplug.to_nir / from_nir, the hook spikeplug_nir_mappings and `spikeplug nir`.

Hand-derived values follow docs/nir.md: NIR's ODEs stepped by forward Euler at ``dt`` with
the input held over the step and the synaptic current updated before the voltage.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import spikeplug
from spikeplug.nir import InputGain, NIRError
from spikeplug.plugins import ModelSpec, NIRImport, NIRMapping, Registry, hookimpl

nir = pytest.importorskip("nir")

DT = 1e-3


def _run(net, xs):
    """Outputs and final state of a stateful network stepped over ``xs`` (T, B, ...)."""
    state, outs = None, []
    for x in xs:
        out, state = net(x, state)
        outs.append(out)
    return torch.stack(outs), state


def _graph(node, n):
    return nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([n])}), "neuron": node,
               "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "neuron"), ("neuron", "output")],
    )


def _ffnet():
    torch.manual_seed(1)
    return spikeplug.SequentialState(
        torch.nn.Linear(3, 6), spikeplug.create("lif", form="cell", tau_mem_inv=150.0, v_th=0.6),
        torch.nn.Linear(6, 2), spikeplug.create("li", form="cell"),
    )


# ---------------------------------------------------------------- round trips
def test_round_trip_through_a_file_gives_identical_outputs(tmp_path):
    """spikeplug → NIR file → spikeplug rebuilds a Linear/LIF/Linear/LI network whose outputs
    and states equal the original's bit for bit (provenance restores the exact parameters)."""
    net = _ffnet()
    path = tmp_path / "net.nir"
    nir.write(path, spikeplug.to_nir(net, dt=DT))
    back = spikeplug.from_nir(path, dt=DT)
    xs = torch.rand(30, 4, 3) * 4
    out_a, state_a = _run(net, xs)
    out_b, state_b = _run(back, xs)
    assert torch.equal(out_a, out_b)
    assert torch.equal(state_a[1].v, state_b[1].v) and torch.equal(state_a[3].v, state_b[3].v)
    assert out_a.abs().sum() > 0  # the comparison is not between two silent networks


def test_round_trip_without_provenance_follows_the_translation():
    """With the metadata stripped, import uses only the NIR values (tau, r, w_in at dt) and still
    reproduces the network's voltages to float precision: export and import are inverse maps."""
    net = _ffnet()
    g = spikeplug.to_nir(net, dt=DT)
    for node in g.nodes.values():
        node.metadata = {}
    back = spikeplug.from_nir(g, dt=DT)
    lif = next(i for i, m in enumerate(back) if type(m).__name__ == "LIFCell")
    assert back[lif].p.tau_mem_inv == pytest.approx(150.0) and back[lif].p.tau_syn_inv == pytest.approx(200.0)
    xs = torch.rand(30, 4, 3) * 4
    out_a, state_a = _run(net, xs)
    out_b, state_b = _run(back, xs)
    assert torch.allclose(state_a[1].v, state_b[lif].v, atol=1e-5) and torch.allclose(out_a, out_b, atol=1e-5)


def test_round_trip_of_time_first_layers_keeps_the_layer_form(tmp_path):
    """A network of layers (time first) comes back as layers and computes the same outputs."""
    torch.manual_seed(2)
    net = spikeplug.SequentialState(torch.nn.Linear(2, 5), spikeplug.create("lif_box"), torch.nn.Linear(5, 1, bias=False), spikeplug.create("iaf"))
    path = tmp_path / "layers.nir"
    nir.write(path, spikeplug.to_nir(net, dt=DT))
    back = spikeplug.from_nir(path, dt=DT)
    assert [type(m).__name__ for m in back] == ["Linear", "LIFBox", "Linear", "IAF"]
    xs = torch.rand(40, 3, 2) * 30
    assert torch.equal(net(xs)[0], back(xs)[0])


def test_round_trip_of_a_convolutional_network_with_sample_input(tmp_path):
    """Conv2d, AvgPool2d, Flatten and Linear around neurons export with a sample input and come
    back computing the same outputs (NIR's Flatten counts dimensions without the batch)."""
    torch.manual_seed(3)
    net = spikeplug.SequentialState(
        torch.nn.Conv2d(1, 2, 3, padding=1), spikeplug.create("lif", form="cell"), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(2 * 3 * 3, 4), spikeplug.create("li", form="cell"),
    )
    x = torch.rand(2, 1, 6, 6) * 8
    graph = spikeplug.to_nir(net, x, dt=DT)
    assert graph.nodes["3"].start_dim == 0 and tuple(graph.nodes["3"].input_type["input"]) == (2, 3, 3)
    path = tmp_path / "conv.nir"
    nir.write(path, graph)
    back = spikeplug.from_nir(path, dt=DT)
    xs = torch.rand(10, 2, 1, 6, 6) * 8
    assert torch.equal(_run(net, xs)[0], _run(back, xs)[0])


# ---------------------------------------------------------------- what export writes
def test_exported_nodes_follow_the_nir_definitions():
    """Exported time constants are seconds (tau = 1/tau_inv, not Norse 1.1.0's dt/tau_inv), r = 1,
    w_in = tau_syn/dt, thresholds and potentials as they are; IF's r is 1/dt."""
    net = spikeplug.SequentialState(
        torch.nn.Linear(2, 3),
        spikeplug.create("lif", form="cell", tau_syn_inv=250.0, tau_mem_inv=50.0, v_leak=0.1, v_th=0.7, v_reset=-0.2),
        torch.nn.Linear(3, 3), spikeplug.create("lif_box", form="cell", tau_mem_inv=40.0, v_th=2.0),
        torch.nn.Linear(3, 3), spikeplug.create("iaf", form="cell", v_th=3.0),
        torch.nn.Linear(3, 1), spikeplug.create("li", form="cell", tau_syn_inv=400.0, tau_mem_inv=20.0),
    )
    g = spikeplug.to_nir(net, dt=DT)
    lif, box, iaf, li = g.nodes["1"], g.nodes["3"], g.nodes["5"], g.nodes["7"]
    assert isinstance(lif, nir.CubaLIF) and isinstance(box, nir.LIF) and isinstance(iaf, nir.IF) and isinstance(li, nir.CubaLI)
    np.testing.assert_allclose(lif.tau_mem, [0.02] * 3)
    np.testing.assert_allclose(lif.tau_syn, [0.004] * 3)
    np.testing.assert_allclose(lif.w_in, [4.0] * 3)
    np.testing.assert_allclose(lif.r, [1.0] * 3)
    np.testing.assert_allclose(lif.v_leak, [0.1] * 3)
    np.testing.assert_allclose(lif.v_threshold, [0.7] * 3)
    np.testing.assert_allclose(lif.v_reset, [-0.2] * 3)
    assert not np.allclose(lif.tau_mem, DT / 50.0)
    np.testing.assert_allclose(box.tau, [0.025] * 3)
    np.testing.assert_allclose(box.v_threshold, [2.0] * 3)
    np.testing.assert_allclose(iaf.r, [1000.0] * 3)
    np.testing.assert_allclose(iaf.v_threshold, [3.0] * 3)
    np.testing.assert_allclose(li.tau_mem, [0.05] * 1)
    np.testing.assert_allclose(li.w_in, [2.5] * 1)
    assert isinstance(g.nodes["0"], nir.Affine) and g.edges[0] == ("input", "0")


def test_exported_nodes_carry_provenance():
    """Each neuron node names the model, plugin, distribution, version, dt, form and parameters."""
    g = spikeplug.to_nir(_ffnet(), dt=DT)
    meta = g.nodes["1"].metadata
    assert meta["spikeplug.model"] == "lif:lif" and meta["spikeplug.plugin"] == "lif"
    assert meta["spikeplug.distribution"] == "spikeplug" and meta["spikeplug.version"] == spikeplug.__version__
    assert meta["spikeplug.dt"] == DT and meta["spikeplug.form"] == "cell"
    assert '"tau_mem_inv": 150.0' in meta["spikeplug.parameters"]


def test_an_edited_node_is_imported_from_its_values_not_its_provenance():
    """Provenance rebuilds the exported model only while the node still matches it: a node whose
    tau_mem was changed after export imports with the new time constant."""
    g = spikeplug.to_nir(_ffnet(), dt=DT)
    g.nodes["1"].tau_mem = np.full(6, 0.04)
    back = spikeplug.from_nir(g, dt=DT)
    assert back[1].p.tau_mem_inv == pytest.approx(25.0)
    assert back[1].p.v_th == pytest.approx(0.6)


# ---------------------------------------------------------------- hand-built graphs
def test_hand_built_cubalif_follows_the_euler_step_of_its_ode():
    """CubaLIF with r = 2, w_in = 1.5 at dt = 1 ms: gain r·w_in·dt/tau_syn = 0.6,
    J ← 0.8·J + 0.6·S then v ← v + 0.1·(v_leak − v + J), spike when v > 0.1, reset to 0.
    By hand for S = 1: v = 0.06, 0.162 → spike, then 0.1464 → spike."""
    node = nir.CubaLIF(tau_syn=np.array([0.005]), tau_mem=np.array([0.01]), r=np.array([2.0]), v_leak=np.array([0.0]),
                       v_threshold=np.array([0.1]), v_reset=np.array([0.0]), w_in=np.array([1.5]))
    net = spikeplug.from_nir(_graph(node, 1), dt=DT)
    assert isinstance(net[0], InputGain) and net[0].gain.item() == pytest.approx(0.6)
    state, vs, zs = None, [], []
    for _ in range(3):
        z, state = net(torch.ones(1, 1), state)
        zs.append(z.item())
        vs.append(state[1].v.item())
    assert zs == [0.0, 1.0, 1.0]
    assert vs == pytest.approx([0.06, 0.0, 0.0])
    # without the threshold in the way, the voltages themselves
    node.v_threshold = np.array([10.0])
    net = spikeplug.from_nir(_graph(node, 1), dt=DT)
    state, vs = None, []
    for _ in range(3):
        _, state = net(torch.ones(1, 1), state)
        vs.append(state[1].v.item())
    assert vs == pytest.approx([0.06, 0.162, 0.2922])


def test_hand_built_lif_follows_the_euler_step_of_its_ode():
    """NIR LIF with tau = 10 ms, r = 3, v_leak = 0.5 at dt = 1 ms starts at rest and steps
    v ← v + 0.1·(0.5 − v + 3·I): for I = 1, v = 0.8, 1.07, 1.313."""
    node = nir.LIF(tau=np.array([0.01]), r=np.array([3.0]), v_leak=np.array([0.5]), v_threshold=np.array([10.0]),
                   v_reset=np.array([0.0]))
    net = spikeplug.from_nir(_graph(node, 1), dt=DT)
    state, vs = None, []
    for _ in range(3):
        _, state = net(torch.ones(1, 1), state)
        vs.append(state[1].v.item())
    assert vs == pytest.approx([0.8, 1.07, 1.313])


def test_hand_built_li_without_synapse_follows_its_ode():
    """NIR LI (no synaptic current) imports as li whose current lasts one step: for tau = 10 ms,
    r = 2, dt = 1 ms and I = 1 the output is v = 0.2, 0.38, 0.542, and stops rising when I = 0."""
    node = nir.LI(tau=np.array([0.01]), r=np.array([2.0]), v_leak=np.array([0.0]))
    net = spikeplug.from_nir(_graph(node, 1), dt=DT)
    xs = torch.tensor([1.0, 1.0, 1.0, 0.0]).reshape(4, 1, 1)
    out, _ = _run(net, xs)
    assert out.reshape(-1).tolist() == pytest.approx([0.2, 0.38, 0.542, 0.4878])


def test_hand_built_if_integrates_r_dt_per_step():
    """NIR IF with r = 500 at dt = 1 ms adds 0.5·I per step; the strict threshold 1 is passed on
    the third step, then the potential resets to 0."""
    node = nir.IF(r=np.array([500.0]), v_threshold=np.array([1.0]), v_reset=np.array([0.0]))
    out, state = _run(spikeplug.from_nir(_graph(node, 1), dt=DT), torch.ones(4, 1, 1))
    assert out.reshape(-1).tolist() == [0.0, 0.0, 1.0, 0.0]
    assert state[1].v.item() == pytest.approx(0.5)


def test_per_neuron_values_import_as_tensors():
    """A node whose neurons differ gets tensor parameters of the population's shape; equal
    values stay floats."""
    node = nir.CubaLIF(tau_syn=np.array([0.005, 0.005]), tau_mem=np.array([0.01, 0.02]), r=np.ones(2),
                       v_leak=np.zeros(2), v_threshold=np.ones(2), v_reset=np.zeros(2), w_in=np.array([5.0, 5.0]))
    net = spikeplug.from_nir(_graph(node, 2), dt=DT)
    assert len(net) == 1  # r·w_in·dt/tau_syn is 1: no gain inserted
    assert net[0].p.tau_syn_inv == pytest.approx(200.0)
    assert torch.allclose(net[0].p.tau_mem_inv, torch.tensor([100.0, 50.0]))
    _, state = net(torch.ones(1, 2))
    assert state[0].v[0].tolist() == pytest.approx([0.1, 0.05])


# ---------------------------------------------------------------- errors
def test_reset_by_subtraction_is_refused_on_export():
    """lif_box with reset_method='subtract' has no NIR node: the error names the method and the way out."""
    net = spikeplug.SequentialState(torch.nn.Linear(2, 2), spikeplug.create("lif_box", form="cell", reset_method="subtract"))
    with pytest.raises(NIRError, match=r"reset_method='subtract'.*reset_method='value'"):
        spikeplug.to_nir(net, dt=DT)


@pytest.mark.parametrize("name", ["lif", "lif_box", "iaf"])
@pytest.mark.parametrize("form", ["recurrent_cell", "recurrent"])
def test_round_trip_of_a_recurrent_network_gives_identical_outputs(tmp_path, name, form):
    """A recurrent population exports as W_in (Linear), the neuron node and W_rec (Linear) with
    an edge back to the neuron; the file imports as the same recurrent module, outputs equal."""
    torch.manual_seed(3)
    layer = form == "recurrent"
    rec = spikeplug.create(name, form=form, input_size=6, hidden_size=5)
    net = spikeplug.SequentialState(torch.nn.Linear(3, 6), rec, torch.nn.Linear(5, 2),
                                    spikeplug.create("li", form="layer" if layer else "cell"))
    g = spikeplug.to_nir(net, dt=DT)
    assert set(g.nodes) == {"input", "0", "1_w_in", "1.neuron", "1.w_rec", "2", "3", "output"}
    assert {("1_w_in", "1.neuron"), ("1.neuron", "1.w_rec"), ("1.w_rec", "1.neuron"), ("1.neuron", "2")} <= set(g.edges)
    assert np.array_equal(g.nodes["1.w_rec"].weight, rec.effective_recurrent_weights().detach().numpy())
    assert np.all(np.diag(g.nodes["1.w_rec"].weight) == 0)  # autapses=False
    assert g.nodes["1.neuron"].metadata["spikeplug.form"] == form
    path = tmp_path / "rec.nir"
    nir.write(path, g)
    back = spikeplug.from_nir(path, dt=DT)
    kinds = [type(m).__name__ for m in back]
    assert kinds[0] == "Linear" and kinds[1].endswith("Recurrent" if layer else "RecurrentCell") and len(kinds) == 4
    assert back[1].autapses is False and torch.equal(back[1].input_weights, rec.input_weights)
    xs = torch.rand(40, 4, 3) * 3
    if layer:
        a, b = net(xs)[0], back(xs)[0]
    else:
        a, b = _run(net, xs)[0], _run(back, xs)[0]
    assert a.abs().sum() > 0 and torch.equal(a, b)


def test_round_trip_of_a_recurrent_network_without_provenance_follows_the_translation():
    """Stripped of provenance, the nodes' NIR values alone rebuild the same outputs."""
    torch.manual_seed(4)
    net = spikeplug.SequentialState(torch.nn.Linear(3, 5),
                                    spikeplug.create("lif", form="recurrent_cell", input_size=5, hidden_size=5,
                                                     tau_mem_inv=150.0, autapses=True))
    g = spikeplug.to_nir(net, dt=DT)
    for node in g.nodes.values():
        node.metadata = {}
    back = spikeplug.from_nir(g, dt=DT)
    assert back[1].autapses is True
    xs = torch.rand(30, 2, 3) * 3
    a, b = _run(net, xs)[0], _run(back, xs)[0]
    assert a.sum() > 0 and torch.equal(a, b)


def test_linear_cells_export_as_a_linear_node_and_a_neuron():
    torch.manual_seed(5)
    net = spikeplug.create("li", form="linear_cell", input_size=3, hidden_size=4)
    g = spikeplug.to_nir(net, dt=DT)
    assert [e for e in g.edges] == [("input", "0_w_in"), ("0_w_in", "0"), ("0", "output")]
    back = spikeplug.from_nir(g, dt=DT)
    xs = torch.rand(10, 2, 3)
    assert torch.equal(_run(net, xs)[0], _run(back, xs)[0])


def _recurrent_graph(w_rec, *, bias=None, before=None):
    """input → [before] → lif ⇄ w_rec, lif → output; NIR LIF with tau = 10 ms, r = 10 (at dt = 1 ms
    v ← 0.9·v + I), threshold 0.5, reset to 0."""
    n = w_rec.shape[0]
    lif = nir.LIF(tau=np.full(n, 0.01), r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.full(n, 0.5),
                  v_reset=np.zeros(n))
    w_rec = np.asarray(w_rec, dtype=np.float32)  # the weights' dtype is the imported module's
    w = nir.Linear(weight=w_rec) if bias is None else nir.Affine(weight=w_rec, bias=np.asarray(bias, np.float32))
    nodes = {"input": nir.Input(input_type={"input": np.array([n])}), "lif": lif, "rec": w,
             "output": nir.Output(output_type={"output": np.array([n])})}
    edges = [("lif", "rec"), ("rec", "lif"), ("lif", "output")]
    if before is None:
        edges.append(("input", "lif"))
    else:
        nodes["pre"] = before
        edges += [("input", "pre"), ("pre", "lif")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_hand_built_recurrent_graph_feeds_back_the_previous_steps_spikes():
    """Neuron 1 gets input 1 each step and spikes every step (v = 0.9·0 + 1 > 0.5); neuron 0
    has no input of its own and hears neuron 1 through w_rec[0, 1] = 2 one step later:
    z = [0, 1], [1, 1], [1, 1]. The recurrent edge carries the last step's spikes."""
    g = _recurrent_graph(np.array([[0.0, 2.0], [0.0, 0.0]]))
    net = spikeplug.from_nir(g, dt=DT)
    # no Linear before the population: W_in = identity; r = 10 (no parameter of lif_box) scales both weights
    assert type(net[0]).__name__ == "LIFBoxRecurrentCell" and torch.equal(net[0].input_weights, 10 * torch.eye(2))
    assert torch.equal(net[0].recurrent_weights, torch.tensor([[0.0, 20.0], [0.0, 0.0]]))
    out, state = _run(net, torch.tensor([[0.0, 1.0]]).expand(3, 1, 2))
    assert out[:, 0].tolist() == [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    # sub-threshold: w_rec[0, 1] = 0.3 gives v0 = 0.3 on step 2, then 0.9·0.3 + 0.3 = 0.57 → spike on step 3
    g = _recurrent_graph(np.array([[0.0, 0.3], [0.0, 0.0]]))
    out, _ = _run(spikeplug.from_nir(g, dt=DT), torch.tensor([[0.0, 1.0]]).expand(3, 1, 2))
    assert out[:, 0, 0].tolist() == [0.0, 0.0, 1.0]


def test_a_bias_on_the_recurrent_edge_joins_the_affine_before_the_population():
    """An Affine recurrent weight adds its bias every step: the same as adding it to the input,
    so it joins the Affine before the population; without one the error says what is needed."""
    w_rec = np.array([[0.0, 0.0], [0.0, 0.0]])
    before = nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.array([0.1, 0.0], dtype=np.float32))
    g = _recurrent_graph(w_rec, bias=np.array([0.3, 0.0]), before=before)
    net = spikeplug.from_nir(g, dt=DT)
    assert net[0].bias.tolist() == pytest.approx([0.4, 0.0])
    _, state = _run(net, torch.zeros(1, 1, 2))
    assert state[1].v[0].tolist() == pytest.approx([0.4, 0.0])  # v ← 0.9·v + 0.4
    out, _ = _run(net, torch.zeros(2, 1, 2))
    assert out[:, 0, 0].tolist() == [0.0, 1.0]  # 0.9·0.4 + 0.4 = 0.76 > 0.5
    with pytest.raises(NIRError, match=r"node 'rec' \(Affine\) adds a bias of shape \(2,\) on the recurrent edge"):
        spikeplug.from_nir(_recurrent_graph(w_rec, bias=np.array([0.3, 0.0])), dt=DT)


def test_recurrent_populations_as_subgraphs_import_too():
    """A recurrent population written as a subgraph node (input → neuron ⇄ w_rec → output)
    imports like the flat form; other subgraphs import as a nested chain."""
    flat = _recurrent_graph(np.array([[0.0, 2.0], [0.0, 0.0]]))
    n = 2
    sub = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([n])}), "lif": flat.nodes["lif"],
               "rec": flat.nodes["rec"], "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")], type_check=False)
    outer = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([n])}), "pop": sub,
               "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "pop"), ("pop", "output")], type_check=False)
    xs = torch.tensor([[0.0, 1.0]]).expand(3, 1, 2)
    assert torch.equal(_run(spikeplug.from_nir(outer, dt=DT), xs)[0], _run(spikeplug.from_nir(flat, dt=DT), xs)[0])
    chain = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([n])}), "lin": nir.Linear(weight=2 * np.eye(n)),
               "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "lin"), ("lin", "output")], type_check=False)
    outer.nodes["pop"] = chain
    net = spikeplug.from_nir(outer, dt=DT)
    assert isinstance(net.pop_, spikeplug.SequentialState)  # 'pop' is SequentialState's own attribute
    assert net(torch.ones(1, 2))[0].tolist() == [[2.0, 2.0]]


def test_imported_weights_and_parameters_take_the_requested_dtype():
    """NIR files hold float64 arrays; the imported network is float32 unless dtype= says otherwise."""
    g = _recurrent_graph(np.array([[0.0, 0.3], [0.0, 0.0]]))
    g.nodes["lif"].tau = np.array([0.01, 0.02])  # a per-neuron tensor parameter
    for dtype in (torch.float32, torch.float64):
        net = spikeplug.from_nir(g, dt=DT, dtype=dtype)
        assert net[0].recurrent_weights.dtype == dtype and net[0].params().tau_mem_inv.dtype == dtype
        out, _ = _run(net, torch.ones(3, 1, 2, dtype=dtype))
        assert out.dtype == dtype
    assert spikeplug.from_nir(g, dt=DT)[0].input_weights.dtype == torch.float32
    with pytest.raises(NIRError, match=r"dtype must be a floating torch.dtype such as torch.float32, got torch.int32"):
        spikeplug.from_nir(g, dt=DT, dtype=torch.int32)


def test_zero_dimensional_parameters_get_a_hint_on_the_shape_error():
    node = nir.LIF(tau=np.array(0.01), r=np.array(1.0), v_leak=np.array(0.0), v_threshold=np.array(1.0),
                   v_reset=np.array(0.0))
    g = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([3])}), "fc": nir.Linear(weight=np.eye(3)),
                            "lif": node, "output": nir.Output(output_type={"output": np.array([3])})},
                     edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")], type_check=False)
    with pytest.raises(NIRError, match=r"edge \('fc', 'lif'\).*'lif' has 0-dimensional parameters.*give its parameters the shape \(3,\)"):
        spikeplug.from_nir(g, dt=DT)


def test_malformed_recurrent_weights_are_refused_naming_the_node():
    g = _recurrent_graph(np.array([[0.0, 2.0], [0.0, 0.0]]))
    g.nodes["rec"] = nir.Linear(weight=np.zeros((2, 3)))
    with pytest.raises(NIRError, match=r"node 'rec' \(Linear\) is the recurrent weight of 'lif' but has shape \(2, 3\)"):
        spikeplug.from_nir(g, dt=DT)


def test_qif_has_no_nir_node_and_the_error_lists_the_primitives():
    """The example plugin's qif declares no mapping (NIR has no quadratic IF): export names the
    model and the NIR primitives that are mapped."""
    net = spikeplug.SequentialState(torch.nn.Linear(2, 2), spikeplug.create("qif", form="cell"))
    with pytest.raises(NIRError, match=r"'example_qif:qif'.*no NIR mapping.*CubaLI, CubaLIF, IF, LI, LIF"):
        spikeplug.to_nir(net, dt=DT)
    assert spikeplug.registry.nir_mapping("qif") is None


def test_unknown_node_type_names_the_node_and_the_supported_types():
    """A node type no plugin imports raises with the node id, its type and the supported types."""
    g = _graph(nir.Scale(scale=np.ones(3)), 3)
    with pytest.raises(NIRError, match=r"node 'neuron' has NIR type 'Scale'.*supported types: .*CubaLIF.*SumPool2d"):
        spikeplug.from_nir(g, dt=DT)


def test_shape_mismatch_on_an_edge_names_both_ends():
    """An Affine putting out 4 values feeding a CubaLIF of 5 neurons is refused, naming the edge."""
    n = 5
    lif = nir.CubaLIF(tau_syn=np.full(n, 0.005), tau_mem=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n),
                      v_threshold=np.ones(n))
    g = nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([3])}),
               "fc": nir.Affine(weight=np.ones((4, 3), np.float32), bias=np.zeros(4, np.float32)), "lif": lif,
               "output": nir.Output(output_type={"output": np.array([n])})},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")], type_check=False,
    )
    with pytest.raises(NIRError, match=r"edge \('fc', 'lif'\).*\(4,\).*\(5,\)"):
        spikeplug.from_nir(g, dt=DT)


def test_invalid_values_name_the_node_and_field():
    """A negative time constant is refused with the node id, the field and the value."""
    node = nir.LIF(tau=np.array([-0.01]), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1))
    with pytest.raises(NIRError, match=r"node 'neuron' \(LIF.*LIF\.tau must be finite and positive.*-0\.01"):
        spikeplug.from_nir(_graph(node, 1), dt=DT)


def _li(n=2):
    return nir.LI(tau=np.full(n, 0.01), r=np.ones(n), v_leak=np.zeros(n))


def _dag(nodes, edges, n=2):
    return nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([n])}), **nodes,
                               "output": nir.Output(output_type={"output": np.array([n])})}, edges=edges, type_check=False)


def test_branches_and_merges_import_as_a_graph_network_that_sums_at_merges():
    """A skip connection (input → li → output and input → output): the output is li(x) + x.
    LI with tau = 10 ms, r = 1 at dt = 1 ms gives v = 0.1, 0.19 for x = 1, so 1.1, 1.19."""
    g = _dag({"li": _li()}, [("input", "li"), ("li", "output"), ("input", "output")])
    net = spikeplug.from_nir(g, dt=DT)
    assert isinstance(net, spikeplug.nir.GraphNetwork)
    out, state = _run(net, torch.ones(2, 1, 2))
    assert out[:, 0, 0].tolist() == pytest.approx([1.1, 1.19])
    assert len(state) == 1 and state[0].v[0, 0].item() == pytest.approx(0.19)
    with pytest.raises(NIRError, match=r"state must be the tuple of 1 node states this network returned, got list"):
        net(torch.ones(1, 2), [None])
    # two branches merge into one population: it takes the sum, 2x + 3x
    g = _dag({"a": nir.Linear(weight=2 * np.eye(2, dtype=np.float32)), "b": nir.Linear(weight=3 * np.eye(2, dtype=np.float32)),
              "li": _li()},
             [("input", "a"), ("input", "b"), ("a", "li"), ("b", "li"), ("li", "output")])
    out, _ = _run(spikeplug.from_nir(g, dt=DT), torch.ones(1, 1, 2))
    assert out[0, 0].tolist() == pytest.approx([0.5, 0.5])
    # a recurrent population inside a branching graph keeps its W_in and feedback
    rec = _recurrent_graph(np.array([[0.0, 2.0], [0.0, 0.0]]))
    rec.edges.append(("input", "output"))
    out, _ = _run(spikeplug.from_nir(rec, dt=DT), torch.tensor([[0.0, 1.0]]).expand(3, 1, 2))
    assert out[:, 0].tolist() == [[0.0, 2.0], [1.0, 2.0], [1.0, 2.0]]


def test_round_trip_of_branching_graphs(tmp_path):
    """An imported graph network (trained, say) exports to the same graph: imported again it
    computes the same outputs; an identity left by a folded W_in passes its edges through."""
    torch.manual_seed(7)
    w = lambda k: nir.Affine(weight=torch.randn(2, 2).numpy(), bias=torch.randn(2).numpy())  # noqa: E731
    lif = nir.CubaLIF(tau_syn=np.full(2, 0.005), tau_mem=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2),
                      v_threshold=np.full(2, 0.2), v_reset=np.zeros(2), w_in=np.full(2, 5.0))
    skip = _dag({"a": w(0), "lif": lif, "b": w(1)},
                [("input", "a"), ("a", "lif"), ("lif", "b"), ("input", "b"), ("b", "output"), ("a", "output")])
    rec = _recurrent_graph(np.array([[0.0, 2.0], [0.0, 0.0]]), before=nir.Linear(weight=np.eye(2, dtype=np.float32)))
    rec.edges.append(("input", "output"))
    for g in (skip, rec):
        net = spikeplug.from_nir(g, dt=DT)
        assert isinstance(net, spikeplug.nir.GraphNetwork)
        path = tmp_path / "graph.nir"
        nir.write(path, spikeplug.to_nir(net, dt=DT))
        back = spikeplug.from_nir(path, dt=DT)
        xs = torch.rand(20, 3, 2) * 4
        a, b = _run(net, xs)[0], _run(back, xs)[0]
        assert a.abs().sum() > 0 and torch.equal(a, b)
    edges = set(map(tuple, spikeplug.to_nir(spikeplug.from_nir(rec, dt=DT), dt=DT).edges))
    assert {("input", "lif_w_in"), ("lif_w_in", "lif.neuron"), ("lif.neuron", "lif.w_rec"), ("input", "output")} <= edges


def test_graphs_that_cannot_be_stepped_are_refused_naming_the_nodes():
    two = {"a": nir.Linear(weight=np.eye(2, dtype=np.float32)), "b": nir.Linear(weight=np.eye(2, dtype=np.float32))}
    g = _dag(dict(two), [("input", "a"), ("a", "b"), ("b", "a"), ("b", "output")])
    with pytest.raises(NIRError, match=r"nodes \['a', 'b'\] lie on a cycle that is not one recurrent population"):
        spikeplug.from_nir(g, dt=DT)
    g = _dag(dict(two), [("input", "a"), ("a", "output"), ("input", "b")])
    with pytest.raises(NIRError, match=r"nodes \['b'\] lead nowhere"):
        spikeplug.from_nir(g, dt=DT)
    g = _dag(dict(two), [("input", "a"), ("a", "output"), ("b", "a")])
    with pytest.raises(NIRError, match=r"nodes \['b'\] are not on a path from Input 'input' to Output 'output'"):
        spikeplug.from_nir(g, dt=DT)
    with pytest.raises(NIRError, match=r"dt must be a positive number.*-1"):
        spikeplug.to_nir(_ffnet(), dt=-1)


def test_population_shape_needs_a_linear_or_a_sample_input():
    """A lone neuron cell has no shape to export until a sample input gives it one."""
    cell = spikeplug.create("lif", form="cell")
    with pytest.raises(NIRError, match=r"'0' \(lif:lif\) needs its population shape.*sample_input"):
        spikeplug.to_nir(cell, dt=DT)
    g = spikeplug.to_nir(cell, torch.zeros(2, 7), dt=DT)
    assert g.nodes["0"].tau_mem.shape == (7,)


# ---------------------------------------------------------------- the hook
class _Mapper:
    """An in-process plugin that contributes a model and declares its NIR mapping."""

    @staticmethod
    @hookimpl
    def spikeplug_models():
        return [ModelSpec(name="lif_twin", kind="neuron", summary="a LI twin", factory="spikeplug.neurons_builtin.li.modules:MODULES")]

    @staticmethod
    @hookimpl
    def spikeplug_nir_mappings():
        return [NIRMapping(model="lif_twin", nir_types=("LI",), to_nir=_twin_to_nir, from_nir=_twin_from_nir)]


def _twin_to_nir(p, shape, dt):
    return nir.LI(tau=np.full(shape, 1.0 / p.tau_mem_inv), r=np.ones(shape), v_leak=np.zeros(shape))


def _twin_from_nir(node, dt):
    return NIRImport(overrides={"tau_mem_inv": 1.0 / float(node.tau[0]), "tau_syn_inv": 1.0 / dt}, input_gain=3.0)


class _Thief:
    """An in-process plugin that declares a mapping for a model it does not contribute."""

    @staticmethod
    @hookimpl
    def spikeplug_nir_mappings():
        return [NIRMapping(model="lif", nir_types=("CubaLIF",), to_nir="x:y", from_nir="x:z")]


def test_a_plugin_declares_mappings_for_its_own_models_only():
    """The hook's mappings are collected with their origin; one naming another plugin's model
    fails that plugin with a message saying why, and the builtin mapping stays."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = Registry(plugins=[("twin", _Mapper), ("thief", _Thief)])
        mappings = {e.qualified_name: e for e in reg.nir_mappings()}
        records = {r.name: r for r in reg.plugin_records()}
    assert mappings["twin:lif_twin"].plugin == "twin" and mappings["twin:lif_twin"].spec.nir_types == ("LI",)
    assert mappings["lif:lif"].distribution == "spikeplug"
    assert records["thief"].status == "failed" and "names no neuron model of that plugin" in records["thief"].error
    # an LI node that names the twin in its provenance is imported through the twin's mapping
    node = nir.LI(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2), metadata={"spikeplug.model": "twin:lif_twin"})
    net = spikeplug.nir.from_nir(_graph(node, 2), dt=DT, registry=reg)
    assert isinstance(net[0], InputGain) and net[0].gain.item() == 3.0
    out, _ = net(torch.ones(1, 2))
    assert out[0].tolist() == pytest.approx([0.3, 0.3])


def test_nir_mapping_validates_its_fields():
    """A mapping without NIR types, or with a function that is neither callable nor 'module:attr', is refused."""
    with pytest.raises(spikeplug.plugins.PluginError, match="at least one NIR node type"):
        NIRMapping(model="lif", nir_types=(), to_nir="a:b", from_nir="a:b")
    with pytest.raises(spikeplug.plugins.PluginError, match=r"to_nir must be a callable.*got 3"):
        NIRMapping(model="lif", nir_types=("LIF",), to_nir=3, from_nir="a:b")


# ---------------------------------------------------------------- CLI and import cost
def test_cli_nir_inspect_lists_nodes_edges_and_models(tmp_path, capsys):
    """`spikeplug nir inspect FILE` prints each node with its type, shapes and the spikeplug model it maps to."""
    path = tmp_path / "net.nir"
    nir.write(path, spikeplug.to_nir(_ffnet(), dt=DT))
    from spikeplug.cli import main

    assert main(["nir", "inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "nodes (6):" in out and "edges (5):" in out
    assert any(line.split()[:2] == ["1", "CubaLIF"] and line.rstrip().endswith("lif:lif") for line in out.splitlines())
    assert "  input -> 0" in out and "torch.nn.Linear" in out
    assert main(["nir", "inspect", str(tmp_path / "missing.nir")]) == 1
    odd = tmp_path / "odd.nir"
    nir.write(odd, _graph(nir.Scale(scale=np.ones(2)), 2))
    assert main(["nir", "inspect", "--json", str(odd)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {n["id"]: n["maps_to"] for n in info["nodes"]}["neuron"] == "unsupported"
    assert sorted(map(tuple, info["edges"])) == [("input", "neuron"), ("neuron", "output")]


def test_import_spikeplug_does_not_import_nir():
    """nir is an optional extra: importing spikeplug (and its CLI module) loads neither nir nor nirtorch."""
    code = "import spikeplug, spikeplug.cli, sys; print('nir' in sys.modules, 'nirtorch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_describe_and_models_json_show_which_models_map_to_nir(capsys):
    """``spikeplug describe`` and ``spikeplug models --json`` say which NIR node types each
    neuron model exports as and imports from, read from its plugin's declaration."""
    from spikeplug.cli import main

    assert spikeplug.describe("li").nir == ("CubaLI", "LI")
    assert "NIR: exports as CubaLIF, imports from CubaLIF" in str(spikeplug.describe("lif"))
    assert "NIR: no NIR mapping" in str(spikeplug.describe("lif_adex"))
    assert main(["models", "--json"]) == 0
    listed = {e["name"]: e.get("nir") for e in json.loads(capsys.readouterr().out) if e["kind"] == "neuron"}
    assert listed["iaf"] == ["IF"] and listed["lif_box"] == ["LIF"] and listed["izhikevich"] == []


def test_a_third_party_model_exports_and_imports_through_its_plugins_hook(tmp_path):
    """The example plugin's ``leaky`` declares its NIR mapping (``LI``) through the hook, with
    no change to spikeplug: a network with it round-trips through a file with identical outputs
    and comes back as the plugin's model (provenance); the exported node is NIR's LI with
    ``tau = 1/tau_mem_inv``; without provenance, an ``LI`` node imports as spikeplug's own ``li``
    (spikeplug's distribution wins a NIR type that several plugins import), with the same values."""
    torch.manual_seed(3)
    net = spikeplug.SequentialState(torch.nn.Linear(3, 4), spikeplug.create("example_qif:leaky", form="cell",
                                                                            tau_mem_inv=50.0, v_leak=0.2))
    graph = spikeplug.to_nir(net, dt=DT)
    (node,) = [n for n in graph.nodes.values() if isinstance(n, nir.LI)]
    np.testing.assert_allclose(node.tau, np.full(4, 1 / 50.0))
    np.testing.assert_allclose(node.r, np.ones(4))
    path = tmp_path / "leaky.nir"
    nir.write(path, graph)
    back = spikeplug.from_nir(path, dt=DT)
    assert [type(m).__name__ for m in back if spikeplug.is_stateful(m)] == ["LeakyCell"]
    xs = torch.rand(20, 2, 3)
    out_a, _ = _run(net, xs)
    out_b, _ = _run(back, xs)
    assert torch.equal(out_a, out_b) and out_a.abs().sum() > 0
    for n in graph.nodes.values():
        n.metadata = {}
    plain = spikeplug.from_nir(graph, dt=DT)
    assert [type(m).__name__ for m in plain if spikeplug.is_stateful(m)] == ["LICell"]
    torch.testing.assert_close(_run(plain, xs)[0], out_a, rtol=1e-5, atol=1e-6)


class _CobaMapper:
    """An in-process plugin mapping a model whose recurrent input is its own (conductances)."""

    @staticmethod
    @hookimpl
    def spikeplug_models():
        return [ModelSpec(name="coba_twin", kind="neuron", summary="coba_lif again",
                          factory="spikeplug.neurons_builtin.coba_lif.modules:MODULES")]

    @staticmethod
    @hookimpl
    def spikeplug_nir_mappings():
        return [NIRMapping(model="coba_twin", nir_types=("LIF",), to_nir=_coba_to_nir, from_nir=_twin_from_nir)]


def _coba_to_nir(p, shape, dt):
    return nir.LIF(tau=np.full(shape, 0.01), r=np.ones(shape), v_leak=np.zeros(shape), v_threshold=np.ones(shape),
                   v_reset=np.zeros(shape))


def test_a_recurrent_input_of_its_own_is_refused_on_export():
    """A Linear node fed back expresses x·W_inᵀ + z·W_recᵀ only; coba_lif's recurrent input
    (excitatory and inhibitory conductances) is refused rather than written wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = Registry(plugins=[("coba_twin", _CobaMapper)])
    rec = reg.create("coba_twin", form="recurrent_cell", input_size=2, hidden_size=3)
    with pytest.raises(NIRError, match=r"module '0' is a \w+ of coba_twin:coba_twin, whose recurrent input is its own"):
        spikeplug.nir.to_nir(rec, dt=DT, registry=reg)


def test_inspect_names_the_parts_of_a_recurrent_population():
    net = spikeplug.SequentialState(torch.nn.Linear(3, 5),
                                    spikeplug.create("lif", form="recurrent", input_size=5, hidden_size=5))
    info = spikeplug.nir.inspect_graph(spikeplug.to_nir(net, dt=DT))
    maps = {n["id"]: n["maps_to"] for n in info["nodes"]}
    assert maps["1.neuron"] == "lif:lif (recurrent form)"
    assert maps["1.w_rec"].startswith("recurrent weights of '1.neuron'")
    assert ["1.w_rec", "1.neuron"] in info["edges"]


def test_round_trip_of_a_time_first_convolutional_network(tmp_path):
    """Layers (time first) around LConv2d, a lifted pool and Flatten(start_dim=2): the import runs
    the per-step primitives at every step (LConv2d for a bias-free convolution, Lift otherwise),
    so Flatten does not fold time into the batch."""
    torch.manual_seed(6)
    net = spikeplug.SequentialState(
        spikeplug.LConv2d(1, 2, 3, padding=1), spikeplug.create("lif"), spikeplug.Lift(torch.nn.AvgPool2d(2)),
        torch.nn.Flatten(start_dim=2), torch.nn.Linear(2 * 3 * 3, 4), spikeplug.create("li"),
    )
    xs = torch.rand(8, 2, 1, 6, 6) * 8
    path = tmp_path / "conv_layers.nir"
    nir.write(path, spikeplug.to_nir(net, xs, dt=DT))
    back = spikeplug.from_nir(path, dt=DT)
    assert [type(m).__name__ for m in back] == ["LConv2d", "LIF", "Lift", "Lift", "Linear", "LI"]
    a, b = net(xs)[0], back(xs)[0]
    assert a.shape == b.shape == (8, 2, 4) and a.abs().sum() > 0 and torch.equal(a, b)
    # a convolution with a bias is lifted as it is
    g = spikeplug.to_nir(spikeplug.SequentialState(torch.nn.Conv2d(1, 2, 3), spikeplug.create("lif", form="cell")),
                         torch.rand(2, 1, 5, 5), dt=DT)
    lifted = spikeplug.from_nir(g, dt=DT, form="layer")
    assert type(lifted[0]).__name__ == "Lift" and lifted(torch.rand(3, 2, 1, 5, 5))[0].shape == (3, 2, 2, 3, 3)


def test_a_graph_network_inside_a_container_is_refused_on_export():
    """Written into a chain, a GraphNetwork would lose its branches: refused, naming it."""
    g = _dag({"li": _li()}, [("input", "li"), ("li", "output"), ("input", "output")])
    net = spikeplug.SequentialState(torch.nn.Linear(2, 2), spikeplug.from_nir(g, dt=DT))
    with pytest.raises(NIRError, match=r"module '1' is a GraphNetwork inside another container"):
        spikeplug.to_nir(net, dt=DT)


def test_a_recurrent_population_alone_makes_the_import_time_first():
    """The form recorded inside a recurrent population counts: the Flatten before a recurrent
    layer runs at every step, so the batch stays a batch."""
    torch.manual_seed(8)
    net = spikeplug.SequentialState(spikeplug.Lift(torch.nn.Flatten()),
                                    spikeplug.create("lif_box", form="recurrent", input_size=6, hidden_size=4))
    xs = torch.rand(5, 3, 2, 3) * 3
    back = spikeplug.from_nir(spikeplug.to_nir(net, xs, dt=DT), dt=DT)
    assert type(back[0]).__name__ == "Lift"
    a, b = net(xs)[0], back(xs)[0]
    assert a.shape == b.shape == (5, 3, 4) and torch.equal(a, b)


def test_float64_imports_keep_per_neuron_parameters_bit_for_bit():
    tau = 100.0 + torch.rand(4, dtype=torch.float64, generator=torch.Generator().manual_seed(9)) * 50
    net = spikeplug.SequentialState(torch.nn.Linear(3, 4, dtype=torch.float64),
                                    spikeplug.create("lif_box", form="cell", tau_mem_inv=tau, v_th=0.3))
    g = spikeplug.to_nir(net, dt=DT)
    assert torch.equal(spikeplug.from_nir(g, dt=DT, dtype=torch.float64)[1].params().tau_mem_inv, tau)
    for node in g.nodes.values():
        node.metadata = {}
    got = spikeplug.from_nir(g, dt=DT, dtype=torch.float64)[1].params().tau_mem_inv
    assert got.dtype == torch.float64 and torch.allclose(got, tau, rtol=1e-14, atol=0)  # 1/(1/tau): float64 rounding


def test_an_imported_input_gain_goes_back_into_the_nodes_r():
    """from_nir puts r (which lif_box has no parameter for) in an InputGain; to_nir writes it
    back into the node's r, so an imported graph exports again and computes the same."""
    lif = nir.LIF(tau=np.full(2, 0.01), r=np.array([2.0, 3.0]), v_leak=np.zeros(2), v_threshold=np.full(2, 0.5),
                  v_reset=np.zeros(2))
    g = _dag({"a": nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, np.float32)), "n": lif},
             [("input", "a"), ("a", "n"), ("n", "output"), ("a", "output")])
    net = spikeplug.from_nir(g, dt=DT)
    again = spikeplug.to_nir(net, dt=DT)
    neuron = next(v for v in again.nodes.values() if isinstance(v, nir.LIF))
    assert neuron.r.tolist() == [2.0, 3.0]
    xs = torch.rand(10, 2, 2)
    assert torch.equal(_run(net, xs)[0], _run(spikeplug.from_nir(again, dt=DT), xs)[0])
    lone = spikeplug.SequentialState(InputGain(2.0), torch.nn.Linear(2, 2))
    with pytest.raises(NIRError, match=r"module '0' is an InputGain before '1' \(Linear\); NIR can hold a gain only"):
        spikeplug.to_nir(lone, dt=DT)
