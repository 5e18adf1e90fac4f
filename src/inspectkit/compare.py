"""Comparing inspections: across years, and across editions through the plugins' crosswalks.

Each inspection is a saved ``rate`` report (or is rated here from its inspection file or case folder). When
every inspection is of one edition, items line up by id. Otherwise they line up on the edition the
crosswalks map onto (the 2020 key questions, say): each line is one item of that edition, and each
inspection's cell is the item of its own edition that corresponds to it, with the relation the crosswalk
gives (``equivalent``, ``narrower``, ``broader``, ``related``). A ``--map`` replaces the crosswalks.

Every cell carries its numerator, denominator, percentage and 95% Wilson interval, and each line says whether
the intervals overlap, so that a change on a handful of cases is not read as a trend. Items that line up
with nothing are listed apart.

Each key gets one line (``level: key``) with one figure per inspection, built from that inspection's closest
items only: the one item, where one is closest (an equivalent, say); else the answers of the equally close
items pooled. A saved report holds each item's numerator and denominator, not its cases, so a pooled figure
counts answers (``basis: answers``), and its interval is taken as if from the items' mean number of cases: a
case answers several pooled items, and those answers may agree, so the answers are not that many separate
cases; the mean is the smallest sample they can stand for. Where an inspection has several items on a key,
every item follows on a line of its own (``level: item``), lined up with the same item of the other
inspections of its edition.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from inspectkit.errors import Location, UsageError, suggestion
from inspectkit.intervals import overlap, rounded, wilson_share

REPORT_KEYS = ("edition", "cases", "items")
IDENTITY = "same"  # the relation of an item to itself (same edition, lined up by id)
KEY, ITEM, UNMAPPED = "key", "item", "unmapped"  # the levels of a line (and of a CSV row)
CASES, ANSWERS = "cases", "answers"  # what a figure counts: cases, or several items' answers pooled


@attrs.frozen
class Inspection:
    """One inspection compared: its report (plain data, as ``rate --format json`` writes it) and a name."""

    name: str
    report: Mapping[str, Any]
    errors: tuple[str, ...] = ()  # met while rating it from its cases (a saved report has none here)

    @property
    def edition(self) -> str:
        return str(self.report.get("edition"))

    @property
    def items(self) -> Mapping[str, Any]:
        return self.report.get("items") or {}

    @property
    def provider(self) -> str | None:
        """The provider the inspection file declares (``provider_name``), if any."""
        value = " ".join(str(self.report.get("provider_name") or "").split())
        return value or None

    @property
    def date(self) -> str | None:
        """When the inspection took place, as the inspection file declares it (``inspection_date``), if at all."""
        value = str(self.report.get("inspection_date") or "").strip()
        return value or None

    def ident(self) -> dict[str, Any]:
        """What names this inspection on every row of a tidy table."""
        return {
            "inspection": self.name,
            "inspection_id": self.report.get("inspection_id"),
            "provider_name": self.provider,
            "inspection_date": self.date,
            "edition": self.edition,
        }

    def header(self) -> dict[str, Any]:
        r = self.report
        return {
            "name": self.name,
            "edition": r.get("edition"),
            "edition_version": r.get("edition_version"),
            "inspection_id": r.get("inspection_id"),
            "provider_name": self.provider,
            "inspection_date": self.date,
            "cases": r.get("cases"),
            "overall": r.get("overall"),
        }


@attrs.frozen
class Cell:
    """One inspection's figure on a line: one item, or several items' answers pooled (``items``)."""

    item_id: str
    relation: str
    numerator: int
    denominator: int
    minimum: int | None = None
    items: tuple[str, ...] = ()  # pooled: the items whose answers are added up
    item_denominators: tuple[int, ...] = ()  # pooled: each item's applicable cases

    @property
    def pooled(self) -> bool:
        return len(self.items) > 1

    @property
    def basis(self) -> str:
        return ANSWERS if self.pooled else CASES

    @property
    def cases(self) -> float:
        """The sample the interval stands on: the cases, or for pooled answers the items' mean number of cases."""
        if not self.pooled:
            return self.denominator
        counted = [d for d in self.item_denominators if d]
        return sum(counted) / len(counted) if counted else 0

    @property
    def percent(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None

    @property
    def interval(self) -> tuple[float | None, float | None]:
        if not self.pooled:
            return rounded(self.numerator, self.denominator)
        bounds = wilson_share(self.numerator / self.denominator, self.cases) if self.denominator else None
        return (None, None) if bounds is None else (round(bounds[0], 1), round(bounds[1], 1))

    @property
    def small_sample(self) -> bool | None:
        return None if self.minimum is None else self.cases < self.minimum

    def to_dict(self) -> dict[str, Any]:
        lower, upper = self.interval
        return {
            "item_id": self.item_id,
            "items": list(self.items) if self.pooled else [self.item_id],
            "relation": self.relation,
            "basis": self.basis,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": self.percent,
            "lower": lower,
            "upper": upper,
            "small_sample": self.small_sample,
        }


def pool(cells: Sequence[Cell], minimum: int | None = None) -> Cell:
    """Several items' answers added up, as one figure (their closest relation is the figure's)."""
    if len(cells) == 1:
        return cells[0]
    ids = tuple(c.item_id for c in cells)
    return Cell(
        " + ".join(ids),
        cells[0].relation,
        sum(c.numerator for c in cells),
        sum(c.denominator for c in cells),
        minimum,
        ids,
        tuple(c.denominator for c in cells),
    )


@attrs.frozen
class Line:
    """One key (an item of the edition compared on) and each inspection's figure for it (or None).

    ``level`` is ``key`` for the key's own line, ``item`` for the line of one contributing item of ``edition``.
    """

    key: str
    title: str
    cells: tuple[Cell | None, ...]
    level: str = KEY
    edition: str | None = None

    @property
    def with_cases(self) -> list[Cell]:
        return [c for c in self.cells if c is not None and c.denominator]

    @property
    def overlap(self) -> bool | None:
        """Whether every inspection's interval shares a point with every other's (None: fewer than two)."""
        cells = self.with_cases
        if len(cells) < 2:
            return None
        return overlap([c.interval for c in cells])  # type: ignore[misc]

    @property
    def change(self) -> float | None:
        """Percentage points from the first inspection with cases to the last, from the exact fractions."""
        cells = self.with_cases
        if len(cells) < 2:
            return None
        a, b = cells[0], cells[-1]
        return round(float(Fraction(100 * b.numerator, b.denominator) - Fraction(100 * a.numerator, a.denominator)), 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "level": self.level,
            "edition": self.edition,
            "title": self.title,
            "sides": [None if c is None else c.to_dict() for c in self.cells],
            "overlap": self.overlap,
            "change_points": self.change,
        }


@attrs.frozen
class Comparison:
    inspections: tuple[Inspection, ...]
    on: str | None  # the edition lined up on (None: by id, every inspection of one edition)
    lines: tuple[Line, ...]
    unmapped: tuple[tuple[int, str, Mapping[str, Any]], ...]  # (inspection index, item id, item)
    ratings: tuple[tuple[str, tuple[str | None, ...]], ...]
    how: str  # "id", "crosswalk" or "map"
    reasons: Mapping[tuple[str, str], str] = attrs.field(factory=dict)  # (edition, item id) -> why it is unmapped

    @property
    def key_lines(self) -> list[Line]:
        return [line for line in self.lines if line.level == KEY]

    def reason(self, index: int, item_id: str) -> str:
        return self.reasons.get((self.inspections[index].edition, item_id), "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "inspections": [i.header() for i in self.inspections],
            "on": self.on,
            "lined_up_by": self.how,
            "items": [line.to_dict() for line in self.lines],
            "unmapped": [
                {
                    "inspection": self.inspections[i].name,
                    "edition": self.inspections[i].edition,
                    "item_id": item_id,
                    "title": item.get("title") or "",
                    "numerator": item.get("numerator"),
                    "denominator": item.get("denominator"),
                    "percent": item.get("percent"),
                    "reason": self.reason(i, item_id),
                }
                for i, item_id, item in self.unmapped
            ],
            "ratings": [{"id": rid, "ratings": list(values)} for rid, values in self.ratings],
        }

    def records(self, hide_unmapped: bool = False) -> list[dict[str, Any]]:
        """One flat record per line and inspection (and per unmapped item): a tidy table.

        ``level`` tells the rows apart: ``key`` (one per key and inspection: each inspection's figure),
        ``item`` (an item that contributes to a key, where an inspection has several) and ``unmapped``.
        """
        out = []
        for line in self.lines:
            for ins, cell in zip(self.inspections, line.cells, strict=True):
                if cell is None:
                    continue
                out.append(
                    {
                        "key": line.key,
                        "level": line.level,
                        "title": line.title,
                        **ins.ident(),
                        **cell.to_dict(),
                        "items": " ".join(cell.to_dict()["items"]),
                        "overlap": line.overlap,
                        "change_points": line.change,
                        "reason": None,
                    }
                )
        if not hide_unmapped:
            for i, item_id, item in self.unmapped:
                n, d = int(item.get("numerator") or 0), int(item.get("denominator") or 0)
                lower, upper = rounded(n, d)
                ins = self.inspections[i]
                out.append(
                    {
                        "key": None,
                        "level": UNMAPPED,
                        "title": item.get("title") or "",
                        **ins.ident(),
                        "item_id": item_id,
                        "items": item_id,
                        "relation": None,
                        "basis": CASES,
                        "numerator": n,
                        "denominator": d,
                        "percent": item.get("percent"),
                        "lower": lower,
                        "upper": upper,
                        "small_sample": None,
                        "overlap": None,
                        "change_points": None,
                        "reason": self.reason(i, item_id) or None,
                    }
                )
        return out


def read_report(path: Path) -> dict[str, Any]:
    """A saved ``rate --format json`` report, checked enough to compare."""
    from inspectkit.files import read_text

    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"not a JSON report: {exc.msg}", Location(str(path), exc.lineno), hint="save one with rate --format json -o FILE"
        ) from exc
    if not isinstance(data, dict) or any(k not in data for k in REPORT_KEYS):
        raise UsageError(
            "not a rate report (it needs edition, cases and items)",
            Location(str(path)),
            hint="save one with rate --format json -o FILE",
        )
    _check_items(data, path)
    return data


def _check_items(data: dict[str, Any], path: Path) -> None:
    """Every item a count compare can use: whole numbers, 0 <= numerator <= denominator."""
    items = data.get("items")
    if not isinstance(data.get("edition"), str) or not isinstance(items, dict):
        raise UsageError("not a rate report: edition is text and items maps ids to counts", Location(str(path)))
    for item_id, item in items.items():
        n = item.get("numerator") if isinstance(item, dict) else None
        d = item.get("denominator") if isinstance(item, dict) else None
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (n, d)) or not 0 <= n <= d:  # type: ignore[operator]
            raise UsageError(
                f"item {item_id}: needs whole numbers 0 <= numerator <= denominator, not {n!r}/{d!r}",
                Location(str(path), None, None),
                hint="a report as rate --format json writes it",
            )


# -------------------------------------------------------------------------------------------- lining up


@attrs.frozen
class Target:
    """Where an inspection's item goes: onto ``key``, with ``relation``."""

    key: str
    relation: str


def read_map(data: Any, inspections: Sequence[Inspection], source: str) -> tuple[str | None, dict[str, dict[str, list[Target]]]]:
    """A ``--map`` file: (the edition it maps onto, edition -> item id -> targets).

    Two forms: ``{FIRST_ID: SECOND_ID}`` (two inspections: the first's ids onto the second's), or keyed by
    edition, ``{to: EDITION, EDITION: {ID: TARGET or {to: TARGET, relation: R}}}``.
    """
    if not isinstance(data, dict):
        raise UsageError(
            "a map is a mapping: {EDITION: {ID: TARGET}} (or, for two reports, {FIRST_ID: SECOND_ID})", Location(source)
        )
    editions = {i.edition for i in inspections}
    keyed = all(str(k) in editions or k == "to" for k in data) and any(isinstance(v, dict) for v in data.values())
    if not keyed:
        if len(inspections) != 2:
            raise UsageError(
                "a map of plain ids (FIRST: SECOND) lines up two reports; for more, key it by edition", Location(source)
            )
        first, second = inspections
        flat = {first.edition: {str(k): v for k, v in data.items()}}
        return second.edition, {e: _targets(rows, source) for e, rows in flat.items()}
    on = data.get("to")
    out = {str(e): _targets(rows, source) for e, rows in data.items() if e != "to"}
    return (None if on is None else str(on)), out


def _targets(rows: Any, source: str) -> dict[str, list[Target]]:
    if not isinstance(rows, dict):
        raise UsageError("each edition maps item ids to targets ({ID: TARGET})", Location(source))
    out: dict[str, list[Target]] = {}
    for k, v in rows.items():
        if isinstance(v, dict):
            relation = str(v.get("relation") or "related")
            out[str(k)] = [Target(str(v.get("to")), relation)]
        elif isinstance(v, list):
            out[str(k)] = [Target(str(t), "related") for t in v]
        else:
            out[str(k)] = [Target(str(v), "equivalent")]
    return out


def _crosswalk_targets(
    registry: Any, inspections: Sequence[Inspection]
) -> tuple[str | None, dict[str, dict[str, list[Target]]], dict[tuple[str, str], str]]:
    """The crosswalks of the inspections' editions, the one edition they all map onto, and why items are unmapped."""
    editions = list(dict.fromkeys(i.edition for i in inspections))
    walks = {c.from_edition: c for c in registry.crosswalks() if c.from_edition in editions} if registry is not None else {}
    ons = {c.to_edition for c in walks.values()}
    if len(ons) > 1:
        raise UsageError(f"the crosswalks of these editions map onto different editions ({', '.join(sorted(ons))}): give --map")
    on = next(iter(ons), None)
    out: dict[str, dict[str, list[Target]]] = {}
    reasons: dict[tuple[str, str], str] = {}
    for edition, walk in walks.items():
        table: dict[str, list[Target]] = {}
        for row in walk.rows:
            table.setdefault(row.from_id, [])
        for from_id in table:
            table[from_id] = [Target(r.to_id, r.relation) for r in walk.targets(from_id)]
        out[edition] = table
        reasons.update({(edition, u.id): u.reason for u in walk.unmapped})
    return on, out, reasons


def compare(
    inspections: Sequence[Inspection],
    registry: Any = None,
    mapping: Mapping[str, Any] | None = None,
    map_source: str = "--map",
) -> Comparison:
    """Line inspections up: by id (one edition), through the crosswalks, or through ``mapping`` (a --map file's data)."""
    if len(inspections) < 2:
        raise UsageError("compare needs at least two inspections")
    editions = list(dict.fromkeys(i.edition for i in inspections))
    reasons: dict[tuple[str, str], str] = {}
    if mapping is not None:
        how = "map"
        on, tables = read_map(mapping, inspections, map_source)
        on = on or inspections[-1].edition
        _check_map(tables, inspections, on, registry, map_source)
    elif len(editions) == 1:
        how, on, tables = "id", None, {}
    else:
        how = "crosswalk"
        on, tables, reasons = _crosswalk_targets(registry, inspections)
        if on is None:
            raise UsageError(
                f"no crosswalk lines up {', '.join(editions)}: give --map FILE ({{EDITION: {{ID: TARGET}}}})",
            )
    lines, unmapped = _lines(inspections, on, tables, registry)
    ratings = _ratings(inspections)
    return Comparison(tuple(inspections), on, tuple(lines), tuple(unmapped), ratings, how, reasons)


def _check_map(
    tables: dict[str, dict[str, list[Target]]], inspections: Sequence[Inspection], on: str, registry: Any, source: str
) -> None:
    """Every id a map names exists: on the side it maps from and on the side it maps onto."""
    by_edition: dict[str, set[str]] = {}
    for ins in inspections:
        by_edition.setdefault(ins.edition, set()).update(ins.items)
    targets = set(by_edition.get(on, set()))
    if registry is not None and on in getattr(registry, "entries", {}):
        from inspectkit.crosswalk import report_items

        targets |= set(report_items(registry, on))
    problems = []
    for edition, table in tables.items():
        if edition not in by_edition:
            problems.append(f"{edition}: no inspection compared is of this edition (editions: {', '.join(by_edition)})")
            continue
        for item_id, ts in table.items():
            if item_id not in by_edition[edition]:
                hint = suggestion(item_id, by_edition[edition])
                problems.append(f"{item_id}: no such item in the {edition} report(s)" + (f"; {hint}" if hint else ""))
            for t in ts:
                if t.key not in targets:
                    hint = suggestion(t.key, targets)
                    problems.append(f"{item_id} -> {t.key}: no such item in {on}" + (f"; {hint}" if hint else ""))
                from inspectkit.crosswalk import RELATIONS

                if t.relation not in RELATIONS:
                    problems.append(f"{item_id} -> {t.key}: relation {t.relation!r} is not one of {', '.join(RELATIONS)}")
    if problems:
        raise UsageError("the map names what does not exist:\n" + "\n".join(f"  {p}" for p in problems), Location(source))


def _lines(
    inspections: Sequence[Inspection], on: str | None, tables: dict[str, dict[str, list[Target]]], registry: Any
) -> tuple[list[Line], list[tuple[int, str, Mapping[str, Any]]]]:
    """Lines in the order of the edition lined up on (its report order), then anything else met: each key's
    line, then a line per item of each edition that has several items on it."""
    placed: dict[str, list[list[Cell]]] = {}  # key -> per inspection, its items' cells
    titles: dict[str, str] = {}
    item_titles: dict[tuple[str, str], str] = {}
    order: list[str] = []
    if on is not None and registry is not None and on in getattr(registry, "entries", {}):
        from inspectkit.crosswalk import report_items

        for key, tally in report_items(registry, on).items():
            order.append(key)
            titles[key] = tally.title
    unmapped: list[tuple[int, str, Mapping[str, Any]]] = []
    n = len(inspections)
    for index, ins in enumerate(inspections):
        minimum = ins.report.get("minimum_cases")
        table = tables.get(ins.edition)
        for item_id, item in ins.items.items():
            if on is None or ins.edition == on and (table is None or item_id not in table):
                targets = [Target(item_id, IDENTITY)]
            elif table is not None and item_id in table:
                targets = table[item_id]
            else:
                unmapped.append((index, item_id, item))
                continue
            item_titles[(ins.edition, item_id)] = str(item.get("title") or "")
            for t in targets:
                if t.key not in placed:
                    placed[t.key] = [[] for _ in range(n)]
                    if t.key not in titles:
                        titles[t.key] = item.get("title") or "" if ins.edition == on or on is None else ""
                        order.append(t.key)
                cell = Cell(item_id, t.relation, int(item.get("numerator") or 0), int(item.get("denominator") or 0), minimum)
                placed[t.key][index].append(cell)
    lines: list[Line] = []
    for key in dict.fromkeys(order):
        if key not in placed:
            continue
        per = [sorted(cells, key=lambda c: _rank(c.relation)) for cells in placed[key]]
        figures = tuple(_figure(cells, ins.report.get("minimum_cases")) for cells, ins in zip(per, inspections, strict=True))
        lines.append(Line(key, titles.get(key, ""), figures))
        if all(len(cells) <= 1 for cells in per):
            continue
        # the items of every edition with several on this key (an edition with one is its key line's figure)
        several = {inspections[index].edition for index, cells in enumerate(per) if len(cells) > 1}
        by_item: dict[tuple[str, str], list[Cell | None]] = {}
        for index, cells in enumerate(per):
            if inspections[index].edition not in several:
                continue
            for cell in cells:
                by_item.setdefault((inspections[index].edition, cell.item_id), [None] * n)[index] = cell
        for (edition, item_id), item_cells in by_item.items():
            lines.append(Line(key, item_titles.get((edition, item_id), ""), tuple(item_cells), ITEM, edition))
    return lines, unmapped


def _rank(relation: str) -> int:
    from inspectkit.crosswalk import RELATIONS

    order = (IDENTITY, *RELATIONS)
    return order.index(relation) if relation in order else len(order)


def _figure(cells: list[Cell], minimum: int | None) -> Cell | None:
    """An inspection's figure for a key: its closest item, or the closest items' answers pooled."""
    if not cells:
        return None
    candidates = [c for c in cells if c.denominator] or cells
    closest = min(_rank(c.relation) for c in candidates)
    return pool([c for c in candidates if _rank(c.relation) == closest], minimum)


def _ratings(inspections: Sequence[Inspection]) -> tuple[tuple[str, tuple[str | None, ...]], ...]:
    ids: list[str] = []
    for ins in inspections:
        ids.extend(str(k) for k in (ins.report.get("ratings") or {}))
    return tuple((rid, tuple((ins.report.get("ratings") or {}).get(rid) for ins in inspections)) for rid in dict.fromkeys(ids))
