"""Population encoder (``population``).

Equations and differences from the reference: :mod:`spikeplug.encoders_builtin.population.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["population_encode", "gaussian_rbf", "euclidean_distance", "PopulationParameters"],
        ".modules": ["PopulationEncoder"],
    },
)
