"""inspectkit: run, score and compare probation inspections, one plugin per methodology edition.

The public API, for programs that embed inspectkit::

    import inspectkit

    registry = inspectkit.load_registry()           # every installed edition
    framework = registry.framework("my_edition")
    result = inspectkit.assess(framework, {"case_id": "C1", "answers": {...}})
    report = inspectkit.rate(registry, "my_edition", cases)
    plain = inspectkit.to_plain(report)              # dicts and lists, ready for JSON

Everything else in the package is private and may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

import pluggy

hookimpl = pluggy.HookimplMarker("inspectkit")

__all__ = [
    "CaseResult",
    "Framework",
    "InspectkitError",
    "Registry",
    "RatingReport",
    "__version__",
    "assess",
    "assess_file",
    "hookimpl",
    "load_framework",
    "load_registry",
    "rate",
    "to_plain",
]

if TYPE_CHECKING:  # pragma: no cover
    from inspectkit.aggregate import RatingReport
    from inspectkit.engine import CaseResult
    from inspectkit.errors import InspectkitError
    from inspectkit.model import Framework
    from inspectkit.plugins import Registry


def __getattr__(name: str) -> Any:
    # imported on first use, so that `import inspectkit` (and every plugin) stays light at start-up
    if name in ("assess", "assess_file", "rate", "to_plain", "load_registry", "load_framework"):
        from inspectkit import api

        return getattr(api, name)
    if name == "RatingReport":
        from inspectkit.aggregate import RatingReport

        return RatingReport
    if name == "CaseResult":
        from inspectkit.engine import CaseResult

        return CaseResult
    if name == "InspectkitError":
        from inspectkit.errors import InspectkitError

        return InspectkitError
    if name == "Framework":
        from inspectkit.model import Framework

        return Framework
    if name == "Registry":
        from inspectkit.plugins import Registry

        return Registry
    raise AttributeError(f"module 'inspectkit' has no attribute {name!r}")
