"""Example spikeplug plugin that cannot be imported."""
