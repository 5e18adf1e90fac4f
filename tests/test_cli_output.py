"""What a user sees when something breaks inside inspectkit (``--debug``), and ``rate -o FILE``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import inspectkit.cli
import inspectkit.engine

EDITION = "tiny_2024"
TINY_PLUGIN = Path(__file__).parent / "tiny" / "plugin.py"


def explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the engine exploded")


@pytest.fixture
def rated(write: Any, make_case: Any, answers: Any, inspection: dict[str, Any]) -> tuple[Path, Path]:
    """Four good cases and one with a wrong answer (an error: the case is left out, the rest are rated)."""
    for n, judgement in enumerate(["yes", "yes", "no", "yes"], start=1):
        write(f"cases/c{n}.yaml", make_case(f"C{n}", answers(**{"2__1__1": judgement, "2__2__a": "met"})))
    folder = write("cases/c5.yaml", make_case("C5", answers(risk="severe", **{"2__2__a": "met"}))).parent
    return folder, write("inspection.yaml", inspection)


# ------------------------------------------------------------------------------------------ --debug


def test_an_internal_error_is_one_line_without_debug(
    cli: Any, monkeypatch: pytest.MonkeyPatch, write: Any, make_case: Any
) -> None:
    monkeypatch.setattr(inspectkit.engine.Engine, "evaluate", explode)
    result = cli("assess", "-e", EDITION, write("case.yaml", make_case("C1")), "--format", "json")  # asserts no traceback
    assert result.exit_code == 1
    assert result.stderr == "error: RuntimeError: the engine exploded (run with --debug for the details)\n"
    assert result.stdout == ""


def test_an_internal_error_in_one_case_is_that_cases_error_in_rate(
    cli: Any, monkeypatch: pytest.MonkeyPatch, write: Any, make_case: Any
) -> None:
    path = write("case.yaml", make_case("C1"))
    monkeypatch.setattr(inspectkit.engine.Engine, "evaluate", explode)
    result = cli("rate", "-e", EDITION, path, "--format", "json")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"error: {path}: this case could not be assessed (RuntimeError: the engine exploded; run with --debug for the details)"
    )
    report = json.loads(result.stdout)  # the report is still written
    assert report["cases"] == 0 and report["excluded"][0]["source"] == str(path)


@pytest.mark.parametrize("command", ["assess", "rate"])
def test_debug_lets_an_internal_error_through(
    monkeypatch: pytest.MonkeyPatch, write: Any, make_case: Any, cli: Any, command: str
) -> None:
    monkeypatch.setattr(inspectkit.engine.Engine, "evaluate", explode)
    path = write("case.yaml", make_case("C1"))
    result = CliRunner().invoke(inspectkit.cli.main, ["--debug", command, "-e", EDITION, str(path)])
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "the engine exploded"
    assert "run with --debug" not in result.output


def test_debug_prints_the_traceback_in_a_real_process(tmp_path: Path, write: Any, make_case: Any) -> None:
    """As a user runs it: a Python process whose engine breaks, with and without --debug."""
    driver = tmp_path / "driver.py"
    driver.write_text(
        textwrap.dedent(
            f"""
            import importlib.util, sys
            import inspectkit.engine, inspectkit.plugins
            from inspectkit.cli import main

            spec = importlib.util.spec_from_file_location("tiny_plugin_for_debug", {str(TINY_PLUGIN)!r})
            tiny = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(tiny)
            real = inspectkit.plugins.load_registry
            inspectkit.plugins.load_registry = lambda plugins=(), entry_points=True, strict=None: real(
                [("tiny", tiny)], entry_points=False, strict=strict
            )

            def explode(*args, **kwargs):
                raise RuntimeError("the engine exploded")

            inspectkit.engine.Engine.evaluate = explode
            sys.argv[0] = "inspectkit"
            main()
            """
        ),
        encoding="utf-8",
    )
    path = write("case.yaml", make_case("C1"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(driver), *args, "assess", "-e", EDITION, str(path), "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )

    plain, debug = run(), run("--debug")
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert plain.stderr.strip() == "error: RuntimeError: the engine exploded (run with --debug for the details)"
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "in explode" in debug.stderr and debug.stderr.rstrip().endswith("RuntimeError: the engine exploded")


def test_a_user_error_is_never_a_traceback(cli: Any) -> None:
    result = cli("rate", "-e", "tiny_2042", "nowhere")  # asserts no traceback
    assert result.exit_code == 2 and "--debug" not in result.stderr


# ------------------------------------------------------------------------------------------ rate -o FILE


@pytest.mark.parametrize("fmt", ["json", "table", "csv"])
def test_rate_output_file_holds_what_stdout_would(cli: Any, rated: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    folder, ins = rated
    printed = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", fmt)
    out = tmp_path / "reports" / f"report.{fmt}"  # the folder is made
    written = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", fmt, "-o", out)
    assert written.stdout == ""
    assert out.read_text(encoding="utf-8") == printed.stdout
    # the errors still go to stderr, with the same exit code
    assert written.exit_code == printed.exit_code == 1
    confirmation = "wrote the " + ("items table (4 rows)" if fmt == "csv" else "report") + f" to {out}\n"
    assert written.stderr == confirmation + printed.stderr and "'severe' is not one of" in written.stderr


def test_rate_output_json_is_the_report(cli: Any, rated: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ins = rated
    out = tmp_path / "report.json"
    cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "-o", out, "--explain", "2.1")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["cases"] == 4 and data["excluded"][0]["case_id"] == "C5"
    assert (data["items"]["2.1.1"]["numerator"], data["items"]["2.1.1"]["denominator"]) == (3, 4)
    assert data["explain"]["2.1"][0].startswith("2.1 Assessment")


def test_rate_output_replaces_an_old_report_and_leaves_no_temporary_file(
    cli: Any, rated: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, ins = rated
    reports = tmp_path / "reports"
    reports.mkdir()
    out = reports / "report.json"
    out.write_text("an old report", encoding="utf-8")
    cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "-o", out)
    assert json.loads(out.read_text(encoding="utf-8"))["cases"] == 4
    assert [p.name for p in reports.iterdir()] == ["report.json"]


def test_rate_output_that_fails_while_writing_keeps_the_old_report(
    cli: Any, rated: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, ins = rated
    reports = tmp_path / "reports"
    reports.mkdir()
    out = reports / "report.json"
    out.write_text("the old report", encoding="utf-8")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the new report is half written when this fails
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "-o", out)
    assert result.exit_code != 0
    assert "No space left on device" in result.stderr
    assert out.read_text(encoding="utf-8") == "the old report"
    assert [p.name for p in reports.iterdir()] == ["report.json"]


def test_rate_output_to_a_folder_is_misuse(cli: Any, rated: tuple[Path, Path], tmp_path: Path) -> None:
    folder, ins = rated
    target = tmp_path / "a-folder"
    target.mkdir()
    result = cli("rate", "-e", EDITION, folder, "--inspection", ins, "--format", "json", "-o", target)
    assert result.exit_code == 2
    assert "--debug" not in result.stderr and str(target) in result.stderr
    assert list(target.iterdir()) == []
