"""The functions behind ``inspectkit``'s public names (see ``inspectkit/__init__.py``).

Each checks its arguments and raises only the errors of :mod:`inspectkit.errors` (``UsageError``,
``InputError``, ``DefinitionError``, ``PluginError``, all ``InspectkitError``), or ``TypeError`` for an
argument of the wrong type. Problems inside a case are not raised: they are in the result's ``errors``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from inspectkit.aggregate import CaseInput, RatingReport, iter_cases
from inspectkit.aggregate import rate as _rate
from inspectkit.engine import CaseResult, Engine
from inspectkit.errors import DefinitionError, DefinitionErrors, InputError, Location, UsageError
from inspectkit.model import Framework
from inspectkit.plugins import Registry
from inspectkit.plugins import load_registry as _load_registry

_engines: dict[int, tuple[Framework, Engine]] = {}


def _type_error(name: str, expected: str, value: Any) -> TypeError:
    return TypeError(f"{name} must be {expected}, not {type(value).__name__}")


def _check_registry(registry: Any, name: str = "registry") -> None:
    # a Registry, or anything shaped like one (tests and embedders may hand in their own)
    if not isinstance(registry, Registry) and not (
        callable(getattr(registry, "framework", None)) and hasattr(registry, "engine")
    ):
        raise _type_error(name, "a Registry (from inspectkit.load_registry())", registry)


def _check_path(value: Any, name: str) -> Path:
    if not isinstance(value, (str, Path)):
        raise _type_error(name, "a path (str or pathlib.Path)", value)
    return Path(value)


def load_registry(plugins: Iterable[tuple[str, Any]] = (), entry_points: bool = True, strict: bool | None = None) -> Registry:
    """Every installed edition (and any plugin given as ``(name, module)``), ready to use.

    A plugin that fails to load is reported in ``registry.failures()`` and the others keep working,
    unless ``strict`` (or ``INSPECTKIT_STRICT_PLUGINS=1``) makes it an error.

    Args:
        plugins: extra plugins as ``(name, module or object)`` pairs, registered before the installed ones.
        entry_points: also load the plugins installed in the ``inspectkit`` entry-point group.
        strict: raise on a plugin that fails to load; None reads ``INSPECTKIT_STRICT_PLUGINS``.

    Returns:
        The registry: ``registry.editions()``, ``registry.framework(edition)``, ``registry.failures()``.

    Raises:
        PluginError: with ``strict``, when a plugin fails to load or to register.
        TypeError: when ``plugins`` is not an iterable of ``(name, plugin)`` pairs.

    Example:
        >>> registry = inspectkit.load_registry()
        >>> registry.editions()
        ['my_edition', 'my_rating_edition']
    """
    if isinstance(plugins, (str, bytes)) or not isinstance(plugins, Iterable):
        raise _type_error("plugins", "an iterable of (name, plugin) pairs", plugins)
    pairs = list(plugins)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise _type_error("each of plugins", "a (name, plugin) pair", pair)
    if strict is not None and not isinstance(strict, bool):
        raise _type_error("strict", "True, False or None", strict)
    return _load_registry(pairs, entry_points=bool(entry_points), strict=strict)


def _looks_like_path(value: str | Path) -> bool:
    text = str(value)
    return isinstance(value, Path) or Path(text).suffix.lower() in (".yaml", ".yml") or "/" in text or "\\" in text


def load_framework(edition_or_path: str | Path, registry: Registry | None = None) -> Framework:
    """An installed edition by id, or a framework definition file by path, checked.

    Args:
        edition_or_path: an edition id (``"my_edition"``) or the path of a framework definition (YAML).
        registry: where editions, functions and reference lists come from (default: every installed plugin).

    Returns:
        The framework: ``framework.items`` (id -> item), ``framework.questions``, its scoring and ratings.

    Raises:
        UsageError: the edition is not installed (the near miss is suggested) or the file does not exist.
        DefinitionError: the definition is wrong; a ``DefinitionErrors`` lists every problem with file and line.
        PluginError: in strict mode, when a plugin fails to load.
        TypeError: ``edition_or_path`` is not a str or Path, or ``registry`` is not a Registry.

    Example:
        >>> framework = inspectkit.load_framework("my_edition")
        >>> framework.items["Q1.2"].parent
        'Q1'
    """
    if not isinstance(edition_or_path, (str, Path)):
        raise _type_error("edition_or_path", "an edition id or a path (str or pathlib.Path)", edition_or_path)
    if registry is not None:
        _check_registry(registry)
    path = Path(edition_or_path)
    if _looks_like_path(edition_or_path) or path.exists():
        if not path.exists():
            raise UsageError("no such file", Location(str(path)), hint="give an installed edition id or a definition file")
        if path.is_dir():
            raise UsageError("is a folder: give the framework definition file (YAML)", Location(str(path)))
        from inspectkit.definition import load_framework as _load

        registry = registry or load_registry()
        try:
            return _load(path, registry.functions, registry.lists)
        except DefinitionError:
            raise
        except InputError as exc:  # not YAML, not UTF-8: a definition problem, reported where it is
            raise DefinitionErrors([DefinitionError(exc.message, exc.location, exc.hint)]) from exc
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
    """Assess one case given as a mapping in the case-file shape (``case_id``, ``answers``, ``notes``).

    Problems in the case itself (an unknown question id, a value outside the choices, an answer to a
    question that does not apply) are not raised: they are in ``result.errors`` and ``result.warnings``,
    each with the question id and a message.

    Args:
        framework: the edition to assess against (``registry.framework(...)`` or ``load_framework(...)``).
        case: the case, as a case file holds it (``schema``, ``edition``, ``case_id``, ``answers``, ``notes``).

    Returns:
        The result: ``questions`` (id -> status and value), ``judgements``, ``errors``, ``warnings``, ``in_sample``.

    Raises:
        TypeError: ``framework`` is not a Framework, or ``case`` is not a mapping.

    Example:
        >>> result = inspectkit.assess(framework, {"case_id": "C1", "answers": {"Q1": "no"}})
        >>> result.questions["Q1.2"].status  # Q1.2 applies only when Q1 is yes
        'not_applicable'
    """
    if not isinstance(framework, Framework):
        raise _type_error("framework", "a Framework (from registry.framework(...) or inspectkit.load_framework(...))", framework)
    if not isinstance(case, Mapping):
        raise _type_error("case", "a mapping with case_id and answers (a parsed case file)", case)
    return _engine(framework).assess(dict(case))


def assess_file(path: str | Path, registry: Registry | None = None, edition: str | None = None) -> CaseResult:
    """Assess one case file (YAML or JSON); the edition comes from the file unless given.

    Args:
        path: the case file.
        registry: where the edition comes from (default: every installed plugin).
        edition: the edition to assess against, when the file names none (or to override it).

    Returns:
        The result, as :func:`assess` gives it, with error lines pointing into the file.

    Raises:
        UsageError: the file does not exist, or no edition is given or named, or the edition is not installed.
        InputError: the file is not a readable YAML or JSON document (bad syntax, not UTF-8, too big).
        DefinitionError: the edition's definition is wrong.
        TypeError: an argument has the wrong type.

    Example:
        >>> result = inspectkit.assess_file("case.yaml")
        >>> [str(e.message) for e in result.errors]
        []
    """
    from inspectkit.files import line_finder, load_document

    path = _check_path(path, "path")
    if registry is not None:
        _check_registry(registry)
    if edition is not None and not isinstance(edition, str):
        raise _type_error("edition", "an edition id (str)", edition)
    doc = load_document(path)
    registry = registry or load_registry()
    edition = edition or (doc.get("edition") if isinstance(doc, dict) else None)
    if not edition or not isinstance(edition, str):
        raise UsageError("the case file names no edition: pass edition=...", Location(str(path)))
    engine = registry.engine(edition)
    return engine.assess(doc, source=str(path), line_of=line_finder(doc))


def rate(
    registry: Registry,
    edition: str,
    cases: Iterable[Mapping[str, Any] | str | Path],
    inspection: Mapping[str, Any] | str | Path | None = None,
) -> RatingReport:
    """Aggregate cases for an edition: mappings, or paths of case files, folders and JSON Lines files.

    Cases are streamed: memory does not grow with their number. A case with errors is left out and
    listed in ``report.excluded`` and ``report.errors``; it never stops the rest.

    Args:
        registry: the installed editions (``inspectkit.load_registry()``).
        edition: the edition to rate or score for (``"my_rating_edition"``).
        cases: case mappings, or paths of case files, folders of them and JSON Lines files, in any mix.
        inspection: the inspection file (a mapping or a path): what is judged once per inspection.

    Returns:
        The report: ``items`` (numerator, denominator, percent), ``ratings``, ``overall``, ``excluded``, ``errors``.

    Raises:
        UsageError: the edition is not installed, or a path or the inspection file does not exist.
        InputError: the inspection file is not a readable YAML or JSON document.
        DefinitionError: an edition's definition is wrong.
        TypeError: ``cases`` is a single string or path rather than a list of them, or an entry is neither
            a mapping nor a path.

    Example:
        >>> report = inspectkit.rate(registry, "my_rating_edition", ["cases/"], inspection="inspection.yaml")
        >>> report.overall["rating"]
        'good'
    """
    from inspectkit.files import load_document

    _check_registry(registry)
    if not isinstance(edition, str):
        raise _type_error("edition", "an edition id (str)", edition)
    if isinstance(cases, (str, bytes, Path)) or not isinstance(cases, Iterable):
        raise _type_error("cases", "a list of case mappings or paths (wrap a single path in a list)", cases)
    if inspection is not None and not isinstance(inspection, (Mapping, str, Path)):
        raise _type_error("inspection", "a mapping, a path or None", inspection)

    def inputs() -> Iterator[CaseInput | Mapping[str, Any]]:
        for case in cases:
            if isinstance(case, (str, Path)):
                path = Path(case)
                if not path.exists():
                    raise UsageError("no such file or folder", Location(str(path)))
                yield from iter_cases([path])
            elif isinstance(case, Mapping):
                yield case
            else:
                raise _type_error("each case", "a mapping or a path", case)

    source = None
    if isinstance(inspection, (str, Path)):
        source = str(inspection)
        inspection = load_document(Path(inspection))
        if not isinstance(inspection, Mapping):
            raise InputError("an inspection file is a mapping (schema, kind, edition, answers ...)", Location(source, 1))
    registry.framework(edition)  # an unknown edition is reported before any case is read
    return _rate(registry, edition, inputs(), inspection, source)


def to_plain(obj: Any) -> Any:
    """Results as plain data (dicts, lists, strings, numbers), ready for JSON.

    Args:
        obj: a ``CaseResult``, a ``RatingReport``, or any attrs class, list or dict of them.

    Returns:
        The same content as dicts, lists, strings, numbers and None (dates as ISO text, fractions as floats).

    Example:
        >>> import json
        >>> json.dumps(inspectkit.to_plain(report))[:12]
        '{"edition": '
    """
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    import cattrs

    converter = cattrs.Converter()
    converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
    converter.register_unstructure_hook(Fraction, float)
    converter.register_unstructure_hook(frozenset, sorted)
    return converter.unstructure(obj)
