"""export: case-level data an analyst reads straight into pandas or DuckDB, with the same numbers as rate."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

EDITION = "tiny_2024"


def cases(write: Any, make_case: Any, answers: Any) -> Path:
    folder = write("cases/c1.yaml", make_case("C1", answers())).parent
    write("cases/c2.yaml", make_case("C2", answers(**{"2__1__1": "no"})))
    write(
        "cases/c3.yaml", make_case("C3", answers(sentence_type="custody", contact={"community": "weekly", "prison": "monthly"}))
    )
    return folder


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_long_csv_has_a_row_per_case_and_question_choice_and_category(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    result = cli("export", "-e", EDITION, cases(write, make_case, answers), "--inspection-id", "T-1")
    assert result.exit_code == 0, result.output
    out = rows(result.stdout)
    assert set(out[0]) == {"edition", "edition_version", "inspection_id", "case_id", "question_id", "category", "status", "value"}
    c1 = [r for r in out if r["case_id"] == "C1"]
    assert [r["value"] for r in c1 if r["question_id"] == "needs"] == ["drugs"]
    assert {(r["category"], r["value"]) for r in out if r["case_id"] == "C3" and r["question_id"] == "contact"} == {
        ("community", "weekly"),
        ("prison", "monthly"),
    }
    (risk,) = [r for r in c1 if r["question_id"] == "risk"]
    assert (risk["status"], risk["value"], risk["inspection_id"], risk["edition"]) == ("answered", "low", "T-1", EDITION)
    (count,) = [r for r in c1 if r["question_id"] == "need_count"]
    assert (count["status"], count["value"]) == ("derived", "1")
    assert "wrote" in result.stderr and "for 3 case(s)" in result.stderr


def test_personal_questions_are_left_out_unless_asked_for(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    folder = cases(write, make_case, answers)
    plain = cli("export", "-e", EDITION, folder)
    assert "summary_text" not in plain.stdout and "Steady progress" not in plain.stdout
    assert "personal questions left out (1)" in plain.stderr and "summary_text" in plain.stderr
    wide = cli("export", "-e", EDITION, folder, "--shape", "wide")
    assert "summary_text" not in wide.stdout and "Steady progress" not in wide.stdout
    full = cli("export", "-e", EDITION, folder, "--include-personal")
    assert [r["value"] for r in rows(full.stdout) if r["question_id"] == "summary_text"] == ["Steady progress"] * 3


def test_wide_jsonl_has_a_row_per_case_and_a_column_per_question(
    cli: Any, write: Any, make_case: Any, answers: Any, tmp_path: Path
) -> None:
    out = tmp_path / "wide.jsonl"
    result = cli("export", "-e", EDITION, cases(write, make_case, answers), "--shape", "wide", "-o", out)
    assert result.exit_code == 0, result.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["case_id"] for x in lines] == ["C1", "C2", "C3"]
    assert lines[0]["needs"] == ["drugs"] and lines[0]["order_months"] == 6 and lines[0]["start_date"] == "2024-01-08"
    assert lines[2]["contact:prison"] == "monthly" and lines[0]["contact:prison"] is None
    assert list(lines[0]) == list(lines[2])  # every row has every column, in one order


def test_cases_with_errors_or_outside_the_sample_are_left_out_as_rate_leaves_them(
    cli: Any, write: Any, make_case: Any, answers: Any
) -> None:
    folder = cases(write, make_case, answers)
    write("cases/c4.yaml", make_case("C4", answers(risk="severe")))
    write("cases/c5.yaml", make_case("C5", answers(case_ended="yes", start_date="2020-01-01", end_date="2020-01-10")))
    write("cases/c6.yaml", make_case("C1", answers()))  # a repeated case id
    result = cli("export", "-e", EDITION, folder)
    assert result.exit_code == 1
    assert {r["case_id"] for r in rows(result.stdout)} == {"C1", "C2", "C3"}
    assert "'severe' is not one of" in result.stderr and "used by an earlier case" in result.stderr
    assert "3 case(s) left out" in result.stderr


def _rate_items(cli: Any, folder: Path) -> dict[str, Any]:
    _, data = cli.json("rate", "-e", EDITION, folder, "--format", "json")
    return data["items"]


def test_round_trip_through_pandas_gives_rates_numbers(
    cli: Any, write: Any, make_case: Any, answers: Any, tmp_path: Path
) -> None:
    pd = pytest.importorskip("pandas")
    folder = cases(write, make_case, answers)
    out = tmp_path / "long.csv"
    assert cli("export", "-e", EDITION, folder, "-o", out).exit_code == 0
    df = pd.read_csv(out, dtype={"value": str})
    item = _rate_items(cli, folder)["2.1.1"]
    answered = df[(df.question_id == "2.1.1") & df.value.isin(["yes", "no"])]
    assert (int((answered.value == "yes").sum()), len(answered)) == (item["numerator"], item["denominator"])
    wide = (
        pd.read_json(tmp_path / "w.jsonl", lines=True)
        if cli("export", "-e", EDITION, folder, "--shape", "wide", "-o", tmp_path / "w.jsonl").exit_code == 0
        else None
    )
    assert wide is not None and len(wide) == 3 and wide["order_months"].dtype.kind == "i"
    assert round(100 * (wide["2.1.1"] == "yes").mean(), 1) == item["percent"]


def test_round_trip_through_duckdb_gives_rates_numbers(
    cli: Any, write: Any, make_case: Any, answers: Any, tmp_path: Path
) -> None:
    duckdb = pytest.importorskip("duckdb")
    folder = cases(write, make_case, answers)
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"long.{fmt}"
        assert cli("export", "-e", EDITION, folder, "-o", out).exit_code == 0
        reader = "read_csv_auto" if fmt == "csv" else "read_json_auto"
        got = duckdb.sql(
            f"select count(*) filter (where value = 'yes'), count(*) from {reader}('{out}')"
            " where question_id = '2.1.1' and value in ('yes', 'no')"
        ).fetchall()[0]
        item = _rate_items(cli, folder)["2.1.1"]
        assert got == (item["numerator"], item["denominator"])


def test_rate_items_stack_in_duckdb_across_inspections(
    cli: Any, write: Any, make_case: Any, answers: Any, tmp_path: Path
) -> None:
    duckdb = pytest.importorskip("duckdb")
    folder = cases(write, make_case, answers)
    for n in (1, 2):
        ins = write(
            f"ins{n}.yaml",
            {
                "schema": 1,
                "kind": "inspection",
                "edition": EDITION,
                "inspection_id": f"T-{n}",
                "answers": {"provider": "nps", "1.1": "good"},
            },
        )
        assert cli("rate", "-e", EDITION, folder, "--inspection", ins, "-o", tmp_path / f"r{n}.csv").exit_code == 0
    got = duckdb.sql(
        f"select inspection_id, numerator, denominator, lower, upper, small_sample from read_csv_auto('{tmp_path}/r*.csv')"
        " where id = '2.1.1' order by inspection_id"
    ).fetchall()
    assert got == [("T-1", 2, 3, 20.8, 93.9, False), ("T-2", 2, 3, 20.8, 93.9, False)]
    types = {row[0]: row[1] for row in duckdb.sql(f"describe select * from read_csv_auto('{tmp_path}/r1.csv')").fetchall()}
    assert "BIGINT" in types["numerator"] and types["small_sample"] == "BOOLEAN"


# How the README says to read an export, word for word (a test below checks the README still says so).
PANDAS_TEXT = '{"edition_version": str, "inspection_id": str, "case_id": str, "category": str, "value": str}'
PANDAS_CSV = 'pd.read_csv(PATH, dtype=TEXT, keep_default_na=False, na_values=[""])'
PANDAS_JSONL = "pd.read_json(PATH, lines=True, dtype=False)"
DUCKDB_CSV = (
    "read_csv(PATH, types={'edition_version': 'VARCHAR', 'inspection_id': 'VARCHAR', 'case_id': 'VARCHAR'},"
    " auto_type_candidates=['BIGINT', 'DOUBLE', 'DATE', 'VARCHAR'])"
)
DUCKDB_JSONL = "read_json_auto(PATH)"


def test_the_readme_reads_exports_as_these_tests_do() -> None:
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8").split())
    flat = readme.replace('" "', "").replace("' '", "")
    assert f"TEXT = {PANDAS_TEXT}" in readme
    for line in (PANDAS_CSV, PANDAS_JSONL):
        assert line.split("(PATH")[0] + '("cases.' in readme and line.split("PATH")[1] in readme
    for line in (DUCKDB_CSV, DUCKDB_JSONL):
        assert line.split("(PATH")[0] + "('cases." in flat and line.split("PATH")[1] in flat


@pytest.mark.parametrize("shape", ["long", "wide"])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_every_column_reads_back_as_its_type_in_pandas_and_duckdb(
    cli: Any, write: Any, make_case: Any, answers: Any, tmp_path: Path, shape: str, fmt: str
) -> None:
    """A version like 1.0, ids that look like numbers (007, 2024) and the answer n/a come back as text;
    numbers as numbers, dates as dates, whichever tool reads the file."""
    pd = pytest.importorskip("pandas")
    duckdb = pytest.importorskip("duckdb")
    write("cases/a.yaml", make_case("007", answers(**{"2__1__1__a": "n/a"})))
    write("cases/b.yaml", make_case("C2", answers(order_months=12)))
    out = tmp_path / f"cases.{fmt}"
    result = cli("export", "-e", EDITION, tmp_path / "cases", "--shape", shape, "--inspection-id", "2024", "-o", out)
    assert result.exit_code == 0, result.output
    path = str(out)
    df = (
        pd.read_json(path, lines=True, dtype=False)
        if fmt == "jsonl"
        else pd.read_csv(
            path,
            dtype={"edition_version": str, "inspection_id": str, "case_id": str, "category": str, "value": str},
            keep_default_na=False,
            na_values=[""],
        )
    )
    reader = (DUCKDB_JSONL if fmt == "jsonl" else DUCKDB_CSV).replace("PATH", f"'{path}'")
    db = duckdb.sql(f"select * from {reader}").df()
    types = {row[0]: row[1] for row in duckdb.sql(f"describe select * from {reader}").fetchall()}
    for frame in (df, db):
        assert set(frame.edition_version) == {"1.0"} and set(frame.inspection_id) == {"2024"}
        assert set(frame.case_id) == {"007", "C2"}
    assert {types[c] for c in ("edition_version", "inspection_id", "case_id")} == {"VARCHAR"}
    if shape == "long":
        for frame in (df, db):
            a = frame[(frame.case_id == "007") & (frame.question_id == "2.1.1.a")]
            assert list(a.value) == ["n/a"]
            assert set(frame[frame.question_id == "order_months"].value) == {"6", "12"}
        assert {types[c] for c in ("question_id", "status", "value")} == {"VARCHAR"}
        return
    for frame in (df, db):
        assert list(frame["2.1.1.a"]) == ["n/a", "yes"] and list(frame["order_months"]) == [6, 12]
        assert frame["order_months"].dtype.kind == "i"
    assert types["order_months"] == "BIGINT" and types["start_date"] == "DATE" and types["2.1.1.a"] == "VARCHAR"
    assert types["case_ended"] == "VARCHAR"  # yes and no are answers (text), not true and false
    assert pd.to_datetime(df["start_date"]).dt.year.tolist() == [2024, 2024]
