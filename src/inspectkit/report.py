"""``inspectkit report``: one self-contained HTML file for one or more inspections.

For each inspection: its ratings (where the edition rates), and per standard (or section) a bar chart of its
items with their 95% intervals. For two or more: the comparison side by side (as ``compare`` lines them
up). For inspections of one provider (the ``provider_name`` each inspection file declares, or failing that ids
that differ only by a year): a trend of every key across them, in date order (``inspection_date``), lined up
as ``compare`` lines them up, so a provider's 2013, 2017 and 2020 inspections make one trend. Charts are inline SVG, styles inline, and there is no
script and no link to anything outside the file, so it opens offline, with scripts off, and prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs

from inspectkit.charts import PALETTE, Bar, bar_chart, trend_chart

_YEAR = re.compile(r"[-_ /]*(19|20)\d\d(-\d\d)?$")


@attrs.frozen
class Group:
    id: str
    title: str
    chart: Any
    proportions: bool = False
    note: str = ""

    @property
    def heading(self) -> str:
        """The id shown before the title: none for the proportions, or for a group of a level's scores."""
        return "" if self.proportions or self.id.endswith(":") else self.id


def provider_of(inspection_id: str | None) -> str | None:
    """The provider an inspection id names: the id without a trailing year (``NPS-North-2020`` -> ``NPS-North``)."""
    if not inspection_id:
        return None
    name = _YEAR.sub("", inspection_id).strip()
    return name if name and name != inspection_id else None


def _bar(
    item_id: str, item: dict[str, Any], minimum: int | None, series: int = 0, label: str | None = None, note: str = ""
) -> Bar:
    from inspectkit.intervals import rounded

    n, d = int(item.get("numerator") or 0), int(item.get("denominator") or 0)
    lower, upper = rounded(n, d)
    return Bar(
        label=label or item_id,
        percent=round(100 * n / d, 1) if d else None,
        lower=lower,
        upper=upper,
        numerator=n,
        denominator=d,
        title=str(item.get("title") or ""),
        small=bool(minimum is not None and d and d < minimum),
        series=series,
        note=note,
    )


def _groups(registry: Any, report: dict[str, Any]) -> list[Group]:
    """The report's items grouped by the heading above them in the edition (standard, section, view)."""
    fw = None
    if registry is not None and report.get("edition") in getattr(registry, "entries", {}):
        fw = registry.framework(report["edition"])
    bands: list[tuple[float, str]] = []
    ratings = fw.scoring.ratings if fw is not None else None
    if ratings is not None:
        bands = [(float(b.minimum), b.rating.replace("_", " ")) for b in ratings.bands if b.minimum > 0]
    minimum = report.get("minimum_cases")
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    titles: dict[str, str] = {}
    neutral: list[tuple[str, dict[str, Any]]] = []
    for item_id, item in (report.get("items") or {}).items():
        if item.get("direction") == "neutral":
            neutral.append((item_id, item))
            continue
        node = fw.items.get(item_id) if fw is not None else None
        parent = node.parent if node is not None and node.parent else None
        level = item_id.partition(":")[0] if ":" in item_id else None
        if parent is None and fw is not None and level in fw.levels:
            # a score named for a level (``LEVEL:ID``, one per item of that level): grouped as that level
            parent = f"{level}:"
            titles.setdefault(parent, fw.level_name(level, plural=True).capitalize())
        if parent is None:
            parent = item_id.rsplit(".", 1)[0] if "." in item_id and ":" not in item_id else "other"
        groups.setdefault(parent, []).append((item_id, item))
        if parent not in titles:
            head = fw.items.get(parent) if fw is not None else None
            titles[parent] = (head.title or head.text) if head is not None else ("Other items" if parent == "other" else "")
    out = []
    band_note = ""
    if bands:
        band_note = "Dashed lines: the rating bands (" + ", ".join(f"{name} from {m:g}%" for m, name in bands) + ")."
    for gid, items in groups.items():
        bars = [_bar(i, it, minimum) for i, it in items]
        caption = f"{'' if gid.endswith(':') else gid} {titles[gid]}".strip()
        if all(b.percent is None for b in bars):
            out.append(Group(gid, titles[gid], None, note="No applicable cases: " + ", ".join(b.label for b in bars) + "."))
            continue
        out.append(Group(gid, titles[gid], bar_chart(bars, bands, caption, label_width=80, text_width=200), note=band_note))
    if neutral:
        bars = [_bar(i, it, minimum) for i, it in neutral]
        chart = bar_chart(bars, (), "proportions", label_width=80, text_width=200)
        out.append(Group("proportions", "Proportions (facts and filters: no answer is favourable)", chart, True))
    return out


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell_bar(cell: Any, label: str, title: str, series: int) -> Bar:
    """A bar for one inspection's figure on a comparison line (one item, or several items' answers pooled)."""
    lower, upper = cell.interval
    if cell.pooled:
        note = f"{len(cell.items)} items' answers pooled ({cell.relation})"
    else:
        note = "" if cell.relation == "same" else f"{cell.item_id} ({cell.relation})"
    unit = "answers" if cell.pooled else ""
    return Bar(
        label, cell.percent, lower, upper, cell.numerator, cell.denominator, title, bool(cell.small_sample), series, note, unit
    )


def _compare_groups(comparison: Any, registry: Any) -> list[Group]:
    """The comparison as grouped bars, one chart per heading (standard): for each key, a bar per inspection,
    each inspection's figure for the key (its closest item, or its closest items' answers pooled)."""
    edition = comparison.on or comparison.inspections[0].edition
    fw = registry.framework(edition) if registry is not None and edition in getattr(registry, "entries", {}) else None
    by_head: dict[str, list[Bar]] = {}
    titles: dict[str, str] = {}
    for line in comparison.key_lines:
        if not line.with_cases:
            continue
        node = fw.items.get(line.key) if fw is not None else None
        head = node.parent if node is not None and node.parent else (line.key.rsplit(".", 1)[0] if "." in line.key else "other")
        if head not in titles:
            head_node = fw.items.get(head) if fw is not None else None
            titles[head] = (head_node.title or head_node.text) if head_node is not None else ""
        bars = by_head.setdefault(head, [])
        for index, cell in enumerate(line.cells):
            if cell is not None:
                name = _short(comparison.inspections[index].name, 24)
                bars.append(_cell_bar(cell, f"{line.key} · {name}", line.title, index))
    return [
        Group(head, titles[head], bar_chart(bars, (), f"{head} side by side", label_width=210, text_width=280))
        for head, bars in by_head.items()
    ]


@attrs.frozen
class Trend:
    """Inspections of one provider, in order, and how they were found and ordered (said on the page)."""

    provider: str
    declared: bool  # True: every inspection declares this provider_name; False: guessed from the inspection ids
    inspections: tuple[Any, ...]
    by_date: bool  # ordered by inspection_date (else in the order given)
    notes: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        return [_point_label(ins) for ins in self.inspections]

    @property
    def axis(self) -> list[str]:
        """What a chart's axis shows under each point: the dates where they order it, else the ids."""
        return [str(ins.date) for ins in self.inspections] if self.by_date else self.labels


def _point_label(ins: Any) -> str:
    ident = str(ins.report.get("inspection_id") or ins.name)
    return f"{ins.date} {ident}" if ins.date and ins.date not in ident else ident


def trends(inspections: Sequence[Any]) -> tuple[list[Trend], list[str]]:
    """The inspections grouped by provider, each group in date order: the trends, and notes on what was not grouped.

    The provider is the one the inspection file declares (``provider_name``, carried into the rate report). An
    inspection that declares none is grouped by its id without a trailing year (``NPS-North-2019``), a guess the
    page says it made. A group is ordered by ``inspection_date`` where every inspection in it declares one,
    else in the order given.
    """
    groups: dict[tuple[bool, str], list[Any]] = {}
    names: dict[tuple[bool, str], str] = {}
    undeclared = []
    for ins in inspections:
        if ins.provider is not None:
            key = (True, ins.provider.casefold())
            names.setdefault(key, ins.provider)
        else:
            undeclared.append(ins)
            guess = provider_of(ins.report.get("inspection_id"))
            if guess is None:
                continue
            key = (False, guess.casefold())
            names.setdefault(key, guess)
        groups.setdefault(key, []).append(ins)
    out = []
    for key, group in groups.items():
        if len(group) < 2:
            continue
        declared, notes = key[0], []
        dated = all(ins.date for ins in group)
        if dated:
            group = sorted(group, key=lambda ins: ins.date)  # ISO dates: text order is time order
        else:
            missing = ", ".join(ins.name for ins in group if not ins.date)
            notes.append(f"In the order given: {missing} declare(s) no inspection_date.")
        if not declared:
            notes.append(
                "Grouped by inspection ids that differ only by a year, as no inspection file declares a provider_name;"
                " declare it (and inspection_date) to group and order them for certain."
            )
        out.append(Trend(names[key], declared, tuple(group), dated, tuple(notes)))
    left = []
    if len(inspections) > 1 and not out:
        left.append(
            "No trend: no two inspections are of one provider"
            + (
                " (each inspection file can declare provider_name and inspection_date)."
                if undeclared
                else f" ({', '.join(sorted({str(i.provider) for i in inspections}))})."
            )
        )
    return out, left


def _trend_charts(trend: Trend, registry: Any) -> dict[str, Any]:
    """A small chart per key across one provider's inspections, lined up as compare lines them up."""
    from inspectkit.compare import compare
    from inspectkit.errors import InspectkitError

    base = {"trend": trend, "provider": trend.provider, "labels": trend.labels, "charts": [], "error": None}
    try:
        comparison = compare(trend.inspections, registry)
    except InspectkitError as exc:
        return {**base, "error": exc.message}
    charts = []
    for line in comparison.key_lines:
        if not line.with_cases:
            continue
        points = [
            Bar(line.key, None, note="no item") if cell is None else _cell_bar(cell, line.key, line.title, 0)
            for cell in line.cells
        ]
        caption = f"{line.key} across {trend.provider}"
        chart = trend_chart(trend.labels, points, caption, axis=trend.axis)
        charts.append({"id": line.key, "title": line.title, "chart": chart})
    return {**base, "charts": charts, "how": comparison.how, "on": comparison.on}


def render(inspections: Sequence[Any], registry: Any = None, title: str | None = None) -> str:
    """The HTML text of a report on ``inspections`` (compare's ``Inspection`` objects)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from inspectkit import __version__

    comparison = None
    compare_error = None
    if len(inspections) > 1:
        from inspectkit.compare import compare
        from inspectkit.errors import InspectkitError

        try:
            comparison = compare(inspections, registry)
        except InspectkitError as exc:
            compare_error = exc.message
    found_trends, trend_notes = trends(inspections)
    env = Environment(loader=PackageLoader("inspectkit", "templates"), autoescape=select_autoescape(default=True))
    env.filters["word"] = lambda code: "-" if code is None else str(code).replace("_", " ").capitalize()
    sections = []
    for index, ins in enumerate(inspections):
        r = ins.report
        fw_title = ""
        if registry is not None and ins.edition in getattr(registry, "entries", {}):
            fw_title = registry.framework(ins.edition).title
        sections.append(
            {
                "index": index,
                "name": ins.name,
                "report": r,
                "edition_title": fw_title,
                "ratings": r.get("rating_details") or {},
                "groups": _groups(registry, dict(r)),
                "colour": PALETTE[index % len(PALETTE)],
            }
        )
    template = env.get_template("report.html.j2")
    return template.render(
        title=title or ("Inspection report: " + ", ".join(i.name for i in inspections)),
        sections=sections,
        comparison=comparison,
        compare_groups=_compare_groups(comparison, registry) if comparison is not None else [],
        compare_error=compare_error,
        trends=[_trend_charts(trend, registry) for trend in found_trends],
        trend_notes=trend_notes,
        version=__version__,
        palette=PALETTE,
    )
