"""The `inspectkit` command as a user runs it: outputs, formats and exit codes (0 done, 1 bad input, 2 misuse)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

import inspectkit
from inspectkit import files, loading

EDITION = "tiny_2024"


def case_with(make_case: Any, answers: Any, case_id: str = "C1", **changes: Any) -> dict[str, Any]:
    return make_case(case_id, answers(**{"2__2__a": "met", **changes}))


# ------------------------------------------------------------------------------------------ frameworks, questions


def test_frameworks_lists_the_installed_editions(cli: Any) -> None:
    result, data = cli.json("frameworks", "--format", "json")
    assert result.exit_code == 0
    (row,) = data["frameworks"]
    assert row["edition"] == EDITION and row["plugin"] == "tiny" and row["title"] == "Tiny test framework"
    assert data["failed_plugins"] == []
    table = cli("frameworks", "--format", "table")
    assert "tiny_2024" in table.stdout and "Tiny test framework" in table.stdout


def test_questions_shows_the_tree(cli: Any) -> None:
    result = cli("questions", "--edition", EDITION, "--format", "table")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Tiny test framework (tiny_2024, data version 1.0)"
    assert any(
        line.startswith("      2.1.1.c  Is the risk of harm analysed?") and '(when risk >= "medium")' in line for line in lines
    )
    assert any(line.startswith("  risk_band") and "(derived)" in line for line in lines)
    assert any(line.startswith("2  Case supervision") for line in lines)


def test_questions_as_json(cli: Any) -> None:
    result, data = cli.json("questions", "-e", EDITION, "--format", "json")
    ids = [i["id"] for i in data["items"]]
    assert ids[:3] == ["provider", "1", "1.1"]
    c = next(i for i in data["items"] if i["id"] == "2.1.1.c")
    assert c["condition"] == 'risk >= "medium"' and c["type"] == "yes_no" and c["parent"] == "2.1.1"
    assert data["reference"][0]["id"] == "definition_case"


def test_questions_of_one_kind(cli: Any) -> None:
    _, data = cli.json("questions", "-e", EDITION, "--format", "json", "--kind", "summary")
    assert [i["id"] for i in data["items"]] == ["2.1.1", "2.1.2", "2.2.a"]


def test_questions_id_shows_one_item_in_full(cli: Any) -> None:
    result = cli("questions", "-e", EDITION, "--id", "2.1.1.c", "--format", "table")
    assert result.exit_code == 0
    assert "Is the risk of harm analysed?" in result.stdout
    assert 'applies when: risk >= "medium"' in result.stdout
    assert "source: Where the risk is medium or higher." in result.stdout


def test_questions_show_see_also_links(cli: Any) -> None:
    _, data = cli.json("questions", "-e", EDITION, "--format", "json")
    assert next(i for i in data["items"] if i["id"] == "2.1.2")["links"] == ["2.1.1"]
    tree = cli("questions", "-e", EDITION, "--format", "table").stdout
    assert any(line.lstrip().startswith("2.1.2 ") and line.endswith("(see also 2.1.1)") for line in tree.splitlines())
    one = cli("questions", "-e", EDITION, "--id", "2.1.2", "--format", "table").stdout
    assert "  see also: 2.1.1" in one


def test_questions_id_of_a_mistyped_item(cli: Any) -> None:
    result = cli("questions", "-e", EDITION, "--id", "2.1.1.z")
    assert result.exit_code == 2
    assert "2.1.1.z: no such item in tiny_2024; did you mean 2.1.1." in result.stderr


def test_questions_matrix_of_an_edition_without_one(cli: Any) -> None:
    result = cli("questions", "-e", EDITION, "--matrix")
    assert result.exit_code == 2 and "tiny_2024 has no matrix view" in result.stderr


def test_version(cli: Any) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and inspectkit.__version__ in result.stdout


# ------------------------------------------------------------------------------------------ assess


def test_assess_json_has_the_contract_shape(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", case_with(make_case, answers))
    result, data = cli.json("assess", "--edition", EDITION, path, "--format", "json")
    assert result.exit_code == 0, result.output
    assert data["edition"] == EDITION and data["case_id"] == "C1"
    assert data["questions"]["risk"] == {"status": "answered", "value": "low"}
    assert data["questions"]["risk_band"]["status"] == "derived"
    assert data["questions"]["2.1.1.c"]["status"] == "not_applicable"
    assert data["questions"]["summary_text"]["value"] == "Steady progress"
    for entry in data["questions"].values():
        assert entry["status"] in ("answered", "not_applicable", "missing", "derived")
        assert "value" in entry
    assert data["judgements"] == {"2.1.1": "yes", "2.1.2": None, "2.2.a": "met"}
    assert data["errors"] == [] and data["warnings"] == []


def test_assess_leaves_the_cycle_collector_as_it_found_it(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    """assess holds off collecting while it answers (it makes little garbage), and turns it back on, after an
    error too: a program or test that calls it in-process keeps collecting."""
    import gc

    path = write("case.yaml", case_with(make_case, answers))
    assert cli("assess", "--edition", EDITION, path, "--format", "json").exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0  # what it made is collectable still
    assert cli("assess", "--edition", "no_such_edition", path).exit_code == 2
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.freeze()  # a program that froze objects of its own (before forking workers, say) finds them frozen still
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert cli("assess", "--edition", EDITION, path, "--format", "json").exit_code == 0
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
    gc.disable()
    try:
        assert cli("assess", "--edition", EDITION, path).exit_code == 0
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_assess_table(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", case_with(make_case, answers, risk="high", **{"2__1__1__c": "no"}))
    result = cli("assess", "-e", EDITION, path, "--format", "table")
    assert result.exit_code == 0
    out = result.stdout
    assert "Case C1 (tiny_2024): in the sample" in out
    assert "The risk of harm was not analysed." in out
    assert "Warnings" in out and "add a note" in out


def test_assess_explain(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", case_with(make_case, answers))
    result, data = cli.json("assess", "-e", EDITION, path, "--format", "json", "--explain", "2.1.1.c", "--explain", "2.2.a")
    assert any('risk >= "medium"' in line and "risk = low" in line for line in data["explain"]["2.1.1.c"])
    assert any("case score" in line for line in data["explain"]["2.2.a"])
    table = cli("assess", "-e", EDITION, path, "--format", "table", "--explain", "end_date")
    assert "applies when: case_ended" in table.stdout


def test_assess_redact_withholds_personal_data(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", case_with(make_case, answers))
    _, data = cli.json("assess", "-e", EDITION, path, "--format", "json", "--redact")
    assert data["questions"]["summary_text"]["value"] != "Steady progress"
    assert "Steady progress" not in cli("assess", "-e", EDITION, path, "--format", "table", "--redact").stdout


def test_assess_out_of_the_sample(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", case_with(make_case, answers, case_ended="yes", start_date="2024-01-01", end_date="2024-01-10"))
    result = cli("assess", "-e", EDITION, path, "--format", "table")
    assert result.exit_code == 0
    assert "OUT of the sample: Ended with less than four weeks of supervision." in result.stdout


# ------------------------------------------------------------------------------------------ bad input


def assert_input_error(result: Any, *words: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    for word in words:
        assert word in result.output, result.output


def test_malformed_yaml(cli: Any, write: Any) -> None:
    path = write("case.yaml", "schema: 1\nedition: tiny_2024\ncase_id: C1\nanswers:\n  risk: [low\n  age: 3\n")
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, "not valid YAML", f"{path}:")


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("schema: 1\nanswers:\n  risk: low\n  age: : 3\n", encoding="utf-8")
    with pytest.raises(inspectkit.InspectkitError) as info:
        files.load_document(path)
    assert info.value.location.line == 4
    assert str(info.value).startswith(f"{path}:4: not valid YAML")


def test_malformed_json(cli: Any, write: Any) -> None:
    path = write("case.json", '{"schema": 1, "case_id": "C1",\n "answers": {"risk": "low",}}')
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, "not valid JSON", f"{path}:2")


def test_a_wrong_top_level_key(cli: Any, write: Any, make_case: Any) -> None:
    doc = make_case()
    doc["answer"] = doc.pop("answers")
    path = write("case.yaml", doc)
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, f"{path}:4: unknown top-level key 'answer'; did you mean answers?")


def test_an_unknown_edition(cli: Any, write: Any, make_case: Any) -> None:
    path = write("case.yaml", make_case())
    result = cli("assess", "-e", "tiny_2025", path)
    assert_input_error(result, "unknown edition 'tiny_2025'; did you mean tiny_2024?", code=2)
    assert result.stdout == ""


def test_an_unknown_edition_for_rate_and_questions(cli: Any, write: Any, make_case: Any) -> None:
    path = write("case.yaml", make_case())
    assert cli("rate", "-e", "nothing", path).exit_code == 2
    assert cli("questions", "-e", "nothing").exit_code == 2


def test_a_missing_file(cli: Any, tmp_path: Path) -> None:
    result = cli("assess", "-e", EDITION, tmp_path / "nope.yaml")
    assert_input_error(result, "no such file", code=2)
    assert cli("rate", "-e", EDITION, tmp_path / "nope.yaml").exit_code == 2


def test_a_bad_option_is_a_usage_error(cli: Any, write: Any, make_case: Any) -> None:
    path = write("case.yaml", make_case())
    assert cli("assess", "-e", EDITION, path, "--format", "xml").exit_code == 2
    assert cli("rate", "-e", EDITION).exit_code == 2  # no cases


def test_an_unknown_question_id_suggests_the_near_miss(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", make_case(answers={"risk": "low", "sentence_typ": "community"}))
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, f"{path}:6: sentence_typ: no such question in tiny_2024; did you mean sentence_type?")


@pytest.mark.parametrize(
    ("qid", "value", "words"),
    [
        ("age", "old", "age: 'old' is not a number"),
        ("risk", "severe", "risk: 'severe' is not one of: low, medium, high, very_high"),
        ("needs", ["drugs", "heroin"], "needs: 'heroin' is not one of"),
        ("start_date", "next week", "start_date: 'next week' is not a date"),
    ],
)
def test_a_value_of_the_wrong_type_or_outside_the_choices(
    cli: Any, write: Any, make_case: Any, answers: Any, qid: str, value: Any, words: str
) -> None:
    path = write("case.yaml", make_case(answers=answers(**{qid: value})))
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, words, f"{path}:")


def test_an_answer_to_a_not_applicable_question(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", make_case(answers=answers(end_date="2024-05-01")))
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, "end_date is answered, but it does not apply to this case", "case_ended = no")


def test_an_empty_file(cli: Any, write: Any) -> None:
    path = write("case.yaml", "  \n")
    assert_input_error(cli("assess", "-e", EDITION, path), "file is empty")


def test_a_file_that_is_not_a_mapping(cli: Any, write: Any) -> None:
    path = write("case.yaml", "- just\n- a list\n")
    assert_input_error(cli("assess", "-e", EDITION, path), "a case is a mapping")


def test_a_file_that_is_not_utf8(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(b"case_id: \xff\xfe\n")
    assert_input_error(cli("assess", "-e", EDITION, path), "not UTF-8")


def test_a_huge_file(cli: Any, registry: Any, write: Any, make_case: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("case.yaml", make_case())
    registry.engine(EDITION)  # framework definitions are read through the same limit: load the tiny one first
    cli.registry = registry
    monkeypatch.setattr(loading, "MAX_DOCUMENT_BYTES", 100)
    result = cli("assess", "-e", EDITION, path)
    assert_input_error(result, "over the limit of 100 bytes", "use JSON Lines")


def test_json_lines_with_one_bad_line(cli: Any, write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]) -> None:
    good = [case_with(make_case, answers, f"C{n}") for n in range(1, 4)]
    path = write("cases.jsonl", [good[0], '{"case_id": "C9", "answers": {', good[1], "", good[2]])
    ins = write("inspection.yaml", inspection)
    result, data = cli.json("rate", "-e", EDITION, path, "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    assert data["cases"] == 3
    assert data["items"]["2.1.1"] == {**data["items"]["2.1.1"], "numerator": 3, "denominator": 3}
    assert f"{path}:2" in result.stderr and "not valid JSON" in result.stderr
    assert [e["source"] for e in data["excluded"]] == [f"{path}:2"]


def test_a_case_with_errors_among_good_files(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: dict[str, Any], tmp_path: Path
) -> None:
    write("cases/a.yaml", case_with(make_case, answers, "A"))
    write("cases/b.yaml", case_with(make_case, answers, "B"))
    bad = write("cases/c.yaml", case_with(make_case, answers, "C", risk="severe"))
    write("cases/notes.txt", "not a case file")
    ins = write("inspection.yaml", inspection)
    result, data = cli.json("rate", "-e", EDITION, tmp_path / "cases", "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    assert data["cases"] == 2
    assert data["excluded"][0]["case_id"] == "C"
    assert f"{bad}:" in result.stderr and "'severe' is not one of" in result.stderr


def test_a_deeply_nested_json_line_does_not_stop_rate(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]
) -> None:
    deep = '{"case_id": "D", "answers": {"needs": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    path = write("cases.jsonl", [case_with(make_case, answers, "A"), deep, case_with(make_case, answers, "B")])
    ins = write("inspection.yaml", inspection)
    result = cli("rate", "-e", EDITION, path, "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["cases"] == 2


def test_a_nested_multi_answer_does_not_stop_rate(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]
) -> None:
    bad = case_with(make_case, answers, "X", needs=[["drugs"]])
    path = write("cases.jsonl", [case_with(make_case, answers, "A"), bad, case_with(make_case, answers, "B")])
    ins = write("inspection.yaml", inspection)
    result = cli("rate", "-e", EDITION, path, "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["cases"] == 2


def test_a_bad_inspection_file(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    path = write("case.yaml", case_with(make_case, answers))
    ins = write("inspection.yaml", "answers: [oops\n")
    result = cli("rate", "-e", EDITION, path, "--inspection", ins)
    assert_input_error(result, "not valid YAML")
    assert cli("rate", "-e", EDITION, path, "--inspection", write("x", "")).exit_code in (1, 2)


# ------------------------------------------------------------------------------------------ rate formats


@pytest.fixture
def rated(write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]) -> tuple[Path, Path]:
    folder = write("cases/x", "").parent
    for n, judgement in enumerate(["yes", "yes", "yes", "yes", "no"], start=1):
        write(f"cases/c{n}.yaml", case_with(make_case, answers, f"C{n}", **{"2__1__1": judgement}))
    (folder / "x").unlink()
    return folder, write("inspection.yaml", inspection)


def test_rate_json(cli: Any, rated: tuple[Path, Path]) -> None:
    folder, ins = rated
    result, data = cli.json("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json")
    assert result.exit_code == 0, result.output
    assert data["edition"] == EDITION and data["cases"] == 5 and data["excluded"] == []
    assert {k: data["items"]["2.1.1"][k] for k in ("numerator", "denominator", "percent")} == {
        "numerator": 4,
        "denominator": 5,
        "percent": 80.0,
    }
    assert data["ratings"] == {"1.1": "good", "2.1": "outstanding", "2.2": "outstanding"}
    assert data["overall"]["score"] == 8 and data["overall"]["rating"] == "outstanding"


def test_rate_csv(cli: Any, rated: tuple[Path, Path]) -> None:
    folder, ins = rated
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "csv")
    assert result.exit_code == 0
    items = {r["id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert items["2.1.1"]["numerator"] == "4" and items["2.1.1"]["denominator"] == "5"
    assert items["2.1.1"]["percent"] == "80.0" and items["2.1.1"]["inspection_id"] == "T-1"
    assert (items["2.1.1"]["lower"], items["2.1.1"]["upper"]) == ("37.6", "96.4")
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "csv", "--table", "ratings")
    ratings = {r["id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert ratings["2.1"]["rating"] == "outstanding"
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "csv", "--table", "overall")
    (overall,) = csv.DictReader(io.StringIO(result.stdout))
    assert overall["rating"] == "outstanding" and overall["score"] == "8"


def test_rate_table(cli: Any, rated: tuple[Path, Path]) -> None:
    folder, ins = rated
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "table")
    assert result.exit_code == 0
    out = result.stdout
    assert "5 case(s) counted" in out
    assert "4/5" in out and "80.0%" in out
    assert "Outstanding" in out
    assert "Overall: Outstanding" in out


def test_rate_table_shows_an_override_and_its_reason(
    cli: Any, rated: tuple[Path, Path], inspection: dict[str, Any], write: Any
) -> None:
    folder, _ = rated
    inspection["overrides"] = {"2.1": {"rating": "good", "reason": "A new team"}}
    ins = write("inspection2.yaml", inspection)
    out = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "table").stdout
    assert "2.1: changed from Outstanding to Good by professional discretion: A new team" in out


def test_rate_output_to_a_file(cli: Any, rated: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ins = rated
    out = tmp_path / "report.json"
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["cases"] == 5


def test_rate_explain(cli: Any, rated: tuple[Path, Path]) -> None:
    folder, ins = rated
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "table", "--explain", "2.1")
    assert "4 sufficient of 5 applicable = 80.0%" in result.stdout


# ------------------------------------------------------------------------------------------ interactive


def test_interactive_saves_after_each_answer_and_resumes(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    # an unknown choice is asked again; a choice may be typed as its number in the list
    first = cli(
        "assess", "-e", EDITION, "-i", "--case-id", "N1", path, "--format", "table", input="community\nsevere\n1\n2024-01-08\nq\n"
    )
    assert first.exit_code == 0, first.output
    assert "'severe' is not one of" in first.stderr
    saved = yaml.safe_load(path.read_text())
    assert saved["case_id"] == "N1" and saved["edition"] == EDITION
    assert saved["answers"] == {"sentence_type": "community", "risk": "low", "start_date": "2024-01-08"}

    second = cli("assess", "-e", EDITION, "-i", path, "--format", "table", input="n\n6\nq\n")
    assert second.exit_code == 0, second.output
    assert "case_ended" in second.stderr and "sentence_type  What is the sentence?" not in second.stderr
    saved = yaml.safe_load(path.read_text())
    # end_date does not apply once the case has not ended: it is not asked
    assert list(saved["answers"]) == ["sentence_type", "risk", "start_date", "case_ended", "order_months"]
    assert saved["answers"]["case_ended"] == "no" and saved["answers"]["order_months"] == 6


def test_interactive_keeps_what_was_answered_when_the_input_ends(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    cli("assess", "-e", EDITION, "-i", "--case-id", "N2", path, input="licence\nhigh\n")
    assert yaml.safe_load(path.read_text())["answers"] == {"sentence_type": "licence", "risk": "high"}


def test_interactive_end_of_input_is_not_an_internal_error(cli: Any, tmp_path: Path) -> None:
    result = cli("assess", "-e", EDITION, "-i", "--case-id", "N3", tmp_path / "new.yaml", input="licence\n")
    assert "Abort" not in result.output and "--debug" not in result.output


def test_interactive_skips_and_shows_guidance(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    result = cli("assess", "-e", EDITION, "-i", "--case-id", "N4", path, "--format", "table", input="-\n?\nlow\nq\n")
    assert result.exit_code == 0, result.output
    assert "No guidance for this question." in result.stderr
    assert json.loads(path.read_text())["answers"] == {"risk": "low"}


# ------------------------------------------------------------------------------------------ synth


def test_synth_json_lines_all_valid(cli: Any, tmp_path: Path, registry: Any) -> None:
    out = tmp_path / "cases.jsonl"
    result = cli("synth", "-e", EDITION, "-n", "40", "--seed", "3", "-o", out)
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 40
    engine = registry.engine(EDITION)
    ids = set()
    for line in lines:
        doc = json.loads(line)
        res = engine.assess(doc)
        assert res.errors == (), (doc, [m.message for m in res.errors])
        ids.add(doc["case_id"])
    assert len(ids) == 40


def test_synth_is_repeatable_with_a_seed(cli: Any, tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    cli("synth", "-e", EDITION, "-n", "5", "--seed", "7", "-o", a)
    cli("synth", "-e", EDITION, "-n", "5", "--seed", "7", "-o", b)
    assert a.read_text() == b.read_text()


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="no file modes on this system")
def test_synth_writes_files_others_may_read_as_any_program_would(cli: Any, tmp_path: Path) -> None:
    out, folder = tmp_path / "cases.jsonl", tmp_path / "cases"
    old_mask = os.umask(0o022)
    try:
        assert cli("synth", "-e", EDITION, "-n", "2", "-o", out).exit_code == 0
        assert cli("synth", "-e", EDITION, "-n", "2", "-o", folder).exit_code == 0
    finally:
        os.umask(old_mask)
    for path in (out, *folder.glob("*.yaml")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_synth_folder_then_rate(cli: Any, tmp_path: Path, write: Any, inspection: dict[str, Any]) -> None:
    folder = tmp_path / "synthetic"
    assert cli("synth", "-e", EDITION, "-n", "12", "-o", folder).exit_code == 0
    paths = sorted(folder.glob("*.yaml"))
    assert len(paths) == 12
    for path in paths:
        result, data = cli.json("assess", "-e", EDITION, path, "--format", "json")
        assert result.exit_code == 0 and data["errors"] == [], data["errors"]
    ins = write("inspection.yaml", inspection)
    result, data = cli.json("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json")
    assert data["cases"] + len(data["excluded"]) == 12
    assert data["errors"] == []


def test_synth_needs_a_count_of_one_or_more(cli: Any, tmp_path: Path) -> None:
    assert cli("synth", "-e", EDITION, "-n", "0", "-o", tmp_path / "x.jsonl").exit_code == 2


def test_questions_lists_reference_texts_and_shows_one(cli: Any) -> None:
    import yaml

    ref = yaml.safe_load((Path(__file__).parent / "tiny" / "framework.yaml").read_text(encoding="utf-8"))["reference"][0]
    tree = cli("questions", "-e", "tiny_2024", "--format", "table")
    assert tree.exit_code == 0 and ref["id"] in tree.stdout
    one = cli("questions", "-e", "tiny_2024", "--id", ref["id"], "--format", "json")
    assert one.exit_code == 0 and json.loads(one.stdout)["text"].split()[:3] == ref["text"].split()[:3]


def test_assess_takes_the_edition_from_the_case_file(cli: Any, tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("schema: 1\nedition: tiny_2024\ncase_id: E1\nanswers:\n  risk: low\n", encoding="utf-8")
    result = cli("assess", case, "--format", "json")
    assert result.exit_code in (0, 1) and json.loads(result.stdout)["edition"] == "tiny_2024"
    bare = tmp_path / "bare.yaml"
    bare.write_text("schema: 1\ncase_id: E2\nanswers: {}\n", encoding="utf-8")
    result = cli("assess", bare)
    assert result.exit_code == 2 and "give --edition" in result.stderr


def test_rate_json_items_also_come_as_records_that_pandas_reads(cli: Any, rated: tuple[Path, Path]) -> None:
    folder, ins = rated
    _, data = cli.json("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json")
    item = data["items"]["2.1.1"]
    assert (item["lower"], item["upper"], item["small_sample"]) == (37.6, 96.4, False)
    records = {r["id"]: r for r in data["item_records"]}
    assert records["2.1.1"] == {"id": "2.1.1", "inspection_id": "T-1", "edition": EDITION, **item}
    assert len(data["item_records"]) == len(data["items"])
    assert {r["id"]: r["rating"] for r in data["rating_records"]} == data["ratings"]
    assert data["warning_count"] == len(data["warnings"]) and data["error_count"] == 0


def test_rate_csv_all_tables_to_files_with_a_confirmation(cli: Any, rated: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ins = rated
    out = tmp_path / "report.csv"
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "-o", out, "--table", "all")
    assert result.exit_code == 0, result.output
    for name in ("items", "ratings", "overall"):
        assert (tmp_path / f"report-{name}.csv").exists()
        assert f"wrote the {name} table" in result.stderr and f"report-{name}.csv" in result.stderr
    assert not out.exists()
    assert cli("rate", "-e", EDITION, folder, "--format", "csv", "--table", "all").exit_code == 2


def test_rate_marks_small_samples_below_the_minimum(cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any) -> None:
    folder = write("few/c1.yaml", case_with(make_case, answers, "C1", **{"2__1__1": "no"})).parent
    ins = write("ins.yaml", inspection)
    _, data = cli.json("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json")
    minimum = data["minimum_cases"]
    assert minimum == 2  # the tiny edition's minimum_cases
    assert data["items"]["2.1.1"] | {} == {**data["items"]["2.1.1"], "lower": 0.0, "upper": 79.3, "small_sample": True}
    table = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "table").stdout
    assert "0.0% †" in table and "0.0-79.3" in table and f"fewer than {minimum} applicable cases" in table


def test_rate_lists_warnings_capped_on_the_terminal_and_complete_in_json(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any
) -> None:
    warned = answers(sentence_type="custody", contact={"community": "weekly", "prison": "monthly"})
    cases = write("many.jsonl", [make_case(f"W{n}", warned) for n in range(30)])
    ins = write("ins.yaml", inspection)
    result = cli("rate", "-e", EDITION, cases, "--inspection", ins, "--format", "table")
    assert result.exit_code == 0  # warnings are not errors
    lines = [x for x in result.stderr.splitlines() if x.startswith("warning:")]
    assert len(lines) == 21 and "A custodial case is rarely assessed as low risk" in lines[0] and "(case W0)" in lines[0]
    assert "... and 10 more" in lines[-1] and "30 warning(s) in 30 case(s)" in result.stderr
    assert "30 warning(s)" in result.stdout.splitlines()[1]
    _, data = cli.json("rate", "-e", EDITION, cases, "--inspection", ins, "--format", "json")
    assert data["warning_count"] == 30 and len(data["warnings"]) == 30
    assert data["warnings"][29]["case_id"] == "W29" and data["warnings"][29]["question"] == "risk"


def test_rate_table_caps_the_cases_left_out(cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any) -> None:
    short = answers(case_ended="yes", start_date="2020-01-01", end_date="2020-01-10")
    cases = write("short.jsonl", [make_case(f"S{n}", short) for n in range(25)] + [make_case("K", answers())])
    ins = write("ins.yaml", inspection)
    out = cli("rate", "-e", EDITION, cases, "--inspection", ins, "--format", "table").stdout
    assert "Left out (25)" in out and "S19:" in out and "S20:" not in out and "... and 5 more" in out
    _, data = cli.json("rate", "-e", EDITION, cases, "--inspection", ins, "--format", "json")
    assert len(data["excluded"]) == 25


def test_rate_by_a_case_detail(cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path) -> None:
    folder = write("by/c1.yaml", case_with(make_case, answers, "C1")).parent
    write("by/c2.yaml", case_with(make_case, answers, "C2", **{"2__1__1": "no"}))
    write("by/c3.yaml", case_with(make_case, answers, "C3", sentence_type="custody", contact={"community": "weekly"}))
    ins = write("ins.yaml", inspection)
    _, data = cli.json("rate", "-e", EDITION, folder, "--inspection", ins, "--by", "sentence_type", "--format", "json")
    groups = data["breakdown"]["groups"]
    assert data["breakdown"]["by"] == "sentence_type" and {g: v["cases"] for g, v in groups.items()} == {
        "community": 2,
        "custody": 1,
    }
    assert (groups["community"]["items"]["2.1.1"]["numerator"], groups["community"]["items"]["2.1.1"]["denominator"]) == (1, 2)
    assert data["items"]["2.1.1"]["denominator"] == 3  # the whole inspection is unchanged
    records = [r for r in data["breakdown_records"] if r["id"] == "2.1.1"]
    assert [(r["group"], r["numerator"]) for r in records] == [("community", 1), ("custody", 1)]
    table = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--by", "sentence_type", "--format", "table").stdout
    assert "By sentence_type" in table and "community (2)" in table and "50.0% (1/2)" in table
    csv_out = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--by", "sentence_type", "--format", "csv").stdout
    got = [(r["group"], r["numerator"]) for r in csv.DictReader(io.StringIO(csv_out)) if r["id"] == "2.1.1"]
    assert got == [("", "2"), ("community", "1"), ("custody", "1")]
    wrong = cli("rate", "-e", EDITION, folder, "--by", "sentense_type")
    assert wrong.exit_code == 2 and "did you mean sentence_type?" in wrong.stderr
