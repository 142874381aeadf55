"""``spikeplug demo``: train a small spiking network on scikit-learn's 8×8 digits.

The network mixes models from different plugins, each created by its registry name::

    image (64 values in [0, 1]) · gain
      → encoder      (default "constant_current_lif")   spike trains (T, B, 64)
      → Linear(64, hidden) → neuron layer (default "lif")   spikes (T, B, hidden)
      → Linear(hidden, 10) → readout layer (default "li")   voltages (T, B, 10)
      → class scores = max over time of the readout voltages → cross-entropy

and is trained with Adam through the neurons' surrogate gradients. The 1,797 images
(shipped with scikit-learn, no download) are split 80/20 into training and test images,
stratified by class. Everything is seeded (weights, shuffling, encoder draws), so a run
is reproducible; the caller's global random state is left as it was.

Any installed model can be tried: ``--neuron`` takes a neuron family (its layer form, or
its recurrent form with its own input weights, or its cell lifted over time),
``--encoder`` an encoder that takes ``seq_length`` (spike trains) or ``out_features``
(population codes, presented at every step). Needs ``pip install "spikeplug[demo]"``
(scikit-learn, tqdm).
"""

from __future__ import annotations

import argparse
import inspect
import time
from collections.abc import Callable
from typing import Any

import attrs
import torch
from torch import nn

from .containers import Lift, SequentialState
from .errors import ParameterError, SpikeplugError

__all__ = ["run_demo", "DemoResult", "build_network", "build_encoder", "add_arguments", "command"]

CLASSES = 10
PIXELS = 64
#: input gain per encoder when ``gain`` is not given: LIF current encoders need currents
#: well above threshold (1) to spike within a few steps; rate encoders take x in [0, 1/(dt·f_max)].
DEFAULT_GAIN = {
    "constant_current_lif": 6.0,
    "spike_latency_lif": 6.0,
    "poisson": 8.0,
    "signed_poisson": 8.0,
    "population": 4.0,  # tuning curves about as wide as the spacing of the 8 centres
}


class MissingDemoDependency(SpikeplugError, ImportError):
    """scikit-learn or tqdm is not installed."""


@attrs.frozen
class DemoResult:
    """What :func:`run_demo` measured."""

    test_accuracy: float
    train_accuracy: float
    train_size: int
    test_size: int
    epochs: int
    seconds: float
    losses: tuple[float, ...]
    neuron: str
    encoder: str
    readout: str

    def __str__(self) -> str:
        return (
            f"test accuracy {100 * self.test_accuracy:.1f}% on {self.test_size} images "
            f"(train {100 * self.train_accuracy:.1f}% on {self.train_size}); {self.epochs} epochs in "
            f"{self.seconds:.1f} s; encoder {self.encoder}, neuron {self.neuron}, readout {self.readout}"
        )


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDemoDependency(
            f"the demo needs {module.split('.')[0]!r}, which is not installed: pip install \"spikeplug[demo]\""
        ) from exc


def load_digits(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 8×8 digits as ``(x_train, y_train, x_test, y_test)``, pixels scaled to [0, 1]."""
    datasets = _require("sklearn.datasets")
    model_selection = _require("sklearn.model_selection")
    digits = datasets.load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0   # (1797, 64)
    y = torch.tensor(digits.target, dtype=torch.long)           # (1797,)
    idx_train, idx_test = model_selection.train_test_split(
        list(range(len(y))), test_size=0.2, stratify=digits.target, random_state=seed
    )
    return x[idx_train], y[idx_train], x[idx_test], y[idx_test]


# ---------------------------------------------------------------- network from the registry
def _registry() -> Any:
    from spikeplug.plugins import get_registry

    return get_registry()


def _accepts(factory: Any, name: str) -> bool:
    try:
        return name in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False


def build_encoder(
    name: str, steps: int, *, generator: torch.Generator | None = None, population: int = 8
) -> tuple[nn.Module, str]:
    """The encoder ``name`` and how its output is used: ``"sequence"`` (spike trains, time
    first) or ``"features"`` (values without time, presented at every step)."""
    factory = _registry().factory(name)
    kwargs: dict[str, Any] = {}
    if _accepts(factory, "generator"):
        kwargs["generator"] = generator
    if _accepts(factory, "seq_length"):
        return factory(seq_length=steps, **kwargs), "sequence"
    if _accepts(factory, "out_features"):
        return factory(out_features=population, **kwargs), "features"
    usable = [n for n in _registry().names(kind="encoder") if _usable(n)]
    raise ParameterError(
        f"encoder {name!r} cannot encode images for the demo: it takes neither seq_length (values to spike trains) "
        f"nor out_features (population codes); encoders that can: {', '.join(usable)}"
    )


def _usable(name: str) -> bool:
    try:
        factory = _registry().factory(name)
    except SpikeplugError:
        return False
    return _accepts(factory, "seq_length") or _accepts(factory, "out_features")


def _population(name: str, in_features: int, out_features: int, **overrides: Any) -> list[nn.Module]:
    """``out_features`` neurons of model ``name`` over time, fed from ``in_features`` inputs:
    ``[Linear, layer]``, or the recurrent layer (its own input weights), or a lifted cell."""
    factory = _registry().factory(name)
    forms = getattr(factory, "forms", None)
    if forms is None:  # a plain factory: take what it makes as a layer over time
        return [nn.Linear(in_features, out_features), factory(**overrides)]
    if "layer" in forms:
        return [nn.Linear(in_features, out_features), factory.create("layer", **overrides)]
    if "recurrent" in forms:
        return [factory.create("recurrent", input_size=in_features, hidden_size=out_features, **overrides)]
    if "linear_cell" in forms:
        return [Lift(factory.create("linear_cell", input_size=in_features, hidden_size=out_features, **overrides))]
    if "recurrent_cell" in forms:
        return [Lift(factory.create("recurrent_cell", input_size=in_features, hidden_size=out_features, **overrides))]
    return [nn.Linear(in_features, out_features), Lift(factory.create("cell", **overrides))]


def build_network(neuron: str, readout: str, in_features: int, hidden: int, classes: int = CLASSES) -> SequentialState:
    """``SequentialState(Linear, neuron layer, Linear, readout layer)`` (or the forms the
    models have): time-first input ``(T, B, in_features)`` to readout outputs ``(T, B, classes)``."""
    return SequentialState(*_population(neuron, in_features, hidden), *_population(readout, hidden, classes))


class _Encode:
    """Images ``(B, 64)`` to network input ``(T, B, F)``."""

    def __init__(self, encoder: nn.Module, kind: str, steps: int, gain: float):
        self.encoder, self.kind, self.steps, self.gain = encoder, kind, steps, gain

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        out = self.encoder(images * self.gain)
        B = images.shape[0]
        if self.kind == "features":
            out = out.reshape(B, -1)                                  # (B, F)
            return out.unsqueeze(0).expand(self.steps, *out.shape)    # (T, B, F): the same values every step
        return out.reshape(out.shape[0], B, -1)                       # (T, B, F)


def _scores(net: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    out, _ = net(inputs)                     # (T, B, classes) readout voltages
    return out.amax(dim=0)                   # (B, classes): the highest voltage over time


# ---------------------------------------------------------------- training
def run_demo(
    *,
    neuron: str = "lif",
    encoder: str = "constant_current_lif",
    readout: str = "li",
    epochs: int = 10,
    hidden: int = 128,
    steps: int = 16,
    batch_size: int = 32,
    lr: float = 1e-2,
    gain: float | None = None,
    seed: int = 0,
    limit: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Train the demo network and return its test accuracy.

    :param neuron: registry name of the hidden spiking model; :param encoder: of the
        encoder; :param readout: of the read-out model (its outputs' maximum over time
        are the class scores).
    :param limit: use only the first ``limit`` training images (quick runs, tests); the test
        set is always the full held-out 20 %.
    :param gain: factor on the pixels (in [0, 1]) before encoding; default per encoder
        (:data:`DEFAULT_GAIN`, 1 for others).
    :param progress: show a tqdm bar per epoch with the running loss and accuracy.
    """
    for arg, value in (("epochs", epochs), ("hidden", hidden), ("steps", steps), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ParameterError(f"run_demo: {arg} must be a positive int, got {value!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
        raise ParameterError(f"run_demo: limit must be a positive int or None, got {limit!r}")
    if not lr > 0:
        raise ParameterError(f"run_demo: lr must be > 0, got {lr!r}")
    tqdm = _require("tqdm").tqdm if progress else None
    x_train, y_train, x_test, y_test = load_digits(seed)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    bare = encoder.rpartition(":")[2]
    gain = DEFAULT_GAIN.get(bare, 1.0) if gain is None else float(gain)

    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):  # seed weights without touching the caller's random state
        torch.manual_seed(seed)
        g_data = torch.Generator().manual_seed(seed)
        g_enc = torch.Generator().manual_seed(seed + 1)
        enc_module, kind = build_encoder(encoder, steps, generator=g_enc)
        encode = _Encode(enc_module, kind, steps, gain)
        features = encode(x_train[:1]).shape[-1]
        net = build_network(neuron, readout, features, hidden)
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        losses: list[float] = []
        n = len(y_train)
        for epoch in range(epochs):
            net.train()
            order = torch.randperm(n, generator=g_data)
            batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
            bar = tqdm(batches, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=True) if tqdm else batches
            total_loss, correct, seen = 0.0, 0, 0
            for idx in bar:
                scores = _scores(net, encode(x_train[idx]))
                loss = nn.functional.cross_entropy(scores, y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total_loss += loss.item() * len(idx)
                correct += int((scores.argmax(1) == y_train[idx]).sum())
                seen += len(idx)
                if tqdm:
                    bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
            losses.append(total_loss / seen)
            if log is not None:
                log(f"epoch {epoch + 1}/{epochs}: loss {total_loss / seen:.3f}, train accuracy {correct / seen:.3f}")
        train_accuracy = _accuracy(net, encode, x_train, y_train)
        test_accuracy = _accuracy(net, encode, x_test, y_test)
    return DemoResult(
        test_accuracy=test_accuracy,
        train_accuracy=train_accuracy,
        train_size=len(y_train),
        test_size=len(y_test),
        epochs=epochs,
        seconds=time.perf_counter() - start,
        losses=tuple(losses),
        neuron=neuron,
        encoder=encoder,
        readout=readout,
    )


@torch.no_grad()
def _accuracy(net: nn.Module, encode: _Encode, x: torch.Tensor, y: torch.Tensor, batch: int = 512) -> float:
    net.eval()
    correct = 0
    for i in range(0, len(y), batch):
        correct += int((_scores(net, encode(x[i : i + batch])).argmax(1) == y[i : i + batch]).sum())
    return correct / len(y)


# ---------------------------------------------------------------- command line
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``spikeplug demo``."""
    p.add_argument("--neuron", default="lif", help="hidden spiking model (registry name; default: lif)")
    p.add_argument(
        "--encoder", default="constant_current_lif", help="encoder (registry name; default: constant_current_lif)"
    )
    p.add_argument("--readout", default="li", help="read-out model whose voltages score the classes (default: li)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    p.add_argument("--hidden", type=int, default=128, help="hidden neurons (default: 128)")
    p.add_argument("--steps", type=int, default=16, help="time steps per image (default: 16)")
    p.add_argument("--batch-size", type=int, default=32, help="images per training step (default: 32)")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate (default: 0.01)")
    p.add_argument(
        "--gain", type=float, default=None, help="factor on the pixels in [0, 1] before encoding (default: per encoder)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--limit", type=int, default=None, help="train on the first LIMIT training images only")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def command(args: argparse.Namespace) -> int:
    """``spikeplug demo``: train, then print the test accuracy."""
    result = run_demo(
        neuron=args.neuron,
        encoder=args.encoder,
        readout=args.readout,
        epochs=args.epochs,
        hidden=args.hidden,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        gain=args.gain,
        seed=args.seed,
        limit=args.limit,
        progress=not args.no_progress,
    )
    print(result)
    return 0
