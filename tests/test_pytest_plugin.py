"""The conformance suite as a pytest plugin (``pytest --spikeplug-conformance=NAMES``).

Each test runs pytest in a subprocess, in an empty folder, as a plugin author would: the
plugin comes from spikeplug's ``pytest11`` entry point, not from this repository's conftest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from spikeplug.plugins import conformance

# a conftest that registers toy models in process: a correct one (no step form: state_space is
# n/a), one with an unconstrained field (a warning) and one with an unstable default dt
TOY_CONFTEST = '''
from typing import Any, NamedTuple
import math
import torch
import spikeplug
from spikeplug.plugins import ModelSpec

def must_be_finite(instance, attribute, value):
    if not math.isfinite(value):
        raise spikeplug.ParameterError(f"{type(instance).__name__}.{attribute.name} must be finite, got {value!r}")

@spikeplug.parameters
class ToyParameters(spikeplug.SpikingParameters):
    tau_mem_inv: float = spikeplug.param(100.0, unit="1/s", doc="rate", validator=spikeplug.positive())
    gain: float = spikeplug.param(1.0, unit="", doc="input gain", validator=must_be_finite)

@spikeplug.parameters
class FastParameters(ToyParameters):
    tau_mem_inv: float = spikeplug.param(2500.0, unit="1/s", doc="rate", validator=spikeplug.positive())

class ToyState(NamedTuple):
    v: torch.Tensor

def step(input, state, p, *, detach_reset=False):
    (v,) = state
    v_d = v + p.dt * p.tau_mem_inv * (p.gain * input - v)
    z = spikeplug.threshold(v_d - 1.0, p.method, p.alpha)
    return z, ToyState((1.0 - (z.detach() if detach_reset else z)) * v_d)

def initial_state(shape, p, dtype, device):
    return ToyState(torch.zeros(shape, dtype=dtype, device=device))

def modules(name, parameters):
    model = spikeplug.NeuronModel(name=name, parameters=parameters, state=ToyState, step=step,
                                  initial_state=initial_state)
    made = spikeplug.build_modules(model, name.title(), __name__)
    for cls in made:
        if cls is not None:
            globals()[cls.__name__] = cls
    return made

LAYER_ONLY = modules("layer_only", ToyParameters)._replace(cell=None)
UNSTABLE = modules("unstable", FastParameters)
for name, made, params in (("layer_only", LAYER_ONLY, ToyParameters), ("unstable", UNSTABLE, FastParameters)):
    spikeplug.registry.register(ModelSpec(name=name, kind="neuron", summary="toy", factory=made, parameters=params))
'''


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest ARGS`` in ``folder`` (no cache, the suite's numba cache dir)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(folder), *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )


def test_one_command_runs_the_whole_suite_on_a_builtin(tmp_path: Path) -> None:
    """``pytest --spikeplug-conformance=lif`` in an empty folder runs every check on every LIF
    form and passes: one item per model x check x form (7 per-form checks x 4 forms, the
    layer check on the 2 layer forms, 5 model-level checks)."""
    result = _pytest(tmp_path, "--spikeplug-conformance=lif", "-q", "-rA")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "35 passed" in result.stdout
    # "lif" is also the name of the builtin plugin that registers it: its models, qualified
    for name in ("lif:lif::shapes[cell]", "lif:lif::layer_matches_cell[recurrent]", "lif:lif::state_space",
                 "lif:lif::boundedness", "lif:lif::parameter_constraints"):
        assert f"PASSED spikeplug-conformance::{name}" in result.stdout, result.stdout


def test_plugin_name_selects_its_models_and_checks_can_be_chosen(tmp_path: Path) -> None:
    """A plugin name (the example plugin) expands to its neuron models, qualified; --spikeplug-checks
    restricts the checks; -k selects among the items."""
    result = _pytest(tmp_path, "--spikeplug-conformance=example_qif", "--spikeplug-checks=shapes,boundedness",
                     "--co", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    names = [line for line in result.stdout.splitlines() if "::" in line]
    assert names == [f"spikeplug-conformance::example_qif:leaky::shapes[{f}]" for f in ("cell", "layer")] + [
        "spikeplug-conformance::example_qif:leaky::boundedness"] + [
        f"spikeplug-conformance::example_qif:qif::shapes[{f}]" for f in ("cell", "layer", "recurrent_cell", "recurrent")
    ] + ["spikeplug-conformance::example_qif:qif::boundedness"]
    result = _pytest(tmp_path, "--spikeplug-conformance=example_qif:qif", "-k", "boundedness", "--co", "-q")
    assert [line for line in result.stdout.splitlines() if "::" in line] == [
        "spikeplug-conformance::example_qif:qif::boundedness"]


def test_unknown_names_are_usage_errors(tmp_path: Path) -> None:
    """An unknown model or check name stops pytest with a usage error naming it (no silent empty run)."""
    result = _pytest(tmp_path, "--spikeplug-conformance=no_such_model", "-q")
    assert result.returncode == 4 and "no_such_model" in result.stderr
    result = _pytest(tmp_path, "--spikeplug-conformance=lif", "--spikeplug-checks=shapez", "-q")
    assert result.returncode == 4 and "unknown check 'shapez'" in result.stderr


def test_skips_warnings_and_declared_expected_failures(tmp_path: Path) -> None:
    """n/a items are skipped with the reason, an unconstrained field shows as a ConformanceWarning,
    a failure declared in spikeplug_xfail is XFAIL with its reason, an undeclared one fails with
    the check's message (not a traceback)."""
    (tmp_path / "conftest.py").write_text(TOY_CONFTEST)
    (tmp_path / "pytest.ini").write_text(textwrap.dedent("""\
        [pytest]
        spikeplug_xfail =
            unstable::boundedness: dt is too large for the fast rate; fixed in 0.2
        """))
    checks = "--spikeplug-checks=state_space,parameter_constraints,boundedness"
    result = _pytest(tmp_path, "--spikeplug-conformance=layer_only,unstable", checks, "-rA")
    out = result.stdout
    assert "SKIPPED" in out and "n/a: state_space: no step form (cell, recurrent_cell, linear_cell)" in out
    assert "ConformanceWarning: model 'layer_only': parameter_constraints: ToyParameters.gain declares no " \
           "readable constraint" in out
    assert "XFAIL spikeplug-conformance::unstable::boundedness - dt is too large for the fast rate; fixed in 0.2" in out
    assert "PASSED spikeplug-conformance::layer_only::boundedness" in out
    assert result.returncode == 0, out + result.stderr
    # without the declaration the same item fails, reporting the check's message
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = _pytest(tmp_path, "--spikeplug-conformance=unstable", "-k", "boundedness", "-q")
    assert result.returncode == 1
    assert "conformance check 'boundedness' failed for model 'unstable', form 'layer': the default parameters " \
           "warn StabilityWarning" in result.stdout
    assert "Traceback" not in result.stdout


def test_every_check_has_a_docstring_saying_what_it_guarantees() -> None:
    """Every check of the suite documents what it guarantees (the authors' guide and
    `spikeplug check` read it), and the three checks of issue 13 are among them."""
    assert {"parameter_constraints", "state_space", "boundedness"} <= set(conformance.CHECKS)
    for name, check in conformance.CHECKS.items():
        assert check.__doc__ and len(check.__doc__.split()) >= 15, name


def test_encoders_get_one_item_each(tmp_path: Path) -> None:
    """A plugin that registers encoders gets one `encoder` item per encoder, which passes."""
    result = _pytest(tmp_path, "--spikeplug-conformance=poisson", "-q", "-rA")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED spikeplug-conformance::poisson:poisson::encoder" in result.stdout
    assert "PASSED spikeplug-conformance::poisson:poisson_step::encoder" in result.stdout
