"""Plugin module of the spike-latency encoders (entry point ``spike_latency``): registration only."""

from spikeplug.plugins import ModelSpec, hookimpl


@hookimpl
def spikeplug_models() -> list[ModelSpec]:
    return [
        ModelSpec(
            name="spike_latency",
            kind="encoder",
            summary="spike trains (time first) reduced to the first spike of every neuron",
            factory="spikeplug.encoders_builtin.spike_latency.modules:SpikeLatencyEncoder",
        ),
        ModelSpec(
            name="spike_latency_lif",
            kind="encoder",
            summary="constant currents to the first spike of LIF neurons (time first)",
            factory="spikeplug.encoders_builtin.spike_latency.modules:SpikeLatencyLIFEncoder",
            # takes the LIF family's parameters (through the constant_current_lif encoder)
            parameters="spikeplug.neurons_builtin.lif.model:LIFParameters",
        ),
    ]
