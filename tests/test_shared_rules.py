"""Checks and overriding factors that open with the same condition (``A and ...``): the engine works A out once a
case and then only the rest of each rule, with the same errors and warnings, in the same order, as working out
every rule whole, whether A holds, does not, or cannot be told (an answer missing, n/a, or not applying)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit import engine as engine_module

DEFINITION = """\
schema: 1
edition: shared_2024
title: Shared opening conditions
levels:
  section: {name: section, plural: sections}
items:
  - {id: route, kind: case_detail, type: choice, choices: [a, b]}
  - {id: first, kind: case_detail, type: yes_no, na: true}
  - {id: second, kind: case_detail, type: yes_no, condition: 'route == "a"'}
  - {id: flag, kind: case_detail, type: yes_no, na: true}
  - {id: level, kind: case_detail, type: choice, choices: [low, high]}
  - {id: x, kind: evidence, type: yes_no, na: true}
  - id: s1
    kind: summary
    type: yes_no
    weighs: [x]
    overriding:
      - {when: '(first == "yes" or second == "yes") and level == "low"', message: Low though concerned.}
      - {when: 'first == "yes" and x == "no"', message: Not done.}
      - {when: '(first == "yes"  or second == "yes") and x == "no" and level == "high"', message: High and not done.}
      - {when: 'flag and x == "no"', message: Flagged and not done.}
  - id: s2
    kind: summary
    type: yes_no
    weighs: [x]
    overriding:
      - {when: '(first == "yes" or second == "yes") and x == "no"', message: Concerned and not done.}
      - {when: 'flag and level == "high"', message: Flagged high.}
checks:
  - {id: concern_low, question: level, when: '(first == "yes" or second == "yes") and level == "low"', severity: warning, message: Low despite concerns.}
  - {id: concern_na, question: x, when: '(first == "yes" or second == "yes") and is_na(x)', severity: error, message: x is n/a despite concerns.}
  - {id: flagged_high, question: level, when: 'flag and level == "high"', severity: warning, message: Flagged and high.}
  - {id: plain, question: level, when: 'level == "high" and x == "yes"', severity: warning, message: High and done.}
"""


@pytest.fixture
def definition(tmp_path: Path) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(DEFINITION, encoding="utf-8")
    return path


def test_shared_opening_conditions_give_the_warnings_of_the_whole_rules(
    definition: Path, registry_of: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = registry_of(inspectkit.load_framework(definition)).engine("shared_2024")
    assert len(shared._openings) == 2  # the "first or second" opening, and flag standing alone
    monkeypatch.setattr(engine_module, "opening", lambda rule: None)  # every rule worked out whole
    whole = registry_of(inspectkit.load_framework(definition)).engine("shared_2024")
    assert whole._openings == []
    shown = ["route", "first", "second", "flag", "level", "x", "s1", "s2"]
    choices = [
        [None, "a", "b"],
        [None, "yes", "no", "n/a"],
        [None, "yes", "no"],
        [None, "yes", "n/a"],
        [None, "low", "high"],
        ["yes", "no", "n/a"],
        ["yes"],
        ["yes"],
    ]
    warned = 0
    for values in itertools.product(*choices):
        answers = {qid: v for qid, v in zip(shown, values, strict=True) if v is not None}
        for notes in ({}, {"s1": "seen"}):
            case = {"case_id": "C1", "answers": answers, "notes": notes}
            got, want = shared.evaluate(case), whole.evaluate(case)
            assert (got.errors, got.warnings) == (want.errors, want.warnings), answers
            assert shared.evaluate(case, warn=False).errors == want.errors
            warned += any(m.question in ("s1", "s2") for m in want.warnings)
    assert warned
