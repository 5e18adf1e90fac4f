"""Many cases: numerators, denominators, percentages and ratings, streamed in constant memory.

Each case is assessed by its own edition's engine and then forgotten: only counters are kept. A case
with errors is reported and left out; it never stops the rest. Percent thresholds compare the exact
fraction (``Fraction``); only display rounds.
"""

from __future__ import annotations

import datetime
import itertools
import operator
import os
import re
from collections import _count_elements  # type: ignore[attr-defined]  # Counter.update's loop, for plain dicts
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from inspectkit.engine import NOT_APPLICABLE, OTHER_VERSION, Message, case_id_text, safe_repr
from inspectkit.errors import InputError, InspectkitError, UsageError, suggestion
from inspectkit.expressions import NA, UNKNOWN, sufficiency, truth
from inspectkit.intervals import rounded
from inspectkit.jsontext import strict_dumps
from inspectkit.model import MET, Band, Framework
from inspectkit.spill import SeenIds as SeenIds  # export finds repeated ids with the same class
from inspectkit.spill import SpillList, listed_text

try:  # orjson writes the report's long lists (warnings, errors, cases left out) ten times faster (listed_text)
    from orjson import dumps as _orjson_dumps
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    _orjson_dumps = None  # type: ignore[assignment]

# what a judged case is (records passed from judge() to apply())
_UNREAD, _FOREIGN, _ERRORS, _EXCLUDED, _COUNTED = range(5)
# how one case counts for one item
_SUFFICIENT, _INSUFFICIENT, _NA, _MISSING = range(4)

# an item's direction: the numerator counts favourable answers (sufficient, met), or it is a neutral proportion
FAVOURABLE, NEUTRAL = "favourable", "neutral"

INSPECTION_KEYS = (
    "schema",
    "kind",
    "edition",
    "inspection_id",
    "provider_name",
    "inspection_date",
    "answers",
    "overrides",
    "notes",
)
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@attrs.define
class ItemTally:
    """One aggregated item: how many applicable cases, and how many of them were sufficient."""

    id: str
    title: str = ""
    numerator: int = 0
    denominator: int = 0
    not_applicable: int = 0
    missing: int = 0
    direction: str = FAVOURABLE  # or NEUTRAL: a proportion answering ``counted``, with no better or worse
    counted: tuple[str, ...] = ()  # the answers the numerator counts

    @property
    def neutral(self) -> bool:
        return self.direction == NEUTRAL

    @property
    def fraction(self) -> Fraction | None:
        return Fraction(self.numerator * 100, self.denominator) if self.denominator else None

    @property
    def percent(self) -> float | None:
        f = self.fraction
        return None if f is None else round(float(f), 1)

    @property
    def interval(self) -> tuple[float | None, float | None]:
        """The 95% Wilson interval, in percent to one decimal (None, None without cases)."""
        return rounded(self.numerator, self.denominator)

    def small_sample(self, minimum: int | None) -> bool | None:
        """Fewer applicable cases than the edition's minimum (None where the edition sets none)."""
        return None if minimum is None else self.denominator < minimum

    def record(self, minimum: int | None = None) -> dict[str, Any]:
        """The item as plain data (what the JSON and CSV reports hold for it)."""
        lower, upper = self.interval
        return {
            "title": self.title,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": self.percent,
            "lower": lower,
            "upper": upper,
            "small_sample": self.small_sample(minimum),
            "not_applicable": self.not_applicable,
            "missing": self.missing,
            "direction": self.direction,
            "counted": list(self.counted),
        }


@attrs.frozen
class StandardRating:
    """A rated item: the rules-based rating, the final one, and why."""

    id: str
    title: str
    status: str  # rated | no_applicable_cases | too_few_cases | missing
    rules_rating: str | None
    rating: str | None
    basis: str
    override_reason: str | None = None


@attrs.frozen
class CaseProblem:
    source: str | None
    case_id: str | None
    message: Message

    def __str__(self) -> str:
        source = self.source
        if self.case_id and source:
            source = f"{source} (case {self.case_id})" if not self.message.line else source
        text = self.message.describe(source)
        if self.case_id and self.message.line:
            text += f" (case {self.case_id})"
        return text


def _spill(value: Any, make: Any = SpillList) -> SpillList:
    if isinstance(value, SpillList):
        return value
    out = make()
    out.extend(value)
    return out


def _problem_to_plain(p: CaseProblem) -> list[Any]:
    m = p.message
    return [p.source, p.case_id, m.question, m.message, m.rule, m.line]


def _problem_from_plain(v: list[Any]) -> CaseProblem:
    return CaseProblem(v[0], v[1], Message(v[2], v[3], v[4], v[5]))


def _problems() -> SpillList:
    return SpillList(encode=_problem_to_plain, decode=_problem_from_plain)


def _warnings() -> SpillList:
    # (source, case id, question, message, line) tuples; past the first, written as the report lists them
    return SpillList(listed=_listed, unlisted=_warning_of)


def _entries() -> SpillList:
    """A list of plain mappings (cases left out, undecided); past the first, written as the report lists them."""
    return SpillList(listed=list)


def _listed(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Messages as the report lists them, from (source, case_id, question, message, line) rows: the line only
    where there is one (``Message.to_dict`` with the source and case)."""
    return [
        {"source": source, "case_id": case_id, "question": question, "message": message}
        if line is None
        else {"source": source, "case_id": case_id, "question": question, "message": message, "line": line}
        for source, case_id, question, message, line in rows
    ]


def _warning_of(entry: dict[str, Any]) -> tuple[Any, ...]:
    """A warning as :func:`_listed` lists it, as the tuple it was made from."""
    return (entry["source"], entry["case_id"], entry["question"], entry["message"], entry.get("line"))


@attrs.define(on_setattr=attrs.setters.NO_OP)  # set per case: no hook (the lists are converted when made)
class RatingReport:
    """What ``rate`` found over a set of cases (and an inspection file, where the edition rates).

    ``cases`` is the number counted; ``items`` maps each aggregated item to its numerator, denominator and
    percentage (the denominator counts only the cases the item applies to); ``ratings`` and ``overall`` are
    there where the edition rates; ``excluded`` and ``errors`` list the cases left out and why.
    """

    edition: str
    inspection_id: str | None = None
    cases: int = 0
    # what is kept per case (left out, errors, warnings) is a SpillList: beyond its first entries, it waits in
    # a temporary file, so memory stays flat however many cases fail
    excluded: SpillList = attrs.field(factory=_entries, converter=lambda v: _spill(v, _entries))
    # counted cases whose sample rules cannot be decided from their answers: {case_id, source, rules}
    undecided: SpillList = attrs.field(factory=_entries, converter=lambda v: _spill(v, _entries))
    items: dict[str, ItemTally] = attrs.field(factory=dict)
    counts: dict[str, dict[str, dict[str, int]]] = attrs.field(factory=dict)
    ratings: dict[str, StandardRating] = attrs.field(factory=dict)
    overall: dict[str, Any] | None = None
    errors: SpillList = attrs.field(factory=_problems, converter=lambda v: _spill(v, _problems))
    # (source, case id, question, message, line): plain tuples, as a large batch may hold many
    warnings: SpillList = attrs.field(factory=_warnings, converter=lambda v: _spill(v, _warnings))
    warned_cases: int = 0
    by_edition: dict[str, int] = attrs.field(factory=dict)
    rates: bool = False
    inspection_answers: dict[str, Any] = attrs.field(factory=dict)
    inspection_scores: dict[str, Any] = attrs.field(factory=dict)
    sources: dict[str, list[str]] = attrs.field(factory=dict)  # item id -> "edition:question" it is counted from
    edition_version: str | None = None
    provider_name: str | None = None  # the inspection file's: the organisation inspected, for a trend across inspections
    inspection_date: str | None = None  # the inspection file's: when it took place (YYYY-MM-DD, YYYY-MM or YYYY)
    minimum_cases: int | None = None  # the edition's minimum applicable cases; fewer is a small sample
    by: str | None = None  # the case detail a breakdown is by
    breakdown: dict[str, dict[str, ItemTally]] = attrs.field(factory=dict)  # group -> item id -> tally
    breakdown_cases: dict[str, int] = attrs.field(factory=dict)

    def breakdown_records(self) -> list[dict[str, Any]]:
        """Every item of every group as one flat record (the items' records, with ``by`` and ``group``)."""
        ident = {"inspection_id": self.inspection_id, "edition": self.edition, "by": self.by}
        return [
            {**ident, "group": group, "id": t.id, **t.record(self.minimum_cases)}
            for group in sorted(self.breakdown)
            for t in self.breakdown[group].values()
        ]

    def warning_problems(self) -> Iterator[CaseProblem]:
        """The warnings as problems to print (made one at a time: there may be very many)."""
        for source, case_id, question, message, line in self.warnings:
            yield CaseProblem(source, case_id, Message(question, message, None, line))

    def _error_batches(self) -> Iterator[list[dict[str, Any]]]:
        """The errors as the report lists them (``Message.to_dict`` with the source and case), a list at a time."""
        for batch in self.errors.batches(1000):
            yield _listed([(source, case_id, question, message, line) for source, case_id, question, message, _, line in batch])

    def _warning_entries(self) -> Iterator[dict[str, Any]]:
        """The warnings as the report lists them (``Message.to_dict`` with the source and case)."""
        for source, case_id, question, message, line in self.warnings:
            if line is None:
                yield {"source": source, "case_id": case_id, "question": question, "message": message}
            else:
                yield {"source": source, "case_id": case_id, "question": question, "message": message, "line": line}

    def item_records(self) -> list[dict[str, Any]]:
        """Every item as one flat record carrying its id and the inspection's (a tidy table)."""
        ident = {"inspection_id": self.inspection_id, "edition": self.edition}
        return [{**ident, "id": t.id, **t.record(self.minimum_cases)} for t in self.items.values()]

    def rating_records(self) -> list[dict[str, Any]]:
        ident = {"inspection_id": self.inspection_id, "edition": self.edition}
        return [
            {
                **ident,
                "id": r.id,
                "title": r.title,
                "status": r.status,
                "rules_rating": r.rules_rating,
                "rating": r.rating,
                "override_reason": r.override_reason,
                "basis": r.basis,
            }
            for r in self.ratings.values()
        ]

    def to_dict(self, lazy: bool = False) -> dict[str, Any]:
        """The report as plain data. ``lazy``: the per-case lists (left out, errors, warnings) are iterables
        read as they are written (:func:`json_chunks`), not lists held whole."""

        def listed(make: Any, batches: Any = None, texts: Any = None) -> Any:
            return _Lazy(make, plain=True, batches=batches, texts=texts) if lazy else list(make())

        out: dict[str, Any] = {
            "edition": self.edition,
            "inspection_id": self.inspection_id,
            **{k: v for k, v in (("provider_name", self.provider_name), ("inspection_date", self.inspection_date)) if v},
            "cases": self.cases,
            "cases_by_edition": dict(self.by_edition),
            "excluded": listed(lambda: iter(self.excluded), texts=self.excluded.texts),
            "undecided": listed(lambda: iter(self.undecided), texts=self.undecided.texts),
            "minimum_cases": self.minimum_cases,
            "items": {i.id: i.record(self.minimum_cases) for i in self.items.values()},
            "item_records": self.item_records(),
            "errors": listed(
                lambda: ({"source": p.source, "case_id": p.case_id, **p.message.to_dict()} for p in self.errors),
                self._error_batches,
            ),
            "error_count": len(self.errors),
            "warnings": listed(self._warning_entries, texts=self.warnings.texts),
            "warning_count": len(self.warnings),
        }
        if self.edition_version is not None:
            out["edition_version"] = self.edition_version
        if self.counts:
            out["counts"] = self.counts
        if self.by is not None:
            out["breakdown"] = {
                "by": self.by,
                "groups": {
                    g: {
                        "cases": self.breakdown_cases.get(g, 0),
                        "items": {t.id: t.record(self.minimum_cases) for t in self.breakdown[g].values()},
                    }
                    for g in sorted(self.breakdown)
                },
            }
            out["breakdown_records"] = self.breakdown_records()
        if self.inspection_answers or self.inspection_scores:
            out["inspection"] = {"answers": dict(self.inspection_answers), "scores": dict(self.inspection_scores)}
        if self.rates:
            out["ratings"] = {r.id: r.rating for r in self.ratings.values()}
            out["rating_details"] = {
                r.id: {
                    "title": r.title,
                    "status": r.status,
                    "rules_rating": r.rules_rating,
                    "rating": r.rating,
                    "basis": r.basis,
                    "override_reason": r.override_reason,
                }
                for r in self.ratings.values()
            }
            out["rating_records"] = self.rating_records()
            out["overall"] = self.overall
        return out


class _Lazy:
    """A list in a report that is written entry by entry rather than held (see :func:`json_chunks`).

    ``plain``: every entry is a mapping of text keys to text, whole numbers, null or lists of text, which
    orjson writes exactly as the standard library would, a thousand entries at a time."""

    def __init__(self, make: Any, plain: bool = False, batches: Any = None, texts: Any = None):
        self.make = make
        self.plain = plain
        self.batches = batches  # what makes the same entries a list at a time (plain ones only), or None
        self.texts = texts  # what gives them as the report's text (SpillList.texts), or None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.make())


def _plain(value: Any) -> bool:
    return value is None or value.__class__ in (str, int, float, bool)


def json_chunks(data: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"`` in pieces, with any :class:`_Lazy`
    value at the top level written one entry at a time (the same text, without holding the whole list)."""
    import json

    def dumps(value: Any, indent: str) -> str:
        return strict_dumps(value).replace("\n", "\n" + indent)

    scalar = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode  # the C encoder: no indent

    def entry_text(value: Any, indent: str) -> str:
        """One entry of a long list (a flat mapping of text and numbers) written directly, as ``dumps`` would."""
        if value.__class__ is dict and value and all(k.__class__ is str and _plain(v) for k, v in value.items()):
            inner = indent + "  "
            try:
                return "{\n" + ",\n".join(f"{inner}{scalar(k)}: {scalar(v)}" for k, v in value.items()) + f"\n{indent}}}"
            except ValueError:  # NaN or infinity: strict_dumps writes null
                pass
        return dumps(value, indent)

    if not data:
        yield "{}\n"
        return
    sep = "{"
    for key, value in data.items():
        yield f"{sep}\n  {json.dumps(key, ensure_ascii=False)}: "
        sep = ","
        if not isinstance(value, _Lazy):
            yield dumps(value, "  ")
            continue
        if value.texts is not None:
            yield from _text_list(value.texts())
            continue
        if value.plain and _orjson_dumps is not None:
            yield from _plain_list(value, value.batches)
            continue
        opened = False
        batch: list[str] = []
        for entry in value:
            batch.append(("," if opened else "[") + "\n    " + entry_text(entry, "    "))
            opened = True
            if len(batch) >= 1000:
                yield "".join(batch)
                batch = []
        yield "".join(batch) + ("\n  ]" if opened else "[]")
    yield "\n}\n"


def _plain_list(entries: Iterable[Any], batches: Any = None) -> Iterator[str]:
    """A long list of plain entries (see :class:`_Lazy`) in the report's layout, a thousand entries per call
    to orjson (or the lists ``batches()`` makes): :func:`listed_text`."""
    if batches is None:
        it = iter(entries)
        batches = lambda: iter(lambda: list(itertools.islice(it, 1000)), [])  # noqa: E731
    opened = False
    for batch in batches():
        if not batch:
            continue
        yield ("," if opened else "[") + listed_text(batch).decode("utf-8", "surrogatepass")
        opened = True
    yield "\n  ]" if opened else "[]"


def _text_list(texts: Iterable[str]) -> Iterator[str]:
    """A long list in the report's layout from the pieces of :meth:`SpillList.texts` (a comma before every entry)."""
    opened = False
    for text in texts:
        if not text:
            continue
        yield text if opened else "[" + text[1:]
        opened = True
    yield "\n  ]" if opened else "[]"


class CaseInput(NamedTuple):
    """One case to rate: where it came from and its parsed document (or the error reading it).

    A named tuple, not an attrs class: one is made for every case read, and a tuple takes a third of the time."""

    source: str
    document: Any
    error: InputError | None = None
    line_of: Any = None
    from_json: bool = False  # the document was parsed from JSON text (see Engine.evaluate)


def _aggregated(fw: Framework, item: Any) -> bool:
    """A per-case question of an aggregated kind with a direction: declared, or answers that can be sufficient."""
    if not item.per_case or item.kind not in fw.scoring.aggregate_kinds or item.answer is None:
        return False
    if item.direction is not None:
        return True
    return bool(set(item.answer.codes) & (fw.scoring.sufficient | {MET}))


def _counted(fw: Framework, item: Any) -> tuple[frozenset[str], bool]:
    """The answers a question's numerator counts, and whether it is neutral (a proportion, not sufficiency)."""
    default = fw.scoring.sufficient | {MET}
    if item is None:
        return default, False
    if item.neutral:
        return fw.scoring.sufficient, True
    return item.favourable(default), False


def _percent_text(f: Fraction | None) -> str:
    return "-" if f is None else f"{float(f):.1f}%"


def band(fraction: Fraction, bands: tuple[Band, ...]) -> str | None:
    """The band a percentage falls in (bands sorted highest first, compared exactly)."""
    for b in bands:
        if fraction >= b.minimum:
            return b.rating
    return None


class _InspectionEnv:
    """The inspection file's answers as rules see them (rating conditions, inspection-level scores)."""

    def __init__(self, answers: Mapping[str, Any], engine: Any = None):
        self.answers = answers
        self.engine = engine
        self.scores: dict[str, Any] = {}
        self.vals: dict[str, Any] = {k: v for k, v in answers.items() if v is not None}
        if engine is not None:
            for sid, level in engine.score_level.items():
                if level == "inspection":
                    v = self.score(sid)
                    self.vals[sid] = UNKNOWN if v is None else v

    def value(self, qid: str) -> Any:
        if self.engine is not None and qid in self.engine.score_by_id:
            return self.score(qid)
        v = self.answers.get(qid)
        return UNKNOWN if v is None else v

    def answered(self, qid: str) -> bool:
        return self.answers.get(qid) is not None

    def applies(self, qid: str) -> Any:
        item = self.engine.items.get(qid) if self.engine is not None else None
        if item is None or item.condition is None:
            return True
        return truth(item.condition(self))

    def score(self, sid: str) -> Any:
        if sid not in self.scores:
            self.scores[sid] = UNKNOWN
            self.scores[sid] = self.engine.compute_score(self.engine.score_by_id[sid], self, level="inspection")
        return self.scores[sid]


def _count(tallies: list[ItemTally], codes: bytes) -> None:
    """Add one case's codes (one per item it feeds) to the tallies."""
    for tally, code in zip(tallies, codes, strict=True):
        if code == _SUFFICIENT:
            tally.numerator += 1
            tally.denominator += 1
        elif code == _INSUFFICIENT:
            tally.denominator += 1
        elif code == _NA:
            tally.not_applicable += 1
        else:
            tally.missing += 1


_COLUMN_BYTES = 1 << 16  # codes held before they are counted into the tallies


class _Plan:
    """What ``rate`` reads of each case of one edition: its feeds, their questions, and for each a table of
    the codes of its text answers (so that most of a case's codes are found by C-level maps)."""

    __slots__ = ("feeds", "srcs", "tables", "scores", "counts", "rows")

    def __init__(
        self,
        feeds: tuple[tuple[str, str, frozenset[str], bool], ...],
        tables: tuple[dict[str, int], ...],
        counts: tuple[tuple[str, str], ...],
    ):
        self.feeds = feeds
        self.srcs = tuple(f[1] for f in feeds)
        self.tables = tables
        self.scores = any(f[3] for f in feeds)  # some feed is a case score: every code is found by _code_of
        self.counts = counts  # (count id, question) of the edition's counts
        # what _codes reads of each feed (the sufficient answers as a set, for sufficiency)
        self.rows = tuple(zip(self.srcs, tables, (frozenset(f[2]) for f in feeds), feeds, strict=True))


def _code_of(feed: tuple[str, str, frozenset[str], bool], ev: Any, engine: Any) -> int:
    """How one case counts for one item (what the tables of a :class:`_Plan` give for text answers)."""
    _, src, sufficient, is_score = feed
    env = ev.env
    if is_score:
        value = env.scores.get(src)
        if value is None:
            return _NA
    else:  # Evaluation.outcome, written out
        if env.na.get(src, True) is False:
            return _NA
        value = ev.answers.get(src) if src not in ev.incomplete else None
        if value is None and src in engine.derives:
            value = env.vals.get(src)
            if value is UNKNOWN:
                value = None
        if value == NA:
            return _NA
    if value is None or value is UNKNOWN:
        return _MISSING
    if value.__class__ is str:
        return _SUFFICIENT if value in sufficient else _INSUFFICIENT
    ok = sufficiency(value, sufficient)
    return _NA if ok is None else _SUFFICIENT if ok else _INSUFFICIENT


def _codes(plan: _Plan, ev: Any, engine: Any) -> bytes:
    """One code per feed of the plan: a text answer's from its feed's table, other answers as
    :func:`_code_of` finds them (this runs for every item of every case)."""
    incomplete = ev.incomplete
    if plan.scores or (incomplete and not incomplete.keys().isdisjoint(plan.srcs)):
        return bytes([_code_of(feed, ev, engine) for feed in plan.feeds])
    na_get, answer_get = ev.env.na.get, ev.answers.get
    codes = bytearray()
    append = codes.append
    for src, table, sufficient, feed in plan.rows:
        if na_get(src, True) is False:
            append(_NA)
        elif (value := answer_get(src)).__class__ is str:
            append(table.get(value, _INSUFFICIENT))  # the table holds n/a and every sufficient answer
        elif value is None or value is UNKNOWN:  # unanswered, or derived
            append(_code_of(feed, ev, engine))
        else:
            ok = sufficiency(value, sufficient)
            append(_NA if ok is None else _SUFFICIENT if ok else _INSUFFICIENT)
    return bytes(codes)


class Rater:
    """Counts cases for one rating edition, case by case."""

    def __init__(self, registry: Any, edition: str, by: str | None = None, contain_errors: bool = True):
        self.registry = registry
        self.contain_errors = contain_errors  # False lets an unexpected error through (--debug)
        self.other_versions = 0  # cases written for another version of their edition
        self.framework: Framework = registry.framework(edition)
        self.edition = edition
        ratings = self.framework.scoring.ratings
        self.report = RatingReport(
            edition,
            rates=ratings is not None,
            edition_version=self.framework.version or None,
            minimum_cases=ratings.minimum_cases if ratings is not None else None,
            by=by,
        )
        self.by = by
        self._group_tallies: dict[tuple[str, str], list[ItemTally]] = {}
        self.feeds: dict[str, list[tuple[str, str, frozenset[str], bool]]] = {}
        self.engines: dict[str, Any] = {}
        self.instruments = registry.instruments_for(edition)
        self._seen = SeenIds()
        self._tallies: dict[str, list[ItemTally]] = {}
        self._plans: dict[str, _Plan] = {}
        # each edition's cases' codes, one after another, until they are counted into the tallies (_settle)
        self._columns: dict[str, bytearray] = {}
        self._invalid: set[str] = set()
        self._declare_items()
        # every instrument's items are declared up front, in registry order, so the report's items and
        # sources do not depend on which cases came first (or on how many processes read them)
        for instrument in self.instruments:
            self.engines[instrument] = registry.engine(instrument)
            self._feeds_for(instrument)
        if by is not None:
            self._check_by(by)

    def _check_by(self, by: str) -> None:
        """A breakdown is by a per-case question (a case detail such as the sentence type) of some instrument."""
        known: list[str] = []
        for engine in self.engines.values():
            item = engine.items.get(by)
            if item is not None and item.per_case:
                return
            known.extend(i.id for i in engine.case_items if i.kind == "case_detail")
        hint = suggestion(by, known)
        raise UsageError(
            f"--by {by}: no per-case question {by!r} in {', '.join(self.instruments)}"
            + (f"; {hint}" if hint else f"; case details: {', '.join(known[:12])}")
        )

    def _group(self, engine: Any, outcome: Any) -> str:
        """The breakdown group of a case: its answer to the ``by`` question, as text."""
        if self.by not in engine.items:
            return "(not asked)"
        value = outcome(self.by)
        if value is NOT_APPLICABLE:
            return "(not applicable)"
        if value is None or value is UNKNOWN:
            return "(not recorded)"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "(none)"
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    def _declare_items(self) -> None:
        """Rated items first, in the order of the rating rules; everything cases feed is added after them."""
        ratings = self.framework.scoring.ratings
        for rated in ratings.rated if ratings is not None else ():
            for o in rated.of:
                self._tally(o)
        for count in self.framework.scoring.counts:
            self.report.counts[count.id] = {q: {} for q in count.of}

    def _tally(self, item_id: str, title: str = "") -> None:
        if item_id not in self.report.items:
            node = self.framework.items.get(item_id)
            self.report.items[item_id] = ItemTally(item_id, title or (node.title or node.text if node else ""))

    def _feeds_for(self, case_edition: str) -> list[tuple[str, str, frozenset[str], bool]]:
        """(item id, question or score id, sufficient answers, is a case score) for cases of one edition."""
        if case_edition in self.feeds:
            return self.feeds[case_edition]
        fw = self.registry.framework(case_edition)
        engine = self.registry.engine(case_edition)
        case_scores = [s for s in fw.scoring.case_scores if engine.score_level[s.id] == "case"]
        score_ids = {s.id for s in case_scores}
        out: list[tuple[str, str, frozenset[str], bool]] = []
        titles: dict[str, str] = {}
        neutral: set[str] = set()
        if case_edition == self.edition:
            for item in fw.items.values():
                if _aggregated(fw, item) and item.id not in score_ids:  # a score of the same id prevails
                    counted, is_neutral = _counted(fw, item)
                    out.append((item.id, item.id, counted, False))
                    if is_neutral:
                        neutral.add(item.id)
            for score in case_scores:
                out.append((score.id, score.id, frozenset({MET}), True))
                titles[score.id] = score.title
            for agg in fw.scoring.items:
                out.append((agg.id, agg.source, agg.sufficient, agg.source in score_ids))
                titles[agg.id] = agg.title
                if agg.neutral:
                    neutral.add(agg.id)
        for item in fw.items.values():
            for feed in item.feeds:
                target_edition, _, target = feed.rpartition(":")
                if (target_edition or case_edition) == self.edition:
                    counted, is_neutral = _counted(fw, item)
                    out.append((target, item.id, counted, False))
                    if is_neutral:
                        neutral.add(target)
        self.feeds[case_edition] = out
        for item_id, src, counted, is_score in out:
            self._tally(item_id, titles.get(item_id, ""))
            tally = self.report.items[item_id]
            if item_id in neutral:
                tally.direction = NEUTRAL
            node = None if is_score else fw.items.get(src)
            codes = node.answer.codes if node is not None and node.answer is not None else (MET,)
            tally.counted = tuple(dict.fromkeys(tally.counted + tuple(c for c in codes if c in counted)))
            self.report.sources.setdefault(item_id, []).append(f"{case_edition}:{src}")
        return out

    def add(self, case: CaseInput) -> None:
        """Count one case (or report why it is left out)."""
        self.apply(self.judge(case))

    def judge(self, case: CaseInput) -> tuple[Any, ...]:
        """Everything ``rate`` needs from one case, as a small record; the report is not touched.

        Records are plain tuples so that worker processes can judge cases and the main process apply them,
        in order, with the same result as judging and applying one by one. Whatever goes wrong with one
        case is that case's error: it never stops the rest.
        """
        try:
            return self._judge(case)
        except Exception as exc:  # noqa: BLE001 - one case must never stop a run
            if not self.contain_errors:
                raise
            what = f"{type(exc).__name__}: {exc}"
            if len(what) > 300:
                what = what[:297] + "..."
            message = f"this case could not be assessed ({what}; run with --debug for the details)"
            return (_ERRORS, case.source, None, [], [[case.source, None, None, message, None, None]])

    def _plan_for(self, case_edition: str) -> _Plan:
        """How the codes of a case of one edition are found (made once per edition)."""
        feeds = self._feeds_for(case_edition)
        fw = self.registry.framework(case_edition)
        tables = []
        for _, src, sufficient, is_score in feeds:
            node = None if is_score else fw.items.get(src)
            answers = node.answer.codes if node is not None and node.answer is not None else ()
            # a text answer's code, as the loop in _code_of finds it
            table = {c: _SUFFICIENT if c in sufficient else _INSUFFICIENT for c in (*answers, *sufficient) if c.__class__ is str}
            table[NA] = _NA
            tables.append(table)
        counts: tuple[tuple[str, str], ...] = ()
        if case_edition == self.edition:
            counts = tuple((count.id, qid) for count in self.framework.scoring.counts for qid in count.of)
        plan = _Plan(tuple(feeds), tuple(tables), counts)
        self._plans[case_edition] = plan
        return plan

    def _judge(self, case: CaseInput) -> tuple[Any, ...]:
        if case.error is not None:
            err = case.error
            line = err.location.line if err.location.file == case.source else None  # a JSON line's source has it
            return (_UNREAD, case.source, None, err.message + (f" ({err.hint})" if err.hint else ""), line)
        doc = case.document
        case_edition = (doc.get("edition") if isinstance(doc, dict) else None) or self.edition
        if not isinstance(case_edition, str):
            cid = case_id_text(doc.get("case_id"))
            msg = f"edition must be text naming an edition, not {type(case_edition).__name__}: {safe_repr(case_edition)}"
            return (
                _FOREIGN,
                case.source,
                cid if isinstance(cid, str) else None,
                msg,
                case.line_of(("edition",)) if case.line_of else None,
            )
        engine = self.engines.get(case_edition)
        if engine is None:
            if case_edition not in self.instruments:
                installed = case_edition in self.registry.entries  # a real edition, not a typo to correct
                hint = None if installed else suggestion(str(case_edition), list(self.registry.entries))
                msg = (
                    f"a case of edition {case_edition!r} is not evidence for {self.edition}"
                    f" (cases may be of: {', '.join(self.instruments)})" + (f"; {hint}" if hint else "")
                )
                cid = case_id_text(doc.get("case_id")) if isinstance(doc, dict) else None
                line = case.line_of(("edition",)) if case.line_of else None
                return (_FOREIGN, case.source, cid if isinstance(cid, str) else None, msg, line)
            engine = self.engines[case_edition] = self.registry.engine(case_edition)
        ev = engine.evaluate(doc, line_of=case.line_of, from_json=case.from_json)
        source, case_id = case.source, ev.case_id
        warnings = [(source, case_id, m.question, m.message, m.line) for m in ev.warnings]
        if ev.errors:
            # the errors as the report's list holds them past its first entries (_problem_to_plain)
            return (
                _ERRORS,
                source,
                case_id,
                warnings,
                [[source, case_id, m.question, m.message, m.rule, m.line] for m in ev.errors],
            )
        if not ev.in_sample:
            return (_EXCLUDED, source, case_id, warnings, ev.reason)
        plan = self._plans.get(case_edition)
        if plan is None:
            plan = self._plan_for(case_edition)
        codes = _codes(plan, ev, engine)
        counted: list[tuple[str, str, list[str]]] | None = None
        if plan.counts:  # Evaluation.outcome(qid, partial=True), written out
            counted = []
            na, answers, derives = ev.env.na, ev.answers, engine.derives
            for count_id, qid in plan.counts:
                if na.get(qid, True) is False:
                    continue
                value = answers.get(qid)
                if value is None and qid in derives:
                    value = ev.env.vals.get(qid)
                    if value is UNKNOWN:
                        continue
                if value is None or value == NA:
                    continue
                if value.__class__ is list:
                    counted.append((count_id, qid, list(map(str, value))))
                elif isinstance(value, dict):  # per category: count each category's answer
                    counted.append((count_id, qid, [f"{k}: {v}" for k, v in value.items()]))
                else:
                    counted.append((count_id, qid, list(map(str, value)) if isinstance(value, list) else [str(value)]))
        group = None if self.by is None else self._group(engine, ev.outcome)
        return (_COUNTED, source, case_id, warnings, case_edition, codes, counted, group, ev.undecided)

    def apply(self, record: tuple[Any, ...]) -> None:
        """Add one judged case to the report: the only place the report's counts change."""
        report = self.report
        kind, source, case_id = record[0], record[1], record[2]
        if kind == _UNREAD:
            report.errors.append(CaseProblem(source, None, Message(None, record[3], line=record[4])))
            report.excluded.append({"case_id": None, "source": source, "reason": f"not read: {record[3]}"})
            return
        if kind == _FOREIGN:
            report.errors.append(CaseProblem(source, case_id, Message(None, record[3], line=record[4])))
            report.excluded.append({"case_id": case_id, "source": source, "reason": record[3]})
            return
        warnings = record[3]
        if warnings:
            report.warned_cases += 1
            report.warnings.extend(warnings)
            for w in warnings:  # a warning on the case as a whole (no question) that it is of another version
                if w[2] is None and w[3].startswith(OTHER_VERSION):
                    self.other_versions += 1
                    break
        errors = record[4] if kind == _ERRORS else []
        if case_id is not None and not self._seen.add(case_id):
            errors.append(
                [
                    source,
                    case_id,
                    None,
                    f"case_id {case_id!r} is used by an earlier case too; case ids are unique within an inspection",
                    None,
                    None,
                ]
            )
        if errors:
            report.errors.extend_plain(errors)
            report.excluded.append({"case_id": case_id, "source": source, "reason": f"{len(errors)} error(s) in the case file"})
            return
        if kind == _EXCLUDED:
            report.excluded.append({"case_id": case_id, "source": source, "reason": record[4]})
            return
        case_edition, codes, counted = record[4], record[5], record[6]
        report.cases += 1
        if record[8]:
            report.undecided.append({"case_id": case_id, "source": source, "rules": list(record[8])})
        report.by_edition[case_edition] = report.by_edition.get(case_edition, 0) + 1
        column = self._columns.get(case_edition)
        if column is None:
            column = self._columns[case_edition] = bytearray()
        column += codes
        if len(column) >= _COLUMN_BYTES:
            self._settle(case_edition)
        group = record[7]
        if group is not None:
            tallies = self._tallies_of(case_edition)
            report.breakdown_cases[group] = report.breakdown_cases.get(group, 0) + 1
            key = (case_edition, group)
            group_tallies = self._group_tallies.get(key)
            if group_tallies is None:
                table = report.breakdown.setdefault(
                    group,
                    {t.id: ItemTally(t.id, t.title, direction=t.direction, counted=t.counted) for t in report.items.values()},
                )
                group_tallies = self._group_tallies[key] = [table[t.id] for t in tallies]
            _count(group_tallies, codes)
        if counted:
            counts = report.counts
            for count_id, qid, values in counted:
                _count_elements(counts[count_id][qid], values)  # bucket[value] = bucket.get(value, 0) + 1, in C

    def _tallies_of(self, case_edition: str) -> list[ItemTally]:
        """The tallies a case of ``case_edition`` adds to, one per code of its record."""
        tallies = self._tallies.get(case_edition)
        if tallies is None:
            items = self.report.items
            tallies = self._tallies[case_edition] = [items[f[0]] for f in self._feeds_for(case_edition)]
        return tallies

    def _settle(self, case_edition: str | None = None) -> None:
        """Add the codes waiting in the columns (of one edition, or all) to the tallies: each item's codes are
        every n-th byte of its edition's column, counted at C speed."""
        for edition in [case_edition] if case_edition is not None else list(self._columns):
            column = self._columns[edition]
            tallies = self._tallies_of(edition)
            width = len(tallies)
            for i, tally in enumerate(tallies):
                codes = column[i::width]
                sufficient, insufficient, na = codes.count(_SUFFICIENT), codes.count(_INSUFFICIENT), codes.count(_NA)
                tally.numerator += sufficient
                tally.denominator += sufficient + insufficient
                tally.not_applicable += na
                tally.missing += len(codes) - sufficient - insufficient - na
            column.clear()

    # -- a share of the cases counted in another process
    def partial(self, folder: str) -> dict[str, Any]:
        """What this rater counted, as plain data another rater can :meth:`merge`: the tallies, and its lists
        (cases left out, errors, warnings) and case ids written to files in ``folder``."""
        import tempfile
        from array import array

        self._settle()
        report = self.report

        def tallies(items: Mapping[str, ItemTally]) -> list[tuple[int, int, int, int]]:
            return [(t.numerator, t.denominator, t.not_applicable, t.missing) for t in items.values()]

        lists = {}
        for name in _LISTS:
            with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as fh:
                lists[name] = (fh.name, getattr(report, name).hand_over(fh))
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as fh:
            ids, batch = 0, array("Q")
            for key in self._seen.sorted_keys():
                batch.append(key)
                if len(batch) >= 1 << 13:
                    fh.write(batch.tobytes())
                    ids, batch = ids + len(batch), array("Q")
            fh.write(batch.tobytes())
            id_file = (fh.name, ids + len(batch))
        return {
            "cases": report.cases,
            "by_edition": report.by_edition,
            "items": tallies(report.items),
            "counts": report.counts,
            "breakdown": {group: tallies(table) for group, table in report.breakdown.items()},
            "breakdown_cases": report.breakdown_cases,
            "warned_cases": report.warned_cases,
            "other_versions": self.other_versions,
            "lists": lists,
            "ids": id_file,
        }

    def merge(self, part: Mapping[str, Any]) -> None:
        """Add a share counted by :meth:`partial` (shares merged in input order give the report of one rater)."""
        report = self.report

        def add(items: Mapping[str, ItemTally], counts: list[tuple[int, int, int, int]]) -> None:
            for t, (numerator, denominator, not_applicable, missing) in zip(items.values(), counts, strict=True):
                t.numerator += numerator
                t.denominator += denominator
                t.not_applicable += not_applicable
                t.missing += missing

        report.cases += part["cases"]
        for edition, n in part["by_edition"].items():
            report.by_edition[edition] = report.by_edition.get(edition, 0) + n
        add(report.items, part["items"])
        for count_id, questions in part["counts"].items():
            for qid, values in questions.items():
                bucket = report.counts[count_id][qid]
                for value, n in values.items():
                    bucket[value] = bucket.get(value, 0) + n
        for group, counts in part["breakdown"].items():
            table = report.breakdown.setdefault(
                group,
                {t.id: ItemTally(t.id, t.title, direction=t.direction, counted=t.counted) for t in report.items.values()},
            )
            add(table, counts)
        for group, n in part["breakdown_cases"].items():
            report.breakdown_cases[group] = report.breakdown_cases.get(group, 0) + n
        report.warned_cases += part["warned_cases"]
        self.other_versions += part["other_versions"]
        for name, (path, count) in part["lists"].items():
            with open(path, "rb") as fh:
                getattr(report, name).take(fh, count)

    # -- the inspection file and ratings
    def finish(self, inspection: Mapping[str, Any] | None = None, inspection_source: str | None = None) -> RatingReport:
        self._settle()
        report = self.report
        if self.other_versions:
            report.warnings.append(
                (
                    None,
                    None,
                    None,
                    f"{self.other_versions} case(s) were written for another version of their edition than the one "
                    "installed; the versions are mixed (inspectkit migrate rewrites old cases)",
                    None,
                )
            )
        ratings = self.framework.scoring.ratings
        answers, overrides = self._read_inspection(inspection, inspection_source)
        if answers:
            engine = self.registry.engine(self.edition)
            ienv = _InspectionEnv(answers, engine)
            report.inspection_answers = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in answers.items()}
            for score in self.framework.scoring.case_scores:
                if engine.score_level[score.id] == "inspection":
                    v = ienv.score(score.id)
                    report.inspection_scores[score.id] = None if v is UNKNOWN else v
        if ratings is None:
            if overrides:
                report.errors.append(
                    CaseProblem(
                        inspection_source, None, Message(None, f"{self.edition} has no ratings, so nothing can be overridden")
                    )
                )
            return report
        env = _InspectionEnv(answers)
        scale = self.framework.scales[ratings.scale]
        codes = scale.codes
        for rated in ratings.rated:
            if rated.when is not None:
                applies = truth(rated.when(env))
                if applies is UNKNOWN:
                    why = f"cannot tell whether {rated.id} is rated: the inspection file does not say ({rated.when.text})"
                    report.errors.append(CaseProblem(inspection_source, None, Message(None, why)))
                    report.ratings[rated.id] = StandardRating(rated.id, rated.title, "undecided", None, None, why)
                    continue
                if applies is False:
                    continue
            title = self.framework.items[rated.id].title if rated.id in self.framework.items else rated.title
            if rated.rule == "inspection":
                given = answers.get(rated.answer)
                if given is None and rated.answer in self._invalid:
                    sr = StandardRating(rated.id, title, "missing", None, None, "the inspection file's rating is not valid")
                elif given is None:
                    report.errors.append(
                        CaseProblem(
                            inspection_source,
                            None,
                            Message(
                                rated.answer,
                                f"{rated.answer} ({title}) is rated by the inspection team: give its rating in the inspection file",
                            ),
                        )
                    )
                    sr = StandardRating(rated.id, title, "missing", None, None, "the inspection file gives no rating")
                else:
                    sr = StandardRating(rated.id, title, "rated", given, given, "the inspection team's rating (inspection file)")
            else:
                sr = self._lowest(rated.id, title, rated.of, ratings)
            report.ratings[rated.id] = sr
        for rid, ov in overrides.items():
            if rid not in report.ratings:
                rated_ids = ", ".join(report.ratings)
                report.errors.append(
                    CaseProblem(
                        inspection_source,
                        None,
                        Message(rid, f"override for {rid}, which is not rated in this inspection (rated: {rated_ids})"),
                    )
                )
                continue
            rating, reason = ov
            current = report.ratings[rid]
            report.ratings[rid] = attrs.evolve(current, rating=rating, override_reason=reason, status="rated")
        if ratings.overall is not None:
            report.overall = self._overall(ratings, codes)
        return report

    def _lowest(self, rid: str, title: str, of: tuple[str, ...], ratings: Any) -> StandardRating:
        tallies = [self.report.items[o] for o in of if o in self.report.items]
        with_cases = [t for t in tallies if t.denominator > 0]
        if not with_cases:
            kinds = self.framework.level_of(of, plural=True)
            return StandardRating(rid, title, "no_applicable_cases", None, None, f"no case to which its {kinds} apply")
        too_few = [t for t in with_cases if t.denominator < ratings.minimum_cases]
        if too_few:
            names = ", ".join(f"{t.id} ({t.denominator})" for t in too_few)
            return StandardRating(
                rid,
                title,
                "too_few_cases",
                None,
                None,
                f"too few cases to rate: {names}; at least {ratings.minimum_cases} needed",
            )
        lowest = min(with_cases, key=lambda t: (t.fraction, t.id))
        rating = band(lowest.fraction, ratings.bands)  # type: ignore[arg-type]
        none = [t.id for t in tallies if t.denominator == 0]
        word = self.framework.level_name(self.framework.items[lowest.id].level if lowest.id in self.framework.items else "")
        basis = f"lowest {word} {lowest.id}: {lowest.numerator}/{lowest.denominator} = {_percent_text(lowest.fraction)}"
        if none:
            basis += f"; no applicable cases for {', '.join(none)}"
        return StandardRating(rid, title, "rated", rating, rating, basis)

    def _overall(self, ratings: Any, codes: tuple[str, ...]) -> dict[str, Any]:
        overall = ratings.overall
        unrated = [r.id for r in self.report.ratings.values() if r.rating is None]
        if unrated:
            rated = self.framework.level_of(self.report.ratings, plural=True)
            return {"score": None, "rating": None, "basis": f"not all rated {rated} have a rating: {', '.join(unrated)}"}
        score = sum(overall.scores.get(r.rating, 0) for r in self.report.ratings.values())
        rating = band(Fraction(score), overall.bands)
        word = self.framework.level_of(self.report.ratings)
        return {"score": score, "rating": rating, "basis": f"sum of {len(self.report.ratings)} {word} scores"}

    def _read_inspection(
        self, inspection: Mapping[str, Any] | None, source: str | None
    ) -> tuple[dict[str, Any], dict[str, tuple[str, str]]]:
        """Validate the inspection file; every problem is reported as an error on the report."""
        report = self.report
        fw = self.framework

        def err(question: str | None, message: str) -> None:
            report.errors.append(CaseProblem(source, None, Message(question, message)))

        if inspection is None:
            if fw.scoring.ratings and any(r.when or r.rule == "inspection" for r in fw.scoring.ratings.rated):
                err(None, f"{self.edition} needs an inspection file (--inspection FILE) for what is judged once per inspection")
            return {}, {}
        if not isinstance(inspection, dict):
            err(None, "an inspection file is a mapping: schema, kind, edition, inspection_id, answers, overrides")
            return {}, {}
        for key in inspection:
            if key not in INSPECTION_KEYS:
                hint = suggestion(str(key), INSPECTION_KEYS)
                err(None, f"unknown top-level key {key!r}" + (f"; {hint}" if hint else ""))
        if inspection.get("kind", "inspection") != "inspection":
            err(None, f"kind must be 'inspection', not {inspection.get('kind')!r}")
        edition = inspection.get("edition")
        if edition is not None and edition != self.edition:
            err(None, f"this inspection file is for edition {edition!r}, not {self.edition!r}")
        report.inspection_id = str(inspection.get("inspection_id")) if inspection.get("inspection_id") is not None else None
        for key, check in (("provider_name", provider_name), ("inspection_date", inspection_date)):
            try:
                setattr(report, key, check(inspection.get(key)))
            except ValueError as exc:
                err(None, f"{key}: {exc}")
        answers: dict[str, Any] = {}
        raw = inspection.get("answers") or {}
        if not isinstance(raw, dict):
            err(None, "answers must be a mapping of question id -> value")
            raw = {}
        inspection_ids = [q.id for q in fw.inspection_questions]
        for key, value in raw.items():
            qid = str(key)
            item = fw.items.get(qid)
            if item is None:
                hint = suggestion(qid, inspection_ids)
                err(qid, f"{qid}: no such question in {self.edition}" + (f"; {hint}" if hint else ""))
                continue
            if item.kind != "inspection":
                what = "judged case by case, in case files" if item.per_case or item.kind is None else "not answered"
                err(qid, f"{qid} is {what}, not in the inspection file")
                continue
            if value is None:
                continue
            try:
                answers[qid] = item.answer.make_validator()(value)  # type: ignore[union-attr]
            except ValueError as exc:
                self._invalid.add(qid)
                err(qid, f"{qid}: {exc}")
        overrides: dict[str, tuple[str, str]] = {}
        raw_ov = inspection.get("overrides") or {}
        if not isinstance(raw_ov, dict):
            err(None, "overrides must be a mapping of rated id -> {rating, reason}")
            raw_ov = {}
        ratings = fw.scoring.ratings
        codes = fw.scales[ratings.scale].codes if ratings is not None else ()
        for key, ov in raw_ov.items():
            rid = str(key)
            if not isinstance(ov, dict):
                err(rid, f"override for {rid}: give {{rating: ..., reason: ...}}")
                continue
            rating = ov.get("rating")
            reason = ov.get("reason")
            if rating not in codes:
                hint = suggestion(str(rating), codes)
                err(
                    rid,
                    f"override for {rid}: {rating!r} is not a rating (one of {', '.join(codes)})" + (f"; {hint}" if hint else ""),
                )
                continue
            if not isinstance(reason, str) or not reason.strip():
                err(rid, f"override for {rid} has no reason: professional discretion always records why")
                continue
            overrides[rid] = (rating, reason.strip())
        return answers, overrides


def provider_name(value: Any) -> str | None:
    """An inspection's declared provider (the organisation inspected), as text; None where not declared."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"{value!r} is not a name: give the organisation inspected as text, the same in each inspection of it")
    return " ".join(str(value).split())


def inspection_date(value: Any) -> str | None:
    """When an inspection took place: a date (YYYY-MM-DD), a month (YYYY-MM) or a year (YYYY); None where not declared."""
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = _DATE.fullmatch(text)
    if match is not None:
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            datetime.date(year, month or 1, day or 1)  # type: ignore[arg-type]
            return text
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date: give YYYY-MM-DD (or YYYY-MM, or YYYY for a period)")


def case_from_file(path: Path) -> CaseInput:
    """One case file (YAML or JSON) read, or the error reading it."""
    from inspectkit.files import line_finder, load_document

    try:
        doc = load_document(path)
    except InspectkitError as exc:  # unreadable, or gone since the folder was listed: this case's error
        return CaseInput(str(path), None, InputError(exc.message, exc.location, exc.hint))
    return CaseInput(str(path), doc, None, line_finder(doc))


def iter_cases(paths: Iterable[Path]) -> Iterator[CaseInput]:
    """Case files, folders of them and JSON Lines files, one case at a time."""
    from inspectkit.files import iter_case_paths

    for path in iter_case_paths([Path(p) for p in paths]):
        if path.suffix.lower() != ".jsonl":
            yield case_from_file(path)
            continue
        yield from _line_cases(path)


def _line_cases(path: Path, start: int = 0, end: int | None = None, first: int = 1) -> Iterator[CaseInput]:
    """The cases of a JSON Lines file (those of the lines that begin in a byte range of it)."""
    from inspectkit.loading import json_lines

    name = str(path)
    for number, doc in json_lines(path, start, end, first):
        source = f"{name}:{number}"
        yield CaseInput(source, None, doc) if isinstance(doc, InputError) else CaseInput(source, doc, None, None, True)


# -------------------------------------------------------------------------------------------- many processes

_BATCH_LINES = 500  # JSON Lines cases per batch handed to a worker
_BATCH_FILES = 50  # case files per batch


def _inputs(paths: Iterable[Path]) -> Iterator[list[tuple[str, str, Any]]]:
    """Batches of raw inputs: ("line", source, bytes) from JSON Lines files, ("file", path, None) for case files.

    Only raw bytes and paths travel to workers; parsing happens there.
    """
    from inspectkit.files import iter_case_paths, raw_lines

    batch: list[tuple[str, str, Any]] = []
    for path in iter_case_paths([Path(p) for p in paths]):
        if path.suffix.lower() == ".jsonl":
            for number, raw in raw_lines(path):
                batch.append(("error" if isinstance(raw, InputError) else "line", f"{path}:{number}", raw))
                if len(batch) >= _BATCH_LINES:
                    yield batch
                    batch = []
        else:
            batch.append(("file", str(path), None))
            if len(batch) >= _BATCH_FILES:
                yield batch
                batch = []
    if batch:
        yield batch


_LISTS = ("excluded", "undecided", "errors", "warnings")  # a report's lists, in the order a share hands them over
_PART: dict[str, Any] = {}  # in a worker: what every share is counted with (registry, edition, by, ...)


def _shares(paths: list[Path], parts: int) -> Iterator[tuple[Any, ...]]:
    """The inputs cut into shares, in input order: ("lines", file, start, end, first line) for a byte range
    of a JSON Lines file, ("files", [paths]) for case files. Only newlines are counted here."""
    from inspectkit.files import iter_case_paths
    from inspectkit.loading import iter_line_starts

    files: list[str] = []
    for path in iter_case_paths(paths):
        if path.suffix.lower() == ".jsonl":
            if files:
                yield ("files", files)
                files = []
            for start, end, first in iter_line_starts(path, parts, _SMALLEST_SHARE):
                yield ("lines", str(path), start, end, first)
        else:
            files.append(str(path))
            if len(files) >= _BATCH_FILES:
                yield ("files", files)
                files = []
    if files:
        yield ("files", files)


_SMALLEST_SHARE = 1 << 20  # bytes of JSON Lines: a share smaller than this costs more to hand over than it saves


def _share_cases(share: tuple[Any, ...]) -> Iterator[CaseInput]:
    if share[0] == "files":
        for name in share[1]:
            yield case_from_file(Path(name))
        return
    _, name, start, end, first = share
    yield from _line_cases(Path(name), start, end, first)


def _count_share(share: tuple[Any, ...], seen_before: list[int]) -> tuple[int, dict[str, Any]]:
    """In a worker: count one share with a rater of its own, and hand over what it counted.
    ``seen_before``: hashes of case ids that earlier shares hold too (their cases here are repeats)."""
    rater = Rater(_PART["registry"], _PART["edition"], by=_PART["by"], contain_errors=_PART["contain"])
    rater._seen.preseed(seen_before)
    done = 0
    for case in _share_cases(share):
        rater.add(case)
        done += 1
    return done, rater.partial(_PART["folder"])


def _share_worker(specs: Any, strict: bool, settings: dict[str, Any]) -> None:
    """In a spawned worker: load the same plugins once, for every share it counts."""
    from inspectkit.plugins import load_registry
    from inspectkit.stopping import in_worker

    in_worker()

    plugins = [(name, _import_plugin(module, file)) for name, module, file in specs]
    _PART.update(settings, registry=load_registry(plugins, entry_points=False, strict=strict))


def _repeated_across(id_files: list[tuple[str, int]]) -> list[list[int]]:
    """For each share, the hashes of its case ids that an earlier share holds too (each share's file holds its
    ids' hashes sorted, each once). The files are read a block at a time; every hash up to the lowest of the
    blocks' last ones is settled at once: sorted together and compared with the next (in C), and only where two
    are equal are the shares that hold them looked for (most sets of shares repeat no id at all)."""
    import contextlib
    from array import array
    from bisect import bisect_right

    repeated: list[list[int]] = [[] for _ in id_files]
    with contextlib.ExitStack() as stack:
        files = [stack.enter_context(open(name, "rb")) for name, _ in id_files]

        def block(fh: Any) -> Any:  # a share's next hashes: 64 KiB of them
            data = array("Q")
            data.frombytes(fh.read(8 << 13))
            return data

        blocks = [block(fh) for fh in files]
        while any(blocks):
            edge = min(b[-1] for b in blocks if b)  # no share holds a hash up to this one in a later block
            now = []
            for index, data in enumerate(blocks):
                if data:
                    cut = bisect_right(data, edge)
                    now.append((index, data[:cut]))
                    blocks[index] = data[cut:] if cut < len(data) else block(files[index])
            merged = sorted(itertools.chain.from_iterable(keys for _, keys in now))
            if not any(map(operator.eq, merged, itertools.islice(merged, 1, None))):
                continue  # no hash is in two shares (each share holds a hash once)
            seen: set[int] = set()
            for index, keys in now:
                if not seen.isdisjoint(keys):
                    repeated[index].extend(sorted(seen.intersection(keys)))
                seen.update(keys)
    return repeated


def default_jobs(paths: Iterable[Path]) -> int:
    """Worker processes worth starting: one per CPU this process may run on, for big inputs; none for an
    inspection-sized one."""
    limit = 8 * 1024 * 1024  # below this (a few thousand cases), starting processes costs more than it saves
    total = 0
    for p in paths:
        p = Path(p)
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        if total > limit:
            return max(1, min(available_cpus(), 8))
    return 1


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, or a container's limit on it), not all the machine has."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity (macOS, Windows)
        return os.cpu_count() or 1


def start_method(requested: str | None = None) -> str:
    """How worker processes start: ``fork`` where the platform has it (they share the loaded editions), else
    ``spawn`` (Windows; each worker loads the editions itself). ``INSPECTKIT_START_METHOD`` chooses."""
    import multiprocessing
    import os

    method = requested or os.environ.get("INSPECTKIT_START_METHOD") or ""
    available = multiprocessing.get_all_start_methods()
    if method in available:
        return method
    return "fork" if "fork" in available else "spawn"


def plugin_specs(registry: Any) -> list[tuple[str, str, str | None]] | None:
    """How a spawned worker rebuilds ``registry``: (plugin name, module name, module file) for each plugin.

    None when a plugin is not a module (an object registered by hand), or the registry is not a Registry:
    such a registry cannot be rebuilt in another process.
    """
    import types

    pm = getattr(registry, "pm", None)
    if pm is None:
        return None
    specs = []
    for name, plugin in pm.list_name_plugin():
        if not isinstance(plugin, types.ModuleType):
            return None
        specs.append((name, plugin.__name__, getattr(plugin, "__file__", None)))
    return specs


def _import_plugin(module_name: str, file: str | None) -> Any:
    import importlib
    import importlib.util
    import sys

    try:
        return importlib.import_module(module_name)
    except ImportError:
        if file is None:
            raise
    spec = importlib.util.spec_from_file_location(module_name, file)  # a plugin loaded from a file by path
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


_FOLDER_PREFIX = "inspectkit-rate-"  # a run with workers: its folder, named with the pid of the process that made it


_STALE_AFTER = 3600  # seconds since a run's folder last changed before it may be taken for a stopped run's


def _sweep_stale_folders() -> None:
    """Remove the folders of runs with workers whose process no longer exists (stopped with ``kill -9``, or
    the machine lost power), which no one else would: the shares' warnings and errors they hold can be large.
    Only on POSIX, where signal 0 asks whether a process exists, and only a folder unchanged for an hour (a
    process in another PID namespace sharing the temporary folder is not seen from here: its run writes to
    its folder as its shares end). A folder of another user's, or of a process alive under a reused id, is
    left alone, as is any this process made."""
    import re
    import shutil
    import tempfile
    import time

    if os.name != "posix":
        return
    before = time.time() - _STALE_AFTER
    named = re.compile(re.escape(_FOLDER_PREFIX) + r"(\d+)-")
    try:
        entries = list(os.scandir(tempfile.gettempdir()))
    except OSError:
        return
    for entry in entries:
        found = named.match(entry.name)
        if found is None or int(found.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            if stat.st_uid != os.getuid() or stat.st_mtime > before:
                continue
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(entry.path, ignore_errors=True)
        except (OSError, OverflowError, ValueError):  # alive (another user's), or gone from under us
            continue


def rate_paths(
    registry: Any,
    edition: str,
    paths: Iterable[Path],
    inspection: Mapping[str, Any] | None = None,
    inspection_source: str | None = None,
    jobs: int = 1,
    progress: Any = None,
    by: str | None = None,
    contain_errors: bool = True,
    method: str | None = None,
) -> RatingReport:
    """Rate case files, folders and JSON Lines files, with ``jobs`` worker processes reading and judging.

    With workers, the inputs are cut into shares in input order (byte ranges of JSON Lines files, starting
    at a line; batches of case files), and each worker reads its own shares and counts them with a rater of
    its own. The main process reads no case: it merges the shares' counts and lists in input order, so the
    report is the same, byte for byte, whatever ``jobs`` is. A case id given in two shares is found by
    merging the shares' sorted id hashes; the later share is then counted again knowing the ids before it.
    Workers are forked where the platform can (they share the loaded editions), else spawned (each loads
    the same plugins itself): see :func:`start_method`.
    """
    import multiprocessing

    paths = [Path(p) for p in paths]
    _sweep_stale_folders()  # what a run with workers stopped by kill -9 left, whether or not this one has workers
    rater = Rater(registry, edition, by=by, contain_errors=contain_errors)
    done = 0
    method = start_method(method)
    specs = plugin_specs(registry) if method != "fork" else None
    if jobs <= 1 or (method != "fork" and specs is None):
        judge, apply = rater.judge, rater.apply  # Rater.add, written out: this loop runs for every case
        if progress is None:
            for case in iter_cases(paths):
                apply(judge(case))
        else:
            for case in iter_cases(paths):
                apply(judge(case))
                done += 1
                progress(done)
        return rater.finish(inspection, inspection_source)
    import contextlib
    import shutil
    import tempfile

    from inspectkit.stopping import exit_on_terminate, in_worker, terminate_held

    restore = exit_on_terminate()  # the command has done this already; a program calling rate_paths may not
    folder = None
    try:
        folder = tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-")
        settings = {"edition": edition, "by": by, "contain": contain_errors, "folder": folder}
        context = multiprocessing.get_context(method)
        if method == "fork":
            _PART.update(settings, registry=registry)  # forked workers share the loaded editions
            pool_args: dict[str, Any] = {"initializer": in_worker}
        else:
            pool_args = {"initializer": _share_worker, "initargs": (specs, bool(getattr(registry, "strict", False)), settings)}
        with contextlib.ExitStack() as stack:
            with terminate_held():  # a stop while the workers start waits until the pool knows them all
                pool = stack.enter_context(context.Pool(jobs, **pool_args))
            shares: list[tuple[Any, ...]] = []
            pending = []
            for share in _shares(paths, 4 * jobs):  # each share is counted as soon as it is cut
                shares.append(share)
                pending.append(pool.apply_async(_count_share, (share, [])))
            parts = []
            for result in pending:
                n, part = result.get()
                parts.append(part)
                if progress is not None:
                    done += n
                    progress(done)
            # a case id given in two shares: the later share is counted again, knowing the ids before it
            repeated = _repeated_across([part["ids"] for part in parts])
            again = {i: pool.apply_async(_count_share, (shares[i], keys)) for i, keys in enumerate(repeated) if keys}
            for i, result in again.items():
                parts[i] = result.get()[1]
        for part in parts:
            rater.merge(part)
    finally:
        _PART.clear()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if restore is not None:
            restore()
    return rater.finish(inspection, inspection_source)


def rate(
    registry: Any,
    edition: str,
    cases: Iterable[CaseInput | Mapping[str, Any]],
    inspection: Mapping[str, Any] | None = None,
    inspection_source: str | None = None,
) -> RatingReport:
    """Aggregate cases (CaseInput, or plain mappings) for ``edition`` and apply its rating rules."""
    rater = Rater(registry, edition)
    for n, case in enumerate(cases, start=1):
        if not isinstance(case, CaseInput):
            case = CaseInput(f"case {n}", case)
        rater.add(case)
    return rater.finish(inspection, inspection_source)


def explain(registry: Any, report: RatingReport, target: str) -> list[str]:
    """How ``rate`` reached an item's percentage, a rating or the overall rating."""
    fw = registry.framework(report.edition)
    ratings = fw.scoring.ratings
    lines: list[str] = []

    def item_line(t: ItemTally) -> str:
        pct = "no applicable cases" if t.denominator == 0 else _percent_text(t.fraction)
        extra = f"; not applicable {t.not_applicable}" if t.not_applicable else ""
        extra += f"; missing {t.missing}" if t.missing else ""
        what = f"answered {' or '.join(t.counted)}" if t.neutral else "sufficient"
        return f"{t.id}: {t.numerator} {what} of {t.denominator} applicable = {pct}{extra}"

    if target == "overall":
        if ratings is None or ratings.overall is None or report.overall is None:
            return [f"{report.edition} has no overall rating"]
        o = ratings.overall
        lines.append(f"overall: the sum of the rated {fw.level_of(report.ratings, plural=True)}' scores, banded")
        for r in report.ratings.values():
            lines.append(f"  {r.id} {r.rating or 'not rated'}: {o.scores.get(r.rating, 0) if r.rating else '-'}")
        lines.append("  bands: " + ", ".join(f"{b.rating} from {b.minimum}" for b in o.bands))
        o = report.overall
        result = f"score {o['score']}, {o['rating']}" if o.get("rating") else "not rated"
        lines.append(f"  result: {result} ({o.get('basis')})")
        return lines
    if target in report.ratings:
        r = report.ratings[target]
        rule = next((x for x in ratings.rated if x.id == target), None) if ratings else None
        if rule is not None and rule.rule == "lowest":
            lines.append(f"{target} {r.title}: the band of its lowest {fw.level_of(rule.of)} ({', '.join(rule.of)})")
            for o in rule.of:
                if o in report.items:
                    lines.append("  " + item_line(report.items[o]))
            lines.append("  bands: " + ", ".join(f"{b.rating} from {b.minimum}%" for b in ratings.bands))  # type: ignore[union-attr]
            lines.append(f"  at least {ratings.minimum_cases} applicable cases per {fw.level_of(rule.of)}")  # type: ignore[union-attr]
        elif rule is not None:
            lines.append(f"{target} {r.title}: rated by the inspection team ({rule.answer} in the inspection file)")
        if rule is not None and rule.when is not None:
            lines.append(f"  rated when: {rule.when.text}")
        lines.append(f"  by the rules: {r.rules_rating or 'not rated'} ({r.basis})")
        if r.override_reason:
            lines.append(f"  changed by professional discretion to {r.rating}: {r.override_reason}")
        return lines
    if target in report.items:
        t = report.items[target]
        lines.append(f"{target} {t.title}".rstrip())
        lines.append("  " + item_line(t))
        sources = report.sources.get(target, [])
        if sources:
            lines.append("  counted from: " + ", ".join(sources))
        counted = ", ".join(t.counted)
        if t.neutral:
            lines.append(
                f"  a proportion: the share of applicable cases answering {counted}; no answer is favourable"
                " (direction: none), so it is not a measure of sufficiency"
            )
        lines.append(
            ("" if t.neutral else f"  sufficient answers: {counted}; ")
            + ("  " if t.neutral else "")
            + "n/a and not applicable are left out of the denominator"
        )
        return lines
    rule = next((x for x in ratings.rated if x.id == target), None) if ratings else None
    if rule is not None:  # a standard this inspection does not rate
        when = f" it is rated when {rule.when.text}" if rule.when is not None else ""
        return [f"{target}: not rated in this inspection;{when}".rstrip(";")]
    known = list(report.items) + list(report.ratings) + ["overall"]
    hint = suggestion(target, known)
    return [f"{target}: not an item or rating of this report" + (f"; {hint}" if hint else "")]
