"""The functional half of Norse's API (``norse.torch.functional``), as adapters.

Every step below is one line: an adapter factory of :mod:`._adapters` applied to a
registered model, so the equations stay in the family's ``step``. Exported as
``spikeplug.norse.functional`` (and its Norse submodules, e.g.
``spikeplug.norse.functional.lif``).
"""

from __future__ import annotations

from typing import Any

import attrs
import torch

import spikeplug
from spikeplug.surrogates import circ_derivative, get_surrogate, tanh_derivative

from ._adapters import FUNCTIONAL, current_encoder, feed_forward_step, integral, linear_step, recurrent_step

# -- neuron steps: (family, Norse's name) -------------------------------------------------
lif_feed_forward_step = feed_forward_step("lif", "lif_feed_forward_step")
lif_step = recurrent_step("lif", "lif_step")
lif_feed_forward_integral = integral(lif_feed_forward_step, "lif_feed_forward_integral")
lif_current_encoder = current_encoder("lif", "lif_current_encoder")
# Norse's returns only the last step's spikes; this returns all of them, as the other integrals
lif_step_integral = integral(lif_step, "lif_step_integral")
# Norse's sparse variants: every adapter keeps a sparse COO input's layout in its output
lif_feed_forward_step_sparse = feed_forward_step("lif", "lif_feed_forward_step_sparse")
lif_step_sparse = recurrent_step("lif", "lif_step_sparse")

li_feed_forward_step = feed_forward_step("li", "li_feed_forward_step")
li_step = linear_step("li", "li_step")

lif_box_feed_forward_step = feed_forward_step("lif_box", "lif_box_feed_forward_step")

iaf_feed_forward_step = feed_forward_step("iaf", "iaf_feed_forward_step")
iaf_step = recurrent_step("iaf", "iaf_step")

lif_ex_feed_forward_step = feed_forward_step("lif_ex", "lif_ex_feed_forward_step", zero_state=True)
lif_ex_step = recurrent_step("lif_ex", "lif_ex_step")
lif_ex_current_encoder = current_encoder("lif_ex", "lif_ex_current_encoder")

lif_adex_feed_forward_step = feed_forward_step("lif_adex", "lif_adex_feed_forward_step", zero_state=True)
lif_adex_step = recurrent_step("lif_adex", "lif_adex_step")
lif_adex_current_encoder = current_encoder("lif_adex", "lif_adex_current_encoder", adaptation=True)

lsnn_feed_forward_step = feed_forward_step("lsnn", "lsnn_feed_forward_step")
lsnn_step = recurrent_step("lsnn", "lsnn_step")

lif_refrac_feed_forward_step = feed_forward_step("lif_refrac", "lif_refrac_feed_forward_step")
lif_refrac_step = recurrent_step("lif_refrac", "lif_refrac_step")

lif_mc_step = recurrent_step("lif_mc", "lif_mc_step", coupling=True)

coba_lif_feed_forward_step = feed_forward_step("coba_lif", "coba_lif_feed_forward_step")
coba_lif_step = recurrent_step("coba_lif", "coba_lif_step")

izhikevich_feed_forward_step = feed_forward_step("izhikevich", "izhikevich_feed_forward_step")
izhikevich_recurrent_step = recurrent_step("izhikevich", "izhikevich_recurrent_step")


# -- thresholds and surrogate functions by name -------------------------------------------


def threshold(x: torch.Tensor, method: str, alpha: Any) -> torch.Tensor:
    """Spikes ``Θ(x)`` with the surrogate gradient ``method`` (:func:`spikeplug.threshold`).

    An unknown method raises ``ValueError`` (as Norse does) listing the registered ones.
    """
    try:
        surrogate = get_surrogate(method)
    except LookupError as exc:
        raise spikeplug.ParameterError(f"threshold: method {method!r} is not a surrogate method: {exc}") from None
    return surrogate(x, alpha)


def sign(x: torch.Tensor, method: str, alpha: Any) -> torch.Tensor:
    """``2·Θ(x) − 1``: ±1 with the surrogate gradient (twice that of ``method``)."""
    return 2.0 * threshold(x, method, alpha) - 1.0


def heaviside(data: torch.Tensor) -> torch.Tensor:
    """The strict step: 1 where ``data > 0``, else 0, in ``data``'s dtype (no gradient)."""
    return get_surrogate("heaviside")(data, 0.0)


def super_fn(x: torch.Tensor, alpha: Any = 100.0) -> torch.Tensor:
    """Step with the SuperSpike surrogate 1/(α·|x| + 1)² (α-aware; Norse 1.1.0 used α = 1)."""
    return get_surrogate("super")(x, alpha)


def triangle_fn(x: torch.Tensor, alpha: Any = 0.3) -> torch.Tensor:
    """Step with the triangle surrogate α·relu(1 − |x|)."""
    return get_surrogate("triangle")(x, alpha)


def heavi_tanh_fn(x: torch.Tensor, k: Any) -> torch.Tensor:
    """Step with the surrogate 1 − tanh²(k·x)."""
    return get_surrogate("tanh")(x, k)


def heavi_circ_fn(x: torch.Tensor, k: Any) -> torch.Tensor:
    """Step with the circular surrogate k³/(k² + x²)^{3/2}."""
    return get_surrogate("circ")(x, k)


def heavi_erfc_fn(x: torch.Tensor, k: Any) -> torch.Tensor:
    """Step with the surrogate 2·exp(−(k·x)²)/√π."""
    return get_surrogate("heavi_erfc")(x, k)


class _BernoulliSpike(torch.autograd.Function):
    """A stochastic spike: a Bernoulli draw with probability ``probability(x, k)`` forward,
    ``grad · derivative(x, k)`` backward (the derivative of spikeplug's surrogate)."""

    @staticmethod
    def forward(x: torch.Tensor, k: Any, probability: Any, derivative: Any) -> torch.Tensor:
        return torch.bernoulli(probability(x, k))   # one draw per element, as torch.distributions.Bernoulli

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
        x, k, _, derivative = inputs
        ctx.save_for_backward(x)
        ctx.k, ctx.derivative = k, derivative

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None, None]:
        (x,) = ctx.saved_tensors
        return grad * ctx.derivative(x, ctx.k), None, None, None


def _logistic_probability(x: torch.Tensor, k: Any) -> torch.Tensor:
    return 0.5 + 0.5 * torch.tanh(k * x)


def _circ_probability(x: torch.Tensor, k: Any) -> torch.Tensor:
    return 0.5 + 0.5 * (x / (x * x + k * k).sqrt())


def logistic_fn(x: torch.Tensor, k: Any) -> torch.Tensor:
    """A spike drawn with probability ½ + ½·tanh(k·x); surrogate 1 − tanh²(k·x)."""
    return _BernoulliSpike.apply(x, k, _logistic_probability, tanh_derivative)


def circ_dist_fn(x: torch.Tensor, k: Any) -> torch.Tensor:
    """A spike drawn with probability ½ + ½·x/√(x² + k²); the circular surrogate."""
    return _BernoulliSpike.apply(x, k, _circ_probability, circ_derivative)


# -- resets with Norse's four arguments ---------------------------------------------------


def reset_value(z: torch.Tensor, v: torch.Tensor, reset: Any, th: Any) -> torch.Tensor:
    """``(1 − z)·v + z·reset`` (:func:`spikeplug.reset_value`; ``th`` is not used)."""
    return spikeplug.reset_value(z, v, reset)


def reset_subtract(z: torch.Tensor, v: torch.Tensor, reset: Any, th: Any) -> torch.Tensor:
    """``v − z·th`` (:func:`spikeplug.reset_subtract`; ``reset`` is not used)."""
    return spikeplug.reset_subtract(z, v, th)


# -- lift ---------------------------------------------------------------------------------


@attrs.frozen
class Lifted:
    """An activation applied at every step of a time-first input (made by :func:`lift`).

    ``lifted(inputs, **kwargs) -> (outputs (T, ...), final_state)``: ``p`` given to
    :func:`lift` is passed on unless the call gives its own; a ``state=`` keyword is the
    initial state (without one the activation builds its own on the first step, and an
    activation that needs one raises its ``TypeError``).
    """

    activation: Any
    p: Any = None

    def __call__(self, input_tensor: torch.Tensor, **kwargs: Any) -> tuple[torch.Tensor, Any]:
        if self.p is not None and "p" not in kwargs:
            kwargs["p"] = self.p
        state = kwargs.pop("state", None)
        outputs = []
        for x_t in input_tensor.unbind(0):
            out, state = self.activation(x_t, **kwargs) if state is None else self.activation(x_t, state=state, **kwargs)
            outputs.append(out)
        return torch.stack(outputs), state


def lift(activation: Any, p: Any = None) -> Lifted:
    """``activation(x, state=..., p=..., ...)`` lifted over time: see :class:`Lifted`."""
    if not callable(activation):
        raise TypeError(f"lift: activation must be callable, got {type(activation).__name__}: {activation!r}")
    return Lifted(activation, p)


for _f in (
    threshold, sign, heaviside, super_fn, triangle_fn, heavi_tanh_fn, heavi_circ_fn, heavi_erfc_fn,
    logistic_fn, circ_dist_fn, reset_value, reset_subtract, lift,
):
    _f.__module__ = FUNCTIONAL
Lifted.__module__ = FUNCTIONAL
