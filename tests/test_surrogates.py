"""Thresholds: strict forward, the six surrogate derivatives, and surrogates from plugins."""

from __future__ import annotations

import math
import pickle

import pytest
import torch

import spikeplug
from spikeplug.plugins import Registry, UnknownNameError
from spikeplug.surrogates import BUILTIN_SURROGATES, Surrogate

X = [-1.0, -0.1, 0.0, 0.1, 0.5, 1.0]

# Values verified by running Norse (norse-models.md §5), float64.
EXPECTED = {
    ("super", 100.0): [9.803e-5, 0.00826446, 1.0, 0.00826446, 0.00038447, 9.803e-5],
    ("triangle", 2.0): [0.0, 1.8, 2.0, 1.8, 1.0, 0.0],
    ("circ", 2.0): [0.71554175, 0.99626168, 1.0, 0.99626168, 0.91307529, 0.71554175],
}


def _grad(method: str, alpha: float) -> torch.Tensor:
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    spikeplug.threshold(x, method, alpha).sum().backward()
    return x.grad


@pytest.mark.parametrize("method,alpha", sorted(EXPECTED))
def test_derivative_values(method, alpha):
    """Each surrogate's derivative equals the values measured on Norse."""
    torch.testing.assert_close(_grad(method, alpha), torch.tensor(EXPECTED[(method, alpha)], dtype=torch.float64), atol=1e-7, rtol=1e-4)


def test_tanh_and_erfc_closed_forms():
    """tanh: 1 − tanh²(αx) (no factor α); heavi_erfc: 2·exp(−(αx)²)/√π."""
    x = torch.tensor(X, dtype=torch.float64)
    torch.testing.assert_close(_grad("tanh", 2.0), 1 - torch.tanh(2 * x) ** 2)
    torch.testing.assert_close(_grad("heavi_erfc", 2.0), 2 * torch.exp(-((2 * x) ** 2)) / math.sqrt(math.pi))
    assert abs(_grad("tanh", 2.0)[0].item() - 0.07065082) < 1e-7
    assert abs(_grad("heavi_erfc", 2.0)[2].item() - 1.12837913) < 1e-7


@pytest.mark.parametrize("alpha", [0.1, 1000.0])
def test_superspike_uses_alpha(alpha):
    """SuperSpike at x = 1 has derivative 1/(α + 1)² (Norse main's α-aware formula)."""
    x = torch.tensor(1.0, requires_grad=True)
    spikeplug.threshold(x, "super", alpha).backward()
    assert x.grad.item() == pytest.approx(1 / (alpha + 1) ** 2, rel=1e-6)


@pytest.mark.parametrize("surrogate", BUILTIN_SURROGATES, ids=lambda s: s.name)
def test_forward_is_strict_heaviside(surrogate):
    """Every method spikes iff x > 0 (no spike at exactly 0), in the input's dtype."""
    x = torch.tensor([-1.0, 0.0, 1e-7, 2.0], dtype=torch.float64)
    z = spikeplug.threshold(x, surrogate.name, 2.0)
    assert z.dtype == torch.float64
    assert z.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_heaviside_has_no_gradient():
    """'heaviside' spikes carry no autograd graph."""
    x = torch.ones(3, requires_grad=True)
    assert not spikeplug.threshold(x, "heaviside", 1.0).requires_grad


def test_alpha_as_tensor_gets_no_gradient():
    """alpha may be a (learnable) tensor; the surrogate uses it but gives it no gradient."""
    alpha = torch.tensor(2.0, requires_grad=True)
    x = torch.tensor([0.5], requires_grad=True)
    spikeplug.threshold(x, "triangle", alpha).sum().backward()
    assert x.grad.item() == pytest.approx(1.0)
    assert alpha.grad is None


def test_unknown_method_lists_choices():
    """An unknown method names the registered ones."""
    with pytest.raises(UnknownNameError, match="no surrogate named 'sigmoidal'"):
        spikeplug.threshold(torch.ones(1), "sigmoidal", 1.0)


def test_surrogates_pickle():
    """Surrogates are module-level functions in frozen records, so they pickle."""
    for s in BUILTIN_SURROGATES:
        assert pickle.loads(pickle.dumps(s)) == s


def _sigmoid_derivative(x, alpha):
    s = torch.sigmoid(alpha * x)
    return alpha * s * (1 - s)


def test_plugin_surrogate_usable_as_method():
    """A surrogate registered by a plugin works as method= of any model, through the same hook."""
    from spikeplug.plugins import hookimpl

    class SigmoidPlugin:
        @hookimpl
        def spikeplug_surrogates(self):
            return [Surrogate("sigmoid", _sigmoid_derivative, "σ'(αx)·α")]

    reg = Registry(path=[], plugins=[("sigmoid_plugin", SigmoidPlugin())])
    surrogate = reg.surrogate("sigmoid")
    x = torch.zeros(1, requires_grad=True)
    spikeplug.threshold(x, surrogate, 4.0).sum().backward()
    assert x.grad.item() == pytest.approx(1.0)


def test_in_process_surrogate_in_default_registry():
    """registry.register(Surrogate) makes a new method= name valid for parameter classes."""
    from spikeplug.neurons_builtin.lif import LIF

    reg = spikeplug.registry
    reg.register(Surrogate("test_sigmoid", _sigmoid_derivative, "test"))
    try:
        x = torch.ones(10, 1, requires_grad=True)
        LIF(method="test_sigmoid", alpha=4.0)(x)[0].sum().backward()
        assert x.grad.abs().sum() > 0
    finally:
        reg.unregister("test_sigmoid")
    with pytest.raises(spikeplug.ParameterError, match="must name a surrogate method"):
        LIF(method="test_sigmoid")


def test_threshold_batches_under_vmap_and_per_sample_gradients_match_a_loop():
    """torch.func.vmap over the threshold (per-sample gradients, ensembles) gives what a Python
    loop over the samples gives, forward and gradient, for every builtin method."""
    from torch.func import grad, vmap

    xs = torch.randn(4, 6, generator=torch.Generator().manual_seed(0))
    for s in spikeplug.surrogates.BUILTIN_SURROGATES:
        if s.derivative is None:  # 'heaviside' has no gradient to compare
            continue
        f = lambda x, m=s.name: spikeplug.threshold(x, m, 10.0)  # noqa: E731
        assert torch.equal(vmap(f)(xs), (xs > 0).to(xs.dtype))
        g = vmap(grad(lambda x, f=f: (f(x) * torch.arange(6.0)).sum()))(xs)
        loop = torch.stack([grad(lambda x, f=f: (f(x) * torch.arange(6.0)).sum())(x) for x in xs])
        assert torch.equal(g, loop) and g.abs().sum() > 0, s.name
