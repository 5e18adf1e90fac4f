"""A rate report as tidy tables: items, ratings and the overall rating, one CSV each.

Each table has one kind of row and typed columns (counts are whole numbers in every row; an empty cell is a
missing value, never a number in the wrong column), and every row carries the inspection and edition, so the
tables of several inspections stack into one (``pandas.concat``, ``UNION ALL``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

TABLES = ("items", "ratings", "overall")

ITEM_COLUMNS = (
    "inspection_id",
    "edition",
    "edition_version",
    "id",
    "title",
    "numerator",
    "denominator",
    "percent",
    "lower",
    "upper",
    "small_sample",
    "not_applicable",
    "missing",
    "direction",
)
RATING_COLUMNS = (
    "inspection_id",
    "edition",
    "edition_version",
    "id",
    "title",
    "status",
    "rules_rating",
    "rating",
    "override_reason",
    "basis",
)
OVERALL_COLUMNS = ("inspection_id", "edition", "edition_version", "score", "rating", "basis")


def cell(value: Any) -> Any:
    """How a value is written to CSV: booleans as true/false (read as booleans by pandas and DuckDB), None empty."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value


def _write(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([cell(row.get(c)) for c in columns])
    return buf.getvalue()


def rows(report: Any, table: str) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows of one table of a rate report."""
    version = {"edition_version": report.edition_version}
    if table == "items":
        records = [{**version, **r} for r in report.item_records()]
        if report.by is None:
            return ITEM_COLUMNS, records
        # with a breakdown: the whole inspection's rows (group empty), then each group's
        records += [{**version, **r} for r in report.breakdown_records()]
        return ITEM_COLUMNS[:3] + ("by", "group") + ITEM_COLUMNS[3:], [{"by": report.by, **r} for r in records]
    if table == "ratings":
        return RATING_COLUMNS, [{**version, **r} for r in report.rating_records()]
    if table == "overall":
        out = []
        if report.overall is not None:
            o = report.overall
            out.append(
                {
                    "inspection_id": report.inspection_id,
                    "edition": report.edition,
                    **version,
                    "score": o.get("score"),
                    "rating": o.get("rating"),
                    "basis": o.get("basis"),
                }
            )
        return OVERALL_COLUMNS, out
    raise ValueError(f"no table {table!r}; one of {', '.join(TABLES)}")


def report_csv(report: Any, table: str) -> str:
    """One table of a rate report as CSV text."""
    columns, data = rows(report, table)
    return _write(columns, data)


COMPARE_COLUMNS = (
    "key",
    "level",
    "title",
    "inspection",
    "inspection_id",
    "provider_name",
    "inspection_date",
    "edition",
    "item_id",
    "items",
    "relation",
    "basis",
    "numerator",
    "denominator",
    "percent",
    "lower",
    "upper",
    "small_sample",
    "overlap",
    "change_points",
    "reason",
)


def write_csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    """Rows of plain data as CSV text, in ``columns`` order."""
    return _write(columns, rows)
