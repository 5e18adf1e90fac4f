"""Synthetic cases: valid random answers that respect every condition, for demos, tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inspectkit.engine import Engine, _Env
from inspectkit.expressions import NA, truth
from inspectkit.files import atomic_write, atomic_writer
from inspectkit.model import Item

_WORDS = (
    "the case record shows regular contact with the service user and clear attention to risk "
    "plans were reviewed after a change in circumstances and partners were involved"
).split()
_START = dt.date(2018, 1, 1)


def _value(item: Item, rng: random.Random) -> Any:
    a = item.answer
    assert a is not None
    name = a.name
    if a.na and name != "per_category" and rng.random() < 0.08:
        return NA
    if name == "yes_no":
        # summary judgements and evidence lean to "yes", as most work in a sample is sufficient
        return "yes" if rng.random() < (0.72 if item.kind in ("summary", "evidence") else 0.5) else "no"
    if name in ("choice", "rating"):
        return rng.choice(a.codes)
    if name == "multi":
        most = min(a.max_choices or 3, len(a.codes))
        return rng.sample(list(a.codes), rng.randint(1, most)) if most else []
    if name in ("number", "months"):
        lo = int(a.minimum) if a.minimum is not None else (1 if name == "months" else 0)
        hi = int(a.maximum) if a.maximum is not None else (36 if name == "months" else 40)
        if a.integer or name == "months":
            return rng.randint(lo, max(lo, hi))
        return round(rng.uniform(lo, hi), 2)
    if name == "date":
        return (_START + dt.timedelta(days=rng.randint(0, 3 * 365))).isoformat()
    if name == "text":
        most = min(a.max_words or 30, 30)
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, max(3, most)))).capitalize() + "."
    if name == "per_category":
        lean = "yes" in a.codes
        return {c.code: "yes" if lean and rng.random() < 0.75 else rng.choice(a.codes) for c in a.categories}
    raise AssertionError(name)  # pragma: no cover


_ASKABLE: dict[int, tuple[Engine, list[Item], frozenset[str], frozenset[str]]] = {}


def _askable(engine: Engine) -> tuple[list[Item], frozenset[str], frozenset[str]]:
    """The questions a case answers (not derived), those whose applicability a rule decides, and the answers
    those rules read."""
    hit = _ASKABLE.get(id(engine))
    if hit is None or hit[0] is not engine:
        items = [i for i in engine.case_items if i.answer is not None and i.derive is None]
        conditional = frozenset(i.id for i in items if i.id in engine.conditions or i.id in engine.condition_parent)
        hit = _ASKABLE[id(engine)] = (engine, items, conditional, _applicability_inputs(engine))
    return hit[1], hit[2], hit[3]


def _applicability_inputs(engine: Engine) -> frozenset[str]:
    """Every answer a condition reads, directly or through a derived value or a case score (its members and
    the judgement that may stand for it): answering anything else cannot change what applies."""
    seen: set[str] = set()
    todo = [r for cond in engine.conditions.values() for r in cond.reads]
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        derive = engine.derives.get(ref)
        if derive is not None:
            todo.extend(derive.reads)
        score = engine.score_by_id.get(ref)
        if score is not None:
            todo.extend(score.of)
            if score.judgement is not None:
                todo.append(score.judgement)
    return frozenset(seen)


def make_case(engine: Engine, rng: random.Random, case_id: str) -> dict[str, Any]:
    """One case: answer in document order, asking only what applies given the answers so far."""
    fw = engine.framework
    askable, conditional, rule_inputs = _askable(engine)
    validators = engine.validators
    for _attempt in range(25):
        answers: dict[str, Any] = {}
        for _round in range(4):
            env: _Env | None = None  # the rules' view of the answers, settled only when a question needs it
            changed = False
            for item in askable:
                qid = item.id
                if qid in conditional:
                    if env is None:
                        env = _Env(engine, answers)
                    if env.applies(qid) is False:
                        if qid in answers:
                            del answers[qid]
                            changed = True
                        continue
                if qid not in answers:
                    value = _value(item, rng)
                    answers[qid] = validators[qid](value) if item.answer.name != "date" else value  # type: ignore[union-attr]
                    if qid in rule_inputs:  # only then can a later question's applicability change
                        env = None
                    changed = True
            if not changed:
                break
        # drop categories that do not apply
        env = _Env(engine, answers)
        for qid, cats in engine.category_conditions.items():
            if isinstance(answers.get(qid), dict):
                for code, cond in cats:
                    if truth(cond(env)) is False:
                        answers[qid].pop(code, None)
        case = json.loads(
            json.dumps(
                {"schema": 1, "edition": fw.edition, "edition_version": fw.version, "case_id": case_id, "answers": answers},
                default=str,
            )
        )
        if not engine.evaluate(case).errors:
            return case
    return case


def iter_synthetic(engine: Engine, count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    prefix = engine.framework.edition.upper().replace("_", "-")
    for n in range(1, count + 1):
        yield make_case(engine, rng, f"SYN-{prefix}-{seed}-{n:06d}")


def write_cases(engine: Engine, count: int, seed: int, output: Path, progress: Any = None) -> int:
    """JSON Lines when ``output`` ends in .jsonl (written whole, then moved into place); else one YAML per case."""
    output = Path(output)
    if output.suffix.lower() == ".jsonl":
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(output) as fh:  # the one writer: the user's file mode, links kept, whole or not at all
            for n, case in enumerate(iter_synthetic(engine, count, seed), start=1):
                fh.write(json.dumps(case, separators=(",", ":")) + "\n")
                if progress is not None:
                    progress(n)
        return count
    import yaml

    output.mkdir(parents=True, exist_ok=True)
    n = 0
    for case in iter_synthetic(engine, count, seed):
        atomic_write(output / f"{case['case_id']}.yaml", yaml.safe_dump(case, sort_keys=False, allow_unicode=True))
        n += 1
        if progress is not None:
            progress(n)
    return n
