"""Population encoding (``population``): each value becomes the responses of ``K`` neurons
with evenly spaced preferred values.

For an input ``x`` of shape ``S`` and ``out_features = K``::

    c_k = k · scale / (K − 1),  k = 0 … K−1        centres: linspace(0, scale, K)
    d_k = distance_function(x, c_k) · scale        default (x − c_k)²
    y_k = kernel(d_k)                              default exp(−d / 2)   (Gaussian RBF, σ = 1)

The output has shape ``(*S, K)``: no time dimension, and graded values rather than spikes
(feed it to a spiking layer, or to another encoder). ``scale=None`` takes ``input.max()``
(of the whole input tensor, batch included) as the scale; an input without values (empty,
or on the ``meta`` device) has no maximum and gives an output without values, of the
right shape, dtype and device. As in the reference, distances are multiplied by ``scale``
and the centres start at 0 whatever the input's range.

Differences from Norse, on purpose:

* ``scale`` must be ``None`` or > 0: the reference treats ``scale=0`` like ``None``; here
  it is an error;
* with ``scale=None`` an input whose maximum is not > 0 (all centres would sit at 0 or
  below) raises :class:`spikeplug.InputValueError`; the reference returns a degenerate
  encoding;
* NaN and ±inf values raise :class:`spikeplug.InputValueError`: NaN gave NaN responses
  and an infinite maximum (``scale=None``) NaN centres;
* integer input is encoded as float32; ``out_features`` must be a positive int.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import torch

import spikeplug
from spikeplug import InputValueError, ParameterError, param, positive

from spikeplug.encoding import as_input, check_finite, check_fits, has_values, positive_int

__all__ = ["PopulationParameters", "population_encode", "gaussian_rbf", "euclidean_distance"]


@spikeplug.parameters
class PopulationParameters:
    """Parameters of the population encoder."""

    scale: float | None = param(
        None,
        unit="a.u.",
        doc="largest preferred value, and the factor on the distances; None: the input's maximum",
        validator=attrs.validators.optional(positive()),
    )


def euclidean_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared difference ``(x − y)²`` (the reference calls it the Euclidean distance)."""
    return (x - y).pow(2)


def gaussian_rbf(distance: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Gaussian radial basis function ``exp(−d / (2σ²))`` of a (squared) distance."""
    return torch.exp(-distance / (2.0 * sigma**2))


def population_encode(
    input_values: torch.Tensor,
    out_features: int,
    scale: float | None = None,
    kernel: Callable[[torch.Tensor], torch.Tensor] = gaussian_rbf,
    distance_function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = euclidean_distance,
) -> torch.Tensor:
    """Responses ``(*input.shape, out_features)`` of a population of ``out_features`` neurons.

    >>> population_encode(torch.tensor([0.0, 1.0]), 3)
    tensor([[1.0000, 0.8825, 0.6065],
            [0.6065, 0.8825, 1.0000]])
    """
    return encode(
        input_values,
        out_features,
        PopulationParameters(scale=scale),
        kernel,
        distance_function,
        owner="population_encode",
    )


def out_features_arg(value: Any, owner: str) -> int:
    return positive_int(value, owner=owner, name="out_features", meaning="neurons per input value")


def check_functions(kernel: Any, distance_function: Any, owner: str) -> None:
    for name, fn in (("kernel", kernel), ("distance_function", distance_function)):
        if not callable(fn):
            raise ParameterError(f"{owner}: {name} must be callable, got {fn!r}")


def encode(
    input_values: torch.Tensor,
    out_features: int,
    p: PopulationParameters,
    kernel: Callable[[torch.Tensor], torch.Tensor],
    distance_function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    owner: str,
    name: str = "input_values",
) -> torch.Tensor:
    """:func:`population_encode` with a parameter object (``owner`` names the caller and
    ``name`` its input argument in errors)."""
    K = out_features_arg(out_features, owner)
    check_functions(kernel, distance_function, owner)
    x = as_input(input_values, owner, name)
    check_finite(x, owner=owner, name=name)
    if p.scale is None:
        if not has_values(x):
            scale = 1.0  # an empty or meta input has no maximum, and its output no values: only a shape
        else:
            top = x.max().item()
            if not top > 0:  # also catches NaN
                raise InputValueError(
                    f"{owner}: with scale=None the scale is {name}.max(), which must be > 0 "
                    f"(the centres span [0, scale]); got {top!r}. Pass scale= explicitly"
                )
            scale = top
    else:
        scale = float(p.scale)
        check_fits(scale, x.dtype, owner=owner, what=f"scale={p.scale!r}")
    centres = torch.linspace(0.0, scale, K, dtype=x.dtype, device=x.device)   # (K,)
    xs = x.unsqueeze(-1).expand(*x.shape, K)                                   # (*S, K)
    cs = centres.expand(*x.shape, K)                                           # (*S, K)
    return kernel(distance_function(xs, cs) * scale)
