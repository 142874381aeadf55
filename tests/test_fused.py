"""Fused multi-step kernels (spikeplug.fused): equality with the eager loop, backend
selection, the numba fallback, torch.compile, and the equality checker itself."""

from __future__ import annotations

import subprocess
import sys
import threading
import types

import attrs
import pytest
import torch

import spikeplug
from spikeplug import BackendError, ParameterError, StateError, fused
from spikeplug.fused import AffineCoefficients, affine_kernel
from spikeplug.neurons_builtin.iaf import IAF
from spikeplug.neurons_builtin.li import LI
from spikeplug.neurons_builtin.lif import LIF, LIFFeedForwardState
from spikeplug.neurons_builtin.lif.fused import lif_coefficients
from spikeplug.neurons_builtin.lif.model import MODEL as LIF_MODEL
from spikeplug.neurons_builtin.lif_box import LIFBox
from spikeplug.plugins import get_registry
from spikeplug.plugins.fused_check import FusedCheckError, check_fused_matches_eager
from spikeplug.surrogates import Surrogate

from conftest import assert_close

KERNEL = "numba-cpu"


# ------------------------------------------------------------------ equality with eager


@pytest.mark.parametrize(
    "name,overrides,cases",
    [
        ("lif", {}, 48),
        ("li", {}, 6),
        ("lif_box", {}, 48),
        ("lif_box", {"reset_method": "subtract"}, 48),
        ("iaf", {}, 48),
    ],
)
def test_fused_kernel_equals_eager_for_every_method_dtype_and_parameter_kind(name, overrides, cases):
    """For each family with a fused kernel, float32 and float64, all six surrogate methods,
    floats / learnable scalar / learnable per-neuron parameters and detach_reset: spikes
    identical, states within 1e-5, gradients (input, initial state, parameters) within 1e-4."""
    report = check_fused_matches_eager(name, overrides=overrides)
    assert report.not_applicable == ()
    assert report.kernels == (KERNEL,)
    assert len(report.compared) == cases
    expected = f"fused ({KERNEL}) equals eager in outputs, state and gradients"
    assert all(line.endswith(expected) for line in report.compared)


def test_fused_forward_is_bit_identical_on_a_long_sequence():
    """Over 300 steps of 4×64 neurons, spikes and final state of the fused LIF equal the
    eager loop exactly (the kernel repeats the eager step's operations in order)."""
    x = torch.rand(300, 4, 64, generator=torch.Generator().manual_seed(1)) * 1.5
    z_e, s_e = LIF(backend="eager")(x)
    z_f, s_f = LIF(backend="fused")(x)
    assert z_e.sum() > 100
    assert torch.equal(z_f, z_e)
    assert torch.equal(s_f.v, s_e.v) and torch.equal(s_f.i, s_e.i)


@pytest.mark.parametrize(
    "layer,case,out_key",
    [(LIF, "A_lif_ff_x1", "z"), (LI, "C_li_ff_x1", "out"), (LIFBox, "D_lifbox_x2", "z"), (IAF, "E_iaf_x03", "z")],
)
def test_fused_layers_reproduce_the_reference_cases(reference, layer, case, out_key):
    """The fused kernels, run on every prefix of the reference input (1..T steps, so T = 1
    too), give Norse's outputs and per-step states."""
    data = reference["forward"][case]
    x_value = {"A_lif_ff_x1": 1.0, "C_li_ff_x1": 1.0, "D_lifbox_x2": 2.0, "E_iaf_x03": 0.3}[case]
    T = len(data["state"])
    module = layer(backend="fused")
    out, _ = module(torch.full((T, 1), x_value))
    assert module.last_backend == KERNEL
    assert_close(out, data[out_key], what=f"{case} outputs")
    for t in range(T):
        _, state = module(torch.full((t + 1, 1), x_value))
        for field, value in data["state"][t].items():
            assert_close(getattr(state, field), value, what=f"{case} {field} at step {t}")


def test_fused_gradient_reproduces_the_reference_gradient(reference):
    """d(Σz)/dI through 10 steps of constant input 1 with SuperSpike α = 100 equals Norse
    main's values on the fused path."""
    x = torch.ones(10, 1, requires_grad=True)
    layer = LIF(backend="fused")
    layer(x)[0].sum().backward()
    assert_close(x.grad[:, 0], reference["grad_head"]["G_lif_ff_x1_super_100.0"], atol=2e-5)


def test_threads_do_not_change_the_result():
    """A sequence large enough to be split between threads gives exactly the one-thread
    result, forward and gradient."""
    x = torch.rand(40, 8, 2048, generator=torch.Generator().manual_seed(2)) * 1.5
    results = []
    before = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            xs = x.clone().requires_grad_(True)
            z, s = LIF(backend="fused")(xs)
            (z.sum() + s.v.sum()).backward()
            results.append((z, s.v, xs.grad))
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*results):
        assert torch.equal(a, b)


def test_empty_batch_runs_fused():
    """A sequence with no neurons (batch 0) gives empty outputs and state, like eager."""
    z, s = LIF(backend="fused")(torch.zeros(5, 0, 3))
    assert z.shape == (5, 0, 3) and s.v.shape == (0, 3)


def test_heaviside_spikes_carry_no_gradient_as_in_eager():
    """With method='heaviside' the fused spikes do not require grad (eager's neither), while
    the final state still does."""
    x = torch.rand(6, 3, requires_grad=True)
    z, s = LIF(method="heaviside", backend="fused")(x)
    assert not z.requires_grad
    assert s.v.requires_grad


NON_FINITE_CASES = [
    ("lif", {}),
    ("lif_box", {}),
    ("lif_box", {"reset_method": "subtract"}),
    ("iaf", {}),
    ("li", {}),
]


def _non_finite_inputs(dtype: torch.dtype) -> torch.Tensor:
    """8 steps of 2×6 neurons, mostly active, with +inf, −inf and NaN at a few steps
    (the last step included, where no later step masks what the reset did)."""
    x = torch.rand(8, 2, 6, generator=torch.Generator().manual_seed(3), dtype=dtype) * 1.5
    inf, nan = float("inf"), float("nan")
    x[1, 0, 0], x[3, 0, 1], x[2, 1, 2] = inf, -inf, nan
    x[5, 1, 3], x[6, 1, 3] = inf, -inf
    x[7, 0, 5], x[7, 1, 5] = inf, -inf
    return x


def _assert_same(found, expected, what, exact=True):
    """Equal values where both are numbers, NaN at the same places (bitwise for forward values)."""
    torch.testing.assert_close(found, expected, equal_nan=True, rtol=0 if exact else 1e-5, atol=0 if exact else 1e-6,
                               msg=lambda m: f"{what}: {m}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name,overrides", NON_FINITE_CASES, ids=["lif", "lif_box", "lif_box-subtract", "iaf", "li"])
def test_fused_equals_eager_on_inf_and_nan_inputs(name, overrides, dtype):
    """With +inf, −inf and NaN in the input, the fused kernel gives exactly the eager loop's
    spikes and final state, NaN for NaN: its reset is eager's arithmetic ((1 − z)·d + z·v_reset
    or d − z·v_th), so at d = +inf it yields NaN and the neuron goes silent as in eager
    (and Norse), instead of resetting to v_reset and spiking on."""
    x = _non_finite_inputs(dtype)
    z_e, s_e = spikeplug.create(name, backend="eager", **overrides)(x)
    fused_layer = spikeplug.create(name, backend="fused", **overrides)
    z_f, s_f = fused_layer(x)
    assert fused_layer.last_backend == KERNEL
    assert s_e.v.isnan().any()                     # the case exercises a non-finite state
    _assert_same(z_f, z_e, "outputs")
    for field in s_e._fields:
        _assert_same(getattr(s_f, field), getattr(s_e, field), f"state.{field}")


@pytest.mark.parametrize(
    "method,use_final_v",
    [("super", False), ("super", True), ("heaviside", True)],   # heaviside spikes carry no gradient: the loss needs v
    ids=["super-spikes", "super-spikes-and-final-v", "heaviside-spikes-and-final-v"],
)
@pytest.mark.parametrize("name,overrides", NON_FINITE_CASES[:4], ids=["lif", "lif_box", "lif_box-subtract", "iaf"])
def test_fused_gradients_equal_eager_on_inf_and_nan_inputs(name, overrides, method, use_final_v):
    """Backward through non-finite inputs: the kernel recomputes each step's reset with the
    forward's arithmetic and, where eager autograd has no gradient at all (an unused final
    state, heaviside spikes), adds none, so gradients of the input and of learnable v_th and
    v_reset are NaN exactly where eager's are and equal elsewhere."""
    x = _non_finite_inputs(torch.float64)
    grads = {}
    for backend in ("eager", "fused"):
        xs = x.clone().requires_grad_(True)
        # only what the step differentiates can be learnable: not v_th under heaviside, not
        # v_reset under reset by subtraction
        p = spikeplug.create(name, method=method, **overrides).p
        unused = spikeplug.parameters_without_gradient(spikeplug.registry.factory(name).model, p, ("v_th", "v_reset"))
        learnable = tuple(n for n in ("v_th", "v_reset") if n not in unused)
        layer = spikeplug.create(name, backend=backend, method=method, learnable=learnable, **overrides)
        z, s = layer(xs)
        weights = torch.rand(z.shape, generator=torch.Generator().manual_seed(1), dtype=z.dtype)
        ((z * weights).sum() + (s.v.sum() if use_final_v else 0.0)).backward()
        grads[backend] = (xs.grad, *(getattr(layer, n).grad if n in learnable else None for n in ("v_th", "v_reset")))
    assert not grads["eager"][0].isnan().all()     # NaN only downstream of the non-finite inputs (super)
    for what, found, expected in zip(("input", "v_th", "v_reset"), grads["fused"], grads["eager"]):
        _assert_same(found, expected, f"gradient of the {what}", exact=False)


# ------------------------------------------------------------------ backend selection


def test_auto_picks_the_fused_kernel_and_says_so():
    """backend='auto' (the default) runs the fused kernel for T >= 2 and reports its name."""
    layer = LIF()
    layer(torch.rand(5, 3))
    assert layer.last_backend == KERNEL


def test_auto_runs_eager_for_a_single_step_but_fused_can_be_forced():
    """For T = 1 (below min_steps = 2) 'auto' runs the eager loop, where the kernel's fixed
    cost per call would not pay off; backend='fused' still runs the kernel."""
    x = torch.rand(1, 3)
    auto, forced = LIF(), LIF(backend="fused")
    z_a, s_a = auto(x)
    z_f, s_f = forced(x)
    assert (auto.last_backend, forced.last_backend) == ("eager", KERNEL)
    assert torch.equal(z_a, z_f) and torch.equal(s_a.v, s_f.v)
    assert LIF_MODEL.fused[0].min_steps == 2


@pytest.mark.parametrize("steps", [2, 3, 4])
def test_auto_uses_the_kernel_for_short_sequences_of_two_or_more_steps(steps):
    """Sequences of 2–4 steps run fused under 'auto' (the kernel is faster there, see
    docs/benchmarks.md) and equal the eager loop."""
    x = torch.rand(steps, 2, 4) * 2
    auto = LIF()
    z, s = auto(x)
    z_e, s_e = LIF(backend="eager")(x)
    assert auto.last_backend == KERNEL
    assert torch.equal(z, z_e) and torch.equal(s.v, s_e.v)


def test_context_manager_chooses_for_auto_layers_only():
    """Inside spikeplug.backend('eager') an 'auto' layer runs eager; a layer that asked for
    'fused' keeps it; outside the block 'auto' is fused again."""
    x = torch.rand(4, 3)
    auto, forced = LIF(), LIF(backend="fused")
    with spikeplug.backend("eager"):
        auto(x)
        forced(x)
    assert (auto.last_backend, forced.last_backend) == ("eager", KERNEL)
    auto(x)
    assert auto.last_backend == KERNEL


def test_backend_block_belongs_to_its_thread_and_nests():
    """A spikeplug.backend block chooses for its own thread only (another thread's 'auto'
    layer stays fused), an inner block wins over an outer one, and leaving a block (also by
    an exception) restores the outer choice."""
    x = torch.rand(4, 3)
    seen = {}

    def other_thread():
        layer = LIF()
        layer(x)
        seen["other"] = layer.last_backend

    layer = LIF()
    with spikeplug.backend("eager"):
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        with pytest.raises(ZeroDivisionError), spikeplug.backend("fused"):
            layer(x)
            seen["inner"] = layer.last_backend
            1 / 0
        layer(x)
        seen["outer"] = layer.last_backend
    layer(x)
    seen["after"] = layer.last_backend
    assert seen == {"other": KERNEL, "inner": KERNEL, "outer": "eager", "after": KERNEL}


def test_record_states_falls_back_to_eager_and_fused_refuses_it():
    """record_states=True needs every step's state: 'auto' runs eager, 'fused' raises a
    BackendError that says why and what to use instead."""
    layer = LIF(record_states=True)
    layer(torch.rand(4, 3))
    assert layer.last_backend == "eager"
    with pytest.raises(BackendError, match=r"backend='fused' cannot run 'lif' here: record_states=True needs every "
                       r"step's state.*Use backend='auto' or 'eager'"):
        LIF(record_states=True, backend="fused")(torch.rand(4, 3))


def test_float16_input_runs_eager_under_auto_and_fused_names_the_dtype():
    """The kernel runs float32 and float64 only: float16 input falls back under 'auto'; under
    'fused' the error names the kernel and the dtype."""
    x = torch.rand(4, 3, dtype=torch.float64).to(torch.bfloat16)
    layer = LIF()
    layer(x)
    assert layer.last_backend == "eager"
    with pytest.raises(BackendError, match=r"numba-cpu: runs float32 and float64 only, got torch.bfloat16"):
        LIF(backend="fused")(x)


def test_meta_device_falls_back_to_eager():
    """Tensors without data (meta device) cannot run a CPU kernel: 'auto' runs eager."""
    layer = LIF().to("meta")
    z, _ = layer(torch.empty(4, 3, device="meta"))
    assert layer.last_backend == "eager" and z.device.type == "meta"
    with pytest.raises(BackendError, match=r"runs on the CPU only, got meta tensors"):
        LIF(backend="fused").to("meta")(torch.empty(4, 3, device="meta"))


@pytest.mark.parametrize("backend", ["auto", "eager", "fused"])
def test_per_neuron_parameter_of_another_dtype_is_refused_on_every_backend(backend):
    """A per-neuron float64 v_th with float32 input would promote the eager step (outputs and
    state) to float64 and is refused by every backend with the parameter and both dtypes,
    instead of running one backend in float64 and another in float32."""
    layer = LIF(v_th=torch.full((3,), 0.5, dtype=torch.float64), backend=backend)
    with pytest.raises(ParameterError, match=r"LIFParameters.v_th is a per-neuron torch.float64 tensor but the "
                       r"input is torch.float32"):
        layer(torch.rand(4, 3))
    out, state = layer.double()(torch.rand(4, 3, dtype=torch.float64))
    assert out.dtype == state.v.dtype == torch.float64


@pytest.mark.parametrize("backend", ["auto", "eager", "fused"])
def test_state_of_another_dtype_is_refused_on_every_backend(backend):
    """A given float64 state for float32 input (eager would promote the outputs) is refused
    with the state field and both dtypes, whichever backend runs."""
    state = LIFFeedForwardState(torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))
    with pytest.raises(StateError, match=r"state.v is torch.float64 but the input computes in torch.float32"):
        LIF(backend=backend)(torch.rand(4, 3), state)


def sigmoid_derivative(x, alpha):
    """A plugin-style surrogate: derivative of sigmoid(α·x) without the factor α."""
    s = torch.sigmoid(alpha * x)
    return s * (1 - s)


def test_plugin_surrogate_falls_back_to_eager():
    """A surrogate method from a plugin is unknown to the kernel: 'auto' runs eager and the
    fused error names the method."""
    registry = get_registry()
    registry.register(Surrogate("my_super_fused_test", sigmoid_derivative, "sigmoid"))
    try:
        layer = LIF(method="my_super_fused_test")
        layer(torch.rand(4, 3))
        assert layer.last_backend == "eager"
        with pytest.raises(BackendError, match=r"knows the six builtin surrogate methods, not the plugin method "
                           r"'my_super_fused_test'"):
            LIF(method="my_super_fused_test", backend="fused")(torch.rand(4, 3))
    finally:
        registry.unregister("my_super_fused_test")


def test_unknown_backend_name_is_refused():
    """backend= must be one of auto/eager/fused/generated; the error lists them and the value."""
    with pytest.raises(ParameterError, match=r"backend must be one of 'auto', 'eager', 'fused', 'generated', got 'numba'"):
        LIF(backend="numba")


def test_models_without_kernels_run_eager_and_refuse_fused():
    """A family without a hand-described kernel (LIF-Ex) runs eager under 'auto' for a short
    sequence (below the generated kernel's min_steps); 'fused' raises naming what is missing."""
    layer = spikeplug.create("lif_ex")
    layer(torch.rand(3, 2))
    assert layer.last_backend == "eager"
    with pytest.raises(BackendError, match=r"model 'lif_ex' has no hand-described fused kernel"):
        spikeplug.create("lif_ex", backend="fused")(torch.rand(3, 2))


# ------------------------------------------------------------------ numba is optional


@pytest.fixture
def without_numba(monkeypatch):
    """numba made unimportable, and spikeplug.fused's memory of it forgotten."""
    monkeypatch.setitem(sys.modules, "numba", None)
    monkeypatch.delitem(sys.modules, "spikeplug.fused_numba", raising=False)
    monkeypatch.setattr(fused, "_kernels", None)
    monkeypatch.setattr(fused, "_kernels_error", None)


def test_without_numba_auto_runs_eager_and_fused_says_how_to_install(without_numba):
    """When numba is missing, 'auto' runs the eager loop; 'fused' raises with the reason and
    the install command."""
    layer = LIF()
    layer(torch.rand(4, 3))
    assert layer.last_backend == "eager"
    with pytest.raises(BackendError, match=r"numba-cpu: numba is not installed; install it with pip install "
                       r"'spikeplug\[fast\]'"):
        LIF(backend="fused")(torch.rand(4, 3))


def test_a_broken_numba_is_reported_with_its_error(monkeypatch):
    """numba present but failing (here: a stand-in whose njit raises) is not called "not
    installed": the reason quotes the error; 'auto' still runs eager."""
    broken = types.ModuleType("numba")

    def njit(*args, **kwargs):
        raise RuntimeError("LLVM went away")

    broken.njit = njit
    monkeypatch.setitem(sys.modules, "numba", broken)
    monkeypatch.delitem(sys.modules, "spikeplug.fused_numba", raising=False)
    monkeypatch.setattr(fused, "_kernels", None)
    monkeypatch.setattr(fused, "_kernels_error", None)
    layer = LIF()
    layer(torch.rand(4, 3))
    assert layer.last_backend == "eager"
    with pytest.raises(BackendError, match=r"numba failed to import \(RuntimeError: LLVM went away\); install it"):
        LIF(backend="fused")(torch.rand(4, 3))


def test_without_numba_the_checker_reports_not_applicable(without_numba):
    """The equality checker reports a model not applicable (not failed) where no kernel runs."""
    report = check_fused_matches_eager("iaf", dtypes=(torch.float32,), methods=("super",))
    assert report.compared == ()
    assert "numba is not installed" in report.not_applicable[0]


def test_import_spikeplug_does_not_import_numba_or_the_kernels():
    """import spikeplug (and building a LIF layer) imports neither numba nor the kernel
    module; the first fused forward does."""
    code = (
        "import sys, torch, spikeplug\n"
        "from spikeplug.neurons_builtin.lif import LIF\n"
        "layer = LIF()\n"
        "print('numba' in sys.modules, 'spikeplug.fused_numba' in sys.modules)\n"
        "layer(torch.rand(3, 2))\n"
        "print('numba' in sys.modules, layer.last_backend)\n"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True", KERNEL]


# ------------------------------------------------------------------ torch.compile


def test_compiled_layer_sees_one_custom_op_and_matches_eager():
    """torch.compile traces the fused layer to a graph holding the spikeplug.affine_forward
    custom op (one node for the whole sequence); forward and gradients equal eager."""
    graphs = []

    def capture(gm, example_inputs):  # a backend that records the graph and runs it as is
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    x = torch.rand(12, 2, 3) * 2
    xs, xe = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    layer = LIF(backend="fused")
    z, s = torch.compile(layer, backend=capture)(xs)
    (z.sum() + s.v.sum()).backward()
    z_e, s_e = LIF(backend="eager")(xe)
    (z_e.sum() + s_e.v.sum()).backward()
    targets = [str(n.target) for g in graphs for n in g.graph.nodes if n.op == "call_function"]
    assert targets.count("spikeplug.affine_forward") == 1
    assert torch.equal(z, z_e)
    assert_close(xs.grad, xe.grad, atol=1e-6)
    torch._dynamo.reset()


def test_compiled_layer_runs_through_aot_autograd():
    """With AOTAutograd (backend='aot_eager', which traces forward and backward through the
    ops' fake implementations) the compiled fused layer trains and matches eager."""
    torch._dynamo.reset()
    x = torch.rand(12, 2, 3) * 2
    xs, xe = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    z, _ = torch.compile(LIF(backend="fused"), backend="aot_eager")(xs)
    z.sum().backward()
    z_e, _ = LIF(backend="eager")(xe)
    z_e.sum().backward()
    assert torch.equal(z, z_e)
    assert_close(xs.grad, xe.grad, atol=1e-6)
    torch._dynamo.reset()


def _grads_of_a_run(layer, x):
    """Outputs, final state and the gradients of input and initial state of one
    forward/backward (the loss weighs every spike differently and adds the final state)."""
    xs = x.clone().requires_grad_(True)
    S = x.shape[1:]
    state = LIFFeedForwardState(torch.full(S, 0.3, requires_grad=True), torch.zeros(S, requires_grad=True))
    z, s = layer(xs, state)
    weights = torch.arange(z.numel(), dtype=z.dtype).reshape(z.shape)
    ((z * weights).sum() + s.v.sum() + s.i.sum()).backward()
    return z, s, xs.grad, state.v.grad, state.i.grad


def test_default_layer_compiles_with_fullgraph_and_matches_eager():
    """torch.compile(spikeplug.create("lif"), fullgraph=True) with the default inductor
    compiler traces without a graph break, takes the fused kernel as 'auto' does uncompiled,
    and gives the eager loop's spikes and state exactly and its gradients (input, initial
    state) to rounding."""
    torch._dynamo.reset()
    x = torch.rand(5, 2, 3, generator=torch.Generator().manual_seed(4)) * 2
    layer = spikeplug.create("lif")
    z, s, g_x, g_v, g_i = _grads_of_a_run(torch.compile(layer, fullgraph=True), x)
    z_e, s_e, g_x_e, g_v_e, g_i_e = _grads_of_a_run(spikeplug.create("lif", backend="eager"), x)
    assert layer.last_backend == KERNEL
    assert z_e.sum() > 0
    assert torch.equal(z, z_e) and torch.equal(s.v, s_e.v) and torch.equal(s.i, s_e.i)
    for found, expected in ((g_x, g_x_e), (g_v, g_v_e), (g_i, g_i_e)):
        torch.testing.assert_close(found, expected, rtol=1e-5, atol=1e-6)
    torch._dynamo.reset()


def test_fused_layer_compiles_to_one_op_per_direction():
    """With backend='fused' and fullgraph=True, AOTAutograd's forward graph holds exactly one
    spikeplug.affine_forward and its backward graph one spikeplug.affine_backward (the
    time loop is not unrolled), and the compiled layer equals the eager loop."""
    from torch._dynamo.backends.common import aot_autograd
    from torch._functorch.aot_autograd import make_boxed_func

    graphs = {"forward": [], "backward": []}

    def keeper(direction):
        def compiler(gm, example_inputs):
            graphs[direction].append(gm)
            return make_boxed_func(gm.forward)
        return compiler

    torch._dynamo.reset()
    x = torch.rand(5, 2, 3, generator=torch.Generator().manual_seed(5)) * 2
    layer = spikeplug.create("lif", backend="fused")
    compiled = torch.compile(layer, fullgraph=True, backend=aot_autograd(fw_compiler=keeper("forward"),
                                                                          bw_compiler=keeper("backward")))
    z, s, g_x, g_v, g_i = _grads_of_a_run(compiled, x)
    z_e, s_e, g_x_e, g_v_e, g_i_e = _grads_of_a_run(spikeplug.create("lif", backend="eager"), x)

    def ops(direction):
        return [str(n.target) for g in graphs[direction] for n in g.graph.nodes if n.op == "call_function"]

    assert [t for t in ops("forward") if t.startswith("spikeplug.")] == ["spikeplug.affine_forward.default"]
    assert [t for t in ops("backward") if t.startswith("spikeplug.")] == ["spikeplug.affine_backward.default"]
    assert not any("unbind" in t or "stack" in t for t in ops("forward"))
    assert torch.equal(z, z_e) and torch.equal(s.v, s_e.v) and torch.equal(s.i, s_e.i)
    for found, expected in ((g_x, g_x_e), (g_v, g_v_e), (g_i, g_i_e)):
        torch.testing.assert_close(found, expected, rtol=1e-5, atol=1e-6)
    torch._dynamo.reset()


def test_backend_block_applies_inside_a_compiled_layer():
    """A compiled 'auto' layer follows spikeplug.backend blocks like an uncompiled one: the
    compiled code guards on the thread's choice, so inside an 'eager' block it traces and
    runs the eager loop (fullgraph) and outside it runs the fused kernel again."""
    torch._dynamo.reset()
    x = torch.rand(4, 2, 3, generator=torch.Generator().manual_seed(6)) * 2
    layer = LIF()
    compiled = torch.compile(layer, fullgraph=True, backend="eager")   # dynamo only: cheap
    seen = []
    z_f, _ = compiled(x)
    seen.append(layer.last_backend)
    with spikeplug.backend("eager"):
        z_e, s_e = compiled(x)
        seen.append(layer.last_backend)
    compiled(x)
    seen.append(layer.last_backend)
    assert seen == [KERNEL, "eager", KERNEL]
    assert torch.equal(z_f, z_e)
    assert torch.equal(s_e.v, LIF(backend="eager")(x)[1].v)
    torch._dynamo.reset()


def test_compiled_layer_without_numba_traces_the_eager_loop():
    """Where numba is not installed, torch.compile(fullgraph=True) of an 'auto' layer traces
    the eager loop (the kernel's absence is known without an import dynamo cannot trace) and
    matches the uncompiled layer."""
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import torch, spikeplug\n"
        "x = torch.rand(3, 2) * 2\n"
        "layer = spikeplug.create('lif')\n"
        "z, s = torch.compile(layer, fullgraph=True, backend='eager')(x)\n"
        "z_e, s_e = spikeplug.create('lif', backend='eager')(x)\n"
        "print(layer.last_backend, torch.equal(z, z_e) and torch.equal(s.v, s_e.v))\n"
    )
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["eager", "True"]


# ------------------------------------------------------------------ the checker catches errors


def _modules_with(kernel, name):
    model = attrs.evolve(LIF_MODEL, name=name, fused=(kernel,))
    return spikeplug.build_modules(model, "Broken", __name__)


def test_checker_reports_different_spikes():
    """A kernel whose threshold is off by 0.1 is caught: the error names model, kernel,
    dtype, method and case, and says the spikes differ."""

    def shifted(p):
        return lif_coefficients(p)._replace(v_th=p.v_th + 0.1)

    modules = _modules_with(affine_kernel(shifted, synaptic=True), "lif_shifted")
    with pytest.raises(FusedCheckError, match=r"lif_shifted float32 method='heaviside', floats: fused kernel "
                       r"'numba-cpu' vs eager: spikes differ in \d+ of \d+ places"):
        check_fused_matches_eager(modules)


def test_checker_reports_a_wrong_gradient():
    """A kernel with the right values but half the gradient through the spikes is caught
    (first on the gradient of the initial current)."""
    real = LIF_MODEL.fused[0]

    def half_gradient(x, state, p, *, detach_reset=False):
        out, s = real.run(x, state, p, detach_reset=detach_reset)
        return out.detach() + 0.5 * (out - out.detach()), s

    modules = _modules_with(spikeplug.FusedKernel("half", half_gradient, real.supports), "lif_half")
    with pytest.raises(FusedCheckError, match=r"method='super', floats: fused kernel 'half' vs eager: gradient of "
                       r"the initial state.i differs by .*, more than 0.0001 × its largest magnitude"):
        check_fused_matches_eager(modules)


def test_checker_reports_a_missing_parameter_gradient():
    """A kernel that passes no gradient to the time constants (nor dt) is caught."""

    def frozen(p):
        c = lif_coefficients(p)
        a, b = (v.detach() if isinstance(v, torch.Tensor) else v for v in (c.a, c.b))
        return c._replace(a=a, b=b)

    modules = _modules_with(affine_kernel(frozen, synaptic=True), "lif_frozen")
    with pytest.raises(FusedCheckError, match=r"learnable scalars: .*the gradient of the parameter dt is "
                       r"missing in the fused run but present in the eager run"):
        check_fused_matches_eager(modules, methods=("super",))


def test_checker_says_not_applicable_for_models_without_kernels():
    """Models without fused kernels are not applicable, not failures."""
    report = check_fused_matches_eager("lsnn")
    assert report.not_applicable == ("'lsnn' has no fused kernel",)


def test_checker_refuses_unknown_parameter_cases():
    """parameter_cases must name known cases; the error lists them."""
    with pytest.raises(ValueError, match=r"parameter_cases must be among .*'floats'.*got \['ints'\]"):
        check_fused_matches_eager("lif", parameter_cases=("ints",))


def test_coefficients_of_a_family_are_its_step_arithmetic():
    """The LIF coefficients are a = dt·tau_mem_inv and b = dt·tau_syn_inv, as the step computes them."""
    p = LIF_MODEL.parameters(tau_mem_inv=50.0, tau_syn_inv=400.0, dt=0.002)
    c = lif_coefficients(p)
    assert isinstance(c, AffineCoefficients)
    assert (c.a, c.b, c.v_th, c.reset, c.method) == (0.002 * 50.0, 0.002 * 400.0, 1.0, "value", "super")
