"""Fuzzing every registered neuron model's parameters and forward inputs (issue 8).

Models come from the registry, so a third-party model (the example ``qif``) is fuzzed like
the builtins. For each model and form, hypothesis draws parameter overrides (plausible
values, NaN, ±inf, zero, negatives, huge floats, numpy scalars, strings, and tensors of
fitting and misfitting shapes and dtypes) and inputs (shapes, dtypes, non-finite values).
The property a user relies on: every call either

* returns outputs of the input's shape (the layer's time-first shape, the recurrent
  cell's ``(*B, hidden)``) in the input's floating dtype, with every state field of the
  population's shape and that dtype, or
* raises a spikeplug error (:class:`spikeplug.SpikeplugError`) whose message names the
  offending argument: the parameter's name, or ``input``/``inputs``.

Never a bare ``RuntimeError`` from torch's internals, a silent broadcast or a silent
change of dtype. Bounded (a few dozen examples per model and form, no deadline) and
derandomized, so CI stays fast and repeatable.
"""

from __future__ import annotations

import math
import warnings

import attrs
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spikeplug
from spikeplug.plugins.specs import resolve_reference

FORMS = ("cell", "layer", "recurrent_cell")
N = 3
HIDDEN = 3
INPUT = 2

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _cases() -> list[tuple[str, str]]:
    registry = spikeplug.registry
    cases = []
    for name in registry.names(kind="neuron"):
        factory = registry.factory(name)
        for form in FORMS:
            if form in getattr(factory, "forms", ()):
                cases.append((name, form))
    return cases


def _numeric_fields(name: str) -> list[attrs.Attribute]:
    cls = resolve_reference(spikeplug.registry.get(name).spec.parameters, name)
    return [f for f in attrs.fields(cls) if isinstance(f.default, float) and f.name != "dt"]


def _value(draw, default: float):
    """A value for a numeric field: plausible, hostile, or of an odd type or shape."""
    kind = draw(st.sampled_from(
        ["scaled", "scaled", "nan", "inf", "-inf", "zero", "negative", "huge", "numpy", "string",
         "tensor0", "tensorN", "tensorN1", "tensor64", "tensorint", "tensorbool", "tensor2N"]
    ))
    scale = draw(st.floats(0.5, 1.5))
    base = default * scale if default else scale - 1.0
    return kind, {
        "scaled": base,
        "nan": math.nan,
        "inf": math.inf,
        "-inf": -math.inf,
        "zero": 0.0,
        "negative": -abs(base) - 1.0,
        "huge": 1e300,
        "numpy": np.float32(base),
        "string": "1.0",
        "tensor0": torch.tensor(base),
        "tensorN": torch.full((N,), base),
        "tensorN1": torch.full((N, 1), base),
        "tensor64": torch.full((N,), base, dtype=torch.float64),
        "tensorint": torch.full((N,), round(base), dtype=torch.int64),
        "tensorbool": torch.ones(N, dtype=torch.bool),
        "tensor2N": torch.full((2, N), base),
    }[kind]


@st.composite
def _overrides(draw, name: str):
    fields = _numeric_fields(name)
    chosen = draw(st.lists(st.sampled_from(fields), max_size=3, unique_by=lambda f: f.name)) if fields else []
    return {f.name: _value(draw, f.default)[1] for f in chosen}


@st.composite
def _inputs(draw, form: str):
    dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool]))
    features = INPUT if form == "recurrent_cell" else N
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    shape = (*batch, features)
    if form == "layer":
        shape = (draw(st.integers(1, 4)), *shape)
    special = draw(st.sampled_from(["none", "nan", "inf", "-inf", "big"]))
    x = torch.rand(shape, generator=torch.Generator().manual_seed(draw(st.integers(0, 99)))) * 3
    if dtype == torch.bool:
        return x > 1.5
    if special != "none" and x.numel():
        x.view(-1)[0] = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "big": 1e30}[special]
    return x.to(dtype) if dtype != torch.int64 else x.nan_to_num(0.0, 0.0, 0.0).to(dtype)


def _names_argument(err: Exception, overrides: dict, *, forward: bool) -> bool:
    message = str(err)
    if any(name in message for name in overrides):
        return True
    return forward and ("input" in message or "state" in message)


def _build(name: str, form: str, overrides: dict):
    kwargs = {"input_size": INPUT, "hidden_size": HIDDEN} if form == "recurrent_cell" else {}
    return spikeplug.create(name, form=form, **kwargs, **overrides)


@pytest.mark.parametrize("name, form", _cases())
def test_every_model_gives_a_correct_result_or_a_clear_error(name, form):
    """Issue 8 acceptance: fuzzed parameters and inputs give outputs of the input's shape
    and floating dtype (states likewise), or a spikeplug error naming the argument."""

    @SETTINGS
    @given(overrides=_overrides(name), x=_inputs(form))
    def run(overrides, x):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # StabilityWarning for legal but unstable values is expected here
            try:
                module = _build(name, form, overrides)
            except spikeplug.SpikeplugError as err:
                assert _names_argument(err, overrides, forward=False), f"construction error names no argument: {err}"
                return
            try:
                out, state = module(x)
            except spikeplug.SpikeplugError as err:
                assert _names_argument(err, overrides, forward=True), f"forward error names no argument: {err}"
                return
        dtype = x.dtype if x.is_floating_point() else torch.float32
        population = (*x.shape[:-1], HIDDEN) if form == "recurrent_cell" else tuple(x.shape)
        state_shape = population[1:] if form == "layer" else population
        assert tuple(out.shape) == population, f"output {tuple(out.shape)} for input {tuple(x.shape)}"
        assert out.dtype == dtype, f"output dtype {out.dtype} for input {x.dtype}"
        for field, value in zip(state._fields, state):
            assert tuple(value.shape) == state_shape, f"state.{field} {tuple(value.shape)} for input {tuple(x.shape)}"
            assert value.dtype == dtype, f"state.{field} dtype {value.dtype} for input {x.dtype}"

    run()
