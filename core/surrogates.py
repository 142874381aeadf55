"""Spike thresholds with surrogate gradients.

Forward, every method is the strict Heaviside step: ``z = 1`` iff ``x > 0`` (no spike at
``v == v_th``), in the dtype of ``x``. Backward, the step's derivative (zero almost
everywhere) is replaced by a smooth *surrogate* ``dz/dx ≈ s(x; α)``.

A method is a :class:`Surrogate`: a name and a module-level derivative function, so it
pickles and ``torch.compile`` traces it. The six methods of the reference are defined
here and registered by the ``surrogates`` plugin (:mod:`spikeplug.plugins.builtin_surrogates`)
through the same hook a third-party plugin uses to add its own method; ``threshold``
looks a method name up in the registry.

================  ======================================  ====================
method            surrogate derivative s(x; α)            value at x = 0
================  ======================================  ====================
``heaviside``     none (spikes carry no gradient)         —
``super``         1 / (α·|x| + 1)²   (SuperSpike)          1
``triangle``      α · relu(1 − |x|)                        α
``tanh``          1 − tanh²(α·x)                           1
``circ``          α³ / (α² + x²)^{3/2}                     1
``heavi_erfc``    2·exp(−(α·x)²) / √π                      2/√π ≈ 1.128
================  ======================================  ====================

``super`` uses α as Norse does after its PR #403 (Norse 1.1.0 ignored α and used
1/(|x| + 1)²). No gradient flows to α.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
import torch

__all__ = [
    "Surrogate",
    "threshold",
    "get_surrogate",
    "surrogate_names",
    "BUILTIN_SURROGATES",
    "super_derivative",
    "triangle_derivative",
    "tanh_derivative",
    "circ_derivative",
    "heavi_erfc_derivative",
]

Derivative = Callable[[torch.Tensor, Any], torch.Tensor]


def super_derivative(x: torch.Tensor, alpha: Any) -> torch.Tensor:
    """SuperSpike: 1 / (α·|x| + 1)²."""
    return 1.0 / (alpha * x.abs() + 1.0) ** 2


def triangle_derivative(x: torch.Tensor, alpha: Any) -> torch.Tensor:
    """Triangle: α · relu(1 − |x|)."""
    return alpha * torch.relu(1.0 - x.abs())


def tanh_derivative(x: torch.Tensor, alpha: Any) -> torch.Tensor:
    """Derivative of tanh(α·x) without the factor α: 1 − tanh²(α·x)."""
    return 1.0 - torch.tanh(alpha * x) ** 2


def circ_derivative(x: torch.Tensor, alpha: Any) -> torch.Tensor:
    """Circular: α³ / (α² + x²)^{3/2} (equals 1 at x = 0)."""
    a2 = alpha * alpha
    return a2 * alpha / (a2 + x * x) ** 1.5


def heavi_erfc_derivative(x: torch.Tensor, alpha: Any) -> torch.Tensor:
    """Error-function step: 2·exp(−(α·x)²)/√π (no factor α)."""
    return (2.0 / math.sqrt(math.pi)) * torch.exp(-((alpha * x) ** 2))


class _SurrogateSpike(torch.autograd.Function):
    """Heaviside forward, ``grad · derivative(x, α)`` backward."""

    generate_vmap_rule = True  # forward and backward are plain tensor code: torch.func.vmap batches them

    @staticmethod
    def forward(x: torch.Tensor, alpha: Any, derivative: Derivative) -> torch.Tensor:
        return (x > 0).to(x.dtype)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
        x, alpha, derivative = inputs
        if isinstance(alpha, torch.Tensor):
            ctx.save_for_backward(x, alpha)
            ctx.alpha = None
        else:
            ctx.save_for_backward(x)
            ctx.alpha = alpha
        ctx.derivative = derivative

    @classmethod
    def apply(cls, x: torch.Tensor, alpha: Any, derivative: Derivative) -> torch.Tensor:  # type: ignore[override]
        # torch.autograd.Function.apply binds the arguments against forward's signature
        # (inspect.signature, tens of µs) on every call once setup_context is defined; forward
        # has no defaults to apply, so outside functorch transforms (which need setup_context:
        # torch.func, make_fx) the base apply is called directly. The eager loop calls this
        # once per step.
        if torch._C._are_functorch_transforms_active():
            return super().apply(x, alpha, derivative)
        return super(torch.autograd.Function, cls).apply(x, alpha, derivative)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, None]:
        if ctx.alpha is None:
            x, alpha = ctx.saved_tensors
            alpha = alpha.detach()
        else:
            (x,) = ctx.saved_tensors
            alpha = ctx.alpha
        return grad * ctx.derivative(x, alpha), None, None


@attrs.frozen
class Surrogate:
    """A named threshold method: Heaviside forward, ``derivative`` backward.

    :param name: snake_case name used as ``method=`` in parameter classes.
    :param derivative: module-level function ``(x, alpha) -> ds/dx`` or ``None`` for a
        plain step without gradient.
    :param summary: one line for ``spikeplug models``.
    """

    name: str
    derivative: Derivative | None
    summary: str = ""

    def __call__(self, x: torch.Tensor, alpha: Any) -> torch.Tensor:
        if self.derivative is None:
            return (x > 0).to(x.dtype)
        return _SurrogateSpike.apply(x, alpha, self.derivative)


BUILTIN_SURROGATES: tuple[Surrogate, ...] = (
    Surrogate("heaviside", None, "plain step, no gradient through spikes"),
    Surrogate("super", super_derivative, "SuperSpike 1/(α|x|+1)²"),
    Surrogate("triangle", triangle_derivative, "triangle α·relu(1−|x|)"),
    Surrogate("tanh", tanh_derivative, "1 − tanh²(αx)"),
    Surrogate("circ", circ_derivative, "α³/(α²+x²)^{3/2}"),
    Surrogate("heavi_erfc", heavi_erfc_derivative, "2·exp(−(αx)²)/√π"),
)


def get_surrogate(method: str | Surrogate) -> Surrogate:
    """The :class:`Surrogate` registered under ``method`` (plugins included)."""
    if isinstance(method, Surrogate):
        return method
    from spikeplug.plugins import get_registry  # lazy: the core never imports plugins at import

    return get_registry().surrogate(method)


def surrogate_names() -> list[str]:
    """Names of every registered surrogate method."""
    from spikeplug.plugins import get_registry

    return get_registry().names(kind="surrogate")


def threshold(x: torch.Tensor, method: str | Surrogate = "super", alpha: Any = 100.0) -> torch.Tensor:
    """Spikes ``Θ(x)`` (strict: 0 at x == 0) with the surrogate gradient of ``method``.

    >>> import torch, spikeplug
    >>> spikeplug.threshold(torch.tensor([-0.5, 0.0, 0.5]), "super", 100.0)
    tensor([0., 0., 1.])
    """
    return get_surrogate(method)(x, alpha)
