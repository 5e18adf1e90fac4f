"""inspectkit report: one HTML file that stands alone (no script, nothing fetched) and shows rate's numbers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from inspectkit.compare import Inspection
from inspectkit.report import provider_of, trends

EDITION = "tiny_2024"


class Page(HTMLParser):
    """What a browser would fetch or run: every tag with a URL-bearing attribute, and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.bars: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        a = dict(attrs)
        for name in ("src", "href", "action", "data", "poster", "srcset"):
            if a.get(name):
                self.urls.append(a[name] or "")
        if a.get("style") and "url(" in (a.get("style") or ""):
            self.urls.append(a["style"] or "")
        if a.get("class") == "bar-row":
            self.bars.append({k: v or "" for k, v in a.items()})


def page(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def rated(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path, ident: str, noes: int, **declared: Any
) -> Path:
    folder = write(f"{ident}/cases/c0.yaml", make_case("C0", answers())).parent
    for n in range(1, 4):
        write(f"{ident}/cases/c{n}.yaml", make_case(f"C{n}", answers(**({"2__1__1": "no"} if n <= noes else {}))))
    ins = write(f"{ident}/inspection.yaml", {**inspection, "inspection_id": ident, **declared})
    out = tmp_path / f"{ident}.json"
    assert cli("rate", "-e", EDITION, folder, "--inspection", ins, "-o", out).exit_code == 0
    return out


def test_the_report_stands_alone_and_shows_rates_numbers(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path
) -> None:
    a = rated(cli, write, make_case, answers, inspection, tmp_path, "Tiny-North-2019", 2)
    b = rated(cli, write, make_case, answers, inspection, tmp_path, "Tiny-North-2021", 0)
    out = tmp_path / "report.html"
    result = cli("report", a, b, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"wrote the report on 2 inspection(s) to {out}" in result.stderr
    html = out.read_text(encoding="utf-8")
    p = page(out)
    assert "script" not in p.tags and "link" not in p.tags and "iframe" not in p.tags
    assert [u for u in p.urls if not u.startswith("#")] == []  # only links within the page
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)  # the SVG namespace is a name, not a fetch
    assert "default-src 'none'" in html  # and a browser is told to fetch nothing even if something slipped in
    report = json.loads(a.read_text(encoding="utf-8"))
    item = report["items"]["2.1.1"]
    (bar,) = [x for x in p.bars if x["data-label"] == "2.1.1"][:1]
    assert (int(bar["data-numerator"]), int(bar["data-denominator"])) == (item["numerator"], item["denominator"])
    assert (float(bar["data-lower"]), float(bar["data-upper"])) == (item["lower"], item["upper"])
    assert 'id="compare"' in html and "Side by side" in html
    assert 'id="trend"' in html and 'data-provider="Tiny-North"' in html  # one provider, two years: a trend
    assert "Grouped by inspection ids that differ only by a year, as no inspection file declares a provider_name" in html


def test_report_from_case_files_with_edition(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path
) -> None:
    folder = write("cases/c1.yaml", make_case("C1", answers())).parent
    ins = write("inspection.yaml", inspection)
    out = tmp_path / "one.html"
    result = cli("report", "--edition", EDITION, "--inspection", ins, folder, "-o", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "T-1" in html and "<svg" in html and 'id="compare"' not in html and 'id="trend"' not in html
    assert cli("report", "-o", out).exit_code == 2


def test_provider_of_an_inspection_id() -> None:
    assert provider_of("NPS-North-2020") == "NPS-North"
    assert provider_of("CRC South 2019-20") == "CRC South"
    assert provider_of("NPS-North") is None and provider_of(None) is None


def test_a_declared_provider_makes_a_trend_in_date_order(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path
) -> None:
    """Inspections of one provider (as their files declare it) given out of order: the trend runs oldest first."""
    north = {"provider_name": "Tiny North"}
    late = rated(cli, write, make_case, answers, inspection, tmp_path, "TN-B", 0, **north, inspection_date="2023-03")
    early = rated(cli, write, make_case, answers, inspection, tmp_path, "TN-A", 2, **north, inspection_date="2019-10-07")
    other = rated(cli, write, make_case, answers, inspection, tmp_path, "TS-A", 1, provider_name="Tiny South")
    report = json.loads(late.read_text(encoding="utf-8"))
    assert (report["provider_name"], report["inspection_date"]) == ("Tiny North", "2023-03")  # saved reports know them
    out = tmp_path / "trend.html"
    assert cli("report", late, other, early, "-o", out).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert 'data-provider="Tiny North">Tiny North: 2019-10-07 TN-A, 2023-03 TN-B</h3>' in html
    assert "Grouped by the provider each inspection file declares (provider_name); in date order (inspection_date)" in html
    assert 'data-provider="Tiny South"' not in html  # one inspection of a provider is no trend
    points = re.findall(r'<g class="trend-point" data-label="([^"]+)" data-percent="([^"]+)"', html)
    assert points[:2] == [("2019-10-07 TN-A", "50.0"), ("2023-03 TN-B", "100.0")]  # 2 of 4 cases, then 4 of 4


def test_a_trend_says_when_it_falls_back() -> None:
    def ins(ident: str, **declared: Any) -> Inspection:
        return Inspection(ident, {"edition": "e", "inspection_id": ident, "cases": 1, "items": {}, **declared})

    (trend,), notes = trends([ins("X-2021", provider_name="X"), ins("X-2019", provider_name=" x ")])
    assert trend.provider == "X" and trend.declared and not trend.by_date and notes == []
    assert [i.name for i in trend.inspections] == ["X-2021", "X-2019"]  # no dates: the order given, and said so
    assert trend.notes == ("In the order given: X-2021, X-2019 declare(s) no inspection_date.",)
    (guess,), _ = trends([ins("Y-2019"), ins("Y-2021", inspection_date="2021")])
    assert (
        guess.provider == "Y"
        and not guess.declared
        and any("no inspection file declares a provider_name" in n for n in guess.notes)
    )
    none, notes = trends([ins("A-2019", provider_name="A"), ins("B-2019", provider_name="B")])
    assert none == [] and notes == ["No trend: no two inspections are of one provider (A, B)."]


def test_a_date_that_is_not_one_is_the_inspection_files_error(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any
) -> None:
    folder = write("cases/c1.yaml", make_case("C1", answers())).parent
    ins = write("inspection.yaml", {**inspection, "provider_name": "Tiny North", "inspection_date": "07/10/2019"})
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    assert "inspection_date: '07/10/2019' is not a date: give YYYY-MM-DD (or YYYY-MM, or YYYY for a period)" in result.output
    ins = write("inspection.yaml", {**inspection, "inspection_date": "2019-02-30"})
    assert "'2019-02-30' is not a date" in cli("rate", "-e", EDITION, folder, "--inspection", ins).output


def test_rate_declares_or_replaces_the_provider_and_date_on_the_command_line(
    cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path
) -> None:
    folder = write("cases/c1.yaml", make_case("C1", answers())).parent
    ins = write("inspection.yaml", {**inspection, "provider_name": "Tiny North", "inspection_date": "2019"})
    result, data = cli.json(
        "rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "--inspection-date", "2019-10-07"
    )
    assert result.exit_code == 0 and (data["provider_name"], data["inspection_date"]) == ("Tiny North", "2019-10-07")
    result, data = cli.json(
        "rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "--provider-name", " Tiny  South "
    )
    assert data["provider_name"] == "Tiny South"
    table = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "table").stdout
    assert "(Tiny North, 2019)" in table.splitlines()[0]
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--inspection-date", "2019-13")
    assert result.exit_code == 2 and "--inspection-date: '2019-13' is not a date" in result.stderr
