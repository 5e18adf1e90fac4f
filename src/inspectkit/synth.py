"""Synthetic cases: valid random answers that respect every condition, for demos, tests and benchmarks.

A case is made in three steps, the edition's rules worked out once per distinct set of answers they read
rather than once per case:

1. The *structural* questions, those read by a rule that decides what applies or by an error check
   (directly or through a derived value or a case score), get random answers and are visited each after
   what decides whether it applies; one that does not apply loses its answer. Whether a question applies
   depends only on the few answers its condition reads, so each condition is worked out (by the engine, on
   just the part of the rules it needs) the first time those answers are seen together, and remembered
   (rules reading few answers between them share one memo: a lookup a case costs more than their few misses).
   Answers an error check refuses are drawn again, so every case synth writes is valid.
2. Every other question gets a random answer on its own: one random byte indexes a table of its answers in
   the shares synth gives them (two bytes for texts, dates, wide ranges of numbers, multiple choices and
   answers per category).
3. What applies picks the answers kept, in document order (remembered per set of questions left out, where
   many cases share one).

The same seed gives the same cases, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import random
import sys
from array import array
from collections.abc import Callable, Iterator
from itertools import chain, islice, permutations, product, repeat
from pathlib import Path
from typing import Any

from inspectkit.engine import Engine, _Env, plain_plan
from inspectkit.expressions import NA, truth
from inspectkit.files import atomic_write, atomic_writer
from inspectkit.model import Item

_WORDS = (
    "the case record shows regular contact with the service user and clear attention to risk "
    "plans were reviewed after a change in circumstances and partners were involved"
).split()
_START = dt.date(2018, 1, 1)
_DATES = tuple((_START + dt.timedelta(days=d)).isoformat() for d in range(3 * 365 + 1))
_NA_SHARE = 0.08  # of questions that allow n/a, how often the inspector writes it
_YES_SHARE = {"summary": 0.72, "evidence": 0.72}  # summary judgements and evidence lean to yes: most work is sufficient
_TEXTS_PER_LENGTH = 16  # texts in the pool for each length in words
_TABLE_CODES = 16  # a question with at most this many answers is drawn with one random byte
_POOL_LIMIT = 100_000  # a question with at most this many answers is drawn as an index into them
_MEMO_DOMAIN = 50_000  # a rule whose answers can be combined in at most this many ways keeps every result it meets
_MEMO_LIMIT = 100_000  # remembered results per rule, beyond which its memo starts again
_MERGE_DOMAIN = 1024  # gates whose answers can be combined in at most this many ways between them share a memo
_WIDE_MEMO_LIMIT = 20_000  # the same for any other rule: its cases still share many keys (an answer left out, n/a)
_LAYOUT_TRIAL = 200  # cases' layouts are remembered unless this many differ, more than half of those made (each costs a walk of the questions)
_BATCH = 256  # cases written (and progress shown) at a time
_ATTEMPTS = 1000  # draws before a case the error checks keep refusing is given as it stands
_MISS: Any = object()
_BIG_ENDIAN = sys.byteorder == "big"  # random bytes are read little-endian everywhere

Rnd = Callable[[], float]


def _text_pool() -> dict[int, tuple[str, ...]]:
    """Texts of 3 to 30 words, the same every run (their own generator: a case's seed draws only which)."""
    rng = random.Random(20190101)
    return {
        n: tuple(" ".join(rng.choices(_WORDS, k=n)).capitalize() + "." for _ in range(_TEXTS_PER_LENGTH)) for n in range(3, 31)
    }


_TEXTS = _text_pool()


def _bounds(item: Item) -> tuple[int, int]:
    a = item.answer
    assert a is not None
    months = a.name == "months"
    lo = int(a.minimum) if a.minimum is not None else (1 if months else 0)
    hi = int(a.maximum) if a.maximum is not None else (36 if months else 40)
    return lo, max(lo, hi)


_POOLS: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}  # shared by the questions with the same answers


def _answers(item: Item) -> tuple[Any, ...] | None:
    """Every answer synth may give ``item``, each as likely as the others (n/a aside); None where they are
    not a short list (a multiple choice, one answer per category, a number with decimals over a wide range)."""
    a = item.answer
    assert a is not None
    name = a.name
    if name in ("choice", "rating"):
        return tuple(a.codes)
    if name == "date":
        return _DATES
    key: tuple[Any, ...]
    whole = bool(a.integer or name == "months")
    if name in ("number", "months"):
        lo, hi = _bounds(item)
        key = (name, lo, hi, whole)
    elif name == "text":
        key = (name, max(3, min(a.max_words or 30, 30)))
    else:
        return None
    if key not in _POOLS:
        if name == "text":
            _POOLS[key] = tuple(t for n in range(3, key[1] + 1) for t in _TEXTS[n])
        elif whole:
            _POOLS[key] = tuple(range(lo, hi + 1)) if hi - lo < _POOL_LIMIT else None
        elif (hi - lo) * 100 < _POOL_LIMIT:  # two decimals, as an inspector writes them
            _POOLS[key] = tuple(round(lo + i / 100, 2) for i in range((hi - lo) * 100 + 1))
        else:
            _POOLS[key] = None
    return _POOLS[key]


def _table(item: Item) -> tuple[Any, ...] | None:
    """256 answers, one per value of a random byte, in the shares synth gives them; None where a byte is too
    coarse for them."""
    a = item.answer
    assert a is not None
    na = a.na
    if a.name == "yes_no":
        t_na = _NA_SHARE if na else 0.0
        t_yes = t_na + (1 - t_na) * _YES_SHARE.get(item.kind or "", 0.5)
        return tuple(NA if (u := (i + 0.5) / 256) < t_na else "yes" if u < t_yes else "no" for i in range(256))
    codes = _answers(item)
    if not codes or len(codes) > _TABLE_CODES:
        return None
    head = round(_NA_SHARE * 256) if na else 0
    rest = 256 - head
    return (NA,) * head + tuple(codes[j * len(codes) // rest] for j in range(rest))


def _pool(item: Item) -> tuple[Any, ...] | None:
    """The answers as a pool an index is drawn into, n/a among them in its share; None for a drawing function."""
    codes = _answers(item)
    if not codes:
        return None
    if not item.answer.na:  # type: ignore[union-attr]
        return codes
    repeat = max(1, math.ceil(1000 / len(codes)))  # so that n/a's share comes out close to what it should be
    return codes * repeat + (NA,) * round(len(codes) * repeat * _NA_SHARE / (1 - _NA_SHARE))


def _drawer(item: Item) -> Callable[[Rnd], Any]:
    """A function of ``random()`` drawing an answer to ``item``: a multiple choice as a tuple, one answer per
    category as a tuple of (category, answer) pairs (so that rules can be remembered by them)."""
    a = item.answer
    assert a is not None
    name = a.name
    draw: Callable[[Rnd], Any]
    if name == "multi":
        pool = tuple(a.codes)
        most = min(a.max_choices or 3, len(pool))

        def draw(rnd: Rnd) -> Any:
            chosen: list[str] = []
            if most:
                k = 1 + int(rnd() * most)
                while len(chosen) < k:
                    c = pool[int(rnd() * len(pool))]
                    if c not in chosen:
                        chosen.append(c)
            return tuple(chosen)

    elif name == "per_category":
        answers: tuple[Any, ...] = tuple(a.codes)
        lean = "yes" in answers
        categories = tuple(c.code for c in a.categories)

        def draw(rnd: Rnd) -> Any:
            return tuple((c, "yes" if lean and rnd() < 0.75 else answers[int(rnd() * len(answers))]) for c in categories)

        return draw  # a category's n/a is one of its answers
    elif name in ("number", "months"):
        lo, hi = _bounds(item)
        if a.integer or name == "months":
            span = hi - lo + 1
            draw = lambda rnd: lo + int(rnd() * span)  # noqa: E731
        else:
            draw = lambda rnd: round(lo + rnd() * (hi - lo), 2)  # noqa: E731
    else:  # pragma: no cover - every other kind has its table or pool
        raise AssertionError(name)
    if not a.na:
        return draw
    inner = draw
    return lambda rnd: NA if rnd() < _NA_SHARE else inner(rnd)


def _domain(item: Item) -> float:
    """How many different answers ``item`` may get, or none at all: how large a memo of a rule reading it grows."""
    a = item.answer
    assert a is not None
    extra = 2 if a.na else 1
    if a.name == "yes_no":
        return 2 + extra
    codes = _answers(item)
    if codes is not None:
        return len(codes) + extra
    if a.name == "multi":
        n, most = len(a.codes), min(a.max_choices or 3, len(a.codes))
        total, term = 0, 1
        for k in range(most):
            term *= n - k
            total += term
        return total + extra
    if a.name == "per_category":
        return float(len(a.codes)) ** len(a.categories) + extra
    return math.inf


class _SubEnv(_Env):
    """The rules' view of a few answers, settling only the part of the plan a rule reads."""

    __slots__ = ()

    def __init__(self, engine: Engine, settle: Callable[..., None], answers: dict[str, Any]):
        _Env.__init__(self, engine, answers, settle)


class _Light(_SubEnv):
    """The rules' view of answers that need no settling (no condition, derived value or score among what is read)."""

    __slots__ = ()

    def __init__(self, engine: Engine, answers: dict[str, Any]):
        self.engine = engine
        self.answers = self.vals = answers
        self.na = {}
        self.scores = {}


class _PartPlan:
    """An engine's plan cut down to the entries some rules depend on (what ``plain_plan`` walks)."""

    def __init__(self, engine: Engine, ids: frozenset[str]):
        self.plan = [entry for entry in engine.plan if entry[0] in ids]
        self.to_answer = engine.to_answer
        self.compute_score = engine.compute_score


def _refused(v: Any) -> bool:
    return v is True or (v is not False and truth(v) is True)


def _refuses(run: Callable[[Any], Any]) -> Callable[[Any], bool]:
    """Whether an error check refuses the answers it is given."""
    return lambda env: _refused(run(env))


class _Rule:
    """One rule's result for a case (whether a question applies, the categories that do not, whether an error
    check refuses), from the answers it depends on, worked out on just the part of the plan it reads and
    remembered per distinct tuple of them (up to ``limit`` of them, then the memo starts again)."""

    __slots__ = ("get", "seen", "work", "limit")

    def __init__(self, positions: tuple[int, ...], work: Callable[[list[Any]], Any], limit: int):
        self.get: Callable[[list[Any]], Any] = operator.itemgetter(*positions) if positions else (lambda cand: ())
        self.work = work
        self.limit = limit
        self.seen: dict[Any, Any] = {}

    def __call__(self, cand: list[Any]) -> Any:
        key = self.get(cand)
        hit = self.seen.get(key, _MISS)
        if hit is _MISS:
            if len(self.seen) >= self.limit:
                self.seen.clear()
            hit = self.seen[key] = self.work(cand)
        return hit


_WIDE: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # 65,536 answers for each pool, shared by the questions drawing from it
_SPAN = 65536  # the values of two random bytes
_COMBINATIONS = 4096  # a multiple choice or per-category answer with at most this many forms is drawn from a table


def _wide_table(pool: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pool's answers over the 65,536 values of two random bytes, each as often as the others (to within one
    in 65,536 / len(pool)): value ``u`` gives ``pool[u * len(pool) >> 16]``."""
    table = _WIDE.get(pool)
    if table is None:
        n = len(pool)
        counts = [((i + 1) * _SPAN + n - 1) // n - (i * _SPAN + n - 1) // n for i in range(n)]
        table = _WIDE[pool] = tuple(chain.from_iterable(map(repeat, pool, counts)))
    return table


def _weighted_table(values: list[Any], weights: list[float]) -> tuple[Any, ...]:
    """``values`` over the 65,536 values of two random bytes in proportion to ``weights``, each at least once."""
    total = sum(weights)
    exact = [w / total * _SPAN for w in weights]
    counts = [max(1, int(x)) for x in exact]
    order = sorted(range(len(values)), key=lambda i: counts[i] - exact[i])  # largest remainders first
    short = _SPAN - sum(counts)
    for i in order[: max(0, short)]:
        counts[i] += 1
    for i in reversed(order):  # too many (each value kept at least once): take from the largest over
        if short >= 0:
            break
        if counts[i] > 1:
            counts[i] -= 1
            short += 1
    return tuple(chain.from_iterable(map(repeat, values, counts)))


def _combination_table(item: Item) -> tuple[Any, ...] | None:
    """Every form a multiple choice (an ordered tuple of distinct choices) or a per-category answer (a tuple of
    (category, answer) pairs) may take, in the shares synth gives them; None where they are too many."""
    a = item.answer
    assert a is not None
    key = (a.name, a.codes, a.max_choices, a.na, tuple(c.code for c in a.categories))
    if key not in _COMBINED:
        _COMBINED[key] = _combinations(item)
    return _COMBINED[key]


_COMBINED: dict[tuple[Any, ...], tuple[Any, ...] | None] = {}


def _combinations(item: Item) -> tuple[Any, ...] | None:
    a = item.answer
    assert a is not None
    values: list[Any] = []
    weights: list[float] = []
    if a.name == "multi":
        codes = tuple(a.codes)
        most = min(a.max_choices or 3, len(codes))
        if not most or sum(math.perm(len(codes), k) for k in range(1, most + 1)) > _COMBINATIONS:
            return None
        for k in range(1, most + 1):  # as many choices, 1 to most, each as likely; then any order of any of them
            forms = list(permutations(codes, k))
            values += forms
            weights += [1 / most / len(forms)] * len(forms)
        if a.na:
            weights = [w * (1 - _NA_SHARE) for w in weights] + [_NA_SHARE]
            values.append(NA)
        return _weighted_table(values, weights)
    if a.name == "per_category":
        answers = tuple(a.codes)
        categories = tuple(c.code for c in a.categories)
        if not answers or len(answers) ** len(categories) > _COMBINATIONS:
            return None
        lean = 0.75 if "yes" in answers else 0.0  # most of what is weighed is judged sufficient
        share = {v: (1 - lean) / len(answers) + (lean if v == "yes" else 0.0) for v in answers}
        for combination in product(answers, repeat=len(categories)):
            values.append(tuple(zip(categories, combination, strict=True)))
            weights.append(math.prod(share[v] for v in combination))
        return _weighted_table(values, weights)
    return None


class _Draws:
    """Random answers for a group of questions, appended to a case's candidates in a fixed order: those
    drawn with one random byte, then with two (pools of texts, dates and numbers, multiple choices, answers
    per category), then by a function."""

    def __init__(self, items: list[Item]):
        tables = {i.id: _table(i) for i in items}
        wide: dict[str, tuple[Any, ...]] = {}
        for i in items:
            if tables[i.id] is None:
                pool = _pool(i)
                table = _wide_table(pool) if pool is not None and len(pool) <= _SPAN else _combination_table(i)
                if table is not None:
                    wide[i.id] = table
        narrow = [i.id for i in items if tables[i.id] is not None]
        rest = [i for i in items if i.id not in narrow and i.id not in wide]
        self.tables = tuple(tables[q] for q in narrow)
        self.wide = tuple(wide.values())
        self.functions = tuple(_pooled(pool) if (pool := _pool(i)) else _drawer(i) for i in rest)
        self.order = narrow + list(wide) + [i.id for i in rest]
        self.width = len(self.tables)
        self.more = bool(self.wide or self.functions)  # answers drawn other than with one byte

    def extend(self, cand: list[Any], rng: random.Random, narrow: bool = True) -> None:
        """Draw every question's answer (``narrow=False``: all but those drawn with one byte, already drawn)."""
        width = self.width
        if width and narrow:
            cand += map(operator.getitem, self.tables, rng.getrandbits(8 * width).to_bytes(width, "little"))  # type: ignore[arg-type]
        wide = self.wide
        if len(wide) == 1:  # the same two bytes, read as one number
            cand.append(wide[0][rng.getrandbits(16)])
        elif wide:
            pairs = array("H", rng.getrandbits(16 * len(wide)).to_bytes(2 * len(wide), "little"))
            if _BIG_ENDIAN:
                pairs.byteswap()
            cand += map(operator.getitem, wide, pairs)
        if self.functions:
            rnd = rng.random
            cand += [draw(rnd) for draw in self.functions]


def _pooled(pool: tuple[Any, ...]) -> Callable[[Rnd], Any]:
    n = len(pool)
    return lambda rnd: pool[int(rnd() * n)]


class _Plan:
    """What synth needs of one edition, worked out once."""

    def __init__(self, engine: Engine):
        self.engine = engine
        fw = engine.framework
        self.header: dict[str, Any] = {"schema": 1, "edition": fw.edition, "edition_version": fw.version}
        askable = [i for i in engine.case_items if i.answer is not None and i.derive is None]
        self.ids = ids = frozenset(i.id for i in askable)
        validators = engine.validators
        shape = {i.id: i.answer.name for i in askable}  # type: ignore[union-attr]
        domain = {i.id: _domain(i) for i in askable}

        # gates: one per distinct (condition, enclosing condition); the questions behind one apply together
        gate_of: dict[str, tuple[Any, ...]] = {}
        gate_inputs: dict[tuple[Any, ...], tuple[str, ...]] = {}
        gate_refs: dict[tuple[Any, ...], str] = {}
        for item in askable:
            qid = item.id
            if qid in engine.conditions or qid in engine.condition_parent:
                cond = engine.conditions.get(qid)
                sig = (cond.text if cond is not None else None, engine.condition_parent.get(qid))
                gate_of[qid] = sig
                if sig not in gate_inputs:
                    gate_refs[sig] = qid
                    gate_inputs[sig] = tuple(sorted(self._closure({qid})[0] - {qid}))
        category_rules = {
            qid: (cats, {r for _, c in cats for r in c.reads})
            for qid, cats in engine.category_conditions.items()
            if qid in ids and cats
        }
        category_inputs = {qid: tuple(sorted(self._closure(refs)[0])) for qid, (_, refs) in category_rules.items()}
        checks = [c for c in fw.checks if c.severity == "error"]  # a warning is a finding, which synthetic data may hold
        check_inputs = [tuple(sorted(self._closure(set(c.when.reads))[0])) for c in checks]
        structural = set().union(*gate_inputs.values(), *category_inputs.values(), *check_inputs)

        # candidates: the structural questions first (drawn again when a check refuses), then the rest
        self.first = _Draws([i for i in askable if i.id in structural])
        self.rest = _Draws([i for i in askable if i.id not in structural])
        pos = {qid: n for n, qid in enumerate(self.first.order + self.rest.order)}

        valid: dict[tuple[str, Any], Any] = {}  # answers as the rules read them (a date as a date), by question and text

        def rule(inputs: tuple[str, ...], work: Callable[[Any], Any], refs: set[str]) -> _Rule:
            part = _PartPlan(engine, self._closure(refs)[1])
            settle = plain_plan(part)  # type: ignore[arg-type]
            positions = tuple(pos[i] for i in inputs)

            def from_candidates(cand: list[Any]) -> Any:
                answers = {}
                for qid, p in zip(inputs, positions, strict=True):
                    v = cand[p]
                    if v is not None:
                        if v.__class__ is str:  # most answers: codes, dates, texts
                            key = (qid, v)
                            value = valid.get(key, _MISS)
                            if value is _MISS:
                                if len(valid) >= _MEMO_LIMIT:
                                    valid.clear()
                                value = valid[key] = validators[qid](v)
                            answers[qid] = value
                        else:
                            answers[qid] = validators[qid](_written(v, shape[qid]))
                if not part.plan:  # nothing to settle: the rule reads the answers as they are
                    return work(_Light(engine, answers))
                return work(_SubEnv(engine, settle, answers))

            few = math.prod(domain[i] for i in inputs) <= _MEMO_DOMAIN
            return _Rule(positions, from_candidates, _MEMO_LIMIT if few else _WIDE_MEMO_LIMIT)

        categories = [
            (pos[qid], qid in structural, rule(category_inputs[qid], _dropped(cats), refs))
            for qid, (cats, refs) in category_rules.items()
        ]
        self._first_categories = [(p, r) for p, first, r in categories if first]
        self._rest_categories = [(p, r) for p, first, r in categories if not first]
        self.checks = [
            rule(inputs, _refuses(c.when.run), set(c.when.reads)) for c, inputs in zip(checks, check_inputs, strict=True)
        ]

        # the structural questions with a condition, each after what decides whether it applies
        order: list[str] = []
        placed: set[str] = set()

        def place(qid: str, visiting: frozenset[str]) -> None:
            if qid in placed or qid in visiting:
                return
            sig = gate_of.get(qid)
            for dep in gate_inputs[sig] if sig is not None else ():
                place(dep, visiting | {qid})
            placed.add(qid)
            order.append(qid)

        for item in askable:
            if item.id in structural:
                place(item.id, frozenset())
        steps = [qid for qid in order if qid in gate_of]
        # the other questions' gates, those reading the same answers worked out together: what does not apply
        behind: dict[tuple[Any, ...], list[str]] = {}
        for item in askable:
            if item.id in gate_of and item.id not in structural:
                behind.setdefault(gate_of[item.id], []).append(item.id)
        by_inputs: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
        for sig, qids in behind.items():
            by_inputs.setdefault(gate_inputs[sig], {})[gate_refs[sig]] = tuple(qids)
        # gates reading few answers between them share one memo: a lookup per case each costs more than the rule
        # worked out for each of their few combinations
        merged: list[tuple[set[str], dict[str, tuple[str, ...]]]] = []
        for inputs, members in sorted(by_inputs.items(), key=lambda entry: math.prod(domain[i] for i in entry[0])):
            for reads, together_members in merged:
                if math.prod(domain[i] for i in reads | set(inputs)) <= _MERGE_DOMAIN:
                    reads.update(inputs)
                    together_members.update(members)
                    break
            else:
                merged.append((set(inputs), dict(members)))
        groups = [rule(tuple(sorted(reads)), _left_out(members), set(members)) for reads, members in merged]
        # what applies of the rest depends only on these answers and on which structural questions apply (one
        # that does not is None by then)
        layout_reads = sorted({pos[i] for inputs in by_inputs for i in inputs} | {pos[q] for q in steps})
        every = layout_reads == list(range(len(self.first.order)))
        self._layout_key: Callable[[list[Any]], tuple[Any, ...]] = tuple if every else _getter(layout_reads)
        self.layouts: dict[Any, Any] = {}
        self._patterns: dict[tuple[str, ...], Any] = {}
        self._remember_layouts = not self._rest_categories  # (a category dropped needs the full candidates)
        self._layout_misses = 0
        self._cases = 0
        # the memo lookups, done in line on the hot path (a rule is called only when its result is not known)
        # structural questions whose conditions read the same answers are settled together, where the first
        # of them comes (what they read is settled by then): the rule gives those that do not apply
        together: dict[tuple[str, ...], list[str]] = {}
        for qid in steps:
            together.setdefault(gate_inputs[gate_of[qid]], []).append(qid)
        # and steps in a row reading few answers between them are looked up as one (worked out in turn on a miss)
        chained: list[tuple[set[str], list[_Rule]]] = []
        for inputs, qids in together.items():
            step = rule(inputs, _not_applying(tuple((pos[q], q) for q in qids)), set(qids))
            if chained and math.prod(domain[i] for i in chained[-1][0] | set(inputs)) <= _MERGE_DOMAIN:
                chained[-1][0].update(inputs)
                chained[-1][1].append(step)
            else:
                chained.append((set(inputs), [step]))
        step_rules = [
            rules[0] if len(rules) == 1 else _Rule(tuple(sorted(pos[i] for i in reads)), _in_turn(rules), _MEMO_LIMIT)
            for reads, rules in chained
        ]
        self._steps = [(g.get, g.seen, g) for g in step_rules]
        self._checks = [(g.get, g.seen, g) for g in self.checks]
        self._groups = [(g.get, g.seen, g) for g in groups]
        # every question in document order; those that do not apply are then taken out
        self.doc_ids = tuple(i.id for i in askable)
        positions = [pos[i.id] for i in askable]
        self.doc_get = _getter(positions)
        self.doc_pos = dict(zip(self.doc_ids, positions, strict=True))
        self.written = tuple((i.id, shape[i.id] == "per_category") for i in askable if shape[i.id] in ("multi", "per_category"))

    def _closure(self, refs: set[str]) -> tuple[frozenset[str], frozenset[str]]:
        """The answers that decide the values ``refs`` name as the rules see them (their own, what decides
        whether they apply, what a derived value or a case score among them reads), and every id visited."""
        engine = self.engine
        seen: set[str] = set()
        todo = list(refs)
        while todo:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            cond = engine.conditions.get(ref)
            if cond is not None:
                todo.extend(cond.reads)
            parent = engine.condition_parent.get(ref)
            if parent is not None:
                todo.append(parent)
            derive = engine.derives.get(ref)
            if derive is not None:
                todo.extend(derive.reads)
            score = engine.score_by_id.get(ref)
            if score is not None:
                todo.extend(score.of)
                if score.judgement is not None:
                    todo.append(score.judgement)
        return frozenset(seen & self.ids), frozenset(seen)

    def answers(self, rng: random.Random) -> dict[str, Any]:
        """One case's answers: every question that applies given the case's own answers, in document order."""
        # the hot path: each rule's memo is looked up in line, its rule called only when the result is not known
        steps, checks, extend, categories = self._steps, self._checks, self.first.extend, self._first_categories
        for _attempt in range(_ATTEMPTS):
            cand: list[Any] = []
            extend(cand, rng)
            gone: list[str] = []
            for get, seen, step in steps:
                out = seen.get(get(cand), _MISS)
                if out is _MISS:
                    out = step(cand)
                if out:
                    positions, qids = out
                    for p in positions:
                        cand[p] = None
                    gone += qids
            for p, rule in categories:
                _drop(cand, p, rule)
            for get, seen, check in checks:
                out = seen.get(get(cand), _MISS)
                if out is _MISS:
                    out = check(cand)
                if out:
                    break
            else:
                break
        rest = self.rest
        if self._remember_layouts:
            self._cases += 1
            key = self._layout_key(cand)
            layout = self.layouts.get(key)
            if layout is None:
                layout = self._layout(key, cand, gone)
            ids, get, written, pick, tables = layout
            # the same random bytes as below, looked up only for the questions that apply
            width = rest.width
            if width:
                drawn = rng.getrandbits(8 * width).to_bytes(width, "little")
                if tables:
                    cand += map(operator.getitem, tables, pick(drawn))
            if rest.more:
                rest.extend(cand, rng, narrow=False)
            answers = dict(zip(ids, get(cand), strict=True))
        else:
            rest.extend(cand, rng)
            for p, rule in self._rest_categories:
                _drop(cand, p, rule)
            answers = dict(zip(self.doc_ids, self.doc_get(cand), strict=True))
            for qid in self._left_out(cand, gone):
                del answers[qid]
            written = self.written
        for qid, mapping in written:
            v = answers.get(qid)
            if v.__class__ is tuple:
                answers[qid] = dict(v) if mapping else list(v)
        return answers

    def _left_out(self, cand: list[Any], gone: list[str]) -> list[str]:
        """The questions that do not apply: ``gone`` (structural) and those behind the other gates."""
        gone = list(gone)
        for get, seen, group in self._groups:
            out = seen.get(get(cand), _MISS)
            if out is _MISS:
                out = group(cand)
            if out:
                gone += out
        return gone

    def _layout(self, key: Any, cand: list[Any], gone: list[str]) -> Any:
        """The answers kept for a case whose answers give ``key``: their ids in document order, a function
        picking their candidates, and which are written as a list or a mapping. Remembered while cases share
        them; given up on for an edition where they seldom do."""
        pattern = tuple(self._left_out(cand, gone))  # many cases' answers leave out the same questions
        layout = self._patterns.get(pattern)
        if layout is None:
            layout = self._patterns[pattern] = self._build_layout(pattern)
            self._layout_misses += 1
            if self._layout_misses >= _LAYOUT_TRIAL and self._layout_misses * 2 > self._cases:
                self._remember_layouts = False  # most cases differ: taking out what does not apply is quicker
                self.layouts.clear()
                self._patterns.clear()
                return layout
        if len(self.layouts) >= _MEMO_LIMIT:
            self.layouts.clear()
            self._patterns.clear()
        self.layouts[key] = layout
        return layout

    def _build_layout(self, pattern: tuple[str, ...]) -> Any:
        """The layout of a case that leaves out the questions in ``pattern``."""
        out = set(pattern)
        ids = tuple(q for q in self.doc_ids if q not in out)
        rest, start = self.rest, len(self.first.order)
        kept = [n for n, q in enumerate(rest.order[: rest.width]) if q not in out]  # of the byte-drawn questions
        where = {rest.order[n]: start + i for i, n in enumerate(kept)}
        where.update((q, start + len(kept) + i) for i, q in enumerate(rest.order[rest.width :]))
        positions = [self.doc_pos[q] if self.doc_pos[q] < start else where[q] for q in ids]
        layout = (
            ids,
            _getter(positions),
            tuple(w for w in self.written if w[0] not in out),
            _getter(kept),
            tuple(rest.tables[n] for n in kept),
        )
        return layout


def _getter(positions: list[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A function giving the candidates at ``positions``, as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda cand: (cand[only],)
    return operator.itemgetter(*positions) if positions else lambda cand: ()


def _written(value: Any, shape: str) -> Any:
    """A candidate answer as a case file holds it."""
    if value.__class__ is tuple:
        return dict(value) if shape == "per_category" else list(value)
    return value


def _not_applying(members: tuple[tuple[int, str], ...]) -> Callable[[Any], tuple[tuple[int, ...], tuple[str, ...]] | tuple[()]]:
    """Of ``members`` (candidate position, question), those that do not apply: their positions and their ids
    (empty where all apply)."""

    def not_applying(env: Any) -> Any:
        out = [m for m in members if env.applies(m[1]) is False]
        return (tuple(p for p, _ in out), tuple(q for _, q in out)) if out else ()

    return not_applying


def _in_turn(steps: list[_Rule]) -> Callable[[list[Any]], Any]:
    """Steps worked out one after another on a copy of the candidates, each seeing what those before it took
    out, as one result: the positions and ids of the questions that do not apply (empty where all apply)."""

    def work(cand: list[Any]) -> Any:
        cand = list(cand)
        positions: list[int] = []
        qids: list[str] = []
        for step in steps:
            out = step(cand)
            if out:
                for p in out[0]:
                    cand[p] = None
                positions += out[0]
                qids += out[1]
        return (tuple(positions), tuple(qids)) if qids else ()

    return work


def _left_out(members: dict[str, tuple[str, ...]]) -> Callable[[Any], tuple[str, ...]]:
    """The questions that do not apply, of groups each behind one of ``members``' keys."""
    return lambda env: tuple(q for ref, qids in members.items() if env.applies(ref) is False for q in qids)


def _dropped(cats: list[tuple[str, Any]]) -> Callable[[Any], tuple[str, ...]]:
    return lambda env: tuple(code for code, cond in cats if truth(cond(env)) is False)


def _drop(cand: list[Any], p: int, rule: _Rule) -> None:
    """Remove from a per-category answer the categories that do not apply."""
    value = cand[p]
    if value is not None and value.__class__ is tuple:
        dropped = rule(cand)
        if dropped:
            cand[p] = tuple(pair for pair in value if pair[0] not in dropped)


_PLANS: dict[int, _Plan] = {}


def _plan(engine: Engine) -> _Plan:
    plan = _PLANS.get(id(engine))
    if plan is None or plan.engine is not engine:
        plan = _PLANS[id(engine)] = _Plan(engine)
    return plan


def make_case(engine: Engine, rng: random.Random, case_id: str) -> dict[str, Any]:
    """One valid case with random answers (``rng`` draws them)."""
    plan = _plan(engine)
    return {**plan.header, "case_id": case_id, "answers": plan.answers(rng)}


def iter_synthetic(engine: Engine, count: int, seed: int) -> Iterator[dict[str, Any]]:
    """``count`` valid cases, the same for the same ``seed``, with ids ``SYN-<EDITION>-<seed>-<n>``."""
    rng = random.Random(seed)
    plan = _plan(engine)
    answers, edition, version = plan.answers, plan.header["edition"], plan.header["edition_version"]
    prefix = f"SYN-{edition.upper().replace('_', '-')}-{seed}-"
    for n in range(1, count + 1):
        yield {
            "schema": 1,
            "edition": edition,
            "edition_version": version,
            "case_id": f"{prefix}{n:06d}",
            "answers": answers(rng),
        }


def write_cases(engine: Engine, count: int, seed: int, output: Path, progress: Any = None) -> int:
    """JSON Lines when ``output`` ends in .jsonl (written whole, then moved into place); else one YAML per case."""
    output = Path(output)
    if output.suffix.lower() == ".jsonl":
        import orjson

        dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(output, binary=True) as fh:  # the one writer: the user's file mode, links kept, whole or not at all
            cases = iter_synthetic(engine, count, seed)
            for start in range(0, count, _BATCH):
                fh.write(b"".join([dumps(case, option=newline) for case in islice(cases, _BATCH)]))
                if progress is not None:
                    progress(min(start + _BATCH, count))
        return count
    output.mkdir(parents=True, exist_ok=True)
    render = _YamlCases()
    n = 0
    for case in iter_synthetic(engine, count, seed):
        # each file whole or not at all (written aside, then renamed); not flushed to disk one by one, which for
        # thousands of files would take minutes: the cases are made again from the seed
        atomic_write(output / f"{case['case_id']}.yaml", render(case), durable=False)
        n += 1
        if progress is not None and not n % _BATCH:
            progress(n)
    if progress is not None:
        progress(n)
    return n


class _YamlCases:
    """A case as ``yaml.safe_dump(case, sort_keys=False, allow_unicode=True)`` writes it, byte for byte, but
    fast: each answer's lines are rendered by PyYAML the first time that answer to that question is seen, and
    remembered (a case is a few fixed keys, then a mapping of answers, each rendered the same wherever it is)."""

    def __init__(self) -> None:
        self.entries: dict[tuple[Any, Any], str] = {}
        self.keys: dict[str, str] = {}
        self.heads: dict[tuple[Any, ...], str] = {}
        self.plain_ids: dict[int, bool] = {}

    @staticmethod
    def _key_text(qid: str) -> str:
        """A question id as a key of the answers, written plain or quoted; "" where it is not a short one-line key."""
        import yaml

        text = yaml.safe_dump({"answers": {qid: None}}, sort_keys=False, allow_unicode=True)[11:]
        key = text[: -len(": null\n")] if text.endswith(": null\n") else ""
        return key if key and len(key) < 100 and "\n" not in key and not key.startswith("?") else ""

    @staticmethod
    def _value_text(qid: str, key: str, value: Any) -> str:
        """What follows a key in an answer's lines: it depends on the key only through its length (the column a
        long text folds at), so it is rendered once per length and value, beside a stand-in key."""
        import yaml

        if not key:
            return yaml.safe_dump({"answers": {qid: value}}, sort_keys=False, allow_unicode=True)[9:]
        return yaml.safe_dump({"answers": {"k" * len(key): value}}, sort_keys=False, allow_unicode=True)[11 + len(key) :]

    def __call__(self, case: dict[str, Any]) -> str:
        import yaml

        answers = case.get("answers")
        if list(case) != ["schema", "edition", "edition_version", "case_id", "answers"] or not answers:
            return yaml.safe_dump(case, sort_keys=False, allow_unicode=True)
        fixed = (case["schema"], case["edition"], case["edition_version"])
        head = self.heads.get(fixed)
        if head is None:
            head = self.heads[fixed] = yaml.safe_dump(
                dict(zip(("schema", "edition", "edition_version"), fixed, strict=True)), sort_keys=False, allow_unicode=True
            )
        case_id = case["case_id"]
        id_line = f"case_id: {case_id}\n"
        shape = len(case_id) if isinstance(case_id, str) else -1
        plain = self.plain_ids.get(shape)
        if plain is None or not plain:  # an id of a shape not yet seen, or one that needs quoting: PyYAML decides
            rendered = yaml.safe_dump({"case_id": case_id}, sort_keys=False, allow_unicode=True)
            plain = self.plain_ids[shape] = rendered == id_line
            id_line = rendered
        entries, keys = self.entries, self.keys
        parts = [head, id_line, "answers:\n"]
        for qid, value in answers.items():
            key = keys.get(qid)
            if key is None:
                key = keys[qid] = self._key_text(qid)
            memo = (len(key) if key else qid, _key(value))
            text = entries.get(memo)
            if text is None:
                if len(entries) >= _MEMO_LIMIT:
                    entries.clear()
                text = entries[memo] = self._value_text(qid, key, value)
            parts.append(f"  {key}{text}" if key else text)
        return "".join(parts)


def _key(value: Any) -> Any:
    """An answer as a dictionary key: a list as a tuple, a mapping as a tuple of its pairs."""
    if value.__class__ is list:
        return ("list", *value)
    if value.__class__ is dict:
        return ("map", *value.items())
    if value.__class__ is float or value.__class__ is bool:  # 17.0 is written so, not as 17; True not as 1
        return (value.__class__.__name__, value)
    return value
