"""The model catalogue: docs/models.md is current, every installed model appears, HTML, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import attrs
import pytest
import torch

import spikeplug
from spikeplug.catalogue import _markdown_doc, collect, figure_data, render_markdown, write_catalogue
from spikeplug.cli import main
from spikeplug.plugins import ModelSpec, Registry, get_registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "models.md"
REGENERATE = "spikeplug catalogue --distribution spikeplug --out docs/models.md"


def _close(actual, expected, path="data"):
    """JSON values equal, numbers within 1e-4 of the larger magnitude (float noise across machines)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected), f"{path}: keys differ"
        for k in expected:
            _close(actual[k], expected[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{path}: lengths differ"
        for i, (a, e) in enumerate(zip(actual, expected)):
            _close(a, e, f"{path}[{i}]")
    elif isinstance(expected, float) and isinstance(actual, (int, float)):
        assert math.isclose(actual, expected, rel_tol=1e-4, abs_tol=1e-9), f"{path}: {actual} != {expected}"
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def test_docs_models_md_is_current(tmp_path):
    """docs/models.md and the data of its figures are what `spikeplug catalogue` makes now
    (Markdown compared as text, data as numbers; PNG bytes vary with matplotlib, so only
    their presence is checked). Regenerate with the command in the failure message."""
    written = write_catalogue(tmp_path / "models.md", render=False, distribution="spikeplug")
    fresh = written.text
    committed = DOCS.read_text(encoding="utf-8")
    assert fresh == committed, f"docs/models.md is stale; regenerate it with `{REGENERATE}`"
    figures = DOCS.parent / "models"
    assert {p.name for p in written.data} == {p.name for p in figures.glob("*.json")}, f"stale data files; run `{REGENERATE}`"
    for path in written.data:
        _close(json.loads(path.read_text()), json.loads((figures / path.name).read_text()), path.name)
        assert (figures / path.name).with_suffix(".png").is_file(), f"missing figure {path.stem}.png; run `{REGENERATE}`"
    assert written.seconds < 30


def test_catalogue_lists_every_builtin_with_what_it_declares():
    """Each builtin neuron model and encoder has a section; a neuron's page shows its parameter
    table with units and constraints, its state variables with declared units, presets and backends."""
    text = DOCS.read_text(encoding="utf-8")
    reg = get_registry()
    for entry in reg.entries(kind="neuron") + reg.entries(kind="encoder"):
        if entry.distribution == "spikeplug":
            assert f'<a id="{entry.name}"></a>' in text and f"## {entry.name}\n" in text
    izh = text[text.index("## izhikevich\n") : text.index("## li\n")]
    assert "| `v` | mV | -70 |" in izh and "| `u` | mV/ms | -14 |" in izh
    assert "| `a` | 0.02 | 1/ms | finite | recovery rate of u (time scale 1/a) |" in izh
    assert "| `tonic_bursting` | a=0.02, b=0.2, c=-50, d=2, v_init=-70, u_init=-14 |" in izh
    assert "![izhikevich: response to the standard stimulus](models/izhikevich.png)" in izh
    lif = text[text.index("## lif\n") : text.index("## lif_adex\n")]
    assert "| backends | `eager`, `numba-cpu`, `numba-generated` |" in lif and "dt·tau_mem_inv <= 1 for a stable Euler step" in lif
    assert "```text\ni_j = i + I" in lif                     # the equations as a code block
    assert "## Surrogate gradient methods" in text and "qif" not in text


def test_third_party_model_appears_with_its_origin():
    """The example plugin's qif appears in the full catalogue with its plugin, distribution,
    declared units, parameters and response, with no change to spikeplug."""
    text = render_markdown(collect(names=["qif"]), figures="models")
    assert "## qif\n" in text and "plugin `example_qif`, distribution spikeplug-example-qif 0.1.0" in text
    assert "| `v` | a.u. | 0 |" in text and "| `v_crit` | 0.5 | a.u. | finite | unstable critical potential |" in text
    assert "Response to a step current of" in text and "spikes, the first at t =" in text
    assert "Below ``v_crit`` the neuron relaxes to ``v_rest``" in text


def test_figure_data_equals_the_simulation():
    """A page's JSON holds the simulation's spike steps, states and f–I curve, rounded."""
    (page,) = collect(names=["lif"])
    data = figure_data(page)
    assert data["spike_steps"] == page.simulation.spike_steps() and len(data["spike_steps"]) >= 5
    assert data["states"]["v"]["unit"] == "a.u."
    assert data["states"]["v"]["values"] == pytest.approx(page.simulation.states["v"][:, 0].tolist(), abs=1e-4)
    assert data["rate_curve"]["rates"] == pytest.approx(page.curve.rates.tolist(), rel=1e-4)
    assert data["stimulus"]["amplitude"] == page.simulation.stimulus.amplitude


def test_model_without_units_and_a_failing_model():
    """A model that declares no state units is listed with empty unit cells; a model whose
    simulation fails shows the error on its page while the others still render."""
    lif_model = spikeplug.registry.factory("lif").model
    quiet = attrs.evolve(lif_model, name="quiet", state_units={}, input_unit="", fused=())
    modules = spikeplug.build_modules(quiet, "Quiet", __name__)

    def broken_step(x, state, p, *, detach_reset=False):
        raise RuntimeError("this step is broken on purpose")

    broken = spikeplug.build_modules(attrs.evolve(quiet, name="broken", step=broken_step), "Broken", __name__)
    reg = Registry(path=[], autoload=False)
    reg.register(ModelSpec(name="quiet", kind="neuron", summary="no units", factory=modules, parameters=quiet.parameters))
    reg.register(ModelSpec(name="broken", kind="neuron", summary="fails", factory=broken, parameters=quiet.parameters))
    reg.register(ModelSpec(name="ghost", kind="neuron", summary="cannot import", factory="no_such_module_xyz:THING"))
    text = render_markdown(collect(reg, steps=60), figures=None)
    assert "| `v` |  | 0 |" in text and "registered in process" in text
    assert "Could not be simulated: `RuntimeError: this step is broken on purpose`" in text
    assert "## ghost" in text and "Could not be simulated: `PluginError: factory of __main__:ghost" in text
    assert "## quiet" in text and "Response to a step current of" in text


def test_html_catalogue(tmp_path):
    """--format html writes one page with a section, table and figure per model, text escaped."""
    out = tmp_path / "cat.html"
    written = write_catalogue(out, render=False, names=["lif", "poisson"])
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and '<h2 id="lif">lif</h2>' in html and '<h2 id="poisson">' in html
    assert '<img src="cat/lif.png"' in html and "<td>1/s</td>" in html
    assert "dt·tau_mem_inv &lt;= 1" in html and written.models == 2


def test_catalogue_renders_small_figures(tmp_path):
    """With figures on, each model gets a PNG (a palette image, kept small) beside its JSON."""
    written = write_catalogue(tmp_path / "m.md", names=["izhikevich"], steps=200)
    (png,) = written.figures
    assert png == tmp_path / "m" / "izhikevich.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < 60_000
    from PIL import Image

    with Image.open(png) as image:
        assert image.mode == "P"


def test_cli_catalogue_to_stdout_and_errors(capsys):
    """`spikeplug catalogue --models qif` prints Markdown; an unknown distribution names the installed ones."""
    assert main(["catalogue", "--models", "qif", "--steps", "100"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Model catalogue") and "--models qif --steps 100" in out and "## qif" in out
    assert main(["catalogue", "--distribution", "nobody"]) == 1
    err = capsys.readouterr().err
    assert "distribution 'nobody' provides no model; installed:" in err and "spikeplug-example-qif" in err


def test_markdown_doc_conversion():
    """Literal blocks (`::`) and doctests become fenced code; roles become code."""
    doc = "Equations::\n\n    v' = v + I\n\nSee :class:`~spikeplug.Trace` and :mod:`spikeplug.plot`.\n\n>>> 1 + 1\n2\n"
    assert _markdown_doc(doc) == (
        "Equations:\n\n```text\nv' = v + I\n```\n\nSee ``Trace`` and ``spikeplug.plot``.\n\n```pycon\n>>> 1 + 1\n2\n```"
    )


def test_catalogue_is_deterministic():
    """Two runs give the same Markdown and data (seeded stimuli, float64, sorted models)."""
    a = collect(names=["poisson", "lif_refrac"], steps=80)
    b = collect(names=["lif_refrac", "poisson"], steps=80)
    assert render_markdown(a) == render_markdown(b)
    assert [figure_data(p) for p in a] == [figure_data(p) for p in b]
    assert torch.equal(a[1].simulation.output, b[1].simulation.output)
