"""Population encoder module; equations and differences from the reference in :mod:`.model`."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from spikeplug.params import build_parameters

from spikeplug.encoding import given
from .model import PopulationParameters, check_functions, encode, euclidean_distance, gaussian_rbf, out_features_arg

__all__ = ["PopulationEncoder"]


class PopulationEncoder(nn.Module):
    """Values ``x`` to the responses ``(*x.shape, out_features)`` of a population of neurons
    with preferred values ``linspace(0, scale, out_features)``.

    >>> PopulationEncoder(3, scale=1.0)(torch.tensor([0.5]))
    tensor([[0.8825, 1.0000, 0.8825]])
    """

    def __init__(
        self,
        out_features: int,
        scale: float | None = None,
        kernel: Callable[[torch.Tensor], torch.Tensor] = gaussian_rbf,
        distance_function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = euclidean_distance,
        *,
        p: PopulationParameters | None = None,
    ):
        super().__init__()
        owner = type(self).__name__
        self.out_features = out_features_arg(out_features, owner)
        check_functions(kernel, distance_function, owner)
        self.p = build_parameters(PopulationParameters, p, given(scale=scale))
        self.kernel = kernel
        self.distance_function = distance_function

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return encode(
            x, self.out_features, self.p, self.kernel, self.distance_function, owner=type(self).__name__, name="x"
        )

    def extra_repr(self) -> str:
        return f"out_features={self.out_features}, p={self.p!r}"
