"""A plugin declares the spikeplug API range it was written for (``SPIKEPLUG_API``); the
registry refuses it, like any failed plugin, when the running spikeplug is outside (issue 13)."""

from __future__ import annotations

import pytest

import spikeplug
from spikeplug.plugins import PluginError, PluginLoadWarning, Registry
from spikeplug.plugins.api import API_VERSION, check_api, parse_range

from test_registry import _module_name, make_dist, site  # noqa: F401 - the fixture

PLUGIN = """
from spikeplug.plugins import ModelSpec, hookimpl
SPIKEPLUG_API = {api!r}

@hookimpl
def spikeplug_models():
    return [ModelSpec(name="{model}", kind="neuron", summary="toy", factory="spikeplug:create")]
"""


def _registry(site, api: str, model: str) -> Registry:  # noqa: F811
    module = _module_name(site, model)
    make_dist(site, f"{model}-dist", {model: module}, {module: PLUGIN.format(api=api, model=model)})
    return Registry(path=[str(site)])


def test_plugin_inside_its_range_loads(site) -> None:  # noqa: F811
    """A range that includes the running version (0.1.0) loads the plugin and its models."""
    reg = _registry(site, ">=0.1,<0.2", "in_range")
    assert "in_range" in reg.names()
    assert {r.name: r.status for r in reg.plugin_records()}["in_range"] == "loaded"


def test_plugin_outside_its_range_is_refused_naming_the_version_it_needs(site) -> None:  # noqa: F811
    """A plugin written for spikeplug 0.2 fails to load with a message saying what it needs and
    what is running; its models are unavailable and `spikeplug plugins` shows the reason."""
    reg = _registry(site, ">=0.2,<0.3", "too_new")
    with pytest.warns(PluginLoadWarning, match=r"needs spikeplug >=0.2, <0.3"):
        names = reg.names()
    assert "too_new" not in names
    record = {r.name: r for r in reg.plugin_records()}["too_new"]
    assert record.status == "failed"
    assert record.error == (
        f"plugin 'too_new' needs spikeplug >=0.2, <0.3 (SPIKEPLUG_API = '>=0.2,<0.3'), but this is spikeplug "
        f"{API_VERSION}; install a release of the plugin written for spikeplug {API_VERSION}, or a spikeplug in "
        "'>=0.2,<0.3'"
    )


def test_malformed_range_is_a_failed_plugin(site) -> None:  # noqa: F811
    """A range that cannot be read fails the plugin with the accepted form, not a crash."""
    reg = _registry(site, "0.1+", "garbled")
    with pytest.warns(PluginLoadWarning, match=r"'0.1\+' is not an operator"):
        reg.names()


def test_range_comparison() -> None:
    """Clauses compare dotted versions numerically; trailing zeros do not matter."""
    assert parse_range(">=0.1, <0.10") == [(">=", (0, 1)), ("<", (0, 10))]

    class Module:
        SPIKEPLUG_API = ">=0.9,<0.10"

    check_api(Module, "p", version="0.9.3")
    with pytest.raises(PluginError, match="needs spikeplug >=0.9, <0.10"):
        check_api(Module, "p", version="0.10.0")
    Module.SPIKEPLUG_API = "==0.1"
    check_api(Module, "p", version="0.1.0")
    check_api(object(), "p")  # no declaration: accepted


def test_example_plugin_declares_a_range_that_includes_this_spikeplug() -> None:
    """The example third-party plugin declares SPIKEPLUG_API, and it loads here."""
    from spikeplug_example_qif import plugin

    assert plugin.SPIKEPLUG_API == ">=0.1,<0.2"
    assert spikeplug.__version__ == API_VERSION
    check_api(plugin, "example_qif")
