"""Framework definitions: `inspectkit check FILE` reports every problem with file:line and the item id."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit import definition
from inspectkit.errors import DefinitionErrors

HEAD = """\
schema: 1
edition: check_2024
title: A definition to check
scales:
  risk:
    ordered: true
    choices: [low, medium, high]
items:
  - id: a
    kind: case_detail
    type: yes_no
  - id: risk
    kind: case_detail
    type: choice
    scale: risk
  - id: age
    kind: case_detail
    type: number
  - id: start_date
    kind: case_detail
    type: date
"""


def definition_with(tmp_path: Path, extra_items: str, tail: str = "") -> Path:
    path = tmp_path / "framework.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(extra_items), "  ") + textwrap.dedent(tail), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_check_accepts_the_tiny_framework(cli: Any) -> None:
    path = Path(__file__).parent / "tiny" / "framework.yaml"
    result = cli("check", path)
    assert result.exit_code == 0, result.output
    assert "tiny_2024 is valid" in result.output
    assert "4 checks" in result.output


def test_check_an_installed_edition_by_name(cli: Any) -> None:
    result = cli("check", "tiny_2024")
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ('a == "yes" and', ["expected a value", "column 15"]),
        ('rsk == "low"', ["unknown question id 'rsk'", "did you mean risk?"]),
        ("frobnicate(a)", ["unknown function 'frobnicate'"]),
        ("weeks_between(start_date) > 1", ["takes 2 argument(s), not 1"]),
        ("weeks_between(age, start_date) > 1", ["needs date, not age (number)"]),
        ('risk == "severe"', ["risk has no choice 'severe'"]),
        ('age == "old"', ["cannot compare age (number) with text"]),
    ],
)
def test_check_reports_a_bad_condition_with_file_line_and_item(cli: Any, tmp_path: Path, rule: str, words: list[str]) -> None:
    path = definition_with(
        tmp_path,
        f"""\
        - id: broken
          kind: case_detail
          type: yes_no
          condition: '{rule}'
        """,
    )
    result = cli("check", path)
    assert result.exit_code == 1, result.output
    line = line_of(path, "condition: '")
    assert f"{path}:{line}: broken: condition:" in result.output
    for word in words:
        assert word in result.output


def test_check_names_the_shortest_cycle(cli: Any, tmp_path: Path) -> None:
    path = definition_with(
        tmp_path,
        """\
        - id: x
          kind: case_detail
          type: yes_no
          condition: y
        - id: y
          kind: case_detail
          type: yes_no
          condition: z
        - id: z
          kind: case_detail
          type: yes_no
          derive: x
        - id: p
          kind: case_detail
          type: yes_no
          condition: q
        - id: q
          kind: case_detail
          type: yes_no
          derive: p
        """,
    )
    result = cli("check", path)
    assert result.exit_code == 1
    assert "rules form a cycle: p -> q -> p" in result.output
    assert f"{path}:{line_of(path, '- id: p')}: p:" in result.output
    assert "x -> y" not in result.output


def test_a_derived_value_that_reads_itself_is_a_cycle(tmp_path: Path) -> None:
    path = definition_with(
        tmp_path,
        """\
        - id: self
          kind: case_detail
          type: number
          derive: self + 1
        """,
    )
    with pytest.raises(DefinitionErrors, match=re.escape("self -> self")):
        definition.load_framework(path)


def test_check_reports_every_problem_at_once(cli: Any, tmp_path: Path) -> None:
    path = definition_with(
        tmp_path,
        """\
        - id: one
          kind: case_detail
          type: yes_no
          condition: 'rsk == "low"'
        - id: two
          kind: case_detail
          type: choise
        - id: one
          kind: case_detail
          type: yes_no
        - id: three
          parent: nowhere
          kind: case_detail
          type: yes_no
          colour: red
        """,
        tail="""\
        checks:
          - id: c1
            question: agee
            when: age > "x"
            message: m
        """,
    )
    result = cli("check", path)
    assert result.exit_code == 1
    out = result.output
    assert "one: condition: unknown question id 'rsk'" in out
    assert "two: unknown type 'choise' (did you mean choice?)" in out
    assert "one: id used twice" in out
    assert "three: parent 'nowhere' is not an item" in out
    assert "three: unknown field 'colour'" in out
    assert "c1: question 'agee' is not a question (did you mean age?)" in out
    assert "c1: when: cannot compare age (number) with text" in out
    assert all(line.startswith(f"error: {path}:") for line in result.stderr.strip().splitlines())
    assert "error(s)" in result.stdout


def test_check_reports_a_definition_that_is_not_yaml(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text("schema: 1\nitems:\n  - id: a\n    text: [unclosed\n", encoding="utf-8")
    result = cli("check", path)
    assert result.exit_code == 1
    assert "not valid YAML" in result.output
    assert f"{path}:" in result.output


def test_check_a_missing_file_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    result = cli("check", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_an_id_yaml_reads_as_a_number_must_be_quoted(tmp_path: Path) -> None:
    path = definition_with(
        tmp_path,
        """\
        - id: 2.1
          kind: case_detail
          type: yes_no
        """,
    )
    with pytest.raises(DefinitionErrors) as info:
        definition.load_framework(path)
    assert "write the id 2.1 in quotes" in str(info.value)


def test_an_unknown_top_level_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = definition_with(tmp_path, "", tail="check:\n  - id: x\n")
    with pytest.raises(DefinitionErrors) as info:
        definition.load_framework(path)
    assert "unknown key 'check' (did you mean checks?)" in str(info.value)


def test_the_tiny_framework_loads_every_feature(framework: Any) -> None:
    items = framework.items
    assert items["2.1.1.a"].answer.na is True
    assert items["risk"].answer.ordered is True
    assert items["needs"].answer.max_choices == 3
    assert items["offence"].answer.codes == ("assault", "arson", "theft", "burglary")  # choices_from a list
    assert [c.code for c in items["contact"].answer.categories] == ["community", "prison"]
    assert items["contact"].answer.categories[1].condition is not None
    assert items["9.9"].kind == "reserved" and not items["9.9"].is_question
    assert items["2.1"].children == ("2.1.1", "2.1.2")
    assert [q.id for q in framework.inspection_questions] == ["provider", "1.1"]
    assert framework.scoring.ratings is not None and framework.scoring.ratings.minimum_cases == 2
    assert framework.reference[0].id == "definition_case"
    assert framework.plugin == "tiny"


def test_built_frameworks_are_cached_and_refreshed_when_the_file_changes(tmp_path: Path, monkeypatch: Any) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(cache))
    path = definition_with(tmp_path, "")
    first = definition.load_framework(path)
    assert list(cache.glob("framework-*.json")), "the framework was not cached"
    again = definition.load_framework(path)
    assert list(again.items) == list(first.items)
    path.write_text(path.read_text() + "  - {id: extra, kind: case_detail, type: yes_no}\n", encoding="utf-8")
    assert "extra" in definition.load_framework(path).items


def test_a_broken_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: Any) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(cache))
    path = definition_with(tmp_path, "")
    definition.load_framework(path)
    for cached in cache.glob("framework-*.json"):
        cached.write_bytes(b"not a cache entry")
    assert "age" in definition.load_framework(path).items


def test_no_cache_when_switched_off(tmp_path: Path, monkeypatch: Any) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(cache))
    monkeypatch.setenv("INSPECTKIT_NO_CACHE", "1")
    definition.load_framework(definition_with(tmp_path, ""))
    assert not cache.exists() or not list(cache.iterdir())


def test_load_framework_by_path_through_the_api(tmp_path: Path, registry: Any) -> None:
    fw = inspectkit.load_framework(definition_with(tmp_path, ""), registry=registry)
    assert fw.edition == "check_2024"
    assert inspectkit.load_framework("tiny_2024", registry=registry).edition == "tiny_2024"


def test_a_case_rule_reading_an_inspection_answer_says_why_it_cannot(tmp_path: Path) -> None:
    path = definition_with(
        tmp_path,
        """
        - id: provider
          kind: inspection
          type: choice
          choices: [public, private]
        - id: q
          kind: evidence
          type: yes_no
          condition: provider == "public"
        """,
    )
    with pytest.raises(DefinitionErrors) as caught:
        definition.load_framework(path)
    message = str(caught.value)
    assert f"{path}:{line_of(path, 'condition: provider')}: q:" in message
    assert "provider is answered once per inspection, so a rule about one case cannot read it" in message


def test_says_without_a_rule_to_put_in_words_is_refused(tmp_path: Path) -> None:
    path = definition_with(tmp_path, "- id: plain\n  kind: case_detail\n  type: yes_no\n  says: always yes\n")
    with pytest.raises(DefinitionErrors) as exc:
        definition.load_framework(path)
    (err,) = [e for e in exc.value.errors if "says:" in str(e)]
    assert err.location.item == "plain" and err.location.line == line_of(path, "says: always yes")
