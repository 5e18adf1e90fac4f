"""Comparing saved rate reports: what an analyst lines up across years or editions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspectkit.compare import compare, read_report
from inspectkit.errors import InputError


def report(edition: str, items: dict, ratings: dict | None = None, overall: dict | None = None) -> dict:
    return {
        "edition": edition,
        "inspection_id": f"{edition}-x",
        "cases": 10,
        "items": {
            k: {"title": f"item {k}", "numerator": n, "denominator": d, "percent": round(100 * n / d, 1) if d else None}
            for k, (n, d) in items.items()
        },
        "ratings": ratings or {},
        "overall": overall,
    }


def test_items_line_up_by_id_with_the_change_in_points_from_exact_fractions() -> None:
    result = compare(report("e", {"1": (2, 3), "2": (1, 4)}), report("e", {"1": (3, 4), "3": (1, 1)}))
    rows = {(r.left_id, r.right_id): r for r in result.rows}
    assert rows[("1", "1")].change == 8.3  # 75 - 66.67, not 75.0 - 66.7
    assert rows[("2", None)].right is None and rows[("2", None)].change is None
    assert rows[(None, "3")].left is None


def test_a_mapping_lines_up_two_editions() -> None:
    left = report("instrument", {"A1S": (5, 10)})
    right = report("standards", {"2.1.1": (6, 10)})
    rows = compare(left, right, mapping={"A1S": "2.1.1"}).rows
    assert [(r.left_id, r.right_id, r.change) for r in rows] == [("A1S", "2.1.1", 10.0)]


def test_no_cases_gives_no_change_rather_than_a_number() -> None:
    rows = compare(report("e", {"1": (0, 0)}), report("e", {"1": (1, 2)})).rows
    assert rows[0].change is None


def test_ratings_side_by_side_in_json() -> None:
    data = compare(report("e", {}, {"2.1": "good"}), report("e", {}, {"2.1": "inadequate", "4.1": "good"})).to_dict()
    assert data["ratings"] == [
        {"id": "2.1", "left": "good", "right": "inadequate"},
        {"id": "4.1", "left": None, "right": "good"},
    ]


def test_a_file_that_is_not_a_report_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"edition": "e"}), encoding="utf-8")
    with pytest.raises(InputError, match="not a rate report"):
        read_report(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON report"):
        read_report(path)


def test_the_compare_command(tmp_path: Path, cli) -> None:
    a, b = tmp_path / "2019.json", tmp_path / "2021.json"
    a.write_text(json.dumps(report("e", {"1": (1, 2)}, {"2.1": "good"}, {"score": 20, "rating": "good"})), encoding="utf-8")
    b.write_text(json.dumps(report("e", {"1": (3, 4)}, {"2.1": "good"}, {"score": 21, "rating": "good"})), encoding="utf-8")
    result = cli("compare", a, b, "--format", "table")
    assert result.exit_code == 0, result.output
    assert "+25.0" in result.stdout and "2019.json" in result.stdout
    result = cli("compare", a, b, "--format", "csv")
    assert result.stdout.splitlines()[1].endswith(",25.0")
    assert cli("compare", a, tmp_path / "missing.json").exit_code == 2
