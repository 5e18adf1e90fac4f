"""Settling a case's rules: questions that share a condition, an enclosing one, or both are decided together,
with the same result as reading the plan entry by entry."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit.expressions import UNKNOWN, truth

DEFINITION = """\
schema: 1
edition: settle_2024
title: Settling
levels:
  section: {name: section, plural: sections}
items:
  - {id: route, kind: case_detail, type: choice, choices: [a, b, c]}
  - {id: flag, kind: case_detail, type: yes_no}
  - {id: twin_1, kind: case_detail, type: yes_no, condition: 'route in ["a", "b"] and flag == "yes"'}
  - {id: twin_2, kind: case_detail, type: yes_no, condition: 'route in ["a", "b"] and flag == "yes"'}
  - {id: after_twin, kind: case_detail, type: yes_no, condition: 'twin_1 == "yes"'}
  - {id: route_a, kind: case_detail, type: yes_no, derive: 'route == "a"', condition: 'flag == "yes"'}
  - id: part
    level: section
    title: A part for route a only
    condition: route == "a"
  - {id: inside, parent: part, kind: case_detail, type: yes_no}
  - {id: inside_too, parent: part, kind: case_detail, type: yes_no}
  - {id: inside_flagged, parent: part, kind: case_detail, type: yes_no, condition: 'flag == "yes"'}
  - {id: inside_flagged_too, parent: part, kind: case_detail, type: yes_no, condition: 'flag == "yes"'}
  - {id: outside_flagged, kind: case_detail, type: yes_no, condition: 'flag == "yes"'}
  - {id: inside_derived, parent: part, kind: case_detail, type: yes_no, derive: 'inside == "yes"'}
  - {id: reads_inside, kind: case_detail, type: yes_no, condition: 'inside_too == "yes" or inside_flagged == "no"'}
"""


@pytest.fixture
def engine(tmp_path: Path, registry_of: Any) -> Any:
    path = tmp_path / "framework.yaml"
    path.write_text(DEFINITION, encoding="utf-8")
    return registry_of(inspectkit.load_framework(path)).engine("settle_2024")


def read_entry_by_entry(engine: Any, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What applies and the values, reading the plan one entry at a time (each condition worked out afresh)."""

    class Env:
        def __init__(self) -> None:
            self.vals = dict(answers)

    env, na = Env(), {}
    for qid, cond, _key, parent, derive, _score in engine.plan:
        applies = True if cond is None else truth(cond(env))
        if parent is not None:
            above = na.get(parent, True)
            if above is False or (above is UNKNOWN and applies is True):
                applies = above
        if applies is not True:
            na[qid] = applies
            if applies is False:
                env.vals.pop(qid, None)
                continue
        if derive is not None:
            v = engine.to_answer(qid, derive(env))
            if v is UNKNOWN:
                env.vals.pop(qid, None)
            else:
                env.vals[qid] = v
    return na, env.vals


def test_questions_decided_together_settle_as_the_plan_read_entry_by_entry(engine: Any) -> None:
    shown = ["route", "flag", "twin_1", "inside", "inside_too", "inside_flagged"]
    choices = [[None, "a", "b", "c"], [None, "yes", "no"], [None, "yes", "no"], [None, "yes"], [None, "yes"], [None, "no"]]
    for values in itertools.product(*choices):
        answers = {qid: v for qid, v in zip(shown, values, strict=True) if v is not None}
        ev = engine.evaluate({"case_id": "C1", "answers": answers})
        na, vals = read_entry_by_entry(engine, answers)
        assert (ev.env.na, ev.env.vals) == (na, vals), answers


def test_answers_that_do_not_apply_are_reported_in_the_plan_order(engine: Any) -> None:
    answered = {qid: "yes" for qid in ("twin_1", "twin_2", "inside", "inside_too", "inside_flagged", "outside_flagged")}
    ev = engine.evaluate({"case_id": "C1", "answers": {"route": "c", "flag": "no", **answered}})
    plan_order = [entry[0] for entry in engine.plan if entry[0] in answered]
    assert [m.question for m in ev.errors] == plan_order
    assert set(plan_order) == set(answered)
    assert "because part does not" in next(m.message for m in ev.errors if m.question == "inside")


def test_assess_gives_the_same_output_in_every_process(tmp_path: Path) -> None:
    """The plan's order (and so the order of case scores in ``judgements``) does not depend on the hash seed."""
    import json
    import os
    import subprocess
    import sys

    from inspectkit.plugins import load_registry

    edition = "adult_offending_2013"
    if edition not in load_registry().editions():
        pytest.skip(f"the {edition} edition is not installed")
    lines = (Path(__file__).parent / "editions" / f"{edition}-cases.jsonl").read_text(encoding="utf-8").splitlines()
    case = tmp_path / "case.json"
    case.write_text(lines[0], encoding="utf-8")
    exe = Path(sys.executable).with_name("inspectkit")
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([str(exe), "assess", "-e", edition, "--format", "json", str(case)], env=env, capture_output=True)
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])["judgements"]) > 1
