"""The spikeplug command line: models, plugins, describe, human and JSON output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


from spikeplug.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_builtins_and_example_plugin(capsys):
    """`spikeplug models` lists LIF, the example plugin's model and the surrogates by kind."""
    code, out, _ = run(capsys, "models")
    assert code == 0
    assert "neurons:" in out and "lif:lif" in out and "example_qif:qif" in out
    assert "surrogates:" in out and "surrogates:super" in out


def test_models_points_to_failed_plugins(capsys):
    """`spikeplug models` tells on stderr that a plugin failed and where to look."""
    _, _, err = run(capsys, "models")
    assert "example_broken" in err and "`spikeplug plugins` shows why" in err


def test_models_json(capsys):
    """`--json` gives records with name, kind, plugin and distribution."""
    code, out, _ = run(capsys, "models", "--kind", "neuron", "--json")
    records = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and records["lif"]["distribution"] == "spikeplug" and records["lif"]["kind"] == "neuron"
    assert all(r["kind"] == "neuron" for r in records.values())


def test_plugins_shows_broken_plugin_with_error(capsys):
    """`spikeplug plugins` lists the broken example plugin with its traceback."""
    code, out, _ = run(capsys, "plugins")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("example_broken"))
    assert "failed" in line and "ModuleNotFoundError: No module named 'spikeplug_example_missing_dependency'" in out
    records = {r["name"]: r for r in json.loads(run(capsys, "plugins", "--json")[1])}
    assert records["example_broken"]["status"] == "failed" and records["lif"]["status"] == "loaded"


def test_describe_shows_parameters_with_units(capsys):
    """`spikeplug describe lif` shows every parameter with default, unit and meaning, and the equations."""
    code, out, _ = run(capsys, "describe", "lif")
    assert code == 0
    assert "tau_mem_inv" in out and "[1/s]" in out and "inverse membrane time constant" in out
    assert "v_d = v + dt · tau_mem_inv" in out
    data = json.loads(run(capsys, "describe", "lif", "--json")[1])
    params = {p["name"]: p for p in data["parameters"]}
    assert params["tau_syn_inv"] == {
        "name": "tau_syn_inv", "default": 200.0, "unit": "1/s", "doc": "inverse synaptic time constant",
        "constraint": "finite and > 0; dt·tau_syn_inv <= 1 for a stable Euler step",
    }
    assert data["forms"] == ["cell", "layer", "recurrent_cell", "recurrent"]


def test_describe_unknown_name_fails_cleanly(capsys):
    """An unknown name exits 1 with the registry's message on stderr, not a traceback."""
    code, out, err = run(capsys, "describe", "lfi")
    assert code == 1 and out == ""
    assert "spikeplug describe: error: no model named 'lfi'" in err and "'lif'" in err.split("Did you mean")[1].split("?")[0]


def test_no_command_prints_help(capsys):
    """Without a command the help is printed and the exit code is 2."""
    code, out, _ = run(capsys)
    assert code == 2 and "models" in out and "describe" in out


def test_console_script_installed():
    """The `spikeplug` console script is installed with the package."""
    exe = shutil.which("spikeplug", path=str(Path(sys.executable).parent))
    assert exe is not None
    out = subprocess.run([exe, "models", "--json"], capture_output=True, text=True, check=True).stdout
    assert any(r["name"] == "lif" for r in json.loads(out))
