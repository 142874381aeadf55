"""The generated backend of the recurrent form (issue 9): one autograd node for the sequence.

``NeuronRecurrent`` projects every step's input in one product and runs the recurrent
product ``z_{t-1}·W_recᵀ`` around one step of the model's generated kernel per time step
(:class:`spikeplug.generated._Recurrent`). These tests protect that it computes what the
eager loop of ``recurrent_step`` computes (spikes, states, and the gradients of the input,
the initial state, both weight matrices and learnable parameters) for several families,
including the example plugin's ``qif``, and that the selection rules, fallbacks and errors
follow the layer form's. Shapes stay small: each model and dtype compiles kernels once.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import pytest
import torch

import spikeplug
from spikeplug import BackendError
from spikeplug import generated
from spikeplug.generated import MIN_STEPS, MIN_WORK, NAME, BackendWarning, _structure, check_generated, generated_kernel

numba = pytest.importorskip("numba", reason="the generated backend compiles with numba (the 'fast' extra)")

INPUT, HIDDEN = 3, 6

#: model -> (input scale that makes it spike now and then, overrides, learnable parameter)
CASES = {
    "lif": (10.0, {}, ("tau_mem_inv",)),
    # per-neuron thresholds enter the kernel as per-neuron tensors; beta is a learnable 0-dim one
    "lsnn": (10.0, {"v_th": torch.linspace(0.8, 1.2, HIDDEN)}, ("beta",)),
    "qif": (300.0, {}, ("k",)),            # the example plugin's model: no kernel code of its own
}


def _tolerances(dtype: torch.dtype) -> tuple[float, float]:
    """(states, gradients): relative to the largest value of each tensor. float32 states get
    1e-6 of their scale: the one input product rounds in another order than eager's per-step
    products (about one unit in the last place); float64 leaves room for nothing but that."""
    return (1e-6, 1e-4) if dtype == torch.float32 else (1e-12, 1e-9)


def _assert_close(found: torch.Tensor, expected: torch.Tensor, tol: float, what: str) -> None:
    scale = expected.abs().max().item()
    torch.testing.assert_close(found, expected, rtol=tol, atol=tol * scale + 1e-30, msg=lambda m: f"{what}: {m}")


def _run(name: str, backend: str, dtype: torch.dtype, x: torch.Tensor) -> dict:
    """Forward + backward of a weighted sum of spikes and final state from a random initial
    state that requires grad; the module's values and every gradient."""
    scale, overrides, learnable = CASES[name]
    torch.manual_seed(0)                                         # the same weights for every backend
    layer = spikeplug.create(name, form="recurrent", input_size=INPUT, hidden_size=HIDDEN, backend=backend,
                             learnable=learnable, **overrides).to(dtype)
    gen = torch.Generator().manual_seed(3)
    xs = x.clone().requires_grad_(True)
    s0 = layer.initial_state(xs)
    fields = [(torch.rand(t.shape, generator=gen, dtype=torch.float64) < 0.3).to(dtype) if k == 0 else
              t + 0.5 * torch.rand(t.shape, generator=gen, dtype=torch.float64).to(dtype) for k, t in enumerate(s0)]
    s0 = type(s0)(*(t.detach().clone().requires_grad_(True) for t in fields))
    z, state = layer(xs, s0)
    cot = [torch.rand(t.shape, generator=gen, dtype=torch.float64).to(dtype) for t in (z, *state)]
    loss = (z * cot[0]).sum() + sum((t * c).sum() for t, c in zip(state, cot[1:]))
    loss.backward()
    grads = {"input": xs.grad, "input weights": layer.input_weights.grad,
             "recurrent weights": layer.recurrent_weights.grad,
             f"parameter {learnable[0]}": getattr(layer, learnable[0]).grad}
    grads.update({f"initial state.{f}": t.grad for f, t in zip(s0._fields, s0)})
    return {"z": z.detach(), "state": state, "grads": grads, "backend": layer.last_backend,
            "reason": layer.last_backend_reason}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_generated_recurrent_path_equals_the_eager_recurrent_loop(name, dtype):
    """Spikes identical; final states and the gradients of the input, every initial state
    field (spikes included), W_in, W_rec and a learnable parameter equal the eager loop's
    (float32 and float64). The generated path must really have run (``last_backend``)."""
    scale = CASES[name][0]
    x = scale * torch.rand(12, 4, INPUT, generator=torch.Generator().manual_seed(5), dtype=torch.float64).to(dtype)
    gen, eager = _run(name, "generated", dtype, x), _run(name, "eager", dtype, x)
    assert gen["backend"] == NAME, gen["reason"]
    assert eager["backend"] == "eager"
    spikes = int(eager["z"].sum())
    assert 0 < spikes < eager["z"].numel(), f"{name}: {spikes} spikes: the inputs do not exercise the reset"
    assert torch.equal(gen["z"], eager["z"])
    state_tol, grad_tol = _tolerances(dtype)
    for field, found, expected in zip(eager["state"]._fields, gen["state"], eager["state"]):
        _assert_close(found.detach(), expected.detach(), state_tol, f"final state.{field}")
    for what, expected in eager["grads"].items():
        found = gen["grads"][what]
        assert expected is not None and found is not None, what
        assert expected.abs().sum() > 0, f"{what}: eager gives a zero gradient, the comparison would prove nothing"
        _assert_close(found, expected, grad_tol, f"gradient of the {what}")


def test_multiple_batch_dimensions_and_no_batch_dimension():
    """Inputs ``(T, input_size)`` and ``(T, B1, B2, input_size)`` give the eager loop's spikes,
    state shapes and input gradients (the batch dimensions are flattened inside)."""
    for shape in ((7, INPUT), (7, 2, 3, INPUT)):
        x = 10.0 * torch.rand(shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
        results = {}
        for backend in ("generated", "eager"):
            torch.manual_seed(1)
            layer = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN,
                                     backend=backend).double()
            xs = x.clone().requires_grad_(True)
            z, state = layer(xs)
            (z.sum() + state.v.sum()).backward()
            results[backend] = (z, state, xs.grad, layer.last_backend)
        (z_g, s_g, g_g, kind), (z_e, s_e, g_e, _) = results["generated"], results["eager"]
        assert kind == NAME and z_g.shape == (*shape[:-1], HIDDEN)
        assert torch.equal(z_g, z_e) and z_e.any()
        assert all(a.shape == b.shape for a, b in zip(s_g, s_e))
        torch.testing.assert_close(s_g, s_e, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(g_g, g_e, rtol=1e-9, atol=1e-12)


def test_autapse_mask_keeps_the_diagonal_gradient_zero():
    """The generated path receives the masked ``W_rec``: the diagonal of the recurrent
    weights gets zero gradient, as in eager (autograd carries the mask)."""
    x = 10.0 * torch.rand(8, 2, INPUT, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    layer = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN,
                             backend="generated").double()
    z, _ = layer(x)
    z.sum().backward()
    assert layer.last_backend == NAME
    g = layer.recurrent_weights.grad
    assert g.abs().sum() > 0 and torch.equal(g.diagonal(), torch.zeros(HIDDEN, dtype=torch.float64))


def test_inference_mode_runs_generated_and_matches_eager():
    """Under ``torch.inference_mode`` the generated path runs without saving anything and
    gives the eager loop's spikes and states."""
    x = 10.0 * torch.rand(9, 2, INPUT, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    outs = {}
    for backend in ("generated", "eager"):
        torch.manual_seed(2)
        layer = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN,
                                 backend=backend).double()
        with torch.inference_mode():
            outs[backend] = (*layer(x), layer.last_backend)
    assert outs["generated"][2] == NAME
    assert torch.equal(outs["generated"][0], outs["eager"][0])
    torch.testing.assert_close(outs["generated"][1], outs["eager"][1], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- selection, fallbacks, errors


def test_auto_thresholds_apply_to_the_recurrent_form():
    """``auto`` runs eager below ``MIN_STEPS`` steps and below ``MIN_WORK`` neuron-steps
    (saying why), and keeps doing so once ``"generated"`` has compiled the kernels: the
    recurrent path rounds differently from eager in the last bit, so ``auto``'s choice must
    depend on the size alone. At ``MIN_WORK`` neuron-steps ``auto`` takes it."""
    make = lambda backend: spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN,  # noqa: E731
                                            backend=backend)
    layer = make("auto")
    layer(torch.rand(MIN_STEPS - 1, 2, INPUT))
    assert layer.last_backend == "eager" and "min_steps" in layer.last_backend_reason
    forced = make("generated")
    forced(torch.rand(MIN_STEPS, 2, INPUT))
    assert forced.last_backend == NAME and forced.last_backend_reason == ""
    layer(torch.rand(MIN_STEPS, 2, INPUT))
    assert layer.last_backend == "eager"
    assert f"{MIN_STEPS}×{2 * HIDDEN} neuron-steps < {MIN_WORK}" in layer.last_backend_reason
    batch = -(-MIN_WORK // (MIN_STEPS * HIDDEN))               # just enough work
    layer(torch.rand(MIN_STEPS, batch, INPUT))
    assert layer.last_backend == NAME, layer.last_backend_reason


def test_backend_block_and_module_choice():
    """``with spikeplug.backend(...)`` applies to recurrent layers left at ``auto``; a
    module's own non-``auto`` choice wins over the block."""
    x = torch.rand(6, 2, INPUT)
    layer = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN)
    with spikeplug.backend("generated"):
        layer(x)
    assert layer.last_backend == NAME
    with spikeplug.backend("eager"):
        layer(x)
    assert layer.last_backend == "eager" and "backend='eager'" in layer.last_backend_reason
    forced = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN, backend="eager")
    with spikeplug.backend("generated"):
        forced(x)
    assert forced.last_backend == "eager"


def test_fused_record_states_and_anomaly_mode_run_eager_or_raise():
    """No model has a hand-described recurrent kernel, so ``"fused"`` raises naming that;
    ``record_states=True`` needs every step's state: ``auto`` runs eager and says so and
    ``"generated"`` raises; under ``detect_anomaly`` the eager loop runs."""
    x = torch.rand(6, 2, INPUT)
    kwargs = {"form": "recurrent", "input_size": INPUT, "hidden_size": HIDDEN}
    with pytest.raises(BackendError, match=r"backend='fused' cannot run 'lif'.*no hand-described fused kernel"):
        spikeplug.create("lif", backend="fused", **kwargs)(x)
    recorded = spikeplug.create("lif", record_states=True, **kwargs)
    _, states = recorded(x)
    assert recorded.last_backend == "eager" and "record_states" in recorded.last_backend_reason
    assert states.v.shape == (6, 2, HIDDEN)
    with pytest.raises(BackendError, match=r"backend='generated' cannot run 'lif'.*record_states=True"):
        spikeplug.create("lif", backend="generated", record_states=True, **kwargs)(x)
    checked = spikeplug.create("lif", backend="generated", **kwargs)
    with spikeplug.detect_anomaly():
        checked(x)
    assert checked.last_backend == "eager" and checked.last_backend_reason == "detect_anomaly() runs the eager loop"


class _VRecurrent(NamedTuple):
    z: torch.Tensor
    v: torch.Tensor


class _V(NamedTuple):
    v: torch.Tensor


def _leaky_step(x, state, p, *, detach_reset=False):
    """An elementwise leaky integrate-and-fire step (the generator translates it)."""
    (v,) = state
    v_n = 0.9 * v + x
    z = spikeplug.threshold(v_n - 1.0, "super", 100.0)
    return z, _V(v_n * (1.0 - z))


def _halved_input(x, z_prev, input_weights, recurrent_weights):
    """A recurrent_input of the model's own: half of linear_input."""
    return 0.5 * spikeplug.linear_input(x, z_prev, input_weights, recurrent_weights)


def test_own_recurrent_input_runs_eager_with_one_warning_or_raises():
    """A model with its own ``recurrent_input`` (here a third-party one; CobaLIF's turns the
    weights into conductances) is not fused: ``auto`` runs eager, warns once naming it, and
    ``"generated"`` raises a BackendError saying the same."""
    model = spikeplug.NeuronModel(name="halved_input", parameters=spikeplug.Parameters, state=_V, step=_leaky_step,
                                  initial_state=spikeplug.RestState(_V), recurrent_state=_VRecurrent,
                                  recurrent_input=_halved_input)
    modules = spikeplug.build_modules(model, "HalvedInput", __name__, forms=("recurrent",))
    x = torch.rand(6, 2, INPUT)
    layer = modules.recurrent(INPUT, HIDDEN)
    with pytest.warns(BackendWarning, match=r"'halved_input' with the eager loop.*recurrent_input "
                                            r"\(_halved_input\) is not linear_input"):
        layer(x)
    assert layer.last_backend == "eager" and "linear_input" in layer.last_backend_reason
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendWarning)
        layer(x)                                                  # said once only
    kwargs = {"form": "recurrent", "input_size": INPUT, "hidden_size": HIDDEN}
    with pytest.raises(BackendError, match=r"backend='generated' cannot run 'coba_lif'.*"
                                           r"\(coba_lif_recurrent_input\) is not linear_input"):
        spikeplug.create("coba_lif", backend="generated", **kwargs)(x)


def test_torch_compile_traces_the_eager_loop():
    """Inside ``torch.compile`` numba is opaque: the recurrent layer gives dynamo its eager
    loop (``backend="generated"`` would raise there), and the compiled module's spikes equal
    the generated path's outside it."""
    x = 10.0 * torch.rand(6, 2, INPUT, generator=torch.Generator().manual_seed(6))
    torch.manual_seed(3)
    layer = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN)
    compiled = torch.compile(layer, backend="eager", fullgraph=False)
    z_c, _ = compiled(x)
    with spikeplug.backend("generated"):
        z_g, _ = layer(x)
    assert layer.last_backend == NAME
    assert torch.equal(z_c, z_g) and z_g.any()


# ---------------------------------------------------------------- the first-use check


def _shape_dependent_step(x, state, p, *, detach_reset=False):
    """Python control flow on the shape: tracing (on one row of neurons) freezes one branch,
    while the recurrent layer's batched state takes the other."""
    (v,) = state
    gain = 2.0 if v.dim() == 1 else 1.0
    v_n = v + gain * x
    z = spikeplug.threshold(v_n - 1.0, "super", 100.0)
    return z, _V(v_n * (1.0 - z))


def test_a_recurrent_path_that_differs_from_eager_is_never_used():
    """The first-use check covers the recurrent path: a step whose traced graph is not what
    eager computes fails it, so ``"generated"`` raises with the divergence and ``auto`` runs
    eager with one warning."""
    model = spikeplug.NeuronModel(name="shape_dependent_rec", parameters=spikeplug.Parameters, state=_V,
                                  step=_shape_dependent_step, initial_state=spikeplug.RestState(_V),
                                  recurrent_state=_VRecurrent)
    modules = spikeplug.build_modules(model, "ShapeDependentRec", __name__, forms=("recurrent",))
    x = torch.rand(6, 2, INPUT, generator=torch.Generator().manual_seed(1))
    with pytest.raises(BackendError, match=r"the recurrent form diverges from eager: (spikes differ|final state)"):
        modules.recurrent(INPUT, HIDDEN, backend="generated")(x)
    layer = modules.recurrent(INPUT, HIDDEN)
    big = torch.rand(MIN_STEPS, -(-MIN_WORK // (MIN_STEPS * HIDDEN)), INPUT)   # enough work for auto to try it
    with pytest.warns(BackendWarning, match=r"the recurrent form diverges from eager"):
        layer(big)
    assert layer.last_backend == "eager" and "diverges" in layer.last_backend_reason


def test_check_generated_catches_a_wrong_recurrent_weight_gradient(monkeypatch):
    """``check_generated(weights=...)`` passes for the real recurrent path and names the
    divergence when the fused backward gets the gradient of ``W_rec`` wrong (halved here)."""
    layer = spikeplug.create("lif", form="recurrent", input_size=INPUT, hidden_size=HIDDEN,
                             backend="generated").double()
    x = 10.0 * torch.rand(10, 2, INPUT, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    layer(x)                                                             # builds and checks the kernels
    assert layer.last_backend == NAME
    structure = _structure(layer.model, layer.p, torch.float64, layer.detach_reset)
    compiled = generated_kernel(layer.model)._compiled[structure]
    weights = (layer.input_weights, layer.effective_recurrent_weights())
    state = layer.initial_state(x)
    assert check_generated(layer.model, compiled, x, state, layer.p, detach_reset=True, weights=weights) == ""
    original = generated._Recurrent.backward

    def halved(ctx, *grads):
        out = list(original(ctx, *grads))
        out[3] = out[3] * 0.5                                            # (kernels, consts, xproj, W_rec, ...)
        return tuple(out)

    monkeypatch.setattr(generated._Recurrent, "backward", staticmethod(halved))
    report = check_generated(layer.model, compiled, x, state, layer.p, detach_reset=True, weights=weights)
    assert report.startswith("gradient of the recurrent weights: relative difference"), report


def test_the_conformance_check_covers_the_recurrent_path():
    """`spikeplug check`'s 'generated' check compares the recurrent path too, and says why a
    model with its own recurrent input runs the eager recurrent loop."""
    from spikeplug.plugins.conformance import check_generated as conformance_generated

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lif = conformance_generated("lif")
        coba = conformance_generated("coba_lif", forms=("layer", "recurrent"))
    assert "generated (recurrent): the recurrent path equals the eager recurrent loop (float64)" in lif.passed
    assert any("generated (recurrent): backend='auto' runs the eager recurrent loop: cannot generate: the recurrent "
               "path fuses linear_input only" in line for line in coba.not_applicable)
