"""Spike-latency encoders (``spike_latency``, ``spike_latency_lif``).

Equations and differences from the reference: :mod:`spikeplug.encoders_builtin.spike_latency.model`.
"""

from spikeplug.lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".model": ["spike_latency_encode", "spike_latency_lif_encode"],
        ".modules": ["SpikeLatencyEncoder", "SpikeLatencyLIFEncoder"],
    },
)
