"""The interview's answers and the assess views around it, on the tiny edition (the real terminal is driven
by plugins/carag_2019/tests/test_interview.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

EDITION = "tiny_2024"


def new_case(tmp_path: Path, answers: dict[str, Any]) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"schema": 1, "edition": EDITION, "case_id": "N1", "answers": answers}, sort_keys=False))
    return path


def test_per_category_answers_are_parsed_and_never_saved_empty(cli: Any, tmp_path: Path, answers: Any) -> None:
    given = answers()
    del given["contact"]
    path = new_case(tmp_path, given)
    # a category that does not apply (prison, for a community case) is refused; "community=monthly" is understood
    result = cli("assess", "-i", "--jump", "contact", path, input="prison weekly\ncommunity=monthly\nq\n")
    assert "no category 'prison' here" in result.stderr
    assert yaml.safe_load(path.read_text())["answers"]["contact"] == {"community": "monthly"}
    # a bare Enter asks before skipping and never saves {}; one word answers the category asked
    path = new_case(tmp_path, given)
    result = cli("assess", "-i", "--jump", "contact", path, input="\n\n")
    assert "Skip contact for now?" in result.stderr and "contact" not in yaml.safe_load(path.read_text())["answers"]
    cli("assess", "-i", "--jump", "contact", path, input="weekly\nq\n")
    assert yaml.safe_load(path.read_text())["answers"]["contact"] == {"community": "weekly"}


def test_per_category_answers_given_before_a_skip_are_kept(cli: Any, tmp_path: Path, answers: Any) -> None:
    given = answers(sentence_type="custody")
    del given["contact"]
    path = new_case(tmp_path, given)
    result = cli("assess", "-i", "--jump", "contact", path, input="community weekly\n\ny\nq\n")
    assert "contact prison" in result.stderr
    assert yaml.safe_load(path.read_text())["answers"]["contact"] == {"community": "weekly"}
    # carried on later: the category answered is the default, the other one is asked
    cli("assess", "-i", "--jump", "contact", path, input="\nmonthly\nq\n")
    assert yaml.safe_load(path.read_text())["answers"]["contact"] == {"community": "weekly", "prison": "monthly"}


def test_a_changed_answer_that_clears_others_asks_first_and_is_kept_in_the_history(
    cli: Any, tmp_path: Path, answers: Any
) -> None:
    path = new_case(tmp_path, answers(case_ended="yes", end_date="2024-06-01"))
    # refused at the confirmation: nothing changes
    cli("assess", "-i", "--jump", "case_ended", path, input="no\nn\nq\n")
    assert yaml.safe_load(path.read_text())["answers"]["end_date"] == "2024-06-01"
    result = cli("assess", "-i", "--jump", "case_ended", path, input="no\ny\nit had not ended\nq\n")
    assert "end_date = 2024-06-01" in result.stderr
    saved = yaml.safe_load(path.read_text())
    assert "end_date" not in saved["answers"] and saved["answers"]["case_ended"] == "no"
    assert [(h["question"], h["old"], h["new"]) for h in saved["history"]] == [
        ("case_ended", "yes", "no"),
        ("end_date", "2024-06-01", None),
    ]
    table = cli("assess", path, "--history", "--format", "table")
    assert table.exit_code == 0 and "it had not ended" in table.stdout and "(cleared)" in table.stdout
    _, data = cli.json("assess", path, "--history", "--format", "json")
    assert [h["question"] for h in data["history"]] == ["case_ended", "end_date"]


def test_a_judgement_against_an_overriding_factor_asks_for_the_note(cli: Any, tmp_path: Path, answers: Any) -> None:
    path = new_case(tmp_path, answers(risk="high", **{"2__1__1__c": "no"}))
    result = cli("assess", "-i", "--jump", "2.1.1", path, input="\nThe plan covers it\nq\n")
    assert "Overriding factor: The risk of harm was not analysed." in result.stderr
    assert "Answered: yes (Enter keeps it)" in result.stderr
    assert yaml.safe_load(path.read_text())["notes"] == {"2.1.1": "The plan covers it"}


def test_navigation_commands(cli: Any, tmp_path: Path, answers: Any) -> None:
    given = answers()
    for key in ("offence", "summary_text", "2.1.1.a"):
        del given[key]
    path = new_case(tmp_path, given)
    result = cli(
        "assess",
        "-i",
        path,
        input="missing\nreview 2.1\njump nowhere\njump 2.1.1.a\nback\nskip\nnote 2.1.1\nseen in nDelius\nq\n",
    )
    err = result.stderr
    assert "Still to answer: 4" in err and "details (2): offence, summary_text" in err
    assert "    2.1.1.a       -" in err and "    2.1.1         yes" in err
    assert "No question or section 'nowhere'" in err
    # back returns to the question asked before the jump; skip then walks forward to where back left
    assert err.index("2.1.1.a> back") < err.rindex("offence> skip") < err.rindex("2.1.1.a> note 2.1.1")
    assert yaml.safe_load(path.read_text())["notes"] == {"2.1.1": "seen in nDelius"}


def test_options_that_do_nothing_are_refused(cli: Any, tmp_path: Path, answers: Any) -> None:
    path = new_case(tmp_path, answers())
    for args in (["--case-id", "X"], ["--jump", "risk"], ["--history", "-i"], ["--history", "--explain", "risk"]):
        result = cli("assess", path, *args)
        assert result.exit_code == 2, args
        assert "error:" in result.stderr


def test_notes_are_shown_and_redacted(cli: Any, tmp_path: Path, answers: Any) -> None:
    path = tmp_path / "case.yaml"
    doc = {"schema": 1, "edition": EDITION, "case_id": "N1", "answers": answers(), "notes": {"2.1.1": "Seen J. Smith at home"}}
    path.write_text(yaml.safe_dump(doc))
    _, data = cli.json("assess", path, "--format", "json")
    assert data["notes"] == {"2.1.1": "Seen J. Smith at home"}
    _, data = cli.json("assess", path, "--format", "json", "--redact")
    assert data["notes"] == {"2.1.1": "[withheld]"}
    assert "2.1.1: Seen J. Smith at home" in cli("assess", path, "--format", "table").stdout
    assert "J. Smith" not in cli("assess", path, "--format", "table", "--redact").stdout


@pytest.mark.parametrize("columns", [60, 80, 140])
def test_the_assess_table_fits_the_terminal(cli: Any, tmp_path: Path, answers: Any, monkeypatch: Any, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    path = new_case(tmp_path, answers(summary_text="a long line of words"))
    out = cli("assess", path, "--format", "table").stdout
    assert max(len(line) for line in out.splitlines()) <= columns
    assert "risk_band" in out  # ids wrap, never cut


def test_an_interview_on_a_fresh_file_ending_in_an_empty_answers(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("# made by the sample list\nschema: 1\nedition: tiny_2024\ncase_id: N1\nanswers:")
    result = cli("assess", "-i", path, input="community\nlow\nq\n")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith("# made by the sample list\n")
    assert yaml.safe_load(text)["answers"] == {"sentence_type": "community", "risk": "low"}


def test_jumping_to_a_worked_out_value_says_what_it_comes_from(cli: Any, tmp_path: Path, answers: Any) -> None:
    path = new_case(tmp_path, answers())
    result = cli("assess", "-i", path, input="jump risk_band\nq\n")
    assert "risk_band is worked out from other answers" in result.stderr


def test_an_answer_against_the_suggestion_is_offered_a_note(cli: Any, tmp_path: Path, answers: Any) -> None:
    path = new_case(tmp_path, answers())
    result = cli("assess", "-i", "--jump", "2.1.1.d", path, input="yes\n\nThe plan names a hostel place\nq\n")
    assert "Suggested: no" not in result.stderr  # already answered: the answer is the default, not the suggestion
    assert "Warning: the answer 'yes' differs from what the rules suggest" in result.stderr
    saved = yaml.safe_load(path.read_text())
    assert saved["answers"]["2.1.1.d"] == "yes" and saved["notes"] == {"2.1.1.d": "The plan names a hostel place"}
