"""An item's direction: which answer is favourable, or none. Neutral items are proportions, never "sufficient"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit.errors import DefinitionErrors

DEFINITION = """\
schema: 1
edition: direction_2024
title: Directions
items:
  - id: v1
    level: view
    title: A view
  - id: report_prepared
    parent: v1
    text: Was a report prepared in the area?
    kind: evidence
    type: yes_no
    direction: none
  - id: report_good
    parent: v1
    text: Was the report sufficient?
    kind: evidence
    type: yes_no
    condition: report_prepared
  - id: breaches
    parent: v1
    text: Were there unexplained breaches?
    kind: evidence
    type: yes_no
    direction: no
  - id: note
    parent: v1
    text: Anything else?
    kind: background
    type: text
scoring:
  sufficient: [yes]
  aggregate_kinds: [evidence]
  case_scores:
    - id: kept_to_order
      title: Kept to the order
      of: [breaches]
  items:
    - id: reports_in_area
      title: Reports prepared in the area
      from: report_prepared
"""


def framework_file(tmp_path: Path, text: str = DEFINITION) -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def fw(tmp_path: Path) -> Any:
    return inspectkit.load_framework(framework_file(tmp_path))


@pytest.fixture
def rate(registry_of: Any) -> Any:
    def rate(fw: Any, *answers: dict[str, Any]) -> Any:
        cases = [{"case_id": f"C{n}", "answers": a} for n, a in enumerate(answers, start=1)]
        return inspectkit.rate(registry_of(fw), fw.edition, cases)

    return rate


def test_a_neutral_item_is_a_proportion_answering_yes(fw: Any, rate: Any) -> None:
    report = rate(
        fw,
        {"report_prepared": "yes", "report_good": "no", "breaches": "no"},
        {"report_prepared": "no", "breaches": "no"},
        {"report_prepared": "no", "breaches": "yes"},
    )
    items = report.to_dict()["items"]
    assert items["report_prepared"]["direction"] == "neutral"
    assert items["report_prepared"]["counted"] == ["yes"]
    assert (items["report_prepared"]["numerator"], items["report_prepared"]["denominator"]) == (1, 3)
    # a scoring item read from a neutral question is neutral too
    assert items["reports_in_area"]["direction"] == "neutral"
    assert items["report_good"]["direction"] == "favourable"
    assert (items["report_good"]["numerator"], items["report_good"]["denominator"]) == (0, 1)


def test_no_as_the_favourable_answer_counts_the_noes(fw: Any, rate: Any) -> None:
    report = rate(fw, {"report_prepared": "no", "breaches": "no"}, {"report_prepared": "no", "breaches": "yes"})
    items = report.to_dict()["items"]
    assert items["breaches"]["direction"] == "favourable"
    assert items["breaches"]["counted"] == ["no"]
    assert (items["breaches"]["numerator"], items["breaches"]["denominator"]) == (1, 2)
    # a case score reading it is met when the favourable answer is given
    assert (items["kept_to_order"]["numerator"], items["kept_to_order"]["denominator"]) == (1, 2)


def test_explain_calls_a_neutral_item_a_proportion(fw: Any, registry_of: Any) -> None:
    from inspectkit.aggregate import explain

    registry = registry_of(fw)
    report = inspectkit.rate(registry, fw.edition, [{"case_id": "C1", "answers": {"report_prepared": "yes"}}])
    lines = explain(registry, report, "report_prepared")
    assert lines[1] == "  report_prepared: 1 answered yes of 1 applicable = 100.0%"
    assert "no answer is favourable" in lines[3]
    assert not any("sufficient answers" in x for x in lines)


def test_the_rate_table_lists_neutral_items_apart_as_proportions(fw: Any, rate: Any, registry_of: Any) -> None:
    from inspectkit.cli import _report_table

    report = rate(
        fw,
        {"report_prepared": "yes", "report_good": "yes", "breaches": "no"},
        {"report_prepared": "no", "breaches": "no"},
    )
    text = _report_table(registry_of(fw), report)
    sufficient, _, proportions = text.partition("Proportions")
    assert "report_good" in sufficient and "breaches" in sufficient
    assert "report_prepared" not in sufficient
    row = next(line for line in proportions.splitlines() if line.startswith("report_prepared"))
    assert "yes" in row and "1/2" in row and "50.0%" in row


BAD = {
    "a code that is not an answer": (
        "report_prepared",
        "direction: none",
        "direction: maybe",
        "direction: 'maybe' is not one of the answers (yes, no)",
    ),
    "a direction on a question rate never counts": (
        "note",
        "type: text",
        "type: yes_no\n    direction: yes",
        "rate does not count this question",
    ),
    "a heading": ("v1", "title: A view", "title: A view\n    direction: yes", "direction is declared on a question only"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_check_refuses_a_direction_that_cannot_be_right(tmp_path: Path, case: str) -> None:
    item, old, new, words = BAD[case]
    head, _, rest = DEFINITION.partition(f"- id: {item}\n")
    rest = rest.replace(old, new, 1)
    path = framework_file(tmp_path, head + f"- id: {item}\n" + rest)
    with pytest.raises(DefinitionErrors) as exc:
        inspectkit.load_framework(path)
    found = [e for e in exc.value.errors if words in str(e)]
    assert found, [str(e) for e in exc.value.errors]
    assert found[0].location.item == item


def test_check_refuses_a_neutral_item_in_a_case_score_or_a_rating(tmp_path: Path) -> None:
    text = DEFINITION.replace("of: [breaches]", "of: [breaches, report_prepared]").replace(
        "items:\n  - id: v1", "scales:\n  rating: {ordered: true, choices: [poor, fine]}\nitems:\n  - id: v1"
    ) + (
        "  ratings:\n"
        "    scale: rating\n"
        "    bands: [{min: 0, rating: poor}]\n"
        "    rated:\n"
        "      - {id: v1, rule: lowest, of: [reports_in_area]}\n"
    )
    with pytest.raises(DefinitionErrors) as exc:
        inspectkit.load_framework(framework_file(tmp_path, text))
    messages = [str(e) for e in exc.value.errors]
    assert any("case score kept_to_order reads report_prepared, whose direction is none" in m for m in messages), messages
    assert any("v1 is rated from reports_in_area, whose direction is none" in m for m in messages), messages
