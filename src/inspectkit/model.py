"""What a framework *is*: editions, items and questions, answer types, rules and scoring.

These classes are built once, when a framework definition loads (see :mod:`inspectkit.definition`), and
are read-only afterwards. They name no edition: every edition's words live in its plugin's data.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from inspectkit.expressions import NA, Expression, Type
from inspectkit.records import field, record

KINDS = ("case_detail", "background", "evidence", "summary", "inspection", "reserved")
CASE_KINDS = frozenset({"case_detail", "background", "evidence", "summary"})
ANSWER_TYPES = ("yes_no", "choice", "multi", "number", "months", "date", "text", "rating", "per_category")
WEIGHTS = ("primary", "secondary")
MET, NOT_MET = "met", "not_met"


class InvalidAnswer(ValueError):
    """A value that does not fit its question; the message says what would."""


@record
class Choice:
    code: str
    label: str


@record
class Scale:
    name: str
    choices: tuple[Choice, ...]
    ordered: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.choices)


@record
class Category:
    code: str
    label: str
    condition: Expression | None = None
    na: bool = False  # n/a is an answer for this category, where the document says to write it


def _near(value: Any, codes: frozenset[str]) -> str:
    """ "; did you mean X?" for a mistyped code, else nothing."""
    if not isinstance(value, str):
        return ""
    from inspectkit.errors import suggestion

    hint = suggestion(value, codes)
    return f"; {hint}" if hint else ""


def _shown(value: Any) -> str:
    """A value for a message: shortened, and safe whatever it is (a number of 5,000 digits has no repr)."""
    try:
        text = repr(value)
    except ValueError:
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
    return text if len(text) <= 80 else text[:77] + "..."


def _list_codes(codes: tuple[str, ...]) -> str:
    shown = ", ".join(codes[:12])
    return shown + (f" ... ({len(codes)} in all)" if len(codes) > 12 else "")


_HUGE = 10**100  # a number no case holds


@record
class AnswerType:
    """How a question is answered, and the check every value goes through."""

    name: str
    choices: tuple[Choice, ...] = ()
    ordered: bool = False
    na: bool = False
    max_choices: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    max_words: int | None = None
    categories: tuple[Category, ...] = ()
    scale: str | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        if self.name == "yes_no":
            return ("yes", "no")
        return tuple(c.code for c in self.choices)

    def static_type(self, qid: str) -> Type:
        """The type an expression sees when it reads this question."""
        codes = frozenset(self.codes + ((NA,) if self.na else ()))
        label = f"{qid} ({self.name.replace('_', '/') if self.name == 'yes_no' else self.name})"
        if self.name == "yes_no":
            return Type("text", codes=codes, truthy=True, label=label)
        if self.name in ("choice", "rating"):
            return Type("text", codes=codes, order=self.codes if self.ordered else None, label=label)
        if self.name == "multi":
            return Type("list", element=Type("text", codes=frozenset(self.codes)), label=label)
        if self.name in ("number", "months"):
            return Type("number", label=label)
        if self.name == "date":
            return Type("date", label=label)
        if self.name == "per_category":
            if any(c.na for c in self.categories):
                codes = codes | {NA}
            element = Type("text", codes=codes, order=self.codes if self.ordered else None)
            return Type("map", element=element, categories=frozenset(c.code for c in self.categories), label=label)
        return Type("text", label=label)

    def make_validator(self) -> Callable[[Any], Any]:
        """A fast function that returns the normalised value or raises InvalidAnswer."""
        na = self.na
        name = self.name
        if name in ("yes_no", "choice", "rating"):
            allowed = frozenset(self.codes + ((NA,) if na else ()))
            shown = _list_codes(self.codes + ((NA,) if na else ()))
            by_lower = {c.lower(): c for c in allowed}

            def one(value: Any) -> Any:
                if value.__class__ is str and value in allowed:
                    return value
                if value is True and "yes" in allowed:  # YAML 1.1 reads a bare yes as true
                    return "yes"
                if value is False and "no" in allowed:
                    return "no"
                if isinstance(value, str):
                    fixed = by_lower.get(value.strip().lower().replace(" ", "_")) or by_lower.get(value.strip().lower())
                    if fixed is not None:
                        return fixed
                raise InvalidAnswer(f"{_shown(value)} is not one of: {shown}" + _near(value, allowed))

            return one
        if name == "multi":
            allowed = frozenset(self.codes)
            shown = _list_codes(self.codes)
            most = self.max_choices

            def many(value: Any) -> Any:
                # the common case first: a list of distinct codes (a list that fails any of the checks goes
                # the long way below, for its message)
                if value.__class__ is list:
                    for v in value:
                        if v.__class__ is not str or v not in allowed:
                            break
                    else:
                        if len(set(value)) == len(value) and (most is None or len(value) <= most):
                            return value
                if na and value == NA:
                    return NA
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list):
                    raise InvalidAnswer(f"expected a list of choices, got {type(value).__name__}")
                bad = [v for v in value if v.__class__ is not str or v not in allowed]
                if bad:
                    raise InvalidAnswer(f"{_shown(bad[0])} is not one of: {shown}" + _near(bad[0], allowed))
                if len(set(value)) != len(value):
                    raise InvalidAnswer("a choice is listed twice")
                if most is not None and len(value) > most:
                    raise InvalidAnswer(f"{len(value)} choices given; at most {most} allowed")
                return value

            return many
        if name in ("number", "months"):
            lo, hi = self.minimum, self.maximum
            whole = self.integer or name == "months"
            # the common cases, settled before the checks below: a whole number in range (and within _HUGE),
            # or, where a fraction is allowed, a float in range and finite (within the largest float); a bound
            # that is not a number (NaN) lets nothing through here, and the checks below decide
            int_lo = -_HUGE + 1 if lo is None else max(lo, -_HUGE + 1)
            int_hi = _HUGE - 1 if hi is None else min(hi, _HUGE - 1)
            float_lo = math.inf if whole else -sys.float_info.max if lo is None else max(lo, -sys.float_info.max)
            float_hi = -math.inf if whole else sys.float_info.max if hi is None else min(hi, sys.float_info.max)

            def number(value: Any) -> Any:
                if value.__class__ is int and int_lo <= value <= int_hi:
                    return value
                if value.__class__ is float and float_lo <= value <= float_hi:  # never, for a whole number
                    return value
                if na and value == NA:
                    return NA
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    if isinstance(value, str) and len(value) <= 100:
                        try:
                            value = float(value) if "." in value else int(value)
                        except ValueError:
                            raise InvalidAnswer(f"{_shown(value)} is not a number") from None
                    else:
                        raise InvalidAnswer(f"{_shown(value)} is not a number")
                if isinstance(value, float) and not math.isfinite(value):
                    raise InvalidAnswer(f"{value} is not a number a case can hold; give a finite number")
                if isinstance(value, int) and abs(value) >= 10**100:
                    raise InvalidAnswer(f"{_shown(value)} is too large a number")
                if whole and value != int(value):
                    raise InvalidAnswer(f"{value} is not a whole number")
                if lo is not None and value < lo:
                    raise InvalidAnswer(f"{value} is below the minimum of {lo:g}")
                if hi is not None and value > hi:
                    raise InvalidAnswer(f"{value} is above the maximum of {hi:g}")
                return int(value) if whole else value

            return number
        if name == "date":

            def date(value: Any) -> Any:
                if na and value == NA:
                    return NA
                if isinstance(value, dt.datetime):
                    return value.date()
                if isinstance(value, dt.date):
                    return value
                if isinstance(value, str) and len(value) <= 40:
                    text = value.strip()
                    try:
                        return dt.date.fromisoformat(text)
                    except ValueError:
                        pass
                    try:  # a date with a time of day, as YAML writes a timestamp
                        return dt.datetime.fromisoformat(text).date()
                    except ValueError:
                        pass
                raise InvalidAnswer(f"{_shown(value)} is not a date; write YYYY-MM-DD")

            return date
        if name == "text":
            most_words = self.max_words

            def text(value: Any) -> Any:
                if value.__class__ is str and most_words is None:
                    return value
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    try:
                        value = str(value)
                    except ValueError:
                        raise InvalidAnswer(f"{_shown(value)} is not text") from None
                if not isinstance(value, str):
                    raise InvalidAnswer(f"expected text, got {type(value).__name__}")
                if most_words is not None:
                    words = len(value.split())
                    if words > most_words:
                        raise InvalidAnswer(f"{words} words; at most {most_words} allowed")
                return value

            return text
        if name == "per_category":
            cats = {c.code for c in self.categories}
            allowed = frozenset(self.codes + ((NA,) if na else ()))
            with_na = allowed | {NA}
            cat_na = {c.code for c in self.categories if c.na}
            codes_for = {c: with_na if c in cat_na else allowed for c in cats}  # each category's answers

            def per_category(value: Any) -> Any:
                # the common case first: a mapping of categories to their codes, copied as it is (anything
                # else, a true or false to turn into yes or no included, goes the long way below)
                if value.__class__ is dict:
                    for k, v in value.items():
                        if v.__class__ is not str or v not in codes_for.get(k, ()):
                            break
                    else:
                        return dict(value)
                if not isinstance(value, dict):
                    raise InvalidAnswer("expected one answer per category, as a mapping category: value")
                out = {}
                for k, v in value.items():
                    if k not in cats:
                        raise InvalidAnswer(f"no category {_shown(k)}; categories: {', '.join(sorted(cats))}")
                    ok = with_na if k in cat_na else allowed
                    if v is True and "yes" in ok:
                        v = "yes"
                    elif v is False and "no" in ok:
                        v = "no"
                    if v.__class__ is not str or v not in ok:
                        raise InvalidAnswer(
                            f"{k}: {_shown(v)} is not one of: {_list_codes(tuple(c for c in (*self.codes, NA) if c in ok))}"
                        )
                    out[k] = v
                return out

            return per_category
        raise AssertionError(name)  # pragma: no cover - checked at load

    def describe(self) -> str:
        if self.name == "yes_no":
            return "yes/no" + ("/n/a" if self.na else "")
        if self.name in ("choice", "rating", "multi", "per_category"):
            head = {"choice": "one of", "rating": "rating", "multi": "choices", "per_category": "per category"}[self.name]
            extra = f" (up to {self.max_choices})" if self.max_choices else ""
            return f"{head}{extra}: {_list_codes(self.codes)}" + (", n/a" if self.na else "")
        if self.name in ("number", "months"):
            rng = ""
            if self.minimum is not None or self.maximum is not None:
                lo = "" if self.minimum is None else f"{self.minimum:g}"
                hi = "" if self.maximum is None else f"{self.maximum:g}"
                rng = f" {lo}..{hi}"
            return ("whole months" if self.name == "months" else "number") + rng
        if self.name == "text" and self.max_words:
            return f"text (at most {self.max_words} words)"
        return self.name


@record
class Overriding:
    """A factor the guidance says outweighs the tally of a summary judgement."""

    when: Expression
    message: str
    source: str = ""


@record
class Item:
    """One numbered thing in a document: a heading node, or a question when it has a ``kind``."""

    id: str
    parent: str | None = None
    level: str = ""
    title: str = ""
    text: str = ""
    guidance: str = ""
    kind: str | None = None
    answer: AnswerType | None = None
    personal: bool = False
    optional: bool = False
    weight: str | None = None
    condition: Expression | None = None
    derive: Expression | None = None
    suggest: Expression | None = None
    weighs: tuple[str, ...] = ()
    overriding: tuple[Overriding, ...] = ()
    feeds: tuple[str, ...] = ()
    source: str = ""
    reading: str = ""
    links: tuple[str, ...] = ()
    direction: tuple[str, ...] | None = None  # favourable answers; () = neutral; None = the scoring's default
    says: str = ""  # a suggest or derive rule in plain words, for the messages an inspector reads
    children: tuple[str, ...] = ()
    line: int | None = None
    file: str | None = None  # the definition file it is written in (a framework may include several)

    @property
    def is_question(self) -> bool:
        return self.kind is not None and self.kind != "reserved"

    @property
    def per_case(self) -> bool:
        return self.kind in CASE_KINDS

    @property
    def label(self) -> str:
        return self.title or self.text

    @property
    def neutral(self) -> bool:
        """Declared with no favourable answer (a fact or a filter): counted as a proportion, never as sufficient."""
        return self.direction == ()

    def favourable(self, default: frozenset[str]) -> frozenset[str]:
        """The answers that count as favourable (sufficient) for this question."""
        return default if self.direction is None else frozenset(self.direction)


@record
class Check:
    id: str
    when: Expression
    message: str
    severity: str = "warning"
    question: str | None = None
    source: str = ""
    line: int | None = None
    reading: str = ""


@record
class SampleRule:
    id: str
    exclude_when: Expression
    reason: str
    source: str = ""
    line: int | None = None


@record
class CaseScore:
    """A judgement the rules compute for one case (for example: a criterion is met)."""

    id: str
    rule: str
    of: tuple[str, ...]
    title: str = ""
    judgement: str | None = None
    reading: str = ""
    line: int | None = None


@record
class AggregateItem:
    """An item `rate` counts: numerator, denominator and percent over the cases it applies to."""

    id: str
    source: str  # a question or case score of the case's edition
    title: str = ""
    sufficient: frozenset[str] = frozenset({"yes", MET})
    reading: str = ""
    neutral: bool = False  # ``direction: none``: a proportion answering ``sufficient``, with no better or worse


@record
class Count:
    """A tally of the choices given across cases (for example: barriers found, by domain)."""

    id: str
    of: tuple[str, ...]
    title: str = ""


@record
class Band:
    minimum: Fraction
    rating: str


@record
class RatedItem:
    id: str
    rule: str  # lowest | inspection
    of: tuple[str, ...] = ()
    answer: str | None = None
    when: Expression | None = None
    title: str = ""


@record
class Overall:
    scores: Mapping[str, int]
    bands: tuple[Band, ...]


@record
class Ratings:
    scale: str
    bands: tuple[Band, ...]
    rated: tuple[RatedItem, ...]
    overall: Overall | None = None
    minimum_cases: int = 1
    source: str = ""
    minimum_cases_source: str = ""


@record
class Scoring:
    sufficient: frozenset[str] = frozenset({"yes"})
    aggregate_kinds: tuple[str, ...] = ("summary",)
    case_scores: tuple[CaseScore, ...] = ()
    items: tuple[AggregateItem, ...] = ()
    counts: tuple[Count, ...] = ()
    ratings: Ratings | None = None


@record
class Reference:
    id: str
    title: str
    text: str


@record
class Matrix:
    """A two-way view of the tree (for example outcomes by process stages)."""

    title: str
    rows: tuple[Choice, ...]
    columns: tuple[Choice, ...]
    cells: tuple[tuple[str, str, str], ...]  # row code, column code, item id


@record
class Level:
    """What a document calls one level of its tree: ``key question`` / ``key questions``."""

    name: str
    plural: str


@record
class IdChange:
    """One row of a migration map: what became of an old id, and why."""

    old: tuple[str, ...]  # one id, or several merged into one
    new: tuple[str, ...]  # one id, several (split), or none (removed)
    change: str  # renamed | split | merged | removed
    reason: str = ""
    values: Mapping[str, str] = field(factory=dict)  # old answer -> new answer, where codes changed


@record
class Supersedes:
    """An edition (or an earlier version of this one) that this one replaces, and how its ids map."""

    edition: str
    version: str | None
    changes: tuple[IdChange, ...] = ()
    line: int | None = None


@record
class Framework:
    """An edition: its catalogue, rules and scoring, as one plugin registered it."""

    edition: str
    title: str
    version: str
    items: Mapping[str, Item] = field(repr=False)
    scales: Mapping[str, Scale] = field(repr=False, factory=dict)
    checks: tuple[Check, ...] = ()
    sample: tuple[SampleRule, ...] = ()
    scoring: Scoring = Scoring()
    reference: tuple[Reference, ...] = ()
    source: Mapping[str, str] = field(factory=dict)
    evidence_for: str | None = None
    matrix: Matrix | None = None
    weight_labels: Mapping[str, str] = field(factory=dict)  # how a tally names primary/secondary
    path: str | None = None
    plugin: str = ""
    plugin_version: str = ""
    levels: Mapping[str, Level] = field(factory=dict)  # what the document calls each level of its tree
    supersedes: tuple[Supersedes, ...] = ()  # the editions or versions this one replaces, with their id maps

    def level_name(self, level: str | None, plural: bool = False) -> str:
        """The edition's own word for a level (``key question``); the level's id, read as words, if it has none."""
        if not level:
            return "items" if plural else "item"
        declared = self.levels.get(level)
        if declared is not None:
            return declared.plural if plural else declared.name
        word = level.replace("_", " ")
        return word + "s" if plural else word

    def level_of(self, ids: Any, plural: bool = False) -> str:
        """The word for the level that the items ``ids`` share (``item`` when they are of different levels)."""
        levels = {self.items[i].level if i in self.items else "" for i in ids}
        return self.level_name(levels.pop() if len(levels) == 1 else "", plural)

    @property
    def questions(self) -> list[Item]:
        """Every item that is asked (it has an answer type), per case or per inspection, in document order."""
        return [i for i in self.items.values() if i.is_question]

    @property
    def case_questions(self) -> list[Item]:
        """The questions answered in each case file, in document order."""
        return [i for i in self.items.values() if i.per_case]

    @property
    def inspection_questions(self) -> list[Item]:
        """The questions answered once, in the inspection file."""
        return [i for i in self.items.values() if i.kind == "inspection"]

    @property
    def roots(self) -> list[Item]:
        """The top of the document's tree (items with no parent)."""
        return [i for i in self.items.values() if i.parent is None]

    def descendants(self, item_id: str) -> list[Item]:
        """Every item under ``item_id``, depth first in document order (``KeyError`` for an unknown id)."""
        out: list[Item] = []
        stack = list(reversed(self.items[item_id].children))
        while stack:
            child = self.items[stack.pop()]
            out.append(child)
            stack.extend(reversed(child.children))
        return out
