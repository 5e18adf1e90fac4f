"""The functions behind ``inspectkit``'s public names (see ``inspectkit/__init__.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from inspectkit.aggregate import CaseInput, RatingReport, iter_cases
from inspectkit.aggregate import rate as _rate
from inspectkit.engine import CaseResult, Engine
from inspectkit.errors import UsageError
from inspectkit.model import Framework
from inspectkit.plugins import Registry
from inspectkit.plugins import load_registry as _load_registry

_engines: dict[int, tuple[Framework, Engine]] = {}


def load_registry(plugins: Iterable[tuple[str, Any]] = (), entry_points: bool = True, strict: bool | None = None) -> Registry:
    """Every installed edition (and any plugin given as ``(name, module)``), ready to use.

    A plugin that fails to load is reported in ``registry.failures()`` and the others keep working,
    unless ``strict`` (or ``INSPECTKIT_STRICT_PLUGINS=1``) makes it an error.
    """
    return _load_registry(plugins, entry_points=entry_points, strict=strict)


def load_framework(edition_or_path: str | Path, registry: Registry | None = None) -> Framework:
    """An installed edition by id, or a framework definition file by path (checked; errors name file and line)."""
    path = Path(edition_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        from inspectkit.definition import load_framework as _load

        registry = registry or load_registry()
        return _load(path, registry.functions, registry.lists)
    registry = registry or load_registry()
    return registry.framework(str(edition_or_path))


def _engine(framework: Framework) -> Engine:
    hit = _engines.get(id(framework))
    if hit is not None and hit[0] is framework:
        return hit[1]
    engine = Engine(framework)
    if len(_engines) > 32:
        _engines.clear()
    _engines[id(framework)] = (framework, engine)
    return engine


def assess(framework: Framework, case: Mapping[str, Any]) -> CaseResult:
    """Assess one case given as a mapping in the case-file shape (``case_id``, ``answers``, ``notes``)."""
    return _engine(framework).assess(dict(case))


def assess_file(path: str | Path, registry: Registry | None = None, edition: str | None = None) -> CaseResult:
    """Assess one case file (YAML or JSON); the edition comes from the file unless given."""
    from inspectkit.files import line_finder, load_document

    path = Path(path)
    doc = load_document(path)
    registry = registry or load_registry()
    edition = edition or (doc.get("edition") if isinstance(doc, dict) else None)
    if not edition:
        raise UsageError("the case file names no edition: pass edition=...")
    engine = registry.engine(edition)
    return engine.assess(doc, source=str(path), line_of=line_finder(doc))


def rate(
    registry: Registry,
    edition: str,
    cases: Iterable[Mapping[str, Any] | str | Path],
    inspection: Mapping[str, Any] | str | Path | None = None,
) -> RatingReport:
    """Aggregate cases for an edition: mappings, or paths of case files, folders and JSON Lines files.

    Cases are streamed: memory does not grow with their number. ``inspection`` is the inspection file
    (a mapping or a path) for what is judged once per inspection.
    """
    from inspectkit.files import load_document

    def inputs() -> Iterable[CaseInput | Mapping[str, Any]]:
        for case in cases:
            if isinstance(case, (str, Path)):
                yield from iter_cases([Path(case)])
            else:
                yield case

    source = None
    if isinstance(inspection, (str, Path)):
        source = str(inspection)
        inspection = load_document(Path(inspection))
    return _rate(registry, edition, inputs(), inspection, source)


def to_plain(obj: Any) -> Any:
    """Results as plain data (dicts, lists, strings, numbers), ready for JSON."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    import cattrs

    converter = cattrs.Converter()
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    converter.register_unstructure_hook(Fraction, float)
    converter.register_unstructure_hook(frozenset, sorted)
    return converter.unstructure(obj)
