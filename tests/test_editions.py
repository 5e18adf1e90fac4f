"""Two editions in one run: an instrument whose case files are evidence for a rating edition's `rate`.

The instrument (tests/tiny2/instrument.yaml, with its licence section in an included file) declares
``evidence_for: tiny_2024`` and its summary judgements feed tiny_2024's key questions. Also here: a heading
whose condition covers the questions under it, the instrument's ``matrix:`` and ``rate --explain``.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import re
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit import aggregate
from inspectkit.errors import DefinitionErrors, UsageError

TINY2_DIR = Path(__file__).parent / "tiny2"
RATING = "tiny_2024"
INSTRUMENT = "tiny_instrument_2024"
STRANGER = "tiny_stranger_2024"


def _load_plugin(path: Path, name: str) -> Any:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


TINY2 = _load_plugin(TINY2_DIR / "plugin.py", "inspectkit_tests_tiny2_plugin")


def frameworks_plugin(*paths: Path) -> types.ModuleType:
    """A plugin that registers these framework definition files (copies a test has changed)."""
    module = types.ModuleType("inspectkit_tests_copy_plugin")
    module.register_frameworks = inspectkit.hookimpl(lambda register: [register(p) for p in paths])
    return module


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def copy_instrument(tmp_path: Path) -> Path:
    """A copy of the instrument's two files in tmp_path, to change; returns the main file."""
    folder = tmp_path / "instrument"
    folder.mkdir()
    for name in ("instrument.yaml", "instrument_licence.yaml"):
        shutil.copy(TINY2_DIR / name, folder / name)
    return folder / "instrument.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def instrument_case(case_id: str, **answers: Any) -> dict[str, Any]:
    return {
        "schema": 1,
        "edition": INSTRUMENT,
        "case_id": case_id,
        "answers": {k.replace("__", "."): v for k, v in answers.items()},
    }


@pytest.fixture
def both(tiny_module: Any) -> inspectkit.Registry:
    """The rating edition, its instrument and an unrelated edition."""
    return inspectkit.load_registry(plugins=[("tiny", tiny_module), ("tiny2", TINY2)], entry_points=False)


@pytest.fixture
def cli2(cli: Any) -> Any:
    cli.plugins.append(("tiny2", TINY2))
    return cli


@pytest.fixture
def mixed(write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]) -> tuple[Path, Path]:
    """Three tiny_2024 cases, three instrument cases and one case of an edition that is evidence for nothing.

    2.1.1: tiny yes, yes, no + instrument SJ yes, no, yes = 4/6. 2.1.2 applies to licence cases only: the
    instrument's two licence cases (LJ yes, no) = 1/2, four not applicable.
    """
    for n, judgement in enumerate(["yes", "yes", "no"], start=1):
        write(f"cases/c{n}.yaml", make_case(f"C{n}", answers(**{"2__1__1": judgement, "2__2__a": "met"})))
    write("cases/i1.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"))
    write("cases/i2.yaml", instrument_case("I2", setting="licence", S1="yes", S2="n/a", SJ="no", L1="yes", L2__1="n/a", LJ="yes"))
    write("cases/i3.yaml", instrument_case("I3", setting="licence", S1="yes", S2="yes", SJ="yes", L1="no", L2__1="no", LJ="no"))
    stranger = {"schema": 1, "edition": STRANGER, "case_id": "X1", "answers": {"QJ": "yes"}}
    folder = write("cases/x1.yaml", stranger).parent
    return folder, write("inspection.yaml", inspection)


# ------------------------------------------------------------------------------------------ the instrument itself


def test_the_instrument_is_listed_as_evidence_for_the_rating_edition(cli2: Any) -> None:
    result, data = cli2.json("frameworks", "--format", "json")
    assert result.exit_code == 0
    rows = {r["edition"]: r for r in data["frameworks"]}
    assert rows[INSTRUMENT]["evidence_for"] == RATING and rows[INSTRUMENT]["plugin"] == "tiny2"
    assert rows[RATING]["evidence_for"] is None and rows[STRANGER]["evidence_for"] is None
    table = cli2("frameworks", "--format", "table").stdout
    assert any(line.startswith(INSTRUMENT) and line.rstrip().endswith(RATING) for line in table.splitlines())


def test_instruments_for_a_rating_edition(both: Any) -> None:
    assert both.instruments_for(RATING) == [RATING, INSTRUMENT]
    assert both.instruments_for(INSTRUMENT) == [INSTRUMENT]
    assert both.framework(INSTRUMENT).evidence_for == RATING
    assert both.framework(INSTRUMENT).items["SJ"].feeds == (f"{RATING}:2.1.1",)


def test_the_instrument_works_without_its_rating_edition_installed() -> None:
    registry = inspectkit.load_registry(plugins=[("tiny2", TINY2)], entry_points=False)
    assert registry.failures() == []
    result = registry.engine(INSTRUMENT).assess(instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"))
    assert result.errors == () and result.judgements["SJ"] == "yes"


def test_rating_the_instrument_on_its_own_counts_its_own_summaries(cli2: Any, write: Any) -> None:
    write("own/i1.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"))
    folder = write(
        "own/i2.yaml", instrument_case("I2", setting="licence", S1="no", S2="no", SJ="no", L1="yes", L2__1="yes", LJ="yes")
    ).parent
    result, data = cli2.json("rate", "-e", INSTRUMENT, folder, "--format", "json")
    assert result.exit_code == 0, result.output
    assert data["cases_by_edition"] == {INSTRUMENT: 2}
    assert (data["items"]["SJ"]["numerator"], data["items"]["SJ"]["denominator"]) == (1, 2)
    assert (data["items"]["LJ"]["numerator"], data["items"]["LJ"]["denominator"], data["items"]["LJ"]["not_applicable"]) == (
        1,
        1,
        1,
    )
    assert "ratings" not in data  # an instrument rates nothing


def test_a_rating_edition_case_is_not_evidence_for_its_instrument(cli2: Any, write: Any, make_case: Any) -> None:
    path = write("case.yaml", make_case("C1"))
    result, data = cli2.json("rate", "-e", INSTRUMENT, path, "--format", "json")
    assert result.exit_code == 1
    assert data["cases"] == 0 and data["excluded"][0]["case_id"] == "C1"
    assert f"a case of edition {RATING!r} is not evidence for {INSTRUMENT}" in result.stderr


# ------------------------------------------------------------------------------------------ rate reads both editions


def test_rate_reads_case_files_of_both_editions_in_one_run(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    result, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json")
    assert result.exit_code == 1  # the stranger's case is an error
    assert data["cases"] == 6
    assert data["cases_by_edition"] == {RATING: 3, INSTRUMENT: 3}
    items = data["items"]
    assert (items["2.1.1"]["numerator"], items["2.1.1"]["denominator"]) == (4, 6)
    assert items["2.1.1"]["percent"] == 66.7
    assert (items["2.1.2"]["numerator"], items["2.1.2"]["denominator"], items["2.1.2"]["not_applicable"]) == (1, 2, 4)
    assert (items["2.2.a"]["numerator"], items["2.2.a"]["denominator"]) == (3, 3)  # fed by tiny_2024 cases only
    # the instrument's evidence decides 2.1: its lowest key question is 2.1.2 at 50%
    assert data["ratings"] == {"1.1": "good", "2.1": "requires_improvement", "2.2": "outstanding"}
    assert data["overall"]["score"] == 6 and data["overall"]["rating"] == "good"


def test_a_case_of_an_edition_that_does_not_feed_the_rating_edition_is_left_out(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    result, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    (excluded,) = data["excluded"]
    assert excluded["case_id"] == "X1" and excluded["source"].endswith("x1.yaml")
    (error,) = data["errors"]
    assert error["case_id"] == "X1"
    for name in (STRANGER, RATING):
        assert name in error["message"] and name in excluded["reason"]
    assert f"a case of edition {STRANGER!r} is not evidence for {RATING}" in result.stderr
    assert f"(cases may be of: {RATING}, {INSTRUMENT})" in result.stderr
    assert STRANGER not in data["cases_by_edition"]


def test_no_did_you_mean_for_a_case_of_another_installed_edition(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    result = cli2("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json")
    assert "did you mean" not in result.stderr


def test_a_mistyped_edition_in_a_case_gets_a_suggestion(cli2: Any, write: Any) -> None:
    doc = instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes")
    doc["edition"] = "tiny_instrumnet_2024"
    result, data = cli2.json("rate", "-e", RATING, write("typo.yaml", doc), "--format", "json")
    assert data["cases"] == 0
    assert "did you mean tiny_instrument_2024?" in data["errors"][0]["message"]


def test_rate_table_shows_cases_per_edition_and_what_was_left_out(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    out = cli2("rate", "-e", RATING, folder, "--inspection", ins, "--format", "table").stdout
    counted = next(line for line in out.splitlines() if "case(s) counted" in line)
    assert counted.startswith("6 case(s) counted (") and counted.endswith("; 1 left out")
    assert f"3 {RATING}" in counted and f"3 {INSTRUMENT}" in counted
    assert re.search(r"^2\.1\.1 .* 4/6 +66\.7%", out, re.M)
    assert re.search(r"^2\.1\.2 .* 1/2 +50\.0% +9\.5-90\.5 +4", out, re.M)  # with its 95% interval
    assert "Left out" in out and f"X1: a case of edition {STRANGER!r}" in out


def test_rate_through_the_api_with_mappings_of_both_editions(both: Any, make_case: Any, answers: Any, inspection: Any) -> None:
    cases = [
        make_case("C1", answers(**{"2__1__1": "no", "2__2__a": "met"})),
        instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"),
    ]
    report = inspectkit.rate(both, RATING, cases, inspection)
    assert report.by_edition == {RATING: 1, INSTRUMENT: 1}
    assert (report.items["2.1.1"].numerator, report.items["2.1.1"].denominator) == (1, 2)
    assert sorted(report.sources["2.1.1"]) == [f"{RATING}:2.1.1", f"{INSTRUMENT}:SJ"]


def test_an_instrument_case_with_errors_is_left_out_of_the_rating_editions_report(
    cli2: Any, write: Any, inspection: dict[str, Any]
) -> None:
    write("cases/i1.yaml", instrument_case("I1", setting="community", S1="maybe", SJ="yes"))
    folder = write("cases/i2.yaml", instrument_case("I2", setting="community", S1="yes", S2="yes", SJ="yes")).parent
    result, data = cli2.json("rate", "-e", RATING, folder, "--inspection", write("ins.yaml", inspection), "--format", "json")
    assert result.exit_code == 1
    assert data["cases_by_edition"] == {INSTRUMENT: 1}
    assert (data["items"]["2.1.1"]["numerator"], data["items"]["2.1.1"]["denominator"]) == (1, 1)
    assert data["excluded"][0]["case_id"] == "I1"
    assert "S1" in result.stderr and "maybe" in result.stderr


needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="workers are forked")


@needs_fork
def test_workers_give_the_same_report_for_both_editions(both: Any, mixed: tuple[Path, Path], inspection: Any) -> None:
    folder, _ = mixed
    one = aggregate.rate_paths(both, RATING, [folder], inspection, "inspection.yaml", jobs=1).to_dict()
    two = aggregate.rate_paths(both, RATING, [folder], inspection, "inspection.yaml", jobs=2).to_dict()
    assert one == two
    assert one["cases_by_edition"] == {RATING: 3, INSTRUMENT: 3}


@needs_fork
def test_explain_lists_where_an_item_is_counted_from_the_same_whatever_the_jobs(
    both: Any, write: Any, make_case: Any, answers: Any, inspection: Any
) -> None:
    write("order/a.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"))  # met first
    folder = write("order/b.yaml", make_case("C1", answers(**{"2__2__a": "met"}))).parent
    one = aggregate.rate_paths(both, RATING, [folder], inspection, "inspection.yaml", jobs=1)
    two = aggregate.rate_paths(both, RATING, [folder], inspection, "inspection.yaml", jobs=2)
    assert aggregate.explain(both, one, "2.1.1") == aggregate.explain(both, two, "2.1.1")


@needs_fork
def test_an_item_only_an_instrument_feeds_is_reported_whatever_the_jobs(
    tmp_path: Path, tiny_module: Any, write: Any, make_case: Any, answers: Any, inspection: Any
) -> None:
    main = copy_instrument(tmp_path)
    edit(main, 'feeds: ["tiny_2024:2.1.1"]', 'feeds: ["tiny_2024:2.1.1", "tiny_2024:2.1.1.b"]')
    registry = inspectkit.load_registry(plugins=[("tiny", tiny_module), ("copy", frameworks_plugin(main))], entry_points=False)
    path = write("only/c1.yaml", make_case("C1", answers(**{"2__2__a": "met"})))
    one = aggregate.rate_paths(registry, RATING, [path], inspection, "inspection.yaml", jobs=1).to_dict()
    two = aggregate.rate_paths(registry, RATING, [path], inspection, "inspection.yaml", jobs=2).to_dict()
    assert list(one["items"]) == list(two["items"])


# ------------------------------------------------------------------------------------------ feeds that go nowhere


def bad_feed_copy(tmp_path: Path) -> Path:
    main = copy_instrument(tmp_path)
    edit(main, 'feeds: ["tiny_2024:2.1.1"]', 'feeds: ["tiny_2024:2.1.9"]')
    return main


def test_check_reports_a_feeds_target_the_rating_edition_does_not_have(cli2: Any, tmp_path: Path) -> None:
    main = bad_feed_copy(tmp_path)
    result = cli2("check", main)
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if "2.1.9" in x]
    match = re.match(
        r"error: (.+):(\d+): SJ: feeds 'tiny_2024:2\.1\.9': tiny_2024 has no item '2\.1\.9' \(did you mean 2\.1\.", line
    )
    assert match, line
    assert Path(match.group(1)) == main
    # the item's line, or the line of its feeds key
    assert int(match.group(2)) in (line_of(main, "- id: SJ"), line_of(main, "tiny_2024:2.1.9"))


def test_the_registry_refuses_an_instrument_whose_feeds_target_does_not_exist(tmp_path: Path, tiny_module: Any) -> None:
    main = bad_feed_copy(tmp_path)
    registry = inspectkit.load_registry(plugins=[("tiny", tiny_module), ("copy", frameworks_plugin(main))], entry_points=False)
    with pytest.raises(DefinitionErrors) as info:
        registry.framework(INSTRUMENT)
    (error,) = info.value.errors
    assert error.location.file == str(main) and error.location.item == "SJ"
    assert error.location.line in (line_of(main, "- id: SJ"), line_of(main, "tiny_2024:2.1.9"))
    assert "tiny_2024 has no item '2.1.9'" in error.message
    assert registry.framework(RATING).edition == RATING  # the rating edition itself is fine


def test_rate_with_a_case_of_an_instrument_whose_feeds_are_wrong_is_a_definition_error(
    cli: Any, tmp_path: Path, write: Any, inspection: dict[str, Any]
) -> None:
    cli.plugins.append(("copy", frameworks_plugin(bad_feed_copy(tmp_path))))
    path = write("i1.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"))
    result = cli("rate", "-e", RATING, path, "--inspection", write("ins.yaml", inspection), "--format", "json")
    assert result.exit_code == 1
    assert "SJ: feeds 'tiny_2024:2.1.9': tiny_2024 has no item '2.1.9'" in result.stderr


def test_a_wrong_feeds_target_in_an_included_file_names_that_file(cli2: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    included = main.parent / "instrument_licence.yaml"
    edit(included, 'feeds: ["tiny_2024:2.1.2"]', 'feeds: ["tiny_2024:2.1.8"]')
    result = cli2("check", main)
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if "2.1.8" in x]
    assert line.startswith(f"error: {included}:"), line


def test_a_feed_to_a_rating_edition_that_is_not_installed_is_not_checked(tmp_path: Path) -> None:
    main = bad_feed_copy(tmp_path)
    registry = inspectkit.load_registry(plugins=[("copy", frameworks_plugin(main))], entry_points=False)
    assert registry.framework(INSTRUMENT).items["SJ"].feeds == ("tiny_2024:2.1.9",)


# ------------------------------------------------------------------------------------------ a heading's condition


def test_a_headings_condition_covers_every_question_under_it(both: Any) -> None:
    engine = both.engine(INSTRUMENT)
    doc = instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes", L1="yes", L2__1="no", LJ="yes")
    result = engine.assess(doc)
    errors = {m.question: m.message for m in result.errors}
    assert set(errors) == {"L1", "L2.1", "LJ"}  # L2.1 sits two levels under L
    for qid, message in errors.items():
        assert message.startswith(f"{qid} is answered, but it does not apply to this case because L does not")
        assert '(setting == "licence"; setting = community)' in message
    assert {q: result.questions[q].status for q in ("L1", "L2.1", "LJ")} == dict.fromkeys(("L1", "L2.1", "LJ"), "not_applicable")
    assert result.judgements["LJ"] is None
    assert result.questions["S1"].status == "answered"


def test_questions_under_a_heading_that_applies_are_answered_as_usual(both: Any) -> None:
    doc = instrument_case("I2", setting="licence", S1="yes", S2="yes", SJ="yes", L1="yes", L2__1="n/a", LJ="yes")
    result = both.engine(INSTRUMENT).assess(doc)
    assert result.errors == ()
    assert result.questions["L2.1"].value == "n/a" and result.judgements["LJ"] == "yes"


def test_a_heading_whose_condition_is_not_known_yet_leaves_its_questions_open(both: Any) -> None:
    result = both.engine(INSTRUMENT).assess(instrument_case("I3", S1="yes", L1="yes"))
    assert result.errors == ()
    assert result.questions["L1"].status == "answered" and result.questions["LJ"].status == "missing"


def test_assess_names_the_heading_that_does_not_apply(cli2: Any, write: Any) -> None:
    path = write("case.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes", L2__1="no"))
    result = cli2("assess", "-e", INSTRUMENT, path, "--format", "table", "--explain", "L2.1")
    assert result.exit_code == 1
    assert re.search(
        r"error: .*case\.yaml:\d+: L2\.1 is answered, but it does not apply to this case because L does not", result.stderr
    )
    assert 'inside L, which applies when: setting == "licence"  ->  false   [setting = community]' in result.stdout
    assert "Not applicable to this case (3): L1, L2.1, LJ" in result.stdout


def test_rate_counts_a_summary_under_a_heading_that_does_not_apply_as_not_applicable(
    cli2: Any, write: Any, inspection: dict[str, Any]
) -> None:
    write("cases/i1.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes", LJ="yes"))
    folder = write("cases/i2.yaml", instrument_case("I2", setting="community", S1="yes", S2="yes", SJ="yes")).parent
    result, data = cli2.json("rate", "-e", RATING, folder, "--inspection", write("ins.yaml", inspection), "--format", "json")
    assert result.exit_code == 1
    assert data["excluded"] == [
        {"case_id": "I1", "source": str(folder / "i1.yaml"), "reason": "1 error(s) in the case file"},
    ]
    assert "LJ is answered, but it does not apply to this case because L does not" in result.stderr
    assert data["items"]["2.1.2"]["not_applicable"] == 1 and data["items"]["2.1.2"]["denominator"] == 0


def test_questions_json_shows_a_headings_condition(cli2: Any) -> None:
    _, data = cli2.json("questions", "-e", INSTRUMENT, "--format", "json")
    heading = next(i for i in data["items"] if i["id"] == "L")
    assert heading["kind"] is None and heading["condition"] == 'setting == "licence"'
    table = cli2("questions", "-e", INSTRUMENT, "--id", "L", "--format", "table").stdout
    assert 'applies when: setting == "licence"' in table


def test_questions_table_shows_a_headings_condition(cli2: Any) -> None:
    out = cli2("questions", "-e", INSTRUMENT, "--format", "table").stdout
    (line,) = [x for x in out.splitlines() if x.startswith("L  ")]
    assert 'setting == "licence"' in line


# ------------------------------------------------------------------------------------------ matrix


def test_questions_matrix_as_json(cli2: Any) -> None:
    result, data = cli2.json("questions", "-e", INSTRUMENT, "--matrix", "--format", "json")
    assert result.exit_code == 0
    assert data == {
        "title": "Areas by kind of question",
        "rows": ["safety", "licence"],
        "columns": ["evidence", "judgement"],
        "cells": [
            {"row": "safety", "column": "evidence", "item": "S1"},
            {"row": "safety", "column": "judgement", "item": "SJ"},
            {"row": "licence", "column": "evidence", "item": "L1"},
            {"row": "licence", "column": "judgement", "item": "LJ"},
        ],
    }


def test_questions_matrix_as_a_table(cli2: Any) -> None:
    result = cli2("questions", "-e", INSTRUMENT, "--matrix", "--format", "table")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Areas by kind of question"
    header = next(x for x in lines if "evidence Evidence" in x)
    assert header.index("evidence Evidence") < header.index("judgement Judgement")
    safety = next(x for x in lines if "safety Keeping safe" in x)
    licence = next(x for x in lines if "licence Licence work" in x)
    assert safety.index("S1 Were safety") < safety.index("SJ Was enough")
    assert licence.index("L1 Were the licence") < licence.index("LJ Was licence")
    assert lines.index(safety) < lines.index(licence)
    assert max(len(x) for x in lines) <= 100  # wrapped to fit a terminal


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_questions_matrix_of_an_edition_without_one_is_misuse(cli2: Any, fmt: str) -> None:
    result = cli2("questions", "-e", RATING, "--matrix", "--format", fmt)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error: tiny_2024 has no matrix view" in result.stderr


def test_a_matrix_cell_naming_no_item_is_a_definition_error(cli2: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(main, "{row: licence, column: judgement, item: LJ}", "{row: licence, column: judgement, item: LK}")
    result = cli2("check", main)
    assert result.exit_code == 1
    match = re.search(r"error: (.+):(\d+): matrix cell item 'LK' is not an item", result.stderr)
    assert match, result.stderr
    assert Path(match.group(1)) == main
    assert int(match.group(2)) in (line_of(main, "cells:"), line_of(main, "item: LK"))


def test_a_matrix_cell_in_an_undeclared_row_is_a_definition_error(cli2: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(main, "{row: licence, column: judgement, item: LJ}", "{row: licnce, column: judgement, item: LJ}")
    result = cli2("check", main)
    assert result.exit_code == 1 and "licnce" in result.stderr


def test_the_api_exposes_the_matrix(both: Any) -> None:
    m = both.framework(INSTRUMENT).matrix
    assert [r.label for r in m.rows] == ["Keeping safe", "Licence work"]
    assert both.framework(RATING).matrix is None


# ------------------------------------------------------------------------------------------ rate --explain


def test_explain_an_item_fed_by_both_editions(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    _, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json", "--explain", "2.1.2")
    lines = data["explain"]["2.1.2"]
    assert lines[0] == "2.1.2 Does assessment consider licence conditions?"
    assert lines[1] == "  2.1.2: 1 sufficient of 2 applicable = 50.0%; not applicable 4"
    counted = next(x for x in lines if x.startswith("  counted from: "))
    assert sorted(counted.removeprefix("  counted from: ").split(", ")) == [f"{RATING}:2.1.2", f"{INSTRUMENT}:LJ"]
    assert any("sufficient answers: yes" in x for x in lines)


def test_explain_a_rated_standard(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    _, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json", "--explain", "2.1")
    lines = data["explain"]["2.1"]
    assert lines[0] == "2.1 Assessment: the band of its lowest key question (2.1.1, 2.1.2)"
    assert "  2.1.1: 4 sufficient of 6 applicable = 66.7%" in lines
    assert "  2.1.2: 1 sufficient of 2 applicable = 50.0%; not applicable 4" in lines
    assert any(x.startswith("  bands: outstanding from 80%, good from 65%") for x in lines)
    assert '  rated when: provider == "nps"' in lines
    assert lines[-1] == "  by the rules: requires_improvement (lowest key question 2.1.2: 1/2 = 50.0%)"


def test_explain_a_standard_rated_by_the_inspection_team_and_an_override(
    cli2: Any, mixed: tuple[Path, Path], write: Any, inspection: dict[str, Any]
) -> None:
    folder, _ = mixed
    inspection["overrides"] = {"2.1": {"rating": "good", "reason": "A new team"}}
    ins = write("inspection2.yaml", inspection)
    out = cli2(
        "rate", "-e", RATING, folder, "--inspection", ins, "--format", "table", "--explain", "1.1", "--explain", "2.1"
    ).stdout
    assert "1.1 Leadership: rated by the inspection team (1.1 in the inspection file)" in out
    assert "  changed by professional discretion to good: A new team" in out


def test_explain_overall(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    result = cli2("rate", "-e", RATING, folder, "--inspection", ins, "--format", "table", "--explain", "overall")
    text = result.stdout[result.stdout.index("overall: the sum") :]
    assert text.splitlines()[:4] == [
        "overall: the sum of the rated standards' scores, banded",
        "  1.1 good: 2",
        "  2.1 requires_improvement: 1",
        "  2.2 outstanding: 3",
    ]
    assert "  bands: outstanding from 8, good from 5, requires_improvement from 2, inadequate from 0" in text
    assert "  result: score 6, good (sum of 3 standard scores)" in text


def test_explain_overall_of_an_edition_without_ratings(cli2: Any, write: Any) -> None:
    path = write("i1.yaml", instrument_case("I1", setting="community", S1="yes", S2="yes", SJ="yes"))
    _, data = cli2.json("rate", "-e", INSTRUMENT, path, "--format", "json", "--explain", "overall")
    assert data["explain"] == {"overall": [f"{INSTRUMENT} has no overall rating"]}


def test_explain_overall_when_not_every_standard_is_rated(
    cli2: Any, write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]
) -> None:
    path = write("c1.yaml", make_case("C1", answers(**{"2__2__a": "met"})))  # one case: too few to rate
    _, data = cli2.json(
        "rate", "-e", RATING, path, "--inspection", write("ins.yaml", inspection), "--format", "json", "--explain", "overall"
    )
    assert "None" not in "\n".join(data["explain"]["overall"])


@pytest.mark.parametrize(("target", "hint"), [("overal", "did you mean overall?"), ("2.2.b", "did you mean 2.2.a?")])
def test_explain_an_unknown_id_suggests_a_near_one(cli2: Any, mixed: tuple[Path, Path], target: str, hint: str) -> None:
    folder, ins = mixed
    _, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json", "--explain", target)
    assert data["explain"][target] == [f"{target}: not an item or rating of this report; {hint}"]
    table = cli2("rate", "-e", RATING, folder, "--inspection", ins, "--format", "table", "--explain", target).stdout
    assert table.rstrip().endswith(f"{target}: not an item or rating of this report; {hint}")


def test_explain_several_targets_in_one_run(cli2: Any, mixed: tuple[Path, Path]) -> None:
    folder, ins = mixed
    args = ["--explain", "2.1.1", "--explain", "2.1", "--explain", "overall", "--explain", "nothing"]
    _, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json", *args)
    assert list(data["explain"]) == ["2.1.1", "2.1", "overall", "nothing"]
    assert data["cases"] == 6  # the report is all there too


def test_explain_a_standard_that_is_not_rated_in_this_inspection(
    cli2: Any, mixed: tuple[Path, Path], write: Any, inspection: dict[str, Any]
) -> None:
    folder, _ = mixed
    inspection["answers"]["provider"] = "crc"  # 2.1 is rated only when provider == "nps"
    ins = write("inspection_crc.yaml", inspection)
    _, data = cli2.json("rate", "-e", RATING, folder, "--inspection", ins, "--format", "json", "--explain", "2.1")
    assert "2.1" not in data["ratings"]
    text = "\n".join(data["explain"]["2.1"])
    assert "not an item or rating" not in text and 'provider == "nps"' in text


def test_unknown_edition_names_a_failed_instrument(cli: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(main, "include: [instrument_licence.yaml]", "include: [nowhere.yaml]")
    cli.plugins.append(("copy", frameworks_plugin(main)))
    result = cli("questions", "-e", INSTRUMENT)
    assert result.exit_code == 2
    assert "warning: plugin 'copy'" in result.stderr and "included file 'nowhere.yaml' not found" in result.stderr
    assert f"error: unknown edition {INSTRUMENT!r}" in result.stderr and "plugins that failed to load: copy" in result.stderr


def test_usage_error_for_an_unknown_edition_in_the_api(both: Any) -> None:
    with pytest.raises(UsageError, match="unknown edition 'tiny_instrument_2025'; did you mean tiny_instrument_2024?"):
        both.framework("tiny_instrument_2025")
