"""The registry: discovery through entry points, names, errors, isolation of broken plugins.

Most tests build a fresh ``Registry`` over fake distributions written into ``tmp_path``
(a ``*.dist-info`` folder with ``entry_points.txt`` next to the plugin module), so they
exercise the real entry-point path without touching the installed environment.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import pytest

import spikeplug
from spikeplug.plugins import (
    AmbiguousNameError,
    DuplicateNameError,
    InvalidNameError,
    ModelSpec,
    PluginLoadWarning,
    Registry,
    UnknownNameError,
    parse_name,
    qualified_name,
)

PLUGIN_SOURCE = """
from spikeplug.plugins import ModelSpec, hookimpl

@hookimpl
def spikeplug_models():
    return [ModelSpec(name={name!r}, kind="neuron", summary={summary!r},
                      factory="spikeplug.neurons_builtin.lif.modules:MODULES",
                      parameters="spikeplug.neurons_builtin.lif.model:LIFParameters")]
"""


def make_dist(root: Path, dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """Write a fake installed distribution ``dist`` with entry points and plugin modules."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[spikeplug]\n{lines}\n")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def site(tmp_path, monkeypatch):
    """An empty fake site directory on sys.path, and a clean plugin environment."""
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in ("SPIKEPLUG_DISABLE_PLUGINS", "SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD", "SPIKEPLUG_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def _module_name(tmp_path: Path, stem: str) -> str:
    # unique module names per test: modules stay cached in sys.modules
    return f"{stem}_{abs(hash(str(tmp_path))) % 10**8}"


def test_entry_point_plugin_is_discovered_with_origin(site):
    """A plugin found through its entry point provides its model, with plugin, distribution, version."""
    mod = _module_name(site, "plug_a")
    make_dist(site, "plug-a", {"alpha": mod}, {mod: PLUGIN_SOURCE.format(name="neuron_a", summary="A")})
    reg = Registry(path=[str(site)])
    assert reg.names() == ["neuron_a"]
    entry = reg.get("neuron_a")
    assert (entry.plugin, entry.distribution, entry.version, entry.kind) == ("alpha", "plug-a", "1.0", "neuron")
    assert reg.get("alpha:neuron_a") == entry
    desc = reg.describe("neuron_a")
    assert desc.distribution == "plug-a" and any(p.name == "tau_mem_inv" and p.unit == "1/s" for p in desc.parameters)


def test_name_clash_between_two_plugins(site):
    """Two plugins with the same bare name: nothing is overwritten, the bare name is ambiguous
    and lists the qualified names, and each qualified name still works."""
    m1, m2 = _module_name(site, "clash_one"), _module_name(site, "clash_two")
    make_dist(site, "dist-one", {"one": m1}, {m1: PLUGIN_SOURCE.format(name="twin", summary="first")})
    make_dist(site, "dist-two", {"two": m2}, {m2: PLUGIN_SOURCE.format(name="twin", summary="second")})
    reg = Registry(path=[str(site)])
    with pytest.raises(AmbiguousNameError, match=r"'twin' is provided by several plugins.*one:twin, two:twin"):
        reg.create("twin")
    assert reg.get("one:twin").summary == "first" and reg.get("two:twin").summary == "second"
    assert reg.names() == ["one:twin", "two:twin"]
    assert reg.create("two:twin", form="cell") is not None


def test_broken_plugin_is_isolated(site):
    """A plugin that fails on import is reported with its traceback; the others keep working."""
    good, bad = _module_name(site, "good"), _module_name(site, "bad")
    make_dist(site, "good-dist", {"good": good}, {good: PLUGIN_SOURCE.format(name="fine", summary="ok")})
    make_dist(site, "bad-dist", {"bad": bad}, {bad: "raise RuntimeError('boom at import')\n"})
    reg = Registry(path=[str(site)])
    with pytest.warns(PluginLoadWarning, match=r"plugin 'bad'.*RuntimeError: boom at import"):
        names = reg.names()
    assert names == ["fine"]
    record = {r.name: r for r in reg.plugin_records()}["bad"]
    assert record.status == "failed" and "Traceback" in record.error and "boom at import" in record.error
    with pytest.raises(UnknownNameError, match=r"bad: RuntimeError: boom at import"):
        reg.create("broken_model")


def test_hook_that_raises_or_returns_garbage_costs_only_its_plugin(site):
    """A hook that raises, or returns something that is not a ModelSpec, is reported; others load."""
    raising, garbage, good = (_module_name(site, s) for s in ("raising", "garbage", "goodtoo"))
    make_dist(site, "d1", {"raising": raising}, {raising: """
        from spikeplug.plugins import hookimpl
        @hookimpl
        def spikeplug_models():
            raise ValueError("hook exploded")
    """})
    make_dist(site, "d2", {"garbage": garbage}, {garbage: """
        from spikeplug.plugins import hookimpl
        @hookimpl
        def spikeplug_models():
            return ["not a spec"]
    """})
    make_dist(site, "d3", {"goodtoo": good}, {good: PLUGIN_SOURCE.format(name="still_here", summary="ok")})
    reg = Registry(path=[str(site)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reg.names() == ["still_here"]
    messages = " ".join(str(w.message) for w in caught)
    assert "hook exploded" in messages and "must return ModelSpec objects" in messages


def test_hook_name_typo_is_reported(site):
    """A hookimpl whose name matches no hookspec is reported with the close match."""
    typo = _module_name(site, "typo")
    make_dist(site, "typo-dist", {"typo": typo}, {typo: """
        from spikeplug.plugins import hookimpl
        @hookimpl
        def spikeplug_model():
            return []
    """})
    reg = Registry(path=[str(site)])
    with pytest.warns(PluginLoadWarning, match=r"unknown hook 'spikeplug_model' \(did you mean 'spikeplug_models'\?\)"):
        reg.names()


def test_blocked_plugins_are_not_imported(site, monkeypatch):
    """SPIKEPLUG_DISABLE_PLUGINS skips a plugin before importing it, and the error says so."""
    bomb = _module_name(site, "bomb")
    make_dist(site, "bomb-dist", {"bomb": bomb}, {bomb: "raise SystemExit('must not be imported')\n"})
    monkeypatch.setenv("SPIKEPLUG_DISABLE_PLUGINS", "bomb, other")
    reg = Registry(path=[str(site)])
    assert reg.names() == []
    assert {r.name: r.status for r in reg.plugin_records()} == {"bomb": "blocked"}
    with pytest.raises(UnknownNameError, match=r"Plugin 'bomb' is blocked \(SPIKEPLUG_DISABLE_PLUGINS\)"):
        reg.get("bomb:thing")


def test_autoload_off_loads_only_spikeplug_and_named_plugins(site, monkeypatch):
    """SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD skips third-party entry points unless named in SPIKEPLUG_PLUGINS."""
    m1, m2 = _module_name(site, "third1"), _module_name(site, "third2")
    make_dist(site, "third-one", {"third1": m1}, {m1: PLUGIN_SOURCE.format(name="t_one", summary="")})
    make_dist(site, "third-two", {"third2": m2}, {m2: PLUGIN_SOURCE.format(name="t_two", summary="")})
    monkeypatch.setenv("SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("SPIKEPLUG_PLUGINS", "third2")
    reg = Registry(path=[str(site)])
    assert reg.names() == ["t_two"]
    with pytest.raises(UnknownNameError, match="SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD is set"):
        reg.get("t_one")


def test_duplicate_entry_point_name_from_two_distributions(site):
    """Two distributions using the same plugin name: the first loads, the second is reported."""
    m1, m2 = _module_name(site, "same1"), _module_name(site, "same2")
    make_dist(site, "aaa-dist", {"same": m1}, {m1: PLUGIN_SOURCE.format(name="from_a", summary="")})
    make_dist(site, "bbb-dist", {"same": m2}, {m2: PLUGIN_SOURCE.format(name="from_b", summary="")})
    reg = Registry(path=[str(site)])
    with pytest.warns(PluginLoadWarning, match="already taken by aaa-dist"):
        assert reg.names() == ["from_a"]


def test_register_in_process_and_duplicates():
    """register() adds a model under __main__; the same qualified name twice is refused."""
    reg = Registry(path=[])
    spec = ModelSpec(name="mine", kind="neuron", summary="s", factory="spikeplug.neurons_builtin.lif.modules:MODULES")
    entry = reg.register(spec)
    assert entry.qualified_name == "__main__:mine" and reg.names(kind="neuron") == ["mine"]
    with pytest.raises(DuplicateNameError, match="'__main__:mine' is already registered"):
        reg.register(spec)
    reg.register(spec, plugin="notebook")
    with pytest.raises(AmbiguousNameError):
        reg.get("mine")
    reg.unregister("notebook:mine")
    assert reg.get("mine").plugin == "__main__"


def test_unknown_name_has_close_matches_and_hints():
    """An unknown name suggests close matches, names failed plugins and tells how to install."""
    with pytest.raises(UnknownNameError) as info:
        spikeplug.create("lfi")
    message = str(info.value)
    assert "no neuron/encoder named 'lfi'" in message and "'lif'" in message.split("Did you mean")[1].split("?")[0]
    assert "example_broken" in message and "pip install" in message
    assert isinstance(info.value, LookupError) and isinstance(info.value, spikeplug.SpikeplugError)
    assert not str(info.value).startswith("'")  # not a KeyError-style quoted message


def test_name_parsing_roundtrip_and_errors():
    """One parser for plugin:name and its inverse; malformed names show the accepted form."""
    assert parse_name("lif") == (None, "lif")
    assert parse_name("my-plugin:lif_adex") == ("my-plugin", "lif_adex")
    assert parse_name(qualified_name("p", "n")) == ("p", "n")
    for bad in ("LIF", "a:b:c", "", "lif adex", ":lif"):
        with pytest.raises(InvalidNameError, match="use 'name' or 'plugin:name'"):
            parse_name(bad)
    with pytest.raises(InvalidNameError, match="snake_case"):
        ModelSpec(name="BadName", kind="neuron", summary="", factory=print)


def test_names_by_kind_and_builtins():
    """names(kind=...) filters; the builtin LIF, the six surrogates and the example plugin are there."""
    reg = spikeplug.registry
    assert "lif" in reg.names(kind="neuron") and "qif" in reg.names(kind="neuron")
    assert {"heaviside", "super", "triangle", "tanh", "circ", "heavi_erfc"} <= set(reg.names(kind="surrogate"))
    assert "super" not in reg.names(kind="neuron")
    with pytest.raises(ValueError, match="kind must be"):
        reg.names(kind="neurons")


def test_factory_reference_that_does_not_import():
    """A spec whose lazy factory cannot be imported fails at create() with the reference named."""
    reg = Registry(path=[])
    reg.register(ModelSpec(name="ghost", kind="neuron", summary="", factory="no_such_module_xyz:THING"))
    with pytest.raises(spikeplug.SpikeplugError, match=r"factory of __main__:ghost 'no_such_module_xyz:THING' cannot be imported"):
        reg.create("ghost")


def test_import_spikeplug_loads_no_plugin():
    """`import spikeplug` imports neither the builtin families nor the plugin system."""
    code = "import spikeplug, sys; print(any('neurons_builtin' in m for m in sys.modules), 'spikeplug.plugins' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_environment_variable_blocks_builtin_in_default_registry():
    """The env var works on the process-wide registry behind spikeplug.create, builtins included."""
    code = (
        "import spikeplug\n"
        "try:\n    spikeplug.create('lif')\nexcept LookupError as e:\n    print('blocked' if 'blocked by SPIKEPLUG_DISABLE_PLUGINS (their models are missing): lif.' in str(e) else e)\n"
    )
    env = {**__import__("os").environ, "SPIKEPLUG_DISABLE_PLUGINS": "lif", "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "blocked"


# ---------------------------------------------------------------------- discovery from several threads
SLOW_PLUGIN = """
import time
from spikeplug.plugins import ModelSpec, hookimpl

CALLS = []

@hookimpl
def spikeplug_models():
    CALLS.append(1)
    time.sleep(0.3)  # discovery is still running while the other threads arrive
    return [ModelSpec(name="slow", kind="neuron", summary="slow to register",
                      factory="spikeplug.neurons_builtin.lif.modules:MODULES")]
"""

THREADS = 8


def _run_together(target, n: int = THREADS) -> tuple[list, list]:
    """Start ``n`` threads that call ``target(i)`` at the same moment; their results and errors."""
    barrier = threading.Barrier(n, timeout=30)
    results, errors = [], []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results.append(target(i))
        except Exception as exc:  # noqa: BLE001 - every failure is collected and asserted on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread is still blocked: discovery deadlocked"
    return results, errors


def test_first_use_from_many_threads_waits_for_one_discovery(site):
    """Threads that use a fresh registry while another thread discovers plugins wait for it and
    get the result (instead of 'used while plugins were still loading'); discovery runs once."""
    mod = _module_name(site, "slow")
    make_dist(site, "slow-dist", {"slow": mod}, {mod: SLOW_PLUGIN})
    reg = Registry(path=[str(site)])

    def use(i: int):
        return reg.names() if i % 2 else type(reg.create("slow", form="cell")).__name__

    results, errors = _run_together(use)
    assert errors == []
    assert sorted(map(str, results)) == sorted(["['slow']"] * (THREADS // 2) + ["LIFCell"] * (THREADS // 2))
    assert sys.modules[mod].CALLS == [1]


def test_registry_use_while_loading_from_the_loading_thread_raises(site, monkeypatch):
    """A plugin that uses the registry while it is imported gets the clear 'still loading' error
    (its plugin is reported failed) rather than waiting forever on the discovery lock."""
    from spikeplug.plugins import registry as registry_module

    mod = _module_name(site, "eager")
    make_dist(site, "eager-dist", {"eager": mod}, {mod: "import spikeplug\nspikeplug.create('lif')\n"})
    reg = Registry(path=[str(site)])
    monkeypatch.setattr(registry_module, "_default", reg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        results, errors = _run_together(lambda i: reg.names(), n=1)
    assert errors == [] and results == [[]]
    record = {r.name: r for r in reg.plugin_records()}["eager"]
    assert record.status == "failed" and "used while plugins were still loading" in record.error


def test_get_registry_creates_one_registry_under_a_race(monkeypatch):
    """get_registry() called by many threads at once creates the process-wide registry once."""
    from spikeplug.plugins import registry as registry_module

    made = []

    def slow_registry() -> Registry:
        time.sleep(0.05)  # widen the window between "is there one?" and "store it"
        made.append(Registry(path=[]))
        return made[-1]

    monkeypatch.setattr(registry_module, "_default", None)
    monkeypatch.setattr(registry_module, "Registry", slow_registry)
    results, errors = _run_together(lambda i: registry_module.get_registry())
    assert errors == [] and len(made) == 1
    assert all(r is made[0] for r in results) and len(results) == THREADS
