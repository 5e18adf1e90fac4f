"""The HTML report as a browser shows it: headless Chromium renders the bundled examples' report with scripts
off, and the rendered page is checked: charts laid out, numbers matching rate, no request but the file itself.

Needs Debian's ``chromium`` (.ci/run installs it); skipped, saying why, where it is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import inspectkit

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it)"
)

BARS = """[...document.querySelectorAll('g.bar-row')].map(g => {
  const rect = g.querySelector('rect.bar');
  const svg = g.closest('svg');
  return {section: g.closest('section').id, chart: [...document.querySelectorAll('svg')].indexOf(svg), label: g.dataset.label, numerator: g.dataset.numerator, denominator: g.dataset.denominator,
          lower: g.dataset.lower, upper: g.dataset.upper, percent: g.dataset.percent,
          width: rect ? rect.getBoundingClientRect().width : null,
          whisker: !!g.querySelector('path.interval'), visible: g.getBoundingClientRect().height > 0};
})"""
RATINGS = """Object.fromEntries([...document.querySelectorAll('tr[data-standard]')].map(
  tr => [tr.dataset.standard, (tr.querySelector('.rating') || {}).textContent || null]))"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("inspectkit_tests_cdp", Path(__file__).parent / "cdp.py")
    assert spec is not None and spec.loader is not None
    cdp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cdp)
    b = cdp.Browser(str(CHROMIUM), tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def rendered(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    registry = inspectkit.load_registry()
    if "standards_2020" not in registry.entries:
        pytest.skip("needs the bundled editions installed")
    from inspectkit.cli_analysis import load_inspection
    from inspectkit.report import render

    inspections = [load_inspection(EXAMPLES / name, registry) for name in ("nps-north-2020", "crc-south-2020")]
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(render(inspections, registry), encoding="utf-8")
    session = browser.open(page.as_uri(), scripts=False)
    out = {
        "page": page,
        "session": session,
        "requests": browser.requests(),
        "bars": browser.evaluate(session, BARS),
        "ratings": browser.evaluate(session, RATINGS),
        "svgs": browser.evaluate(session, "document.querySelectorAll('svg').length"),
        "scripts_ran": browser.evaluate(session, "document.querySelectorAll('script').length"),
        "inspections": inspections,
    }
    if os.environ.get("INSPECTKIT_SCREENSHOTS"):  # docs/: refresh the committed screenshots
        docs = ROOT / "docs"
        browser.screenshot(session, docs / "report-example.png", clip=(0, 0, 1100, 1500))
        box = browser.evaluate(
            session, "(r => [r.x, r.y + scrollY, r.width, r.height])(document.querySelector('#compare').getBoundingClientRect())"
        )
        browser.screenshot(session, docs / "report-side-by-side.png", clip=(0, box[1] - 10, 1100, min(box[3], 1500)))
    return out


def test_the_rendered_page_has_its_charts_laid_out(rendered: dict[str, Any]) -> None:
    assert rendered["svgs"] >= 20 and rendered["scripts_ran"] == 0
    drawn = [b for b in rendered["bars"] if b["percent"]]
    assert drawn and all(b["visible"] and b["whisker"] and b["width"] > 0 for b in drawn)
    charts: dict[int, list[dict[str, Any]]] = {}
    for b in drawn:
        charts.setdefault(b["chart"], []).append(b)
    for bars in charts.values():  # within a chart, every bar is as long as its percentage says
        full = max(b["width"] / float(b["percent"]) for b in bars if float(b["percent"]) > 0)
        for b in bars:
            assert abs(b["width"] - full * float(b["percent"])) < 1.0, b


def test_the_rendered_numbers_are_rates(rendered: dict[str, Any]) -> None:
    nps, crc = (i.report for i in rendered["inspections"])
    own = {b["label"]: b for b in rendered["bars"] if b["section"] == "inspection-0"}  # the NPS inspection's charts
    for item_id, item in nps["items"].items():
        if not item["denominator"]:  # a standard with no applicable cases is a line of text, not a chart
            assert item_id not in own
            continue
        bar = own[item_id]
        assert (int(bar["numerator"]), int(bar["denominator"])) == (item["numerator"], item["denominator"]), item_id
        assert (float(bar["lower"]), float(bar["upper"])) == (item["lower"], item["upper"]), item_id
    side = {b["label"]: b for b in rendered["bars"] if " · " in b["label"]}
    assert int(side["2.4.3 · CRC-South-2020"]["numerator"]) == crc["items"]["2.4.3"]["numerator"]
    assert rendered["ratings"]["2.4"] == "Requires improvement" and nps["ratings"]["2.4"] == "requires_improvement"


def test_no_request_leaves_the_machine(rendered: dict[str, Any]) -> None:
    assert rendered["requests"] == [rendered["page"].as_uri()]


def test_a_page_that_fetches_is_caught(browser: Any, tmp_path: Path) -> None:
    """The check above can fail: a page that fetches something shows the request."""
    page = tmp_path / "fetches.html"
    page.write_text('<!DOCTYPE html><img src="http://inspectkit.invalid/pixel.png">', encoding="utf-8")
    browser.open(page.as_uri())
    assert "http://inspectkit.invalid/pixel.png" in browser.requests()


TREND_POINTS = """[...document.querySelectorAll('#trend figure[data-item]')].map(f => ({
  item: f.dataset.item,
  points: [...f.querySelectorAll('g.trend-point')].map(g => ({label: g.dataset.label, basis: g.dataset.basis,
    numerator: g.dataset.numerator, denominator: g.dataset.denominator,
    x: g.querySelector('circle').getBoundingClientRect().x, visible: g.getBoundingClientRect().height > 0}))}))"""


def test_one_providers_inspections_of_three_editions_are_drawn_as_a_trend_in_date_order(browser: Any, tmp_path: Path) -> None:
    """The 2013, 2017 and 2020 inspections of one provider, given newest first: drawn oldest first, through the
    crosswalks, each point where its date puts it and each pooled figure marked as answers."""
    registry = inspectkit.load_registry()
    if "adult_offending_2013" not in registry.entries:
        pytest.skip("needs the bundled editions installed")
    from inspectkit.cli_analysis import load_inspection
    from inspectkit.compare import Inspection
    from inspectkit.report import render

    data = ROOT / "tests" / "editions"
    older = [load_inspection(data / f"{e}-cases.jsonl", registry) for e in ("adult_offending_2013", "qi_2017")]
    declared = [
        Inspection(
            f"NPS-North-{year}",
            {**ins.report, "inspection_id": f"NPS-North-{year}", "provider_name": "NPS North", "inspection_date": date},
        )
        for ins, year, date in zip(older, (2013, 2017), ("2013-06-03", "2017-11-20"), strict=True)
    ]
    inspections = [load_inspection(EXAMPLES / "nps-north-2020", registry), *reversed(declared)]
    page = tmp_path / "trend.html"
    page.write_text(render(inspections, registry), encoding="utf-8")
    session = browser.open(page.as_uri(), scripts=False)
    figures = {f["item"]: f["points"] for f in browser.evaluate(session, TREND_POINTS)}
    points = figures["2.3.1"]
    assert [p["label"] for p in points] == ["2013-06-03 NPS-North-2013", "2017-11-20 NPS-North-2017", "2020-02-10 NPS-North-2020"]
    assert [p["basis"] for p in points] == ["answers", "answers", "cases"]
    assert all(p["visible"] for p in points) and points[0]["x"] < points[1]["x"] < points[2]["x"]
    assert browser.requests() == [page.as_uri()]
    if os.environ.get("INSPECTKIT_SCREENSHOTS"):
        box = browser.evaluate(
            session, "(r => [r.x, r.y + scrollY, r.width, r.height])(document.querySelector('#trend').getBoundingClientRect())"
        )
        browser.screenshot(session, ROOT / "docs" / "report-trend.png", clip=(0, box[1] - 10, 1100, min(box[3], 900)))
