"""Issue 8: no silent wrong results from the core's parameter, state and module machinery.

Each test names the probe finding it protects against (items 1–6 and 11–15 of the issue);
the registry items (7–9), compile (10) and the encoders (13, 14) have their own files.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch

import spikeplug
from spikeplug import NonFiniteError, ParameterError, StabilityWarning, StateError
from spikeplug.neurons_builtin.iaf import IAF, IAFCell
from spikeplug.neurons_builtin.li import LI, LICell, LIParameters
from spikeplug.neurons_builtin.lif import LIF, LIFCell, LIFRecurrent, LIFRecurrentCell
from spikeplug.neurons_builtin.lif_box import LIFBox

# ---------------------------------------------------------------------------- item 1


def _final_v(layer_cls, field, backend, x, **fixed):
    """``final v`` as a function of the parameter ``field`` (a per-neuron float64 tensor)."""

    def f(value):
        layer = layer_cls(backend=backend, **{field: value}, **fixed)
        _, state = layer(x)
        return state.v

    return f


@pytest.mark.parametrize("backend", ["eager", "fused"])
@pytest.mark.parametrize(
    "layer_cls, field",
    [(LI, "v_leak"), (LIF, "v_leak"), (LIFBox, "v_leak"), (IAF, "v_reset")],
    ids=["li", "lif", "lif_box", "iaf"],
)
def test_parameter_that_sets_the_initial_state_gets_its_full_gradient(layer_cls, field, backend):
    """Item 1: ``v_leak`` (``v_reset`` for IAF) is both a parameter of the step and the
    initial potential. With inputs too small to spike, the backward is the true derivative,
    so gradcheck must pass on both backends; the initial state built detached gave 0.57
    against 1.0 (IAF: 0)."""
    x = 0.01 * torch.rand(6, 2, 3, dtype=torch.float64)
    value = torch.full((3,), -0.2 if field == "v_leak" else 0.1, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(_final_v(layer_cls, field, backend, x), (value,))


def test_learnable_rest_potential_gradient_includes_the_initial_state():
    """Item 1, through ``learnable=``: the leaky integrator relaxes to ``v_leak`` from
    ``v_leak``, so with no input the final ``v`` equals ``v_leak`` and its derivative is
    exactly 1 (the step alone would give 1 − (1 − a)^T)."""
    layer = LI(learnable=("v_leak",), v_leak=0.3)
    _, state = layer(torch.zeros(20, 4))
    state.v.sum().backward()
    assert torch.allclose(state.v, torch.full((4,), 0.3))
    assert layer.v_leak.grad.item() == pytest.approx(4.0, rel=1e-6)


def test_initial_state_of_plain_parameters_does_not_require_grad():
    """Item 1 keeps the convention: without learnable parameters the initial state is not
    part of any graph (no gradient is tracked for it)."""
    state = LIFCell().initial_state(torch.zeros(2, 3))
    assert not state.v.requires_grad and not state.i.requires_grad


# ---------------------------------------------------------------------------- item 2


@pytest.mark.parametrize("form", ["cell", "layer"])
def test_per_neuron_parameter_that_would_broadcast_the_state_is_refused(form):
    """Item 2: a ``(N, 1)`` parameter for ``N`` neurons turned ``(T, N)`` input into
    ``(T, N, N)`` output; it is refused naming the field, its shape and the population's."""
    module = spikeplug.create("lif", form=form, tau_mem_inv=torch.full((3, 1), 100.0))
    x = torch.rand(5, 3) if form == "layer" else torch.rand(3)
    with pytest.raises(ParameterError, match=r"LIFParameters.tau_mem_inv has shape \(3, 1\), which does not "
                       r"broadcast to the population's shape \(3,\)"):
        module(x)


def test_per_neuron_parameter_that_fits_the_trailing_dimension_works():
    """Item 2, the legal case: one value per neuron in the trailing dimension broadcasts over
    the batch, and the outputs keep the input's shape."""
    layer = LIF(tau_mem_inv=torch.tensor([50.0, 100.0, 200.0]))
    out, state = layer(torch.rand(5, 4, 3))
    assert out.shape == (5, 4, 3) and state.v.shape == (4, 3)


@pytest.mark.parametrize("backend", ["eager", "fused"])
def test_state_from_another_input_shape_is_refused(backend):
    """Item 2: a state made for a batch of 4 fed back with a batch of 1 was silently
    broadcast to 4; now the field, both shapes and the remedy are named."""
    layer = LIF(backend=backend)
    _, state = layer(torch.rand(5, 4, 3))
    with pytest.raises(StateError, match=r"state.v has shape \(4, 3\), but this input needs \(1, 3\).*state=None"):
        layer(torch.rand(5, 1, 3), state)


def test_recurrent_state_of_another_shape_is_refused():
    """Item 2 for the recurrent forms: the state's batch shape must be the input's."""
    cell = LIFRecurrentCell(2, 3)
    _, state = cell(torch.rand(4, 2))
    with pytest.raises(StateError, match=r"state.z has shape \(4, 3\), but this input needs \(2, 3\)"):
        cell(torch.rand(2, 2), state)


# ---------------------------------------------------------------------------- item 4


def test_recurrent_weights_of_another_dtype_name_the_weights():
    """Item 4: a float32 recurrent layer fed float64 failed inside a matmul with a message
    naming no argument; now the weight, both dtypes and the remedy are named, and
    ``.double()`` makes it run."""
    layer = LIFRecurrent(2, 3)
    x = torch.rand(4, 1, 2, dtype=torch.float64)
    with pytest.raises(ParameterError, match=r"input_weights is torch.float32 on cpu but the inputs is torch.float64"):
        layer(x)
    out, state = layer.double()(x)
    assert out.dtype == state.v.dtype == torch.float64


# ---------------------------------------------------------------------------- item 5


@pytest.mark.parametrize(
    "name, overrides, field",
    [
        ("lif", {"dt": 0.05}, "tau_mem_inv"),
        ("li", {"dt": 0.05}, "tau_mem_inv"),
        ("lsnn", {"dt": 0.05}, "tau_mem_inv"),
        ("lif", {"tau_syn_inv": 1500.0}, "tau_syn_inv"),
    ],
)
def test_unstable_euler_step_warns_with_the_bound(name, overrides, field):
    """Item 5: ``dt·tau_mem_inv = 5`` drove states to NaN with no word; the parameter object
    warns, naming the product and the largest stable ``dt``, and keeps the value."""
    with pytest.warns(StabilityWarning, match=rf"dt·{field} = .* > 1: the forward-Euler step overshoots"):
        module = spikeplug.create(name, **overrides)
    assert module.p.dt == overrides.get("dt", 0.001)


def test_no_builtin_default_or_preset_warns():
    """Item 5 must not cry wolf: every builtin neuron model, in every form and preset,
    constructs at its defaults without a StabilityWarning."""
    registry = spikeplug.registry
    with warnings.catch_warnings():
        warnings.simplefilter("error", StabilityWarning)
        for name in registry.names(kind="neuron"):
            factory = registry.factory(name)
            for preset in (None, *registry.get(name).spec.presets):
                for form in factory.forms:
                    sized = form in ("recurrent", "recurrent_cell", "linear_cell")
                    kwargs = {"input_size": 2, "hidden_size": 3} if sized else {}
                    if preset is not None:
                        kwargs["preset"] = preset
                    factory.create(form, **kwargs)


def test_steep_surrogate_warns_and_gentle_one_does_not():
    """Item 5: ``method="triangle"`` with the default ``alpha = 100`` (peak derivative 100)
    gave exploding input gradients; it warns, naming the peak; ``alpha = 1`` does not."""
    with pytest.warns(StabilityWarning, match=r"method='triangle' with alpha=100 has a derivative of 100"):
        LIF(method="triangle")
    with warnings.catch_warnings():
        warnings.simplefilter("error", StabilityWarning)
        LIF(method="triangle", alpha=1.0)
        LIF(method="super", alpha=100.0)


def test_anomaly_mode_names_step_layer_and_state_variable():
    """Item 5: with ``detect_anomaly`` the first non-finite state is reported with the
    module's path in the network, the model, the state variable and the step; without it
    the same network runs silently into NaN."""
    with pytest.warns(StabilityWarning):
        lif = LIF(dt=0.05)
    net = spikeplug.SequentialState(torch.nn.Identity(), lif)
    x = torch.full((60, 2, 3), 0.5)
    out, states = net(x)
    assert torch.isnan(states[1].v).all()  # silent without the mode
    with pytest.raises(NonFiniteError, match=r"'1' \(LIF, model 'lif'\): state variable 'v' became non-finite at "
                       r"step \d+ .*the input of that step was finite"):
        with spikeplug.detect_anomaly(net):
            net(x)
    assert lif.last_backend == "eager"


def test_anomaly_mode_blames_non_finite_input_and_counts_cell_steps():
    """Item 5: a cell stepped by hand reports which call went non-finite, and says when the
    input already was."""
    cell = LICell()
    x = torch.ones(3)
    with spikeplug.detect_anomaly():
        _, s = cell(x)
        _, s = cell(x, s)
        with pytest.raises(NonFiniteError, match=r"LICell \(model 'li'\): state variable 'v' became non-finite at "
                           r"step 2 \(1 of 3 elements, first at index \(1,\)\); the input of that step was already"):
            cell(torch.tensor([1.0, float("inf"), 1.0]), s)
    assert not spikeplug.anomaly.anomaly_enabled()


# ---------------------------------------------------------------------------- item 6


@pytest.mark.parametrize(
    "make, option",
    [
        (lambda v: LIF(record_states=v), "record_states"),
        (lambda v: LIFCell(detach_reset=v), "detach_reset"),
        (lambda v: LIFRecurrent(2, 3, autapses=v), "autapses"),
        (lambda v: LIFRecurrentCell(2, 3, detach_reset=v), "detach_reset"),
        (lambda v: spikeplug.SequentialState(return_hidden=v), "return_hidden"),
    ],
)
def test_boolean_options_refuse_non_booleans(make, option):
    """Item 6: ``record_states="no"`` became True through ``bool()``; options now take
    True/False (numpy booleans too) and name the option and value otherwise."""
    for bad in ("no", 0, 1.0, "False"):
        with pytest.raises(ParameterError, match=rf"{option} must be True or False, got {bad!r}"):
            make(bad)
    assert getattr(make(np.bool_(True)), option) is True
    assert getattr(make(False), option) is False


# ---------------------------------------------------------------------------- item 11


@pytest.mark.parametrize(
    "name, overrides, field",
    [("lif", {}, "alpha"), ("iaf", {}, "dt"), ("lif", {"method": "heaviside"}, "v_th"), ("lsnn", {}, "alpha")],
)
def test_learnable_refuses_parameters_without_gradient(name, overrides, field):
    """Item 11: ``alpha`` only shapes the surrogate, IAF ignores ``dt`` and heaviside spikes
    carry no gradient to ``v_th``; such a learnable parameter never trains and crashed DDP
    on the second step. It is refused with the reason."""
    with pytest.raises(ParameterError, match=rf"learnable: '{field}' of \w+ never receives a gradient"):
        spikeplug.create(name, learnable=(field,), **overrides)


def test_izhikevich_initial_conditions_are_learnable_for_real():
    """Item 11: ``v_init``/``u_init`` were accepted as learnable but got no gradient; they
    set the initial state, which now keeps their graph, so they train."""
    layer = spikeplug.create("izhikevich", learnable=("v_init", "u_init"))
    out, state = layer(torch.full((5, 2), 5.0))
    (state.v.sum() + state.u.sum()).backward()
    assert layer.v_init.grad is not None and layer.v_init.grad.abs().item() > 0
    assert layer.u_init.grad is not None and layer.u_init.grad.abs().item() > 0


def test_learnable_parameters_train_under_ddp(tmp_path):
    """Item 11: with every learnable parameter in the graph, DDP's default
    ``find_unused_parameters=False`` runs several optimiser steps (a learnable ``alpha``
    crashed on the second)."""
    import torch.distributed as dist

    store = dist.FileStore(str(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        layer = LIF(learnable=("v_th", "tau_mem_inv", "v_leak"))
        model = torch.nn.parallel.DistributedDataParallel(layer)
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        x = torch.rand(10, 2, 3) * 3
        for _ in range(3):
            opt.zero_grad()
            out, state = model(x)
            (out.sum() + state.v.sum()).backward()
            opt.step()
        assert all(p.grad is not None for p in layer.parameters())
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------------------- item 12


def test_numpy_scalars_are_accepted_as_parameters_and_sizes():
    """Item 12: ``np.float32``/``np.int64`` were rejected; they are stored as the Python
    floats they stand for, and sizes accept numpy integers."""
    layer = LIF(tau_mem_inv=np.float32(50.0), v_th=np.int64(2), dt=np.float64(1e-3))
    assert type(layer.p.tau_mem_inv) is float and layer.p.tau_mem_inv == 50.0
    assert type(layer.p.v_th) is float and layer.p.v_th == 2.0
    reference = LIF(tau_mem_inv=50.0, v_th=2.0)
    x = torch.rand(6, 3) * 4
    assert torch.equal(layer(x)[0], reference(x)[0])
    rec = LIFRecurrent(np.int64(2), np.int32(3))
    assert (rec.input_size, rec.hidden_size) == (2, 3) and type(rec.hidden_size) is int
    for bad in (2.0, np.float64(2.0), True, 0, -1):
        with pytest.raises(ParameterError, match=r"input_size must be a positive int"):
            LIFRecurrent(bad, 3)


# ---------------------------------------------------------------------------- item 13


def test_meta_parameters_validate_and_run_on_meta_inputs():
    """Item 13: a meta tensor as a parameter crashed the validator with a message naming
    neither; it now validates (no values to check), runs shape inference on meta input,
    and a real input names the device mismatch."""
    layer = LIF(tau_mem_inv=torch.full((3,), 100.0, device="meta"))
    out, state = layer(torch.empty(4, 2, 3, device="meta"))
    assert out.shape == (4, 2, 3) and out.is_meta and state.v.is_meta
    with pytest.raises(ParameterError, match=r"LIFParameters.tau_mem_inv is on meta but the input is on cpu"):
        layer(torch.rand(4, 2, 3))


# ---------------------------------------------------------------------------- item 15


def test_bad_learnable_and_weights_name_the_argument():
    """Item 15: ``learnable=5`` said "'int' object is not iterable" and integer weights
    failed deep in autograd; both now name the argument, the value and what is expected."""
    with pytest.raises(ParameterError, match=r"learnable must be a parameter name or a sequence of names.*got 5"):
        LIF(learnable=5)
    with pytest.raises(ParameterError, match=r"learnable: LIFParameters has no parameter 'v_thh'"):
        LIF(learnable="v_thh")
    with pytest.raises(ParameterError, match=r"input_weights must be a floating-point tensor.*got torch.int64"):
        LIFRecurrent(2, 2, input_weights=torch.ones(2, 2, dtype=torch.int64))


@pytest.mark.parametrize("backend", ["eager", "fused"])
def test_float_parameter_beyond_the_input_dtype_is_refused_at_forward(backend):
    """Item 15: ``v_th`` at float64's maximum passes ``finite()`` but is inf in float32;
    the forward names the field, the dtype and its range, and float64 runs it."""
    layer = LIF(v_th=sys.float_info.max, backend=backend)
    with pytest.raises(ParameterError, match=r"LIFParameters.v_th = 1.79.*e\+308 is not representable in "
                       r"torch.float32"):
        layer(torch.rand(4, 3))
    out, _ = layer(torch.rand(4, 3, dtype=torch.float64))
    assert not out.any()


def test_parameter_checks_cover_cells_and_linear_cells():
    """Items 2 and 4 hold in every generated form, not only layers."""
    with pytest.raises(ParameterError, match=r"does not broadcast"):
        IAFCell(v_th=torch.ones(2, 1))(torch.rand(2))
    with pytest.raises(ParameterError, match=r"per-neuron torch.float64 tensor but the input is torch.float32"):
        spikeplug.create("li", form="linear_cell", input_size=2, hidden_size=3,
                         v_leak=torch.zeros(3, dtype=torch.float64))(torch.rand(2))
    p = LIParameters(v_leak=torch.zeros(3))
    out, _ = LI(p=p)(torch.rand(2, 5, 3))
    assert out.shape == (2, 5, 3)


def test_describe_shows_each_constraint_and_the_euler_bound():
    """Item 5 (document the bound): ``describe`` and its JSON show what each parameter
    accepts, read from its validator, and the Euler bound of every rate."""
    desc = spikeplug.describe("lif")
    constraints = {p.name: p.constraint for p in desc.parameters}
    assert constraints["dt"] == "finite and > 0"
    assert constraints["v_th"] == "finite"
    assert constraints["method"] == "a registered surrogate method"
    assert constraints["tau_mem_inv"] == "finite and > 0; dt·tau_mem_inv <= 1 for a stable Euler step"
    assert {p["name"]: p["constraint"] for p in desc.to_dict()["parameters"]} == constraints
    assert "dt·tau_syn_inv <= 1 for a stable Euler step" in str(desc)


def test_method_takes_a_qualified_surrogate_name():
    """Item 8: a surrogate can always be named by its qualified name (``plugin:name``),
    which resolves exactly as the step resolves it; a malformed or unknown one names the
    field and the choices."""
    qualified = LIF(method="surrogates:super")
    x = torch.rand(5, 3) * 3
    assert torch.equal(qualified(x)[0], LIF()(x)[0])
    for bad in ("surrogates:nope", "Super!", 3):
        with pytest.raises(ParameterError, match=r"LIFParameters.method must name a surrogate method"):
            LIF(method=bad)


def test_model_spec_with_a_factory_that_cannot_be_called_is_refused_early():
    """Item 15: a ``ModelSpec`` whose factory is not callable failed only at ``create``;
    a non-callable, non-reference factory is refused when the spec is made (so the plugin is
    reported failed at discovery), and a lazy reference that resolves to a non-callable names
    the model, the reference and the plugin."""
    from spikeplug.plugins import ModelSpec, PluginError, Registry

    with pytest.raises(PluginError, match=r"ModelSpec\('bad'\).factory must be a callable or a lazy reference.*got 42"):
        ModelSpec(name="bad", kind="neuron", summary="", factory=42)
    with pytest.raises(PluginError, match=r"got 'no_colon'"):
        ModelSpec(name="bad", kind="neuron", summary="", factory="no_colon")
    registry = Registry(autoload=False)
    registry.register(ModelSpec(name="pi_model", kind="neuron", summary="", factory="math:pi"), plugin="mine")
    with pytest.raises(PluginError, match=r"the factory of 'mine:pi_model' \('math:pi', from plugin 'mine'\) is a "
                       r"float, not a callable"):
        registry.create("pi_model")
