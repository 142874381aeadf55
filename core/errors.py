"""The error hierarchy of spikeplug.

Every error raised on purpose by spikeplug derives from :class:`SpikeplugError` *and*
from the builtin exception a Python user would expect (``ValueError`` for a bad value,
``LookupError`` for an unknown name), so both ``except SpikeplugError`` and
``except ValueError`` work. The registry adds its own errors in
:mod:`spikeplug.plugins.errors`, on the same root.
"""

from __future__ import annotations


class SpikeplugError(Exception):
    """Root of every error spikeplug raises on purpose."""


class ParameterError(SpikeplugError, ValueError):
    """A neuron or encoder parameter has a bad name or value."""


class InputShapeError(SpikeplugError, ValueError):
    """An input tensor has a shape that the module cannot take."""


class InputValueError(SpikeplugError, ValueError):
    """An input tensor holds values outside the range a module accepts (e.g. rates above 1)."""


class StateError(SpikeplugError, ValueError):
    """A state passed to a module does not fit the module or its input."""


class SpikeplugWarning(UserWarning):
    """Root of the warnings spikeplug emits."""


class StabilityWarning(SpikeplugWarning):
    """Legal parameter values that make the simulation or its gradients unstable
    (an Euler step too large for a time constant, a very steep surrogate)."""


class NonFiniteError(SpikeplugError, FloatingPointError):
    """Anomaly detection (:func:`spikeplug.detect_anomaly`) found a non-finite value."""
