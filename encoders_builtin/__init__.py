"""Builtin encoders, each registered as its own plugin through an entry point in
spikeplug's ``pyproject.toml``."""
