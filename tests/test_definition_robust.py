"""A definition that is wrong in any way is refused by ``check`` with its file and line, never a crash, a
hang or an error that waits until an inspector assesses a case. Every input here once did one of those."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from inspectkit import definition
from inspectkit.errors import DefinitionErrors, InspectkitError

TINY = Path(__file__).parent / "tiny"
CHECK = 'when: sentence_type == "custody" and risk == "low"'
BOMB = (
    'b: [&m1 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"], '
    + ", ".join(f"&m{n} [" + ",".join([f"*m{n - 1}"] * 9) + "]" for n in range(2, 9))
    + "]\nscales:"
)

MUTATIONS: dict[str, tuple[list[tuple[str, str]], str]] = {
    "parent cycle": (
        [("  - id: details\n    level: section\n", "  - id: details\n    parent: sentence_type\n    level: section\n")],
        "parent: the parents form a cycle (details -> sentence_type -> details)",
    ),
    "own parent": (
        [("  - id: details\n    level: section\n", "  - id: details\n    parent: details\n    level: section\n")],
        "parent: the parents form a cycle (details -> details)",
    ),
    "max_words text": ([("max_words: 5", 'max_words: "ten"')], "max_words must be a whole number of 1 or more, not 'ten'"),
    "max_words 0": ([("max_words: 5", "max_words: 0")], "max_words must be a whole number of 1 or more, not 0"),
    "1,000-term sum": ([(CHECK, "when: " + " + ".join(["age"] * 1000) + " > 1")], "a sum of more than 64 terms"),
    "1,000-term difference": ([(CHECK, "when: " + " - ".join(["age"] * 1000) + " > 1")], "a sum of more than 64 terms"),
    "5,000-digit literal": ([(CHECK, "when: age > " + "1" * 5000)], "a number of 5,000 characters; at most 30 are read"),
    "400-digit decimal": ([(CHECK, "when: age > " + "1" * 400 + ".5")], "a number of 402 characters"),
    "nested 10,000 deep": ([("reference:", "deep: " + "[" * 10000 + "]" * 10000 + "\nreference:")], "nested too deeply"),
    "band min abc": ([("{min: 80, rating: outstanding}", "{min: abc, rating: outstanding}")], "bands: min must be a number"),
    "band rating list": (
        [("{min: 80, rating: outstanding}", "{min: 80, rating: [outstanding]}")],
        "bands: a band's rating is a code on the rating scale, not a list",
    ),
    "scores x": ([("scores: {inadequate: 0", "scores: {inadequate: x")], "the score for inadequate must be a whole number"),
    "scores 0.5": ([("scores: {inadequate: 0", "scores: {inadequate: 0.5")], "the score for inadequate must be a whole number"),
    "scores list": (
        [("scores: {inadequate: 0, requires_improvement: 1, good: 2, outstanding: 3}", "scores: [1, 2]")],
        "overall scores must be a mapping of rating -> whole number, not a list",
    ),
    "include 5": ([("scales:", "include: 5\nscales:")], "include must be a list of file names"),
    "include a name too long": ([("scales:", "include: " + "a" * 5000 + "\nscales:")], "not found"),
    "include a folder": ([("scales:", "include: [.]\nscales:")], "not found"),
    "sample 5": (
        [("sample:\n  - id: short_supervision", "sample: 5\nxsample:\n  - id: short_supervision")],
        "sample must be a list",
    ),
    "checks 5.0": (
        [("checks:\n  - id: custody_low_risk", "checks: 5.0\nxchecks:\n  - id: custody_low_risk")],
        "checks must be a list",
    ),
    "aggregate_kinds 5": ([("aggregate_kinds: [summary]", "aggregate_kinds: 5")], "aggregate_kinds must be a list of kinds"),
    "case score of 5": ([("      of: children\n", "      of: 5\n")], "of must be a list of ids"),
    "overriding 5": (
        [("    overriding:\n      - when:", "    overriding: 5\n    xoverriding:\n      - when:")],
        "overriding must be a list of overriding factors",
    ),
    "na maybe": ([("    max_words: 5", "    max_words: 5\n    na: maybe")], "na must be true or false, not text 'maybe'"),
    "minimum_cases two": ([("minimum_cases: 2", "minimum_cases: two")], "minimum_cases must be a whole number of 1 or more"),
    "evidence_for list": ([("scales:\n", "evidence_for: [a]\nscales:\n")], "evidence_for names one edition, not a list"),
    "message list": (
        [("    message: A custodial case is rarely assessed as low risk.", "    message: [1, 2]")],
        "message must be text",
    ),
    "alias bomb in an overriding factor": (
        [
            ("        message: The risk of harm was not analysed.", "        message: &m9 [*m8,*m8,*m8,*m8,*m8,*m8,*m8,*m8,*m8]"),
            ("scales:", BOMB),
        ],
        "holds more than 1,000,000 values",
    ),
}


def mutated(tmp_path: Path, subs: list[tuple[str, str]]) -> Path:
    text = (TINY / "framework.yaml").read_text(encoding="utf-8")
    for old, new in subs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(TINY / "offences.yaml", tmp_path / "offences.yaml")
    return path


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_check_refuses_what_would_fail_at_use(cli: Any, tmp_path: Path, name: str) -> None:
    subs, expected = MUTATIONS[name]
    path = mutated(tmp_path, subs)
    started = time.monotonic()
    result = cli("check", path, "--format", "json")  # asserts no traceback
    assert time.monotonic() - started < 20
    report = json.loads(result.stdout)
    assert result.exit_code == 1 and not report["valid"], report
    messages = [e["message"] for e in report["errors"]]
    assert any(expected in m for m in messages), messages
    assert all(e["file"] for e in report["errors"]), report["errors"]
    assert "could not be read" not in " ".join(messages)  # each was foreseen, not caught by the safety net
    with pytest.raises(InspectkitError):  # and loading it (as a plugin does) refuses it too
        definition.load_framework(path)


def test_a_cycle_is_named_with_its_line(cli: Any, tmp_path: Path) -> None:
    path = mutated(tmp_path, MUTATIONS["parent cycle"][0])
    (error,) = [e for e in json.loads(cli("check", path, "--format", "json").stdout)["errors"] if "cycle" in e["message"]]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[error["line"] - 1].strip() == "parent: details" and error["id"] == "sentence_type"


def test_an_unforeseen_failure_is_still_a_problem_in_the_definition(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("surprise")

    monkeypatch.setattr(definition._Builder, "matrix", broken)
    path = mutated(tmp_path, [])
    result = cli("check", path, "--format", "json")
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert report["errors"][-1]["message"] == "the definition could not be read (KeyError: 'surprise')"
    with pytest.raises(DefinitionErrors, match="could not be read"):
        definition.load_framework(path)
