"""One case: which questions apply, derived values, checks, the sample, and aids for each judgement.

The engine reports; it never makes the inspector's judgement for them. A summary judgement is the
inspector's answer: the engine shows the tally of what it weighs and any overriding factor, and warns
when a ``yes`` stands against an overriding factor without a note.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from inspectkit.errors import suggestion
from inspectkit.expressions import NA, UNKNOWN, Expression, opening, sufficiency, truth
from inspectkit.model import MET, NOT_MET, CaseScore, Framework, InvalidAnswer, Item
from inspectkit.records import FrozenInstanceError

ANSWERED, NOT_APPLICABLE, MISSING, DERIVED = "answered", "not_applicable", "missing", "derived"
CASE_KEYS = ("schema", "edition", "edition_version", "case_id", "answers", "notes", "history")
_CASE_KEY_SET = frozenset(CASE_KEYS)
OTHER_VERSION = "written for version"  # how a case of another version of the edition is warned about (rate counts them)
_NO_CODES: frozenset[str] = frozenset()
_UNSET: Any = object()  # a condition not worked out yet


class _AnyText:
    """What ``in`` finds every text in: the "codes" of a question whose answer is any text (``isinstance(v, str)``,
    called in C: a subclass of str is in it too, which the caller checks for where it may be given one)."""

    __contains__ = staticmethod(str.__instancecheck__)


_ANY_TEXT = _AnyText()


def safe_repr(value: Any) -> str:
    """A value for a message: shortened, and safe whatever it is (deeply nested, or a number with no repr)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= 80 else text[:77] + "..."


def case_id_text(value: Any) -> str | ValueError | None:
    """A case id as text; a ValueError (returned) saying why it cannot be one; None when there is none."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**100:
        return str(value)
    if isinstance(value, str):
        if not value.strip():
            return ValueError("case_id is empty: give each case an id unique within the inspection")
        if len(value) > 1000:
            return ValueError(f"case_id is {len(value):,} characters long; give a short id")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return ValueError("case_id holds a lone surrogate (\\ud800-\\udfff), which is not a character")
        return value
    return ValueError(f"case_id must be text (or a whole number), not {type(value).__name__}: {safe_repr(value)}")


_SET = object.__setattr__
_BIND = object.__setattr__.__get__
_REQUIRED: Any = object()  # a field without a default
_MADE: Any = object()  # a field made anew for each result (an empty mapping) when none is given


class _AttrsFields:
    """A result class's ``__attrs_attrs__``, described by attrs when first asked for (``attrs.fields``,
    ``attrs.evolve``, ``attrs.asdict``, cattrs), so that an inspector's command, which never asks, does not
    import attrs at all."""

    def __get__(self, obj: Any, cls: type[_Result]) -> Any:
        import attrs

        these: dict[str, Any] = {
            name: attrs.field(default=attrs.NOTHING if d is _REQUIRED else attrs.Factory(dict) if d is _MADE else d)
            for name, d in cls._fields
        }
        described = attrs.fields(attrs.make_class(cls.__name__, these, frozen=True, slots=True))
        type.__setattr__(cls, "__attrs_attrs__", described)
        return described


class _Result:
    """The engine's results: frozen, compared and hashed by their fields in order, shown as ``Name(field=...)``.

    They behave as the attrs classes they were (``attrs.fields``, ``evolve`` and ``asdict`` work on them), but
    their methods are written here: attrs writes and compiles each class's methods as the module is imported,
    about a millisecond a class, which every one-case command paid for at start-up.
    """

    __slots__ = ("__weakref__",)
    _fields: tuple[tuple[str, Any], ...] = ()  # (name, default) in order
    _values: tuple[Any, ...]  # the fields' values, in order (a property each class is given)
    __attrs_attrs__: Any = _AttrsFields()

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(map(operator.eq, self._values, other._values))  # field by field, as attrs compares

    def __hash__(self) -> int:
        return hash((self.__class__.__qualname__, *self._values))

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for (name, _), value in zip(self._fields, self._values, strict=True))
        return f"{self.__class__.__qualname__}({values})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError()

    def _evolve(self, **changes: Any) -> Any:
        """A copy with some fields changed (as ``attrs.evolve``)."""
        return self.__class__(**{**self.__getstate__(), **changes})

    def __getstate__(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, _ in self._fields}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            _SET(self, name, value)

    def __init_subclass__(cls) -> None:
        names = tuple(name for name, _ in cls._fields)
        type.__setattr__(cls, "__match_args__", names)
        type.__setattr__(cls, "_values", property(operator.attrgetter(*names)))


class Message(_Result):
    """An error or warning about one case, on a question (or on the case as a whole: ``question=None``)."""

    __slots__ = ("question", "message", "rule", "line")
    _fields = (("question", _REQUIRED), ("message", _REQUIRED), ("rule", None), ("line", None))
    question: str | None
    message: str
    rule: str | None
    line: int | None  # in the case file, for YAML files

    def __init__(self, question: str | None, message: str, rule: str | None = None, line: int | None = None) -> None:
        set_ = _BIND(self)  # object.__setattr__, bound once (as attrs does)
        set_("question", question)
        set_("message", message)
        set_("rule", rule)
        set_("line", line)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"question": self.question, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
        return out

    def describe(self, source: str | None = None) -> str:
        """``file:line: question: message``, as the CLI prints it."""
        where = f"{source}:{self.line}" if source and self.line else source or ""
        text = self.message
        if self.question and not text.startswith(self.question):
            text = f"{self.question}: {text}"
        return f"{where}: {text}" if where else text


class QuestionResult(_Result):
    __slots__ = ("status", "value", "non_answer", "suggested", "missing_categories", "waiting_for")
    _fields = (
        ("status", _REQUIRED),
        ("value", None),
        ("non_answer", None),
        ("suggested", None),
        ("missing_categories", ()),
        ("waiting_for", ()),
    )
    status: str
    value: Any
    non_answer: str | None  # n/a, not_recorded, missing, not_applicable, incomplete
    suggested: Any
    missing_categories: tuple[str, ...]  # per category: the categories that apply but are not answered
    waiting_for: tuple[str, ...]  # a judgement the rules work out: the answers it still needs

    def __init__(
        self,
        status: str,
        value: Any = None,
        non_answer: str | None = None,
        suggested: Any = None,
        missing_categories: tuple[str, ...] = (),
        waiting_for: tuple[str, ...] = (),
    ) -> None:
        set_ = _BIND(self)  # object.__setattr__, bound once (as attrs does)
        set_("status", status)
        set_("value", value)
        set_("non_answer", non_answer)
        set_("suggested", suggested)
        set_("missing_categories", missing_categories)
        set_("waiting_for", waiting_for)


_NOT_APPLICABLE_RESULT = QuestionResult(NOT_APPLICABLE, None, "not_applicable")


class JudgementAid(_Result):
    """What an inspector weighs for one summary judgement: the tally and any overriding factor."""

    __slots__ = ("question", "tally", "overriding")
    _fields = (("question", _REQUIRED), ("tally", _REQUIRED), ("overriding", ()))
    question: str
    tally: Mapping[str, Mapping[str, int]]
    overriding: tuple[str, ...]

    def __init__(self, question: str, tally: Mapping[str, Mapping[str, int]], overriding: tuple[str, ...] = ()) -> None:
        set_ = _BIND(self)  # object.__setattr__, bound once (as attrs does)
        set_("question", question)
        set_("tally", tally)
        set_("overriding", overriding)


class CaseResult(_Result):
    """Everything the engine found for one case.

    ``questions`` maps each question id to its status (``answered``, ``not_applicable``, ``missing``,
    ``derived``) and value; ``judgements`` holds every summary judgement and case score; ``errors`` and
    ``warnings`` are messages each naming its question; ``in_sample`` is False (with ``excluded_reason``)
    for a case the edition's sample rules leave out.
    """

    __slots__ = (
        "edition",
        "case_id",
        "questions",
        "judgements",
        "errors",
        "warnings",
        "in_sample",
        "sample_undecided",
        "excluded_reason",
        "aids",
        "not_applicable_answers",
        "notes",
        "score_status",
        "source",
        "edition_version",
    )
    _fields = (
        ("edition", _REQUIRED),
        ("case_id", _REQUIRED),
        ("questions", _REQUIRED),
        ("judgements", _REQUIRED),
        ("errors", _REQUIRED),
        ("warnings", _REQUIRED),
        ("in_sample", True),
        ("sample_undecided", ()),
        ("excluded_reason", None),
        ("aids", _MADE),
        ("not_applicable_answers", ()),
        ("notes", _MADE),
        ("score_status", _MADE),
        ("source", None),
        ("edition_version", None),
    )
    edition: str
    case_id: str | None
    questions: Mapping[str, QuestionResult]
    judgements: Mapping[str, Any]
    errors: tuple[Message, ...]
    warnings: tuple[Message, ...]
    in_sample: bool
    sample_undecided: tuple[str, ...]  # sample rules that cannot be decided until more is answered
    excluded_reason: str | None
    aids: Mapping[str, JudgementAid]
    not_applicable_answers: tuple[str, ...]
    notes: Mapping[str, str]
    score_status: Mapping[str, str]  # case score id -> met / not_met / not_applicable / undecided
    source: str | None
    edition_version: str | None  # the version of the edition that assessed the case

    def __init__(
        self,
        edition: str,
        case_id: str | None,
        questions: Mapping[str, QuestionResult],
        judgements: Mapping[str, Any],
        errors: tuple[Message, ...],
        warnings: tuple[Message, ...],
        in_sample: bool = True,
        sample_undecided: tuple[str, ...] = (),
        excluded_reason: str | None = None,
        aids: Mapping[str, JudgementAid] = _MADE,
        not_applicable_answers: tuple[str, ...] = (),
        notes: Mapping[str, str] = _MADE,
        score_status: Mapping[str, str] = _MADE,
        source: str | None = None,
        edition_version: str | None = None,
    ) -> None:
        set_ = _BIND(self)  # object.__setattr__, bound once (as attrs does)
        set_("edition", edition)
        set_("case_id", case_id)
        set_("questions", questions)
        set_("judgements", judgements)
        set_("errors", errors)
        set_("warnings", warnings)
        set_("in_sample", in_sample)
        set_("sample_undecided", sample_undecided)
        set_("excluded_reason", excluded_reason)
        set_("aids", {} if aids is _MADE else aids)
        set_("not_applicable_answers", not_applicable_answers)
        set_("notes", {} if notes is _MADE else notes)
        set_("score_status", {} if score_status is _MADE else score_status)
        set_("source", source)
        set_("edition_version", edition_version)

    @property
    def ok(self) -> bool:
        """True when the case has no errors (warnings allowed)."""
        return not self.errors

    def to_dict(self, redact: frozenset[str] = frozenset(), redact_notes: bool = False) -> dict[str, Any]:
        """Plain data, in the contract's shape (``redact``: ids whose values are withheld; ``redact_notes``: notes' text)."""
        questions = {}
        for qid, r in self.questions.items():
            value = r.value
            if isinstance(value, dt.date):
                value = value.isoformat()
            if qid in redact and value is not None:
                value = "[withheld: personal data]"
            entry: dict[str, Any] = {"status": r.status, "value": value}
            if r.non_answer:
                entry["non_answer"] = r.non_answer
            if r.suggested is not None:
                entry["suggested"] = r.suggested.isoformat() if isinstance(r.suggested, dt.date) else r.suggested
            if r.missing_categories:
                entry["missing_categories"] = list(r.missing_categories)
            if r.waiting_for:
                entry["waiting_for"] = list(r.waiting_for)
            questions[qid] = entry
        return {
            "edition": self.edition,
            "edition_version": self.edition_version,
            "case_id": self.case_id,
            "source": self.source,
            "in_sample": self.in_sample,
            "sample_undecided": list(self.sample_undecided),
            "excluded": self.excluded_reason,
            "questions": questions,
            "judgements": dict(self.judgements),
            "score_status": dict(self.score_status),
            "aids": {
                qid: {"tally": {w: dict(t) for w, t in aid.tally.items()}, "overriding": list(aid.overriding)}
                for qid, aid in self.aids.items()
            },
            "not_applicable_answers": list(self.not_applicable_answers),
            "notes": {qid: "[withheld]" if redact_notes else text for qid, text in self.notes.items()},
            "errors": [m.to_dict() for m in self.errors],
            "warnings": [m.to_dict() for m in self.warnings],
        }


_IN, _GATE, _ENTRY, _SCORE = 3, 0, 1, 2  # the kinds of step in a settled plan


def _plan_steps(plan: list[tuple[Any, ...]]) -> tuple[list[tuple[Any, ...]], int]:
    """The plan as steps, each settling every question that takes the same applicability at once.

    A condition shared by several questions is worked out once, where the first of them comes (what it reads
    is settled by then), and decides at once each of them with no enclosing condition and no derived value;
    those with the same enclosing condition as well are decided together where the first of them comes (the
    enclosing one is settled by then); a question whose only condition is its enclosing one's applies exactly
    when that one does, and is decided with it. A derived value is a step of its own. Each step is
    ``(kind, closure, slot, id, ids decided with it, enclosing id, derived value's closure, case score)``, a
    shared condition's result kept in its slot for the steps after it.
    """
    in_plan = {entry[0] for entry in plan if entry[5] is None}
    together: dict[tuple[Any, Any], list[str]] = {}  # (condition text, enclosing id) -> the questions they decide
    followers: dict[str, list[str]] = {}  # question -> the questions inside it with no condition of their own
    for qid, _cond, key, parent, derive, score in plan:
        if score is not None or derive is not None:
            continue
        if key is None and parent is not None and parent in in_plan:
            followers.setdefault(parent, []).append(qid)
        elif key is not None:
            together.setdefault((key, parent), []).append(qid)
    absorbed = {qid for ids in followers.values() for qid in ids} | {qid for ids in together.values() for qid in ids[1:]}
    slots: dict[str, int] = {}
    steps: list[tuple[Any, ...]] = []
    for qid, cond, key, parent, derive, score in plan:
        if score is not None:
            steps.append((_SCORE, None, -1, qid, [], None, None, score))
            continue
        if qid in absorbed:
            continue
        slot = -1
        if cond is not None:
            if key not in slots:
                slots[key] = len(slots)
                steps.append((_GATE, cond, slots[key], None, together.get((key, None), []), None, None, None))
            slot = slots[key]
            if parent is None and derive is None:
                continue  # decided by its condition's step
        decided = [] if derive is not None else together.get((key, parent), [qid])[1:]
        steps.append((_ENTRY, None, slot, qid, decided, parent, derive, None))
    # each question decided takes along those inside it that have no condition of their own
    for step in steps:
        own = [step[3]] if step[3] is not None else []
        for qid in own + list(step[4]):
            step[4].extend(followers.get(qid, ()))
    return [(kind, run, slot, qid, tuple(ids), *rest) for kind, run, slot, qid, ids, *rest in steps], len(slots)


def plain_plan(engine: Engine) -> Any:
    """The plan as one function, ``settle(env, vals, na, scores)``, that walks it step by step.

    No source is generated and nothing is executed but the rules' own compiled closures: a condition shared
    by several questions is worked out once per case, and decides them all at once (see ``_plan_steps``).
    ``na`` is filled in the order the steps decide, not the plan's: ``Engine.plan_position`` gives the order."""
    to_answer, compute_score = engine.to_answer, engine.compute_score
    steps, n_slots = _plan_steps(engine.plan)
    no_slots = [None] * n_slots
    # a condition that is one answer against constants (``Q == "yes"``, ``Q in [...]``: its compiled closure
    # names the test) is read in the walk itself, as that closure would read it, without a call
    decides: list[tuple[str, ...]] = [()] * n_slots  # by slot: the ids a test decides (read when it is not true)
    # each step as four fields, the fewer to unpack on each: a test ``(_IN, id read, codes that pass, slot)``, a
    # gate ``(_GATE, closure, slot, ids decided)``, a question ``(_ENTRY, slot, id, (ids decided with it,
    # enclosing id, derived value's closure))`` and a case score ``(_SCORE, id, score, None)``
    walk: list[tuple[Any, ...]] = []
    for kind, run, slot, qid, decided, parent, derive, score in steps:
        if kind == _GATE:
            read, codes, negated = getattr(run, "test", (None, None, True))  # a negated one keeps its closure
            if not negated:
                decides[slot] = decided
                walk.append((_IN, read, codes, slot))
            else:
                walk.append((kind, run, slot, decided))
        elif kind == _SCORE:
            walk.append((kind, qid, score, None))
        else:
            walk.append((kind, slot, qid, (decided, parent, derive)))

    def settle(env: Any, vals: dict[str, Any], na: dict[str, Any], scores: dict[str, Any]) -> None:
        results = no_slots.copy()  # each shared condition's result, by slot
        pop, get = vals.pop, vals.get
        for kind, a, b, c in walk:
            if kind == _IN:  # a: the id the condition reads, b: the values that make it true, c: its slot
                applies = get(a, UNKNOWN)
                if applies is not UNKNOWN:
                    if applies in b:
                        results[c] = True
                        continue
                    applies = False
                results[c] = applies
                ids = decides[c]
            elif kind == _GATE:  # a: the condition's closure, b: its slot, c: the ids it decides
                applies = a(env)
                if applies is not True and applies is not False:
                    applies = truth(applies)
                results[b] = applies
                if applies is True:
                    continue
                ids = c
            elif kind == _SCORE:  # a: the score's id, b: the score
                v = compute_score(b, env)
                scores[a] = v
                vals[a] = UNKNOWN if v is None else v
                continue
            else:
                decided, parent, derive = c  # a: the slot of the question's condition (-1: none), b: its id
                applies = True if a < 0 else results[a]
                if parent is not None:
                    above = na.get(parent, True)
                    if above is False or (above is UNKNOWN and applies is True):
                        applies = above
                if applies is not True:
                    na[b] = applies
                    for q in decided:
                        na[q] = applies
                    if applies is False:
                        pop(b, None)
                        for q in decided:
                            pop(q, None)
                        continue
                if derive is not None:
                    v = derive(env)
                    if v is True or v is False:
                        v = to_answer(b, v)
                    if v is UNKNOWN:
                        pop(b, None)
                    else:
                        vals[b] = v
                continue
            # a condition that does not hold, or cannot be told: the questions it decides
            if applies is False:
                for q in ids:
                    na[q] = False
                    pop(q, None)
            else:
                for q in ids:
                    na[q] = applies

    return settle


class _Env:
    """The answers of one case as the rules see them.

    Built eagerly: the engine's plan lists every conditional question, derived value and case score in an
    order where each comes after what it depends on, so one pass settles applicability (``na``: ids that
    do not apply, or whose applicability is unknown), derived values and scores, and every rule then reads
    plain values from ``vals``.
    """

    __slots__ = ("engine", "answers", "vals", "na", "scores")

    def __init__(self, engine: Engine, answers: dict[str, Any], settle: Callable[..., None] | None = None):
        """``settle``: a part of the engine's plan to walk instead of the whole (what a few rules read)."""
        self.engine = engine
        self.answers = answers
        vals = self.vals = dict(answers)
        na: dict[str, Any] = {}
        self.na = na
        scores: dict[str, Any] = {}
        self.scores = scores
        (settle or engine.settle)(self, vals, na, scores)

    def applies(self, qid: str) -> Any:
        return self.na.get(qid, True)

    def value(self, qid: str) -> Any:
        return self.vals.get(qid, UNKNOWN)

    def answered(self, qid: str) -> bool:
        return self.answers.get(qid) is not None

    def score(self, sid: str) -> Any:
        return self.scores.get(sid)


def _what_it_reads(expr: Expression, env: _Env) -> str:
    """``A = yes, B = unanswered``: the answers a rule read, for messages and explanations."""
    return ", ".join(f"{r} = {'unanswered' if (v := env.value(r)) is UNKNOWN else v}" for r in sorted(expr.reads))


def _by_members(members: tuple[tuple[str, frozenset[str] | None], ...], na: dict, vals: dict, scores: dict) -> Any:
    """A case score from its members' settled applicability, values and scores (see ``Engine._members``)."""
    any_applicable = unknown = False
    for member, favourable in members:
        if favourable is None:  # a case score below this one
            v = scores.get(member)
            if v is None:
                continue
            if v is UNKNOWN:
                unknown = True
                continue
            if v != MET:
                return NOT_MET
            any_applicable = True
            continue
        if na.get(member, True) is False:
            continue
        v = vals.get(member, UNKNOWN)
        if v is UNKNOWN:
            unknown = True
            continue
        if v.__class__ is str:  # the common answer: a code, or n/a that does not count
            if v == NA:
                continue
            if v not in favourable:
                return NOT_MET
            any_applicable = True
            continue
        ok = sufficiency(v, favourable)
        if ok is None:
            continue
        if not ok:
            return NOT_MET
        any_applicable = True
    return UNKNOWN if unknown else MET if any_applicable else None


class Evaluation:
    """One case checked and its rules settled (what ``rate`` counts from)."""

    __slots__ = (
        "case_id",
        "answers",
        "not_recorded",
        "notes",
        "env",
        "errors",
        "warnings",
        "in_sample",
        "reason",
        "suggested",
        "incomplete",
        "undecided",
    )

    def __init__(
        self,
        case_id: str | None,
        answers: dict[str, Any],
        not_recorded: set[str],
        notes: dict[str, str],
        env: _Env,
        errors: list[Message],
        warnings: list[Message],
        in_sample: bool = True,
        reason: str | None = None,
        suggested: dict[str, Any] | None = None,
        incomplete: dict[str, tuple[str, ...]] | None = None,
        undecided: tuple[str, ...] = (),
    ):
        self.case_id = case_id
        self.answers = answers
        self.not_recorded = not_recorded
        self.notes = notes
        self.env = env
        self.errors = errors
        self.warnings = warnings
        self.in_sample = in_sample
        self.reason = reason
        self.suggested = suggested or {}
        self.incomplete = incomplete or {}  # per-category answers with categories that apply left unanswered
        self.undecided = undecided  # ids of sample rules that cannot be decided from the answers given

    def outcome(self, qid: str, partial: bool = False) -> Any:
        """A question's value for counting: NOT_APPLICABLE, None (missing), or the value (n/a included).

        A per-category answer with a category that applies left unanswered counts as missing, unless
        ``partial`` asks for what was answered (tallies of each category's answer).
        """
        env = self.env
        if env.na.get(qid, True) is False:
            return NOT_APPLICABLE
        if qid in self.incomplete and not partial:
            return None
        v = self.answers.get(qid)
        if v is None and qid in env.engine.derives:
            v = env.vals.get(qid)
            return None if v is UNKNOWN else v
        return v

    def judgements(self) -> dict[str, Any]:
        """The inspector's summary judgements and the case scores the rules compute."""
        engine = self.env.engine
        out: dict[str, Any] = {}
        for summary in engine.summaries:
            v = self.outcome(summary.id)
            out[summary.id] = None if v is NOT_APPLICABLE else v
        for sid, v in self.env.scores.items():
            out[sid] = None if v is UNKNOWN else v
        return out

    def score_status(self) -> dict[str, str]:
        """Each case score's result as a status: a value, ``not_applicable`` (nothing it rests on applies) or
        ``undecided`` (an answer it needs is missing), so that a null judgement says which it is."""
        return {
            sid: "undecided" if v is UNKNOWN else "not_applicable" if v is None else str(v) for sid, v in self.env.scores.items()
        }


class Engine:
    """A framework made ready to assess many cases fast (everything per-question is precomputed)."""

    def __init__(self, framework: Framework):
        self.framework = framework
        items = framework.items
        self.items = items
        self.case_items = [i for i in items.values() if i.per_case]
        self.validators = {i.id: i.answer.make_validator() for i in self.case_items if i.answer is not None}
        # headings may carry a condition too: it covers every question under them
        self.conditions: dict[str, Expression] = {
            i.id: i.condition for i in items.values() if i.condition is not None and (i.per_case or i.kind is None)
        }
        # a question inside a heading or question whose own condition is false does not apply either
        self.condition_parent: dict[str, str] = {}
        for item in items.values():
            p = item.parent
            while p is not None:
                parent = items[p]
                if p in self.conditions:
                    self.condition_parent[item.id] = p
                    break
                p = parent.parent
        self.derives = {i.id: i.derive for i in self.case_items if i.derive is not None}
        self.suggests = {i.id: i.suggest for i in self.case_items if i.suggest is not None}
        self.summaries = [i for i in self.case_items if i.kind == "summary"]
        self.weighs = {s.id: self._weighed(s) for s in self.summaries}
        # primary (linked) questions first, so tallies read in order of weight
        self.weighs_sorted = {
            sid: tuple(sorted(ids, key=lambda q: items[q].weight == "secondary")) for sid, ids in self.weighs.items()
        }
        self.score_by_id = {s.id: s for s in framework.scoring.case_scores}
        self.sufficient = framework.scoring.sufficient
        # what makes each question sufficient for a case score: its declared direction, else the scoring's default
        default = self.sufficient | {MET}
        self.favourable = {i.id: i.favourable(default) for i in items.values()}
        self._case_members = self._members()
        self.category_conditions = {
            i.id: [(c.code, c.condition) for c in i.answer.categories if c.condition is not None]
            for i in self.case_items
            if i.answer is not None and i.answer.categories
        }
        self.categories = {
            i.id: [(c.code, c.condition) for c in i.answer.categories]
            for i in self.case_items
            if i.answer is not None and i.answer.categories
        }
        self.known_ids = list(items)
        self.score_level = {s.id: self._level(s.id, set()) for s in framework.scoring.case_scores}
        self.plan = self._plan()
        self.plan_position = {entry[0]: n for n, entry in enumerate(self.plan) if entry[5] is None}
        self.settle = plain_plan(self)
        # every id a condition, derived value or case score reads: answering anything else changes nothing else
        self.rule_inputs = frozenset(r for e in (*self.conditions.values(), *self.derives.values()) for r in e.reads) | frozenset(
            m for score in self.score_by_id.values() for m in score.of
        )
        self.overridable = [s for s in self.summaries if s.overriding]
        self._unanswerable: dict[str, str] = {}  # id -> why it takes no answer (the same for every case)
        # the rules' compiled closures, called directly on the hot path (not through Expression.__call__)
        self._sample_runs = [(rule, rule.exclude_when.run) for rule in framework.sample]
        # a condition that several checks and overriding factors open with (``A and ...``, the same A; the four
        # most shared) is worked out once a case, before the checks: a rule that opens with A holds only where A
        # holds, and there as the rest of it gives. The checks and the factors are listed for each combination of
        # those conditions holding (a bit each), leaving out the rules whose opening condition does not hold and
        # with only the rest of those whose does: a case walks the lists its conditions pick
        rules = [check.when for check in framework.checks] + [o.when for s in self.overridable for o in s.overriding]
        openings = {id(rule): opening(rule) for rule in rules}
        opened = Counter(found[0] for found in openings.values() if found is not None)
        bits = {key: 1 << n for n, (key, count) in enumerate(opened.most_common(4)) if count > 1}
        self._openings: list[tuple[int, Callable[[Any], Any]]] = []  # (bit, closure) of each shared opening condition

        def step_of(rule: Expression) -> tuple[int, Callable[[Any], Any]]:
            """``(bit of its shared opening condition, the closure of the rest)``, or ``(0, the whole rule)``."""
            found = openings[id(rule)]
            if found is None or found[0] not in bits:
                return 0, rule.run
            bit = bits[found[0]]
            first, rest = found[1]()
            if all(b != bit for b, _ in self._openings):
                self._openings.append((bit, first))
            return bit, rest

        # each check's message is the same for every case it holds in: made once (messages are frozen)
        checks = [
            (*step_of(check.when), check.severity == "error", check.question, Message(check.question, check.message, check.id))
            for check in framework.checks
        ]
        self._check_steps = [[(run, *rest) for bit, run, *rest in checks if bit & mask == bit] for mask in range(1 << len(bits))]
        self._error_check_steps = [[step for step in steps if step[1]] for steps in self._check_steps]
        # what the rules suggest: (id, compiled closure, whether True/False read as yes/no)
        self._suggest_steps = [(qid, expr.run, self._yes_no(qid)) for qid, expr in self.suggests.items()]
        self._suggestion_texts: dict[tuple[str, str, str], Message] = {}  # (id, given, suggested) -> its warning
        # each overriding factor as its sentence inside the warning (no full stop: it would read ".;") and its closure
        # (by the shared opening conditions that hold, as the checks are; a summary with none left is left out)
        factors = [(s.id, [(o.message.strip().rstrip("."), *step_of(o.when)) for o in s.overriding]) for s in self.overridable]
        self._override_steps = [
            [(sid, found) for sid, of in factors if (found := tuple((t, run) for t, bit, run in of if bit & mask == bit))]
            for mask in range(1 << len(bits))
        ]
        self._override_texts: dict[tuple[str, ...], Message] = {}  # (summary, factors...) -> its warning
        # per-category answers: each category's condition as a slot, one per condition text, so that a condition
        # several questions share (the same list of categories) is worked out once per case; one that reads a
        # per-category answer (which changes as the categories that do not apply are taken out) has none
        slot_of: dict[str, int] = {}

        def slot(cond: Expression | None) -> int | None:
            if cond is None or not cond.reads.isdisjoint(self.categories):
                return None
            return slot_of.setdefault(cond.text, len(slot_of))

        self._category_steps = [
            (qid, tuple((code, cond, slot(cond)) for code, cond in cats)) for qid, cats in self.categories.items()
        ]
        self._category_slots: list[Any] = [_UNSET] * len(slot_of)
        self.judged_scores = [
            s for s in framework.scoring.case_scores if s.judgement is not None and self.score_level[s.id] == "case"
        ]
        # a question that is a case score's own judgement: left unanswered, the rules' result stands for it
        self.judged_questions = {s.judgement: s for s in self.judged_scores}
        self._rechecks = self._recheck_plan()
        # fast validation: answers to one-choice questions are checked by set membership (derived ones are
        # never answered, so they always take the slow path and its warning)
        self.allowed: dict[str, frozenset[str]] = {
            i.id: frozenset(i.answer.codes + (("n/a",) if i.answer.na else ()))
            for i in self.case_items
            if i.answer is not None and i.answer.name in ("yes_no", "choice", "rating") and i.derive is None
        }
        # every answerable id: its codes where it has one code, any text where text of any length is its answer
        # as it is (not derived: an answer to that is warned about), else nothing (what its validator settles)
        self._codes_of: dict[Any, Any] = (
            {qid: () for qid in self.validators}
            | self.allowed
            | {
                i.id: _ANY_TEXT
                for i in self.case_items
                if i.answer is not None and i.answer.name == "text" and i.answer.max_words is None and i.derive is None
            }
        )

    def _plan(self) -> list[tuple[Any, ...]]:
        """Conditional questions, derived values and case scores, each after everything it depends on.

        Nodes are ``("q", id)`` for a question or heading and ``("s", id)`` for a case score (a criterion may
        be both: the inspector's judgement and the score the rules compute, which rules then read).
        """
        # in the definition's order, so that the plan (and what follows its order) is the same in every process
        scores = dict.fromkeys(sid for sid, level in self.score_level.items() if level == "case")

        def node(ref: str) -> tuple[str, str]:
            return ("s", ref) if ref in scores else ("q", ref)

        deps: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for qid, cond in self.conditions.items():
            deps.setdefault(("q", qid), set()).update(node(r) for r in cond.reads)
        for qid, parent in self.condition_parent.items():
            deps.setdefault(("q", qid), set()).add(("q", parent))
        for qid, derive in self.derives.items():
            deps.setdefault(("q", qid), set()).update(node(r) for r in derive.reads)
        for sid in scores:
            deps.setdefault(("s", sid), set()).update(node(m) for m in self.score_by_id[sid].of)
        for sid in scores:
            if ("q", sid) in deps:
                deps[("s", sid)].add(("q", sid))
        order: list[tuple[str, str]] = []
        state: dict[tuple[str, str], int] = {}

        def visit(n: tuple[str, str]) -> None:
            if state.get(n):  # done, or a cycle (refused when the definition loads)
                return
            state[n] = 1
            for d in sorted(deps.get(n, ())):
                if d in deps:
                    visit(d)
            order.append(n)

        for n in list(deps):
            visit(n)
        plan: list[tuple[Any, ...]] = []
        for kind, ref in order:
            if kind == "s":
                plan.append((ref, None, None, None, None, self.score_by_id[ref]))
            elif ref in self.items:
                cond, derive = self.conditions.get(ref), self.derives.get(ref)
                plan.append(
                    (
                        ref,
                        cond.run if cond is not None else None,  # the compiled closure, called directly
                        cond.text if cond is not None else None,
                        self.condition_parent.get(ref),
                        derive.run if derive is not None else None,
                        None,
                    )
                )
        return plan

    def _level(self, sid: str, seen: set[str]) -> str:
        """``inspection`` when every question a score rests on is answered per inspection, else ``case``."""
        seen.add(sid)
        levels = set()
        for member in self.score_by_id[sid].of:
            if member in self.score_by_id:
                if member not in seen:
                    levels.add(self._level(member, seen))
            elif member in self.items and self.items[member].answer is not None:
                levels.add("inspection" if self.items[member].kind == "inspection" else "case")
        return "inspection" if levels == {"inspection"} else "case"

    def _weighed(self, summary: Item) -> tuple[str, ...]:
        if summary.weighs:
            return summary.weighs
        siblings = self.items[summary.parent].children if summary.parent else ()
        return tuple(s for s in siblings if s != summary.id and self.items[s].per_case and self.items[s].kind != "summary")

    def _yes_no(self, qid: str) -> bool:
        """Whether the question is answered yes or no (a rule's true or false then reads as yes or no)."""
        item = self.items.get(qid)
        return item is not None and item.answer is not None and item.answer.name == "yes_no"

    def to_answer(self, qid: str, value: Any) -> Any:
        """A derived value in the question's own terms (a yes/no question gets yes or no)."""
        if (value is True or value is False) and self._yes_no(qid):
            return "yes" if value else "no"
        return value

    # -- case scores
    def compute_score(self, score: CaseScore, env: Any, level: str = "case") -> Any:
        """``all_met``: met when every applicable member is sufficient; None when none applies.

        ``level`` is ``case`` (members answered per case) or ``inspection`` (members answered in the
        inspection file): the same rule serves criteria judged case by case and once per inspection.
        """
        judgement = score.judgement
        if judgement is not None:
            given = env.answers.get(judgement)
            if given in (MET, NOT_MET):
                return given
        members = self._case_members.get(score.id) if level == "case" else None
        if members is not None:
            return _by_members(members, env.na, env.vals, env.scores)
        return self.by_indicators(score, env, level)

    def by_indicators(self, score: CaseScore, env: Any, level: str = "case") -> Any:
        """A case score as its members give it, whatever the inspector judged (see :meth:`compute_score`).

        Per case, ``env`` holds the settled ``na``, ``vals`` and ``scores`` as :class:`_Env` does, and each
        score's members are read from the list made for it once (:meth:`_members`)."""
        members = self._case_members.get(score.id) if level == "case" else None
        if members is not None:
            return _by_members(members, env.na, env.vals, env.scores)
        any_applicable = False
        unknown = False
        for member in score.of:
            if member in self.score_by_id:
                v = env.score(member)
                if v is None:
                    continue
                if v is UNKNOWN:
                    unknown = True
                    continue
                any_applicable = True
                if v != MET:
                    return NOT_MET
                continue
            item = self.items[member]
            if item.answer is None or (item.per_case if level == "inspection" else not item.per_case):
                continue
            if env.applies(member) is False:
                continue
            v = env.value(member)
            if v is UNKNOWN:
                unknown = True
                continue
            ok = sufficiency(v, self.favourable[member])
            if ok is None:
                continue
            any_applicable = True
            if not ok:
                return NOT_MET
        if unknown:
            return UNKNOWN
        return MET if any_applicable else None

    def _members(self) -> dict[str, tuple[tuple[str, frozenset[str] | None], ...]]:
        """Each case score's members that count per case, in order: ``(id, favourable answers)``, or
        ``(id, None)`` for a case score below it."""
        out: dict[str, tuple[tuple[str, frozenset[str] | None], ...]] = {}
        for sid, score in self.score_by_id.items():
            members: list[tuple[str, frozenset[str] | None]] = []
            for member in score.of:
                if member in self.score_by_id:
                    members.append((member, None))
                    continue
                item = self.items[member]
                if item.answer is not None and item.per_case:
                    members.append((member, self.favourable[member]))
            out[sid] = tuple(members)
        return out

    def _recheck_plan(self) -> list[tuple[CaseScore, str, Any, dict[str, Message]]]:
        """Each criterion the inspector may judge: ``(score, judgement, members, warning by judgement)``.

        Its result by its indicators is what its members (and the scores and rules below them) give, which the
        case's settled rules hold already (``members``: its own, as :meth:`_members` lists them); the rules are
        settled again without the judgement (``members`` is None) only where something it rests on reads the
        judgement itself, or reads a per-category answer (whose categories that do not apply are taken out only
        after the rules are settled)."""
        reread = {qid for qid, conds in self.category_conditions.items() if conds}
        out: list[tuple[CaseScore, str, Any, dict[str, Message]]] = []
        for score in self.judged_scores:
            judgement = score.judgement
            if judgement is None:
                continue
            answers_read: set[str] = set()  # the answers the score's indicators rest on, as given
            seen: set[tuple[str, bool]] = set()
            todo = [(m, v) for m in score.of for v in (True, False)]  # (id, its value or else its applicability)
            while todo:
                ref, value = todo.pop()
                if (ref, value) in seen:
                    continue
                seen.add((ref, value))
                if value:
                    answers_read.add(ref)
                    todo.append((ref, False))
                    below = self.score_by_id.get(ref)
                    if below is not None:
                        todo.extend((m, v) for m in below.of for v in (True, False))
                        if below.judgement is not None:
                            answers_read.add(below.judgement)
                    expr = self.derives.get(ref)
                else:
                    expr = self.conditions.get(ref)
                    parent = self.condition_parent.get(ref)
                    if parent is not None:
                        todo.append((parent, False))
                if expr is not None:
                    todo.extend((r, True) for r in expr.reads)
            # the warning for a judgement its indicators disagree with, one each way (the same for every case)
            disagrees = {
                given: Message(judgement, f"judged {given}, but by its indicators it is {other}; add a note saying why")
                for given, other in ((MET, NOT_MET), (NOT_MET, MET))
            }
            settle_again = judgement in answers_read or not answers_read.isdisjoint(reread)
            out.append((score, judgement, None if settle_again else self._case_members[score.id], disagrees))
        return out

    # -- one case
    def evaluate(self, case: Any, line_of: Any = None, warn: bool = True, from_json: bool = False) -> Evaluation:
        """Check one case and settle its rules: errors, warnings, the sample, applicability and values.

        This is all ``rate`` needs; :meth:`assess` adds the per-question view and the judgement aids.
        ``line_of(keys)`` may give the file line of a key path, for messages about YAML files.
        ``warn=False`` is for a caller that reports no warnings (``export``): it skips the work whose only
        result is a warning or a suggestion (what the rules suggest, warning-level checks, overriding factors,
        a judgement against its indicators, which settles the rules again for each such judgement), so the
        errors, the sample, applicability, derived values and scores are the same and only some warnings
        and the suggestions are left out.
        ``from_json=True`` says the case was parsed from JSON text (as ``rate`` reads a JSON Lines file): its text
        is then all of class str, never a subclass, so an answer equal to one of its question's codes is that
        code, and the check for a subclass is skipped. Anything else gives the same result either way.
        """
        fw = self.framework
        errors: list[Message] = []
        warnings: list[Message] = []

        def where(*keys: Any) -> int | None:
            return line_of(keys) if line_of is not None else None

        if not isinstance(case, dict):
            errors.append(
                Message(None, f"a case is a mapping with schema, edition, case_id and answers, not {type(case).__name__}")
            )
            return Evaluation(None, {}, set(), {}, _Env(self, {}), errors, warnings)
        if case.get("kind") == "inspection":
            errors.append(
                Message(None, "an inspection file, not a case: give it to rate with --inspection (or name it inspection.yaml)")
            )
            return Evaluation(None, {}, set(), {}, _Env(self, {}), errors, warnings)
        if len(case) > len(CASE_KEYS) or not case.keys() <= _CASE_KEY_SET:
            for key in case:
                if key not in _CASE_KEY_SET:
                    hint = suggestion(str(key), CASE_KEYS)
                    errors.append(
                        Message(
                            None,
                            f"unknown top-level key {key!r}" + (f"; {hint}" if hint else f"; allowed: {', '.join(CASE_KEYS)}"),
                            line=where(key),
                        )
                    )
        schema = case.get("schema", 1)
        if schema != 1:
            errors.append(Message(None, f"schema {safe_repr(schema)} is not one this version reads (1)", line=where("schema")))
        edition = case.get("edition")
        if edition is not None and edition != fw.edition:
            what = f"edition {edition!r}" if isinstance(edition, str) else f"an edition that is not text ({safe_repr(edition)})"
            migrate = any(s.edition == edition for s in fw.supersedes)
            errors.append(
                Message(
                    None,
                    f"this case is for {what}, not {fw.edition!r}"
                    + (
                        f"; {fw.edition} supersedes it: inspectkit migrate --to {fw.edition} rewrites the case" if migrate else ""
                    ),
                    line=where("edition"),
                )
            )
        version = case.get("edition_version")
        if version is not None and edition == fw.edition and str(version) != fw.version:
            migrate = any(s.edition == fw.edition and s.version in (None, str(version)) for s in fw.supersedes)
            warnings.append(
                Message(
                    None,
                    f"{OTHER_VERSION} {version} of {fw.edition}; this is version {fw.version}"
                    + (f" (inspectkit migrate --to {fw.edition} rewrites it)" if migrate else ""),
                    line=where("edition_version"),
                )
            )
        case_id = case_id_text(case.get("case_id"))
        if case_id is None:
            errors.append(Message(None, "case_id is missing: give each case an id unique within the inspection"))
        elif isinstance(case_id, Exception):
            errors.append(Message(None, str(case_id), line=where("case_id")))
            case_id = None
        raw_answers = case.get("answers") or {}
        if not isinstance(raw_answers, dict):
            errors.append(Message(None, "answers must be a mapping of question id -> value"))
            raw_answers = {}
        history = case.get("history")
        if history is not None and not isinstance(history, list):
            errors.append(
                Message(None, "history must be a list of changes (when, question, old, new, why)", line=where("history"))
            )
        notes = case.get("notes") or {}
        if not isinstance(notes, dict):
            errors.append(Message(None, "notes must be a mapping of question id -> text"))
            notes = {}
        elif notes:
            notes = {str(k): str(v) for k, v in notes.items()}

        validators = self.validators
        allowed = self.allowed
        derives = self.derives
        not_recorded: set[str] = set()
        # the common cases, a valid code for a one-choice question and text where any text will do, are checked
        # by membership in one pass; everything else (numbers, lists, dates, and anything wrong) goes through
        # its validator
        codes_of = self._codes_of
        try:
            if from_json:  # no subclass of str: a value equal to a code is one (a number, true or null is not)
                slow = [k for k, v in raw_answers.items() if v not in codes_of[k]]
            else:
                slow = [k for k, v in raw_answers.items() if v not in codes_of[k] or v.__class__ is not str]
        except (KeyError, TypeError):  # an id no question has, or a list or mapping where one code belongs
            allowed_for = allowed.get
            slow = [k for k, v in raw_answers.items() if v.__class__ is not str or v not in allowed_for(k, _NO_CODES)]
        # each answer checked is put back in its own place, or taken out: the answers stay a compact table,
        # which the rules' copy of them clones whole
        answers: dict[str, Any] = dict(raw_answers)
        moved: set[str] | None = None  # ids given under a key that is not text (YAML's 1:), answered as its text
        for key in slow:
            value = raw_answers[key]
            if key.__class__ is str:
                qid = key
            else:
                qid = str(key)
                del answers[key]
            validate = validators.get(qid)
            if validate is None:
                text = self._unanswerable.get(qid)
                if text is None:  # worked out once per id: finding the nearest question's name is slow
                    text = self._not_answerable(qid, self.items.get(qid))
                    if len(self._unanswerable) < 4096:
                        self._unanswerable[qid] = text
                errors.append(Message(qid, text, line=where("answers", key)))
            elif value is None:
                not_recorded.add(qid)
            elif qid in derives:
                warnings.append(
                    Message(
                        qid,
                        f"{qid} is worked out by the rules ({self._in_words(qid)}); the answer given is ignored",
                        line=where("answers", key),
                    )
                )
            else:
                try:
                    answers[qid] = validate(value)
                except InvalidAnswer as exc:
                    errors.append(Message(qid, str(exc), line=where("answers", key)))
                else:
                    if key is not qid:
                        moved = moved or set()
                        moved.add(qid)
                    continue
            if key is qid and (moved is None or qid not in moved):
                del answers[qid]
        for qid in notes:
            if qid not in self.items and qid not in self.score_by_id:
                hint = suggestion(qid, self.known_ids)
                errors.append(
                    Message(
                        qid,
                        f"a note on {qid}, which is not a question in {fw.edition}" + (f"; {hint}" if hint else ""),
                        line=where("notes", qid),
                    )
                )

        env = _Env(self, answers)
        # answers to questions that the case's own answers make not applicable, in the plan's order: the ids
        # both settled (few) and answered are found by one set intersection, which walks the smaller side
        na = env.na
        given = na.keys() & answers.keys()
        if not_recorded:
            given |= na.keys() & not_recorded
        if given:
            wrong = [qid for qid in given if na[qid] is False and qid in validators]
            wrong.sort(key=self.plan_position.__getitem__)
            for qid in wrong:
                errors.append(Message(qid, self._why_not(qid, env), line=where("answers", qid)))
        incomplete: dict[str, tuple[str, ...]] = {}
        holds: list[Any] | None = None  # each shared category condition's result for this case, by slot
        for qid, cats in self._category_steps:
            if qid in answers and env.na.get(qid, True) is not False:
                # the categories that apply; an answer to one that does not is an error, unless it is the n/a
                # the document tells inspectors to write there; one that applies left unanswered is missing
                value = dict(answers[qid])
                missing: list[str] = []
                for code, cond, slot in cats:
                    if cond is None:
                        if code not in value:
                            missing.append(code)
                        continue
                    if slot is None:
                        applies = _UNSET
                    else:
                        if holds is None:
                            holds = self._category_slots.copy()
                        applies = holds[slot]
                    if applies is _UNSET:
                        applies = cond.run(env)
                        if applies is not True and applies is not False:
                            applies = truth(applies)
                        if slot is not None:
                            holds[slot] = applies  # type: ignore[index]
                    if code in value:
                        if applies is False:
                            if value[code] != NA:
                                errors.append(
                                    Message(qid, f"category {code!r} does not apply to this case ({cond.text}); remove it")
                                )
                            del value[code]
                    elif applies is True:
                        missing.append(code)
                answers[qid] = env.vals[qid] = value
                if missing:
                    incomplete[qid] = found = tuple(missing)
                    warnings.append(
                        Message(
                            qid,
                            f"no answer for {', '.join(missing)}: answer every category that applies"
                            f" ({'n/a where the guidance allows it; ' if self._na_allowed(qid, found) else ''}"
                            "until then the answer counts as missing)",
                            line=where("answers", qid),
                        )
                    )
        # what the rules suggest, where the inspector answered otherwise
        suggested: dict[str, Any] = {}
        na = env.na
        texts = self._suggestion_texts
        for qid, run, yes_no in self._suggest_steps if warn else ():
            if na.get(qid, True) is False:
                continue
            sv = run(env)
            if sv is True or sv is False:
                if yes_no:
                    sv = "yes" if sv else "no"
            elif sv is UNKNOWN:
                continue
            suggested[qid] = sv
            given = answers.get(qid)
            if given is not None and given != sv and given != NA and not notes.get(qid):
                if given.__class__ is str and sv.__class__ is str:  # codes: the same warning every time
                    key = (qid, given, sv)
                    message = texts.get(key)
                    if message is None:
                        message = self._differs(qid, given, sv)
                        if len(texts) < 4096:
                            texts[key] = message
                    warnings.append(message)
                else:
                    warnings.append(self._differs(qid, given, sv))
        holds = 0  # the shared opening conditions that hold in this case, a bit each
        for bit, first in self._openings:
            v = first(env)
            if v is True or (v is not False and truth(v) is True):
                holds |= bit
        for when, is_error, question, message in (self._check_steps if warn else self._error_check_steps)[holds]:
            v = when(env)
            if v is True or (v is not False and truth(v) is True):
                if is_error:
                    errors.append(message)
                elif not (question and notes.get(question)):  # a note on the question answers a warning
                    warnings.append(message)
        in_sample, reason = True, None
        undecided: list[Any] = []
        for rule, when in self._sample_runs:
            v = when(env)
            if v is False:
                continue
            if v is not True:
                v = truth(v)
            if v is True:
                in_sample, reason = False, rule.reason
                undecided = []
                break
            if v is UNKNOWN:
                undecided.append(rule)
        for rule in undecided:
            needs = [r for r in sorted(rule.exclude_when.reads) if env.value(r) is UNKNOWN and env.applies(r) is not False]
            warnings.append(
                Message(
                    needs[0] if needs else None,
                    f"cannot tell whether this case is in the sample: the rule {rule.id} ({rule.reason.rstrip('.')})"
                    f" needs {', '.join(needs) or 'more answers'}; the case is counted until it is answered",
                    rule.id,
                )
            )
        overriding = self._override_texts
        for sid, factors_of in self._override_steps[holds] if warn else ():
            if answers.get(sid) != "yes" or notes.get(sid) or na.get(sid, True) is False:
                continue
            factors: list[str] | None = None
            for text, run in factors_of:
                v = run(env)
                if v is True or (v is not False and truth(v) is True):
                    if factors is None:
                        factors = [sid]
                    factors.append(text)
            if factors is not None:
                key = tuple(factors)
                message = overriding.get(key)
                if message is None:
                    message = Message(
                        sid,
                        f"judged yes, but the guidance says this outweighs the rest: {'; '.join(factors[1:])}; add a note saying why the judgement is yes",
                    )
                    if len(overriding) < 4096:
                        overriding[key] = message
                warnings.append(message)
        # a criterion judged by the inspector against what its indicators give
        # (read from the rules as settled, or settled again without the judgement where they read it)
        env_na, env_vals, env_scores = env.na, env.vals, env.scores
        for score, judgement, members, disagrees in self._rechecks if warn else ():
            given = answers.get(judgement)
            if given not in (MET, NOT_MET) or notes.get(judgement):
                continue
            if members is None:
                computed = _Env(self, {k: v for k, v in answers.items() if k != judgement}).scores.get(score.id)
            else:
                computed = _by_members(members, env_na, env_vals, env_scores)
            if computed not in (UNKNOWN, None) and computed != given:
                warnings.append(disagrees[given])
        return Evaluation(
            case_id,
            answers,
            not_recorded,
            notes,
            env,
            errors,
            warnings,
            in_sample,
            reason,
            suggested,
            incomplete,
            tuple(r.id for r in undecided),
        )

    def assess(self, case: Any, source: str | None = None, line_of: Any = None) -> CaseResult:
        """Assess one case given as a mapping (a parsed case file): everything an inspector sees."""
        fw = self.framework
        ev = self.evaluate(case, line_of)
        if not isinstance(case, dict):
            return CaseResult(fw.edition, None, {}, {}, tuple(ev.errors), (), source=source, edition_version=fw.version)
        env, answers, not_recorded = ev.env, ev.answers, ev.not_recorded
        questions = dict(self.question_results(ev))
        not_applicable_answers = [
            qid for qid, r in questions.items() if r.status == NOT_APPLICABLE and (qid in answers or qid in not_recorded)
        ]
        for qid, suggested in ev.suggested.items():
            if qid in questions:
                questions[qid] = questions[qid]._evolve(suggested=suggested)
        aids: dict[str, JudgementAid] = {}
        labels = fw.weight_labels
        for summary in self.summaries:
            sid = summary.id
            if questions[sid].status == NOT_APPLICABLE:
                continue
            tally: dict[str, dict[str, int]] = {}
            for member in self.weighs_sorted[sid]:
                weight = self.items[member].weight or "primary"
                weight = labels.get(weight, weight)  # the edition's own names, in every view
                bucket = tally.setdefault(weight, {"yes": 0, "no": 0, "n/a": 0, "not_applicable": 0, "missing": 0, "other": 0})
                r = questions.get(member)
                if r is None:
                    continue
                if r.status == NOT_APPLICABLE:
                    bucket["not_applicable"] += 1
                elif r.value is None or r.status == MISSING:
                    bucket["missing"] += 1
                elif r.value in ("yes", "no", NA):
                    bucket[r.value] += 1
                else:
                    bucket["other"] += 1
            overriding = tuple(o.message for o in summary.overriding if truth(o.when(env)) is True)
            aids[sid] = JudgementAid(sid, tally, overriding)
        return CaseResult(
            edition=fw.edition,
            case_id=ev.case_id,
            questions=questions,
            judgements=ev.judgements(),
            score_status=ev.score_status(),
            errors=tuple(ev.errors),
            warnings=tuple(ev.warnings),
            in_sample=ev.in_sample,
            sample_undecided=ev.undecided,
            excluded_reason=ev.reason,
            aids=aids,
            not_applicable_answers=tuple(not_applicable_answers),
            notes=ev.notes,
            source=source,
            edition_version=fw.version,
        )

    def question_results(self, ev: Evaluation, items: Iterable[Item] | None = None) -> Iterator[tuple[str, QuestionResult]]:
        """Each per-case question's status and value for an evaluated case (``items``: these only, in order)."""
        env, answers, not_recorded = ev.env, ev.answers, ev.not_recorded
        na = env.na
        for item in self.case_items if items is None else items:
            qid = item.id
            if na.get(qid, True) is False:
                yield qid, _NOT_APPLICABLE_RESULT
            elif qid in self.derives:
                v = env.vals.get(qid, UNKNOWN)
                yield qid, QuestionResult(DERIVED, None if v is UNKNOWN else v, "missing" if v is UNKNOWN else None)
            elif qid in ev.incomplete:
                yield qid, QuestionResult(MISSING, answers[qid], "incomplete", missing_categories=ev.incomplete[qid])
            elif qid in answers:
                v = answers[qid]
                yield qid, QuestionResult(ANSWERED, v, "n/a" if v == NA else None)
            elif qid in self.judged_questions and qid not in not_recorded:
                yield qid, self._judged_by_rules(self.judged_questions[qid], env)
            else:
                yield qid, QuestionResult(MISSING, None, "not_recorded" if qid in not_recorded else "missing")

    def _judged_by_rules(self, score: CaseScore, env: _Env) -> QuestionResult:
        """An optional judgement left to the rules: their result (derived), not applicable where nothing it rests on
        applies, or derived and waiting for the answers it needs."""
        v = env.scores.get(score.id)
        if v is None:
            return QuestionResult(NOT_APPLICABLE, None, "not_applicable")
        if v is not UNKNOWN:
            return QuestionResult(DERIVED, v)
        waiting = tuple(
            m for m in score.of if m in self.items and env.applies(m) is not False and env.value(m) is UNKNOWN
        ) + tuple(m for m in score.of if m in self.score_by_id and env.scores.get(m) is UNKNOWN)
        return QuestionResult(DERIVED, None, "missing", waiting_for=waiting)

    def _differs(self, qid: str, given: Any, suggested: Any) -> Message:
        """The warning for an answer other than what the rules suggest."""
        shown = suggested.isoformat() if isinstance(suggested, dt.date) else suggested
        return Message(
            qid,
            f"the answer {given!r} differs from what the rules suggest ({shown!r}: {self._in_words(qid)}); check it, or add a note saying why",
        )

    def _in_words(self, qid: str) -> str:
        """A rule as an inspector reads it: the item's ``says:``, else where to see the rule itself."""
        return self.items[qid].says or f"assess --explain {qid} shows the rule"

    def _na_allowed(self, qid: str, categories: tuple[str, ...]) -> bool:
        a = self.items[qid].answer
        return a is not None and (a.na or any(c.na for c in a.categories if c.code in categories))

    def _not_answerable(self, qid: str, item: Item | None) -> str:
        fw = self.framework
        if item is None:
            for old in fw.supersedes:
                change = next((c for c in old.changes if qid in c.old), None)
                if change is not None:
                    became = ", ".join(change.new) if change.new else "nothing"
                    since = f"{old.edition} {old.version}" if old.version else old.edition
                    return (
                        f"{qid}: no such question in {fw.edition} {fw.version}; since {since} it is {change.change}"
                        + (f" ({became})" if change.new else "")
                        + f"; inspectkit migrate --to {fw.edition} rewrites the case"
                    )
            hint = suggestion(qid, [i.id for i in self.case_items])
            return f"{qid}: no such question in {fw.edition}" + (f"; {hint}" if hint else "")
        if item.kind == "inspection":
            return f"{qid} is judged once per inspection: put it in the inspection file, not a case file"
        if item.kind == "reserved":
            return f"{qid} is a number the document marks as not used; it takes no answer"
        level = fw.level_name(item.level) if item.level else "group"
        return f"{qid} is a heading ({level}), not a question; answer the questions under it"

    def _why_not(self, qid: str, env: _Env) -> str:
        decided_by = qid
        cond = self.conditions.get(qid)
        if cond is None or truth(cond(env)) is not False:
            decided_by = self.condition_parent.get(qid, qid)
            cond = self.conditions.get(decided_by)
        reads = ""
        if cond is not None:
            shown = _what_it_reads(cond, env)
            reads = f" ({cond.text}; {shown})" if shown else f" ({cond.text})"
        via = f" because {decided_by} does not" if decided_by != qid else ""
        return f"{qid} is answered, but it does not apply to this case{via}{reads}; remove the answer or correct the answers it depends on"

    # -- explaining
    def explain(self, case_result: CaseResult, case: Mapping[str, Any], target: str) -> list[str]:
        """How the rules reached a question's status, a derived value, a case score or a check."""
        env = self.evaluate(case).env  # the same settled answers the assessment used
        answers = env.answers

        def show(expr: Expression) -> str:
            parts = _what_it_reads(expr, env)
            result = expr(env)
            shown = "unknown" if result is UNKNOWN else str(result).lower() if isinstance(result, bool) else result
            return f"{expr.text}  ->  {shown}" + (f"   [{parts}]" if parts else "")

        lines: list[str] = []
        item = self.items.get(target)
        if target in self.score_by_id:
            score = self.score_by_id[target]
            lines.append(
                f"{target}: case score, rule {score.rule}: met when every applicable one of {', '.join(score.of)} is sufficient ({', '.join(sorted(self.sufficient))})"
            )
            if score.reading:
                lines.append(f"  reading: {score.reading}")
            for member in score.of:
                if member in self.score_by_id:
                    v = env.score(member)
                    lines.append(f"  {member}: {'unknown' if v is UNKNOWN else 'not applicable' if v is None else v}")
                else:
                    r = case_result.questions.get(member)
                    lines.append(
                        f"  {member}: {r.status if r else 'not per case'}"
                        + (f" = {r.value}" if r and r.value is not None else "")
                    )
            if score.judgement and answers.get(score.judgement):
                lines.append(f"  the inspector's judgement {score.judgement} = {answers[score.judgement]} prevails")
            lines.append(f"  result: {case_result.judgements.get(target)}")
            return lines
        if item is None:
            check = next((c for c in self.framework.checks if c.id == target), None)
            if check is not None:
                lines.append(f"check {check.id} ({check.severity}): {check.message}")
                lines.append(f"  broken when: {show(check.when)}")
                if check.source:
                    lines.append(f"  source: {check.source}")
                return lines
            hint = suggestion(target, list(self.items) + list(self.score_by_id))
            return [f"{target}: no such question, case score or check" + (f"; {hint}" if hint else "")]
        r = case_result.questions.get(target)
        lines.append(f"{target}: {item.text or item.title}")
        if r is not None:
            lines.append(f"  status: {r.status}" + (f", value: {r.value}" if r.value is not None else ""))
        if item.condition is not None:
            lines.append(f"  applies when: {show(item.condition)}")
        parent = self.condition_parent.get(target)
        if parent is not None:
            lines.append(f"  inside {parent}, which applies when: {show(self.items[parent].condition)}")  # type: ignore[arg-type]
        if item.condition is None and parent is None and item.per_case:
            lines.append("  applies to every case")
        if item.derive is not None:
            lines.append(f"  derived: {show(item.derive)}")
        if item.suggest is not None:
            lines.append(f"  suggested: {show(item.suggest)}")
        if item.says:
            lines.append(f"  in words: {item.says}")
        if item.source:
            lines.append(f"  source: {item.source}")
        if item.reading:
            lines.append(f"  reading: {item.reading}")
        aid = case_result.aids.get(target)
        if aid is not None:
            lines.append(f"  weighs: {', '.join(self.weighs[target])}")
            for weight, counts in aid.tally.items():
                shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
                label = self.framework.weight_labels.get(weight, weight)
                lines.append(f"  tally ({label}): {shown or 'nothing answered'}")
        for o in item.overriding:
            lines.append(f"  overriding factor: {o.message}")
            lines.append(f"    holds when: {show(o.when)}")
        return lines
