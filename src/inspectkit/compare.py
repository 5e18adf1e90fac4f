"""Comparing saved ``rate`` reports: inspections across years, or the same work under two editions.

Reports are the JSON that ``inspectkit rate --format json`` writes. Items are lined up by id (and, where an
analyst gives one, by a mapping between two editions' ids); each line shows both percentages, the change in
percentage points, and the denominators, so that a change on a handful of cases is not read as a trend.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from inspectkit.errors import InputError, Location

REPORT_KEYS = ("edition", "cases", "items")


@attrs.frozen
class Row:
    left_id: str | None
    right_id: str | None
    title: str
    left: Mapping[str, Any] | None
    right: Mapping[str, Any] | None

    @property
    def change(self) -> float | None:
        """Change in percentage points, from left to right (None where either side has no percentage)."""
        if not self.left or not self.right:
            return None
        ld, rd = self.left.get("denominator"), self.right.get("denominator")
        if not ld or not rd:
            return None
        exact = Fraction(100 * self.right["numerator"], rd) - Fraction(100 * self.left["numerator"], ld)
        return round(float(exact), 1)


@attrs.frozen
class Comparison:
    left: Mapping[str, Any]
    right: Mapping[str, Any]
    left_name: str
    right_name: str
    rows: tuple[Row, ...]
    ratings: tuple[tuple[str, str | None, str | None], ...]

    def to_dict(self) -> dict[str, Any]:
        side = lambda r: {k: r.get(k) for k in ("edition", "inspection_id", "cases", "overall")}  # noqa: E731
        return {
            "left": {"name": self.left_name, **side(self.left)},
            "right": {"name": self.right_name, **side(self.right)},
            "items": [
                {
                    "left_id": r.left_id,
                    "right_id": r.right_id,
                    "title": r.title,
                    "left": None if r.left is None else {k: r.left.get(k) for k in ("numerator", "denominator", "percent")},
                    "right": None if r.right is None else {k: r.right.get(k) for k in ("numerator", "denominator", "percent")},
                    "change_points": r.change,
                }
                for r in self.rows
            ],
            "ratings": [{"id": i, "left": a, "right": b} for i, a, b in self.ratings],
        }


def read_report(path: Path) -> dict[str, Any]:
    """A saved ``rate --format json`` report, checked enough to compare."""
    from inspectkit.files import read_text

    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not a JSON report: {exc.msg}", Location(str(path), exc.lineno), hint="save one with rate --format json -o FILE"
        ) from exc
    if not isinstance(data, dict) or any(k not in data for k in REPORT_KEYS):
        raise InputError(
            "not a rate report (it needs edition, cases and items)",
            Location(str(path)),
            hint="save one with rate --format json -o FILE",
        )
    return data


def compare(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    left_name: str = "left",
    right_name: str = "right",
    mapping: Mapping[str, str] | None = None,
) -> Comparison:
    """Line up two reports' items (by id, or by ``mapping`` from left ids to right ids) and ratings."""
    mapping = dict(mapping or {})
    litems: Mapping[str, Any] = left.get("items") or {}
    ritems: Mapping[str, Any] = right.get("items") or {}
    rows: list[Row] = []
    used: set[str] = set()
    for lid, lv in litems.items():
        rid = mapping.get(lid, lid)
        rv = ritems.get(rid)
        if rv is not None:
            used.add(rid)
        rows.append(Row(lid, rid if rv is not None else None, lv.get("title") or (rv or {}).get("title") or "", lv, rv))
    for rid, rv in ritems.items():
        if rid not in used:
            rows.append(Row(None, rid, rv.get("title") or "", None, rv))
    lr: Mapping[str, Any] = left.get("ratings") or {}
    rr: Mapping[str, Any] = right.get("ratings") or {}
    ratings = tuple((i, lr.get(i), rr.get(i)) for i in list(lr) + [i for i in rr if i not in lr])
    return Comparison(left, right, left_name, right_name, tuple(rows), ratings)
