"""inspectkit report: one HTML file that stands alone (no script, nothing fetched) and shows rate's numbers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from inspectkit.report import provider_of

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


def rated(cli: Any, write: Any, make_case: Any, answers: Any, inspection: Any, tmp_path: Path, ident: str, noes: int) -> Path:
    folder = write(f"{ident}/cases/c0.yaml", make_case("C0", answers())).parent
    for n in range(1, 4):
        write(f"{ident}/cases/c{n}.yaml", make_case(f"C{n}", answers(**({"2__1__1": "no"} if n <= noes else {}))))
    ins = write(f"{ident}/inspection.yaml", {**inspection, "inspection_id": ident})
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
    assert 'id="trend"' in html and "Tiny-North (tiny_2024)" in html  # one provider, two years: a trend


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
