"""Progress on long runs: drawn on a terminal, never in a pipe, a file or CI."""

from __future__ import annotations

import io
from typing import Any

from inspectkit.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_cleared_at_the_end(monkeypatch: Any) -> None:
    clock = iter([0.0, 1.0, 1.1, 2.0])
    monkeypatch.setattr("inspectkit.progress.time.monotonic", lambda: next(clock))
    term = Terminal()
    with Progress("rate", stream=term) as progress:
        progress(500)  # at 1.0 s: drawn
        progress(510)  # 0.1 s later: too soon to redraw
        progress(2000)
    out = term.getvalue()
    assert "rate: 500 cases (500/s)" in out and "510" not in out and "rate: 2,000 cases (1,000/s)" in out
    assert out.endswith("\r\x1b[K")  # cleared, so the report starts on a clean line


def test_no_progress_when_not_a_terminal() -> None:
    pipe = io.StringIO()
    with Progress("rate", stream=pipe) as progress:
        for n in range(1, 10_000):
            progress(n)
    assert pipe.getvalue() == ""


def test_rate_and_export_write_no_progress_into_captured_output(cli: Any, write: Any, make_case: Any, answers: Any) -> None:
    cases = write("many.jsonl", [make_case(f"C{n}", answers()) for n in range(200)])
    for args in (("rate", "-e", "tiny_2024", cases), ("export", "-e", "tiny_2024", cases)):
        result = cli(*args)
        assert result.stdout and "\r" not in result.stderr and "cases (" not in result.stderr
