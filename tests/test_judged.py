"""A criterion the inspector judged is checked against its indicators: the result the indicators give without
the judgement is read from the case's settled rules, and settled again only where a rule they rest on reads
the judgement. Either way the warnings are the ones a full settling without the judgement gives."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import inspectkit
import inspectkit.plugins
from inspectkit.engine import Engine
from inspectkit.synth import iter_synthetic

JUDGED_FRAMEWORK = Path(__file__).parent / "judged" / "framework.yaml"
EDITIONS = ("adult_offending_2013", "carag_2019", "standards_2020", "qi_2017")
CASES = {"adult_offending_2013": 60}


def _settling_again(engine: Engine, always: bool = True) -> Engine:
    """The same framework's engine, with every judgement re-checked by settling the rules again (or never)."""
    other = Engine(engine.framework)
    other._rechecks = [
        (score, judgement, None if always else other._case_members[score.id], said)
        for score, judgement, _, said in other._rechecks
    ]
    return other


def _cases(engine: Engine, n: int, seed: int) -> list[dict[str, Any]]:
    """Synthetic cases, with judgements turned round, indicators left out and notes given, so that judgements
    disagree with their indicators, agree, and wait for answers."""
    rng = random.Random(seed)
    judgements = [s.judgement for s in engine.judged_scores]
    out = []
    for doc in iter_synthetic(engine, n, seed=seed):
        answers = doc["answers"]
        for j in judgements:
            roll = rng.random()
            if roll < 0.3:
                answers[j] = rng.choice(("met", "not_met"))
            elif roll < 0.35:
                answers.pop(j, None)
            elif roll < 0.4:
                doc.setdefault("notes", {})[j] = "Judged as a whole."
        for qid in rng.sample(sorted(answers), min(3, len(answers))):
            if qid not in judgements:
                answers.pop(qid)
        out.append(doc)
    return out


def _warnings(engine: Engine, case: dict[str, Any]) -> list[tuple[Any, str]]:
    return [(w.question, w.message) for w in engine.evaluate(case).warnings]


def _same_as_settling_again(engine: Engine, cases: list[dict[str, Any]]) -> int:
    """Assert each case's warnings are the same either way; return how many judgement warnings there were."""
    slow = _settling_again(engine)
    judged = 0
    for case in cases:
        fast = _warnings(engine, case)
        assert fast == _warnings(slow, case), case["case_id"]
        judged += sum("but by its indicators it is" in m for _, m in fast)
    return judged


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_edition_warns_as_settling_again_would(edition: str) -> None:
    registry = inspectkit.plugins.load_registry()
    if edition not in registry.entries:
        pytest.skip(f"{edition} is not installed")
    engine = registry.engine(edition)
    judged = _same_as_settling_again(engine, _cases(engine, CASES.get(edition, 100), seed=14))
    if engine.judged_scores:
        assert judged > 0  # judgements that disagree with their indicators were among the cases


def test_the_tiny_edition_warns_as_settling_again_would(engine: Engine) -> None:
    assert _same_as_settling_again(engine, _cases(engine, 100, seed=14)) > 0


def test_a_judgement_its_indicators_read_is_settled_again() -> None:
    engine = Engine(inspectkit.load_framework(JUDGED_FRAMEWORK))
    # 1.a.1 applies unless 1.a is judged not_met: without the judgement it may apply, and it is unanswered
    assert [(s.id, members is None) for s, _, members, _ in engine._rechecks] == [("1.a.score", True), ("2.a", False)]
    case = {"schema": 1, "edition": "judged_2024", "case_id": "J1", "answers": {"1.a": "not_met", "1.a.2": "yes"}}
    assert _warnings(engine, case) == []  # by its indicators it is undecided: nothing to warn of
    # read from the settled rules instead, 1.a.1 would not apply and the indicators would give met
    assert _warnings(_settling_again(engine, always=False), case) == [
        ("1.a", "judged not_met, but by its indicators it is met; add a note saying why")
    ]
    case["answers"] = {"1.a": "met", "1.a.1": "no", "1.a.2": "yes", "2.a": "met", "2.a.1": "yes", "2.a.2": "no"}
    assert _warnings(engine, case) == [
        ("1.a", "judged met, but by its indicators it is not_met; add a note saying why"),
        ("2.a", "judged met, but by its indicators it is not_met; add a note saying why"),
    ]
    assert _same_as_settling_again(engine, _cases(engine, 200, seed=14)) > 0
