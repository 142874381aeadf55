"""The registry: plugin discovery and the names behind ``spikeplug.create``.

Discovery runs once, on first use. It walks the ``spikeplug`` entry-point group itself
(rather than pluggy's ``load_setuptools_entrypoints``, which stops at the first broken
plugin and silently skips a taken name): every entry point is checked against the block
list *before* it is imported, imported and registered inside its own ``try``, and any
failure is kept with its traceback, warned about once and listed by
``spikeplug plugins``. Hooks are then called one implementation at a time, so a hook that
raises loses only its own plugin's models. Discovery is thread-safe: threads that use the
registry while another one discovers wait for it, and the plugins are loaded once.

Names, and who owns them. No installed distribution can change what another
distribution's models are, and the outcome never depends on the order distributions are
found in:

* A plugin's name is its entry-point name, unless another distribution has an entry point
  of the same name. Then spikeplug's own distribution keeps the plain name, and every
  other distribution's plugin is still loaded, under the *distribution-qualified* plugin
  name ``<distribution>.<entry point>``, with the distribution name normalised as pip
  does (lowercase, runs of ``-_.`` become ``-``): distribution ``AAA_Evil``'s entry point
  ``lif`` is the plugin ``aaa-evil.lif``, and its model ``lif`` is ``aaa-evil.lif:lif``,
  while ``lif:lif`` stays spikeplug's. Where only third-party distributions share an
  entry-point name, all of them get qualified names and the short plugin name is
  ambiguous: ``same:model`` raises :class:`AmbiguousNameError` listing the qualified
  choices.
* A bare model (or surrogate) name provided by spikeplug's own distribution always means
  spikeplug's, whoever else provides it; the others are reachable by their qualified
  names (``aaa-evil.lif:lif``, ``my_plugin:super``). A bare name that only third parties
  share stays ambiguous and its error lists the qualified names.
* Each plugin whose plugin name was qualified, or one of whose bare names stays
  spikeplug's, gets one :class:`ShadowedNameWarning` that says how to reach its models.

Environment:

``SPIKEPLUG_DISABLE_PLUGINS``
    comma- or space-separated plugins to skip, builtins included: an entry-point name
    skips every plugin with that entry-point name; ``<distribution>.<entry point>``
    (e.g. ``spikeplug.lif``, ``aaa-evil.lif``) skips that one distribution's.
``SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD``
    any non-empty value: load only the plugins of the ``spikeplug`` distribution itself
    and those named (either way, as above) in ``SPIKEPLUG_PLUGINS``.
"""

from __future__ import annotations

import difflib
import inspect
import os
import re
import threading
import traceback
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import importlib_metadata
import pluggy
import torch

from spikeplug.checks import unknown_name
from spikeplug.errors import ParameterError, SpikeplugError
from spikeplug.surrogates import Surrogate

from . import hookspecs
from .describe import Description, describe_entry
from .errors import (
    AmbiguousNameError,
    DuplicateNameError,
    PluginError,
    PluginLoadWarning,
    ShadowedNameWarning,
    UnknownNameError,
)
from .specs import Entry, ModelSpec, NIRMapping, parse_name, qualified_name, resolve_reference

__all__ = [
    "Registry",
    "PluginRecord",
    "get_registry",
    "plugin_names",
    "qualified_plugin_name",
    "ENV_DISABLE",
    "ENV_NO_AUTOLOAD",
    "ENV_PLUGINS",
]

GROUP = "spikeplug"
OWN_DISTRIBUTION = "spikeplug"
ENV_DISABLE = "SPIKEPLUG_DISABLE_PLUGINS"
ENV_NO_AUTOLOAD = "SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD"
ENV_PLUGINS = "SPIKEPLUG_PLUGINS"
IN_PROCESS = "__main__"
MODEL_KINDS = ("neuron", "encoder")


def _split_env(value: str | None) -> frozenset[str]:
    return frozenset(v for v in re.split(r"[,\s]+", value or "") if v)


def _normalise(dist_name: str) -> str:
    return re.sub(r"[-_.]+", "-", dist_name).lower()


def qualified_plugin_name(distribution: str, entry_point: str) -> str:
    """The distribution-qualified plugin name ``<normalised distribution>.<entry point>``.

    >>> qualified_plugin_name("AAA_Evil", "lif")
    'aaa-evil.lif'
    """
    return f"{_normalise(distribution)}.{entry_point}"


def plugin_names(found: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The plugin name of each ``(normalised distribution, entry-point name)`` pair.

    An entry-point name used by one distribution only is the plugin name. Where several
    distributions use it, spikeplug's own keeps it and every other one is qualified by its
    distribution (:func:`qualified_plugin_name`). The result depends only on the set of pairs,
    never on their order.

    >>> plugin_names([("aaa-evil", "lif"), ("spikeplug", "lif"), ("x", "y")])
    {('aaa-evil', 'lif'): 'aaa-evil.lif', ('spikeplug', 'lif'): 'lif', ('x', 'y'): 'y'}
    """
    dists_by_ep: dict[str, set[str]] = {}
    for dist, ep_name in found:
        dists_by_ep.setdefault(ep_name, set()).add(dist)
    names = {}
    for ep_name, dists in dists_by_ep.items():
        for dist in sorted(dists):
            shared = len(dists) > 1 and dist != OWN_DISTRIBUTION
            names[dist, ep_name] = qualified_plugin_name(dist, ep_name) if shared else ep_name
    return names


def _is_own(entry: Entry) -> bool:
    return entry.distribution is not None and _normalise(entry.distribution) == OWN_DISTRIBUTION


def _family(kind: str) -> str:
    """Kinds that compete for one bare name: models (``create``) or surrogates (``method=``)."""
    return "model" if kind in MODEL_KINDS else kind


def _check_encoder_arguments(entry: Entry, factory: Any, kwargs: dict[str, Any]) -> None:
    """Keywords an encoder's factory does not take, or required ones left out, as a
    :class:`ParameterError` naming them, the arguments it does take and close matches
    (instead of Python's bare ``TypeError`` from the constructor)."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C callable without a signature: leave it to the call
        return
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    named = [n for n, p in params.items() if p.kind in kinds]
    takes_more = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if isinstance(factory, type) and issubclass(factory, torch.nn.Module) and factory.__init__ is torch.nn.Module.__init__:
        takes_more = False  # no __init__ of its own: Module's (*args, **kwargs) takes no argument
    unknown = [] if takes_more else [k for k in kwargs if k not in named]
    if unknown:
        raise unknown_name(f"encoder {entry.qualified_name!r}", "argument", unknown[0], named)
    missing = [n for n in named if params[n].default is inspect.Parameter.empty and n not in kwargs]
    if missing:
        raise ParameterError(
            f"encoder {entry.qualified_name!r} needs {', '.join(map(repr, missing))}: pass "
            f"spikeplug.create({entry.name!r}, {', '.join(f'{m}=...' for m in missing)})"
        )


def _owner(qnames: Sequence[str], entries: dict[str, Entry]) -> str | None:
    """The one name of ``qnames`` from spikeplug's own distribution, if exactly one is."""
    own = [q for q in qnames if _is_own(entries[q])]
    return own[0] if len(own) == 1 else None


@attrs.define
class PluginRecord:
    """One plugin as discovery saw it.

    ``name`` is the plugin name (the ``plugin`` in ``plugin:model``): the entry-point name,
    or ``<distribution>.<entry point>`` when another distribution uses the same entry-point
    name (see the module docstring); ``entry_point`` is the entry-point name itself
    (``None`` for plugins registered in process). ``status`` is ``"loaded"``, ``"failed"``
    (``error`` holds the traceback), ``"blocked"`` (named in ``SPIKEPLUG_DISABLE_PLUGINS``)
    or ``"skipped"`` (autoload is off).
    """

    name: str
    module: str
    distribution: str | None
    version: str | None
    status: str
    error: str | None = None
    models: list[str] = attrs.Factory(list)
    entry_point: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class Registry:
    """Neuron models, encoders and surrogate methods by name.

    :param path: where to look for installed distributions (default ``sys.path``).
    :param autoload: load third-party entry points (default: unless
        ``SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD`` is set).
    :param blocked: plugins to skip, by entry-point name or distribution-qualified plugin
        name (default: ``SPIKEPLUG_DISABLE_PLUGINS``).
    :param plugins: extra plugin objects to register as ``(name, object)`` pairs, as if
        they came from entry points (tests, applications that embed plugins).
    """

    path: list[str] | None = None
    autoload: bool | None = None
    blocked: frozenset[str] | None = None
    plugins: Sequence[tuple[str, Any]] = ()
    _pm: pluggy.PluginManager = attrs.field(init=False)
    _entries: dict[str, Entry] = attrs.field(init=False, factory=dict)
    _by_name: dict[str, list[str]] = attrs.field(init=False, factory=dict)
    _records: dict[str, PluginRecord] = attrs.field(init=False, factory=dict)
    # method name -> Surrogate, for the threshold of every step; emptied whenever an entry changes
    _surrogates: dict[str, Surrogate] = attrs.field(init=False, factory=dict)
    _nir: dict[str, Entry] = attrs.field(init=False, factory=dict)  # qualified model name -> its NIR mapping
    _shared: dict[str, list[str]] = attrs.field(init=False, factory=dict)  # entry-point name -> qualified plugin names
    _state: str = attrs.field(init=False, default="new")
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock, eq=False, repr=False)
    _loader: int | None = attrs.field(init=False, default=None, eq=False, repr=False)  # thread running discovery

    def __attrs_post_init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        if self.autoload is None:
            self.autoload = not os.environ.get(ENV_NO_AUTOLOAD)
        if self.blocked is None:
            self.blocked = _split_env(os.environ.get(ENV_DISABLE))

    # ------------------------------------------------------------------ discovery
    def _ensure_loaded(self) -> None:
        if self._state == "ready":  # set only after discovery finished: no lock needed to read it
            return
        if self._loader == threading.get_ident():
            # The loading thread itself came back (a plugin creating models at import): waiting
            # for the lock would deadlock, and the registry is half built, so say what went wrong.
            raise SpikeplugError(
                "the registry was used while plugins were still loading; a plugin module must "
                "not create models or parameters at import time (move that code into the factory)"
            )
        with self._lock:  # other threads wait here until the first one has discovered the plugins
            if self._state == "ready":
                return
            self._state = "loading"
            self._loader = threading.get_ident()
            try:
                self._discover()
            finally:
                self._loader = None
                self._state = "ready"

    def _entry_points(self) -> list[tuple[Any, str, str | None]]:
        found, seen = [], set()
        for dist in importlib_metadata.distributions(path=self.path) if self.path is not None else importlib_metadata.distributions():
            dist_name = dist.metadata["Name"] or "?"
            key = _normalise(dist_name)
            if key in seen:  # the same distribution twice on the path: the first one wins, as for imports
                continue
            seen.add(key)
            names: set[str] = set()
            for ep in dist.entry_points.select(group=GROUP):
                if ep.name not in names:  # one distribution declaring a name twice: its first line wins
                    names.add(ep.name)
                    found.append((ep, dist_name, dist.version))
        return found

    def _discover(self) -> None:
        wanted = _split_env(os.environ.get(ENV_PLUGINS))
        found = self._entry_points()
        names = plugin_names((_normalise(dist), ep.name) for ep, dist, _ in found)
        kept = {name for (_, ep_name), name in names.items() if name == ep_name}
        self._shared = {}  # entry-point names that no plugin keeps: ambiguous as plugin names
        for (_, ep_name), name in sorted(names.items()):
            if name != ep_name and ep_name not in kept:
                self._shared.setdefault(ep_name, []).append(name)
        # Sorted by what the registry makes of them, so the order distributions are found in changes nothing.
        eps = sorted(found, key=lambda item: (names[_normalise(item[1]), item[0].name], _normalise(item[1])))
        for ep, dist, version in eps:
            name = names[_normalise(dist), ep.name]
            record = PluginRecord(
                name=name, module=ep.value, distribution=dist, version=version, status="loaded", entry_point=ep.name
            )
            aliases = {name, ep.name, qualified_plugin_name(dist, ep.name)}
            if aliases & self.blocked:
                record.status = "blocked"
                self._keep_record(record)
                continue
            if not self.autoload and _normalise(dist) != OWN_DISTRIBUTION and not aliases & wanted:
                record.status = "skipped"
                self._keep_record(record)
                continue
            if name in self._records and self._records[name].status == "loaded":
                # only an entry-point name spelt like another plugin's qualified name gets here
                taken = self._records[name]
                self._fail(
                    record,
                    f"plugin name {name!r} is already taken by {taken.distribution} ({taken.module}); "
                    "rename one entry point",
                )
                continue
            try:
                module = ep.load()
            except Exception:  # noqa: BLE001 - any import failure of a plugin is reported, not raised
                self._fail(record, traceback.format_exc())
                continue
            self._register_plugin(record, module)
        for name, obj in self.plugins:
            record = PluginRecord(name=name, module=getattr(obj, "__name__", repr(obj)), distribution=None, version=None, status="loaded")
            if name in self.blocked:
                record.status = "blocked"
                self._keep_record(record)
                continue
            self._register_plugin(record, obj)
        self._collect()
        self._warn_shadowed()

    def _register_plugin(self, record: PluginRecord, module: Any) -> None:
        from .api import check_api

        try:
            check_api(module, record.name)
        except PluginError as exc:
            self._fail(record, str(exc))
            return
        unknown = self._unknown_hooks(module)
        if unknown:
            known = [n for n in dir(hookspecs) if n.startswith("spikeplug_")]
            hints = [f"{u!r} (did you mean {difflib.get_close_matches(u, known, n=1)[0]!r}?)" if difflib.get_close_matches(u, known, n=1) else repr(u) for u in unknown]
            self._fail(record, f"implements unknown hook {', '.join(hints)}; known hooks: {', '.join(known)}")
            return
        try:
            self._pm.register(module, name=record.name)
        except Exception:  # noqa: BLE001 - pluggy validation errors name the bad hook
            self._fail(record, traceback.format_exc())
            return
        self._keep_record(record)

    def _unknown_hooks(self, module: Any) -> list[str]:
        names = []
        for attr in dir(module):
            try:
                opts = self._pm.parse_hookimpl_opts(module, attr)
            except Exception:  # noqa: BLE001 - attributes that cannot be inspected are no hooks
                opts = None
            if opts is not None and not hasattr(self._pm.hook, attr):
                names.append(attr)
        return names

    def _collect(self) -> None:
        for hook_name, kind_ok in (("spikeplug_surrogates", Surrogate), ("spikeplug_models", ModelSpec)):
            caller = getattr(self._pm.hook, hook_name)
            impls = sorted(caller.get_hookimpls(), key=lambda impl: impl.plugin_name)
            for impl in impls:
                record = self._records[impl.plugin_name]
                try:
                    result = impl.function()
                    items = list(result) if result is not None else []
                    bad = [item for item in items if not isinstance(item, kind_ok)]
                    if bad:
                        raise PluginError(
                            f"hook {hook_name} must return {kind_ok.__name__} objects, got {type(bad[0]).__name__}: {bad[0]!r}"
                        )
                    for item in items:
                        self._add(item, record)
                except Exception:  # noqa: BLE001 - a broken hook costs only its own plugin's models
                    self._fail(record, traceback.format_exc())
        self._collect_nir()

    def _collect_nir(self) -> None:
        """NIR mappings, one plugin at a time; a plugin maps only the models it contributes itself."""
        impls = sorted(self._pm.hook.spikeplug_nir_mappings.get_hookimpls(), key=lambda impl: impl.plugin_name)
        for impl in impls:
            record = self._records[impl.plugin_name]
            if record.status != "loaded":
                continue
            try:
                result = impl.function()
                items = list(result) if result is not None else []
                found = []
                for item in items:
                    if not isinstance(item, NIRMapping):
                        raise PluginError(
                            f"hook spikeplug_nir_mappings must return NIRMapping objects, got {type(item).__name__}: {item!r}"
                        )
                    qname = qualified_name(record.name, item.model)
                    if qname not in record.models or self._entries[qname].kind != "neuron":
                        own = sorted(self._entries[q].name for q in record.models if self._entries[q].kind == "neuron")
                        raise PluginError(
                            f"NIRMapping(model={item.model!r}) of plugin {record.name!r} names no neuron model of that "
                            f"plugin; a plugin maps only its own models ({', '.join(own) or 'it has none'})"
                        )
                    if qname in self._nir or qname in (q for q, _ in found):
                        raise DuplicateNameError(f"plugin {record.name!r} declares two NIR mappings for {item.model!r}")
                    found.append((qname, item))
                for qname, item in found:
                    self._nir[qname] = Entry(
                        name=item.model, kind="nir", summary=", ".join(item.nir_types), spec=item,
                        plugin=record.name, distribution=record.distribution, version=record.version,
                    )
            except Exception:  # noqa: BLE001 - a broken hook is reported like any other
                self._fail(record, traceback.format_exc())

    def _keep_record(self, record: PluginRecord) -> None:
        if record.name not in self._records or self._records[record.name].status != "loaded":
            self._records[record.name] = record

    def _fail(self, record: PluginRecord, error: str) -> None:
        record.status = "failed"
        record.error = error
        last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
        key = record.name if record.name not in self._records or self._records[record.name] is record else f"{record.name} ({record.distribution})"
        self._records[key] = record
        for qname in list(record.models):  # models from a hook that raised halfway
            self._remove(qname)
        record.models.clear()
        warnings.warn(
            f"spikeplug plugin {record.name!r} ({record.module}, from {record.distribution or 'this process'}) "
            f"failed and its models are unavailable: {last}. Run `spikeplug plugins` for the traceback.",
            PluginLoadWarning,
            stacklevel=4,
        )

    def _add(self, item: ModelSpec | Surrogate, record: PluginRecord) -> Entry:
        kind = "surrogate" if isinstance(item, Surrogate) else item.kind
        entry = Entry(
            name=item.name,
            kind=kind,
            summary=item.summary,
            spec=item,
            plugin=record.name,
            distribution=record.distribution,
            version=record.version,
        )
        qname = entry.qualified_name
        if qname in self._entries:
            raise DuplicateNameError(f"{qname!r} is already registered; give the second model another name")
        parse_name(qname)
        self._entries[qname] = entry
        self._surrogates.clear()
        self._by_name.setdefault(entry.name, []).append(qname)
        record.models.append(qname)
        return entry

    def _shadowing(self, entry: Entry) -> Entry | None:
        """The entry of spikeplug's own distribution that keeps ``entry``'s bare name, if any."""
        if _is_own(entry):
            return None
        family = _family(entry.kind)
        for qname in self._by_name.get(entry.name, []):
            other = self._entries[qname]
            if _is_own(other) and _family(other.kind) == family:
                return other
        return None

    def _warn_shadowed(self) -> None:
        """One warning per third-party plugin whose plugin name or model names are taken by another."""
        for record in sorted(self._records.values(), key=lambda r: r.name):
            if record.status != "loaded" or record.entry_point is None:
                continue
            renamed = record.name != record.entry_point
            shadowed = sorted(q for q in record.models if self._shadowing(self._entries[q]) is not None)
            if not (renamed or shadowed):
                continue
            ep_name = record.entry_point
            parts = []
            if renamed:
                others = sorted(
                    r.distribution or "?" for r in self._records.values()
                    if r.entry_point == ep_name and r is not record
                )
                if ep_name in self._shared:
                    uses = "uses" if len(others) == 1 else "use"
                    parts.append(
                        f"it is registered as {record.name!r} because {', '.join(others)} also {uses} "
                        f"the plugin name {ep_name!r}, which is therefore ambiguous"
                    )
                else:
                    parts.append(
                        f"it is registered as {record.name!r} because spikeplug's own plugin is named {ep_name!r}"
                    )
            if shadowed:
                bare = ", ".join(repr(self._entries[q].name) for q in shadowed)
                parts.append(
                    f"the bare name {bare} means spikeplug's own" if len(shadowed) == 1
                    else f"the bare names {bare} mean spikeplug's own"
                )
            reach = sorted(record.models) if renamed else shadowed
            if reach:
                parts.append(f"reach {'its models' if renamed else 'them'} as {', '.join(map(repr, reach))}")
            warnings.warn(
                f"spikeplug plugin {ep_name!r} ({record.module}, from {record.distribution} {record.version}): "
                + "; ".join(parts) + ".",
                ShadowedNameWarning,
                stacklevel=4,
            )

    def _remove(self, qname: str) -> None:
        self._nir.pop(qname, None)
        entry = self._entries.pop(qname)
        self._surrogates.clear()
        self._by_name[entry.name].remove(qname)
        if not self._by_name[entry.name]:
            del self._by_name[entry.name]

    # ------------------------------------------------------------------ public API
    def register(self, spec: ModelSpec | Surrogate, *, plugin: str = IN_PROCESS) -> Entry:
        """Register a model or surrogate from this process (notebooks, tests).

        It is reachable as ``plugin:name`` and, while unique, by its bare name; a bare name
        that spikeplug's own distribution provides keeps meaning spikeplug's (warned about).
        """
        self._ensure_loaded()
        if not isinstance(spec, (ModelSpec, Surrogate)):
            raise TypeError(f"register() takes a ModelSpec or a Surrogate, got {type(spec).__name__}")
        with self._lock:
            record = self._records.get(plugin)
            if record is None:
                record = PluginRecord(
                    name=plugin, module="(registered in process)", distribution=None, version=None, status="loaded"
                )
                self._records[plugin] = record
            entry = self._add(spec, record)
            own = self._shadowing(entry)
        if own is not None:
            warnings.warn(
                f"{entry.name!r} is also spikeplug's own {own.kind} {own.qualified_name!r}, which keeps the bare name; "
                f"reach the one registered here as {entry.qualified_name!r}",
                ShadowedNameWarning,
                stacklevel=2,
            )
        return entry

    def unregister(self, name: str) -> None:
        """Remove a model registered in this process (by bare or qualified name)."""
        entry = self._resolve(name, kinds=None)
        with self._lock:
            self._remove(entry.qualified_name)
            self._records[entry.plugin].models.remove(entry.qualified_name)

    def names(self, kind: str | None = None, *, qualified: bool = False) -> list[str]:
        """Sorted names of the registered models (all kinds, or ``kind``).

        A bare name is listed while it is unique, or when spikeplug's own distribution
        provides it (the others that share it are listed qualified); names that several
        third-party plugins provide are listed qualified (``plugin:name``).
        ``qualified=True`` lists every name qualified.
        """
        self._ensure_loaded()
        if kind is not None and kind not in ("neuron", "encoder", "surrogate"):
            raise ValueError(f"kind must be 'neuron', 'encoder' or 'surrogate', got {kind!r}")
        out = []
        for name, qnames in self._by_name.items():
            matching = [q for q in qnames if kind is None or self._entries[q].kind == kind]
            owner = _owner(matching, self._entries)
            if qualified or (len(matching) > 1 and owner is None):
                out.extend(matching)
            elif matching:
                out.append(name)
                out.extend(q for q in matching if q != owner and len(matching) > 1)
        return sorted(out)

    def entries(self, kind: str | None = None) -> list[Entry]:
        """Every registered entry (of ``kind``), sorted by qualified name."""
        self._ensure_loaded()
        return [self._entries[q] for q in sorted(self._entries) if kind is None or self._entries[q].kind == kind]

    def plugin_records(self) -> list[PluginRecord]:
        """What discovery found: loaded, failed (with traceback), blocked and skipped plugins."""
        self._ensure_loaded()
        return [self._records[k] for k in sorted(self._records)]

    def nir_mappings(self) -> list[Entry]:
        """The NIR mappings plugins declared (``spec`` is the :class:`NIRMapping`), sorted by
        qualified model name; each carries the origin of the plugin that declared it."""
        self._ensure_loaded()
        return [self._nir[q] for q in sorted(self._nir)]

    def nir_mapping(self, name: str) -> Entry | None:
        """The NIR mapping of model ``name`` (bare or qualified), or ``None`` if its plugin declares none."""
        entry = self._resolve(name, kinds=("neuron",))
        return self._nir.get(entry.qualified_name)

    def get(self, name: str, kind: str | None = None) -> Entry:
        """The :class:`Entry` registered under ``name`` (bare or qualified)."""
        return self._resolve(name, kinds=None if kind is None else (kind,))

    def surrogate(self, method: str) -> Surrogate:
        """The surrogate method ``method`` (used by :func:`spikeplug.threshold` at every step,
        so resolved names are remembered until the registry changes)."""
        found = self._surrogates.get(method)
        if found is None:
            found = self._resolve(method, kinds=("surrogate",)).spec
            self._surrogates[method] = found
        return found

    def factory(self, name: str) -> Any:
        """The factory of model ``name``, imported if it was a lazy reference."""
        entry = self._resolve(name, kinds=MODEL_KINDS)
        factory = resolve_reference(entry.spec.factory, f"factory of {entry.qualified_name}")
        if not callable(factory):
            raise PluginError(
                f"the factory of {entry.qualified_name!r} ({entry.spec.factory!r}, from plugin {entry.plugin!r}"
                f"{f', distribution {entry.distribution}' if entry.distribution else ''}) is a "
                f"{type(factory).__name__}, not a callable; the plugin must name a class, function or ModuleSet"
            )
        return factory

    def create(self, name: str, /, **kwargs: Any) -> Any:
        """Create the model ``name`` with keyword arguments (parameter overrides, ``form=``...)."""
        factory = self.factory(name)
        entry = self._resolve(name, kinds=MODEL_KINDS)
        if entry.kind == "encoder":  # neuron modules check their own keywords (ParameterError with close matches)
            _check_encoder_arguments(entry, factory, kwargs)
        return factory(**kwargs)

    def describe(self, name: str) -> Description:
        """Parameters (defaults, units, meaning), forms, presets and origin of ``name``."""
        entry = self._resolve(name, kinds=None)
        mapping = self._nir.get(entry.qualified_name)
        return describe_entry(entry, nir=mapping.spec.nir_types if mapping is not None else ())

    def _resolve(self, name: str, kinds: Iterable[str] | None) -> Entry:
        self._ensure_loaded()
        plugin, bare = parse_name(name)
        kinds = tuple(kinds) if kinds is not None else None
        if plugin is not None:
            entry = self._entries.get(qualified_name(plugin, bare))
            if entry is not None and (kinds is None or entry.kind in kinds):
                return entry
            choices = [
                q for q in (qualified_name(p, bare) for p in self._shared.get(plugin, ()))
                if q in self._entries and (kinds is None or self._entries[q].kind in kinds)
            ]
            if choices:
                raise AmbiguousNameError(
                    f"plugin name {plugin!r} in {name!r} is used by several distributions; choose one by its "
                    f"distribution-qualified name: {', '.join(sorted(choices))}"
                )
            candidates = []
        else:
            candidates = [q for q in self._by_name.get(bare, []) if kinds is None or self._entries[q].kind in kinds]
            owner = candidates[0] if len(candidates) == 1 else _owner(candidates, self._entries)
            if owner is not None:
                return self._entries[owner]
        if len(candidates) > 1:
            raise AmbiguousNameError(
                f"{bare!r} is provided by several plugins; choose one by its qualified name: "
                f"{', '.join(sorted(candidates))}"
            )
        raise UnknownNameError(self._unknown_message(name, plugin, bare, kinds))

    def _unknown_message(self, name: str, plugin: str | None, bare: str, kinds: tuple[str, ...] | None) -> str:
        what = "/".join(kinds) if kinds else "model"
        pool = [e for e in self._entries.values() if kinds is None or e.kind in kinds]
        choices = sorted({e.name for e in pool} | {e.qualified_name for e in pool})
        lines = [f"no {what} named {name!r} is registered."]
        close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
        if close:
            lines.append(f"Did you mean {', '.join(map(repr, close))}?")
        if plugin is not None and plugin in self._shared:
            lines.append(
                f"Plugin name {plugin!r} is used by several distributions; their plugins are "
                f"{', '.join(map(repr, sorted(self._shared[plugin])))}."
            )
        if plugin is not None and plugin in self._records:
            rec = self._records[plugin]
            if rec.status == "loaded":
                lines.append(f"Plugin {plugin!r} is loaded but provides no {bare!r}.")
            else:
                lines.append(f"Plugin {plugin!r} is {rec.status}" + (f" ({ENV_DISABLE})." if rec.status == "blocked" else "."))
        failed = [r for r in self._records.values() if r.status == "failed"]
        if failed:
            lines.append(
                "Plugins that failed to load (their models are missing): "
                + "; ".join(f"{r.name}: {r.error.strip().splitlines()[-1] if r.error else '?'}" for r in failed)
                + ". Run `spikeplug plugins` for tracebacks."
            )
        blocked = sorted(r.name for r in self._records.values() if r.status == "blocked")
        if blocked and plugin is None:
            lines.append(f"Plugins blocked by {ENV_DISABLE} (their models are missing): {', '.join(blocked)}.")
        if not self.autoload:
            lines.append(f"Third-party plugins are not loaded because {ENV_NO_AUTOLOAD} is set.")
        if kinds is None or set(kinds) & set(MODEL_KINDS):
            lines.append(
                f"Known {what}s: {', '.join(sorted({e.name for e in pool})) or 'none'}. A model from a plugin "
                "package appears once that package is installed (pip install ...)."
            )
        return " ".join(lines)


_default: Registry | None = None
_default_lock = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry behind ``spikeplug.create`` (created on first use).

    Safe to call from several threads at once: they all get the same registry.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Registry()
    return _default
