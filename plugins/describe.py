"""``registry.describe``: what a registered model is, read from its parameter class."""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from spikeplug.modules import ModuleSet
from spikeplug.params import constraint_text, format_value, param_info

from .specs import Entry, resolve_reference

__all__ = ["Description", "ParameterDescription", "describe_entry"]


@attrs.frozen
class ParameterDescription:
    """One parameter: name, default, unit, meaning and what values it accepts."""

    name: str
    default: Any
    unit: str
    doc: str
    constraint: str = ""

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if not isinstance(default, (int, float, str, bool, type(None))):
            default = repr(default)
        return {"name": self.name, "default": default, "unit": self.unit, "doc": self.doc, "constraint": self.constraint}


@attrs.frozen
class Description:
    """Everything ``spikeplug describe NAME`` shows."""

    name: str
    qualified_name: str
    kind: str
    summary: str
    plugin: str
    distribution: str | None
    version: str | None
    parameters: tuple[ParameterDescription, ...] = ()
    parameter_class: str | None = None
    forms: tuple[str, ...] = ()
    presets: tuple[str, ...] = ()
    doc: str = ""
    #: NIR node types the model exports as and imports from (its plugin's declaration; empty: none)
    nir: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = attrs.asdict(self, recurse=False)
        out["parameters"] = [p.to_dict() for p in self.parameters]
        out["forms"] = list(self.forms)
        out["presets"] = list(self.presets)
        out["nir"] = list(self.nir)
        return out

    def __str__(self) -> str:
        origin = f"plugin {self.plugin}"
        if self.distribution:
            origin += f", distribution {self.distribution} {self.version or ''}".rstrip()
        lines = [f"{self.qualified_name}  ({self.kind}; {origin})", f"  {self.summary}"]
        if self.forms:
            lines.append(f"  forms: {', '.join(self.forms)}")
        if self.presets:
            lines.append(f"  presets: {', '.join(self.presets)}")
        if self.kind == "neuron":
            nir = f"exports as {self.nir[0]}, imports from {', '.join(self.nir)}" if self.nir else "no NIR mapping"
            lines.append(f"  NIR: {nir}")
        if self.parameters:
            lines.append(f"  parameters ({self.parameter_class}):")
            width = max(len(p.name) for p in self.parameters)
            dwidth = max(len(format_value(p.default)) for p in self.parameters)
            uwidth = max(len(p.unit) + 2 if p.unit else 0 for p in self.parameters)
            for p in self.parameters:
                unit = f"[{p.unit}]" if p.unit else ""
                allowed = f" ({p.constraint})" if p.constraint else ""
                lines.append(
                    f"    {p.name:<{width}}  {format_value(p.default):>{dwidth}}  {unit:<{uwidth}}  {p.doc}{allowed}"
                )
        if self.doc:
            lines.append("")
            lines.extend("  " + line if line else "" for line in self.doc.strip().splitlines())
        return "\n".join(lines)


def describe_entry(entry: Entry, nir: tuple[str, ...] = ()) -> Description:
    spec = entry.spec
    base = dict(
        name=entry.name,
        qualified_name=entry.qualified_name,
        kind=entry.kind,
        summary=entry.summary,
        plugin=entry.plugin,
        distribution=entry.distribution,
        version=entry.version,
    )
    if entry.kind == "surrogate":
        doc = inspect.getdoc(spec.derivative) if spec.derivative is not None else "Heaviside step without gradient."
        return Description(**base, doc=doc or "")
    params = resolve_reference(spec.parameters, f"parameters of {entry.qualified_name}") if spec.parameters else None
    described: tuple[ParameterDescription, ...] = ()
    if params is not None:
        described = tuple(
            ParameterDescription(f.name, f.default, param_info(f).unit, param_info(f).doc, constraint_text(f))
            for f in attrs.fields(params)
        )
    factory = resolve_reference(spec.factory, f"factory of {entry.qualified_name}")
    forms: tuple[str, ...] = ()
    doc = ""
    modules = factory if isinstance(factory, ModuleSet) else getattr(factory, "modules", None)
    if isinstance(modules, ModuleSet):
        factory = modules
        forms = factory.forms
        doc = inspect.getdoc(inspect.getmodule(factory.model.step)) or ""
    else:
        doc = inspect.getdoc(factory) or ""
    return Description(
        **base,
        parameters=described,
        parameter_class=None if params is None else f"{params.__module__}.{params.__qualname__}",
        forms=forms,
        presets=tuple(spec.presets),
        doc=doc,
        nir=tuple(nir),
    )
