"""Shared test helpers: the reference cases produced by running Norse 1.1.0 / main."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

DATA = Path(__file__).parent / "data"


def load_reference() -> dict[str, Any]:
    """``norse-reference-cases.json`` (a copy of ``shared/reference``), fresh each call."""
    return json.loads((DATA / "norse-reference-cases.json").read_text())


@pytest.fixture
def reference() -> dict[str, Any]:
    """The reference cases: ``reference["forward"]["A_lif_ff_x1"]`` etc."""
    return load_reference()


def assert_close(actual: Any, expected: Any, atol: float = 1e-5, what: str = "") -> None:
    """Compare a tensor with reference values (rounded to 6 decimals in the JSON)."""
    actual = torch.as_tensor(actual, dtype=torch.float64)
    expected = torch.as_tensor(expected, dtype=torch.float64)
    assert actual.shape == expected.shape, f"{what}: shape {tuple(actual.shape)} != {tuple(expected.shape)}"
    diff = (actual - expected).abs().max().item() if actual.numel() else 0.0
    assert diff <= atol, f"{what}: max |diff| {diff:.3g} > {atol}\nactual={actual.tolist()}\nexpected={expected.tolist()}"
