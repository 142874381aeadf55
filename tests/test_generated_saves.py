"""What the generated forward saves for its backward (issue 9: a minimum cut).

The forward of a generated kernel stores, per neuron and step, the fewest values from which
the backward can recompute everything its gradients need (``spikeplug.generated._plan``),
instead of the step's input and state fields. These tests pin what a user relies on: the
memory kept for the backward, and gradients that still equal eager autograd's.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

import spikeplug
from spikeplug.generated import generated_kernel

numba = pytest.importorskip("numba", reason="the generated backend compiles with numba (the 'fast' extra)")


def _sequence_node(out: torch.Tensor) -> Any:
    """The autograd node of the generated kernel behind ``out`` (below the reshape)."""
    stack, seen = [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if type(node).__name__.startswith("_Sequence"):
            return node
        stack.extend(n for n, _ in node.next_functions)
    raise AssertionError("no generated kernel in the autograd graph")


def _compiled(model: Any, dtype: torch.dtype = torch.float32) -> Any:
    found = [c for s, c in generated_kernel(model)._compiled.items() if not isinstance(c, str) and s.dtype == dtype]
    assert len(found) >= 1
    return found[0]


def _gradients(name: str, x: torch.Tensor, **kwargs: Any) -> dict[str, tuple[torch.Tensor, ...]]:
    results = {}
    for backend in ("generated", "eager"):
        xs = x.clone().requires_grad_(True)
        layer = spikeplug.create(name, backend=backend, **kwargs).to(x.dtype)
        out, state = layer(xs)
        (out.sum() + state[0].sum()).backward()
        results[backend] = (out.detach(), xs.grad, layer)
    return results


def test_lif_forward_saves_only_the_pre_reset_voltage():
    """LIF's gradients need only the pre-reset voltage ``v_d`` (threshold, surrogate and reset
    are functions of it): the forward saves that one array per step and not the input, and
    its rows are ``v_d`` of each step (hand-derived for a constant input 0.5 from rest,
    dt·τ_mem⁻¹ = 0.1, dt·τ_syn⁻¹ = 0.2: 0.05, 0.135, 0.2435)."""
    x = torch.full((3, 2, 4), 0.5, requires_grad=True)
    layer = spikeplug.create("lif", backend="generated")
    out, state = layer(x)
    compiled = _compiled(layer.model)
    assert len(compiled.saved) == 1 and not compiled.reads_input, compiled.saved_names
    per_step = [t for t in _sequence_node(out).saved_tensors if t.dim() == 2]
    assert len(per_step) == 1                       # neither x nor v and i are kept
    expected = torch.tensor([0.05, 0.135, 0.2435]).unsqueeze(1).expand(3, 8)
    torch.testing.assert_close(per_step[0], expected, rtol=1e-6, atol=0.0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("method", ["super", "triangle", "heaviside"])
def test_lif_gradients_from_the_saved_voltage_equal_eager(dtype, method):
    """Recomputing the backward from the saved voltage alone gives eager's spikes and the
    gradients of the input and of learnable 0-dim and per-neuron parameters."""
    x = 3.0 * torch.rand(30, 4, 5, dtype=dtype, generator=torch.Generator().manual_seed(3))
    # alpha = 2: a surrogate peak <= 2, so that gradients through the reset do not explode
    kwargs = dict(method=method, alpha=2.0, learnable=("tau_mem_inv",), v_th=torch.linspace(0.8, 1.2, 5, dtype=dtype))
    r = _gradients("lif", x, **kwargs)
    (g_out, g_x, g_layer), (e_out, e_x, e_layer) = r["generated"], r["eager"]
    assert e_out.sum() > 0 and torch.equal(g_out, e_out)
    torch.testing.assert_close(g_x, e_x, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(g_layer.tau_mem_inv.grad, e_layer.tau_mem_inv.grad, rtol=1e-4, atol=1e-6)


def test_a_model_whose_gradients_need_no_forward_value_saves_nothing():
    """The leaky integrator is linear: its gradients are constants times the incoming ones,
    so the forward saves no per-step array at all and the gradients still equal eager's."""
    x = torch.rand(12, 3, 4, generator=torch.Generator().manual_seed(4))
    r = _gradients("li", x)
    g_layer = r["generated"][2]
    compiled = _compiled(g_layer.model)
    assert compiled.saved == () and not compiled.reads_input
    xs = x.clone().requires_grad_(True)
    out, _ = g_layer(xs)
    assert not [t for t in _sequence_node(out).saved_tensors if t.dim() == 2]
    torch.testing.assert_close(r["generated"][1], r["eager"][1], rtol=1e-6, atol=1e-7)


def test_a_model_whose_cut_is_its_input_and_state_keeps_reading_them():
    """Where no cut is cheaper than the input and the state fields the backward uses
    (coba_lif's conductances enter the gradients in many places), the forward saves the
    states and the backward reads the input, as generator 1 did; gradients equal eager's."""
    x = 5.0 * torch.rand(20, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    r = _gradients("coba_lif", x)
    compiled = _compiled(r["generated"][2].model, torch.float64)
    assert compiled.reads_input and compiled.saved_names == tuple(f"state.{f}" for f in ("v", "g_e", "g_i"))
    assert torch.equal(r["generated"][0], r["eager"][0])
    torch.testing.assert_close(r["generated"][1], r["eager"][1], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["lif", "lif_box", "lsnn", "lif_ex", "izhikevich", "lif_adex", "lif_refrac", "iaf"])
def test_the_forward_saves_less_than_the_input_and_states_it_replaces(name):
    """For these builtins the cut is smaller than generator 1's saved set (the input plus
    every state field the step reads): the backward reads fewer per-step arrays."""
    x = torch.rand(6, 2, 3, requires_grad=True)
    layer = spikeplug.create(name, backend="generated")
    out, state = layer(x)
    compiled = _compiled(layer.model)
    before = 1 + len(layer.model.state._fields)
    assert len(compiled.saved) + compiled.reads_input < before, compiled.saved_names
    assert not compiled.reads_input
