"""Example spikeplug plugin: the quadratic integrate-and-fire neuron (``qif``)."""
