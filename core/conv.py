"""Convolution over time-first input.

:class:`LConv2d` applies one 2-D convolution, with the same weights, at every time step of
an input ``(T, N, C, H, W)``. It is a ``torch.nn.Conv2d`` without bias: time is folded
into the batch (``(T·N, C, H, W)``), convolved once and unfolded, which is what a
per-step ``Conv2d`` computes, in one call.

The reference (Norse's ``LConv2d``) is a ``Conv3d`` with a ``(kh, kw, 1)`` kernel between
two permutes of the input; the results are the same. Its weight has a trailing singleton
dimension ``(out, in/groups, kh, kw, 1)``; :meth:`LConv2d.load_state_dict` accepts such a
weight and drops that dimension. Unlike the reference, ``padding="same"``/``"valid"``
work (as in ``Conv2d``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .errors import InputShapeError

__all__ = ["LConv2d"]


class LConv2d(nn.Conv2d):
    """A bias-free 2-D convolution applied at every time step of ``(T, N, C_in, H, W)``.

    Same arguments as the reference: ``LConv2d(in_channels, out_channels, kernel_size,
    stride=1, padding=0, dilation=1, groups=1, device=None, dtype=None)``; the weight has
    ``Conv2d``'s shape ``(out_channels, in_channels / groups, kh, kw)`` and initialisation
    (Kaiming-uniform with a = √5, the same distribution as the reference's ``Conv3d``).

    >>> conv = LConv2d(16, 33, (3, 5))
    >>> conv(torch.zeros(4, 2, 16, 10, 50)).shape
    torch.Size([4, 2, 33, 8, 46])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        device: Any = None,
        dtype: torch.dtype | None = None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=False,
            padding_mode="zeros",
            device=device,
            dtype=dtype,
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if not isinstance(input, torch.Tensor) or input.dim() != 5:
            got = f"shape {tuple(input.shape)}" if isinstance(input, torch.Tensor) else type(input).__name__
            raise InputShapeError(
                f"LConv2d: input must be time-first images of shape (T, N, C, H, W), got {got}; "
                "for a single step use torch.nn.Conv2d or add the time dimension with input.unsqueeze(0)"
            )
        T, N, C, H, W = input.shape
        if C != self.in_channels:
            raise InputShapeError(
                f"LConv2d: input has {C} channels (dimension 2 of shape {tuple(input.shape)}), "
                f"but in_channels={self.in_channels}"
            )
        y = super().forward(input.reshape(T * N, C, H, W))   # (T·N, C_out, H', W'): time folded into the batch
        return y.reshape(T, N, *y.shape[1:])                  # (T, N, C_out, H', W')

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any, **kwargs: Any) -> None:
        key = prefix + "weight"
        w = state_dict.get(key)
        if isinstance(w, torch.Tensor) and w.dim() == 5 and w.shape[-1] == 1:
            state_dict[key] = w[..., 0]  # the reference's Conv3d weight (out, in/groups, kh, kw, 1)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
