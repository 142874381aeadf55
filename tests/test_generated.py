"""The generated fused backend (issue 9): any model's step, traced, compiled and checked.

The per-model equality (every registered model, both dtypes, every builtin surrogate
method) is the conformance check ``generated``; these tests protect the mechanism: a
third-party model written with no kernel code gets the generated path from ``auto``, the
selection rules, the first-use check, the cache, and the errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from typing import NamedTuple

import pytest
import torch

import spikeplug
from spikeplug.model import linear_input
from spikeplug import BackendError, param, positive
from spikeplug.generated import MIN_STEPS, MIN_WORK, NAME, BackendWarning, generated_kernel
from spikeplug.plugins import conformance

numba = pytest.importorskip("numba", reason="the generated backend compiles with numba (the 'fast' extra)")

# ---------------------------------------------------------------- a model written after the change


@spikeplug.parameters
class ResonatorParameters(spikeplug.SpikingParameters):
    """A resonate-and-fire neuron: damped oscillation of (v, w), spike when v crosses v_th."""

    omega: float = param(60.0, unit="1/s", doc="angular frequency", validator=positive())
    damping: float = param(20.0, unit="1/s", doc="damping rate", validator=positive())
    v_th: float = param(1.0, unit="a.u.", doc="threshold", validator=spikeplug.finite())


class ResonatorState(NamedTuple):
    v: torch.Tensor
    w: torch.Tensor


def resonator_step(x, state, p, *, detach_reset=False):
    """dv = (−b·v − ω·w + x)·dt, dw = (ω·v − b·w)·dt; spike and reset v to 0."""
    v, w = state
    v_d = v + p.dt * (-p.damping * v - p.omega * w + x)
    w_n = w + p.dt * (p.omega * v - p.damping * w)
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)
    z_r = z.detach() if detach_reset else z
    return z, ResonatorState(v_d * (1.0 - z_r), w_n)


RESONATOR = spikeplug.NeuronModel(
    name="resonator", parameters=ResonatorParameters, state=ResonatorState, step=resonator_step,
    initial_state=spikeplug.RestState(ResonatorState),
)
RESONATOR_MODULES = spikeplug.build_modules(RESONATOR, "Resonator", __name__, forms=("cell", "layer"))
ResonatorCell, Resonator = RESONATOR_MODULES.cell, RESONATOR_MODULES.layer


def _big_input(steps: int = 40, batch: int = 16, neurons: int = 256, scale: float = 600.0) -> torch.Tensor:
    assert steps * batch * neurons >= MIN_WORK
    return scale * torch.rand(steps, batch, neurons, generator=torch.Generator().manual_seed(0))


def test_a_new_model_gets_the_generated_backend_from_auto():
    """A third-party model with no kernel code: ``auto`` runs the generated kernel for a
    large enough sequence, and its outputs, state and gradients equal the eager loop's."""
    x = _big_input()
    results = {}
    for backend in ("auto", "eager"):
        layer = Resonator(backend=backend, learnable=("omega", "damping"))   # −damping·v: a negated sum
        xs = x.clone().requires_grad_(True)
        out, state = layer(xs)
        (out.sum() + state.v.sum()).backward()
        results[backend] = (out, state, xs.grad, torch.stack([layer.omega.grad, layer.damping.grad]),
                            layer.last_backend)
    (out_a, state_a, gx_a, gw_a, kind), (out_e, state_e, gx_e, gw_e, _) = results["auto"], results["eager"]
    assert kind == NAME
    assert out_a.sum() > 0 and torch.equal(out_a, out_e)
    torch.testing.assert_close(state_a, state_e, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(gx_a, gx_e, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(gw_a, gw_e, rtol=1e-4, atol=1e-4)


def test_new_model_passes_the_conformance_check_of_the_generated_backend():
    """The conformance check ``generated`` passes for the new model in every case it runs."""
    report = conformance.check_generated(RESONATOR_MODULES)
    assert not report.not_applicable, str(report)
    assert len(report.passed) == 9, str(report)


LAYERED_MODELS = [n for n in spikeplug.registry.names(kind="neuron") if "layer" in spikeplug.registry.factory(n).forms]


@pytest.mark.parametrize("name", LAYERED_MODELS)
def test_every_registered_model_has_an_equal_generated_kernel(name):
    """Every registered model with a layer form (the builtins and the example ``qif``) gets a
    generated kernel that passes every case of the conformance check: nothing is reported
    as impossible or divergent, so ``auto`` can use it for all of them. The recurrent path
    is checked too; only a model with its own recurrent input (coba_lif's conductances)
    runs its recurrent form eager, and says so."""
    report = conformance.check_generated(name)
    model = spikeplug.plugins.get_registry().factory(name).model
    recurrent_form = model.recurrent_state is not None
    own_input = recurrent_form and model.recurrent_input is not linear_input
    expected = ("generated (recurrent): backend='auto' runs the eager recurrent loop: cannot generate: the recurrent "
                "path fuses linear_input only",) if own_input else ()
    assert report.not_applicable == expected, str(report)
    assert report.passed, str(report)
    checked = any(line.startswith("generated (recurrent)") for line in report.passed)
    assert checked == (recurrent_form and not own_input), str(report)


# ---------------------------------------------------------------- selection


def test_auto_runs_eager_for_short_or_small_runs_and_says_why():
    """``auto`` never pays for a compile where the eager loop is as fast: fewer than
    ``MIN_STEPS`` steps, or less work than ``MIN_WORK`` with no kernel compiled yet for this
    structure (the reason is in ``last_backend_reason``); ``"generated"`` forces it."""
    omega = torch.tensor(61.0, dtype=torch.float64)   # 0-dim float64: a structure no other test compiles
    layer = Resonator(omega=omega)
    layer(torch.rand(MIN_STEPS - 1, 8))
    assert layer.last_backend == "eager" and "min_steps" in layer.last_backend_reason
    layer(torch.rand(MIN_STEPS, 8))
    assert layer.last_backend == "eager" and "not worth compiling" in layer.last_backend_reason
    forced = Resonator(omega=omega, backend="generated")
    forced(torch.rand(MIN_STEPS, 8))
    assert forced.last_backend == NAME
    layer(torch.rand(MIN_STEPS, 8))                          # compiled now: small runs may use it
    assert layer.last_backend == NAME


def test_hand_described_kernel_wins_over_the_generated_one():
    """For LIF, ``auto`` keeps the hand-described affine kernel; ``"generated"`` runs the
    generated one, and both equal eager."""
    x = _big_input(scale=3.0)
    outs = {}
    for backend in ("auto", "generated", "eager"):
        layer = spikeplug.create("lif", backend=backend)
        outs[backend] = (layer(x)[0], layer.last_backend)
    assert outs["auto"][1] == "numba-cpu" and outs["generated"][1] == NAME
    assert torch.equal(outs["auto"][0], outs["eager"][0]) and torch.equal(outs["generated"][0], outs["eager"][0])


def test_with_block_selects_the_generated_backend():
    """``with spikeplug.backend("generated")`` applies to layers left at ``auto``."""
    layer = spikeplug.create("lif")
    with spikeplug.backend("generated"):
        layer(torch.rand(6, 3))
    assert layer.last_backend == NAME


def _summing_step(x, state, p, *, detach_reset=False):
    """Couples every neuron to the population mean: not elementwise."""
    (v,) = state
    v_n = v + p.dt * (x - v.mean(-1, keepdim=True))
    return v_n, type(state)(v_n)


class _VState(NamedTuple):
    v: torch.Tensor


def test_step_the_generator_cannot_fuse_runs_eager_with_one_warning():
    """A step with a reduction over neurons cannot be generated: ``auto`` runs eager, warns
    once naming the operation, and ``"generated"`` raises a BackendError saying the same."""
    model = spikeplug.NeuronModel(name="mean_coupled", parameters=spikeplug.Parameters, state=_VState,
                                  step=_summing_step, initial_state=spikeplug.RestState(_VState))
    modules = spikeplug.build_modules(model, "MeanCoupled", __name__, forms=("layer",))
    x = _big_input()
    with pytest.warns(BackendWarning, match=r"'mean_coupled' with the eager loop: the generated kernel cannot run "
                      r"\(the step uses the operation aten.mean.dim, which the generator does not fuse\)"):
        layer = modules.layer()
        out, _ = layer(x)
    assert layer.last_backend == "eager"
    with warnings.catch_warnings():
        warnings.simplefilter("error", BackendWarning)
        layer(x)                                              # said once only
    with pytest.raises(BackendError, match=r"backend='generated' cannot run 'mean_coupled'.*aten.mean.dim"):
        modules.layer(backend="generated")(x)


def _shape_dependent_step(x, state, p, *, detach_reset=False):
    """Python control flow on the shape: tracing (on one row of neurons) freezes one branch,
    while a batched input takes the other."""
    (v,) = state
    gain = 2.0 if v.dim() == 1 else 1.0
    v_n = v + gain * x
    return v_n, type(state)(v_n)


def test_a_kernel_that_differs_from_eager_is_never_used():
    """A step whose traced graph is not what eager computes (Python control flow on the
    shape) fails the first-use check: ``"generated"`` raises with the measured divergence
    and ``auto`` runs eager for that structure, with one warning."""
    model = spikeplug.NeuronModel(name="shape_dependent", parameters=spikeplug.Parameters, state=_VState,
                                  step=_shape_dependent_step, initial_state=spikeplug.RestState(_VState))
    modules = spikeplug.build_modules(model, "ShapeDependent", __name__, forms=("layer",))
    x = _big_input(scale=1.0)
    with pytest.raises(BackendError, match=r"final state.v: relative difference"):
        modules.layer(backend="generated")(x)
    with pytest.warns(BackendWarning, match=r"relative difference"):
        layer = modules.layer()
        layer(x)
    assert layer.last_backend == "eager"


# ---------------------------------------------------------------- compile cost


def test_new_sizes_and_lengths_compile_nothing_new():
    """Batch size, number of neurons and sequence length are not part of a kernel: after
    one run, other sizes reuse the same compiled functions (one signature each)."""
    layer = spikeplug.create("lif_adex", backend="generated")
    for shape in ((6, 3), (9, 2, 5), (7, 4, 4, 4)):
        x = torch.rand(shape, requires_grad=True)
        out, state = layer(x)
        (out.sum() + state.v.sum()).backward()
    compiled = next(iter(c for c in generated_kernel(layer.model)._compiled.values() if not isinstance(c, str)))
    assert len(compiled.forward.signatures) == 1 and len(compiled.backward.signatures) == 1


def test_a_second_process_loads_the_compiled_kernels_from_the_cache(tmp_path):
    """The sources live in the cache directory under their hash, so a second process finds
    numba's compiled code there (cache hits, no misses) instead of compiling again."""
    script = textwrap.dedent("""
        import torch, spikeplug
        from spikeplug.generated import generated_kernel
        layer = spikeplug.create("lsnn", backend="generated")
        x = torch.rand(6, 3, requires_grad=True)
        out, state = layer(x)
        (out.sum() + state.v.sum()).backward()
        (c,) = generated_kernel(layer.model)._compiled.values()
        print(sum(c.forward.stats.cache_hits.values()), sum(c.backward.stats.cache_hits.values()))
    """)
    env = {**os.environ, "SPIKEPLUG_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert runs[0].stdout.split() == ["0", "0"]
    assert runs[1].stdout.split() == ["1", "1"]
    assert any(p.suffix == ".py" for p in (tmp_path / "generated").iterdir())


# ---------------------------------------------------------------- values


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_learnable_scalar_and_per_neuron_parameters_get_eager_gradients(dtype):
    """0-dim learnable parameters and per-neuron tensors enter the kernels as inputs; their
    gradients (summed over neurons and time inside the kernel) equal eager autograd's."""
    x = 2.0 * torch.rand(12, 4, 3, dtype=dtype, generator=torch.Generator().manual_seed(1))
    grads = {}
    for backend in ("generated", "eager"):
        layer = spikeplug.create("lsnn", backend=backend, learnable=("tau_mem_inv", "beta"),
                                 v_th=torch.tensor([0.8, 1.0, 1.2]), tau_adapt_inv=torch.tensor([1.0, 2.0, 3.0]))
        layer = layer.to(dtype)
        out, state = layer(x)
        (out.sum() + state.v.sum() + state.b.sum()).backward()
        grads[backend] = (out, layer.tau_mem_inv.grad, layer.beta.grad)
    assert torch.equal(grads["generated"][0], grads["eager"][0])
    for found, expected in zip(grads["generated"][1:], grads["eager"][1:]):
        torch.testing.assert_close(found, expected, rtol=1e-4, atol=1e-6)


def test_inference_without_gradient_saves_nothing_and_matches():
    """Under ``torch.no_grad`` the kernel keeps no per-step state and returns eager's values."""
    x = torch.rand(10, 2, 3) * 3
    with torch.no_grad():
        gen_out, gen_state = spikeplug.create("izhikevich", backend="generated")(x * 10)
        eager_out, eager_state = spikeplug.create("izhikevich", backend="eager")(x * 10)
    assert torch.equal(gen_out, eager_out)
    torch.testing.assert_close(gen_state, eager_state, rtol=1e-6, atol=1e-5)


def test_first_use_under_inference_mode_still_gives_true_gradients_later():
    """A kernel first built and checked under ``torch.inference_mode`` (where ``enable_grad``
    does not restore autograd) must still trace the real backward: training afterwards
    gives eager's gradients, not zeros."""
    x = 3.0 * torch.rand(8, 2, 3, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    with torch.inference_mode():
        spikeplug.create("lif_ex", backend="generated").double()(x.clone())
    grads = []
    for backend in ("generated", "eager"):
        xs = x.clone().requires_grad_(True)
        out, state = spikeplug.create("lif_ex", backend=backend).double()(xs)
        (out.sum() + state.v.sum()).backward()
        grads.append(xs.grad)
    assert grads[1].abs().sum() > 0
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-6, atol=1e-9)


def test_unwritable_cache_directory_falls_back_to_eager(tmp_path, monkeypatch):
    """Where the cache directory cannot be written, ``auto`` runs eager and says why once;
    nothing crashes."""
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    monkeypatch.setenv("SPIKEPLUG_CACHE_DIR", str(blocker))
    layer = Resonator(omega=torch.tensor(59.0, dtype=torch.float64), damping=torch.tensor(21.0, dtype=torch.float64))
    with pytest.warns(BackendWarning, match=r"could not be written or imported"):
        out, _ = layer(_big_input())
    assert layer.last_backend == "eager" and out.shape == (40, 16, 256)


def test_double_backward_through_the_generated_kernel_is_refused_clearly():
    """Gradients of gradients do not go through numba: asking for them names the problem
    (``once_differentiable``) instead of failing inside the kernel."""
    layer = spikeplug.create("lsnn", backend="generated").double()
    x = torch.rand(6, 3, dtype=torch.float64, requires_grad=True)
    out, state = layer(x)
    (g,) = torch.autograd.grad((state.v ** 2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable"):
        g.sum().backward()


def test_no_gradient_mode_saves_nothing_even_with_learnable_parameters():
    """Under no_grad/inference_mode a learnable parameter still has requires_grad, which
    autograd.Function sees; the forward must not save every step for a backward that never
    comes (layer and recurrent path). The kernel's ``save`` argument is recorded."""
    from spikeplug.generated import generated_kernel

    torch.manual_seed(10)
    lay = spikeplug.create("lif", form="layer", backend="generated", learnable=("tau_mem_inv",))
    rec = spikeplug.create("lif", form="recurrent", input_size=5, hidden_size=7, backend="generated", autapses=True)
    lay(torch.rand(12, 3, 7) * 2)
    rec(torch.rand(12, 3, 5) * 2)
    flags, originals = [], {}
    for compiled in generated_kernel(lay.model)._compiled.values():
        if hasattr(compiled, "forward"):
            originals[id(compiled)] = (compiled, compiled.forward)
            compiled.forward = lambda *a, _f=compiled.forward: (flags.append(a[-4]), _f(*a))[1]
    try:
        for mode in (torch.no_grad, torch.inference_mode):
            with mode():
                lay(torch.rand(12, 3, 7) * 2)
                rec(torch.rand(12, 3, 5) * 2)
        assert flags and not any(flags), flags
        flags.clear()
        lay(torch.rand(12, 3, 7) * 2)  # with grad mode the forward saves
        assert flags and all(flags), flags
    finally:
        for compiled, forward in originals.values():
            compiled.forward = forward
