"""The registry: plugin discovery and the names behind ``spikeplug.create``.

Discovery runs once, on first use. It walks the ``spikeplug`` entry-point group itself
(rather than pluggy's ``load_setuptools_entrypoints``, which stops at the first broken
plugin and silently skips a taken name): every entry point is checked against the block
list *before* it is imported, imported and registered inside its own ``try``, and any
failure is kept with its traceback, warned about once and listed by
``spikeplug plugins``. Hooks are then called one implementation at a time, so a hook that
raises loses only its own plugin's models.

Environment:

``SPIKEPLUG_DISABLE_PLUGINS``
    comma- or space-separated plugin (entry-point) names to skip, builtins included.
``SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD``
    any non-empty value: load only the plugins of the ``spikeplug`` distribution itself
    and those named in ``SPIKEPLUG_PLUGINS``.
"""

from __future__ import annotations

import difflib
import os
import re
import threading
import traceback
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import attrs
import importlib_metadata
import pluggy

from spikeplug.errors import SpikeplugError
from spikeplug.surrogates import Surrogate

from . import hookspecs
from .describe import Description, describe_entry
from .errors import (
    AmbiguousNameError,
    DuplicateNameError,
    PluginError,
    PluginLoadWarning,
    UnknownNameError,
)
from .specs import Entry, ModelSpec, parse_name, qualified_name, resolve_reference

__all__ = ["Registry", "PluginRecord", "get_registry", "ENV_DISABLE", "ENV_NO_AUTOLOAD", "ENV_PLUGINS"]

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


@attrs.define
class PluginRecord:
    """One plugin as discovery saw it.

    ``status`` is ``"loaded"``, ``"failed"`` (``error`` holds the traceback),
    ``"blocked"`` (named in ``SPIKEPLUG_DISABLE_PLUGINS``) or ``"skipped"`` (autoload
    is off).
    """

    name: str
    module: str
    distribution: str | None
    version: str | None
    status: str
    error: str | None = None
    models: list[str] = attrs.Factory(list)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class Registry:
    """Neuron models, encoders and surrogate methods by name.

    :param path: where to look for installed distributions (default ``sys.path``).
    :param autoload: load third-party entry points (default: unless
        ``SPIKEPLUG_DISABLE_PLUGIN_AUTOLOAD`` is set).
    :param blocked: plugin names to skip (default: ``SPIKEPLUG_DISABLE_PLUGINS``).
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

    def _entry_points(self) -> Iterator[tuple[Any, str | None, str | None]]:
        seen: set[str] = set()
        for dist in importlib_metadata.distributions(path=self.path) if self.path is not None else importlib_metadata.distributions():
            dist_name = dist.metadata["Name"] or "?"
            key = _normalise(dist_name)
            if key in seen:  # the same distribution twice on the path: the first one wins, as for imports
                continue
            seen.add(key)
            for ep in dist.entry_points.select(group=GROUP):
                yield ep, dist_name, dist.version

    def _discover(self) -> None:
        wanted = _split_env(os.environ.get(ENV_PLUGINS))
        eps = sorted(self._entry_points(), key=lambda item: (item[0].name, item[1] or ""))
        for ep, dist, version in eps:
            record = PluginRecord(name=ep.name, module=ep.value, distribution=dist, version=version, status="loaded")
            if ep.name in self.blocked:
                record.status = "blocked"
                self._keep_record(record)
                continue
            if not self.autoload and _normalise(dist or "") != OWN_DISTRIBUTION and ep.name not in wanted:
                record.status = "skipped"
                self._keep_record(record)
                continue
            if ep.name in self._records and self._records[ep.name].status == "loaded":
                taken = self._records[ep.name]
                self._fail(record, f"plugin name {ep.name!r} is already taken by {taken.distribution} ({taken.module}); rename one entry point")
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

    def _register_plugin(self, record: PluginRecord, module: Any) -> None:
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
        self._by_name.setdefault(entry.name, []).append(qname)
        record.models.append(qname)
        return entry

    def _remove(self, qname: str) -> None:
        entry = self._entries.pop(qname)
        self._by_name[entry.name].remove(qname)
        if not self._by_name[entry.name]:
            del self._by_name[entry.name]

    # ------------------------------------------------------------------ public API
    def register(self, spec: ModelSpec | Surrogate, *, plugin: str = IN_PROCESS) -> Entry:
        """Register a model or surrogate from this process (notebooks, tests).

        It is reachable as ``plugin:name`` and, while unique, by its bare name.
        """
        self._ensure_loaded()
        if not isinstance(spec, (ModelSpec, Surrogate)):
            raise TypeError(f"register() takes a ModelSpec or a Surrogate, got {type(spec).__name__}")
        with self._lock:
            record = self._records.get(plugin)
            if record is None:
                record = PluginRecord(name=plugin, module="(registered in process)", distribution=None, version=None, status="loaded")
                self._records[plugin] = record
            return self._add(spec, record)

    def unregister(self, name: str) -> None:
        """Remove a model registered in this process (by bare or qualified name)."""
        entry = self._resolve(name, kinds=None)
        with self._lock:
            self._remove(entry.qualified_name)
            self._records[entry.plugin].models.remove(entry.qualified_name)

    def names(self, kind: str | None = None, *, qualified: bool = False) -> list[str]:
        """Sorted names of the registered models (all kinds, or ``kind``).

        A bare name is listed while it is unique; names that several plugins provide are
        listed qualified (``plugin:name``). ``qualified=True`` lists every name qualified.
        """
        self._ensure_loaded()
        if kind is not None and kind not in ("neuron", "encoder", "surrogate"):
            raise ValueError(f"kind must be 'neuron', 'encoder' or 'surrogate', got {kind!r}")
        out = []
        for name, qnames in self._by_name.items():
            matching = [q for q in qnames if kind is None or self._entries[q].kind == kind]
            if qualified or len(matching) > 1:
                out.extend(matching)
            elif matching:
                out.append(name)
        return sorted(out)

    def entries(self, kind: str | None = None) -> list[Entry]:
        """Every registered entry (of ``kind``), sorted by qualified name."""
        self._ensure_loaded()
        return [self._entries[q] for q in sorted(self._entries) if kind is None or self._entries[q].kind == kind]

    def plugin_records(self) -> list[PluginRecord]:
        """What discovery found: loaded, failed (with traceback), blocked and skipped plugins."""
        self._ensure_loaded()
        return [self._records[k] for k in sorted(self._records)]

    def get(self, name: str, kind: str | None = None) -> Entry:
        """The :class:`Entry` registered under ``name`` (bare or qualified)."""
        return self._resolve(name, kinds=None if kind is None else (kind,))

    def surrogate(self, method: str) -> Surrogate:
        """The surrogate method ``method`` (used by :func:`spikeplug.threshold`)."""
        return self._resolve(method, kinds=("surrogate",)).spec

    def factory(self, name: str) -> Any:
        """The factory of model ``name``, imported if it was a lazy reference."""
        entry = self._resolve(name, kinds=MODEL_KINDS)
        return resolve_reference(entry.spec.factory, f"factory of {entry.qualified_name}")

    def create(self, name: str, /, **kwargs: Any) -> Any:
        """Create the model ``name`` with keyword arguments (parameter overrides, ``form=``...)."""
        return self.factory(name)(**kwargs)

    def describe(self, name: str) -> Description:
        """Parameters (defaults, units, meaning), forms, presets and origin of ``name``."""
        entry = self._resolve(name, kinds=None)
        return describe_entry(entry)

    def _resolve(self, name: str, kinds: Iterable[str] | None) -> Entry:
        self._ensure_loaded()
        plugin, bare = parse_name(name)
        kinds = tuple(kinds) if kinds is not None else None
        if plugin is not None:
            entry = self._entries.get(qualified_name(plugin, bare))
            if entry is not None and (kinds is None or entry.kind in kinds):
                return entry
            candidates = []
        else:
            candidates = [q for q in self._by_name.get(bare, []) if kinds is None or self._entries[q].kind in kinds]
            if len(candidates) == 1:
                return self._entries[candidates[0]]
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
