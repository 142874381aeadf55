"""The hooks a spikeplug plugin implements.

A plugin is a module named by an entry point in the ``spikeplug`` group; it marks its
hook functions with :data:`spikeplug.plugins.hookimpl`. Each hook *returns* specs; the
host attaches the origin (plugin, distribution, version) itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from spikeplug.surrogates import Surrogate

    from .specs import ModelSpec, NIRMapping

PROJECT = "spikeplug"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def spikeplug_models() -> Sequence[ModelSpec]:
    """Contribute neuron models and encoders.

    Keep this cheap: return specs whose ``factory`` (and ``parameters``) are lazy
    ``"module:attr"`` references, so the heavy code is imported when a model is created.

    :returns: a sequence of :class:`~spikeplug.plugins.ModelSpec`.

    Example::

        @hookimpl
        def spikeplug_models():
            return [ModelSpec(name="qif", kind="neuron", summary="quadratic integrate-and-fire",
                              factory="my_package.qif:MODULES",
                              parameters="my_package.qif:QIFParameters")]
    """


@hookspec
def spikeplug_surrogates() -> Sequence[Surrogate]:
    """Contribute surrogate-gradient methods usable as ``method=`` of any spiking model.

    :returns: a sequence of :class:`spikeplug.Surrogate` (module-level derivative
        functions, so they pickle).

    Example::

        @hookimpl
        def spikeplug_surrogates():
            return [Surrogate("sigmoid", sigmoid_derivative, "σ'(αx)·α")]
    """


@hookspec
def spikeplug_nir_mappings() -> Sequence[NIRMapping]:
    """Declare how this plugin's own neuron models translate to and from NIR nodes.

    Used by :func:`spikeplug.to_nir`, :func:`spikeplug.from_nir` and ``spikeplug nir
    inspect``. A plugin may only map models it contributes itself; a model without a
    mapping raises a clear error on export. Keep this cheap: give ``to_nir``/``from_nir``
    as lazy ``"module:attr"`` references, so neither ``nir`` nor the model is imported
    while plugins register.

    :returns: a sequence of :class:`~spikeplug.plugins.NIRMapping`.

    Example::

        @hookimpl
        def spikeplug_nir_mappings():
            return [NIRMapping(model="qif", nir_types=("QIF",),
                               to_nir="my_package.qif_nir:to_nir",
                               from_nir="my_package.qif_nir:from_nir")]
    """
