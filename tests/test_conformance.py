"""The conformance suite (``spikeplug.plugins.conformance``) over every registered neuron model,
and proof that each of its checks catches the fault it is written for.

The first tests are parametrized over ``spikeplug.registry.names(kind="neuron")`` at
collection time, so a family added later (builtin or an installed third-party plugin) is
checked without writing a test. The rest build deliberately broken toy models in this
process and check that the right check raises, naming the check, model and form and
saying what was expected.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import attrs
import pytest
import torch

import spikeplug
from spikeplug.backends import FusedKernel
from spikeplug.plugins import ModelSpec, Registry, conformance
from spikeplug.plugins.conformance import ConformanceError, Report, check_neuron_model

NEURON_MODELS = spikeplug.registry.names(kind="neuron")
PRESETS = [(name, preset) for name in NEURON_MODELS for preset in spikeplug.registry.get(name).spec.presets]


# ---------------------------------------------------------------------- every registered model
@pytest.mark.parametrize("check", list(conformance.CHECKS))
@pytest.mark.parametrize("name", NEURON_MODELS)
def test_registered_model_conforms(name: str, check: str) -> None:
    """Every registered neuron model passes every conformance check (one test per check, so a
    failure names the model and the broken part of the contract)."""
    report = check_neuron_model(name, checks=[check])
    assert set(report.checks) <= {check}, str(report)
    assert report.passed or report.not_applicable, str(report)


@pytest.mark.parametrize("name", NEURON_MODELS)
def test_registered_model_cell_compiles(name: str) -> None:
    """torch.compile traces every model's cell, or its first step form when it has no cell
    (dynamo + AOTAutograd: the fast ``aot_eager`` backend), and the compiled module matches
    eager mode within 1e-5 over two steps."""
    report = conformance.check_compile(name, backend="aot_eager")
    assert len(report.passed) == 1
    assert report.passed[0].endswith("): torch.compile(backend='aot_eager') matches eager within 1e-5")


@pytest.mark.parametrize(("name", "preset"), PRESETS)
def test_registered_preset_conforms(name: str, preset: str) -> None:
    """Every preset a model lists in its ModelSpec gives working modules: shapes, layer equal
    to the cell loop, gradients and batch independence hold with the preset's parameters."""
    checks = ["shapes", "layer_matches_cell", "gradients", "batch_independence"]
    report = check_neuron_model(name, checks=checks, create_kwargs={"preset": preset})
    assert report.passed, str(report)


def test_lif_cell_compiles_with_inductor() -> None:
    """The default ``inductor`` backend (generated kernels) compiles the LIF cell and matches eager."""
    report = check_neuron_model("lif", checks=["compile"])
    assert report.passed == ("compile (cell): torch.compile(backend='inductor') matches eager within 1e-5",)


def test_lif_report_lists_every_check_and_form() -> None:
    """A full run on LIF reports every check, and the per-form checks for all four LIF forms."""
    report = check_neuron_model("lif")
    assert report.checks == tuple(conformance.CHECKS)
    for form in ("cell", "layer", "recurrent_cell", "recurrent"):
        assert f"gradients ({form}): non-zero gradients through the 'super' surrogate at input scale " in "\n".join(
            report.passed
        )
    assert "parameter_validation: dt=-1.001 rejected by the class and every form" in report.passed
    assert "method='not-a-valid-choice'" in str(report)


# ---------------------------------------------------------------------- a toy model and broken variants
@spikeplug.parameters
class ToyParameters(spikeplug.SpikingParameters):
    """A leaky neuron without synapse: v relaxes to the input, spikes above v_th, resets to 0."""

    tau_mem_inv: float = spikeplug.param(
        100.0, unit="1/s", doc="inverse membrane time constant", validator=spikeplug.positive()
    )
    v_th: float = spikeplug.param(1.0, unit="a.u.", doc="spike threshold", validator=spikeplug.finite())


class ToyState(NamedTuple):
    v: torch.Tensor


class ToyRecurrentState(NamedTuple):
    z: torch.Tensor
    v: torch.Tensor


Out = tuple[torch.Tensor, ToyState]


def toy_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    (v,) = state
    v_d = v + p.dt * p.tau_mem_inv * (input - v)
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)
    z_r = z.detach() if detach_reset else z
    return z, ToyState((1.0 - z_r) * v_d)


def toy_initial_state(shape: tuple[int, ...], p: Any, dtype: torch.dtype, device: Any) -> ToyState:
    return ToyState(torch.zeros(shape, dtype=dtype, device=device))


def _modules(name: str, **changes: Any) -> spikeplug.ModuleSet:
    """A toy model named ``name`` with ``changes`` to its NeuronModel, its classes published in
    this module under their names (so that pickle finds them)."""
    fields = dict(
        name=name,
        parameters=ToyParameters,
        state=ToyState,
        recurrent_state=ToyRecurrentState,
        step=toy_step,
        initial_state=toy_initial_state,
    )
    model = spikeplug.NeuronModel(**{**fields, **changes})
    modules = spikeplug.build_modules(model, name.title().replace("_", ""), __name__)
    for cls in modules:
        if cls is not None:
            globals()[cls.__name__] = cls
    return modules


def mixing_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: every element also sees the batch mean of the input (dim 0 is the batch)."""
    return toy_step(input + 0.5 * input.mean(0, keepdim=True), state, p, detach_reset=detach_reset)


def shrinking_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: the new state keeps one value per row instead of one per neuron."""
    z, (v,) = toy_step(input, state, p, detach_reset=detach_reset)
    return z, ToyState(v.mean(-1, keepdim=True))


def detached_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: the input is detached, so no gradient reaches it."""
    return toy_step(input.detach(), state, p, detach_reset=detach_reset)


def noisy_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: unseeded noise makes two runs differ."""
    return toy_step(input + 0.01 * torch.rand_like(input), state, p, detach_reset=detach_reset)


def mutating_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    """Broken: the leak is applied to the caller's state tensor in place."""
    (v,) = state
    v.mul_(1.0 - p.dt * p.tau_mem_inv)
    v_d = v + p.dt * p.tau_mem_inv * input
    z = spikeplug.threshold(v_d - p.v_th, p.method, p.alpha)
    return z, ToyState((1.0 - z) * v_d)


def checking_step(input: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool = False) -> Out:
    """Correct, but reads a tensor value (a data-dependent check), which the meta device cannot."""
    if torch.isnan(input).any().item():
        raise ValueError("input holds NaN")
    return toy_step(input, state, p, detach_reset=detach_reset)


def float32_initial_state(shape: tuple[int, ...], p: Any, dtype: torch.dtype, device: Any) -> ToyState:
    """Broken: ignores the input's dtype."""
    return ToyState(torch.zeros(shape, device=device))


def cpu_initial_state(shape: tuple[int, ...], p: Any, dtype: torch.dtype, device: Any) -> ToyState:
    """Broken: ignores the input's device."""
    return ToyState(torch.zeros(shape, dtype=dtype))


@spikeplug.parameters
class SilentParameters(ToyParameters):
    """Toy parameters whose threshold no test input reaches."""

    v_th: float = spikeplug.param(1e12, unit="a.u.", doc="spike threshold", validator=spikeplug.finite())


@spikeplug.parameters
class PlainValidatorParameters(ToyParameters):
    """Broken: validated with attrs' own ``gt``, which raises a plain ValueError."""

    gain: float = attrs.field(default=1.0, validator=attrs.validators.gt(0))


@spikeplug.parameters
class RequiredParameters(ToyParameters):
    """Broken for default creation: a field without default."""

    tau_syn_inv: float = attrs.field()


def loop_kernel(inputs: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool) -> Out:
    """A stand-in "fused" kernel: the step loop itself (so it equals eager)."""
    outputs = []
    for x in inputs.unbind(0):
        z, state = toy_step(x, state, p, detach_reset=detach_reset)
        outputs.append(z)
    return torch.stack(outputs), state


def no_grad_kernel(inputs: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool) -> Out:
    """Broken: right values, but no autograd graph (a kernel that forgot its backward)."""
    with torch.no_grad():
        return loop_kernel(inputs, state, p, detach_reset=detach_reset)


def runs_anywhere(inputs: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool) -> str | None:
    return None


def runs_nowhere(inputs: torch.Tensor, state: ToyState, p: Any, *, detach_reset: bool) -> str | None:
    return "this kernel needs hardware that is not here"


TOY = _modules("toy")
MIXING = _modules("mixing", step=mixing_step)
SHRINKING = _modules("shrinking", step=shrinking_step)
DETACHED = _modules("detached", step=detached_step)
NOISY = _modules("noisy", step=noisy_step)
MUTATING = _modules("mutating", step=mutating_step)
FLOAT32 = _modules("float32_only", initial_state=float32_initial_state)
CPU_ONLY = _modules("cpu_only", initial_state=cpu_initial_state)
SILENT = _modules("silent", parameters=SilentParameters)
PLAIN_VALIDATOR = _modules("plain_validator", parameters=PlainValidatorParameters)
REQUIRED = _modules("required", parameters=RequiredParameters)
FEED_FORWARD_ONLY = _modules("feed_forward_only", recurrent_state=None)
CHECKING = _modules("checking", step=checking_step)
FUSED = _modules("fused", fused=(FusedKernel("loop", loop_kernel, runs_anywhere),))
NO_GRAD_FUSED = _modules("no_grad_fused", fused=(FusedKernel("nograd", no_grad_kernel, runs_anywhere),))
ABSENT_FUSED = _modules("absent_fused", fused=(FusedKernel("elsewhere", loop_kernel, runs_nowhere),))


class DelayedLayer(TOY.layer):
    """Broken: the layer sees every input one step late, unlike the cell."""

    def forward(self, inputs: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        delayed = torch.cat([torch.zeros_like(inputs[:1]), inputs[:-1]])
        return super().forward(delayed, state)


DELAYED = TOY._replace(layer=DelayedLayer)


def _local_modules() -> spikeplug.ModuleSet:
    """Broken: classes generated inside a function are not module attributes; pickle cannot find them."""
    model = spikeplug.NeuronModel(
        name="local", parameters=ToyParameters, state=ToyState, step=toy_step, initial_state=toy_initial_state
    )
    return spikeplug.build_modules(model, "Local", __name__)


def _fails(modules: Any, check: str, **kwargs: Any) -> ConformanceError:
    """The ConformanceError that running only ``check`` on ``modules`` raises."""
    with pytest.raises(ConformanceError) as info:
        check_neuron_model(modules, checks=[check], **kwargs)
    return info.value


def test_toy_model_passes_every_check() -> None:
    """The suite accepts a correct model given as a ModuleSet (so the failures below are the faults')."""
    report = check_neuron_model(TOY, compile=True, compile_backend="aot_eager")
    assert report.model == "toy"
    assert report.checks == (*conformance.CHECKS, "compile")
    expected = "gradients (recurrent): non-zero gradients through the 'super' surrogate"
    assert any(item.startswith(expected) for item in report.passed)


def test_batch_mixing_fails_batch_independence() -> None:
    """A step that mixes batch elements fails batch_independence, naming the elements that changed."""
    err = _fails(MIXING, "batch_independence")
    assert (err.check, err.model, err.form) == ("batch_independence", "mixing", "cell")
    assert str(err).startswith("conformance check 'batch_independence' failed for model 'mixing', form 'cell': ")
    assert "of the batch elements 0, 2, 3 differs" in str(err)
    assert "found" in str(err) and "expected" in str(err)


def test_layer_differing_from_cell_fails_layer_matches_cell() -> None:
    """A layer that is not the cell stepped in a loop fails layer_matches_cell with the differing values."""
    err = _fails(DELAYED, "layer_matches_cell")
    assert (err.check, err.form) == ("layer_matches_cell", "layer")
    assert "from the initial state: " in str(err)
    assert "differs (tolerance 1e-09 + 1e-09·|expected|)" in str(err)


def test_wrong_state_shape_fails_shapes() -> None:
    """A state that loses the neuron dimension fails shapes, with found and expected shapes."""
    err = _fails(SHRINKING, "shapes")
    assert "form 'cell': state.v has shape (1,) for input of shape (3,), expected (3,)" in str(err)


def test_initial_state_ignoring_dtype_fails_dtypes() -> None:
    """An initial state built in float32 for float64 input fails dtypes."""
    err = _fails(FLOAT32, "dtypes")
    assert "initial state.v for torch.float64 input has dtype torch.float32, expected torch.float64" in str(err)


def test_initial_state_ignoring_device_fails_device() -> None:
    """An initial state built on the CPU for input on another device fails the device check
    (on the meta device when there is no GPU)."""
    err = _fails(CPU_ONLY, "device")
    assert (err.check, err.form) == ("device", "cell")
    device = "cuda" if torch.cuda.is_available() else "meta"
    assert f"forward on {device}" in str(err) or f"expected {device}" in str(err)


def test_detached_input_fails_gradients() -> None:
    """A step that detaches its input fails gradients: the outputs do not depend on the input."""
    err = _fails(DETACHED, "gradients")
    assert "the outputs do not require grad for an input that does" in str(err)


def test_noise_fails_determinism() -> None:
    """A step with unseeded noise fails determinism: the second run differs."""
    err = _fails(NOISY, "determinism")
    assert (err.check, err.model, err.form) == ("determinism", "noisy", "cell")
    assert "differs (exactly)" in str(err) and "found" in str(err) and "expected" in str(err)


def test_in_place_update_fails_determinism() -> None:
    """A step that modifies the caller's state in place fails determinism."""
    err = _fails(MUTATING, "determinism")
    assert "given state after the forward (modified in place)" in str(err)


def test_plain_validator_fails_parameter_validation() -> None:
    """A field whose validator raises a plain ValueError fails parameter_validation: bad
    parameters must raise spikeplug.ParameterError."""
    err = _fails(PLAIN_VALIDATOR, "parameter_validation")
    assert "PlainValidatorParameters(gain=-2.0) raised ValueError" in str(err)
    assert "expected spikeplug.ParameterError naming 'gain'" in str(err)


def test_unpicklable_classes_fail_serialization() -> None:
    """Module classes that pickle cannot find (not module attributes) fail serialization."""
    err = _fails(_local_modules(), "serialization")
    assert "form 'cell': pickle round trip raised" in str(err)


def test_form_not_creatable_with_defaults_says_so() -> None:
    """A model that cannot be created with default parameters fails with a message saying so."""
    err = _fails(REQUIRED, "shapes")
    assert "the form cannot be created with default parameters: create(form='cell') raised TypeError" in str(err)


def test_model_that_never_spikes_asks_for_an_input_scale() -> None:
    """A spiking model that stays silent for every tried input fails, suggesting input_scale=."""
    err = _fails(SILENT, "gradients")
    assert "no spike within 7 steps for inputs from 1 up to 262144 times U[0.5, 1.5)" in str(err)
    assert "Pass input_scale=" in str(err)


def test_input_scale_sets_the_starting_magnitude() -> None:
    """With input_scale large enough, the silent model spikes at once and its gradients pass."""
    report = conformance.check_gradients(SILENT, input_scale=1e13)
    assert report.passed[0] == "gradients (cell): non-zero gradients through the 'super' surrogate at input scale 1e+13"


def test_broken_model_in_a_fresh_registry_fails_by_name() -> None:
    """A broken model registered in a fresh Registry is checked by name and fails the right check."""
    registry = Registry(path=[])
    registry.register(
        ModelSpec(name="mixing", kind="neuron", summary="broken", factory=MIXING, parameters=ToyParameters)
    )
    with pytest.raises(ConformanceError, match=r"'batch_independence' failed for model 'mixing', form 'cell'"):
        check_neuron_model("mixing", registry=registry)


def test_callable_factory_forms_are_probed() -> None:
    """A factory that is a plain callable (e.g. one taking ``preset=``) is checked through the
    forms it provides; the missing recurrent pair is reported as not applicable."""
    registry = Registry(path=[])

    def factory(form: str = "layer", preset: str | None = None, **kwargs: Any) -> torch.nn.Module:
        return FEED_FORWARD_ONLY.create(form, **kwargs)

    registry.register(
        ModelSpec(name="ff_only", kind="neuron", summary="toy", factory=factory, parameters=ToyParameters)
    )
    report = check_neuron_model("ff_only", registry=registry, checks=["shapes", "layer_matches_cell"])
    assert {item.split(":")[0] for item in report.passed} == {
        "shapes (cell)", "shapes (layer)", "layer_matches_cell (layer)"
    }
    assert report.not_applicable == (
        "layer_matches_cell (recurrent): the model has no 'recurrent' and 'recurrent_cell' pair",
    )


def test_unknown_check_name_is_rejected() -> None:
    """Asking for a check that does not exist raises ParameterError listing the checks."""
    with pytest.raises(spikeplug.ParameterError, match=r"checks: unknown check 'shape'; the checks are 'shapes', "):
        check_neuron_model(TOY, checks=["shape"])


def test_model_argument_must_be_a_name_or_module_set() -> None:
    """Passing something other than a name or a ModuleSet raises TypeError saying what is accepted."""
    message = "must be a registered neuron model name or a spikeplug.ModuleSet, got ToyParameters"
    with pytest.raises(TypeError, match=message):
        check_neuron_model(ToyParameters())  # type: ignore[arg-type]


def test_bad_input_scale_is_rejected() -> None:
    """input_scale must be a finite positive number."""
    with pytest.raises(spikeplug.ParameterError, match=r"input_scale must be a finite number > 0, got -1.0"):
        check_neuron_model(TOY, input_scale=-1.0)
    with pytest.raises(spikeplug.ParameterError, match=r"got nan"):
        check_neuron_model(TOY, input_scale=math.nan)


def test_conformance_error_is_an_assertion_and_a_spikeplug_error() -> None:
    """ConformanceError is caught as AssertionError (pytest failure) and as SpikeplugError."""
    err = _fails(MIXING, "batch_independence")
    assert isinstance(err, AssertionError) and isinstance(err, spikeplug.SpikeplugError)


def test_report_adds_and_prints() -> None:
    """Reports add up item by item, list checks once each and print one line per item."""
    a = Report("m", ("shapes (cell): x", "shapes (layer): y"))
    b = Report("m", ("dtypes (cell): z",), ("layer_matches_cell (recurrent): none",))
    total = a + b
    assert total.checks == ("shapes", "dtypes")
    assert str(total).splitlines() == [
        "conformance of 'm': 3 items passed",
        "  ok   shapes (cell): x",
        "  ok   shapes (layer): y",
        "  ok   dtypes (cell): z",
        "  n/a  layer_matches_cell (recurrent): none",
    ]


def test_checks_leave_the_global_random_state_alone() -> None:
    """Running checks (which draw random weights under a fixed seed) does not move torch's global RNG."""
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_neuron_model(TOY, checks=["shapes", "gradients"])
    assert torch.equal(torch.rand(3), expected)


def test_meta_device_cannot_judge_code_that_reads_values() -> None:
    """On the meta device (no GPU), a forward that reads tensor values is reported as not
    applicable, not as a failure; on the CPU the same model passes the device check."""
    report = conformance.check_device(CHECKING, device="meta")
    assert report.passed == ()
    assert report.not_applicable[0].startswith(
        "device (cell): the forward reads tensor values (Tensor.item() cannot be called on meta tensors)"
    )
    assert conformance.check_device(CHECKING, device="cpu").passed[0] == "device (cell): outputs and states on cpu"


def test_forms_restricts_the_checked_forms() -> None:
    """``forms=`` checks only the named forms and lists the ones the model lacks as not applicable."""
    report = check_neuron_model(FEED_FORWARD_ONLY, checks=["shapes"], forms=["layer", "recurrent"])
    assert {item.split(":")[0] for item in report.passed} == {"shapes (layer)"}
    assert report.not_applicable == ("form 'recurrent': the model has no such form",)


def test_unknown_form_is_rejected() -> None:
    """Asking for a form that does not exist raises ParameterError listing the forms."""
    with pytest.raises(spikeplug.ParameterError, match=r"forms: unknown form 'cells'; the forms are 'cell', 'layer', "):
        check_neuron_model(TOY, forms=["cells"])


def test_fused_kernel_equal_to_eager_passes() -> None:
    """A model whose fused kernel equals the eager loop passes layer_matches_cell, and the
    report says the fused backend was compared in values and gradients."""
    report = conformance.check_layer_matches_cell(FUSED)
    assert "layer_matches_cell (layer): the fused backend (loop) equals eager in values and gradients" in report.passed


def test_fused_kernel_without_gradient_fails_layer_matches_cell() -> None:
    """A fused kernel with the right values but no backward fails: the fused layer must
    equal eager in gradients too."""
    err = _fails(NO_GRAD_FUSED, "layer_matches_cell")
    assert (err.check, err.form) == ("layer_matches_cell", "layer")
    expected = "fused backend (nograd) vs eager: the input gets no gradient from the fused backend but a gradient"
    assert expected in str(err)


def test_fused_kernel_that_cannot_run_here_is_not_applicable() -> None:
    """When no fused kernel supports this machine, the comparison is listed as not applicable
    with the kernel's reason, and the eager checks still pass."""
    report = conformance.check_layer_matches_cell(ABSENT_FUSED)
    assert report.not_applicable[0].startswith("layer_matches_cell (layer): no fused kernel runs here (backend='fused'")
    assert "this kernel needs hardware that is not here" in report.not_applicable[0]
    assert len(report.passed) == 4


def test_create_kwargs_reach_every_created_form() -> None:
    """``create_kwargs`` are passed to every form the suite creates (here a parameter override
    that silences the model, which the activity search then reports)."""
    err = _fails(TOY, "gradients", create_kwargs={"v_th": 1e12})
    assert "no spike within 7 steps" in str(err)


def test_create_kwargs_cannot_choose_forms_or_sizes() -> None:
    """``create_kwargs`` may not set the form or the sizes, which the suite chooses."""
    with pytest.raises(spikeplug.ParameterError, match=r"create_kwargs must not set form, hidden_size: the suite"):
        check_neuron_model(TOY, create_kwargs={"form": "cell", "hidden_size": 2})


def test_factory_refusing_every_form_is_reported() -> None:
    """A registered factory that refuses every form fails with a message saying so."""
    registry = Registry(path=[])

    def factory(form: str = "layer", **kwargs: Any) -> torch.nn.Module:
        raise spikeplug.ParameterError(f"form must be one of nothing, got {form!r}")

    registry.register(ModelSpec(name="formless", kind="neuron", summary="toy", factory=factory))
    with pytest.raises(ConformanceError, match=r"'formless' refused every form \(cell, layer, recurrent_cell"):
        check_neuron_model("formless", registry=registry)
