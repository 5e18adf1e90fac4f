"""Golden comparisons across three generations of edition (2013, 2017 and 2020), with the plugins installed.

The cases are fixed files (tests/editions, made once by synth) and the bundled 2020 example; the expected
lines are in tests/editions/compare-golden.json. When an edition's data changes on purpose, regenerate with
INSPECTKIT_REGENERATE_GOLDEN=1 and review the diff like any other change to a rule.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import inspectkit

HERE = Path(__file__).parent
ROOT = HERE.parent
DATA = HERE / "editions"
EDITIONS = ("standards_2020", "carag_2019", "qi_2017", "adult_offending_2013")


@pytest.fixture(scope="module")
def registry() -> Any:
    registry = inspectkit.load_registry()
    missing = [e for e in EDITIONS if e not in registry.entries]
    if missing:
        pytest.skip(f"needs the bundled editions installed (missing: {', '.join(missing)})")
    return registry


@pytest.fixture(scope="module")
def three(registry: Any) -> Any:
    from inspectkit.cli_analysis import load_inspection
    from inspectkit.compare import compare

    inspections = [
        load_inspection(DATA / "adult_offending_2013-cases.jsonl", registry),
        load_inspection(DATA / "qi_2017-cases.jsonl", registry),
        load_inspection(ROOT / "examples" / "nps-north-2020", registry),
    ]
    return compare(inspections, registry)


def _golden_view(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "key": line["key"],
            "level": line["level"],
            "sides": [
                None
                if s is None
                else [s["item_id"], s["relation"], s["basis"], s["numerator"], s["denominator"], s["lower"], s["upper"]]
                for s in line["sides"]
            ],
            "overlap": line["overlap"],
            "change": line["change_points"],
        }
        for line in result.to_dict()["items"]
    ]


def test_every_bundled_crosswalk_is_valid(registry: Any) -> None:
    from inspectkit.crosswalk import check_crosswalk

    walks = {w.from_edition: w for w in registry.crosswalks()}
    assert set(walks) == {"carag_2019", "qi_2017", "adult_offending_2013"}
    for walk in walks.values():
        assert walk.to_edition == "standards_2020"
        assert [str(p) for p in check_crosswalk(walk, registry)] == []


def test_2013_2017_and_2020_line_up_on_the_2020_key_questions(three: Any) -> None:
    golden = DATA / "compare-golden.json"
    got = _golden_view(three)
    if os.environ.get("INSPECTKIT_REGENERATE_GOLDEN"):
        golden.write_text("[\n" + ",\n".join(json.dumps(line) for line in got) + "\n]\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))


def test_the_closest_items_share_the_first_line_of_a_key_question(three: Any) -> None:
    first = {}
    for line in three.lines:
        first.setdefault(line.key, line)
    cells = [(c.item_id, c.relation) if c else None for c in first["2.1.3"].cells]
    assert cells == [("4.1.a", "equivalent"), ("PP7b", "equivalent"), ("2.1.3", "same")]
    assert [(c.item_id, c.relation) if c else None for c in first["2.2.3"].cells][:2] == [
        ("4.1.c", "equivalent"),
        ("PP8", "equivalent"),
    ]
    unmapped = {(three.inspections[i].edition, item_id) for i, item_id, _ in three.unmapped}
    assert ("qi_2017", "RR12") in unmapped and ("adult_offending_2013", "outcome:1") in unmapped  # facts and outcomes


def test_a_carag_report_lines_up_with_its_own_key_questions(registry: Any) -> None:
    from inspectkit.cli_analysis import load_inspection
    from inspectkit.compare import compare

    carag = load_inspection(ROOT / "examples" / "nps-north-2020" / "cases", registry)  # rated as carag_2019 from its first case
    standards = load_inspection(ROOT / "examples" / "nps-north-2020", registry)
    assert carag.edition == "carag_2019"
    result = compare([carag, standards], registry)
    by_key = {line.key: line for line in result.lines}
    a, b = by_key["2.1.1"].cells
    assert (a.item_id, a.relation, b.item_id) == ("A1S", "equivalent", "2.1.1")
    assert (a.numerator, a.denominator) == (b.numerator, b.denominator)  # the same cases, counted the same way


def test_every_2013_item_is_mapped_or_listed_as_unmapped_with_its_reason(registry: Any) -> None:
    from inspectkit.crosswalk import report_items

    (walk,) = [w for w in registry.crosswalks() if w.from_edition == "adult_offending_2013"]
    items = report_items(registry, "adult_offending_2013")
    mapped = {r.from_id for r in walk.rows}
    listed = {u.id for u in walk.unmapped}
    assert set(items) == mapped | listed and not mapped & listed
    assert walk.reason_unmapped("outcome:1").startswith("Counts exactly as its one case-level section, 1.1")
    sections = {r.from_id: (r.to_id, r.relation) for r in walk.rows if r.from_id.startswith("section:")}
    assert sections["section:1.1"] == ("3.1.1", "equivalent") and sections["section:4.3"] == ("2.3.3", "related")


def test_the_2013_sections_and_outcomes_carry_the_documents_headings(registry: Any) -> None:
    from inspectkit.crosswalk import report_items

    fw = registry.framework("adult_offending_2013")
    items = report_items(registry, "adult_offending_2013")
    for item_id, tally in items.items():
        kind, _, number = item_id.partition(":")
        if kind in ("section", "outcome"):
            assert tally.title and tally.title == fw.items[number].title, item_id
    assert items["section:2.1"].title == "Assessment and sentence planning to deliver the sentence"
    assert items["outcome:4"].title == "Protecting the public by minimising the risk of harm to others"


@pytest.fixture
def saved(three: Any, tmp_path: Path) -> list[Path]:
    """The three inspections as saved rate reports (as rate -o writes them), oldest first."""
    paths = []
    for year, ins in zip((2013, 2017, 2020), three.inspections, strict=True):
        path = tmp_path / f"{year}.json"
        path.write_text(json.dumps(ins.report), encoding="utf-8")
        paths.append(path)
    return paths


def test_every_format_shows_the_same_lines_and_numbers(
    cli: Any, registry: Any, saved: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import io

    cli.registry = registry
    monkeypatch.setenv("COLUMNS", "400")  # a table as wide as it needs: each cell's lines stay whole
    result, data = cli.json("compare", *saved, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(cli("compare", *saved, "--format", "csv").stdout)))
    markdown = cli("compare", *saved, "--format", "markdown").stdout
    table = cli("compare", *saved, "--format", "table").stdout
    from_json = [
        (line["key"], line["level"], side["item_id"], side["basis"], side["numerator"], side["denominator"], side["lower"])
        for line in data["items"]
        for side in line["sides"]
        if side is not None
    ]
    from_csv = [
        (r["key"], r["level"], r["item_id"], r["basis"], int(r["numerator"]), int(r["denominator"]), r["lower"])
        for r in rows
        if r["level"] != "unmapped"
    ]
    assert from_csv == [(*x[:6], "" if x[6] is None else str(x[6])) for x in from_json]
    assert len(data["records"]) == len(rows)
    pooled = [
        line for line in data["items"] if line["level"] == "key" and any(s and s["basis"] == "answers" for s in line["sides"])
    ]
    assert pooled, "the 2013 and 2017 editions map several equally close items onto some key questions"
    for line in pooled:
        for side in line["sides"]:
            if side and side["basis"] == "answers":
                text = f"{side['numerator']}/{side['denominator']} answers"
                assert text in markdown and text in table
                assert len(side["items"]) > 1 and side["item_id"] == " + ".join(side["items"])
    keys = [line["key"] for line in data["items"] if line["level"] == "key"]
    assert len(keys) == len(set(keys))  # one line per key question
    unmapped = {(u["edition"], u["item_id"]): u["reason"] for u in data["unmapped"]}
    assert unmapped[("adult_offending_2013", "section:2.3")].startswith("Initial outcomes are achieved")
    assert {r["reason"] for r in rows if r["level"] == "unmapped" and r["item_id"] == "section:2.3"} == {
        unmapped[("adult_offending_2013", "section:2.3")]
    }
    out = tmp_path / "three.html"
    assert cli("report", *saved, "-o", out).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert html.count('data-level="key"') == len(keys)
    assert html.count('data-level="item"') == sum(1 for line in data["items"] if line["level"] == "item")


def test_pandas_and_duckdb_read_the_comparison_as_typed_columns(
    cli: Any, registry: Any, saved: list[Path], tmp_path: Path
) -> None:
    pd = pytest.importorskip("pandas")
    duckdb = pytest.importorskip("duckdb")
    cli.registry = registry
    out = tmp_path / "changes.csv"
    assert cli("compare", *saved, "-o", out).exit_code == 0
    frame = pd.read_csv(out, dtype={"key": str, "item_id": str, "items": str})
    assert str(frame.numerator.dtype) == "int64" and str(frame.denominator.dtype) == "int64"
    assert str(frame.percent.dtype) == "float64" and str(frame.lower.dtype) == "float64"
    figures = frame[frame.level == "key"]
    assert not figures.duplicated(["key", "inspection"]).any()  # one figure per key question and inspection
    assert set(frame.basis) == {"cases", "answers"}
    con = duckdb.connect()
    got = con.sql(
        f"select key, inspection, basis, numerator, denominator from read_csv_auto('{out}', types={{'key': 'VARCHAR'}})"
        " where level = 'key' and key = '2.3.1' order by inspection"
    ).fetchall()
    assert [(k, i, b) for k, i, b, _, _ in got] == [
        ("2.3.1", "2013.json", "answers"),
        ("2.3.1", "2017.json", "answers"),
        ("2.3.1", "2020.json", "cases"),
    ]
    records = json.loads(cli("compare", *saved, "--format", "json").stdout)["records"]
    assert len(pd.DataFrame(records)) == len(frame)


def test_one_providers_2013_2017_and_2020_inspections_make_one_trend_in_date_order(
    cli: Any, registry: Any, saved: list[Path], tmp_path: Path
) -> None:
    import re

    cli.registry = registry
    for path, date in zip(saved, ("2013-06", "2017-11-20", "2020-02-10"), strict=True):
        report = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps({**report, "provider_name": "NPS North", "inspection_date": date}), encoding="utf-8")
    out = tmp_path / "trend.html"
    assert cli("report", saved[2], saved[0], saved[1], "-o", out).exit_code == 0  # given out of order
    html = out.read_text(encoding="utf-8")
    (heading,) = re.findall(r'<h3 data-provider="NPS North">([^<]+)</h3>', html)
    assert heading == "NPS North: 2013-06 2013.json, 2017-11-20 2017.json, 2020-02-10 NPS-North-2020"
    assert "in date order (inspection_date); lined up on standards_2020" in html
    trend = html[html.index('id="trend"') :]
    figure = trend[trend.index('data-item="2.3.1"') :]
    figure = figure[: figure.index("</figure>")]
    points = re.findall(
        r'data-label="([^"]+)" data-percent="([^"]+)" data-numerator="(\d+)" data-denominator="(\d+)" data-basis="(\w+)"', figure
    )
    assert [(p[2], p[3], p[4]) for p in points] == [("17", "42", "answers"), ("33", "40", "answers"), ("21", "23", "cases")]
    table = cli("compare", saved[2], saved[0], "--format", "table").stdout
    assert "Note: given out of date order (inspection_date: 2020-02-10, 2013-06)" in table
    assert "2013.json: adult_offending_2013 (NPS North, 2013-06), 14 cases" in table
    rows = cli("compare", *saved, "--format", "csv").stdout.splitlines()
    assert rows[0].split(",")[5:7] == ["provider_name", "inspection_date"] and ",NPS North,2017-11-20," in rows[2]


def test_the_2013_sections_and_outcomes_are_charted_under_their_own_headings(three: Any, registry: Any) -> None:
    from inspectkit.report import render

    html = render(three.inspections[:1], registry)
    assert "<h3> Sections</h3>" in html and "<h3> Headline outcomes</h3>" in html and "Other items" not in html
    assert 'data-label="section:2.1"' in html and "Assessment and sentence planning to deliver the sentence" in html


def test_every_item_of_an_older_edition_is_mapped_or_listed_with_its_reason(registry: Any) -> None:
    """Nothing is left out in silence: each aggregated item of carag_2019, qi_2017 and adult_offending_2013
    corresponds to a key question, or the crosswalk says why not."""
    from inspectkit.crosswalk import report_items

    for walk in registry.crosswalks():
        items = report_items(registry, walk.from_edition)
        listed = {u.id for u in walk.unmapped}
        assert set(items) == {r.from_id for r in walk.rows} | listed, walk.from_edition
        assert all(u.reason for u in walk.unmapped)
