"""The spikeplug API range a plugin declares it was written for.

A plugin module may set, at module level::

    SPIKEPLUG_API = ">=0.1,<0.2"

comma-separated clauses, each an operator (``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``)
and a dotted version, all of which the running spikeplug's :data:`API_VERSION` must
satisfy. The registry refuses a plugin whose range excludes it: the plugin is reported as
failed (``spikeplug plugins`` says which version it needs) and every other plugin keeps
working. A plugin without ``SPIKEPLUG_API`` is loaded as before.
"""

from __future__ import annotations

import operator
import re
from typing import Any

from spikeplug import __version__

from .errors import PluginError

__all__ = ["API_VERSION", "ATTRIBUTE", "check_api", "parse_range"]

API_VERSION = __version__
"""The version plugins' ranges are compared with (spikeplug's release version)."""
ATTRIBUTE = "SPIKEPLUG_API"

_OPERATORS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt,
              "<": operator.lt}
_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*$")


def _version(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in re.match(r"\d+(?:\.\d+)*", text).group(0).split(".")]  # type: ignore[union-attr]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()  # 0.1 == 0.1.0
    return tuple(parts)


def parse_range(spec: Any) -> list[tuple[str, tuple[int, ...]]]:
    """``">=0.1,<0.2"`` -> ``[(">=", (0, 1)), ("<", (0, 2))]``.

    :raises PluginError: when ``spec`` is not such a string (the message shows the accepted form).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise PluginError(f"{ATTRIBUTE} must be a version range such as '>=0.1,<0.2', got {spec!r}")
    clauses = []
    for clause in spec.split(","):
        match = _CLAUSE.match(clause)
        if not match:
            raise PluginError(f"{ATTRIBUTE} = {spec!r}: {clause.strip()!r} is not an operator (>=, >, <=, <, ==, !=) "
                              "followed by a version; expected a range such as '>=0.1,<0.2'")
        clauses.append((match.group(1), _version(match.group(2))))
    return clauses


def check_api(module: Any, plugin: str, version: str = API_VERSION) -> None:
    """Raise :class:`PluginError` when ``module`` declares an API range that excludes ``version``."""
    spec = getattr(module, ATTRIBUTE, None)
    if spec is None:
        return
    running = _version(version)
    if not all(_OPERATORS[op](running, bound) for op, bound in parse_range(spec)):
        raise PluginError(
            f"plugin {plugin!r} needs spikeplug {spec.replace(',', ', ')} ({ATTRIBUTE} = {spec!r}), but this is "
            f"spikeplug {version}; install a release of the plugin written for spikeplug {version}, or a spikeplug "
            f"in {spec!r}"
        )
