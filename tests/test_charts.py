"""The inline SVG charts: bars in proportion, intervals where they belong, text escaped, numbers readable back."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from inspectkit.charts import Bar, bar_chart, trend_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def test_bars_are_in_proportion_and_carry_their_numbers() -> None:
    bars = [Bar("2.1.1", 50.0, 30.1, 69.9, 5, 10), Bar("2.1.2", 100.0, 72.2, 100.0, 10, 10)]
    svg = parse(bar_chart(bars, label_width=100, text_width=100, width=600))  # plot 400 px wide
    rows = svg.findall(f".//{SVG}g[@class='bar-row']")
    assert [r.get("data-label") for r in rows] == ["2.1.1", "2.1.2"]
    assert [(r.get("data-numerator"), r.get("data-denominator"), r.get("data-lower")) for r in rows] == [
        ("5", "10", "30.1"),
        ("10", "10", "72.2"),
    ]
    widths = [float(r.find(f"{SVG}rect").get("width")) for r in rows]
    assert widths == [200.0, 400.0]
    whisker = rows[0].find(f"{SVG}path").get("d")
    assert whisker.startswith("M220.4 ") and "H379.6" in whisker  # 100 + 400 * 30.1% ... 100 + 400 * 69.9%


def test_an_item_without_cases_has_no_bar_and_says_so() -> None:
    svg = parse(bar_chart([Bar("4.1.1", None)]))
    row = svg.find(f".//{SVG}g[@class='bar-row']")
    assert row.find(f"{SVG}rect") is None and "no applicable cases" in "".join(row.itertext())


def test_small_samples_are_marked_and_text_is_escaped() -> None:
    svg = bar_chart([Bar("<b>&x", 0.0, 0.0, 79.3, 0, 1, title='"quoted" & <tagged>', small=True)])
    assert "<b>" not in str(svg) and "&lt;b&gt;&amp;x" in str(svg)
    text = "".join(parse(svg).itertext())
    assert "0.0% (0/1)  0.0–79.3 †" in text


def test_rating_bands_are_dashed_lines_at_their_minimum() -> None:
    svg = parse(
        bar_chart([Bar("x", 70.0, 50.0, 85.0, 7, 10)], bands=[(65.0, "good")], label_width=100, text_width=100, width=600)
    )
    band = svg.find(f".//{SVG}line[@class='band']")
    assert band.get("x1") == "360.0" and band.get("stroke-dasharray") and band.find(f"{SVG}title").text == "good from 65%"


def test_a_trend_has_a_point_and_interval_per_inspection() -> None:
    points = [Bar("2.1.1", 40.0, 20.0, 60.0, 4, 10), Bar("2.1.1", None), Bar("2.1.1", 80.0, 60.0, 90.0, 8, 10)]
    svg = parse(trend_chart(["2019", "2020", "2021"], points))
    got = [(g.get("data-label"), g.get("data-percent")) for g in svg.findall(f".//{SVG}g[@class='trend-point']")]
    assert got == [("2019", "40.0"), ("2021", "80.0")]
    assert "no cases" in "".join(svg.itertext())
    assert re.fullmatch(r"M[\d.]+ [\d.]+L[\d.]+ [\d.]+", svg.find(f".//{SVG}path[@class='trend-line']").get("d"))
