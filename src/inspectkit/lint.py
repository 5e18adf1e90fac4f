"""``inspectkit check``: every problem in a definition at once, for a methodology team.

Loading a framework already refuses what would make it wrong to run (unknown ids, bad types, cycles,
bands with gaps). This module adds what a methodology team wants to hear about *before* an inspector
does, but that need not stop an edition from loading: rules that can never be true or never be false,
scales that nothing uses, and a plugin's golden folder that tests nothing. All of it is reported together,
each problem with its file, line and id.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from inspectkit.errors import DefinitionError, DefinitionErrors, InspectkitError, Location
from inspectkit.expressions import NA, UNKNOWN, Expression, truth
from inspectkit.model import MET, NOT_MET, Framework

MAX_WORLDS = 4096  # a rule is decided by trying every combination of its answers, up to this many
MAX_MULTI_CHOICES = 6  # a multi-choice answer with more choices has too many combinations to try


@attrs.define
class CheckReport:
    """What ``check`` found: the framework (when it could be built), errors and warnings."""

    path: str
    framework: Framework | None = None
    errors: list[DefinitionError] = attrs.Factory(list)
    warnings: list[DefinitionError] = attrs.Factory(list)


def check_definition(path: Path, registry: Any, golden: Path | None = None) -> CheckReport:
    """Check one definition file: load errors, cross-edition links, rules, scales and the golden folder."""
    from inspectkit.definition import _Builder, build_checked
    from inspectkit.expressions import builtin_functions
    from inspectkit.files import read_raw

    report = CheckReport(str(path))
    try:
        data = read_raw(Path(path))
    except DefinitionErrors as exc:
        report.errors.extend(exc.errors)
        return report
    except InspectkitError as exc:
        report.errors.append(DefinitionError(exc.message, exc.location, exc.hint))
        return report
    functions = dict(builtin_functions())
    functions.update(registry.functions)
    builder = _Builder(data, Path(path), functions, registry.lists)
    try:
        framework = build_checked(builder)
    except DefinitionErrors as exc:
        report.errors.extend(exc.errors)
        return report
    report.errors.extend(builder.errors)
    report.framework = framework
    try:
        registry.check_feeds(framework)
    except DefinitionErrors as exc:
        report.errors.extend(exc.errors)
    try:
        for severity, problem in lint(framework, data):
            (report.errors if severity == "error" else report.warnings).append(problem)
    except Exception as exc:  # noqa: BLE001 - a check that fails is reported, never a traceback
        report.errors.append(
            DefinitionError(
                f"the definition's rules could not all be checked ({type(exc).__name__}: {exc})"[:300], Location(str(path))
            )
        )
    if framework.edition in registry.entries:  # its crosswalks onto other editions, where it has any
        from inspectkit.crosswalk import check_crosswalks_of

        report.errors.extend(check_crosswalks_of(registry, framework.edition))
    folder = golden if golden is not None else find_golden_folder(Path(path))
    if folder is not None:
        from inspectkit.testing import golden_problems

        for text in golden_problems(folder):
            file, _, message = text.partition(": ")
            report.errors.append(DefinitionError(message, Location(file)))
    return report


def find_golden_folder(definition: Path) -> Path | None:
    """The golden folder of the plugin a definition belongs to (``tests/golden`` beside its pyproject)."""
    for parent in Path(definition).resolve().parents:
        pyproject = parent / "pyproject.toml"
        if pyproject.is_file():
            try:
                is_plugin = "[project.entry-points.inspectkit]" in pyproject.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                is_plugin = False
            tests = parent / "tests"
            return tests / "golden" if is_plugin and tests.is_dir() else None
    return None


# --------------------------------------------------------------------------------------------- lint


def lint(fw: Framework, data: Mapping[str, Any]) -> Iterator[tuple[str, DefinitionError]]:
    """Problems that do not stop the edition loading: ``(severity, problem)`` pairs."""
    yield from _rules(fw)
    yield from _unused_scales(fw, data)
    yield from _unreachable_codes(fw)
    yield from _unnamed_levels(fw, data)


def _rules(fw: Framework) -> Iterator[tuple[str, DefinitionError]]:
    domains = _domains(fw)
    for item in fw.items.values():
        where = Location(item.file or fw.path, item.line, item.id)
        if item.condition is not None:
            yield from _decide(item.condition, domains, where, "condition", never_false="warning")
        if item.answer is not None:
            for cat in item.answer.categories:
                if cat.condition is not None:
                    yield from _decide(
                        cat.condition, domains, Location(where.file, where.line, f"{item.id}.{cat.code}"), "condition"
                    )
        for o in item.overriding:
            yield from _decide(o.when, domains, where, "overriding when", never_false="error")
    for check in fw.checks:
        yield from _decide(check.when, domains, Location(fw.path, check.line, check.id), "when", never_false="error")
    for rule in fw.sample:
        yield from _decide(rule.exclude_when, domains, Location(fw.path, rule.line, rule.id), "exclude_when", never_false="error")
    if fw.scoring.ratings is not None:
        for rated in fw.scoring.ratings.rated:
            if rated.when is not None:
                yield from _decide(rated.when, domains, Location(fw.path, None, rated.id), "when", never_false="warning")


def _domains(fw: Framework) -> dict[str, list[Any] | None]:
    """Every value each answer can take (None: too many to try), with "unanswered" among them."""
    out: dict[str, list[Any] | None] = {}
    for qid, item in fw.items.items():
        a = item.answer
        if a is None or item.derive is not None:
            out[qid] = None if item.derive is not None else [UNKNOWN]
            continue
        values: list[Any] | None
        if a.name in ("yes_no", "choice", "rating"):
            values = list(a.codes)
        elif a.name == "multi" and len(a.codes) <= MAX_MULTI_CHOICES:
            values = [list(c) for n in range(len(a.codes) + 1) for c in itertools.combinations(a.codes, n)]
        else:
            values = None
        if values is not None:
            values += [NA] if a.na else []
            values.append(UNKNOWN)
        out[qid] = values
    for cs in fw.scoring.case_scores:
        out[cs.id] = [MET, NOT_MET, UNKNOWN]
    return out


class _World:
    """One combination of answers, as a rule sees a case."""

    __slots__ = ("vals",)

    def __init__(self, vals: dict[str, Any]):
        self.vals = vals

    def value(self, qid: str) -> Any:
        return self.vals.get(qid, UNKNOWN)

    def answered(self, qid: str) -> bool:
        return qid in self.vals

    def applies(self, qid: str) -> Any:
        return True

    def score(self, sid: str) -> Any:
        return self.vals.get(sid)


def _decide(
    expr: Expression,
    domains: Mapping[str, list[Any] | None],
    where: Location,
    key: str,
    never_false: str | None = None,
) -> Iterator[tuple[str, DefinitionError]]:
    """Try ``expr`` on every combination of the answers it reads; report one that is never true (or false)."""
    reads = sorted(expr.reads)
    spaces = [domains.get(r) for r in reads]
    if any(s is None for s in spaces):
        return
    size = 1
    for s in spaces:
        size *= len(s)  # type: ignore[arg-type]
        if size > MAX_WORLDS:
            return
    seen_true = seen_false = False
    for combo in itertools.product(*spaces):  # type: ignore[arg-type]
        vals = {r: v for r, v in zip(reads, combo, strict=True) if v is not UNKNOWN}
        try:
            result = truth(expr(_World(vals)))
        except Exception:  # noqa: BLE001 - a plugin function that fails on made-up answers decides nothing
            return
        seen_true |= result is True
        seen_false |= result is False
        if seen_true and seen_false:
            return
    if not seen_true:
        yield (
            "error",
            DefinitionError(
                f"{key} can never be true: {expr.text}",
                where,
                "no combination of the answers it reads makes it hold",
            ),
        )
    elif not seen_false and never_false:
        yield (
            never_false,
            DefinitionError(
                f"{key} is never false: {expr.text}",
                where,
                "it holds whatever the answers it reads; is a term missing or reversed?",
            ),
        )


def _unused_scales(fw: Framework, data: Mapping[str, Any]) -> Iterator[tuple[str, DefinitionError]]:
    used = {item.answer.scale for item in fw.items.values() if item.answer is not None and item.answer.scale}
    if fw.scoring.ratings is not None:
        used.add(fw.scoring.ratings.scale)
    raw = data.get("scales")
    for name in fw.scales:
        if name not in used:
            line = raw.line_of(name) if hasattr(raw, "line_of") else None
            yield (
                "warning",
                DefinitionError(
                    f"the scale {name!r} is never used",
                    Location(fw.path, line, f"scale {name}"),
                    "give a question scale: " + name + ", or remove it",
                ),
            )


def _unnamed_levels(fw: Framework, data: Mapping[str, Any]) -> Iterator[tuple[str, DefinitionError]]:
    """An edition that uses levels but does not name them leaves the core to guess its words."""
    if "levels" in data:
        return  # once declared, a level without a name is a load error (see definition.py)
    used = sorted({i.level for i in fw.items.values() if i.level})
    if used:
        yield (
            "warning",
            DefinitionError(
                f"not declared, so the tree's levels are shown by their ids ({', '.join(used)})",
                Location(fw.path, None, "levels"),
                "add levels: with the document's word for each, e.g. key_question: {name: key question, plural: key questions}",
            ),
        )


def _unreachable_codes(fw: Framework) -> Iterator[tuple[str, DefinitionError]]:
    """Sufficient answers that no aggregated item can be given: a typo there silently counts nothing."""
    from inspectkit.model import MET

    for agg in fw.scoring.items:
        item = fw.items.get(agg.source)
        if item is None or item.answer is None or not item.answer.codes:
            continue
        codes = set(item.answer.codes) | {MET}
        for code in sorted(agg.sufficient - codes):
            if code in fw.scoring.sufficient:
                continue  # the edition-wide default, not written for this item
            yield (
                "error",
                DefinitionError(
                    f"sufficient: {code!r} is not one of {agg.source}'s answers, so it never counts",
                    Location(fw.path, None, agg.id),
                    f"its answers: {', '.join(item.answer.codes)}",
                ),
            )
    aggregated = [i for i in fw.items.values() if i.per_case and i.kind in fw.scoring.aggregate_kinds and i.answer is not None]
    if aggregated:
        given = {code for i in aggregated for code in i.answer.codes}
        for code in sorted(fw.scoring.sufficient - given):
            yield (
                "warning",
                DefinitionError(
                    f"scoring sufficient: no aggregated item has the answer {code!r}",
                    Location(fw.path, None, "scoring"),
                    "a code no item has counts nothing; is it misspelled?",
                ),
            )
