"""Every model fast: the generated backend against each model's eager loop (issue 9's targets).

For every registered neuron model with a layer form (the builtins and, when installed, the
example plugin's ``qif``) it times, float32 on the CPU, in one process with the rows
interleaved round by round (so drifts in machine load hit every row alike):

* the eager step loop (``backend="eager"``), the generated kernel (``backend="generated"``)
  and the hand-described kernel where the model has one (``backend="fused"``);
* Norse 1.1.0's cell of the same model stepped in a loop, where Norse is installed and has
  a feed-forward cell with the same defaults;

forward without gradient and forward + backward of ``outputs.sum()`` plus the sum of the final
state's first field (the membrane potential)
(medians). Then, each in fresh processes with an empty cache directory: the first use of
a model (tracing, numba compilation and the first-use check; imports excluded) and the
same in a second process that finds the cache. Then the eager loop against a hand-written
PyTorch loop of the same equations (LIF), the recurrent form, and ``auto`` against eager for
T ≤ 4. It ends with the targets table (met or not). Run::

    python benchmarks/bench_generated.py            # the full run (about 10 minutes)
    python benchmarks/bench_generated.py --quick    # a smoke run (small sizes, no compile timing)
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._pytree import tree_leaves

warnings.filterwarnings("ignore")

TARGET = (500, 16, 1024)
QUICK = (40, 4, 256)
RECURRENT = (500, 16, 1024)          # T, batch, hidden
NORSE_CELLS = {
    "lif": "LIFCell", "lif_box": "LIFBoxCell", "li": "LICell", "iaf": "IAFCell", "lif_ex": "LIFExCell",
    "lif_adex": "LIFAdExCell", "lsnn": "LSNNCell", "lif_refrac": "LIFRefracCell",
}
#: input scale per model so that every spiking model fires now and then at T × B × N
SCALES = {"izhikevich": 30.0, "coba_lif": 5.0, "qif": 300.0}


def median_times(runs: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median seconds per row, rows interleaved round by round after one warm-up each."""
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            t = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def _norse() -> Any:
    """``norse.torch``, or ``None`` when Norse is not installed."""
    try:
        import norse.torch as norse
    except ImportError:
        return None
    return norse


def _layer_runs(name: str, x: torch.Tensor) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """``{row: (forward, forward + backward)}`` for one model."""
    import spikeplug

    factory = spikeplug.registry.factory(name)
    model = factory.model
    rows: dict[str, Any] = {}
    backends = ["eager", "generated"] + (["fused"] if model.fused else [])
    for backend in backends:
        layer = spikeplug.create(name, backend=backend)
        rows[backend] = lambda xs, layer=layer: layer(xs)
    norse = _norse() if name in NORSE_CELLS else None       # a peer that is not installed is left out
    if norse is not None:
        cell = getattr(norse, NORSE_CELLS[name])()

        def norse_loop(xs: torch.Tensor, cell: Any = cell) -> tuple[torch.Tensor, Any]:
            state, outs = None, []
            for x_t in xs.unbind(0):
                z, state = cell(x_t, state)
                outs.append(z)
            return torch.stack(outs), state

        rows["norse"] = norse_loop

    def pair(run: Callable) -> tuple[Callable[[], None], Callable[[], None]]:
        def fwd() -> None:
            with torch.no_grad():
                run(x)

        def fwd_bwd() -> None:
            xs = x.detach().requires_grad_(True)
            out, state = run(xs)
            (out.sum() + tree_leaves(state)[0].sum()).backward()   # the membrane potential

        return fwd, fwd_bwd

    return {k: pair(v) for k, v in rows.items()}


def time_models(names: list[str], shape: tuple[int, int, int], repeats: int) -> list[dict[str, Any]]:
    results = []
    for name in names:
        x = SCALES.get(name, 3.0) * torch.rand(shape, generator=torch.Generator().manual_seed(0))
        runs = _layer_runs(name, x)
        fwd = median_times({k: v[0] for k, v in runs.items()}, repeats)
        fb = median_times({k: v[1] for k, v in runs.items()}, repeats)
        results.append({"name": name, "fwd": fwd, "fb": fb})
        print(f"  timed {name}", file=sys.stderr)
    return results


_FIRST_USE = """
import time, torch, spikeplug
layer = spikeplug.create({name!r}, backend="generated")
x = torch.rand(8, 2, 3, requires_grad=True)
t = time.perf_counter()
out, state = layer(x)
(out.sum() + state[0].sum()).backward()
print(time.perf_counter() - t)
"""


def compile_times(names: list[str]) -> dict[str, tuple[float, float]]:
    """``{model: (first process, second process)}`` seconds of the first forward + backward."""
    out = {}
    for name in names:
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "SPIKEPLUG_CACHE_DIR": cache}
            seconds = []
            for _ in range(2):
                run = subprocess.run([sys.executable, "-c", _FIRST_USE.format(name=name)], env=env,
                                     capture_output=True, text=True, check=True)
                seconds.append(float(run.stdout.split()[-1]))
        out[name] = (seconds[0], seconds[1])
        print(f"  compiled {name}", file=sys.stderr)
    return out


def hand_written_lif(x: torch.Tensor) -> tuple[torch.Tensor, Any]:
    """LIF's equations (spikeplug's defaults, reset to v_reset) as a user writes them in PyTorch."""
    from spikeplug.surrogates import _SurrogateSpike, super_derivative

    v = torch.zeros_like(x[0])
    i = torch.zeros_like(x[0])
    spikes = []
    for x_t in x.unbind(0):
        i_j = i + x_t
        v_d = v + 0.1 * ((0.0 - v) + i_j)
        i = i_j - 0.2 * i_j
        z = _SurrogateSpike.apply(v_d - 1.0, 100.0, super_derivative)
        v = (1.0 - z) * v_d + z * 0.0
        spikes.append(z)
    return torch.stack(spikes), (v, i)


def eager_overhead(configs: list[tuple[int, int, int]], repeats: int) -> dict[tuple, float]:
    import spikeplug

    out = {}
    for shape in configs:
        x = 3.0 * torch.rand(shape, generator=torch.Generator().manual_seed(1))
        layer = spikeplug.create("lif", backend="eager")

        def run(f: Callable) -> Callable[[], None]:
            def go() -> None:
                xs = x.detach().requires_grad_(True)
                f(xs)[0].sum().backward()
            return go

        t = median_times({"spikeplug": run(layer), "hand": run(hand_written_lif)}, repeats)
        out[shape] = t["spikeplug"] / t["hand"]
    return out


def recurrent_ratio(shape: tuple[int, int, int], repeats: int) -> tuple[float, float, str]:
    """fwd+bwd seconds of the recurrent LIF layer (eager), the ratio eager/auto and the path
    ``auto`` took (``last_backend``), measured in one run with the rows interleaved."""
    import spikeplug

    T, B, H = shape
    x = torch.rand((T, B, H), generator=torch.Generator().manual_seed(2))
    rows, layers = {}, {}
    for backend in ("eager", "auto"):
        torch.manual_seed(0)
        layer = spikeplug.create("lif", form="recurrent", input_size=H, hidden_size=H, backend=backend)
        layers[backend] = layer

        def go(layer: Any = layer) -> None:
            xs = x.detach().requires_grad_(True)
            out, _ = layer(xs)
            out.sum().backward()
        rows[backend] = go
    t = median_times(rows, repeats)
    return t["eager"], t["eager"] / t["auto"], layers["auto"].last_backend


#: calls per timed sample in :func:`short_sequences`, so that a sample is tens of milliseconds
CALLS_PER_SAMPLE = 50


def short_sequences(names: list[str], repeats: int) -> list[tuple[str, int, float]]:
    """``auto``/eager time ratio of forward + backward for T = 1..4 (16 × 1024 neurons)."""
    import spikeplug

    out = []
    for name in names:
        for T in (1, 2, 4):
            x = 3.0 * torch.rand((T, 16, 1024), generator=torch.Generator().manual_seed(3))
            rows = {}
            for backend in ("auto", "eager"):
                layer = spikeplug.create(name, backend=backend)

                def go(layer: Any = layer) -> None:
                    for _ in range(CALLS_PER_SAMPLE):  # one call takes well under a millisecond: time many
                        xs = x.detach().requires_grad_(True)
                        out, state = layer(xs)
                        (out.sum() + state[0].sum()).backward()
                rows[backend] = go
            t = median_times(rows, repeats)
            out.append((name, T, t["auto"] / t["eager"]))
    return out


def _ms(s: float | None) -> str:
    return "—" if s is None else f"{s * 1e3:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats, no compile timing")
    args = parser.parse_args(argv)
    import numba

    import spikeplug

    shape = QUICK if args.quick else TARGET
    repeats = 2 if args.quick else 5
    names = [n for n in spikeplug.registry.names(kind="neuron") if "layer" in spikeplug.registry.factory(n).forms]
    print(f"# Generated backend, {'×'.join(map(str, shape))} (T×B×N), float32\n")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"numba {numba.__version__}, {torch.get_num_threads()} threads\n")
    results = time_models(names, shape, repeats)
    compiled = {} if args.quick else compile_times(names)
    print("| model | eager fwd ms | generated fwd ms | ×fwd | eager fwd+bwd ms | generated fwd+bwd ms | ×fwd+bwd "
          "| hand kernel fwd / fwd+bwd ms | Norse cell loop fwd / fwd+bwd ms | first use s | second process s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        f, b = r["fwd"], r["fb"]
        hand = f"{_ms(f.get('fused'))} / {_ms(b.get('fused'))}" if "fused" in f else "—"
        norse = f"{_ms(f.get('norse'))} / {_ms(b.get('norse'))}" if "norse" in f else "—"
        first, second = compiled.get(r["name"], (None, None))
        print(f"| {r['name']} | {_ms(f['eager'])} | {_ms(f['generated'])} | {f['eager'] / f['generated']:.1f} | "
              f"{_ms(b['eager'])} | {_ms(b['generated'])} | {b['eager'] / b['generated']:.1f} | {hand} | {norse} | "
              f"{'—' if first is None else f'{first:.1f}'} | {'—' if second is None else f'{second:.2f}'} |")
    overhead = eager_overhead([QUICK] if args.quick else [(500, 16, 1024), (100, 32, 512)], repeats)
    rec = recurrent_ratio((20, 4, 64) if args.quick else RECURRENT, repeats)
    short = short_sequences(["lif", "lif_adex", "izhikevich"], repeats)
    print("\n## Targets\n")
    print("| target | measured | met |")
    print("|---|---|---|")

    def row(what: str, value: str, ok: bool) -> None:
        print(f"| {what} | {value} | {'yes' if ok else 'no'} |")

    worst_f = min(results, key=lambda r: r["fwd"]["eager"] / r["fwd"]["generated"])
    worst_b = min(results, key=lambda r: r["fb"]["eager"] / r["fb"]["generated"])
    wf = worst_f["fwd"]["eager"] / worst_f["fwd"]["generated"]
    wb = worst_b["fb"]["eager"] / worst_b["fb"]["generated"]
    row("forward ≥ 8× the model's eager loop, every model", f"worst {wf:.1f}× ({worst_f['name']})", wf >= 8)
    row("forward + backward ≥ 5× the eager loop, every model", f"worst {wb:.1f}× ({worst_b['name']})", wb >= 5)
    lif = next(r for r in results if r["name"] == "lif")
    ratio = lif["fb"]["generated"] / lif["fb"]["fused"]
    row("LIF generated within 1.5× of the hand-described kernel (fwd+bwd)", f"{ratio:.2f}×", ratio <= 1.5)
    row("recurrent form ≥ 2× eager (auto, fwd+bwd)",
        f"{rec[1]:.2f}× (eager {rec[0] * 1e3:.0f} ms, auto {rec[0] / rec[1] * 1e3:.0f} ms on {rec[2]})", rec[1] >= 2)
    if compiled:
        worst_first = max(compiled.items(), key=lambda kv: kv[1][0])
        worst_second = max(compiled.items(), key=lambda kv: kv[1][1])
        row("first use ≤ 20 s per model and dtype", f"worst {worst_first[1][0]:.1f} s ({worst_first[0]})",
            worst_first[1][0] <= 20)
        row("second process ≤ 2 s (cache)", f"worst {worst_second[1][1]:.2f} s ({worst_second[0]})",
            worst_second[1][1] <= 2)
    for shape_, r in overhead.items():
        row(f"eager loop within 1.15× of a hand-written loop, {'×'.join(map(str, shape_))}", f"{r:.2f}×", r <= 1.15)
    worst_short = max(short, key=lambda t: t[2])
    row("T ≤ 4: auto never slower than eager", f"worst auto/eager {worst_short[2]:.2f} ({worst_short[0]}, "
        f"T={worst_short[1]})", worst_short[2] <= 1.05)
    return 0


if __name__ == "__main__":
    sys.exit(main())
