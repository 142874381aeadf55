"""Builtin neuron families, one subpackage each, each registered as its own plugin
through an entry point in spikeplug's ``pyproject.toml``.

Reach them through the registry (``spikeplug.create("lif")``) or import the familiar
names from a family (``from spikeplug.neurons_builtin.lif import LIFCell``).
"""
