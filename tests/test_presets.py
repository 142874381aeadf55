"""Presets: PresetModuleSet (spikeplug.presets) and the builtin ``bio`` presets."""

from __future__ import annotations

import pickle

import pytest
import torch

import spikeplug
from spikeplug.plugins import get_registry
from spikeplug.presets import PresetModuleSet

from conftest import assert_close

# Norse's bio_default() values as Norse states them: inverse time constants in 1/ms.
NORSE_BIO = {
    "lif": {"tau_syn_inv": 0.5, "tau_mem_inv": 0.1, "v_leak": -70, "v_th": -55, "v_reset": -70},
    "li": {"tau_syn_inv": 0.5, "tau_mem_inv": 0.1, "v_leak": -70},
    "iaf": {"v_th": -55, "v_reset": -70},
    "lif_ex": {"tau_syn_inv": 0.5, "tau_mem_inv": 0.1, "v_leak": -70, "v_th": -55, "v_reset": -70},
    "lif_adex": dict(
        adaptation_current=0, adaptation_spike=0.01, delta_T=2, tau_ada_inv=0.01,
        tau_syn_inv=0.5, tau_mem_inv=0.1, v_leak=-70, v_th=-55, v_reset=-70,
    ),
}


def _si(field: str, value: float) -> float:
    """A bio value in spikeplug's SI units: 1/ms → 1/s for inverse time constants."""
    return value * 1000.0 if field.startswith("tau_") else float(value)


@pytest.mark.parametrize("name", sorted(NORSE_BIO))
def test_bio_preset_values(name):
    """create(name, preset='bio') builds the layer with Norse's bio values in SI units (lif_ex
    keeps delta_T = 0.5: Norse's 0 would give NaN gradients)."""
    layer = spikeplug.create(name, preset="bio")
    assert type(layer) is get_registry().factory(name).layer
    for field, value in NORSE_BIO[name].items():
        assert getattr(layer.p, field) == pytest.approx(_si(field, value)), field
    if name == "lif_ex":
        assert layer.p.delta_T == 0.5


def test_user_keywords_override_the_preset():
    """Keywords given with preset= win over the preset's values; the other preset values stay."""
    cell = spikeplug.create("lif_adex", form="cell", preset="bio", v_th=-50.0)
    assert cell.p.v_th == -50.0 and cell.p.tau_ada_inv == 10.0 and cell.p.v_leak == -70.0


def test_bio_steps_like_norse_at_one_millisecond():
    """The SI bio LI preset at dt = 1 ms steps as Norse's bio_default() at dt = 1 (ms):
    I = 1 from rest gives v = -69.9, -69.76, -69.609 and i = 0.5, 0.75, 0.875 (hand-derived)."""
    out, states = spikeplug.create("li", preset="bio", record_states=True)(torch.ones(3, 1))
    assert_close(out[:, 0], [-69.9, -69.76, -69.609], atol=1e-4)
    assert_close(states.i[:, 0], [0.5, 0.75, 0.875])


def test_unknown_preset_lists_the_valid_ones():
    """An unknown preset name raises ParameterError naming the argument, the value and the choices."""
    message = r"preset must be one of 'bio' for 'iaf', got 'boi'\. Did you mean 'bio'"
    with pytest.raises(spikeplug.ParameterError, match=message):
        spikeplug.create("iaf", preset="boi")


def test_preset_with_p_is_an_error():
    """preset= and p= together are refused (which would win is unclear) with a way out."""
    p = get_registry().factory("li").parameters()
    with pytest.raises(spikeplug.ParameterError, match=r"preset='bio' cannot be combined with p=.*parameters\('bio'"):
        spikeplug.create("li", preset="bio", p=p)


def test_parameters_builds_the_preset_object():
    """MODULES.parameters(preset, **overrides) gives the validated parameter object."""
    modules = get_registry().factory("lif")
    p = modules.parameters("bio", v_th=-60.0)
    assert type(p) is modules.cell.model.parameters and p.v_th == -60.0 and p.v_leak == -70.0
    assert modules.parameters() == modules.cell.model.parameters()


def test_preset_module_set_is_a_module_set():
    """Without preset= a PresetModuleSet creates exactly what its ModuleSet does, with the same forms,
    and it pickles with its presets."""
    modules = get_registry().factory("lif_ex")
    assert isinstance(modules, spikeplug.ModuleSet) and modules.recurrent is not None
    rec = modules(form="recurrent", input_size=2, hidden_size=3)
    assert type(rec) is modules.recurrent and rec.hidden_size == 3
    clone = pickle.loads(pickle.dumps(modules))
    assert clone.presets == modules.presets and clone.cell is modules.cell


def test_presets_are_copied_and_checked():
    """PresetModuleSet.of copies the preset dicts, so later changes to them do not leak in; bad
    preset contents and a family without presets give ParameterErrors that say so."""
    base = get_registry().factory("li")
    values = {"v_leak": -1.0}
    modules = PresetModuleSet.of(base, {"low": values})
    values["v_leak"] = 5.0
    assert modules(form="cell", preset="low").p.v_leak == -1.0
    with pytest.raises(spikeplug.ParameterError, match="LIParameters has no parameter 'v_th'"):
        PresetModuleSet.of(base, {"bad": {"v_th": 1.0}})(preset="bad")
    with pytest.raises(spikeplug.ParameterError, match="preset: 'li' has no presets, got 'bio'"):
        PresetModuleSet.of(base, {})(preset="bio")


def test_declared_presets_match_the_factories():
    """Every neuron model's ModelSpec.presets (what describe shows) equals the presets its factory accepts."""
    registry = get_registry()
    for entry in registry.entries(kind="neuron"):
        offered = getattr(registry.factory(entry.qualified_name), "presets", {})
        assert set(entry.spec.presets) == set(offered), entry.qualified_name
    assert "bio" in registry.describe("lif_adex").presets
    assert registry.describe("lif_adex").forms == ("cell", "layer", "recurrent_cell", "recurrent")
