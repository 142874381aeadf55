"""Inputs in other layouts: sparse COO, non-contiguous views, channels-last.

Every form of every builtin model computes a sparse, non-contiguous or channels-last
input as it computes the same values in an ordinary dense tensor. A sparse COO input
gives sparse COO outputs (as Norse's LIF modules do); fused kernels refuse sparse
inputs, so ``backend="auto"`` runs them on the eager loop and ``backend="fused"`` raises.
"""

from __future__ import annotations

import pytest
import torch

import spikeplug
from spikeplug import BackendError

FUSED_FAMILIES = ("lif", "li", "lif_box", "iaf")
BUILTIN = ("lif", "li", "lif_box", "iaf", "lsnn", "coba_lif", "izhikevich", "lif_ex", "lif_adex", "lif_refrac", "lif_mc")


def modules(name: str):
    return spikeplug.registry.factory(f"{name}:{name}")


def spiky(*shape: int, seed: int = 0) -> torch.Tensor:
    """Mostly-zero input with strong events, so every family spikes somewhere."""
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) > 0.6).float() * 3.0


@pytest.mark.parametrize("name", FUSED_FAMILIES)
def test_sparse_input_runs_eager_under_auto(name):
    """A sparse COO input of several steps (which crashed the fused kernel) runs on the eager
    loop under ``backend="auto"``, says so in ``last_backend``, and gives sparse outputs equal
    to the dense input's."""
    pytest.importorskip("numba")
    x = spiky(6, 3, 5)
    layer = modules(name).create("layer")
    out, state = layer(x.to_sparse())
    assert layer.last_backend == "eager"
    assert out.layout == torch.sparse_coo
    ref = modules(name).create("layer", backend="eager")
    expected, expected_state = ref(x)
    assert torch.equal(out.to_dense(), expected)
    for a, b in zip(state, expected_state):
        assert a.layout == torch.strided and torch.equal(a, b)
    # the dense input itself runs fused, with the same values
    dense_layer = modules(name).create("layer")
    assert torch.equal(dense_layer(x)[0], expected) and dense_layer.last_backend != "eager"


@pytest.mark.parametrize("name", FUSED_FAMILIES)
def test_fused_backend_refuses_sparse_input(name):
    """``backend="fused"`` with a sparse input raises :class:`BackendError` naming the layout,
    instead of crashing inside the kernel."""
    pytest.importorskip("numba")
    layer = modules(name).create("layer", backend="fused")
    with pytest.raises(BackendError, match=r"runs dense \(strided\) inputs only, got a torch\.sparse_coo input"):
        layer(spiky(4, 2, 3).to_sparse())


@pytest.mark.parametrize("name", FUSED_FAMILIES)
@pytest.mark.parametrize("backend", ["auto", "eager", "fused"])
def test_non_contiguous_and_channels_last_inputs(name, backend):
    """A transposed view and a channels-last 4-D input ``(T, C, H, W)`` give the values of the
    same input made contiguous, on every backend, with outputs of the input's shape."""
    if backend == "fused":
        pytest.importorskip("numba")
    base = spiky(5, 4, 3, 2)                                       # (T, C, H, W)
    transposed = base.permute(0, 3, 2, 1)                          # (T, W, H, C) view, not contiguous
    channels_last = base.to(memory_format=torch.channels_last)
    assert not transposed.is_contiguous() and not channels_last.is_contiguous()
    for x in (transposed, channels_last):
        out, state = modules(name).create("layer", backend=backend)(x)
        expected, expected_state = modules(name).create("layer", backend="eager")(x.contiguous())
        assert out.shape == x.shape
        assert torch.equal(out, expected)
        for a, b in zip(state, expected_state):
            assert torch.equal(a, b)


@pytest.mark.parametrize("name", BUILTIN)
def test_every_form_takes_sparse_input(name):
    """Every form of every builtin model (cell, layer, recurrent, linear) takes a sparse COO
    input, returns sparse COO outputs and dense states equal to the dense input's results."""
    ms = modules(name)
    x = spiky(4, 3, 5)
    for form in ms.forms:
        sized = form in ("recurrent_cell", "recurrent", "linear_cell")
        kwargs = {"input_size": 5, "hidden_size": 5} if sized else {}
        torch.manual_seed(3)
        a = ms.create(form, **kwargs)
        torch.manual_seed(3)
        b = ms.create(form, **kwargs)
        xin = x if form in ("layer", "recurrent") else x[0]
        out, state = a(xin.to_sparse())
        expected, expected_state = b(xin)
        assert out.layout == torch.sparse_coo, form
        assert torch.equal(out.to_dense(), expected), form
        for s, e in zip(state, expected_state):
            assert torch.equal(s, e), form


def test_compressed_sparse_input_gives_dense_output():
    """A CSR input (2-D, one step of a cell) is computed densely; its output is dense."""
    cell = modules("lif").create("cell")
    x = spiky(3, 4)
    out, _ = cell(x.to_sparse_csr())
    assert out.layout == torch.strided
    assert torch.equal(out, modules("lif").create("cell")(x)[0])


@pytest.mark.parametrize("name", ["lif", "lif_adex", "izhikevich"])
def test_generated_backend_takes_views_channels_last_and_refuses_sparse(name):
    """The generated backend gives the eager loop's values for a transposed view and a
    channels-last 4-D input, and refuses a sparse input with a BackendError naming the layout
    (``auto`` then runs eager)."""
    pytest.importorskip("numba")
    base = spiky(6, 4, 3, 2) * (10.0 if name == "izhikevich" else 1.0)
    for x in (base.permute(0, 3, 2, 1), base.to(memory_format=torch.channels_last)):
        out, state = modules(name).create("layer", backend="generated")(x)
        expected, expected_state = modules(name).create("layer", backend="eager")(x.contiguous())
        assert out.shape == x.shape and torch.equal(out, expected)
        for a, b in zip(state, expected_state):
            torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)
    with pytest.raises(BackendError, match=r"takes dense \(strided\) tensors, got torch\.sparse_coo"):
        modules(name).create("layer", backend="generated")(spiky(6, 2, 3).to_sparse())
