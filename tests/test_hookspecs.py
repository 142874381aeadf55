"""Meta-tests: every hookspec is documented with its exact signature and exercised by a test."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from spikeplug.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(n for n in dir(hookspecs) if n.startswith("spikeplug_") and callable(getattr(hookspecs, n)))


def test_there_are_few_prefixed_hooks():
    """Hooks are few and prefixed with spikeplug_ (the registry relies on the prefix)."""
    assert SPECS == ["spikeplug_models", "spikeplug_nir_mappings", "spikeplug_surrogates"]


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_documented_with_exact_signature(name):
    """docs/plugins.md shows each hook with the signature the code declares."""
    signature = inspect.signature(getattr(hookspecs, name), eval_str=False)
    documented = f"def {name}{signature}".replace("'", "")
    assert documented in (ROOT / "docs" / "plugins.md").read_text(), documented


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_has_docstring_with_returns_and_example(name):
    """Each hookspec's docstring says what it returns and shows an example."""
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert ":returns:" in doc and "Example::" in doc and "@hookimpl" in doc


@pytest.mark.parametrize("name", SPECS)
def test_hookspec_is_exercised_by_a_test(name):
    """Some test outside this file implements the hook (so a hook nobody tests fails here)."""
    here = Path(__file__).name
    users = [p.name for p in (ROOT / "tests").glob("test_*.py") if p.name != here and f"def {name}(" in p.read_text()]
    assert users, f"no test implements {name}"
