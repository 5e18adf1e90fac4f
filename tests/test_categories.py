"""Per-category answers: every category that applies is answered, and n/a is accepted where the document says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import inspectkit

DEFINITION = """\
schema: 1
edition: categories_2024
title: Categories
items:
  - id: in_custody
    kind: case_detail
    type: yes_no
  - id: harm_assessed
    text: "Was the risk of harm assessed for: the public? known adults? prisoners?"
    kind: evidence
    type: per_category
    choices: ["yes", "no"]
    categories:
      - {code: public, label: the public}
      - {code: known_adults, label: known adults}
      - {code: prisoners, label: prisoners, condition: in_custody, na: true}
scoring:
  aggregate_kinds: [evidence]
"""


@pytest.fixture
def engine(tmp_path: Path, registry_of: Any) -> Any:
    path = tmp_path / "framework.yaml"
    path.write_text(DEFINITION, encoding="utf-8")
    return registry_of(inspectkit.load_framework(path)).engine("categories_2024")


def assess(engine: Any, **answers: Any) -> Any:
    return engine.assess({"case_id": "C1", "answers": answers})


def test_a_partial_answer_is_missing_and_says_which_categories(engine: Any) -> None:
    result = assess(engine, in_custody="no", harm_assessed={"public": "yes"})
    q = result.questions["harm_assessed"]
    assert (q.status, q.non_answer, q.missing_categories) == ("missing", "incomplete", ("known_adults",))
    assert q.value == {"public": "yes"}  # what was answered is kept
    (warning,) = [m.message for m in result.warnings]
    assert warning.startswith("no answer for known_adults: answer every category that applies")
    assert result.to_dict()["questions"]["harm_assessed"]["missing_categories"] == ["known_adults"]


def test_a_category_that_applies_is_demanded_only_where_it_applies(engine: Any) -> None:
    community = assess(engine, in_custody="no", harm_assessed={"public": "yes", "known_adults": "no"})
    assert community.questions["harm_assessed"].status == "answered" and community.warnings == ()
    custody = assess(engine, in_custody="yes", harm_assessed={"public": "yes", "known_adults": "no"})
    assert custody.questions["harm_assessed"].missing_categories == ("prisoners",)


def test_n_a_is_accepted_where_the_category_does_not_apply(engine: Any) -> None:
    result = assess(engine, in_custody="no", harm_assessed={"public": "yes", "known_adults": "yes", "prisoners": "n/a"})
    assert result.errors == () and result.warnings == ()
    assert result.questions["harm_assessed"].status == "answered"
    wrong = assess(engine, in_custody="no", harm_assessed={"public": "yes", "known_adults": "yes", "prisoners": "yes"})
    assert [m.message for m in wrong.errors] == ["category 'prisoners' does not apply to this case (in_custody); remove it"]


def test_n_a_is_an_answer_only_for_the_categories_that_allow_it(engine: Any) -> None:
    ok = assess(engine, in_custody="yes", harm_assessed={"public": "yes", "known_adults": "yes", "prisoners": "n/a"})
    assert ok.errors == () and ok.questions["harm_assessed"].status == "answered"
    refused = assess(engine, in_custody="yes", harm_assessed={"public": "n/a", "known_adults": "yes", "prisoners": "n/a"})
    assert [m.message for m in refused.errors] == ["public: 'n/a' is not one of: yes, no"]


def test_rate_counts_a_partial_answer_as_missing(engine: Any, registry_of: Any) -> None:
    fw = engine.framework
    cases = [
        {"case_id": "C1", "answers": {"in_custody": "no", "harm_assessed": {"public": "no"}}},
        {"case_id": "C2", "answers": {"in_custody": "no", "harm_assessed": {"public": "yes", "known_adults": "yes"}}},
    ]
    report = inspectkit.rate(registry_of(fw), fw.edition, cases)
    t = report.items["harm_assessed"]
    assert (t.numerator, t.denominator, t.missing) == (1, 1, 1)
