"""Fails on import: the package it needs is not installed (on purpose)."""

import spikeplug_example_missing_dependency  # noqa: F401  (does not exist)

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models():
    return [ModelSpec(name="broken_neuron", kind="neuron", summary="never registered", factory="x:y")]
