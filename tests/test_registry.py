"""The registry: discovery through entry points, names, errors, isolation of broken plugins.

Most tests build a fresh ``Registry`` over fake distributions written into ``tmp_path``
(a ``*.dist-info`` folder with ``entry_points.txt`` next to the plugin module), so they
exercise the real entry-point path without touching the installed environment.
"""

from __future__ import annotations

import doctest
import itertools
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path

import attrs
import pytest
import torch

import spikeplug
from spikeplug.plugins import (
    AmbiguousNameError,
    DuplicateNameError,
    InvalidNameError,
    ModelSpec,
    PluginLoadWarning,
    Registry,
    ShadowedNameWarning,
    UnknownNameError,
    parse_name,
    qualified_name,
)
from spikeplug.surrogates import Surrogate

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


def test_entry_point_name_shared_by_two_third_parties_loads_both_qualified(site):
    """Two third-party distributions using one plugin name: both load, under distribution-qualified
    plugin names; the short plugin name is ambiguous and its error lists the qualified choices."""
    m1, m2 = _module_name(site, "same1"), _module_name(site, "same2")
    make_dist(site, "aaa-dist", {"same": m1}, {m1: PLUGIN_SOURCE.format(name="shared", summary="from a")})
    make_dist(site, "BBB_Dist", {"same": m2}, {m2: PLUGIN_SOURCE.format(name="shared", summary="from b")})
    reg = Registry(path=[str(site)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reg.names() == ["aaa-dist.same:shared", "bbb-dist.same:shared"]
    assert not [w for w in caught if issubclass(w.category, PluginLoadWarning)]
    shadowed = sorted(str(w.message) for w in caught if issubclass(w.category, ShadowedNameWarning))
    assert len(shadowed) == 2
    assert "registered as 'aaa-dist.same' because BBB_Dist also uses the plugin name 'same'" in shadowed[0]
    assert "reach its models as 'bbb-dist.same:shared'" in shadowed[1]
    records = {r.name: (r.distribution, r.entry_point, r.status) for r in reg.plugin_records()}
    assert records == {"aaa-dist.same": ("aaa-dist", "same", "loaded"), "bbb-dist.same": ("BBB_Dist", "same", "loaded")}
    assert reg.get("aaa-dist.same:shared").summary == "from a" and reg.get("bbb-dist.same:shared").summary == "from b"
    with pytest.raises(AmbiguousNameError, match=r"plugin name 'same' in 'same:shared' is used by several "
                       r"distributions; .*: aaa-dist\.same:shared, bbb-dist\.same:shared"):
        reg.create("same:shared")
    with pytest.raises(AmbiguousNameError, match="'shared' is provided by several plugins"):
        reg.create("shared")
    with pytest.raises(UnknownNameError, match=r"Plugin name 'same' is used by several distributions; their "
                       r"plugins are 'aaa-dist\.same', 'bbb-dist\.same'"):
        reg.get("same:missing")


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


def test_first_use_from_many_threads_waits_for_one_discovery(site, monkeypatch):
    """Threads that use a fresh registry while another thread discovers plugins wait for it and
    get the result (instead of 'used while plugins were still loading'); discovery runs once."""
    from spikeplug.plugins import registry as registry_module

    mod = _module_name(site, "slow")
    make_dist(site, "slow-dist", {"slow": mod}, {mod: SLOW_PLUGIN})
    reg = Registry(path=[str(site), *sys.path])
    # the process-wide registry (which parameter classes ask about method=) is this one too
    monkeypatch.setattr(registry_module, "_default", reg)

    def use(i: int):
        return ("names", tuple(reg.names())) if i % 2 else ("create", type(reg.create("slow", form="cell")).__name__)

    results, errors = _run_together(use)
    assert errors == []
    listing = tuple(reg.names())
    assert "slow" in listing and "lif" in listing
    assert sorted(results) == sorted([("names", listing)] * (THREADS // 2) + [("create", "LIFCell")] * (THREADS // 2))
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


# ---------------------------------------------------------------------- who owns a name
EVIL_PLUGIN = """
from spikeplug.plugins import ModelSpec, hookimpl

CALLS = []

def evil_factory(**kwargs):
    CALLS.append(kwargs)
    return "the third party's lif"

@hookimpl
def spikeplug_models():
    return [ModelSpec(name="lif", kind="neuron", summary="not spikeplug's LIF", factory=evil_factory)]
"""


def _caught_messages(caught, category) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, category)]


def test_third_party_plugin_named_lif_cannot_displace_the_builtin(site, monkeypatch, capsys):
    """A distribution sorting before spikeplug with an entry point `lif` providing a model `lif`:
    `lif`, `lif:lif` and the constant_current_lif encoder (which asks for `lif:lif`) keep
    spikeplug's LIF; the builtin plugin still loads; the third party's plugin loads under
    `aaa-evil.lif`, is reachable as `aaa-evil.lif:lif`, and one warning says so."""
    from spikeplug import cli
    from spikeplug.neurons_builtin.lif.modules import MODULES
    from spikeplug.plugins import registry as registry_module

    mod = _module_name(site, "evil")
    make_dist(site, "aaa-evil", {"lif": mod}, {mod: EVIL_PLUGIN})
    reg = Registry(path=[str(site), *sys.path])
    monkeypatch.setattr(registry_module, "_default", reg)  # as if aaa-evil were installed in this environment
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        records = {r.name: r for r in reg.plugin_records()}
    builtin = records["lif"]
    assert (builtin.distribution, builtin.status, builtin.models) == ("spikeplug", "loaded", ["lif:lif"])
    evil = records["aaa-evil.lif"]
    assert (evil.distribution, evil.entry_point, evil.status) == ("aaa-evil", "lif", "loaded")
    assert evil.models == ["aaa-evil.lif:lif"]
    assert _caught_messages(caught, ShadowedNameWarning) == [
        (
            f"spikeplug plugin 'lif' ({mod}, from aaa-evil 1.0): it is registered as 'aaa-evil.lif' because "
            "spikeplug's own plugin is named 'lif'; the bare name 'lif' means spikeplug's own; reach its models as "
            "'aaa-evil.lif:lif'."
        )
    ]

    assert reg.factory("lif") is MODULES and reg.factory("lif:lif") is MODULES
    assert type(spikeplug.create("lif", form="cell")).__name__ == "LIFCell"
    assert type(spikeplug.create("lif:lif", form="cell")).__name__ == "LIFCell"
    encoder = spikeplug.create("constant_current_lif", seq_length=3)
    assert encoder(torch.tensor([0.5, 20.0])).tolist() == [[0.0, 1.0]] * 3  # I = 20 > 1 spikes every step
    assert sys.modules[mod].CALLS == []
    assert spikeplug.create("aaa-evil.lif:lif", tau=1.0) == "the third party's lif"
    assert sys.modules[mod].CALLS == [{"tau": 1.0}]
    assert "aaa-evil.lif:lif" in reg.names() and "lif" in reg.names()

    assert cli.main(["plugins"]) == 0
    listed = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["aaa-evil.lif", "loaded", "aaa-evil", "1.0", f"({mod})"] in listed
    assert ["lif", "loaded", "spikeplug", "0.1.0", "(spikeplug.neurons_builtin.lif.plugin)"] in listed


@pytest.mark.parametrize("dist", ["aaa-evil", "zzz-evil"])
@pytest.mark.parametrize("site_first", [True, False], ids=["site-first", "site-last"])
def test_builtin_keeps_its_names_whatever_the_distribution_order(site, dist, site_first):
    """Whether the third party's distribution name sorts before or after spikeplug, and whether
    it is found before or after spikeplug on the path, the names mean the same plugins."""
    mod = _module_name(site, f"order_{dist.replace('-', '_')}")
    make_dist(site, dist, {"lif": mod}, {mod: EVIL_PLUGIN})
    rest = [p for p in sys.path if p != str(site)]
    reg = Registry(path=[str(site), *rest] if site_first else [*rest, str(site)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = {r.name: (r.distribution, r.status) for r in reg.plugin_records() if r.entry_point == "lif"}
    assert records == {"lif": ("spikeplug", "loaded"), f"{dist}.lif": (dist, "loaded")}
    assert reg.get("lif").distribution == "spikeplug" and reg.get("lif:lif").distribution == "spikeplug"
    assert reg.get(f"{dist}.lif:lif").distribution == dist
    assert reg.get("constant_current_lif").distribution == "spikeplug"


def test_builtin_plugin_name_shared_by_two_third_parties_stays_the_builtins(site):
    """spikeplug and two third parties all use the entry point `lif`: spikeplug keeps `lif`
    (not ambiguous), both third parties load under their qualified names."""
    m1, m2 = _module_name(site, "evil_one"), _module_name(site, "evil_two")
    make_dist(site, "evil-one", {"lif": m1}, {m1: EVIL_PLUGIN})
    make_dist(site, "evil-two", {"lif": m2}, {m2: PLUGIN_SOURCE.format(name="lif", summary="second")})
    reg = Registry(path=[str(site), *sys.path])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reg.get("lif:lif").distribution == "spikeplug"
    shadowed = _caught_messages(caught, ShadowedNameWarning)
    assert len(shadowed) == 2 and all("because spikeplug's own plugin is named 'lif'" in m for m in shadowed)
    assert reg.get("lif").distribution == "spikeplug"
    assert reg.get("evil-one.lif:lif").summary == "not spikeplug's LIF"
    assert reg.get("evil-two.lif:lif").summary == "second"
    assert sorted(n for n in reg.names(kind="neuron") if n.endswith(":lif")) == ["evil-one.lif:lif", "evil-two.lif:lif"]


def test_plugin_names_depend_only_on_the_set_of_entry_points():
    """The plugin names discovery gives are the same for every order the entry points come in."""
    from spikeplug.plugins.registry import plugin_names

    found = [("spikeplug", "lif"), ("aaa-evil", "lif"), ("zzz", "lif"), ("one", "same"), ("two", "same"), ("x", "y")]
    expected = {
        ("spikeplug", "lif"): "lif", ("aaa-evil", "lif"): "aaa-evil.lif", ("zzz", "lif"): "zzz.lif",
        ("one", "same"): "one.same", ("two", "same"): "two.same", ("x", "y"): "y",
    }
    for order in itertools.permutations(found):
        assert plugin_names(order) == expected


def test_registry_module_examples_run():
    """The examples in the registry module's docstrings are true (doctest)."""
    from spikeplug.plugins import registry as registry_module

    result = doctest.testmod(registry_module)
    assert result.attempted >= 2 and result.failed == 0


def test_blocking_by_qualified_plugin_name(site, monkeypatch):
    """`<dist>.<entry point>` in SPIKEPLUG_DISABLE_PLUGINS blocks one distribution's plugin; blocking
    spikeplug's own `lif` does not hand `lif:` to the third party; the bare entry-point name blocks both."""
    mod = _module_name(site, "evil_blocked")
    make_dist(site, "aaa-evil", {"lif": mod}, {mod: EVIL_PLUGIN})

    def statuses(blocked: str) -> tuple[dict[str, str], Registry]:
        monkeypatch.setenv("SPIKEPLUG_DISABLE_PLUGINS", blocked)
        reg = Registry(path=[str(site), *sys.path])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {r.name: r.status for r in reg.plugin_records() if r.entry_point == "lif"}, reg

    found, reg = statuses("aaa-evil.lif")
    assert found == {"lif": "loaded", "aaa-evil.lif": "blocked"} and reg.get("lif").distribution == "spikeplug"
    found, reg = statuses("spikeplug.lif")
    assert found == {"lif": "blocked", "aaa-evil.lif": "loaded"}
    with pytest.raises(UnknownNameError, match=r"Plugin 'lif' is blocked \(SPIKEPLUG_DISABLE_PLUGINS\)"):
        reg.get("lif:lif")
    found, _ = statuses("lif")
    assert found == {"lif": "blocked", "aaa-evil.lif": "blocked"}


def test_in_process_model_named_like_a_builtin_leaves_the_builtin():
    """register() of a name spikeplug provides keeps the bare name spikeplug's, warns, and the
    in-process model is reachable qualified."""
    reg = Registry(path=sys.path)
    spec = ModelSpec(name="lif", kind="neuron", summary="mine", factory="spikeplug.neurons_builtin.li.modules:MODULES")
    with pytest.warns(ShadowedNameWarning, match=r"'lif' is also spikeplug's own neuron 'lif:lif'.*as '__main__:lif'"):
        reg.register(spec)
    assert reg.get("lif").distribution == "spikeplug" and reg.get("__main__:lif").summary == "mine"
    assert {"lif", "__main__:lif"} <= set(reg.names(kind="neuron"))


# ---------------------------------------------------------------------- a plugin's surrogate named "super"
ODD_SUPER_PLUGIN = """
import torch
from spikeplug.plugins import hookimpl
from spikeplug.surrogates import Surrogate

def seven_derivative(x, alpha):
    return torch.full_like(x, 7.0)

@hookimpl
def spikeplug_surrogates():
    return [Surrogate("super", seven_derivative, "constant 7: visibly not SuperSpike")]
"""

SPIKING_ENCODERS = ("constant_current_lif", "spike_latency_lif")


def _odd_super_registries(site: Path) -> tuple[Registry, Registry, str]:
    """A registry of this environment, and one that also has a plugin ``plugin`` with a surrogate ``super``."""
    mod = _module_name(site, "odd_super")
    make_dist(site, "odd-surrogates", {"plugin": mod}, {mod: ODD_SUPER_PLUGIN})
    clean = Registry(path=[p for p in sys.path if p != str(site)])
    polluted = Registry(path=[str(site), *sys.path])
    return clean, polluted, mod


def _input_gradient(monkeypatch, reg: Registry, name: str, **overrides) -> torch.Tensor:
    """d(sum of outputs)/d(input) of model ``name`` with its defaults (plus ``overrides``), with
    ``reg`` as the process-wide registry that resolves ``method=`` names."""
    from spikeplug.plugins import registry as registry_module

    monkeypatch.setattr(registry_module, "_default", reg)
    torch.manual_seed(0)
    if name in SPIKING_ENCODERS:
        module, x = reg.create(name, seq_length=6, **overrides), 0.5 + 2 * torch.rand(2, 3)
    else:
        modules = reg.factory(name)
        form = "layer" if "layer" in modules.forms else "recurrent"
        sizes = {"input_size": 3, "hidden_size": 5} if form == "recurrent" else {}
        module, x = reg.create(name, form=form, **sizes, **overrides), 0.5 + torch.rand(8, 2, 3)
    x.requires_grad_()
    out = module(x)
    (out[0] if isinstance(out, tuple) else out).sum().backward()
    return x.grad


def _builtin_spiking_models(reg: Registry) -> tuple[list[str], list[str]]:
    """spikeplug's own neuron models, and those of them (plus encoders) that take a surrogate ``method``."""
    from spikeplug.plugins.specs import resolve_reference

    neurons = [e.name for e in reg.entries(kind="neuron") if e.distribution == "spikeplug"]
    spiking = [
        name for name in neurons
        if "method" in attrs.fields_dict(resolve_reference(reg.get(name).spec.parameters, name))
    ]
    return neurons, [*spiking, *SPIKING_ENCODERS]


def test_plugin_surrogate_named_super_leaves_builtin_defaults_alone(site, monkeypatch):
    """A plugin's surrogate called `super` (the default method of every spiking parameter class)
    does not make `super` ambiguous: every builtin neuron model and spiking encoder still
    constructs with its defaults, and its input gradient is exactly the one with spikeplug's
    SuperSpike."""
    clean, polluted, _ = _odd_super_registries(site)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        neurons, spiking = _builtin_spiking_models(clean)
        assert len(neurons) >= 11 and len(spiking) >= 12
        for name in [*neurons, *SPIKING_ENCODERS]:
            expected = _input_gradient(monkeypatch, clean, name)
            got = _input_gradient(monkeypatch, polluted, name)
            assert torch.equal(got, expected), name
            assert name not in spiking or expected.abs().sum() > 0, f"{name}: no gradient through the surrogate"


def test_plugin_surrogate_named_super_is_reachable_qualified(site, monkeypatch):
    """The plugin's `super` is `plugin:super`: a warning says so, spikeplug.threshold and
    parameter classes accept it, and with it every builtin spiking model gets the plugin's
    derivative (the same gradient as that derivative registered under a fresh name)."""
    from spikeplug.neurons_builtin.lif import LIFParameters
    from spikeplug.surrogates import super_derivative

    _, polluted, mod = _odd_super_registries(site)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        surrogates = polluted.names(kind="surrogate")
    assert {"super", "plugin:super"} <= set(surrogates)
    assert _caught_messages(caught, ShadowedNameWarning) == [
        (
            f"spikeplug plugin 'plugin' ({mod}, from odd-surrogates 1.0): the bare name 'super' means spikeplug's own; "
            "reach them as 'plugin:super'."
        )
    ]
    seven = sys.modules[mod].seven_derivative
    assert polluted.surrogate("super").derivative is super_derivative
    assert polluted.surrogate("plugin:super").derivative is seven

    from spikeplug.plugins import registry as registry_module

    monkeypatch.setattr(registry_module, "_default", polluted)
    x = torch.tensor([-1.0, 0.0, 0.5], requires_grad=True)
    spikeplug.threshold(x, "plugin:super", 100.0).sum().backward()
    assert x.grad.tolist() == [7.0, 7.0, 7.0]
    x.grad = None
    spikeplug.threshold(x, "super", 100.0).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([1 / 101**2, 1.0, 1 / 51**2]))  # 1/(α|x|+1)²
    assert LIFParameters(method="plugin:super").method == "plugin:super"

    polluted.register(Surrogate("seven_test", seven, "the plugin's derivative under a fresh name"))
    _, spiking = _builtin_spiking_models(polluted)
    for name in spiking:
        qualified = _input_gradient(monkeypatch, polluted, name, method="plugin:super")
        torch.testing.assert_close(qualified, _input_gradient(monkeypatch, polluted, name, method="seven_test"))
        assert not torch.equal(qualified, _input_gradient(monkeypatch, polluted, name)), name
