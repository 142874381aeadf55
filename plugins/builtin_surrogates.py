"""Plugin registering the six surrogate methods of the core (entry point ``surrogates``)."""

from __future__ import annotations

from spikeplug.surrogates import BUILTIN_SURROGATES, Surrogate

from .hookspecs import hookimpl


@hookimpl
def spikeplug_surrogates() -> list[Surrogate]:
    return list(BUILTIN_SURROGATES)
