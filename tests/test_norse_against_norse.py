"""``spikeplug.norse`` against Norse 1.1.0 itself: the same inputs give the same values.

Runs when Norse is installed (``pip install -c constraints.txt -e ".[norse-compat]"``;
tox installs it). Each test drives an adapter and Norse's function with the same
parameters, states and inputs and compares every output within 1e-6 (float64 inputs,
so that the comparison sees the equations rather than float32 rounding). The
deliberate differences (docs/norse.md) are compared where they do not apply, and their
difference is asserted where they do.
"""

from __future__ import annotations

import warnings

import pytest
import torch

norse_torch = pytest.importorskip("norse.torch", reason="Norse 1.1.0 is not installed (extra 'norse-compat')")

import spikeplug.norse as ours  # noqa: E402

F = ours.functional
TOL = dict(rtol=1e-6, atol=1e-6)
STEPS = 25


def inputs(*shape: int, seed: int = 0, scale: float = 3.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(STEPS, *shape, generator=g, dtype=torch.float64) * scale


def norse_fn(module: str, name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = __import__(f"norse.torch.functional.{module}", fromlist=[name])
    return getattr(mod, name)


def close(a, b) -> None:
    if isinstance(a, tuple):
        for x, y in zip(a, b):
            close(x, y)
        return
    a = a.to_dense() if a.is_sparse else a
    b = b.to_dense() if b.is_sparse else b
    assert torch.allclose(a.double(), torch.as_tensor(b).double(), **TOL), (a, b)


def norse_params(module: str, cls: str, **values):
    """Norse's parameter tuple with float64 tensors (method/alpha passed as given)."""
    tensors = {k: (torch.tensor(v, dtype=torch.float64) if isinstance(v, float) else v) for k, v in values.items()}
    return norse_fn(module, cls)(**tensors)


FEED_FORWARD = [
    # (Norse module, step, params class, our step, our params class, state fields, values)
    ("lif", "lif_feed_forward_step", "LIFParameters", "LIFParameters",
     ("v", "i"), dict(tau_syn_inv=150.0, tau_mem_inv=80.0, v_leak=0.1, v_th=1.0, v_reset=-0.1)),
    ("leaky_integrator", "li_feed_forward_step", "LIParameters", "LIParameters",
     ("v", "i"), dict(tau_syn_inv=150.0, tau_mem_inv=80.0, v_leak=0.1)),
    ("lif_box", "lif_box_feed_forward_step", "LIFBoxParameters", "LIFBoxParameters",
     ("v",), dict(tau_mem_inv=80.0, v_leak=0.1, v_th=1.0, v_reset=-0.1)),
    ("iaf", "iaf_feed_forward_step", "IAFParameters", "IAFParameters", ("v",), dict(v_th=2.0, v_reset=-0.5)),
    ("lif_ex", "lif_ex_feed_forward_step", "LIFExParameters", "LIFExParameters",
     ("v", "i"), dict(delta_T=0.4, tau_syn_inv=150.0, tau_mem_inv=80.0, v_leak=0.0, v_th=1.0, v_reset=0.0)),
    ("lif_adex", "lif_adex_feed_forward_step", "LIFAdExParameters", "LIFAdExParameters",
     ("v", "i", "a"), dict(adaptation_current=3.0, adaptation_spike=0.03, delta_T=0.4, tau_ada_inv=3.0,
                           tau_syn_inv=150.0, tau_mem_inv=80.0, v_leak=0.0, v_th=1.0, v_reset=0.0)),
    ("lsnn", "lsnn_feed_forward_step", "LSNNParameters", "LSNNParameters",
     ("v", "i", "b"), dict(tau_syn_inv=150.0, tau_mem_inv=80.0, tau_adapt_inv=2.0, v_leak=0.0, v_th=1.0,
                           v_reset=0.0, beta=1.5)),
    ("coba_lif", "coba_lif_feed_forward_step", "CobaLIFParameters", "CobaLIFParameters",
     ("v", "g_e", "g_i"), dict(tau_syn_exc_inv=0.3, tau_syn_inh_inv=0.4, c_m_inv=5.0, g_l=0.25, e_rev_I=-100.0,
                               e_rev_E=60.0, v_rest=-20.0, v_reset=-70.0, v_thresh=-10.0)),
]


@pytest.mark.parametrize("module, step, norse_cls, our_cls, fields, values", FEED_FORWARD, ids=[c[1] for c in FEED_FORWARD])
def test_feed_forward_steps_equal_norse(module, step, norse_cls, our_cls, fields, values):
    """Every feed-forward step gives Norse's outputs and states at every step (input first,
    per-family update order, resets), from the same state and parameters."""
    x = inputs(4) * (20.0 if module == "coba_lif" else 1.0) - (10.0 if module == "coba_lif" else 0.0)
    np_ = norse_params(module, norse_cls, **values)
    op = getattr(ours, our_cls)(**values)
    start = {f: torch.full((4,), -20.0 if module == "coba_lif" and f == "v" else (1.0 if f == "b" else 0.0),
                           dtype=torch.float64) for f in fields}
    n_state = _state(module, fields, start)
    o_state = _our_state(step, fields, start)
    for x_t in x.unbind(0):
        zn, n_state = norse_fn(module, step)(x_t, n_state, np_, 0.001)
        zo, o_state = getattr(F, step)(x_t, o_state, op, 0.001)
        close(zo, zn)
        close(tuple(o_state), tuple(n_state))


def _state(module: str, fields, start):
    cls = {"lif": "LIFFeedForwardState", "leaky_integrator": "LIState", "lif_box": "LIFBoxFeedForwardState",
           "iaf": "IAFFeedForwardState", "lif_ex": "LIFExFeedForwardState", "lif_adex": "LIFAdExFeedForwardState",
           "lsnn": "LSNNFeedForwardState", "coba_lif": "CobaLIFFeedForwardState"}[module]
    return norse_fn(module, cls)(*(start[f] for f in fields))


def _our_state(step: str, fields, start):
    family = {"lif_feed_forward_step": "LIFFeedForwardState", "li_feed_forward_step": "LIState",
              "lif_box_feed_forward_step": "LIFBoxFeedForwardState", "iaf_feed_forward_step": "IAFFeedForwardState",
              "lif_ex_feed_forward_step": "LIFExFeedForwardState",
              "lif_adex_feed_forward_step": "LIFAdExFeedForwardState",
              "lsnn_feed_forward_step": "LSNNFeedForwardState",
              "coba_lif_feed_forward_step": "CobaLIFFeedForwardState"}[step]
    return getattr(ours, family)(*(start[f] for f in fields))


RECURRENT = [
    ("lif", "lif_step", "LIFParameters", "LIFState", dict(tau_syn_inv=150.0, tau_mem_inv=80.0, v_th=1.0)),
    ("iaf", "iaf_step", "IAFParameters", "IAFState", dict(v_th=2.0, v_reset=-0.5)),
    ("lif_ex", "lif_ex_step", "LIFExParameters", "LIFExState", dict(delta_T=0.4, tau_mem_inv=80.0)),
    ("lif_adex", "lif_adex_step", "LIFAdExParameters", "LIFAdExState", dict(adaptation_current=3.0, tau_ada_inv=3.0)),
    ("lsnn", "lsnn_step", "LSNNParameters", "LSNNState", dict(tau_adapt_inv=2.0, beta=1.5)),
]


@pytest.mark.parametrize("module, step, pcls, scls, values", RECURRENT, ids=[c[1] for c in RECURRENT])
def test_recurrent_steps_equal_norse(module, step, pcls, scls, values):
    """Norse's recurrent ``<family>_step(x, s, W_in, W_rec, p, dt)``: same spikes and states,
    and the same input gradient (which sees whether the reset is detached); surrogate
    ``tanh``, since Norse 1.1.0's SuperSpike ignores alpha (see the test below)."""
    values = {**values, "method": "tanh", "alpha": 2.0}
    g = torch.Generator().manual_seed(1)
    w_in = torch.randn(3, 2, generator=g, dtype=torch.float64)
    w_rec = torch.randn(3, 3, generator=g, dtype=torch.float64) * 0.5
    x = inputs(1, 2, seed=2).requires_grad_(True)
    np_, op = norse_params(module, pcls, **values), getattr(ours, pcls)(**values)
    fields = norse_fn(module, scls)._fields
    zero = torch.zeros(1, 3, dtype=torch.float64)
    init = {f: (torch.ones_like(zero) if f == "b" else zero) for f in fields}
    n_state, o_state = norse_fn(module, scls)(**init), getattr(ours, scls)(**init)
    total_n = total_o = 0.0
    for x_t in x.unbind(0):
        zn, n_state = norse_fn(module, step)(x_t, n_state, w_in, w_rec, np_, 0.001)
        zo, o_state = getattr(F, step)(x_t, o_state, w_in, w_rec, op, 0.001)
        close(zo, zn)
        close(tuple(o_state), tuple(n_state))
        total_n = total_n + n_state.v.sum()
        total_o = total_o + o_state.v.sum()
    (gn,) = torch.autograd.grad(total_n, x)
    (go,) = torch.autograd.grad(total_o, x)
    close(go, gn)


def test_izhikevich_steps_and_presets_equal_norse():
    """Izhikevich feed-forward and recurrent steps from every Norse preset's own ``(p, s)``:
    same v, u and spikes over 200 steps of a constant current; the presets' values match."""
    import norse.torch.functional.izhikevich as nizk

    for name in ("tonic_spiking", "phasic_bursting", "class_1_exc", "dap", "accomodation"):
        np_, ns = getattr(nizk, name)
        op, os_ = getattr(ours, name)
        for field in ("a", "b", "c", "d", "sq", "mn", "bias", "v_th", "tau_inv"):
            assert float(getattr(op, field)) == pytest.approx(float(getattr(np_, field)), rel=1e-12), (name, field)
        close(tuple(os_), (ns.v.detach(), ns.u))
        n_s = nizk.IzhikevichState(ns.v.detach().double().expand(2).clone(), torch.as_tensor(ns.u).double().expand(2).clone())
        o_s = ours.IzhikevichState(n_s.v.clone(), n_s.u.clone())
        current = torch.tensor([10.0, 14.0], dtype=torch.float64)
        for _ in range(200):
            zn, n_s = nizk.izhikevich_feed_forward_step(current, n_s, np_, 0.001)
            zo, o_s = F.izhikevich_feed_forward_step(current, o_s, op, 0.001)
            close(zo, zn)
            close(tuple(o_s), tuple(n_s))


def test_izhikevich_recurrent_and_creation_equal_norse():
    """``izhikevich_recurrent_step`` and ``create_izhikevich_spiking_behavior`` equal Norse's."""
    import norse.torch.functional.izhikevich as nizk

    made_n = nizk.create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, -70.0, -70.0, tau_inv=200)
    made_o = ours.create_izhikevich_spiking_behavior(0.02, 0.2, -65, 6, -70.0, -70.0, tau_inv=200)
    close(tuple(made_o.s), (made_n.s.v.detach(), made_n.s.u))
    assert made_o.p.tau_inv == 200.0
    g = torch.Generator().manual_seed(3)
    w_in, w_rec = torch.randn(2, 2, generator=g, dtype=torch.float64) * 5, torch.randn(2, 2, generator=g, dtype=torch.float64)
    start = dict(z=torch.zeros(1, 2, dtype=torch.float64), v=torch.full((1, 2), -70.0, dtype=torch.float64),
                 u=torch.full((1, 2), -14.0, dtype=torch.float64))
    n_s, o_s = nizk.IzhikevichRecurrentState(**start), ours.IzhikevichRecurrentState(**start)
    for x_t in inputs(1, 2, seed=4, scale=6.0).unbind(0):
        zn, n_s = nizk.izhikevich_recurrent_step(x_t, n_s, w_in, w_rec, made_n.p, 0.001)
        zo, o_s = F.izhikevich_recurrent_step(x_t, o_s, w_in, w_rec, made_o.p, 0.001)
        close(zo, zn)
        close(tuple(o_s), tuple(n_s))


def test_li_step_lif_mc_step_and_encoders_equal_norse():
    """``li_step``, ``lif_mc_step``, ``lif_current_encoder``, ``lif_ex_current_encoder``,
    ``lif_feed_forward_integral`` give Norse's values; ``lif_adex_current_encoder`` gives
    Norse's z and v (its adaptation differs on purpose: docs/norse.md)."""
    g = torch.Generator().manual_seed(5)
    w = torch.randn(3, 2, generator=g, dtype=torch.float64)
    s_n = norse_fn("leaky_integrator", "LIState")(torch.zeros(1, 3, dtype=torch.float64), torch.zeros(1, 3, dtype=torch.float64))
    s_o = ours.LIState(*s_n)
    lp_n, lp_o = norse_params("leaky_integrator", "LIParameters", tau_mem_inv=80.0), ours.LIParameters(tau_mem_inv=80.0)
    for x_t in inputs(1, 2).unbind(0):
        vn, s_n = norse_fn("leaky_integrator", "li_step")(x_t, s_n, w, lp_n, 0.001)
        vo, s_o = F.li_step(x_t, s_o, w, lp_o, 0.001)
        close(vo, vn)
        close(tuple(s_o), tuple(s_n))

    gc = torch.tensor([[-10.0, 10.0], [10.0, -10.0]], dtype=torch.float64)
    pn, po = norse_params("lif", "LIFParameters"), ours.LIFParameters()
    start = {f: torch.zeros(1, 2, dtype=torch.float64) for f in ("z", "v", "i")}
    n_s, o_s = norse_fn("lif", "LIFState")(**start), ours.LIFState(**start)
    w_in, w_rec = torch.eye(2, dtype=torch.float64), torch.tensor([[0.0, -0.5], [0.5, 0.0]], dtype=torch.float64)
    for x_t in inputs(1, 2, seed=6).unbind(0):
        zn, n_s = norse_fn("lif_mc", "lif_mc_step")(x_t, n_s, w_in, w_rec, gc, pn, 0.001)
        zo, o_s = F.lif_mc_step(x_t, o_s, w_in, w_rec, gc, po, 0.001)
        close(zo, zn)
        close(tuple(o_s), tuple(n_s))

    current = torch.tensor([0.5, 1.5, 3.0], dtype=torch.float64)
    for fam, norse_name, ours_fn, cls in (("lif", "lif_current_encoder", F.lif_current_encoder, "LIFParameters"),
                                          ("lif_ex", "lif_ex_current_encoder", F.lif_ex_current_encoder, "LIFExParameters")):
        vn = vo = torch.zeros(3, dtype=torch.float64)
        pn_, po_ = norse_params(fam, cls), getattr(ours, cls)()
        for _ in range(STEPS):
            zn, vn = norse_fn(fam, norse_name)(current, vn, pn_, 0.001)
            zo, vo = ours_fn(current, vo, po_, 0.001)
            close((zo, vo), (zn, vn))
    pn_, po_ = norse_params("lif_adex", "LIFAdExParameters"), ours.LIFAdExParameters()
    zero = torch.zeros(3, dtype=torch.float64)
    zn, vn, an = norse_fn("lif_adex", "lif_adex_current_encoder")(current, zero, zero + 0.1, pn_, 0.001)
    zo, vo, ao = F.lif_adex_current_encoder(current, zero, zero + 0.1, po_, 0.001)
    close((zo, vo), (zn, vn))
    assert not torch.allclose(ao, an)             # Norse's adaptation update lacks dt (docs/norse.md)

    x = inputs(3)
    state = norse_fn("lif", "LIFFeedForwardState")(torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    zn, sn = norse_fn("lif", "lif_feed_forward_integral")(x, state, pn, 0.001)
    zo, so = F.lif_feed_forward_integral(x, ours.LIFFeedForwardState(*state), po, 0.001)
    close((zo, *so), (zn, *sn))


@pytest.mark.parametrize(
    "name, alpha",
    [("heavi_erfc_fn", 2.0), ("heavi_tanh_fn", 2.0), ("heavi_circ_fn", 2.0), ("triangle_fn", 0.3), ("super_fn", 1.0)],
)
def test_surrogate_functions_equal_norse(name, alpha):
    """Forward and gradient of Norse's surrogate functions (``super_fn`` at α = 1, where Norse
    1.1.0's α-blind SuperSpike and spikeplug's α-aware one coincide)."""
    module = {"super_fn": "superspike"}.get(name, "threshold")
    x = torch.linspace(-1.5, 1.5, 31, dtype=torch.float64)
    xn, xo = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    on, oo = norse_fn(module, name)(xn, alpha), getattr(F, name)(xo, alpha)
    close(oo, on)
    on.sum().backward()
    oo.sum().backward()
    close(xo.grad, xn.grad)


def test_super_fn_differs_from_norse_110_by_alpha():
    """The one numeric difference: Norse 1.1.0's SuperSpike ignores α (1/(|x|+1)²), spikeplug
    uses it (1/(α|x|+1)², Norse after PR #403)."""
    x = torch.tensor([0.1], dtype=torch.float64)
    xn, xo = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    norse_fn("superspike", "super_fn")(xn, 100.0).sum().backward()
    F.super_fn(xo, 100.0).sum().backward()
    assert xn.grad.item() == pytest.approx(1 / 1.1**2) and xo.grad.item() == pytest.approx(1 / 11**2)


def test_threshold_sign_heaviside_and_stochastic_equal_norse():
    """``threshold``, ``sign``, ``heaviside``; ``logistic_fn``/``circ_dist_fn`` draw the same
    spikes from the same generator state and pass the same gradients."""
    x = torch.linspace(-1.0, 1.0, 21, dtype=torch.float64)
    for method in ("heaviside", "triangle", "tanh", "circ", "heavi_erfc"):
        close(F.threshold(x, method, 2.0), norse_fn("threshold", "threshold")(x, method, 2.0))
        close(F.sign(x, method, 2.0), norse_fn("threshold", "sign")(x, method, 2.0))
    close(F.heaviside(x), norse_fn("heaviside", "heaviside")(x))
    for name in ("logistic_fn", "circ_dist_fn"):
        xn, xo = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        torch.manual_seed(7)
        on = norse_fn("threshold", name)(xn, 2.0)
        torch.manual_seed(7)
        oo = getattr(F, name)(xo, 2.0)
        close(oo, on)
        on.sum().backward()
        oo.sum().backward()
        close(xo.grad, xn.grad)


def test_lift_resets_and_recurrent_sequential_equal_norse():
    """``lift``, the two resets and ``RecurrentSequential`` compute what Norse's do."""
    x = inputs(3)
    pn, po = norse_params("lif", "LIFParameters"), ours.LIFParameters()
    zero = torch.zeros(3, dtype=torch.float64)
    n_start = norse_fn("lif", "LIFFeedForwardState")(zero, zero)
    n = norse_fn("lift", "lift")(norse_fn("lif", "lif_feed_forward_step"), pn)(x, state=n_start)
    o = F.lift(F.lif_feed_forward_step, po)(x, state=ours.LIFFeedForwardState(zero, zero))
    close((n[0], *n[1]), (o[0], *o[1]))
    z, v = torch.tensor([0.0, 1.0, 1.0]), torch.tensor([0.3, 1.2, 2.5])
    for name in ("reset_value", "reset_subtract"):
        close(getattr(F, name)(z, v, -0.5, 1.0), norse_fn("reset", name)(z, v, torch.tensor(-0.5), torch.tensor(1.0)))
    from norse.torch.module.sequential import RecurrentSequential as NRS

    lin = torch.nn.Linear(2, 2, bias=False).double()
    data = inputs(2)[0]
    close(ours.RecurrentSequential(lin)(*ours.RecurrentSequential(lin)(data))[0], NRS(lin)(*NRS(lin)(data))[0])


@pytest.mark.parametrize("name, size", [("LIFCell", None), ("LIF", None), ("LICell", None), ("LIFExCell", None),
                                         ("LSNNCell", None), ("IAFCell", None), ("LIFBoxCell", None)])
def test_modules_equal_norse(name, size):
    """Norse-named modules with default parameters give Norse's outputs and final states (float32
    inputs: both start from their default states)."""
    x = inputs(4, 3).float()
    n_mod, o_mod = getattr(norse_torch, name)(), getattr(ours, name)()
    if name.endswith("Cell"):
        sn = so = None
        for x_t in x.unbind(0):
            on, sn = n_mod(x_t, sn)
            oo, so = o_mod(x_t, so)
            close(oo.detach(), on.detach())
    else:
        on, sn = n_mod(x)
        oo, so = o_mod(x)
        close(oo.detach(), on.detach())
    close(tuple(t.detach() for t in so), tuple(torch.as_tensor(t).detach().expand_as(u) for t, u in zip(sn, so)))


def test_positional_parameters_equal_norse():
    """Building parameters by position gives Norse's field values for every family."""
    for module, cls in (("lif", "LIFParameters"), ("lif_ex", "LIFExParameters"), ("lif_adex", "LIFAdExParameters"),
                        ("lsnn", "LSNNParameters"), ("coba_lif", "CobaLIFParameters"), ("iaf", "IAFParameters"),
                        ("leaky_integrator", "LIParameters"), ("lif_box", "LIFBoxParameters")):
        n = len(norse_fn(module, cls)._fields) - (3 if module != "leaky_integrator" else 0)
        values = [0.5 + k for k in range(n)]
        np_, op = norse_fn(module, cls)(*values), getattr(ours, cls)(*values)
        for field, value in zip(np_._fields, values):
            assert float(getattr(op, field)) == value == float(getattr(np_, field)), (cls, field)
