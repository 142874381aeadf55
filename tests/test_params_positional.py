"""Parameter objects built by position, ``_replace``, and ``alpha = 0``.

These are core mechanisms (``spikeplug.parameters(positional=...)``,
``Parameters._replace``, the ``alpha`` validator); the builtin families declare Norse
1.1.0's field order, so the expected orders below are Norse's (read from its
``NamedTuple`` definitions).
"""

from __future__ import annotations

import inspect
import math
import warnings

import pytest
import torch

import spikeplug
from spikeplug import ParameterError, StabilityWarning

NORSE_ORDER = {
    "lif": ("tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha"),
    "li": ("tau_syn_inv", "tau_mem_inv", "v_leak"),
    "lif_box": ("tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha", "reset_method"),
    "iaf": ("v_th", "v_reset", "method", "alpha"),
    "izhikevich": ("a", "b", "c", "d", "sq", "mn", "bias", "v_th", "tau_inv", "method", "alpha"),
    "lif_ex": ("delta_T", "tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha"),
    "lif_adex": (
        "adaptation_current", "adaptation_spike", "delta_T", "tau_ada_inv", "tau_syn_inv", "tau_mem_inv",
        "v_leak", "v_th", "v_reset", "method", "alpha",
    ),
    "lsnn": ("tau_syn_inv", "tau_mem_inv", "tau_adapt_inv", "v_leak", "v_th", "v_reset", "beta", "method", "alpha"),
    "coba_lif": (
        "tau_syn_exc_inv", "tau_syn_inh_inv", "c_m_inv", "g_l", "e_rev_I", "e_rev_E", "v_rest", "v_reset",
        "v_thresh", "method", "alpha",
    ),
    "lif_mc": ("tau_syn_inv", "tau_mem_inv", "v_leak", "v_th", "v_reset", "method", "alpha"),
}


def params_class(name: str) -> type:
    return spikeplug.registry.factory(f"{name}:{name}").model.parameters


@pytest.mark.parametrize("name", sorted(NORSE_ORDER))
def test_builtin_positional_order_is_norses(name):
    """Each builtin parameter class takes its fields by position in Norse 1.1.0's order
    (and shows that order in its signature), so ``XParameters(a, b, ...)`` ports as is."""
    cls = params_class(name)
    params = list(inspect.signature(cls).parameters.values())
    positional = tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)
    assert positional == NORSE_ORDER[name]
    # the first two fields given by position land where their names say
    first, second = NORSE_ORDER[name][:2]
    values = {first: 0.125, second: 0.25}
    if name == "izhikevich":  # b < 0 is fine, but keep the preset-like numbers simple
        values = {first: 0.03, second: 0.25}
    p = cls(*values.values())
    assert (getattr(p, first), getattr(p, second)) == tuple(values.values())
    assert p == cls(**values)


def test_positional_arguments_are_checked():
    """Too many positional arguments, or a field given twice, raise ``TypeError`` naming
    the class, the count or the field, as a plain function call would."""
    LIFParameters = params_class("lif")
    with pytest.raises(TypeError, match=r"LIFParameters\(\) takes at most 7 positional arguments .* got 8"):
        LIFParameters(1.0, 2.0, 0.0, 1.0, 0.0, "super", 100.0, 0.001)
    with pytest.raises(TypeError, match="multiple values for argument 'tau_syn_inv'"):
        LIFParameters(1.0, tau_syn_inv=2.0)
    # validation still runs on values given by position
    with pytest.raises(ParameterError, match=r"LIFParameters\.tau_mem_inv must be finite and > 0, got -1\.0"):
        LIFParameters(200.0, -1.0)


def test_positional_order_is_not_inherited():
    """A subclass that declares no order of its own is keyword-only: its new fields would
    otherwise have no place in the parent's order."""

    @spikeplug.parameters(positional=("tau", "v_th"))
    class Parent(spikeplug.SpikingParameters):
        tau: float = spikeplug.param(1.0, unit="1/s", doc="rate")
        v_th: float = spikeplug.param(1.0, unit="", doc="threshold")

    @spikeplug.parameters
    class Child(Parent):
        extra: float = spikeplug.param(0.0, unit="", doc="extra")

    assert Parent(2.0, 3.0).v_th == 3.0
    with pytest.raises(TypeError):
        Child(2.0)
    assert Child(tau=2.0).tau == 2.0


def test_positional_order_must_name_fields():
    """Declaring an order with a name that is not a field fails when the class is made."""
    with pytest.raises(TypeError, match=r"positional must name distinct fields .*not fields: \['nope'\]"):

        @spikeplug.parameters(positional=("nope",))
        class Bad(spikeplug.Parameters):
            x: float = spikeplug.param(1.0, unit="", doc="x")


def test_stability_warning_points_at_the_callers_line():
    """The positional ``__init__`` adds a frame; warnings still name the line that built the
    parameters, not spikeplug's own code."""
    LIFParameters = params_class("lif")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LIFParameters(1000.0, dt=0.01)
    (w,) = [w for w in caught if issubclass(w.category, StabilityWarning)]
    assert w.filename == __file__


def test_replace_returns_a_validated_copy():
    """``p._replace(...)`` (NamedTuple's spelling) gives a new object with the change, leaves
    ``p`` alone, validates the new value and names unknown fields with close matches."""
    LIFParameters = params_class("lif")
    p = LIFParameters()
    q = p._replace(v_th=0.5, dt=1e-4)
    assert (q.v_th, q.dt, p.v_th, p.dt) == (0.5, 1e-4, 1.0, 0.001)
    assert type(q) is LIFParameters
    with pytest.raises(ParameterError, match=r"has no parameter 'v_ht'\. Did you mean 'v_th'"):
        p._replace(v_ht=0.5)
    with pytest.raises(ParameterError, match=r"LIFParameters\.dt must be finite and > 0, got 0\.0"):
        p._replace(dt=0.0)


@pytest.mark.parametrize("name", ["lif", "lif_box", "iaf", "lsnn", "lif_ex", "lif_adex", "coba_lif", "izhikevich"])
def test_alpha_zero_is_accepted(name):
    """``alpha = 0`` is a legal sharpness (Norse accepts it, and its own tests use
    ``alpha=torch.zeros(1)``); a negative one is refused with the field, value and constraint."""
    cls = params_class(name)
    assert cls(alpha=0.0).alpha == 0.0
    assert cls(alpha=torch.zeros(1)).alpha.shape == (1,)
    with pytest.raises(ParameterError, match=rf"{cls.__name__}\.alpha must be finite and >= 0, got -0\.5"):
        cls(alpha=-0.5)


def test_describe_shows_the_alpha_constraint():
    """``spikeplug describe`` (and ``--json``) read the constraint from the validator, so they
    show what is accepted: ``alpha`` finite and >= 0."""
    d = spikeplug.describe("lif").to_dict()
    (alpha,) = [p for p in d["parameters"] if p["name"] == "alpha"]
    assert alpha["constraint"] == "finite and >= 0"


@pytest.mark.parametrize(
    "method, expected",
    [("super", 1.0), ("triangle", 0.0), ("tanh", 1.0), ("heavi_erfc", 2.0 / math.sqrt(math.pi))],
)
def test_surrogate_derivative_at_alpha_zero(method, expected):
    """The flat limit of each method at ``alpha = 0``: SuperSpike 1/(0·|x|+1)² = 1 and tanh
    1 − tanh²(0) = 1 pass gradients straight through, the triangle 0·relu(1−|x|) passes
    none, erfc gives 2/√π, at every x."""
    x = torch.tensor([-2.0, -0.1, 0.0, 0.3, 5.0], dtype=torch.float64, requires_grad=True)
    spikeplug.threshold(x, method, 0.0).sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, expected))


def test_circ_at_alpha_zero_warns():
    """``circ`` at ``alpha = 0`` is 0/0 at the threshold (as in Norse): the parameter object
    warns that the derivative there is not finite; the flat methods do not warn."""
    LIFParameters = params_class("lif")
    with pytest.warns(StabilityWarning, match=r"method='circ' with alpha=0 has no finite derivative"):
        LIFParameters(method="circ", alpha=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StabilityWarning)
        LIFParameters(method="super", alpha=0.0)
        LIFParameters(method="triangle", alpha=0.0)


def test_fused_kernel_matches_eager_at_alpha_zero():
    """The fused kernel computes the surrogate at ``alpha = 0`` as the eager step does
    (values and input gradients), for the straight-through and the zero-gradient method."""
    pytest.importorskip("numba")
    LIF = spikeplug.registry.factory("lif:lif").layer
    for method in ("super", "triangle", "tanh"):
        x = (torch.rand(6, 3, 4, generator=torch.Generator().manual_seed(1)) * 3).requires_grad_(True)
        grads = []
        for backend in ("fused", "eager"):
            layer = LIF(method=method, alpha=0.0, backend=backend)
            out, (v, i) = layer(x)
            (g,) = torch.autograd.grad(out.sum() + v.sum(), x)
            grads.append((out, v, g))
        assert torch.equal(grads[0][0], grads[1][0])
        assert torch.allclose(grads[0][1], grads[1][1])
        assert torch.allclose(grads[0][2], grads[1][2], atol=1e-6), method
