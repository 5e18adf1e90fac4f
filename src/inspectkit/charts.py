"""Charts as inline SVG: percentages as bars with their 95% intervals, and trends across inspections.

Small functions that return SVG markup (escaped text, nothing fetched, no script), so a report is one file
that a browser shows with scripts off and that prints. Each bar carries its numbers as data attributes
(``data-numerator`` ...), so a test can read them back from the rendered page.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from markupsafe import Markup, escape

PALETTE = ("#1f5a96", "#c4661f", "#3c8c4a", "#8a4f9e", "#b03a48", "#5b6b7a")
SMALL = "#9aa7b4"  # bars below the edition's minimum number of cases


@attrs.frozen
class Bar:
    """One percentage to draw: its label, numbers and interval (percent None: no applicable cases)."""

    label: str
    percent: float | None
    lower: float | None = None
    upper: float | None = None
    numerator: int = 0
    denominator: int = 0
    title: str = ""
    small: bool = False
    series: int = 0  # which inspection (colour) in a grouped chart
    note: str = ""
    unit: str = ""  # what the numerator and denominator count, where it is not cases ("answers": items pooled)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def bar_chart(
    bars: Sequence[Bar],
    bands: Sequence[tuple[float, str]] = (),
    caption: str = "",
    width: int = 760,
    label_width: int = 150,
    text_width: int = 190,
    row: int = 22,
) -> Markup:
    """Horizontal bars, 0-100%, each with a whisker from its interval's lower to upper bound.

    ``bands`` draws a dashed line at each rating band's minimum (``(65, "good")``).
    """
    plot = width - label_width - text_width
    top, bottom = 8 + (14 if bands else 0), 22
    height = top + row * len(bars) + bottom
    x = lambda p: label_width + plot * max(0.0, min(100.0, p)) / 100  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" aria-label="{escape(caption or "percentages with 95% intervals")}">'
    ]
    if caption:
        parts.append(f"<title>{escape(caption)}</title>")
    for tick in (0, 25, 50, 75, 100):
        tx = x(tick)
        parts.append(
            f'<line class="grid" x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - bottom + 2}" stroke="#e3e7eb"/>'
        )
        parts.append(
            f'<text class="tick" x="{tx:.1f}" y="{height - 6}" font-size="10" text-anchor="middle" fill="#5b6b7a">{tick}%</text>'
        )
    for minimum, name in bands:  # named in the figure's caption; here a dashed line with its number
        bx = x(float(minimum))
        parts.append(
            f'<line class="band" x1="{bx:.1f}" y1="{top - 4}" x2="{bx:.1f}" y2="{height - bottom + 2}"'
            f' stroke="#8a96a3" stroke-dasharray="3 3"><title>{escape(name)} from {_num(float(minimum))}%</title></line>'
        )
        parts.append(
            f'<text class="band-label" x="{bx:.1f}" y="{top - 6}" font-size="9" text-anchor="middle" fill="#5b6b7a">{_num(float(minimum))}</text>'
        )
    for i, b in enumerate(bars):
        y = top + i * row
        colour = SMALL if b.small else PALETTE[b.series % len(PALETTE)]
        attrs_ = (
            f'data-label="{escape(b.label)}" data-numerator="{b.numerator}" data-denominator="{b.denominator}"'
            f' data-percent="{"" if b.percent is None else b.percent}" data-lower="{"" if b.lower is None else b.lower}"'
            f' data-upper="{"" if b.upper is None else b.upper}" data-basis="{escape(b.unit or "cases")}"'
        )
        parts.append(f'<g class="bar-row" {attrs_}>')
        if b.title:
            parts.append(f"<title>{escape(b.label)}: {escape(b.title)}</title>")
        parts.append(
            f'<text class="label" x="{label_width - 6}" y="{y + row * 0.65:.1f}" font-size="11" text-anchor="end" fill="#1d2731">{escape(b.label)}</text>'
        )
        if b.percent is None:
            parts.append(
                f'<text class="value" x="{label_width + 4}" y="{y + row * 0.65:.1f}" font-size="11" fill="#5b6b7a">no applicable cases</text>'
            )
            parts.append("</g>")
            continue
        bar_w = x(b.percent) - label_width
        parts.append(
            f'<rect class="bar" x="{label_width}" y="{y + 4}" width="{bar_w:.1f}" height="{row - 8}" fill="{colour}" rx="1"/>'
        )
        if b.lower is not None and b.upper is not None:
            lo, hi, mid = x(b.lower), x(b.upper), y + row / 2
            parts.append(
                f'<path class="interval" d="M{lo:.1f} {mid:.1f}H{hi:.1f}M{lo:.1f} {mid - 5:.1f}V{mid + 5:.1f}M{hi:.1f} {mid - 5:.1f}V{mid + 5:.1f}"'
                ' stroke="#1d2731" stroke-width="1.3" fill="none"/>'
            )
        text = f"{b.percent:.1f}% ({b.numerator}/{b.denominator}{' ' + b.unit if b.unit else ''})"
        if b.lower is not None and b.upper is not None:
            text += f"  {b.lower:.1f}–{b.upper:.1f}"
        if b.small:
            text += " †"
        if b.note:
            text += f"  {b.note}"
        parts.append(
            f'<text class="value" x="{label_width + plot + 8}" y="{y + row * 0.65:.1f}" font-size="11" fill="#1d2731">{escape(text)}</text>'
        )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value in it went through escape() or is a number)


def trend_chart(
    labels: Sequence[str],
    points: Sequence[Bar],
    caption: str = "",
    width: int = 300,
    height: int = 176,
    axis: Sequence[str] | None = None,
) -> Markup:
    """One item across inspections (oldest first): a point per inspection with its interval, joined by a line.

    ``labels`` name the points (``data-label``); ``axis``, if given, is the shorter text under each (a date)."""
    left, right, top, bottom = 34, 10, 10, 56  # under each point: its label, percent, and count
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    x = lambda i: left + (plot_w * (i + 0.5) / n)  # noqa: E731
    y = lambda p: top + plot_h * (1 - max(0.0, min(100.0, p)) / 100)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" aria-label="{escape(caption or "trend")}">'
    ]
    if caption:
        parts.append(f"<title>{escape(caption)}</title>")
    for tick in (0, 50, 100):
        ty = y(tick)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - right}" y2="{ty:.1f}" stroke="#e3e7eb"/>')
        parts.append(f'<text x="{left - 4}" y="{ty + 3:.1f}" font-size="9" text-anchor="end" fill="#5b6b7a">{tick}%</text>')
    path = [f"{x(i):.1f} {y(p.percent):.1f}" for i, p in enumerate(points) if p.percent is not None]
    if len(path) > 1:
        parts.append(f'<path class="trend-line" d="M{"L".join(path)}" stroke="{PALETTE[0]}" stroke-width="1.5" fill="none"/>')
    under = list(axis) if axis is not None else list(labels)
    for i, (label, p) in enumerate(zip(labels, points, strict=True)):
        cx = x(i)
        short = under[i] if len(under[i]) <= 18 else under[i][:17] + "…"
        parts.append(
            f'<text x="{cx:.1f}" y="{height - 38}" font-size="9" text-anchor="middle" fill="#1d2731">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
        )
        if p.percent is None:
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h / 2:.1f}" font-size="9" text-anchor="middle" fill="#5b6b7a">'
                f"{escape(p.note or 'no cases')}</text>"
            )
            continue
        data = (
            f'data-label="{escape(label)}" data-percent="{p.percent}" data-numerator="{p.numerator}"'
            f' data-denominator="{p.denominator}" data-basis="{escape(p.unit or "cases")}"'
        )
        parts.append(f'<g class="trend-point" {data}>')
        if p.lower is not None and p.upper is not None:
            parts.append(
                f'<path d="M{cx:.1f} {y(p.lower):.1f}V{y(p.upper):.1f}M{cx - 4:.1f} {y(p.lower):.1f}H{cx + 4:.1f}M{cx - 4:.1f} {y(p.upper):.1f}H{cx + 4:.1f}"'
                ' stroke="#1d2731" stroke-width="1.2" fill="none"/>'
            )
        colour = SMALL if p.small else PALETTE[0]
        parts.append(f'<circle cx="{cx:.1f}" cy="{y(p.percent):.1f}" r="3.5" fill="{colour}"/>')
        parts.append(  # the numbers under the axis, below the point's label: they never overlap a neighbour's
            f'<text class="value" x="{cx:.1f}" y="{height - 24}" font-size="10" font-weight="600" text-anchor="middle"'
            f' fill="#1d2731">{p.percent:.1f}%{" †" if p.small else ""}</text>'
            f'<text class="count" x="{cx:.1f}" y="{height - 11}" font-size="9" text-anchor="middle" fill="#5b6b7a">'
            f"{p.numerator}/{p.denominator}{' ' + escape(p.unit) if p.unit else ''}</text>"
        )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every value in it went through escape() or is a number)
