"""The model catalogue: every installed model, from what it declares to the registry.

``spikeplug catalogue`` writes one page (Markdown, or HTML) with, for each neuron model
and encoder, builtin or third-party alike: its summary and origin (plugin, distribution,
version), forms, backends, presets with their values, the parameter table (default,
unit, constraint, meaning), the state variables (unit, initial value), the documentation
with its equations (the docstring of the step's module, as ``spikeplug describe`` shows
it) and a figure of its response to the standard stimulus of
:func:`spikeplug.simulate` (a neuron's state variables and spikes, and its f–I curve; an
encoder's output for its sample input), with the figure's data as JSON beside it.

The catalogue is deterministic: models sorted by qualified name, stimuli seeded, neuron
models simulated in float64 and the data rounded to :data:`DIGITS` significant digits,
so the Markdown and the JSON can be compared as text (the PNG bytes depend on the
matplotlib version). ``docs/models.md`` is this output for spikeplug's own models::

    spikeplug catalogue --distribution spikeplug --out docs/models.md
"""

from __future__ import annotations

import argparse
import html
import inspect
import json
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import torch

from .errors import ParameterError, SpikeplugError
from .params import format_value
from .recording import is_spiking, state_unit
from .simulation import registry_or_default

__all__ = [
    "ModelPage",
    "StateVariable",
    "Written",
    "collect",
    "render_markdown",
    "render_html",
    "render_figure",
    "figure_data",
    "dump_data",
    "write_catalogue",
    "DIGITS",
    "STEPS",
]

#: significant digits (of each series' largest value) of the figure data written beside each figure
DIGITS = 5
#: time steps of the catalogue's standard stimulus
STEPS = 400
#: f–I curve points
CURVE_POINTS = 41
FIGURE_DPI = 72


@attrs.frozen
class StateVariable:
    """One state variable: its name, declared unit and value at rest with the default parameters."""

    name: str
    unit: str
    initial: float | None


@attrs.frozen(eq=False)
class ModelPage:
    """Everything the catalogue shows for one model."""

    entry: Any
    description: Any
    slug: str
    state_class: str = ""
    state_doc: str = ""
    states: tuple[StateVariable, ...] = ()
    input_unit: str = ""
    backends: tuple[str, ...] = ()
    presets: tuple[tuple[str, dict[str, Any]], ...] = ()
    simulation: Any = None
    curve: Any = None
    error: str | None = None

    @property
    def title(self) -> str:
        return self.entry.name if self.slug == self.entry.name else self.entry.qualified_name


# ---------------------------------------------------------------------- collecting
def _slugs(entries: Sequence[Any]) -> dict[str, str]:
    """File and anchor names: the bare name where it is unique in the catalogue, else plugin-name."""
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.name] = counts.get(e.name, 0) + 1
    return {
        e.qualified_name: e.name if counts[e.name] == 1 else re.sub(r"[^a-z0-9_-]+", "-", e.qualified_name.lower())
        for e in entries
    }


def collect(
    registry: Any = None,
    *,
    names: Sequence[str] | None = None,
    distribution: str | None = None,
    steps: int = STEPS,
    simulate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[ModelPage]:
    """One :class:`ModelPage` per neuron model and encoder (sorted by qualified name), only
    ``names`` or only those of ``distribution`` when given. With ``simulate`` each model
    runs on the standard stimulus; a model that fails to run gets its error on its page."""
    reg = registry_or_default(registry)
    entries = [e for k in ("neuron", "encoder") for e in reg.entries(kind=k)]
    if names:
        wanted = [reg.get(n) for n in names]
        keep = {e.qualified_name for e in wanted}
        entries = [e for e in entries if e.qualified_name in keep]
    if distribution is not None:
        entries = [e for e in entries if _same_distribution(e.distribution, distribution)]
        if not entries:
            known = sorted({e.distribution or "(in process)" for k in ("neuron", "encoder") for e in reg.entries(kind=k)})
            raise ParameterError(f"distribution {distribution!r} provides no model; installed: {', '.join(known)}")
    entries.sort(key=lambda e: (e.kind != "neuron", e.qualified_name))
    slugs = _slugs(entries)
    pages = []
    for entry in entries:
        if progress is not None:
            progress(entry.qualified_name)
        pages.append(_page(reg, entry, slugs[entry.qualified_name], steps, simulate))
    return pages


def _same_distribution(a: str | None, b: str) -> bool:
    norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()  # noqa: E731 - pip's normalisation, as the registry's
    return a is not None and norm(a) == norm(b)


def _page(reg: Any, entry: Any, slug: str, steps: int, simulate: bool) -> ModelPage:
    from spikeplug.plugins.describe import Description

    from .simulation import rate_curve, simulate as run, sweep

    fields: dict[str, Any] = {}
    try:
        description = reg.describe(entry.qualified_name)
    except Exception as exc:  # noqa: BLE001 - a plugin's broken model gets its error on its page, the rest goes on
        description = Description(
            name=entry.name, qualified_name=entry.qualified_name, kind=entry.kind, summary=entry.summary,
            plugin=entry.plugin, distribution=entry.distribution, version=entry.version,
        )
        return ModelPage(entry=entry, description=description, slug=slug, error=f"{type(exc).__name__}: {exc}")
    try:
        factory = reg.factory(entry.qualified_name)
        model = getattr(factory, "model", None)
        if entry.kind == "neuron" and model is not None:
            fields.update(_model_fields(factory, model))
        if simulate:
            if entry.kind == "neuron" and model is not None:
                onset = steps // 10
                amplitude = sweep(entry.qualified_name, steps=steps - onset, registry=reg).amplitude
                fields["simulation"] = run(entry.qualified_name, amplitude=amplitude, steps=steps, registry=reg)
                if is_spiking(model):
                    currents = torch.linspace(0.0, 2.0 * amplitude, CURVE_POINTS, dtype=torch.float64)
                    fields["curve"] = rate_curve(entry.qualified_name, currents, steps=steps, registry=reg)
            elif entry.kind == "encoder":
                fields["simulation"] = run(entry.qualified_name, steps=min(steps, 100), registry=reg)
    except Exception as exc:  # noqa: BLE001 - as above: shown on the model's page
        fields["error"] = f"{type(exc).__name__}: {exc}"
    return ModelPage(entry=entry, description=description, slug=slug, **fields)


def _model_fields(factory: Any, model: Any) -> dict[str, Any]:
    params = model.parameters()
    states: list[StateVariable] = []
    try:
        rest = model.initial_state((1,), params, torch.float64, torch.device("cpu"))
        initial = {k: float(v.reshape(-1)[0]) for k, v in zip(rest._fields, rest)}
    except Exception:  # noqa: BLE001 - a model whose rest state needs more (e.g. sizes): shown without it
        initial = {}
    for name in model.state._fields:
        states.append(StateVariable(name=name, unit=state_unit(model, name), initial=initial.get(name)))
    presets = getattr(factory, "presets", {}) or {}
    return {
        "state_class": f"{model.state.__module__}.{model.state.__qualname__}",
        "state_doc": (inspect.getdoc(model.state) or "").split("\n\n")[0].replace("\n", " "),
        "states": tuple(states),
        "input_unit": getattr(model, "input_unit", ""),
        # the layer form of every model may also run the kernel generated from its step
        # (spikeplug.generated; the conformance check "generated" says whether it covers it)
        "backends": (
            "eager", *(k.name for k in getattr(model, "fused", ())),
            *(("numba-generated",) if "layer" in getattr(factory, "forms", ()) else ()),
        ),
        "presets": tuple((name, dict(values)) for name, values in presets.items()),
    }


# ---------------------------------------------------------------------- data
def _quantised(values: torch.Tensor, digits: int = DIGITS) -> list[Any]:
    """``values`` as nested lists rounded to ``digits`` significant digits of the series'
    largest magnitude (so float noise far below it, e.g. 1e-17 against 0, disappears);
    a single neuron's ``(T, 1)`` becomes a flat list."""
    v = values.detach().to(torch.float64).cpu()
    if v.dim() == 2 and v.shape[1] == 1:
        v = v[:, 0]
    finite = v[torch.isfinite(v)]
    scale = float(finite.abs().max()) if finite.numel() else 0.0
    decimals = digits - 1 - math.floor(math.log10(scale)) if scale > 0 else 0
    return _round_nested(v.tolist(), decimals)


def _round_nested(value: Any, decimals: int) -> Any:
    if isinstance(value, list):
        return [_round_nested(x, decimals) for x in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    rounded = round(value, decimals)
    return 0.0 if rounded == 0 else rounded                    # no "-0.0"


def figure_data(page: ModelPage) -> dict[str, Any] | None:
    """The data behind a page's figure, JSON-ready: each series rounded to :data:`DIGITS`
    significant digits of its largest value, spikes as the steps they occur at."""
    sim = page.simulation
    if sim is None:
        return None
    data: dict[str, Any] = {
        "model": sim.qualified_name,
        "kind": sim.kind,
        "form": sim.form,
        "dt": sim.dt,
        "steps": sim.steps,
        "input": {"description": sim.input_description, "unit": sim.input_unit, "values": _quantised(sim.input)},
    }
    if sim.stimulus is not None:
        data["stimulus"] = attrs.asdict(sim.stimulus)
    if sim.spikes and sim.over_time:
        steps = [sim.spike_steps(n) for n in range(sim.neurons)]
        data["spike_steps"] = steps[0] if sim.kind == "neuron" and len(steps) == 1 else steps
    else:
        data["output"] = _quantised(sim.output)
    data["states"] = {k: {"unit": sim.units.get(k, ""), "values": _quantised(v)} for k, v in sim.states.items()}
    if page.curve is not None:
        c = page.curve
        data["rate_curve"] = {
            "current_unit": c.current_unit,
            "rate_unit": c.rate_unit,
            "steps": c.steps,
            "currents": _quantised(c.currents),
            "rates": _quantised(c.rates),
        }
    return data


def dump_data(data: dict[str, Any]) -> str:
    """JSON with one top-level key per line (diffs stay readable, files small)."""
    body = ",\n".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in data.items())
    return "{\n" + body + "\n}\n"


def render_figure(page: ModelPage, path: Path) -> None:
    """Draw a page's figure with :func:`spikeplug.plot.simulation` and save it as a small PNG
    (a 64-colour palette: a third of the bytes, the same look)."""
    import io

    from matplotlib.figure import Figure
    from PIL import Image  # a dependency of matplotlib

    from . import plot

    rows = len(page.simulation.states) + 2 if page.entry.kind == "neuron" else 3
    size = (8.5, 1.1 * rows + 0.9) if page.curve is not None else (7.0, 1.1 * rows + 0.9)
    fig = plot.simulation(page.simulation, curve=page.curve, fig=Figure(figsize=size, layout="constrained"))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=FIGURE_DPI)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


# ---------------------------------------------------------------------- text
_ROLE = re.compile(r":[a-z]+:`(~?)([^`<]+?)(?:\s*<[^>]+>)?`")


def _role(match: re.Match[str]) -> str:
    """``:class:`~a.b.C``` as ````C```` (the last part, as Sphinx shows it), else the whole target."""
    target = match.group(2)
    return f"``{target.split('.')[-1] if match.group(1) else target}``"


def _markdown_doc(doc: str) -> str:
    """A reStructuredText docstring as Markdown: ``::`` literal blocks and doctests become
    fenced code, ``:role:`target``` becomes code."""
    lines = doc.strip("\n").splitlines()
    out: list[str] = []
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.lstrip().startswith(">>>"):
            block = []
            while k < len(lines) and lines[k].strip():
                block.append(lines[k].strip() if lines[k].lstrip().startswith((">>>", "...")) else lines[k].rstrip())
                k += 1
            out += ["```pycon", *block, "```"]
            continue
        literal = line.rstrip().endswith("::")
        text = line.rstrip()
        if literal:
            text = text[:-2].rstrip()
            text = text + ":" if text and not text.endswith(":") else text
        out.append(_ROLE.sub(_role, text))
        k += 1
        if literal:
            while k < len(lines) and not lines[k].strip():
                k += 1
            indent = len(line) - len(line.lstrip())
            block = []
            while k < len(lines) and (not lines[k].strip() or len(lines[k]) - len(lines[k].lstrip()) > indent):
                block.append(lines[k])
                k += 1
            while block and not block[-1].strip():
                block.pop()
            width = min((len(b) - len(b.lstrip()) for b in block if b.strip()), default=0)
            out += ["", "```text", *(b[width:] for b in block), "```", ""]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _value(value: Any) -> str:
    if value is None:
        return "None"
    return format_value(value) if not isinstance(value, str) else repr(value)


def _origin(entry: Any) -> str:
    dist = f", distribution {entry.distribution} {entry.version or ''}".rstrip() if entry.distribution else ", registered in process"
    return f"plugin `{entry.plugin}`{dist}"


def _response_text(page: ModelPage) -> str:
    sim = page.simulation
    timing = f"{sim.steps} steps" + (f" of dt = {sim.dt:g} s" if sim.dt is not None else "")
    if page.entry.kind == "encoder":
        if not sim.over_time:
            return f"Output for {sim.input_description}: graded values of shape {tuple(sim.output.shape)}, no spikes."
        if not sim.spikes:
            return f"Output for {sim.input_description} over {timing}: not spikes."
        counts = ", ".join(str(int(c)) for c in sim.spike_counts())
        return f"Output for {sim.input_description}, {timing}: spikes per output {counts}."
    text = f"Response to a {sim.input_description}, {timing}"
    if sim.form != "cell":
        text += f" (through its {sim.form.replace('_', ' ')} form)"
    if not sim.spikes:
        out = sim.output.reshape(sim.steps, -1)[:, 0]
        return text + f": no spikes; output from {float(out.min()):.4g} to {float(out.max()):.4g}."
    times = sim.spike_times()
    text += f": {len(times)} spike{'' if len(times) == 1 else 's'}"
    if times:
        text += f", the first at t = {times[0]:.4g} s" if sim.dt is not None else f", the first at step {times[0]:g}"
        text += f", {float(sim.rates(sim.stimulus.onset)[0]):.4g} {sim.rate_unit} while the current is on"
    text += "."
    if page.curve is not None:
        c = page.curve
        unit = f" {c.current_unit}" if c.current_unit else ""
        text += (
            f" f–I curve: {c.currents.numel()} constant currents from 0 to {float(c.currents[-1]):.4g}{unit}, "
            f"{c.steps} steps each; at most {float(c.rates.max()):.4g} {c.rate_unit}."
        )
    return text


def _header(options: str) -> list[str]:
    return [
        "# Model catalogue",
        "",
        f"Generated by `spikeplug catalogue{options}` from what every installed model declares to the",
        "registry; do not edit by hand. Figures show each model's response to the standard stimulus of",
        "`spikeplug simulate` (the JSON beside each figure holds its data). See `spikeplug describe NAME` and",
        "`spikeplug simulate NAME` for one model.",
        "",
    ]


def render_markdown(
    pages: Sequence[ModelPage],
    *,
    figures: str | None = "models",
    options: str = "",
    surrogates: Sequence[Any] = (),
    failed: Sequence[Any] = (),
) -> str:
    """The catalogue as Markdown; ``figures`` is the folder of the figures and their data,
    relative to the Markdown file (``None``: no figures)."""
    lines = _header(options)
    for kind, title in (("neuron", "Neuron models"), ("encoder", "Encoders")):
        group = [p for p in pages if p.entry.kind == kind]
        if group:
            lines.append(f"**{title}:** " + ", ".join(f"[{p.title}](#{p.slug})" for p in group))
            lines.append("")
    for page in pages:
        lines += _markdown_page(page, figures)
    if surrogates:
        lines += ["## Surrogate gradient methods", "", "| method | plugin | derivative |", "|---|---|---|"]
        lines += [f"| `{s.name}` | `{s.plugin}` | {_cell(s.summary)} |" for s in surrogates]
        lines.append("")
    if failed:
        lines += ["## Plugins that failed to load", ""]
        lines += [f"- `{r.name}` ({r.distribution}): {_cell((r.error or '').strip().splitlines()[-1:] or '?')}" for r in failed]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _markdown_page(page: ModelPage, figures: str | None) -> list[str]:
    e, d = page.entry, page.description
    lines = [f'<a id="{page.slug}"></a>', "", f"## {page.title}", "", f"*{_cell(e.summary)}*", ""]
    facts = [("kind", e.kind), ("registry name", f"`{e.name}` (qualified `{e.qualified_name}`)"), ("origin", _origin(e))]
    if d.forms:
        facts.append(("forms", ", ".join(f"`{f}`" for f in d.forms)))
    if page.backends:
        facts.append(("backends", ", ".join(f"`{b}`" for b in page.backends)))
    if d.presets:
        facts.append(("presets", ", ".join(f"`{p}`" for p in d.presets)))
    lines += ["| | |", "|---|---|", *(f"| {k} | {_cell(v)} |" for k, v in facts), ""]
    if page.error:
        lines += [f"Could not be simulated: `{_cell(page.error)}`", ""]
    elif page.simulation is not None:
        if figures is not None:
            lines += [f"![{page.title}: response to the standard stimulus]({figures}/{page.slug}.png)", ""]
        data = f" Data: [{page.slug}.json]({figures}/{page.slug}.json)." if figures is not None else ""
        lines += [_response_text(page) + data, ""]
    if d.parameters:
        lines += [f"### Parameters (`{d.parameter_class}`)", "", "| name | default | unit | constraint | meaning |", "|---|---|---|---|---|"]
        for p in d.parameters:
            lines.append(f"| `{p.name}` | {_cell(_value(p.default))} | {_cell(p.unit)} | {_cell(p.constraint)} | {_cell(p.doc)} |")
        lines.append("")
    if page.states:
        unit_note = f" Input unit: {page.input_unit}" if page.input_unit else ""
        unit_note += "." if unit_note and not unit_note.endswith(".") else ""
        lines += [f"### State variables (`{page.state_class}`)", "", f"{_cell(page.state_doc)}{unit_note}", ""]
        lines += ["| name | unit | at rest (defaults) |", "|---|---|---|"]
        for s in page.states:
            rest = "" if s.initial is None else format_value(s.initial)
            lines.append(f"| `{s.name}` | {_cell(s.unit)} | {rest} |")
        lines.append("")
    if page.presets:
        lines += ["### Presets", "", "| preset | values |", "|---|---|"]
        for name, values in page.presets:
            lines.append(f"| `{name}` | {_cell(', '.join(f'{k}={_value(v)}' for k, v in values.items()))} |")
        lines.append("")
    if d.doc:
        lines += ["### Equations and notes" if e.kind == "neuron" else "### Documentation", "", _markdown_doc(d.doc), ""]
    return lines


def render_html(
    pages: Sequence[ModelPage],
    *,
    figures: str | None = "models",
    options: str = "",
    surrogates: Sequence[Any] = (),
    failed: Sequence[Any] = (),
) -> str:
    """The catalogue as one standalone HTML page (same content as :func:`render_markdown`)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>spikeplug model catalogue</title>',
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
        "pre{background:#f6f6f6;padding:.5em;overflow-x:auto}img{max-width:100%}</style></head><body>",
        "<h1>Model catalogue</h1>",
        f"<p>Generated by <code>spikeplug catalogue{esc(options)}</code> from what every installed model declares "
        "to the registry.</p>",
    ]
    for kind, title in (("neuron", "Neuron models"), ("encoder", "Encoders")):
        group = [p for p in pages if p.entry.kind == kind]
        if group:
            links = ", ".join(f'<a href="#{p.slug}">{esc(p.title)}</a>' for p in group)
            parts.append(f"<p><b>{title}:</b> {links}</p>")
    for page in pages:
        e, d = page.entry, page.description
        parts.append(f'<h2 id="{page.slug}">{esc(page.title)}</h2><p><i>{esc(e.summary)}</i></p><table>')
        facts = [("kind", e.kind), ("registry name", f"{e.name} (qualified {e.qualified_name})"), ("origin", _origin(e).replace("`", ""))]
        if d.forms:
            facts.append(("forms", ", ".join(d.forms)))
        if page.backends:
            facts.append(("backends", ", ".join(page.backends)))
        if d.presets:
            facts.append(("presets", ", ".join(d.presets)))
        parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts] + ["</table>"]
        if page.error:
            parts.append(f"<p>Could not be simulated: <code>{esc(page.error)}</code></p>")
        elif page.simulation is not None:
            if figures is not None:
                parts.append(f'<p><img src="{esc(figures)}/{page.slug}.png" alt="{esc(page.title)}"></p>')
            parts.append(f"<p>{esc(_response_text(page))}</p>")
        if d.parameters:
            parts.append(f"<h3>Parameters ({esc(d.parameter_class or '')})</h3><table>")
            parts.append("<tr><th>name</th><th>default</th><th>unit</th><th>constraint</th><th>meaning</th></tr>")
            for p in d.parameters:
                parts.append(
                    f"<tr><td><code>{esc(p.name)}</code></td><td>{esc(_value(p.default))}</td><td>{esc(p.unit)}</td>"
                    f"<td>{esc(p.constraint)}</td><td>{esc(p.doc)}</td></tr>"
                )
            parts.append("</table>")
        if page.states:
            parts.append(f"<h3>State variables ({esc(page.state_class)})</h3><p>{esc(page.state_doc)}</p><table>")
            parts.append("<tr><th>name</th><th>unit</th><th>at rest (defaults)</th></tr>")
            for s in page.states:
                rest = "" if s.initial is None else format_value(s.initial)
                parts.append(f"<tr><td><code>{esc(s.name)}</code></td><td>{esc(s.unit)}</td><td>{esc(rest)}</td></tr>")
            parts.append("</table>")
        if page.presets:
            parts.append("<h3>Presets</h3><table>")
            for name, values in page.presets:
                text = ", ".join(f"{k}={_value(v)}" for k, v in values.items())
                parts.append(f"<tr><td><code>{esc(name)}</code></td><td>{esc(text)}</td></tr>")
            parts.append("</table>")
        if d.doc:
            parts.append(f"<h3>{'Equations and notes' if e.kind == 'neuron' else 'Documentation'}</h3><pre>{esc(d.doc.strip())}</pre>")
    if surrogates:
        parts.append("<h2>Surrogate gradient methods</h2><table><tr><th>method</th><th>plugin</th><th>derivative</th></tr>")
        parts += [f"<tr><td><code>{esc(s.name)}</code></td><td>{esc(s.plugin)}</td><td>{esc(s.summary)}</td></tr>" for s in surrogates]
        parts.append("</table>")
    if failed:
        parts.append("<h2>Plugins that failed to load</h2><ul>")
        parts += [f"<li><code>{esc(r.name)}</code>: {esc((r.error or '?').strip().splitlines()[-1])}</li>" for r in failed]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------- writing
@attrs.frozen
class Written:
    """What :func:`write_catalogue` wrote."""

    page: Path | None
    text: str
    figures: tuple[Path, ...]
    data: tuple[Path, ...]
    models: int
    seconds: float


def write_catalogue(
    out: str | Path | None = None,
    *,
    fmt: str | None = None,
    figures_dir: str | Path | None = None,
    render: bool = True,
    names: Sequence[str] | None = None,
    distribution: str | None = None,
    steps: int = STEPS,
    registry: Any = None,
    progress: Callable[[str], None] | None = None,
) -> Written:
    """Collect the catalogue and write it to ``out`` (Markdown, or HTML for ``fmt="html"``
    or an ``.html`` file), the figures' data as JSON in ``figures_dir`` (default: a folder
    named after ``out`` beside it, ``docs/models/`` for ``docs/models.md``) and, with
    ``render``, the figures as PNG. Without ``out`` only the text is returned."""
    start = time.perf_counter()
    reg = registry_or_default(registry)
    if fmt is None:
        fmt = "html" if out is not None and str(out).endswith((".html", ".htm")) else "md"
    if fmt not in ("md", "html"):
        raise ParameterError(f"format must be 'md' or 'html', got {fmt!r}")
    steps = int(steps)
    if steps < 20:
        raise ParameterError(f"steps must be at least 20 for a readable response, got {steps}")
    pages = collect(reg, names=names, distribution=distribution, steps=steps, progress=progress)
    options = (f" --distribution {distribution}" if distribution else "") + (f" --models {','.join(names)}" if names else "")
    options += f" --steps {steps}" if steps != STEPS else ""
    surrogates = [s for s in reg.entries(kind="surrogate") if distribution is None or _same_distribution(s.distribution, distribution)]
    failed = [
        r for r in reg.plugin_records()
        if r.status == "failed" and (distribution is None or _same_distribution(r.distribution or "", distribution))
    ]
    folder: Path | None = None
    rel: str | None = None
    if out is not None:
        out = Path(out)
        folder = Path(figures_dir) if figures_dir is not None else out.parent / out.stem
        rel = _relative(folder, out.parent)
    render_fn = render_html if fmt == "html" else render_markdown
    text = render_fn(pages, figures=rel, options=options, surrogates=surrogates, failed=failed)
    figures: list[Path] = []
    data: list[Path] = []
    if out is not None and folder is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        for page in pages:
            values = figure_data(page)
            if values is None:
                continue
            path = folder / f"{page.slug}.json"
            path.write_text(dump_data(values), encoding="utf-8")
            data.append(path)
            if render:
                png = folder / f"{page.slug}.png"
                render_figure(page, png)
                figures.append(png)
    return Written(
        page=out, text=text, figures=tuple(figures), data=tuple(data), models=len(pages), seconds=time.perf_counter() - start
    )


def _relative(folder: Path, base: Path) -> str:
    try:
        return folder.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return folder.resolve().as_posix()


# ---------------------------------------------------------------------- command line
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``spikeplug catalogue``."""
    p.add_argument("--out", help="write the catalogue here (.md or .html), with its figures beside it; default: Markdown on stdout")
    p.add_argument("--format", choices=["md", "html"], default=None, help="output format (default: from --out's suffix, else md)")
    p.add_argument("--figures", help="folder of the figures and their data (default: next to --out, named after it)")
    p.add_argument("--no-figures", action="store_true", help="write the figures' data but do not draw them (no matplotlib needed)")
    p.add_argument("--distribution", help="only the models of this distribution (e.g. spikeplug for the builtins)")
    p.add_argument("--models", help="only these models, comma-separated")
    p.add_argument("--steps", type=int, default=STEPS, help=f"time steps of the standard stimulus (default: {STEPS})")


def command(args: argparse.Namespace) -> int:
    """``spikeplug catalogue``."""
    names = [n.strip() for n in args.models.split(",") if n.strip()] if args.models else None
    render = args.out is not None and not args.no_figures
    if render:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise SpikeplugError('drawing the figures needs matplotlib: pip install "spikeplug[plot]" (or --no-figures)') from None
    written = write_catalogue(
        args.out,
        fmt=args.format,
        figures_dir=args.figures,
        render=render,
        names=names,
        distribution=args.distribution,
        steps=args.steps,
        progress=(lambda name: print(f"catalogue: {name}", file=sys.stderr)) if sys.stderr.isatty() else None,
    )
    if args.out is None:
        sys.stdout.write(written.text)
    else:
        print(
            f"wrote {written.page} ({written.models} models), {len(written.data)} data files and {len(written.figures)} "
            f"figures in {written.seconds:.1f} s",
            file=sys.stderr,
        )
    return 0
