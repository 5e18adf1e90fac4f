"""Crosswalks: how one edition's aggregated items correspond to another edition's, as reviewed data.

An older methodology asked its own questions, numbered its own way; an analyst comparing a 2013, a 2017 and a
2020 inspection needs to know which of the old items speak to which of the new key questions, and how
closely. A plugin says so in a crosswalk file, one row per correspondence with its reason:

.. code-block:: yaml

    schema: 1
    kind: crosswalk
    from: my_edition_2017
    to: my_edition_2020
    rows:
      - {from: Q4, to: "2.2.2", relation: narrower, reason: Planning for the factors linked to offending only.}
    unmapped:                  # optional: items that correspond to nothing, each with the reason
      - {id: Q9, reason: An outcome for the person; no key question judges outcomes.}

``relation`` says how the *from* item stands to the *to* item: ``equivalent`` (the same question),
``narrower`` (a part of what the *to* item covers), ``broader`` (more than it covers) or ``related`` (the
same ground, measured differently). ``check`` refuses unknown ids on either side, a relation outside these
four, a row without a reason, a pair listed twice, an item equivalent to one item and mapped to another, two
items equivalent to the same one, a row that contradicts the items' own ``feeds``, and an item listed as
unmapped that is not an item, has no reason, or is mapped after all. ``compare`` shows an unmapped item's reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from inspectkit.errors import DefinitionError, DefinitionErrors, InspectkitError, Location, suggestion

RELATIONS = ("equivalent", "narrower", "broader", "related")
KEYS = ("schema", "kind", "from", "to", "source", "notes", "rows", "unmapped")
ROW_KEYS = ("from", "to", "relation", "reason")
UNMAPPED_KEYS = ("id", "reason")


@attrs.frozen
class Correspondence:
    """One row: ``from_id`` (of the crosswalk's from edition) corresponds to ``to_id``, and how."""

    from_id: str
    to_id: str
    relation: str
    reason: str
    line: int | None = None


@attrs.frozen
class Unmapped:
    """An item of the from edition that corresponds to nothing, and why (reviewed like a row)."""

    id: str
    reason: str
    line: int | None = None


@attrs.frozen
class Crosswalk:
    from_edition: str
    to_edition: str
    rows: tuple[Correspondence, ...]
    path: str
    plugin: str = ""
    source: str = ""
    unmapped: tuple[Unmapped, ...] = ()

    def reason_unmapped(self, item_id: str) -> str:
        """Why an item is listed as corresponding to nothing ("" where it is not listed)."""
        return next((u.reason for u in self.unmapped if u.id == item_id), "")

    def targets(self, from_id: str) -> list[Correspondence]:
        """The rows for one item, closest first (equivalent, narrower, broader, related), then in file order."""
        rows = [r for r in self.rows if r.from_id == from_id]
        return sorted(rows, key=lambda r: RELATIONS.index(r.relation) if r.relation in RELATIONS else len(RELATIONS))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def read_crosswalk(path: Path, plugin: str = "") -> tuple[Crosswalk | None, list[DefinitionError]]:
    """Read a crosswalk file: the crosswalk (None if its shape is wrong) and every problem of shape found."""
    from inspectkit.files import read_raw

    path = Path(path)
    problems: list[DefinitionError] = []

    def problem(message: str, line: int | None = None, item: str | None = None, hint: str | None = None) -> None:
        problems.append(DefinitionError(message, Location(str(path), line, item), hint))

    try:
        data = read_raw(path)
    except DefinitionErrors as exc:
        return None, list(exc.errors)
    except InspectkitError as exc:
        return None, [DefinitionError(exc.message, exc.location, exc.hint)]
    if not isinstance(data, dict):
        problem("a crosswalk is a mapping: schema, kind, from, to, rows")
        return None, problems
    line_of = getattr(data, "line_of", lambda key: None)
    for key in data:
        if key not in KEYS:
            hint = suggestion(str(key), KEYS)
            problem(f"unknown key {key!r}" + (f"; {hint}" if hint else ""), line_of(key))
    if data.get("kind", "crosswalk") != "crosswalk":
        problem(f"kind must be 'crosswalk', not {data.get('kind')!r}", line_of("kind"))
    from_edition, to_edition = _text(data.get("from")), _text(data.get("to"))
    if not from_edition or not to_edition:
        problem("a crosswalk names the edition it maps from and the one it maps to (from: ..., to: ...)")
    rows: list[Correspondence] = []
    raw_rows = data.get("rows") or []
    if not isinstance(raw_rows, list):
        problem("rows is a list of {from, to, relation, reason}", line_of("rows"))
        raw_rows = []
    for raw in raw_rows:
        line = getattr(raw, "line", None)
        if not isinstance(raw, dict):
            problem("each row is {from: ID, to: ID, relation: ..., reason: ...}", line)
            continue
        for key in raw:
            if key not in ROW_KEYS:
                hint = suggestion(str(key), ROW_KEYS)
                problem(f"unknown key {key!r} in a row" + (f"; {hint}" if hint else ""), line)
        fid, tid = _text(raw.get("from")), _text(raw.get("to"))
        relation, reason = _text(raw.get("relation")), _text(raw.get("reason"))
        if not fid or not tid:
            problem('a row needs from and to (quote ids that look like numbers: to: "2.1.1")', line)
            continue
        if relation not in RELATIONS:
            hint = suggestion(relation, RELATIONS)
            problem(
                f"{fid} -> {tid}: relation {relation or '(none)'!r} is not one of {', '.join(RELATIONS)}"
                + (f"; {hint}" if hint else ""),
                line,
                fid,
            )
            continue
        if not reason:
            problem(f"{fid} -> {tid}: every row says why (reason: one line a reviewer can check)", line, fid)
        rows.append(Correspondence(fid, tid, relation, reason, line))
    unmapped = _read_unmapped(data.get("unmapped"), line_of("unmapped"), problem)
    if not from_edition or not to_edition:
        return None, problems
    source = _text(data.get("source"))
    return Crosswalk(from_edition, to_edition, tuple(rows), str(path), plugin, source, unmapped), problems


def _read_unmapped(raw: Any, line: int | None, problem: Any) -> tuple[Unmapped, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problem("unmapped is a list of {id, reason}", line)
        return ()
    out = []
    for entry in raw:
        at = getattr(entry, "line", line)
        if not isinstance(entry, dict):
            problem("each unmapped entry is {id: ID, reason: ...}", at)
            continue
        for key in entry:
            if key not in UNMAPPED_KEYS:
                hint = suggestion(str(key), UNMAPPED_KEYS)
                problem(f"unknown key {key!r} in an unmapped entry" + (f"; {hint}" if hint else ""), at)
        ident, reason = _text(entry.get("id")), _text(entry.get("reason"))
        if not ident:
            problem('an unmapped entry needs its id (quote ids that look like numbers: id: "2.1")', at)
            continue
        if not reason:
            problem(f"{ident}: every unmapped item says why (reason: one line a reviewer can check)", at, ident)
        out.append(Unmapped(ident, reason, at))
    return tuple(out)


def load_crosswalk(path: Path, plugin: str = "") -> Crosswalk:
    """A crosswalk file read, or DefinitionErrors naming every problem of shape."""
    crosswalk, problems = read_crosswalk(path, plugin)
    if problems or crosswalk is None:
        raise DefinitionErrors(problems or [DefinitionError("not a crosswalk", Location(str(path)))])
    return crosswalk


def report_items(registry: Any, edition: str) -> dict[str, Any]:
    """The items a ``rate`` report of ``edition`` holds (id -> tally, with its title and direction)."""
    from inspectkit.aggregate import Rater

    return dict(Rater(registry, edition).report.items)


def check_crosswalk(crosswalk: Crosswalk, registry: Any) -> list[DefinitionError]:
    """Every problem with a crosswalk's content: ids on either side, relations that conflict, feeds contradicted."""
    problems: list[DefinitionError] = []

    def problem(message: str, row: Correspondence | None = None, hint: str | None = None) -> None:
        item = row.from_id if row is not None and not message.startswith(row.from_id) else None
        problems.append(DefinitionError(message, Location(crosswalk.path, row.line if row else None, item), hint))

    sides: dict[str, dict[str, Any]] = {}
    for edition in (crosswalk.from_edition, crosswalk.to_edition):
        if edition not in registry.entries:
            hint = suggestion(edition, list(registry.entries))
            problem(f"no edition {edition!r} is installed" + (f"; {hint}" if hint else ""))
            continue
        sides[edition] = report_items(registry, edition)
    if len(sides) < 2:
        return problems
    from_items, to_items = sides[crosswalk.from_edition], sides[crosswalk.to_edition]
    seen: dict[tuple[str, str], Correspondence] = {}
    known: list[Correspondence] = []
    for row in crosswalk.rows:
        ok = True
        for ident, items, edition in (
            (row.from_id, from_items, crosswalk.from_edition),
            (row.to_id, to_items, crosswalk.to_edition),
        ):
            if ident not in items:
                hint = suggestion(ident, list(items))
                problem(f"{ident}: not an item a {edition} rate report holds" + (f"; {hint}" if hint else ""), row)
                ok = False
        if not ok:
            continue
        known.append(row)
        if getattr(from_items[row.from_id], "neutral", False):
            problem(
                f"{row.from_id} is a proportion (direction: none), not a measure of sufficiency: it cannot stand for {row.to_id}",
                row,
            )
        earlier = seen.get((row.from_id, row.to_id))
        if earlier is not None:
            what = (
                "listed twice"
                if earlier.relation == row.relation
                else f"conflicting relations ({earlier.relation}, line {earlier.line}; {row.relation})"
            )
            problem(f"{row.from_id} -> {row.to_id}: {what}", row)
        seen[(row.from_id, row.to_id)] = row
    _conflicts(known, problem)
    _against_feeds(crosswalk, known, registry, problem)
    _check_unmapped(crosswalk, from_items, problems)
    return problems


def _check_unmapped(crosswalk: Crosswalk, from_items: dict[str, Any], problems: list[DefinitionError]) -> None:
    """An item listed as unmapped exists, is listed once, and has no row."""
    mapped = {r.from_id: r for r in crosswalk.rows}
    seen: dict[str, Unmapped] = {}
    for entry in crosswalk.unmapped:

        def problem(message: str, hint: str | None = None, entry: Unmapped = entry) -> None:
            item = None if message.startswith(entry.id) else entry.id
            problems.append(DefinitionError(message, Location(crosswalk.path, entry.line, item), hint))

        if entry.id not in from_items:
            hint = suggestion(entry.id, list(from_items))
            problem(f"{entry.id}: not an item a {crosswalk.from_edition} rate report holds" + (f"; {hint}" if hint else ""))
        elif entry.id in mapped:
            row = mapped[entry.id]
            problem(f"{entry.id} is listed as unmapped, yet a row maps it to {row.to_id} (line {row.line}): keep one")
        if entry.id in seen:
            problem(f"{entry.id} is listed as unmapped twice (line {seen[entry.id].line})")
        seen[entry.id] = entry


def _conflicts(rows: list[Correspondence], problem: Any) -> None:
    by_from: dict[str, list[Correspondence]] = {}
    by_to: dict[str, list[Correspondence]] = {}
    for row in rows:
        by_from.setdefault(row.from_id, []).append(row)
        by_to.setdefault(row.to_id, []).append(row)
    for fid, rows in by_from.items():
        targets = {r.to_id for r in rows}
        equivalent = [r for r in rows if r.relation == "equivalent"]
        if equivalent and len(targets) > 1:
            problem(
                f"{fid} is equivalent to {equivalent[0].to_id} but also mapped to {', '.join(sorted(targets - {equivalent[0].to_id}))}:"
                " an item equivalent to one item cannot stand for another (make them narrower or related)",
                equivalent[0],
            )
    for tid, rows in by_to.items():
        equivalent = sorted({r.from_id for r in rows if r.relation == "equivalent"})
        if len(equivalent) > 1:
            problem(
                f"{', '.join(equivalent)} are all equivalent to {tid}: at most one item is (the others are narrower or related)",
                next(r for r in rows if r.relation == "equivalent" and r.from_id == equivalent[1]),
            )


def _against_feeds(crosswalk: Crosswalk, rows: list[Correspondence], registry: Any, problem: Any) -> None:
    """An item that feeds a key question (its cases count for it) corresponds to that one, and not to another."""
    fw = registry.framework(crosswalk.from_edition)
    for row in rows:
        item = fw.items.get(row.from_id)
        if item is None:
            continue
        fed = [f.rpartition(":")[2] for f in item.feeds if f.rpartition(":")[0] == crosswalk.to_edition]
        if fed and row.to_id not in fed:
            problem(f"{row.from_id} feeds {', '.join(fed)} (its cases count there), yet this row maps it to {row.to_id}", row)
        elif fed and row.relation != "equivalent":
            problem(f"{row.from_id} feeds {row.to_id} (its cases count there), so it is equivalent, not {row.relation}", row)


def crosswalks_from(registry: Any, edition: str) -> list[Crosswalk]:
    return [c for c in registry.crosswalks() if c.from_edition == edition]


def check_crosswalks_of(registry: Any, edition: str) -> list[DefinitionError]:
    """Every problem in the crosswalks registered from ``edition`` (shape and content), for ``check``."""
    problems: list[DefinitionError] = []
    for plugin, path in registry.crosswalk_paths:
        crosswalk, shape = read_crosswalk(path, plugin)
        if crosswalk is not None and crosswalk.from_edition != edition:
            continue
        problems.extend(shape)
        if crosswalk is not None:
            problems.extend(check_crosswalk(crosswalk, registry))
    return problems
