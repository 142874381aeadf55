"""Time spikeplug's layers next to the same dynamics in plain PyTorch, Norse, snnTorch and SpikingJelly.

Two neuron models, each written several ways that give identical spikes (checked before
timing, on a small input):

``lif`` (current-based LIF, Norse's defaults: dt·tau_mem_inv = 0.1, synaptic decay 0.8)
    plain PyTorch (a hand-written eager loop with a SuperSpike autograd function),
    spikeplug ``LIF`` with ``backend="eager"`` and ``backend="fused"``, Norse's ``LIFCell``
    stepped in a loop, Norse's ``LIF`` module, snnTorch ``Synaptic(alpha=0.8, beta=0.9,
    reset_mechanism="zero", reset_delay=False)`` fed ``0.1 · input``;
``lif_box`` (LIF without synaptic current)
    plain PyTorch, spikeplug ``LIFBox`` eager and fused, Norse's ``LIFBoxCell`` loop, snnTorch
    ``Leaky(beta=0.9, reset_mechanism="zero", reset_delay=False)`` fed ``0.1 · input``,
    SpikingJelly ``LIFNode(tau=10, v_reset=0)`` in multi-step mode (its only LIF; it has
    no current-based synapse for real-valued input).

For each ``T × B × N`` configuration it measures, float32 on the CPU:

* forward without gradient, and forward + backward of ``outputs.sum()``: the median of
  repeated runs after warm-up, the rows interleaved round by round (so drifts in machine
  load hit every row alike);
* peak memory of forward + backward: in a fresh process per row, after a small warm-up
  (imports, JIT caches), the rise of the peak resident set over the resident set before
  the measured step (``/proc/self/clear_refs`` resets the peak).

It prints one Markdown table per model and configuration, with ratios against the plain
PyTorch row and the fused row's speedup over every row, then the issue's targets (met or
not), the short-sequence check (T ≤ 4, ``backend="auto"`` vs eager) and the cost of
``import spikeplug``. Peers that are not installed are left out (``pip install
'spikeplug[bench]'`` installs them). Run::

    python benchmarks/bench_layers.py             # the full run (several minutes)
    python benchmarks/bench_layers.py --quick     # a smoke run (small sizes, few repeats)
    python benchmarks/bench_layers.py --output docs/benchmarks-run.md
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

warnings.filterwarnings("ignore")
logging.getLogger("torch._library.triton").setLevel(logging.ERROR)   # SpikingJelly's import: "Triton not available"

CONFIGS = [(100, 32, 512), (500, 16, 1024), (1000, 8, 256)]
QUICK_CONFIGS = [(50, 8, 128)]
TARGET_CONFIG = (500, 16, 1024)
PLAIN = "plain PyTorch (eager loop)"
FUSED = "spikeplug fused"
EAGER = "spikeplug eager"


# ---------------------------------------------------------------------------- the rows


class SuperSpike(torch.autograd.Function):
    """Heaviside forward, SuperSpike 1/(α|x|+1)² backward (α = 100): the plain-PyTorch rows."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad / (100.0 * x.abs() + 1.0) ** 2


def plain_lif(x: torch.Tensor) -> torch.Tensor:
    """The LIF layer as a user writes it in eager PyTorch (Norse's defaults)."""
    v = torch.zeros_like(x[0])
    i = torch.zeros_like(x[0])
    spikes = []
    for x_t in x.unbind(0):
        i = i + x_t
        v = v + 0.1 * ((0.0 - v) + i)
        i = i - 0.2 * i
        z = SuperSpike.apply(v - 1.0)
        v = (1.0 - z) * v
        spikes.append(z)
    return torch.stack(spikes)


def plain_lif_box(x: torch.Tensor) -> torch.Tensor:
    """The LIF box layer in eager PyTorch."""
    v = torch.zeros_like(x[0])
    spikes = []
    for x_t in x.unbind(0):
        v = v + 0.1 * (x_t - v)
        z = SuperSpike.apply(v - 1.0)
        v = (1.0 - z) * v
        spikes.append(z)
    return torch.stack(spikes)


def _loop(cell: Any, scale: float = 1.0) -> Callable[[torch.Tensor], torch.Tensor]:
    """A cell ``cell(x_t, state) -> (z, state)`` stepped over time (iterating ``unbind``)."""

    def run(x: torch.Tensor) -> torch.Tensor:
        state, spikes = None, []
        for x_t in x.unbind(0):
            z, state = cell(x_t * scale if scale != 1.0 else x_t, state)
            spikes.append(z)
        return torch.stack(spikes)

    return run


def _snntorch(neuron: Any, init: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """An snnTorch neuron stepped over time on ``0.1 · input``."""

    def run(x: torch.Tensor) -> torch.Tensor:
        state = getattr(neuron, init)()
        state = state if isinstance(state, tuple) else (state,)
        spikes = []
        for x_t in x.unbind(0):
            spk, *state = neuron(x_t * 0.1, *state)
            spikes.append(spk)
        return torch.stack(spikes)

    return run


def _first(layer: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda x: layer(x)[0]


def _spikingjelly() -> Callable[[torch.Tensor], torch.Tensor]:
    from spikingjelly.activation_based import functional, neuron

    node = neuron.LIFNode(tau=10.0, decay_input=True, v_threshold=1.0, v_reset=0.0, step_mode="m")

    def run(x: torch.Tensor) -> torch.Tensor:
        functional.reset_net(node)
        return node(x)

    return run


def _norse_cell(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    import norse.torch as norse

    return _loop(getattr(norse, name)())


def _norse_layer() -> Callable[[torch.Tensor], torch.Tensor]:
    import norse.torch as norse

    return _first(norse.LIF())


def _spikeplug(name: str, backend: str) -> Callable[[torch.Tensor], torch.Tensor]:
    import spikeplug

    return _first(spikeplug.create(name, backend=backend))


def _snn(kind: str) -> Callable[[torch.Tensor], torch.Tensor]:
    import snntorch as snn

    if kind == "synaptic":
        return _snntorch(snn.Synaptic(alpha=0.8, beta=0.9, reset_mechanism="zero", reset_delay=False), "init_synaptic")
    return _snntorch(snn.Leaky(beta=0.9, reset_mechanism="zero", reset_delay=False), "init_leaky")


@dataclass
class Row:
    name: str
    build: Callable[[], Callable[[torch.Tensor], torch.Tensor]]
    requires: str | None = None           # the distribution it needs

    def available(self) -> bool:
        if self.requires is None:
            return True
        try:
            importlib.metadata.version(self.requires)
        except importlib.metadata.PackageNotFoundError:
            return False
        return True


ROWS: dict[str, list[Row]] = {
    "lif": [
        Row(PLAIN, lambda: plain_lif),
        Row(EAGER, lambda: _spikeplug("lif", "eager")),
        Row(FUSED, lambda: _spikeplug("lif", "fused")),
        Row("Norse LIFCell loop", lambda: _norse_cell("LIFCell"), "norse"),
        Row("Norse LIF module", _norse_layer, "norse"),
        Row("snnTorch Synaptic", lambda: _snn("synaptic"), "snntorch"),
    ],
    "lif_box": [
        Row(PLAIN, lambda: plain_lif_box),
        Row(EAGER, lambda: _spikeplug("lif_box", "eager")),
        Row(FUSED, lambda: _spikeplug("lif_box", "fused")),
        Row("Norse LIFBoxCell loop", lambda: _norse_cell("LIFBoxCell"), "norse"),
        Row("snnTorch Leaky", lambda: _snn("leaky"), "snntorch"),
        Row("SpikingJelly LIFNode (multi-step)", _spikingjelly, "spikingjelly"),
    ],
}


# ---------------------------------------------------------------------------- measuring


def make_input(T: int, B: int, N: int, seed: int = 0) -> torch.Tensor:
    """Uniform input in [0, 3): every neuron fires now and then (rate ~ 0.1–0.2)."""
    return torch.rand((T, B, N), generator=torch.Generator().manual_seed(seed)) * 3.0


def forward(run: Callable, x: torch.Tensor) -> None:
    with torch.no_grad():
        run(x)


def forward_backward(run: Callable, x: torch.Tensor) -> None:
    xs = x.detach().requires_grad_(True)
    run(xs).sum().backward()


def check_same_spikes(rows: list[Row], runs: dict[str, Callable]) -> dict[str, bool]:
    """Whether every row gives the plain row's spikes on a small input (same dynamics)."""
    x = make_input(40, 4, 32, seed=7)
    with torch.no_grad():
        ref = runs[rows[0].name](x)
        return {r.name: bool(torch.equal(runs[r.name](x), ref)) for r in rows}


def time_rows(
    runs: dict[str, Callable], x: torch.Tensor, what: Callable, warmup: int, repeats: int
) -> dict[str, float]:
    """Median seconds of ``what(run, x)`` per row; rows interleaved round by round; rows
    slower than 1 s a run get at most 3 runs."""
    wanted = {}
    for name, run in runs.items():
        for _ in range(warmup):
            what(run, x)
        t = time.perf_counter()
        what(run, x)
        wanted[name] = min(repeats, 3) if time.perf_counter() - t > 1.0 else repeats
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(max(wanted.values())):
        for name, run in runs.items():
            if round_ < wanted[name]:
                gc.collect()
                t = time.perf_counter()
                what(run, x)
                times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def memory_child(model: str, row: str, T: int, B: int, N: int) -> None:
    """(In a fresh process) print the peak RSS rise of one forward + backward, in bytes."""
    run = next(r for r in ROWS[model] if r.name == row).build()
    forward_backward(run, make_input(4, 2, 8))                      # imports, JIT caches
    x = make_input(T, B, N)
    gc.collect()
    base = _status_kib("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                                             # reset the peak RSS
        reset = True
    except OSError:
        reset = False
    forward_backward(run, x)
    peak = _status_kib("VmHWM") if reset else 0
    print(json.dumps({"peak_bytes": max(0, peak - base) * 1024, "exact": reset}))


def measure_memory(model: str, row: str, config: tuple[int, int, int]) -> float | None:
    # glibc's defaults fixed (not adapted to earlier frees), the same for every row
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072", PYTHONWARNINGS="ignore")
    cmd = [sys.executable, __file__, "--memory-child", model, row, *map(str, config)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    if out.returncode != 0:
        print(f"  (memory of {row!r} failed: {out.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_bytes"]


# ---------------------------------------------------------------------------- reporting


@dataclass
class Result:
    model: str
    config: tuple[int, int, int]
    fwd: dict[str, float]
    fwd_bwd: dict[str, float]
    memory: dict[str, float | None]
    same_spikes: dict[str, bool] = field(default_factory=dict)


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if not a or not b else f"{a / b:.2f}"


def table(res: Result) -> str:
    T, B, N = res.config
    head = (
        f"**{res.model}**, T×B×N = {T}×{B}×{N}\n\n"
        "| implementation | same spikes | forward ms | × plain | fwd+bwd ms | × plain | peak MiB (fwd+bwd) | × plain "
        "| fused is faster (fwd / fwd+bwd) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for name in res.fwd:
        mem = res.memory.get(name)
        lines.append(
            f"| {name} | {'yes' if res.same_spikes.get(name) else 'NO'} | {res.fwd[name] * 1e3:.1f} "
            f"| {_ratio(res.fwd[name], res.fwd.get(PLAIN))} | {res.fwd_bwd[name] * 1e3:.1f} "
            f"| {_ratio(res.fwd_bwd[name], res.fwd_bwd.get(PLAIN))} "
            f"| {'—' if mem is None else f'{mem / 2**20:.0f}'} | {_ratio(mem, res.memory.get(PLAIN))} "
            f"| {_ratio(res.fwd[name], res.fwd.get(FUSED))}× / {_ratio(res.fwd_bwd[name], res.fwd_bwd.get(FUSED))}× |"
        )
    return head + "\n".join(lines) + "\n"


def targets(results: list[Result], short: list[tuple], import_cost: tuple[float, float] | None) -> str:
    out = ["**Targets** (ratios within this run)\n", "| target | measured | met |", "|---|---:|:---:|"]

    def add(what: str, value: float | None, ok: bool | None, fmt: str = "{:.2f}") -> None:
        shown = "—" if value is None else fmt.format(value)
        out.append(f"| {what} | {shown} | {'—' if ok is None else ('yes' if ok else 'no')} |")

    res = next((r for r in results if r.model == "lif" and r.config == TARGET_CONFIG), None)
    if res is not None:
        fb, fw, mem = res.fwd_bwd, res.fwd, res.memory
        r = fb[FUSED] / fb[PLAIN]
        add("LIF 500×16×1024 fwd+bwd: fused / plain eager ≤ 0.25", r, r <= 0.25)
        for peer, goal in (("Norse LIFCell loop", 9), ("snnTorch Synaptic", 11)):
            if peer in fb:
                s = fb[peer] / fb[FUSED]
                add(f"LIF 500×16×1024 fwd+bwd: {peer} / fused ≥ {goal}", s, s >= goal)
            else:
                add(f"LIF 500×16×1024 fwd+bwd: {peer} / fused ≥ {goal} (not installed)", None, None)
        r = fw[FUSED] / fw[PLAIN]
        add("LIF 500×16×1024 forward: fused / plain eager ≤ 0.2", r, r <= 0.2)
        if mem.get("Norse LIFCell loop") and mem.get(FUSED):
            r = mem[FUSED] / mem["Norse LIFCell loop"]
            add("LIF 500×16×1024 peak memory fwd+bwd: fused / Norse LIFCell loop ≤ 1/3", r, r <= 1 / 3)
        else:
            add("peak memory: fused / Norse LIFCell loop ≤ 1/3 (not measured)", None, None)
    else:
        out.append(f"| (the LIF targets need the {TARGET_CONFIG} configuration) | — | — |")
    fused_short = [row for row in short if row[1] != "eager"]
    if fused_short:
        worst = max(max(a_fw / e_fw, a_fb / e_fb) for _, _, e_fw, a_fw, e_fb, a_fb in fused_short)
        add("T = 2..4 (T = 1 runs eager): slowest auto / eager, forward or fwd+bwd, ≤ 1", worst, worst <= 1.0)
    if import_cost is not None:
        extra = import_cost[1]
        what = f"`import spikeplug` after `import torch` ({import_cost[0]:.2f} s), seconds, < 0.1"
        add(what, extra, extra < 0.1, "{:.3f}")
    return "\n".join(out) + "\n"


def short_sequences(repeats: int) -> list[tuple]:
    """T = 1..4 with B×N = 16×1024 and 1×10: ``backend="auto"`` vs ``"eager"`` for LIF.
    Rows: ``((T, B, N), path auto took, eager fwd, auto fwd, eager fwd+bwd, auto fwd+bwd)``."""
    import spikeplug

    rows = []
    for B, N in ((16, 1024), (1, 10)):
        for T in (1, 2, 3, 4):
            x = make_input(T, B, N)
            auto = spikeplug.create("lif")
            runs = {"eager": _first(spikeplug.create("lif", backend="eager")), "auto": _first(auto)}
            fw = time_rows(runs, x, forward, 5, repeats)
            fb = time_rows(runs, x, forward_backward, 5, repeats)
            rows.append(((T, B, N), auto.last_backend, fw["eager"], fw["auto"], fb["eager"], fb["auto"]))
    return rows


def short_table(rows: list[tuple]) -> str:
    out = ["**Short sequences** (LIF, `backend=\"auto\"` vs `\"eager\"`, ms; for T = 1 \"auto\" runs the eager "
           "loop itself, so that row only shows the timing noise)\n",
           "| T×B×N | auto runs | eager fwd | auto fwd | eager fwd+bwd | auto fwd+bwd |",
           "|---|---|---:|---:|---:|---:|"]
    for (T, B, N), path, e_fw, a_fw, e_fb, a_fb in rows:
        ms = " | ".join(f"{v * 1e3:.3f}" for v in (e_fw, a_fw, e_fb, a_fb))
        out.append(f"| {T}×{B}×{N} | {path} | {ms} |")
    return "\n".join(out) + "\n"


def import_cost(repeats: int = 7) -> tuple[float, float]:
    """Median seconds of ``import torch`` and of ``import spikeplug`` right after it, each
    timed inside a fresh process (wall time of whole processes varies by ±0.3 s here)."""
    code = (
        "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); import spikeplug; "
        "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
    )
    torch_s, spikeplug_s = [], []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        a, b = map(float, out.stdout.split())
        torch_s.append(a)
        spikeplug_s.append(b)
    return statistics.median(torch_s), statistics.median(spikeplug_s)


def machine() -> str:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    peers = ", ".join(f"{d} {version(d)}" for d in ("numba", "norse", "snntorch", "spikingjelly"))
    return (
        f"{datetime.date.today().isoformat()}, {cpu}, {os.cpu_count()} CPUs, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), Python {platform.python_version()}, {peers}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and few repeats: a smoke run")
    ap.add_argument("--models", nargs="+", choices=list(ROWS), default=list(ROWS))
    ap.add_argument(
        "--configs", nargs="+", metavar="TxBxN", help="sizes to run (default: 100x32x512 500x16x1024 1000x8x256)"
    )
    ap.add_argument("--no-short", action="store_true", help="skip the short-sequence (T <= 4) check")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per row (default 7, quick 2)")
    ap.add_argument("--no-memory", action="store_true", help="skip the fresh-process memory measurements")
    ap.add_argument("--output", help="also write the Markdown report to this file")
    ap.add_argument("--memory-child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        model, row, *config = args.memory_child
        memory_child(model, row, *map(int, config))
        return 0
    configs = QUICK_CONFIGS if args.quick else CONFIGS
    if args.configs:
        configs = [tuple(int(v) for v in c.lower().split("x")) for c in args.configs]
    repeats = args.repeats or (2 if args.quick else 7)
    warmup = 1 if args.quick else 2
    report = [f"Machine: {machine()}\n"]
    print(report[0], flush=True)
    results = []
    for model in args.models:
        rows = [r for r in ROWS[model] if r.available()]
        missing = [r.name for r in ROWS[model] if not r.available()]
        runs = {r.name: r.build() for r in rows}
        same = check_same_spikes(rows, runs)
        for config in configs:
            x = make_input(*config)
            fw = time_rows(runs, x, forward, warmup, repeats)
            fb = time_rows(runs, x, forward_backward, warmup, repeats)
            mem = {} if args.no_memory else {r.name: measure_memory(model, r.name, config) for r in rows}
            res = Result(model, config, fw, fb, mem, same)
            results.append(res)
            text = table(res) + (f"\nNot installed: {', '.join(missing)}\n" if missing else "")
            report.append(text)
            print(text, flush=True)
    short = short_sequences(max(repeats, 25)) if "lif" in args.models and not args.no_short else []
    if short:
        report.append(short_table(short))
        print(report[-1], flush=True)
    cost = import_cost(3 if args.quick else 7)
    report.append(targets(results, short, cost))
    print(report[-1])
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
