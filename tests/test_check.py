"""`inspectkit check`: every problem in a definition at once, each with its file, line and id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BROKEN = Path(__file__).parent / "broken" / "framework.yaml"


def _problems(cli: Any, path: Path, *extra: str) -> dict[str, Any]:
    result = cli("check", str(path), "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_a_broken_definition_gives_every_expected_error_in_one_run(cli: Any) -> None:
    report = _problems(cli, BROKEN)
    assert report["valid"] is False
    got = {(e["line"], e["id"], e["message"]) for e in report["errors"]}
    expected = {
        (17, "1.10", 'write the id 1.10 in quotes (id: "1.10"), or YAML reads it as the number 1.1'),
        (19, "1.10", "level 'key_question' has no name in levels:"),
        (25, "q1", "unknown kind 'evidnce'"),
        (28, "q2", 'condition can never be true: q1 == "yes" and q1 == "no"'),
        (46, "always", "when is never false: answered(q3) or not answered(q3)"),
        (53, "both", "of: unknown id 'q9'"),
        (56, None, "bands: outstanding and good both start at 80 (the bands overlap)"),
        (56, None, "bands: nothing below 50 has a rating (the bands leave a gap)"),
        (63, "1", "of: unknown id 'H9': not an item, case score or aggregated item"),
    }
    assert got == expected
    assert all(e["file"].endswith("broken/framework.yaml") for e in report["errors"])
    # one mistyped kind is one error: rules that read the question are not reported as reading an unknown id
    assert not any("q1" in e["message"] and "unknown" in e["message"] and e["id"] != "q1" for e in report["errors"])
    (warning,) = report["warnings"]
    assert (warning["line"], warning["message"]) == (12, "the scale 'colours' is never used")


def test_check_on_the_terminal_names_file_line_and_id_and_exits_1(cli: Any) -> None:
    result = cli("check", str(BROKEN), "--format", "table")
    assert result.exit_code == 1
    assert f"error: {BROKEN}:63: 1: of: unknown id 'H9'" in result.stderr
    assert f"warning: {BROKEN}:12: scale colours: the scale 'colours' is never used" in result.stderr
    assert "9 error(s), 1 warning(s)" in result.stdout
    assert "Traceback" not in result.output


def test_rules_decided_over_every_combination_of_their_answers(cli: Any, tmp_path: Path) -> None:
    text = BROKEN.read_text()
    fixed = (
        text.replace("id: 1.10", 'id: "1.10"')
        .replace("kind: evidnce", "kind: evidence")
        .replace('q1 == "yes" and q1 == "no"', 'q1 == "yes" or q3 == "no"')
        .replace("answered(q3) or not answered(q3)", 'q3 == "no" and q1 == "yes"')
        .replace("of: [q3, q9]", "of: [q3, q2]")
        .replace("{min: 80, rating: good}", "{min: 65, rating: good}")
        .replace(
            "{min: 50, rating: requires_improvement}",
            "{min: 50, rating: requires_improvement}\n      - {min: 0, rating: inadequate}",
        )
        .replace("of: [S, H9]", "of: [S, both]")
        .replace("  colours: [red, green]\n", "")
        .replace("levels:\n", "levels:\n  key_question: key question\n")
    )
    path = tmp_path / "framework.yaml"
    path.write_text(fixed)
    report = _problems(cli, path)
    assert report["errors"] == [] and report["warnings"] == []
    path.write_text(fixed.replace('q1 == "yes" or q3 == "no"', 'q1 == "yes" or not (q1 == "yes")'))
    (warning,) = _problems(cli, path)["warnings"]
    assert warning["id"] == "q2" and warning["message"].startswith("condition is never false")


def test_bands_in_the_wrong_order_for_the_scale(cli: Any, tmp_path: Path) -> None:
    text = BROKEN.read_text().replace("{min: 80, rating: good}", "{min: 90, rating: good}")
    path = tmp_path / "framework.yaml"
    path.write_text(text)
    messages = [e["message"] for e in _problems(cli, path)["errors"]]
    assert "bands: good from 90 is above outstanding from 80, but the scale puts outstanding higher" in messages


def test_the_shipped_editions_and_the_skeleton_pass_check(cli: Any, tmp_path: Path) -> None:
    from inspectkit.scaffold import new_plugin

    new_plugin("skeleton_2025", tmp_path / "p")
    report = _problems(cli, tmp_path / "p" / "src" / "inspectkit_skeleton_2025" / "framework.yaml")
    assert report["valid"] and report["warnings"] == []


def test_a_plugins_golden_folder_is_checked(cli: Any, tmp_path: Path) -> None:
    from inspectkit.scaffold import new_plugin

    new_plugin("skeleton_2025", tmp_path / "p")
    definition = tmp_path / "p" / "src" / "inspectkit_skeleton_2025" / "framework.yaml"
    golden = tmp_path / "p" / "tests" / "golden"
    (golden / "plain_case.yaml").write_text("schema: 1\nedition: skeleton_2025\ncase_id: X\nanswers: {}\n")
    report = _problems(cli, definition)
    (error,) = report["errors"]
    assert error["file"] == str(golden / "plain_case.yaml")
    assert error["message"].startswith("is a case file, not a golden case")
    for f in golden.iterdir():
        f.unlink()
    (error,) = _problems(cli, definition)["errors"]
    assert error["file"] == str(golden) and "holds no golden case" in error["message"]


def test_a_sufficient_answer_no_item_can_be_given_is_reported(cli: Any, tmp_path: Path) -> None:
    import shutil

    tiny = Path(__file__).parent / "tiny"
    for f in tiny.iterdir():
        if f.is_file():
            shutil.copy(f, tmp_path / f.name)
    definition = tmp_path / "framework.yaml"
    text = definition.read_text()
    text = text.replace('      from: "2.1.1.a"\n      sufficient: [yes]', '      from: "2.1.1.a"\n      sufficient: [yse]')
    text = text.replace("  sufficient: [yes]\n  aggregate_kinds", "  sufficient: [yes, good]\n  aggregate_kinds")
    definition.write_text(text)
    report = _problems(cli, definition)
    assert [(e["id"], e["message"]) for e in report["errors"]] == [
        ("sources_used", "sufficient: 'yse' is not one of 2.1.1.a's answers, so it never counts")
    ]
    assert [w["message"] for w in report["warnings"]] == ["scoring sufficient: no aggregated item has the answer 'good'"]
