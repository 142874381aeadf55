"""The ``spikeplug`` command line.

::

    spikeplug models [--kind neuron|encoder|surrogate] [--json]
    spikeplug plugins [--json]          loaded, failed (with traceback), blocked plugins
    spikeplug describe NAME [--json]    parameters with defaults, units and meaning
    spikeplug simulate NAME [...]       run a model on a standard stimulus; --plot, --csv, --json
    spikeplug catalogue [--out FILE]    every installed model with its parameters, states and response
    spikeplug nir inspect FILE [--json] a NIR file's nodes, edges and the spikeplug model of each node
    spikeplug check NAME... [--json]    the conformance suite on neuron models and encoders (names, plugins, 'all')

Further commands (``demo``) register themselves in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import catalogue as _catalogue
from . import demo as _demo
from . import simulation as _simulation
from .errors import SpikeplugError

__all__ = ["main", "COMMANDS"]


def _registry() -> Any:
    from spikeplug.plugins import get_registry

    return get_registry()


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


def _nir_types(reg: Any, entry: Any) -> tuple[str, ...]:
    """The NIR node types a neuron model exports as and imports from (empty: no mapping)."""
    mapping = reg.nir_mapping(entry.qualified_name)
    return tuple(mapping.spec.nir_types) if mapping is not None else ()


def cmd_models(args: argparse.Namespace) -> int:
    reg = _registry()
    entries = reg.entries(kind=args.kind)
    if args.json:
        _print_json(
            [
                {"name": e.name, "qualified_name": e.qualified_name, "kind": e.kind, "summary": e.summary,
                 "plugin": e.plugin, "distribution": e.distribution, "version": e.version,
                 **({"nir": list(_nir_types(reg, e))} if e.kind == "neuron" else {})}
                for e in entries
            ]
        )
        return 0
    if not entries:
        print("no models registered")
        return 0
    width = max(len(e.qualified_name) for e in entries)
    for kind in ("neuron", "encoder", "surrogate"):
        group = [e for e in entries if e.kind == kind]
        if group:
            print(f"{kind}s:")
            for e in group:
                print(f"  {e.qualified_name:<{width}}  {e.summary}")
    failed = [r.name for r in reg.plugin_records() if r.status == "failed"]
    if failed:
        print(
            f"\n{len(failed)} plugin(s) failed to load ({', '.join(failed)}); "
            "`spikeplug plugins` shows why.",
            file=sys.stderr,
        )
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    records = _registry().plugin_records()
    if args.json:
        _print_json([r.to_dict() for r in records])
        return 0
    for r in records:
        origin = f"{r.distribution} {r.version}" if r.distribution else "this process"
        print(f"{r.name:<20} {r.status:<8} {origin}  ({r.module})")
        if r.models:
            print(f"{'':<20} models: {', '.join(r.models)}")
        if r.error:
            for line in r.error.rstrip().splitlines():
                print(f"{'':<20} | {line}")
    broken = [r for r in records if r.status == "failed"]
    if broken:
        print(f"\n{len(broken)} plugin(s) failed to load; every other model works.")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    desc = _registry().describe(args.name)
    if args.json:
        _print_json(desc.to_dict())
    else:
        print(desc)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Run the conformance suite (every check, continuing after failures); exit 1 when one fails."""
    from spikeplug.plugins import conformance

    checks = [c.strip() for c in args.checks.split(",") if c.strip()] if args.checks else None
    if args.compile:
        checks = [*(checks or conformance.CHECKS), "compile"]
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report carries what matters; torch and numba chatter does not
        neurons, encoders = conformance.conformance_targets(args.names)
        neuron_checks = None if checks is None else [c for c in checks if c != "encoder"]
        for model in neurons if neuron_checks != [] else ():
            results[model] = conformance.run_checks(model, checks=neuron_checks)
        for encoder in encoders if not args.checks or "encoder" in checks else ():
            results[encoder] = conformance.run_checks(encoder, checks=["encoder"])
    failed = sum(r["status"] == "failed" for rs in results.values() for r in rs)
    if args.json:
        _print_json({"passed": failed == 0, "models": results})
        return 1 if failed else 0
    for model, rs in results.items():
        counts = {s: sum(r["status"] == s for r in rs) for s in ("passed", "failed", "n/a")}
        print(f"{model}: {counts['passed']} passed, {counts['failed']} failed, {counts['n/a']} n/a")
        for r in rs:
            if r["status"] == "failed":
                print(f"  FAIL  {r['check']}: {r['error']}")
            elif r["status"] == "n/a":
                print(f"  n/a   {r['check']}: {'; '.join(r['not_applicable'])}")
            else:
                print(f"  ok    {r['check']} ({len(r['passed'])} items)")
                for item in r["not_applicable"] if args.verbose else ():
                    print(f"          n/a  {item}")
                for item in r["passed"] if args.verbose else ():
                    print(f"          ok   {item}")
            for item in r["warnings"]:
                print(f"  warn  {item}")
    print(f"\n{failed} check(s) failed" if failed else "\nevery check passed")
    return 1 if failed else 0


def _add_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="+", metavar="NAME",
                   help="neuron model, encoder, plugin (all its models) or 'all'; comma-separated lists work too")
    p.add_argument("--checks", help="comma-separated checks to run (default: all)")
    p.add_argument("--compile", action="store_true", help="also run the slow torch.compile check")
    p.add_argument("-v", "--verbose", action="store_true", help="list every verified item")
    p.add_argument("--json", action="store_true", help="machine-readable output")


Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _add_models(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=["neuron", "encoder", "surrogate"], help="list only this kind")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _add_describe(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="model name, bare ('lif') or qualified ('lif:lif')")
    p.add_argument("--json", action="store_true", help="machine-readable output")


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "models": ("list registered neuron models, encoders and surrogate methods", _add_models, cmd_models),
    "plugins": ("list plugins, with the error of each one that failed", _add_json, cmd_plugins),
    "describe": ("show a model's parameters, defaults, units and origin", _add_describe, cmd_describe),
    "simulate": (
        "run one model on a step or ramp current (encoders: on a sample input); print spikes, plot, save data",
        _simulation.add_arguments,
        _simulation.command,
    ),
    "catalogue": (
        "write the catalogue of every installed model: parameters, states, equations, response figures",
        _catalogue.add_arguments,
        _catalogue.command,
    ),
    "nir": (
        "NIR interchange: `spikeplug nir inspect FILE` lists nodes, edges and the spikeplug model of each node",
        lambda p: _nir_cli("add_arguments")(p),
        lambda a: _nir_cli("command")(a),
    ),
    "check": (
        "run the conformance suite on neuron models: what passed, what failed and what to fix",
        _add_check,
        cmd_check,
    ),
    "demo": ("train a small spiking network on scikit-learn's 8x8 digits", _demo.add_arguments, _demo.command),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikeplug", description="spiking neural networks from plugins")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, _) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    with warnings.catch_warnings():
        # broken plugins are shown by `spikeplug plugins`; don't repeat them as warnings here
        warnings.simplefilter("ignore", category=_plugin_warning())
        try:
            return COMMANDS[args.command][2](args)
        except SpikeplugError as exc:
            print(f"spikeplug {args.command}: error: {exc}", file=sys.stderr)
            return 1


def _nir_cli(name: str) -> Any:
    from . import nir  # the module imports the nir package only when a command runs

    return getattr(nir, name)


def _plugin_warning() -> type[Warning]:
    from spikeplug.plugins import PluginLoadWarning

    return PluginLoadWarning


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
