"""Builtin encoders: reference regressions (norse-models.md §2), shapes, dtypes, registry, errors."""

from __future__ import annotations

import pickle
import re
import types

import numpy as np
import pytest
import torch

import spikeplug
from spikeplug.encoding import RateParameters, positive_int, spike_probability
from spikeplug.encoders_builtin.constant_current_lif import ConstantCurrentLIFEncoder, constant_current_lif_encode
from spikeplug.encoders_builtin.poisson import PoissonEncoder, PoissonEncoderStep, poisson_encode, poisson_encode_step
from spikeplug.encoders_builtin.population import PopulationEncoder, population_encode
from spikeplug.encoders_builtin.signed_poisson import (
    SignedPoissonEncoder,
    SignedPoissonEncoderStep,
    signed_poisson_encode,
    signed_poisson_encode_step,
)
from spikeplug.encoders_builtin.spike_latency import (
    SpikeLatencyEncoder,
    SpikeLatencyLIFEncoder,
    spike_latency_encode,
    spike_latency_lif_encode,
)
from spikeplug.neurons_builtin.lif import LIFParameters

from conftest import assert_close
from encoder_contract import bare, default_kwargs, encoder_names, expected_shape

CURRENTS = torch.tensor([2.0, 4.0, 8.0, 16.0])


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------ registry
def test_every_encoder_is_registered_by_its_plugin():
    """The eight encoder names are registered, each by the plugin (entry point) of its package."""
    expected = {
        "constant_current_lif": "constant_current_lif",
        "poisson": "poisson",
        "poisson_step": "poisson",
        "signed_poisson": "signed_poisson",
        "signed_poisson_step": "signed_poisson",
        "population": "population",
        "spike_latency": "spike_latency",
        "spike_latency_lif": "spike_latency",
    }
    entries = {e.name: e for e in spikeplug.registry.entries(kind="encoder")}
    for name, plugin in expected.items():
        assert entries[name].plugin == plugin and entries[name].distribution == "spikeplug", name


def test_create_by_name_gives_the_module_classes():
    """spikeplug.create builds each encoder from its registry name with the reference's arguments."""
    made = {
        "constant_current_lif": (ConstantCurrentLIFEncoder, dict(seq_length=4)),
        "poisson": (PoissonEncoder, dict(seq_length=4, f_max=50.0)),
        "poisson_step": (PoissonEncoderStep, {}),
        "signed_poisson": (SignedPoissonEncoder, dict(seq_length=4)),
        "signed_poisson_step": (SignedPoissonEncoderStep, {}),
        "population": (PopulationEncoder, dict(out_features=5)),
        "spike_latency": (SpikeLatencyEncoder, {}),
        "spike_latency_lif": (SpikeLatencyLIFEncoder, dict(seq_length=4)),
    }
    for name, (cls, kwargs) in made.items():
        assert type(spikeplug.create(name, **kwargs)) is cls, name


def test_describe_shows_encoder_parameters_with_units():
    """describe lists an encoder's parameters with unit and default (f_max in Hz, 100 / 1000 for the step form)."""
    params = {p.name: p for p in spikeplug.describe("poisson").parameters}
    assert params["f_max"].unit == "Hz" and params["f_max"].default == 100.0 and params["dt"].unit == "s"
    assert {p.name: p.default for p in spikeplug.describe("poisson_step").parameters}["f_max"] == 1000.0
    assert "tau_mem_inv" in {p.name for p in spikeplug.describe("constant_current_lif").parameters}


# ------------------------------------------------------------------ constant current LIF
def test_constant_current_rows_match_reference(reference):
    """constant_current_lif_encode([2,4,8,16], 5) gives the reference's spike rows (case M_constant_current)."""
    expected = torch.tensor(reference["forward"]["M_constant_current"]).reshape(5, 4)
    assert torch.equal(constant_current_lif_encode(CURRENTS, 5), expected)
    assert torch.equal(ConstantCurrentLIFEncoder(5)(CURRENTS), expected)
    assert torch.equal(spikeplug.create("constant_current_lif", seq_length=5)(CURRENTS), expected)


def test_constant_current_first_spike_matches_lif_current_encoder(reference):
    """A current of 1.5 first reaches threshold at step 11 and then restarts from v_reset (case N)."""
    expected = reference["forward"]["N_lif_current_encoder_x1.5"]["z"]
    assert_close(constant_current_lif_encode(torch.tensor([1.5]), 12)[:, 0], expected, what="z")


def test_constant_current_extremes():
    """Zero current never spikes; a huge current spikes at every step (the reference test's two limits)."""
    assert constant_current_lif_encode(torch.zeros(3, 4), 10).sum() == 0
    assert torch.equal(constant_current_lif_encode(torch.full((3, 4), 1e4), 10), torch.ones(10, 3, 4))


def test_constant_current_starts_at_zero_not_v_leak():
    """v starts at 0 (as the reference), not at v_leak: with v_leak 0.9 and I 0.2, v = 1.1·(1 − 0.9^t)
    first exceeds 1 at t = 23 (from v_leak it would be t = 7)."""
    z = constant_current_lif_encode(torch.tensor([0.2]), 30, v_leak=0.9)
    assert int(z[:, 0].argmax()) + 1 == 23


def test_lif_encoders_take_lif_parameters_and_the_registry_step():
    """LIF encoders take LIFParameters as p= and keyword overrides (dt too), and run a LIF cell from the registry."""
    enc = ConstantCurrentLIFEncoder(8, LIFParameters(v_th=2.0), dt=0.002)
    assert enc.p.v_th == 2.0 and enc.p.dt == 0.002
    assert isinstance(enc.neuron, spikeplug.registry.factory("lif").cell)
    # doubled dt doubles the gain per step: I = 4 spikes at step 2 (0.8, then 0.8·0.8 + 0.8 = 1.44 > 1)
    assert torch.equal(ConstantCurrentLIFEncoder(2, dt=0.002)(torch.tensor([4.0]))[:, 0], torch.tensor([0.0, 1.0]))
    slow = constant_current_lif_encode(torch.tensor([4.0]), 3, tau_mem_inv=10.0)
    assert slow.sum() == 0  # gain 0.01 per step: v = 0.04, 0.0796, ...


def test_lif_encoder_gradient_flows_through_surrogate():
    """Spikes of the LIF encoders carry the surrogate gradient back to the input current."""
    current = torch.tensor([0.9, 1.5, 3.0], requires_grad=True)
    constant_current_lif_encode(current, 12).sum().backward()
    assert current.grad is not None and bool((current.grad > 0).all())


# ------------------------------------------------------------------ spike latency
def test_spike_latency_lif_rows_match_reference(reference):
    """spike_latency_lif_encode([2,4,8,16], 5) keeps each neuron's first spike only (case M_spike_latency_lif)."""
    expected = torch.tensor(reference["forward"]["M_spike_latency_lif"]).reshape(5, 4)
    assert torch.equal(spike_latency_lif_encode(CURRENTS, 5), expected)
    assert torch.equal(SpikeLatencyLIFEncoder(5)(CURRENTS), expected)


def test_spike_latency_lif_one_spike_per_neuron():
    """Every neuron whose current reaches threshold spikes exactly once."""
    z = SpikeLatencyLIFEncoder(50)(torch.linspace(1.5, 30.0, 20).reshape(4, 5))
    assert torch.equal(z.sum(0), torch.ones(4, 5))


def test_spike_latency_encode_keeps_first_spike():
    """spike_latency_encode zeroes everything after an element's first non-zero value; shape and
    floating dtype kept, bool spikes become float32."""
    x = torch.tensor([[0, 1, 0], [1, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=torch.float64)
    expected = torch.tensor([[0, 1, 0], [1, 0, 0], [0, 0, 0], [0, 0, 1]], dtype=torch.float64)
    out = spike_latency_encode(x)
    assert torch.equal(out, expected) and out.dtype == torch.float64
    assert torch.equal(SpikeLatencyEncoder()(x.bool()), expected.float())
    assert torch.equal(spike_latency_encode(torch.tensor([[0.0], [2.0], [3.0]])), torch.tensor([[0.0], [2.0], [0.0]]))


def test_spike_latency_encode_rejects_negative_values():
    """Negative values have no first-spike meaning: the error names the argument, the value and the range."""
    expected = r"input_spikes must be spikes or spike counts \(finite values >= 0\); got -1.0"
    with pytest.raises(spikeplug.InputValueError, match=expected):
        spike_latency_encode(torch.tensor([[0.0, -1.0]]))
    with pytest.raises(spikeplug.InputShapeError, match="time-first"):
        SpikeLatencyEncoder()(torch.tensor(1.0))


# ------------------------------------------------------------------ population
@pytest.mark.parametrize(
    ("case", "values", "k", "scale"),
    [
        ("M_population_0_05_1_k3", [0.0, 0.5, 1.0], 3, None),
        ("M_population_0_1_2_k5", [0.0, 1.0, 2.0], 5, None),
        ("M_population_scale2_k4", [0.0, 1.0], 4, 2.0),
    ],
)
def test_population_matrices_match_reference(reference, case, values, k, scale):
    """population_encode gives the reference's Gaussian tuning matrices (distances times scale)."""
    expected = torch.tensor(reference["forward"][case]).reshape(len(values), k)
    x = torch.tensor(values)
    assert_close(population_encode(x, k, scale=scale), expected, what=case)
    assert_close(PopulationEncoder(k, scale=scale)(x), expected, what=case)


def test_population_explicit_scale_hand_values():
    """population_encode([0, 2], 3) (scale = max = 2) is [[1, e^-1, e^-4], [e^-4, e^-1, 1]]."""
    e = torch.exp(torch.tensor([0.0, -1.0, -4.0]))
    assert_close(population_encode(torch.tensor([0.0, 2.0]), 3), torch.stack([e, e.flip(0)]))


@pytest.mark.parametrize("shape", [(3, 4), (10, 2, 3)])
def test_population_output_shape(shape):
    """The population axis is appended last: (*S) -> (*S, out_features), no time dimension."""
    assert PopulationEncoder(8, scale=1.0)(torch.rand(shape)).shape == (*shape, 8)


def test_population_of_an_empty_input_is_empty():
    """An empty input has no maximum, but with scale=None its encoding is still defined: an
    empty output of shape (*S, K) (it used to raise InputShapeError, unlike every other encoder)."""
    y = population_encode(torch.empty(0, 5, dtype=torch.float64), 3)
    assert y.shape == (0, 5, 3) and y.dtype == torch.float64
    assert PopulationEncoder(3)(torch.empty(2, 0, dtype=torch.int64)).shape == (2, 0, 3)


def test_population_errors_name_the_argument_of_the_caller():
    """The module's errors name its forward argument x; the function's name input_values."""
    with pytest.raises(spikeplug.InputValueError, match=r"PopulationEncoder: .* scale is x.max\(\), .*got 0.0"):
        PopulationEncoder(3)(torch.zeros(4))
    with pytest.raises(spikeplug.InputValueError, match=r"population_encode: .* scale is input_values.max\(\)"):
        population_encode(torch.zeros(4), 3)


def test_population_bad_arguments():
    """scale must be None or > 0; scale=None needs a positive input maximum; out_features a positive int."""
    with pytest.raises(spikeplug.ParameterError, match=r"PopulationParameters.scale must be finite and > 0, got 0"):
        PopulationEncoder(3, scale=0.0)
    with pytest.raises(spikeplug.InputValueError, match=r"input_values.max\(\), which must be > 0.*got 0.0"):
        population_encode(torch.zeros(4), 3)
    with pytest.raises(spikeplug.ParameterError, match="out_features must be a positive int .* got 0"):
        population_encode(torch.ones(2), 0)


# ------------------------------------------------------------------ Poisson
def test_poisson_seeded_is_bit_exact(reference):
    """With Generator().manual_seed(0), poisson_encode([0, .5, 1], 5, f_max=1000) equals the reference (M_poisson_seed0)
    and is rand(5, 3) < x with the same generator (M_rand_seed0_same_shape)."""
    x = torch.tensor([0.0, 0.5, 1.0])
    expected = torch.tensor(reference["forward"]["M_poisson_seed0"]).reshape(5, 3)
    assert torch.equal(poisson_encode(x, 5, f_max=1000.0, generator=seeded()), expected)
    assert torch.equal(PoissonEncoder(5, f_max=1000.0, generator=seeded())(x), expected)
    assert torch.equal(PoissonEncoder(5, 1000.0)(x, generator=seeded()), expected)
    u = torch.rand(5, 3, generator=seeded())
    assert_close(u.reshape(-1), reference["forward"]["M_rand_seed0_same_shape"])
    assert torch.equal((u < x).float(), expected)


def test_poisson_step_draws_one_step():
    """The step form draws rand(*x.shape) once per call, with f_max 1000 Hz by default."""
    x = torch.tensor([[0.2, 0.9], [0.0, 1.0]])
    expected = (torch.rand(2, 2, generator=seeded(3)) < x).float()
    assert torch.equal(poisson_encode_step(x, generator=seeded(3)), expected)
    assert torch.equal(PoissonEncoderStep(generator=seeded(3))(x), expected)
    assert PoissonEncoderStep().p.f_max == 1000.0 and PoissonEncoder(3).p.f_max == 100.0


def test_poisson_rate():
    """The spike probability per step is dt·f_max·x: 0.25 with x = 0.5, f_max 500 Hz, dt 1 ms."""
    z = poisson_encode(torch.full((200,), 0.5), 100, f_max=500.0, generator=seeded(1))
    assert abs(z.mean().item() - 0.25) < 0.01


def test_signed_poisson_is_sign_times_poisson_of_magnitude():
    """signed_poisson_encode(x) = sign(x)·poisson_encode(|x|) draw for draw; values in {-1, 0, 1}."""
    x = torch.tensor([[-1.0, -0.3, 0.0, 0.4, 1.0]])
    z = signed_poisson_encode(x, 6, f_max=1000.0, generator=seeded(2))
    assert torch.equal(z, torch.sign(x) * poisson_encode(x.abs(), 6, f_max=1000.0, generator=seeded(2)))
    assert set(z.unique().tolist()) <= {-1.0, 0.0, 1.0} and z.shape == (6, 1, 5)
    assert torch.equal(SignedPoissonEncoder(6, 1000.0, generator=seeded(2))(x), z)
    step = signed_poisson_encode_step(x, generator=seeded(2))
    assert torch.equal(step, SignedPoissonEncoderStep(generator=seeded(2))(x)) and step.shape == x.shape


def test_random_encoders_differ_without_seed_and_repeat_with_seed():
    """Unseeded draws differ from call to call; the same seed repeats the same spikes."""
    x = torch.full((64,), 0.5)
    enc = PoissonEncoder(20, f_max=1000.0)
    assert not torch.equal(enc(x), enc(x))
    assert torch.equal(enc(x, generator=seeded(5)), enc(x, generator=seeded(5)))


@pytest.mark.parametrize(
    "make",
    [
        lambda x: poisson_encode(x, 3, f_max=1000.0),
        lambda x: signed_poisson_encode(x, 3),
        lambda x: constant_current_lif_encode(x, 3),
        lambda x: spike_latency_lif_encode(x, 3),
    ],
    ids=["poisson", "signed_poisson", "constant_current_lif", "spike_latency_lif"],
)
def test_sequence_encoders_shape_and_dtype(make):
    """Sequence encoders put time first, (seq_length, *S), in the input's floating dtype (float32 for ints)."""
    x = torch.rand(2, 3, 4)
    assert make(x).shape == (3, 2, 3, 4) and make(x).dtype == torch.float32
    assert make(x.double()).dtype == torch.float64
    assert make(torch.zeros(2, 3, dtype=torch.int64)).dtype == torch.float32


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
@pytest.mark.parametrize(
    ("dtype", "expected"),
    [(torch.bool, torch.float32), (torch.int64, torch.float32), (torch.float64, torch.float64)],
    ids=["bool", "int64", "float64"],
)
def test_every_encoder_gives_the_floating_dtype(name, dtype, expected):
    """Every registered encoder gives float32 for bool and integer input and keeps a floating
    input's dtype (spike_latency used to keep int64 and bool)."""
    kwargs = default_kwargs(name)
    x = torch.ones(2, 3, dtype=dtype)  # a valid input for every encoder: rates, currents, spikes, values
    y = spikeplug.create(name, **kwargs)(x)
    assert y.dtype == expected and y.shape == expected_shape(name, kwargs, (2, 3)), (y.dtype, y.shape)


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.uint8], ids=str)
def test_spike_latency_encode_gives_float32_for_integer_spikes(dtype):
    """The functional spike_latency_encode, like the module, turns bool/integer spike trains into float32."""
    x = torch.tensor([[0, 1], [1, 1]], dtype=dtype)
    out = spike_latency_encode(x)
    assert out.dtype == torch.float32 and torch.equal(out, torch.tensor([[0.0, 1.0], [1.0, 0.0]]))


#: encoders whose input has no meaning without a dimension (spike trains need a time axis)
NEEDS_A_DIMENSION = {"spike_latency:spike_latency": "input_spikes must be time-first, shape \\(T, ...\\), got a 0-dim"}


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
def test_every_encoder_takes_a_0d_input_or_says_why_not(name):
    """A 0-d input (one value) is encoded as a one-element input would be, in the contract's
    shape ((T,) for sequence encoders, () for step encoders, (K,) for population); only an
    encoder whose input must have a time axis raises InputShapeError. poisson_step and
    signed_poisson_step used to crash inside torch.rand."""
    kwargs = default_kwargs(name)
    encoder = spikeplug.create(name, **kwargs)
    x = torch.tensor(1.0)
    if name in NEEDS_A_DIMENSION:
        with pytest.raises(spikeplug.InputShapeError, match=NEEDS_A_DIMENSION[name]):
            encoder(x)
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        y = encoder(x)
        torch.manual_seed(0)
        one = encoder(x.reshape(1))  # the same draws: a 1-element input is the 0-d one with a unit dim
    assert y.shape == expected_shape(name, kwargs, ()), y.shape
    assert torch.equal(y, one.reshape(y.shape))


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
@pytest.mark.parametrize(
    ("dtype", "expected"), [(torch.float64, torch.float64), (torch.int64, torch.float32)], ids=["float64", "int64"]
)
def test_every_encoder_infers_shapes_on_the_meta_device(name, dtype, expected):
    """Every encoder runs on a meta input (shapes without values) and gives the contract's shape,
    floating dtype and the meta device: value checks are skipped there instead of calling
    .item() (poisson and population used to fail with "Tensor.item() cannot be called on meta tensors")."""
    kwargs = default_kwargs(name)
    x = torch.empty(2, 3, dtype=dtype, device="meta")
    y = spikeplug.create(name, **kwargs)(x)
    assert (y.shape, y.dtype, y.device.type) == (expected_shape(name, kwargs, (2, 3)), expected, "meta")


def test_meta_inputs_skip_only_value_checks():
    """On meta, checks of values are skipped but checks of arguments and shapes still run."""
    meta = torch.empty(4, device="meta")
    assert population_encode(meta, 3, scale=2.0).shape == (4, 3)
    with pytest.raises(spikeplug.InputShapeError, match="0-dim"):
        spike_latency_encode(torch.empty((), device="meta"))
    assert population_encode(torch.empty(0, device="meta"), 3).shape == (0, 3)
    with pytest.raises(spikeplug.ParameterError, match="seq_length must be a positive int"):
        poisson_encode(meta, 0)


def test_step_encoders_0d_values():
    """A 0-d rate at the top of the range spikes with its sign at every call, shape ()."""
    assert torch.equal(poisson_encode_step(torch.tensor(1.0)), torch.tensor(1.0))
    assert torch.equal(PoissonEncoderStep()(torch.tensor(0)), torch.tensor(0.0))
    assert torch.equal(signed_poisson_encode_step(torch.tensor(-1.0)), torch.tensor(-1.0))
    assert torch.equal(SignedPoissonEncoderStep()(torch.tensor(1.0, dtype=torch.float64)), torch.tensor(1.0).double())


def test_poisson_rejects_rates_outside_range():
    """Rates whose probability dt·f_max·x leaves [0, 1] are errors naming x, the value and the valid range."""
    with pytest.raises(spikeplug.InputValueError, match=r"x must be in \[0, 10\].*got -0.5 \(1 of 3 elements outside"):
        poisson_encode(torch.tensor([0.0, -0.5, 1.0]), 4)
    with pytest.raises(spikeplug.InputValueError, match=r"PoissonEncoder: x must be in \[0, 1\].*=1000 Hz.*got 1.5"):
        PoissonEncoder(4, f_max=1000.0)(torch.tensor([1.5, 0.2]))
    with pytest.raises(spikeplug.InputValueError, match="got nan"):
        poisson_encode_step(torch.tensor([float("nan")]))
    with pytest.raises(spikeplug.InputValueError, match=r"x must be in \[-1, 1\].*\|x\|.*got -2.0"):
        SignedPoissonEncoder(4, f_max=1000.0)(torch.tensor([-2.0, 0.5]))
    assert poisson_encode(torch.tensor([1.0]), 4, f_max=1000.0).sum() == 4  # the edge x = 1/(dt·f_max) is valid


def test_encoder_parameters_are_validated():
    """seq_length, f_max, dt and generator are checked on construction, naming the argument and value."""
    with pytest.raises(spikeplug.ParameterError, match=r"PoissonEncoder: seq_length must be a positive int .*got 0"):
        PoissonEncoder(0)
    with pytest.raises(spikeplug.ParameterError, match="seq_length must be a positive int .*got True"):
        ConstantCurrentLIFEncoder(True)
    with pytest.raises(spikeplug.ParameterError, match=r"RateParameters.f_max must be finite and > 0, got -5.0"):
        SignedPoissonEncoder(3, f_max=-5.0)
    with pytest.raises(spikeplug.ParameterError, match=r"RateStepParameters.dt must be finite and > 0, got 0.0"):
        poisson_encode_step(torch.ones(1), dt=0.0)
    with pytest.raises(spikeplug.ParameterError, match=r"generator must be a torch.Generator or None, got 0 \(int\)"):
        PoissonEncoder(3, generator=0)
    with pytest.raises(spikeplug.ParameterError, match=r"LIFParameters.tau_mem_inv must be finite and > 0"):
        SpikeLatencyLIFEncoder(3, tau_mem_inv=-1.0)
    with pytest.raises(spikeplug.ParameterError, match="has no parameter 'tau_memm_inv'. Did you mean 'tau_mem_inv'"):
        ConstantCurrentLIFEncoder(3, tau_memm_inv=50.0)
    assert PoissonEncoder(3, p=RateParameters(f_max=50.0)).p.f_max == 50.0


@pytest.mark.parametrize("value", [np.int64(8), np.int32(8), np.uint8(8), torch.tensor(8)], ids=repr)
def test_positive_int_takes_numpy_integers(value):
    """seq_length and out_features accept NumPy integers (and 0-d integer tensors) as they accept
    an int, and store a Python int."""
    n = positive_int(value, owner="E", name="seq_length", meaning="steps")
    assert n == 8 and type(n) is int
    enc = spikeplug.create("poisson", seq_length=value)
    assert enc.seq_length == 8 and type(enc.seq_length) is int and enc(torch.zeros(2)).shape == (8, 2)
    assert spikeplug.create("constant_current_lif", seq_length=value)(torch.zeros(2)).shape == (8, 2)
    assert spikeplug.create("population", out_features=value, scale=1.0)(torch.zeros(2)).shape == (2, 8)


@pytest.mark.parametrize("value", [np.float64(8.0), np.bool_(True), np.int64(0), np.int64(-3), 8.0, "8"], ids=repr)
def test_positive_int_rejects_what_is_not_a_positive_integer(value):
    """A NumPy float (even 8.0), a NumPy bool or a non-positive NumPy integer is rejected like its
    Python counterpart, naming the argument and the value."""
    expected = rf"seq_length must be a positive int .*got {re.escape(repr(value))}"
    with pytest.raises(spikeplug.ParameterError, match=expected):
        spikeplug.create("signed_poisson", seq_length=value)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_spike_probability_reads_numpy_scalars_as_python_numbers(dtype):
    """dt·f_max from NumPy scalars is computed as from the Python numbers they hold: with
    np.float16(50.0) NumPy's promotion kept float16 (0.05 became 0.050018) and rejected
    x = 20 = 1/(dt·f_max). The parameters are a stand-in object, so the check does not
    depend on which numbers the parameter validators accept."""
    p = types.SimpleNamespace(dt=dtype(0.0009765625), f_max=dtype(64.0))  # dt·f_max = 1/16, exact in float16
    x = torch.tensor([0.0, 8.0, 16.0], dtype=torch.float64)
    prob = spike_probability(x, p, owner="E", name="x")
    assert torch.equal(prob, torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    q = types.SimpleNamespace(dt=0.001, f_max=dtype(50.0))
    edge = torch.tensor([20.0], dtype=torch.float64)  # 1 / (dt·f_max)
    assert spike_probability(edge, q, owner="E", name="x").item() == pytest.approx(1.0)


def test_encoder_parameter_fields_take_numpy_floats():
    """f_max, dt and scale given as NumPy float32 work as the Python floats they hold."""
    x = torch.linspace(0.0, 20.0, 5, dtype=torch.float64)
    a = spikeplug.create("poisson", seq_length=np.int64(8), f_max=np.float32(50.0), dt=np.float32(0.001))
    b = spikeplug.create("poisson", seq_length=8, f_max=50.0, dt=float(np.float32(0.001)))
    assert torch.equal(a(x, generator=seeded(4)), b(x, generator=seeded(4)))
    assert spikeplug.create("poisson_step", f_max=np.float32(500.0))(torch.ones(3)).shape == (3,)
    assert spikeplug.create("signed_poisson_step", f_max=np.float16(500.0))(-torch.ones(3)).shape == (3,)
    enc = spikeplug.create("population", out_features=np.int64(3), scale=np.float32(2.0))
    assert_close(enc(torch.tensor([0.0, 2.0])), population_encode(torch.tensor([0.0, 2.0]), 3, scale=2.0))
    lif = spikeplug.create(
        "spike_latency_lif", seq_length=np.int64(5), v_th=np.float32(1.0), tau_mem_inv=np.float32(100.0)
    )
    assert torch.equal(lif(CURRENTS), spike_latency_lif_encode(CURRENTS, 5))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=str)
@pytest.mark.parametrize(
    ("encode", "message"),
    [
        (lambda x: constant_current_lif_encode(x, 3), "input_current must be finite currents"),
        (lambda x: SpikeLatencyLIFEncoder(3)(x), "input_current must be finite currents"),
        (lambda x: population_encode(x, 3, scale=1.0), "input_values must be finite values"),
        (lambda x: PopulationEncoder(3)(x), "PopulationEncoder: x must be finite values"),
        (lambda x: spike_latency_encode(x.reshape(2, 1)), r"input_spikes must be spikes or spike counts \(finite"),
    ],
    ids=["constant_current_lif", "spike_latency_lif", "population_encode", "PopulationEncoder", "spike_latency"],
)
def test_non_finite_inputs_are_rejected(encode, message, bad):
    """NaN and ±inf are errors naming the input and the value (found by fuzzing): the LIF encoders
    gave no spike for NaN (and one, then none, for +inf), population gave NaN or 0 responses and
    NaN centres for an infinite maximum, spike_latency passed +inf through as a spike count."""
    x = torch.tensor([0.5, bad])
    with pytest.raises(spikeplug.InputValueError, match=rf"{message}.*got {bad}"):
        encode(x)


@pytest.mark.parametrize(
    ("encode", "message"),
    [
        (lambda x: population_encode(x, 3, scale=1e300), r"population_encode: scale=1e\+300 is beyond the range"),
        (lambda x: PopulationEncoder(1, scale=1e300)(x), r"PopulationEncoder: scale=1e\+300 is beyond the range"),
        (lambda x: poisson_encode(x, 2, f_max=1e300), r"dt·f_max = 1e\+297 \(dt=0.001, f_max=1e\+300\) is beyond"),
        (lambda x: signed_poisson_encode_step(x, f_max=1e300), r"f_max=1e\+300\) is beyond the range"),
    ],
    ids=["population_encode", "PopulationEncoder", "poisson", "signed_poisson_step"],
)
def test_parameters_beyond_the_input_dtype_are_errors(encode, message):
    """A scale or dt·f_max beyond float32's range, used with float32 input, is a ParameterError naming
    it and the dtype (found by fuzzing): population raised torch's bare "value cannot be converted
    to type float without overflow" (or gave NaN for one neuron), Poisson rejected x = 0 as out of
    "[0, 1e-297]". With float64 input the same values work."""
    with pytest.raises(spikeplug.ParameterError, match=message + r".*torch.float32"):
        encode(torch.tensor([0.0]))
    zero = torch.tensor([0.0], dtype=torch.float64)
    assert torch.equal(population_encode(zero, 1, scale=1e300), torch.ones(1, 1, dtype=torch.float64))
    assert poisson_encode(torch.tensor([0.0], dtype=torch.float64), 2, f_max=1e300).sum() == 0
    with pytest.raises(spikeplug.ParameterError, match=r"dt·f_max = inf .*torch.float64.*pass a smaller value"):
        poisson_encode(torch.tensor([0.0], dtype=torch.float64), 2, f_max=1e300, dt=1e300)


def test_rate_that_underflows_to_zero_never_fires():
    """dt·f_max may underflow to 0 (dt = f_max = 1e-200): nothing fires and any finite rate >= 0 is
    valid (the range message divided by zero: a bare ZeroDivisionError)."""
    z = poisson_encode(torch.tensor([0.0, 5.0, 3e38]), 3, f_max=1e-200, dt=1e-200)
    assert torch.equal(z, torch.zeros(3, 3))
    with pytest.raises(spikeplug.InputValueError, match=r"x must be in \[0, inf\].*got -1.0"):
        poisson_encode(torch.tensor([-1.0]), 3, f_max=1e-200, dt=1e-200)


@pytest.mark.parametrize("name", encoder_names(), ids=bare)
def test_complex_input_is_rejected(name):
    """A complex input is an error naming the argument and dtype, not cast to real with only a
    warning (which dropped the imaginary part)."""
    x = torch.tensor([[0.5 + 1j, 0.25]])
    with pytest.raises(spikeplug.InputValueError, match=r"must hold real numbers .*got a torch.complex64 tensor"):
        spikeplug.create(name, **default_kwargs(name))(x)


def test_spike_latency_lif_errors_name_the_caller():
    """spike_latency_lif's seq_length errors name it, not the constant_current_lif encoder it builds on."""
    with pytest.raises(spikeplug.ParameterError, match=r"^SpikeLatencyLIFEncoder: seq_length .*got 0"):
        SpikeLatencyLIFEncoder(0)
    with pytest.raises(spikeplug.ParameterError, match=r"^spike_latency_lif_encode: seq_length .*got 2.5"):
        spike_latency_lif_encode(CURRENTS, 2.5)


def test_encoder_input_must_be_a_tensor():
    """A non-tensor input is an error naming the argument."""
    with pytest.raises(spikeplug.InputShapeError, match="input_current must be a torch.Tensor, got list"):
        ConstantCurrentLIFEncoder(3)([1.0, 2.0])


def test_encoders_pickle():
    """Encoder modules (generator included) survive pickling and keep drawing the same numbers."""
    enc = PoissonEncoder(4, f_max=1000.0, generator=seeded(7))
    copy = pickle.loads(pickle.dumps(enc))
    assert torch.equal(copy(torch.full((5,), 0.5)), enc(torch.full((5,), 0.5)))
    lif = pickle.loads(pickle.dumps(SpikeLatencyLIFEncoder(5)))
    assert torch.equal(lif(CURRENTS), spike_latency_lif_encode(CURRENTS, 5))


@pytest.mark.parametrize("name", encoder_names())
def test_unknown_and_missing_encoder_arguments_are_named(name):
    """Every registered encoder: a keyword its factory does not take, or a required one left
    out, is a ParameterError naming the encoder and the argument (not the constructor's
    TypeError). Encoders that forward extra keywords (LIF overrides) name them through the
    LIF parameters."""
    kwargs = default_kwargs(name)
    with pytest.raises(spikeplug.ParameterError, match=r"'no_such_argument'"):
        spikeplug.create(name, no_such_argument=1.0, **kwargs)
    for required in kwargs:
        partial = {k: v for k, v in kwargs.items() if k != required}
        with pytest.raises(spikeplug.ParameterError, match=rf"encoder '{name}' needs '{required}': pass spikeplug.create"):
            spikeplug.create(name, **partial)


def test_a_misspelt_encoder_argument_gets_a_close_match():
    with pytest.raises(spikeplug.ParameterError, match=r"encoder 'poisson:poisson' has no argument 'f_maxx'\. Did you mean 'f_max'\? Its arguments are: seq_length, f_max"):
        spikeplug.create("poisson", seq_length=3, f_maxx=100.0)
