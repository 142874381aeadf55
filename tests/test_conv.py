"""LConv2d: a bias-free Conv2d applied at every time step of (T, N, C, H, W) input (norse-models.md §3)."""

from __future__ import annotations

import math

import pytest
import torch

import spikeplug
from spikeplug.conv import LConv2d


def test_reference_output_shape():
    """LConv2d(16, 33, (3, 5)) maps (T, 20, 16, 10, 50) to (T, 20, 33, 8, 46), the reference's spatial case."""
    conv = LConv2d(16, 33, (3, 5))
    assert conv(torch.randn(4, 20, 16, 10, 50)).shape == (4, 20, 33, 8, 46)


def test_equals_bias_free_conv2d_at_every_step():
    """The output at step t is Conv2d (same weight, no bias) of input[t], with stride, padding, dilation, groups."""
    torch.manual_seed(0)
    conv = LConv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)
    ref = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False)
    ref.weight.data.copy_(conv.weight.data)
    x = torch.randn(5, 3, 4, 9, 7)
    out = conv(x)
    assert conv.bias is None and conv.weight.shape == (6, 2, 3, 2)
    assert torch.allclose(out, torch.stack([ref(x_t) for x_t in x.unbind(0)]), atol=1e-6)


def test_gradients_reach_weight_and_input():
    """Backward flows to the weight and to every step of the input."""
    conv = LConv2d(2, 3, 3, padding=1)
    x = torch.randn(4, 2, 2, 5, 5, requires_grad=True)
    conv(x).sum().backward()
    assert conv.weight.grad is not None and bool((x.grad.abs().sum(dim=(1, 2, 3, 4)) > 0).all())


def test_initialisation_is_conv2d_kaiming_uniform():
    """Weights start kaiming-uniform (a=√5) as Conv2d: bounded by 1/sqrt(fan_in), fan_in = C_in/groups·kh·kw."""
    torch.manual_seed(1)
    w = LConv2d(8, 64, (3, 5)).weight
    bound = 1.0 / math.sqrt(8 * 3 * 5)
    assert w.abs().max() <= bound and w.abs().max() > 0.9 * bound


def test_loads_reference_conv3d_weight():
    """A state_dict holding the reference's Conv3d weight (out, in, kh, kw, 1) loads, dropping the last dimension."""
    conv = LConv2d(2, 3, (3, 3))
    w3d = torch.randn(3, 2, 3, 3, 1)
    conv.load_state_dict({"weight": w3d})
    assert torch.equal(conv.weight.data, w3d[..., 0])


def test_wrong_input_rank_or_channels():
    """A non-5-D input or a wrong channel count is an InputShapeError naming what was expected."""
    conv = LConv2d(3, 4, 3)
    with pytest.raises(spikeplug.InputShapeError, match=r"\(T, N, C, H, W\), got shape \(2, 3, 8, 8\)"):
        conv(torch.randn(2, 3, 8, 8))
    with pytest.raises(spikeplug.InputShapeError, match="input has 5 channels .* but in_channels=3"):
        conv(torch.randn(2, 1, 5, 8, 8))


def test_exported_from_spikeplug():
    """LConv2d is part of the top-level API."""
    assert spikeplug.LConv2d is LConv2d and "LConv2d" in spikeplug.__all__
