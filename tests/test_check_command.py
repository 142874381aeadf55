"""``spikeplug check NAME...``: the conformance suite from the command line (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

import spikeplug
from spikeplug.cli import main
from spikeplug.plugins import ModelSpec

from test_conformance_variants import VARIANTS, UnvalidatedParameters

CHECKS = "shapes,parameter_constraints,state_space,boundedness"


@pytest.fixture
def broken_model() -> Iterator[str]:
    """The 'no validators' variant registered in the process-wide registry for one test."""
    spikeplug.registry.register(ModelSpec(name="kit_unvalidated", kind="neuron", summary="broken toy",
                                          factory=VARIANTS["unvalidated"], parameters=UnvalidatedParameters))
    try:
        yield "kit_unvalidated"
    finally:
        spikeplug.registry.unregister("kit_unvalidated")


def test_check_reports_every_check_of_a_passing_model(capsys: pytest.CaptureFixture[str]) -> None:
    """A builtin passes: one line per check with its item count, exit status 0."""
    assert main(["check", "iaf:iaf", "--checks", CHECKS]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "iaf:iaf: 4 passed, 0 failed, 0 n/a"
    assert "  ok    parameter_constraints (6 items)" in out
    assert out.rstrip().endswith("every check passed")


def test_check_keeps_going_after_a_failure_and_says_what_to_fix(
    broken_model: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing check is listed with its message, the other checks still run, exit status 1."""
    assert main(["check", broken_model, "--checks", CHECKS]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{broken_model}: 3 passed, 1 failed, 0 n/a"
    assert (f"  FAIL  parameter_constraints: conformance check 'parameter_constraints' failed for model "
            f"'{broken_model}': UnvalidatedParameters(damping=nan) was accepted") in out
    assert "  ok    boundedness (2 items)" in out
    assert out.rstrip().endswith("1 check(s) failed")


def test_check_json(broken_model: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--json gives every check's status, items and error, per model."""
    assert main(["check", "iaf:iaf", broken_model, "--checks", "shapes,parameter_constraints", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False
    assert [r["status"] for r in data["models"]["iaf:iaf"]] == ["passed", "passed"]
    failed = data["models"][broken_model][1]
    assert failed["check"] == "parameter_constraints" and failed["status"] == "failed"
    assert "damping=nan" in failed["error"] and failed["passed"] == []


def test_check_unknown_name_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown model name is an error message with exit status 1, not a traceback."""
    assert main(["check", "no_such_model"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spikeplug check: error: no model named 'no_such_model' is registered")


def test_check_plugin_name_expands_and_import_stays_light() -> None:
    """A plugin name checks its neuron models; `import spikeplug` (with the check command
    registered) still imports no plugin module."""
    code = ("import sys, spikeplug.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('spikeplug.neurons_builtin', "
            "'spikeplug.encoders_builtin', 'spikeplug.plugins.conformance'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    out = subprocess.run([sys.executable, "-m", "spikeplug.cli", "check", "example_qif", "--checks", "shapes"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("example_qif:leaky: 1 passed, 0 failed, 0 n/a")  # both of the plugin's models
    assert "\nexample_qif:qif: 1 passed, 0 failed, 0 n/a" in out.stdout


def test_check_runs_the_encoder_check_on_encoders(capsys: pytest.CaptureFixture[str]) -> None:
    """An encoder name (or a plugin that registers encoders) gets check_encoder."""
    assert main(["check", "poisson"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == [
        "poisson:poisson: 1 passed, 0 failed, 0 n/a",
        "  ok    encoder (2 items)",
        "poisson:poisson_step: 1 passed, 0 failed, 0 n/a",
    ]
