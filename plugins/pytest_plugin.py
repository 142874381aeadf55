"""The conformance suite as a pytest plugin: ``pytest --spikeplug-conformance=NAMES``.

Installed with spikeplug (entry point ``pytest11``), so in any environment that has
spikeplug::

    pytest --spikeplug-conformance=example_qif       # every neuron model of a plugin
    pytest --spikeplug-conformance=qif,lif            # or models, by name
    pytest --spikeplug-conformance=all                # every registered neuron model

runs the whole conformance suite (:data:`spikeplug.plugins.conformance.CHECKS`) on those
models, next to whatever tests pytest collects (none in an empty folder). One test item per
model × check × form, named ``spikeplug-conformance::MODEL::CHECK[FORM]`` (checks of the
parameter class, of the state space and of long runs have one item per model, without
``[FORM]``; an encoder has one item, ``ENCODER::encoder``, running
:func:`~spikeplug.plugins.conformance.check_encoder`), so ``-k boundedness`` selects as
usual. A check that does not apply is
skipped with the reason; a parameter field left without a readable constraint gives a
:class:`ConformanceWarning` in pytest's warnings summary. ``--spikeplug-checks=a,b``
runs only those checks, ``--spikeplug-compile`` adds ``torch.compile``.

An author declares an expected failure, with its reason, in the ini file (one line each;
``MODEL::CHECK`` matches every form of the check)::

    [tool.pytest.ini_options]
    spikeplug_xfail = [
        "qif::boundedness: the quadratic term diverges by design between spikes; fixed in 0.3",
    ]

The item is then marked ``xfail(strict=True, raises=ConformanceError)``: it must fail with
a conformance error, and is reported XPASS (a failure) once it passes, so the line can go.
Without the option the plugin does nothing (and imports nothing heavy).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

#: checks run once per model (they check the parameter class or pick a form themselves)
MODEL_LEVEL = ("parameter_validation", "parameter_constraints", "state_space", "boundedness", "generated")
#: checks of a layer against its step form: one item per layer form
LAYER_LEVEL = {"layer_matches_cell": ("layer", "recurrent")}


class ConformanceWarning(UserWarning):
    """Something a model leaves open without breaking the contract (e.g. an unconstrained parameter)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("spikeplug", "spikeplug conformance suite")
    group.addoption(
        "--spikeplug-conformance",
        action="append",
        default=[],
        metavar="NAMES",
        help="run spikeplug's conformance suite on these neuron models: plugin names (every neuron model of the "
        "plugin), model names, or 'all'; comma-separated, repeatable",
    )
    group.addoption("--spikeplug-checks", default=None, metavar="CHECKS",
                    help="comma-separated conformance checks to run (default: all)")
    group.addoption("--spikeplug-compile", action="store_true", help="also run the (slow) torch.compile check")
    parser.addini("spikeplug_xfail", type="linelist", default=[],
                  help="expected conformance failures, one per line: 'MODEL::CHECK[FORM]: reason' ([FORM] optional)")


def _selected(config: pytest.Config) -> tuple[list[str], list[str]]:
    """``(neuron models, encoders)`` from ``--spikeplug-conformance`` (plugins expanded)."""
    from spikeplug.errors import SpikeplugError
    from spikeplug.plugins.conformance import conformance_targets

    try:
        return conformance_targets(config.getoption("spikeplug_conformance"))
    except SpikeplugError as exc:
        raise pytest.UsageError(f"--spikeplug-conformance: {exc}") from None


def _xfails(config: pytest.Config) -> dict[str, str]:
    """``{"MODEL::CHECK" or "MODEL::CHECK[FORM]": reason}`` from the ini option ``spikeplug_xfail``."""
    out = {}
    for line in config.getini("spikeplug_xfail"):
        key, sep, reason = line.partition(": ")
        if not sep or "::" not in key or not reason.strip():
            raise pytest.UsageError(f"spikeplug_xfail: {line!r} is not 'MODEL::CHECK[FORM]: reason'")
        out[key.strip()] = reason.strip()
    return out


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so they apply to these items too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("spikeplug_conformance"):
        return
    from spikeplug.plugins import conformance

    checks = list(conformance.CHECKS)
    wanted = config.getoption("spikeplug_checks")
    if wanted:
        checks = [c.strip() for c in wanted.split(",") if c.strip()]
        unknown = [c for c in checks if c not in conformance.CHECKS and c != "compile"]
        if unknown:
            raise pytest.UsageError(f"--spikeplug-checks: unknown check {unknown[0]!r}; the checks are "
                                    f"{', '.join(conformance.CHECKS)}, compile")
    if config.getoption("spikeplug_compile") and "compile" not in checks:
        checks.append("compile")
    xfails = _xfails(config)
    root = ConformanceCollector.from_parent(session, name="spikeplug-conformance", nodeid="spikeplug-conformance")
    neurons, encoders = _selected(config)
    for model in neurons:
        try:
            subject = conformance._resolve(model)
            forms: tuple[str, ...] = subject.forms
        except Exception as exc:  # noqa: BLE001 - the model's items report it
            subject, forms = exc, ()
        for check in checks:
            if check in MODEL_LEVEL or check == "compile" or not forms:
                targets: list[str | None] = [None]
            elif check in LAYER_LEVEL:
                targets = [f for f in LAYER_LEVEL[check] if f in forms] or [None]
            else:
                targets = list(forms)
            for form in targets:
                name = f"{model}::{check}" + (f"[{form}]" if form else "")
                item = ConformanceItem.from_parent(root, name=name, model=model, check=check, form=form,
                                                   subject=subject)
                reason = xfails.get(name, xfails.get(f"{model}::{check}"))
                if reason:
                    item.add_marker(pytest.mark.xfail(reason=reason, raises=conformance.ConformanceError, strict=True))
                items.append(item)
    for encoder in encoders:
        name = f"{encoder}::encoder"
        item = ConformanceItem.from_parent(root, name=name, model=encoder, check="encoder", form=None, subject=None)
        reason = xfails.get(name)
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, raises=conformance.ConformanceError, strict=True))
        items.append(item)


class ConformanceCollector(pytest.Collector):
    """The parent of the conformance items (they are made by the plugin, not collected from files)."""

    def collect(self) -> list[pytest.Item]:
        return []


class ConformanceItem(pytest.Item):
    """One conformance check on one form (or the whole model) of one neuron model."""

    def __init__(self, *, model: str, check: str, form: str | None, subject: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model, self.check, self.form, self.subject = model, check, form, subject

    def runtest(self) -> None:
        from spikeplug.plugins import conformance

        if isinstance(self.subject, Exception):
            raise self.subject
        forms = [self.form] if self.form else None
        if self.check == "encoder":
            report = conformance.check_encoder(self.model)
        elif self.check == "compile":
            report = conformance.check_compile(self.subject, forms=forms)
        else:
            report = conformance.CHECKS[self.check](self.subject, forms=forms)
        self.add_report_section("call", "conformance", str(report))
        for item in report.warnings:
            warnings.warn(ConformanceWarning(f"model {self.model!r}: {item}"), stacklevel=1)
        if not report.passed:
            pytest.skip("n/a: " + ("; ".join(report.not_applicable) or f"{self.check} checked nothing"))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from spikeplug.plugins.conformance import ConformanceError

        if isinstance(excinfo.value, ConformanceError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"spikeplug-conformance::{self.name}"
