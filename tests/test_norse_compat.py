"""``spikeplug.norse``: Norse 1.1.0's names and signatures as adapters onto spikeplug.

Values are derived by hand from the equations in ``shared/reference/norse-models.md``
(forward Euler, defaults dt = 1 ms, dt·tau_mem_inv = 0.1, 1 − dt·tau_syn_inv = 0.8).
The comparisons with Norse itself are in ``test_norse_against_norse.py`` (they need the
``norse-compat`` extra).
"""

from __future__ import annotations

import importlib
import inspect
import pickle
import subprocess
import sys

import pytest
import torch

import spikeplug
import spikeplug.norse as norse
from spikeplug.norse import _names

F = norse.functional


def test_import_loads_no_family():
    """``import spikeplug.norse`` (and its Norse submodules) imports no neuron family or
    encoder: names resolve on first access."""
    code = (
        "import sys, spikeplug.norse, spikeplug.norse.functional.lif, spikeplug.norse.module.sequential\n"
        "print([m for m in sys.modules if '_builtin.' in m])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_listed_name_resolves():
    """Every name of the table resolves, from the top level and from each Norse submodule that
    lists it; model-derived names are the family's classes under Norse's name."""
    for name in sorted(norse.PROVIDED):
        obj = getattr(norse, name)
        if name in _names.MODEL_NAMES:
            assert obj.__name__ == name
    for sub, names in _names.SUBMODULES.items():
        module = importlib.import_module(f"spikeplug.norse.{sub}")
        for name in names:
            getattr(module, name)
    assert set(norse.__all__) <= norse.PROVIDED


def test_names_not_provided_say_why():
    """A Norse name spikeplug does not offer raises ``AttributeError`` with the reason and the
    pointer to the difference table; an unknown name raises a plain one."""
    with pytest.raises(AttributeError, match=r"does not provide Norse's 'LIBoxCell': .*LI with tau_syn_inv = 1/dt"):
        norse.LIBoxCell
    with pytest.raises(AttributeError, match=r"does not provide Norse's 'lif_mc_feed_forward_step'.*docs/norse\.md"):
        F.lif_mc.lif_mc_feed_forward_step
    with pytest.raises(AttributeError, match="has no attribute 'LIFFoo'"):
        norse.LIFFoo
    assert not set(_names.NOT_PROVIDED) & norse.PROVIDED


def test_positional_parameters_and_replace():
    """Norse's positional construction and ``_replace`` port as written."""
    p = norse.LIFParameters(250.0, 50.0, 0.1, 0.9)
    assert (p.tau_syn_inv, p.tau_mem_inv, p.v_leak, p.v_th) == (250.0, 50.0, 0.1, 0.9)
    assert p._replace(v_th=2.0).v_th == 2.0 and p.v_th == 0.9


def test_lif_feed_forward_step_values():
    """LIF feed-forward with I = 1 from v = i = 0: v = .1, .27, .487, .7335, .99631, then the
    spike (0 after reset); i = .8, 1.44, ... (i_j = i + 1, v += 0.1·(i_j − v), i' = 0.8·i_j)."""
    s = norse.LIFFeedForwardState(torch.zeros(1), torch.zeros(1))
    vs, zs = [], []
    for _ in range(6):
        z, s = F.lif_feed_forward_step(torch.ones(1), s, norse.LIFParameters(), 0.001)
        vs.append(s.v.item())
        zs.append(z.item())
    assert vs == pytest.approx([0.1, 0.27, 0.487, 0.7335, 0.99631, 0.0], abs=1e-5)
    assert zs == [0, 0, 0, 0, 0, 1]
    assert s.i.item() == pytest.approx(2.951424, abs=1e-5)


def test_lif_recurrent_step_values():
    """Norse's recurrent ``lif_step(x, s, W_in, W_rec, p, dt)`` (reference case B): both neurons
    spike at steps 6, 9, 12; v after step 7 = [.345142, .445142]; i after step 12 =
    [3.33805, 4.112194]."""
    x = torch.tensor([[1.0, 0.5]])
    w_in = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    w_rec = torch.tensor([[0.0, -0.5], [0.5, 0.0]])
    s = norse.LIFState(*(torch.zeros(1, 2) for _ in range(3)))
    spikes = []
    for t in range(12):
        z, s = F.lif_step(x, s, w_in, w_rec, norse.LIFParameters())
        spikes.append(z[0].tolist())
        if t == 6:
            assert s.v[0].tolist() == pytest.approx([0.345142, 0.445142], abs=1e-5)
    assert [t + 1 for t, z in enumerate(spikes) if z == [1.0, 1.0]] == [6, 9, 12]
    assert s.i[0].tolist() == pytest.approx([3.33805, 4.112194], abs=1e-5)


def test_recurrent_step_detaches_the_reset_as_the_model_declares():
    """``lif_step`` detaches z in the reset (Norse's recurrent LIF): the gradient of v' through
    a spike is that of (1 − z)·v_d alone, so d v'/d x is 0 where the neuron spiked."""
    x = torch.tensor([[3.0]], requires_grad=True)
    s = norse.LIFState(torch.zeros(1, 1), torch.full((1, 1), 10.0), torch.zeros(1, 1))
    z, s = F.lif_step(x, s, torch.eye(1), torch.zeros(1, 1))
    (g,) = torch.autograd.grad(s.v.sum(), x)
    assert z.item() == 1.0 and g.item() == 0.0


def test_dt_argument_and_p_dt():
    """``dt`` given to a step wins for that call; ``dt=None`` uses ``p.dt``."""
    s = norse.LIFFeedForwardState(torch.zeros(1), torch.zeros(1))
    _, a = F.lif_feed_forward_step(torch.ones(1), s, norse.LIFParameters(), 0.002)
    _, b = F.lif_feed_forward_step(torch.ones(1), s, norse.LIFParameters(dt=0.002))
    assert a.v.item() == pytest.approx(0.2) and torch.equal(a.v, b.v)


def test_iaf_and_lif_box_defaults():
    """``iaf_feed_forward_step(x, s)`` with Norse's default p: v = 1 after I = 1 (strict
    threshold, no spike); ``lif_box_feed_forward_step`` with v0 = 0, I = 1: v = 0.1."""
    z, s = F.iaf_feed_forward_step(torch.ones(1), norse.IAFFeedForwardState(torch.zeros(1)))
    assert (z.item(), s.v.item()) == (0.0, 1.0)
    z, s = F.lif_box_feed_forward_step(torch.ones(1), norse.LIFBoxFeedForwardState(torch.zeros(1)))
    assert s.v.item() == pytest.approx(0.1)


def test_current_encoders_and_integral():
    """``lif_current_encoder`` (I = 1, v0 = 0): v = .1, .19, .271, .3439 (no synaptic current);
    ``lif_feed_forward_integral`` of ones(8, 1): one spike, final v .771742."""
    v = torch.zeros(1)
    vs = []
    for _ in range(4):
        z, v = F.lif_current_encoder(torch.ones(1), v, norse.LIFParameters())
        vs.append(v.item())
    assert vs == pytest.approx([0.1, 0.19, 0.271, 0.3439], abs=1e-6)
    zs, s = F.lif_feed_forward_integral(torch.ones(8, 1), norse.LIFFeedForwardState(torch.zeros(1), torch.zeros(1)))
    assert zs.shape == (8, 1) and zs.sum().item() == 1.0
    assert s.v.item() == pytest.approx(0.771742, abs=1e-5)
    z, v, a = F.lif_adex_current_encoder(torch.ones(1), torch.zeros(1), torch.zeros(1))
    assert v.item() == pytest.approx(0.1 * (0.5 * torch.exp(torch.tensor(-2.0)).item() + 1.0), abs=1e-6)


def test_li_step_uses_input_weights():
    """``li_step(x, s, W_in)``: the leaky integrator on x·W_inᵀ; I = 2·1 from rest gives v = 0.2."""
    v, s = F.li_step(torch.ones(1, 1), norse.LIState(torch.zeros(1, 1), torch.zeros(1, 1)), torch.full((1, 1), 2.0))
    assert v.item() == pytest.approx(0.2) and s.i.item() == pytest.approx(1.6)


def test_lif_mc_step_takes_lif_parameters_and_coupling():
    """``lif_mc_step(x, s, W_in, W_rec, g, p)`` with LIF parameters and zero coupling equals
    ``lif_step``; with coupling g the potentials move by dt·(v·gᵀ) after the step."""
    x, s = torch.tensor([[1.0, 0.5]]), norse.LIFState(*(torch.zeros(1, 2) for _ in range(3)))
    eye, zero = torch.eye(2), torch.zeros(2, 2)
    _, plain = F.lif_step(x, s, eye, zero, norse.LIFParameters())
    _, mc = F.lif_mc_step(x, s, eye, zero, zero, norse.LIFParameters())
    assert torch.equal(plain.v, mc.v)
    g = torch.tensor([[-10.0, 10.0], [10.0, -10.0]])
    _, coupled = F.lif_mc_step(x, s, eye, zero, g, norse.LIFParameters())
    assert coupled.v[0].tolist() == pytest.approx([0.0995, 0.0505], abs=1e-6)


@pytest.mark.parametrize(
    "fn, alpha, x, grad",
    [
        ("super_fn", 100.0, 0.1, 1 / (10 + 1) ** 2),
        ("triangle_fn", 2.0, 0.1, 2 * 0.9),
        ("heavi_tanh_fn", 2.0, 0.0, 1.0),
        ("heavi_circ_fn", 2.0, 0.0, 1.0),
        ("heavi_erfc_fn", 2.0, 0.0, 2 / torch.pi**0.5),
    ],
)
def test_surrogate_functions_by_name(fn, alpha, x, grad):
    """Norse's surrogate functions: the strict step forward, the method's derivative backward."""
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    out = getattr(F, fn)(t, alpha)
    out.sum().backward()
    assert out.item() == (1.0 if x > 0 else 0.0)
    assert t.grad.item() == pytest.approx(grad, rel=1e-6)


def test_function_names_win_over_submodule_names():
    """``functional.lift`` (and ``threshold``, ``heaviside``) is the function, while
    ``from spikeplug.norse.functional.lift import lift`` still finds Norse's submodule."""
    from spikeplug.norse.functional.lift import lift
    from spikeplug.norse.functional.threshold import threshold

    assert F.lift is lift and F.threshold is threshold and callable(F.heaviside)


def test_threshold_sign_heaviside():
    """``threshold`` by method name, ``sign`` = 2Θ − 1, ``heaviside`` strict; an unknown method
    raises ``ValueError`` (as Norse's) listing the methods."""
    x = torch.tensor([-1.0, 0.0, 0.5])
    assert F.threshold(x, "super", 100.0).tolist() == [0.0, 0.0, 1.0]
    assert F.sign(x, "tanh", 2.0).tolist() == [-1.0, -1.0, 1.0]
    assert F.heaviside(x).tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="'noasd' is not a surrogate method"):
        F.threshold(x, "noasd", 1.0)


def test_stochastic_surrogates():
    """``logistic_fn`` and ``circ_dist_fn`` draw 0/1 spikes with their probability (always 1
    far above threshold, 0 far below) and pass the tanh and circ derivatives back."""
    x = torch.tensor([-50.0, 50.0], requires_grad=True)
    for fn in (F.logistic_fn, F.circ_dist_fn):
        out = fn(x, 1.0)
        assert out.tolist() == [0.0, 1.0]
    x0 = torch.zeros(1, requires_grad=True)
    F.logistic_fn(x0, 3.0).sum().backward()
    assert x0.grad.item() == pytest.approx(1.0)


def test_lift_threads_state_and_p():
    """``lift(step, p)`` applies a step at every time step: the state is threaded, ``p`` given
    at lift time is used unless the call gives one; a step that needs a state raises
    ``TypeError`` when none is given, as in Norse."""
    lifted = F.lift(F.lif_feed_forward_step, p=norse.LIFParameters(v_th=0.5))
    s0 = norse.LIFFeedForwardState(torch.zeros(1), torch.zeros(1))
    zs, s = lifted(torch.ones(4, 1), state=s0)
    assert zs[:, 0].tolist() == [0.0, 0.0, 0.0, 1.0]                     # 0.487 then 0.7335 > 0.5
    zs, _ = lifted(torch.ones(4, 1), state=s0, p=norse.LIFParameters())
    assert zs.sum().item() == 0.0
    with pytest.raises(TypeError, match="missing required argument 'state'"):
        F.lift(F.lif_feed_forward_step)(torch.ones(3, 1))
    assert pickle.loads(pickle.dumps(lifted)) == lifted


def test_resets_take_norses_four_arguments():
    """``reset_value(z, v, reset, th)`` and ``reset_subtract(z, v, reset, th)``."""
    z, v = torch.tensor([0.0, 1.0]), torch.tensor([0.5, 1.25])
    assert F.reset_value(z, v, -1.0, 1.0).tolist() == [0.5, -1.0]
    assert F.reset_subtract(z, v, -1.0, 1.0).tolist() == [0.5, 0.25]


def test_modules_start_with_norses_initial_state():
    """The module names of ``spikeplug.norse`` start from a ``v`` that requires grad, so a bare
    neuron's output can be backpropagated (Norse's behaviour); spikeplug's own classes keep
    a state without gradient."""
    cell = norse.LIFCell()
    out, s = cell(torch.full((2, 3), 20.0))
    out.sum().backward()                                              # would raise without a leaf that needs grad
    assert isinstance(cell, spikeplug.registry.factory("lif:lif").cell)
    plain = spikeplug.registry.factory("lif:lif").cell()
    assert not plain.initial_state(torch.ones(2)).v.requires_grad
    layer = norse.LIF()
    out, _ = layer(torch.full((5, 2), 20.0))
    out.sum().backward()
    assert pickle.loads(pickle.dumps(norse.LIFCell)) is norse.LIFCell


def test_norse_recurrent_module_signature():
    """``LIFRecurrentCell(input_size, hidden_size, p, input_weights=..., autapses=..., dt=...)``."""
    w = torch.eye(2)
    cell = norse.LIFRecurrentCell(2, 2, norse.LIFParameters(v_th=0.5), input_weights=w, autapses=True, dt=0.001)
    z, s = cell(torch.full((1, 2), 10.0))
    assert z.tolist() == [[1.0, 1.0]] and isinstance(s, norse.LIFState)
    mc = norse.LIFMCRecurrentCell(2, 2, norse.LIFParameters(), g_coupling=torch.zeros(2, 2))
    assert torch.equal(mc.p.g_coupling, torch.zeros(2, 2))


def test_izhikevich_behaviours():
    """Presets are fresh ``(p, s)`` pairs on every access; modules take them as
    ``spiking_method``; ``create_izhikevich_spiking_behavior`` scales ``u_rest`` by b and
    recreates a preset exactly."""
    p, s = norse.tonic_spiking
    assert (p.a, p.b, p.c, p.d, s.v.item(), s.u.item()) == (0.02, 0.2, -65.0, 6.0, -70.0, -14.0)
    assert norse.tonic_spiking.s.v is not norse.tonic_spiking.s.v
    made = norse.create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, v_rest=-70.0, u_rest=-70.0)
    assert made.p == norse.tonic_spiking_p and made.s == s
    cell = norse.IzhikevichCell(norse.tonic_spiking, dt=0.001)
    z, state = cell(torch.zeros(3))
    assert state.v.tolist() == pytest.approx([-70.0 + 0.25 * (0.04 * 4900 - 350 + 140 + 14)] * 3, abs=1e-4)
    rec = norse.IzhikevichRecurrentCell(2, 3, norse.tonic_spiking)
    assert rec(torch.zeros(1, 2))[0].shape == (1, 3)


def test_recurrent_sequential():
    """``RecurrentSequential``: the chosen child's output is returned and added to the next
    input (``m(*m(x))`` computes f(f(x) + f(x)), the output fed back onto itself)."""
    lin = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        lin.weight.fill_(2.0)
    m = norse.RecurrentSequential(lin)
    x = torch.ones(3, 1)
    out, state = m(*m(x))
    assert out.tolist() == [[8.0]] * 3 and isinstance(state, norse.RecurrentSequentialState)
    m2 = norse.RecurrentSequential(lin, torch.nn.ReLU(), output_modules=0)
    assert m2(x)[0].tolist() == [[2.0]] * 3
    with pytest.raises(spikeplug.ParameterError, match=r"output_modules must be a child index in \[-2, 2\)"):
        norse.RecurrentSequential(lin, lin, output_modules=5)


def test_sequential_state_forward_state_hooks():
    """``SequentialState.forward_state_hooks`` holds one handle per stateful child while hooks
    are registered (Norse's attribute), and is emptied by removal."""
    net = norse.SequentialState(torch.nn.Linear(2, 2), norse.LIFCell(), norse.LICell())
    calls = []
    net.register_forward_state_hooks(lambda m, i, o: calls.append(type(m).__name__))
    assert len(net.forward_state_hooks) == 2
    net(torch.ones(1, 2))
    assert calls == ["LIFCell", "LICell"]
    net.remove_forward_state_hooks()
    assert net.forward_state_hooks == []


def test_sparse_input_through_functional_and_modules():
    """A sparse COO input gives sparse outputs through a functional step and a Norse-named
    module, with the dense input's values."""
    x = (torch.rand(4, 3, generator=torch.Generator().manual_seed(0)) > 0.5).float() * 5
    s = norse.LIFFeedForwardState(torch.zeros(3), torch.zeros(3))
    z_sparse, _ = F.lif_feed_forward_step_sparse(x[0].to_sparse(), s)
    z_dense, _ = F.lif_feed_forward_step(x[0], s)
    assert z_sparse.layout == torch.sparse_coo and torch.equal(z_sparse.to_dense(), z_dense)
    out, _ = norse.LIF()(x.to_sparse())
    assert out.layout == torch.sparse_coo and torch.equal(out.to_dense(), norse.LIF()(x)[0])


def test_generated_functions_show_norses_signatures():
    """``help()`` shows Norse's argument names: the recurrent step takes the weights, the MC
    step the coupling after them."""
    assert list(inspect.signature(F.lif_step).parameters) == [
        "input_tensor", "state", "input_weights", "recurrent_weights", "p", "dt",
    ]
    assert list(inspect.signature(F.lif_mc_step).parameters)[4] == "g_coupling"
    assert F.lif_step.__module__ == "spikeplug.norse.functional"
