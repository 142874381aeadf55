"""spikeplug: spiking neural networks in PyTorch, built from plugins.

The core holds the conventions every neuron family follows (parameters, states, the
surrogate threshold), the generic time machinery (cells, layers, recurrent forms,
``Lift``, ``SequentialState``) and the facade to the model registry::

    import spikeplug
    lif = spikeplug.create("lif")                # a LIF layer over time
    spikeplug.registry.names(kind="neuron")      # every installed neuron model

Importing ``spikeplug`` loads no plugin; the registry discovers the installed plugins on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backends import BackendError, FusedKernel, backend
from .containers import Lift, SequentialState, is_stateful
from .conv import LConv2d
from .anomaly import detect_anomaly
from .errors import (
    InputShapeError,
    InputValueError,
    NonFiniteError,
    ParameterError,
    SpikeplugError,
    SpikeplugWarning,
    StabilityWarning,
    StateError,
)
from .model import (
    Encoder,
    NeuronModel,
    NeuronModelProtocol,
    RestState,
    floating_dtype,
    linear_input,
    stack_states,
    state_tensor,
)
from .modules import (
    FORMS,
    ModuleSet,
    NeuronCell,
    NeuronLayer,
    NeuronLinearCell,
    NeuronModule,
    NeuronRecurrent,
    NeuronRecurrentCell,
    build_modules,
    parameters_without_gradient,
)
from .params import (
    ParamInfo,
    Parameters,
    SpikingParameters,
    build_parameters,
    finite,
    known_surrogate,
    non_negative,
    one_of,
    param,
    param_info,
    parameters,
    positive,
)
from .presets import PresetModuleSet
from .recording import Recorder, RecordingError, Trace, record
from .regularization import RegularizationCell, spike_accumulator, voltage_accumulator
from .reset import reset_subtract, reset_value, spike_and_reset
from .simulation import simulate
from .surrogates import Surrogate, get_surrogate, threshold

if TYPE_CHECKING:
    from spikeplug.plugins.registry import Registry

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "FORMS",
    "FusedKernel",
    "backend",
    "Encoder",
    "InputShapeError",
    "InputValueError",
    "LConv2d",
    "Lift",
    "ModuleSet",
    "NeuronCell",
    "NeuronLayer",
    "NeuronLinearCell",
    "NeuronModel",
    "NeuronModelProtocol",
    "NeuronModule",
    "NeuronRecurrent",
    "NeuronRecurrentCell",
    "ParamInfo",
    "ParameterError",
    "PresetModuleSet",
    "Recorder",
    "RecordingError",
    "RegularizationCell",
    "RestState",
    "Parameters",
    "SequentialState",
    "SpikeplugError",
    "SpikeplugWarning",
    "SpikingParameters",
    "StateError",
    "Surrogate",
    "Trace",
    "build_modules",
    "build_parameters",
    "detect_anomaly",
    "NonFiniteError",
    "parameters_without_gradient",
    "StabilityWarning",
    "create",
    "describe",
    "finite",
    "floating_dtype",
    "from_nir",
    "get_surrogate",
    "is_stateful",
    "known_surrogate",
    "linear_input",
    "non_negative",
    "one_of",
    "param",
    "param_info",
    "parameters",
    "positive",
    "record",
    "registry",
    "reset_subtract",
    "reset_value",
    "simulate",
    "spike_and_reset",
    "spike_accumulator",
    "stack_states",
    "state_tensor",
    "threshold",
    "to_nir",
    "voltage_accumulator",
]


def create(name: str, /, **kwargs: Any) -> Any:
    """Create the registered model ``name`` (bare ``"lif"`` or qualified ``"lif:lif"``).

    Neuron models give the layer over time unless ``form=`` asks for ``"cell"``,
    ``"recurrent_cell"`` or ``"recurrent"``; other keywords are parameter overrides or
    module options::

        spikeplug.create("lif", tau_mem_inv=50.0)
        spikeplug.create("lif", form="recurrent", input_size=2, hidden_size=8)
    """
    from spikeplug.plugins import get_registry  # lazy: discovery on first use only

    return get_registry().create(name, **kwargs)


def to_nir(module: Any, sample_input: Any = None, *, dt: float) -> Any:
    """The ``nir.NIRGraph`` of a feed-forward spikeplug network at step ``dt`` (seconds).

    Needs ``pip install 'spikeplug[nir]'``; see :func:`spikeplug.nir.to_nir` and ``docs/nir.md``.
    """
    from . import nir as _nir  # lazy: importing spikeplug imports no nir

    return _nir.to_nir(module, sample_input, dt=dt)


def from_nir(graph_or_path: Any, *, dt: float, form: str | None = None, dtype: Any = None) -> Any:
    """A stateful network (``forward(x, state) -> (output, state)``) simulating a NIR graph or file at
    step ``dt`` (seconds), its weights and tensor parameters in ``dtype`` (default float32). See
    :func:`spikeplug.nir.from_nir` and ``docs/nir.md``.
    """
    import torch

    from . import nir as _nir

    return _nir.from_nir(graph_or_path, dt=dt, form=form, dtype=torch.float32 if dtype is None else dtype)


def describe(name: str) -> Any:
    """Parameters (defaults, units, meaning) and origin of the registered model ``name``."""
    from spikeplug.plugins import get_registry

    return get_registry().describe(name)


def __getattr__(name: str) -> Any:
    if name == "registry":
        from spikeplug.plugins import get_registry

        return get_registry()
    raise AttributeError(f"module 'spikeplug' has no attribute {name!r}")
