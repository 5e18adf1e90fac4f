"""Comparing inspections: what an analyst lines up across years or editions."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from inspectkit.compare import Inspection, compare, read_report
from inspectkit.errors import UsageError


def report(
    edition: str, items: dict, ratings: dict | None = None, overall: dict | None = None, minimum: int | None = None
) -> dict:
    return {
        "edition": edition,
        "inspection_id": f"{edition}-x",
        "cases": 10,
        "minimum_cases": minimum,
        "items": {
            k: {"title": f"item {k}", "numerator": n, "denominator": d, "percent": round(100 * n / d, 1) if d else None}
            for k, (n, d) in items.items()
        },
        "ratings": ratings or {},
        "overall": overall,
    }


def two(a: dict, b: dict) -> list[Inspection]:
    return [Inspection("a", a), Inspection("b", b)]


def test_one_edition_lines_up_by_id_with_the_change_from_exact_fractions() -> None:
    result = compare(two(report("e", {"1": (2, 3), "2": (1, 4)}), report("e", {"1": (3, 4), "3": (1, 1)})))
    lines = {line.key: line for line in result.lines}
    assert result.how == "id" and lines["1"].change == 8.3  # 75 - 66.67, not 75.0 - 66.7
    assert lines["2"].cells[1] is None and lines["2"].change is None and lines["3"].cells[0] is None
    assert result.unmapped == ()


def test_every_cell_carries_its_wilson_interval_and_each_line_says_whether_they_overlap() -> None:
    result = compare(two(report("e", {"1": (2, 12)}, minimum=5), report("e", {"1": (11, 12)}, minimum=5)))
    (line,) = result.to_dict()["items"]
    a, b = line["sides"]
    assert (a["lower"], a["upper"], b["lower"], b["upper"]) == (4.7, 44.8, 64.6, 98.5)
    assert line["overlap"] is False and line["change_points"] == 75.0 and a["small_sample"] is False
    close = compare(two(report("e", {"1": (5, 12)}), report("e", {"1": (7, 12)}))).lines[0]
    assert close.overlap is True


def test_three_or_more_inspections_side_by_side() -> None:
    reports = [Inspection(str(y), report("e", {"1": (n, 10)})) for y, n in ((2013, 2), (2017, 5), (2020, 9))]
    (line,) = compare(reports).lines
    assert [c.numerator for c in line.cells] == [2, 5, 9] and line.change == 70.0
    assert line.overlap is False  # 2013's interval and 2020's do not meet


def test_a_map_lines_up_two_editions_and_names_unknown_ids() -> None:
    left, right = report("instrument", {"A1S": (5, 10), "A9": (1, 2)}), report("standards", {"2.1.1": (6, 10)})
    result = compare(two(left, right), mapping={"A1S": "2.1.1"})
    (line,) = result.lines
    assert (line.key, [c.item_id for c in line.cells], line.change) == ("2.1.1", ["A1S", "2.1.1"], 10.0)
    assert [u[1] for u in result.unmapped] == ["A9"] and result.how == "map"
    with pytest.raises(UsageError) as info:
        compare(two(left, right), mapping={"A1X": "2.1.1", "A1S": "2.1.9"})
    text = str(info.value)
    assert "A1X: no such item in the instrument report(s); did you mean A1S?" in text
    assert "A1S -> 2.1.9: no such item in standards; did you mean 2.1.1?" in text


def test_a_map_keyed_by_edition_gives_relations_for_many_inspections() -> None:
    reports = [
        Inspection("2013", report("old", {"c1": (4, 8)})),
        Inspection("2017", report("mid", {"q1": (6, 8), "q2": (2, 8)})),
        Inspection("2020", report("new", {"k1": (7, 8)})),
    ]
    mapping = {
        "to": "new",
        "old": {"c1": {"to": "k1", "relation": "narrower"}},
        "mid": {"q1": "k1", "q2": {"to": "k1", "relation": "related"}},
    }
    result = compare(reports, mapping=mapping)
    key, *items = result.lines
    assert [(c.item_id, c.relation) if c else None for c in key.cells] == [
        ("c1", "narrower"),
        ("q1", "equivalent"),  # the closest of 2017's two items: its figure for k1, alone
        ("k1", "same"),
    ]
    assert key.level == "key" and not key.cells[1].pooled
    assert [(line.level, line.edition, [c.item_id if c else None for c in line.cells]) for line in items] == [
        ("item", "mid", [None, "q1", None]),
        ("item", "mid", [None, "q2", None]),  # every contributing item on a line of its own
    ]


def test_equally_close_items_pool_their_answers_and_say_so() -> None:
    """Two narrower items of one inspection on one key: their answers added up, labelled as answers, with an
    interval taken as if from the items' mean number of cases (not from the pooled answers)."""
    reports = [
        Inspection("2013", report("old", {"a": (3, 10), "b": (6, 10), "c": (1, 4)})),
        Inspection("2020", report("new", {"k1": (7, 10)}, minimum=5)),
    ]
    mapping = {"to": "new", "old": {x: {"to": "k1", "relation": "narrower"} for x in ("a", "b")} | {"c": "k1"}}
    result = compare(reports, mapping=mapping)
    key = result.key_lines[0]
    assert key.cells[0].item_id == "c" and not key.cells[0].pooled  # an equivalent item stands alone
    del mapping["old"]["c"]
    result = compare(reports[:1] + reports[1:], mapping={"to": "new", "old": mapping["old"]})
    key, *items = result.lines
    figure = key.cells[0]
    assert figure.pooled and figure.basis == "answers" and (figure.numerator, figure.denominator) == (9, 20)
    assert figure.items == ("a", "b") and figure.item_id == "a + b" and figure.cases == 10
    assert figure.interval == (20.1, 72.6)  # 45% as if from 10 cases; from 20 answers it would be 25.8-65.8
    assert key.overlap is True and key.change == 25.0
    side = key.to_dict()["sides"][0]
    assert (side["basis"], side["items"], side["lower"]) == ("answers", ["a", "b"], 20.1)
    assert [line.cells[0].item_id for line in items] == ["a", "b"] and all(line.level == "item" for line in items)
    assert [(r["level"], r["item_id"], r["basis"]) for r in result.records()][:3] == [
        ("key", "a + b", "answers"),
        ("key", "k1", "cases"),
        ("item", "a", "cases"),
    ]


def test_items_of_one_edition_line_up_with_themselves_across_inspections() -> None:
    mapping = {"to": "new", "old": {"a": {"to": "k1", "relation": "narrower"}, "b": {"to": "k1", "relation": "narrower"}}}
    reports = [
        Inspection("2013", report("old", {"a": (2, 10), "b": (6, 10)})),
        Inspection("2014", report("old", {"a": (10, 10), "b": (6, 10)})),
        Inspection("2020", report("new", {"k1": (7, 10)})),
    ]
    _, a, b = compare(reports, mapping=mapping).lines
    assert [c.item_id if c else None for c in a.cells] == ["a", "a", None] and a.change == 80.0 and a.overlap is False
    assert b.change == 0.0 and b.overlap is True


def test_two_editions_with_no_crosswalk_or_map_is_an_error_not_silence() -> None:
    with pytest.raises(UsageError, match="no crosswalk lines up"):
        compare(two(report("x", {"1": (1, 2)}), report("y", {"1": (1, 2)})))


def test_ratings_side_by_side_in_json() -> None:
    data = compare(two(report("e", {}, {"2.1": "good"}), report("e", {}, {"2.1": "inadequate", "4.1": "good"}))).to_dict()
    assert data["ratings"] == [{"id": "2.1", "ratings": ["good", "inadequate"]}, {"id": "4.1", "ratings": [None, "good"]}]


def test_a_file_that_is_not_a_report_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"edition": "e"}), encoding="utf-8")
    with pytest.raises(UsageError, match="not a rate report"):
        read_report(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(UsageError, match="not a JSON report"):
        read_report(path)


def test_the_compare_command_in_every_format(tmp_path: Path, cli) -> None:
    a, b = tmp_path / "2019.json", tmp_path / "2021.json"
    a.write_text(json.dumps(report("e", {"1": (1, 2)}, {"2.1": "good"}, {"score": 20, "rating": "good"})), encoding="utf-8")
    b.write_text(json.dumps(report("e", {"1": (3, 4)}, {"2.1": "good"}, {"score": 21, "rating": "good"})), encoding="utf-8")
    result = cli("compare", a, b, "--format", "table")
    assert result.exit_code == 0, result.output
    assert "+25.0" in result.stdout and "2019.json" in result.stdout and "9.5-90.5" in result.stdout
    rows = list(csv.DictReader(io.StringIO(cli("compare", a, b, "--format", "csv").stdout)))
    assert [(r["inspection"], r["numerator"], r["lower"], r["change_points"]) for r in rows] == [
        ("2019.json", "1", "9.5", "25.0"),
        ("2021.json", "3", "30.1", "25.0"),
    ]
    md = cli("compare", a, b, "--format", "markdown").stdout
    assert "| item" in md and "|---" in md.replace(" ", "").replace(":", "")
    out = tmp_path / "cmp.md"
    written = cli("compare", a, b, "-o", out)
    assert out.read_text(encoding="utf-8") == md and "wrote the comparison" in written.stderr
    assert cli("compare", a, tmp_path / "missing.json").exit_code == 2
    assert cli("compare", a).exit_code == 2
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("e:\n  '9': '1'\n", encoding="utf-8")
    result = cli("compare", a, b, "--map", bad_map)
    assert result.exit_code == 2 and "9: no such item in the e report(s)" in result.stderr


def test_what_compare_and_report_cannot_use_is_refused_with_exit_code_2(tmp_path: Path, cli, write, make_case, answers) -> None:
    """An analyst's slips: each is named, with the fix, and nothing is written or silently ignored."""
    good = tmp_path / "a.json"
    good.write_text(json.dumps(report("e", {"1": (1, 2)})), encoding="utf-8")
    case = write("cases/c1.yaml", make_case("C1", answers()))
    (tmp_path / "empty").mkdir()
    (tmp_path / "t.csv").write_text("id,numerator\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text(json.dumps({"edition": "e", "cases": 1, "items": {"1": {"numerator": 3}}}))
    (tmp_path / "map.yaml").write_text("a: [\n", encoding="utf-8")
    for args, message in [
        ((case, good), "a case file, not an inspection file (kind: inspection)"),
        ((tmp_path / "empty", good), "no case files in this folder"),
        ((tmp_path / "t.csv", good), "not a saved rate report, an inspection file or a case file"),
        ((tmp_path / "broken.json", good), "item 1: needs whole numbers 0 <= numerator <= denominator, not 3/None"),
        ((good, good, "--map", tmp_path / "map.yaml"), "map.yaml:2: not valid YAML"),
        ((good, good, "-o", tmp_path / "changes.html"), "inspectkit report writes an HTML page"),
    ]:
        result = cli("compare", *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
    assert not (tmp_path / "changes.html").exists()
    for args, message in [
        ((good, "-o", tmp_path / "r.json"), "report writes an HTML page: name the file .html"),
        ((good, "--inspection", tmp_path / "map.yaml", "-o", tmp_path / "r.html"), "--inspection goes with --edition"),
        ((good, "-o", good), "a.json"),
    ]:
        result = cli("report", *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.output)
    assert json.loads(good.read_text(encoding="utf-8"))["edition"] == "e"  # the input is never overwritten


def test_the_same_inspection_twice_is_named_apart(tmp_path: Path, cli) -> None:
    good = tmp_path / "a.json"
    good.write_text(json.dumps(report("e", {"1": (1, 2)})), encoding="utf-8")
    result, data = cli.json("compare", good, good, "--format", "json")
    assert result.exit_code == 0 and "a.json given more than once" in result.stderr
    assert [i["name"] for i in data["inspections"]] == ["a.json", "a.json (2)"]


def test_errors_met_while_rating_an_inspection_are_shown_and_exit_1(
    tmp_path: Path, cli, write, make_case, answers, inspection
) -> None:
    write("a/cases/c1.yaml", make_case("C1", answers()))
    write("a/cases/c2.yaml", {**make_case("C2", answers()), "colour": "blue"})
    write("a/inspection.yaml", {**inspection, "inspection_id": "A"})
    write("b/cases/c1.yaml", make_case("C1", answers()))
    write("b/inspection.yaml", {**inspection, "inspection_id": "B"})
    result = cli("compare", tmp_path / "a", tmp_path / "b", "--format", "csv")
    assert result.exit_code == 1 and "colour" in result.stderr and "A: 1 error(s) while rating it" in result.stderr
    assert result.stdout.startswith("key,level,")  # the comparison is still written
    result = cli("report", tmp_path / "a", tmp_path / "b", "-o", tmp_path / "r.html")
    assert result.exit_code == 1 and "colour" in result.stderr and (tmp_path / "r.html").exists()


def test_hide_items_keeps_one_line_per_key_question_in_every_format(tmp_path: Path, cli) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text("to: new\nold:\n  a: {to: k1, relation: narrower}\n  b: {to: k1, relation: narrower}\n", encoding="utf-8")
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(report("old", {"a": (3, 10), "b": (6, 10)})), encoding="utf-8")
    new.write_text(json.dumps(report("new", {"k1": (7, 10)})), encoding="utf-8")
    _, full = cli.json("compare", old, new, "--map", mapping, "--format", "json")
    assert [line["level"] for line in full["items"]] == ["key", "item", "item"]
    result, data = cli.json("compare", old, new, "--map", mapping, "--format", "json", "--hide-items")
    assert [line["level"] for line in data["items"]] == ["key"] and data["item_lines_hidden"] == 2
    assert {r["level"] for r in data["records"]} == {"key"}
    table = cli("compare", old, new, "--map", mapping, "--format", "table", "--hide-items").stdout
    assert "2 item line(s) hidden (--hide-items)" in table and "↳" not in table and "9/20 answers" in table
    assert "1 key question(s) set pooled answers beside cases (k1): read their change with the intervals" in table
