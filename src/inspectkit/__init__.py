"""inspectkit: run, score and compare probation inspections, one plugin per methodology edition.

The public API, for programs that embed inspectkit::

    import inspectkit

    registry = inspectkit.load_registry()           # every installed edition
    framework = registry.framework("my_edition")
    result = inspectkit.assess(framework, {"case_id": "C1", "answers": {...}})
    report = inspectkit.rate(registry, "my_edition", cases)
    plain = inspectkit.to_plain(report)              # dicts and lists, ready for JSON

Errors are one hierarchy: ``InspectkitError`` and its ``UsageError``, ``InputError`` (with ``file``,
``line``, ``question``), ``DefinitionError`` and ``PluginError``; a wrong argument type is a ``TypeError``.
The reference is ``docs/api.md``.

Everything else in the package is private and may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

import pluggy

hookimpl = pluggy.HookimplMarker("inspectkit")

__all__ = [
    "CaseResult",
    "DefinitionError",
    "Framework",
    "InputError",
    "InspectkitError",
    "PluginError",
    "RatingReport",
    "Registry",
    "UsageError",
    "__version__",
    "assess",
    "assess_file",
    "hookimpl",
    "load_framework",
    "load_registry",
    "rate",
    "to_plain",
]

# The names below are imported on first use, so that `import inspectkit` (and every plugin, which imports
# it for `hookimpl`) stays light at start-up. Type checkers read the real imports instead.
_LAZY = {
    "assess": "inspectkit.api",
    "assess_file": "inspectkit.api",
    "load_framework": "inspectkit.api",
    "load_registry": "inspectkit.api",
    "rate": "inspectkit.api",
    "to_plain": "inspectkit.api",
    "RatingReport": "inspectkit.aggregate",
    "CaseResult": "inspectkit.engine",
    "DefinitionError": "inspectkit.errors",
    "InputError": "inspectkit.errors",
    "InspectkitError": "inspectkit.errors",
    "PluginError": "inspectkit.errors",
    "UsageError": "inspectkit.errors",
    "Framework": "inspectkit.model",
    "Registry": "inspectkit.plugins",
}

if TYPE_CHECKING:  # pragma: no cover
    from inspectkit.aggregate import RatingReport
    from inspectkit.api import assess, assess_file, load_framework, load_registry, rate, to_plain
    from inspectkit.engine import CaseResult
    from inspectkit.errors import DefinitionError, InputError, InspectkitError, PluginError, UsageError
    from inspectkit.model import Framework
    from inspectkit.plugins import Registry
else:

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'inspectkit' has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # found once; later lookups do not come back here
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
