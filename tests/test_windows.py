"""Files from Windows and spreadsheets: byte-order marks, cp1252 text, spawned workers, CSV for Excel, open files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from inspectkit import aggregate

EDITION = "tiny_2024"
BOM = b"\xef\xbb\xbf"


def _json(make_case: Any, case_id: str = "C1") -> bytes:
    return json.dumps(make_case(case_id)).encode("utf-8")


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".jsonl"])
def test_a_utf8_byte_order_mark_is_accepted(cli: Any, tmp_path: Path, make_case: Any, suffix: str) -> None:
    path = tmp_path / f"case{suffix}"
    body = yaml.safe_dump(make_case("C1")).encode("utf-8") if suffix == ".yaml" else _json(make_case) + b"\n"
    path.write_bytes(BOM + body)
    result, data = cli.json("rate", "-e", EDITION, path, "--format", "json")
    assert not [e for e in data["errors"] if e["source"]], result.output  # none about the case file
    assert data["excluded"] == [] and data["cases"] == 1
    if suffix != ".jsonl":
        result = cli("assess", path, "--format", "json")
        assert result.exit_code == 0, result.output


def test_cp1252_text_is_named_with_the_way_to_convert_it(cli: Any, tmp_path: Path, make_case: Any) -> None:
    path = tmp_path / "case.yaml"
    text = yaml.safe_dump(make_case("C1"), allow_unicode=True).replace("Steady progress", "Steady progress – the user’s own")
    path.write_bytes(text.encode("cp1252"))
    result = cli("assess", path, "--format", "json")
    assert result.exit_code == 1
    assert "not UTF-8 text" in result.stderr
    assert "it looks like Windows-1252 (cp1252)" in result.stderr
    assert "iconv -f CP1252 -t UTF-8" in result.stderr
    assert f"{path}:{text.splitlines().index(next(x for x in text.splitlines() if '–' in x)) + 1}:" in result.stderr


def test_a_cp1252_json_line_is_named_too(cli: Any, tmp_path: Path, make_case: Any) -> None:
    path = tmp_path / "cases.jsonl"
    good = _json(make_case, "C1")
    bad = json.dumps(make_case("C2"), ensure_ascii=False).replace("Steady progress", "Café visits").encode("cp1252")
    path.write_bytes(good + b"\n" + bad + b"\n")
    result = cli("rate", "-e", EDITION, path, "--format", "json")
    assert result.exit_code == 1
    assert f"{path}:2: not UTF-8 text" in result.stderr and "cp1252" in result.stderr
    assert json.loads(result.stdout)["cases"] == 1  # the good line still counts


def test_utf16_text_is_named(cli: Any, tmp_path: Path, make_case: Any) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(yaml.safe_dump(make_case("C1")).encode("utf-16"))
    result = cli("assess", path, "--format", "json")
    assert result.exit_code == 1 and "it looks like UTF-16" in result.stderr


# ---------------------------------------------------------------------------------------------- workers


def test_spawned_workers_give_the_same_report_as_one_process(registry: Any, write: Any, make_case: Any) -> None:
    for n in range(1, 13):
        write(f"cases/c{n:02d}.yaml", make_case(f"C{n}"))
    lines = write("more.jsonl", [make_case(f"L{n}") for n in range(1, 30)])
    paths = [lines.parent / "cases", lines]
    assert aggregate.plugin_specs(registry) is not None  # so the workers really are spawned, not skipped
    one = aggregate.rate_paths(registry, EDITION, paths, jobs=1).to_dict()
    spawned = aggregate.rate_paths(registry, EDITION, paths, jobs=2, method="spawn").to_dict()
    assert spawned == one and one["cases"] == 41


def test_rate_jobs_under_spawn_from_the_command_line(
    cli: Any, write: Any, make_case: Any, inspection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = write("cases.jsonl", [make_case(f"L{n}") for n in range(1, 20)])
    ins = write("inspection.yaml", inspection)
    expected = cli.json("rate", "-e", EDITION, lines, "--inspection", ins, "--format", "json", "--jobs", "1")[1]
    monkeypatch.setenv("INSPECTKIT_START_METHOD", "spawn")
    assert aggregate.start_method() == "spawn"
    result, data = cli.json("rate", "-e", EDITION, lines, "--inspection", ins, "--format", "json", "--jobs", "2")
    assert result.exit_code == 0 and data == expected


def test_the_start_method_is_fork_where_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    monkeypatch.delenv("INSPECTKIT_START_METHOD", raising=False)
    expected = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    assert aggregate.start_method() == expected
    monkeypatch.setenv("INSPECTKIT_START_METHOD", "no-such-method")
    assert aggregate.start_method() == expected


# ------------------------------------------------------------------------------------------ CSV, Excel


@pytest.fixture
def rated(write: Any, make_case: Any, inspection: dict[str, Any]) -> tuple[Path, Path]:
    for n in range(1, 4):
        write(f"cases/c{n}.yaml", make_case(f"C{n}"))
    ins = write("inspection.yaml", inspection)
    return ins.parent / "cases", ins


def test_csv_for_excel_has_a_byte_order_mark_and_crlf(cli: Any, rated: tuple[Path, Path], tmp_path: Path) -> None:
    cases, ins = rated
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert cli("rate", "-e", EDITION, cases, "--inspection", ins, "-o", plain).exit_code == 0
    assert cli("rate", "-e", EDITION, cases, "--inspection", ins, "-o", excel, "--excel").exit_code == 0
    data = excel.read_bytes()
    assert data.startswith(BOM) and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert data[3:].decode("utf-8").replace("\r\n", "\n") == plain.read_text(encoding="utf-8")
    result = cli("rate", "-e", EDITION, cases, "--inspection", ins, "--format", "json", "--excel")
    assert result.exit_code == 2 and "--excel is for --format csv" in result.stderr


def test_replacing_a_report_open_in_another_program_says_so(
    cli: Any, rated: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases, ins = rated
    report = tmp_path / "report.csv"
    report.write_text("open in Excel\n", encoding="utf-8")
    real_replace = os.replace

    def locked(src: Any, dst: Any) -> None:  # what Windows does while Excel holds the file
        if Path(dst) == report:
            raise PermissionError(13, "Access is denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    result = cli("rate", "-e", EDITION, cases, "--inspection", ins, "-o", report)
    assert result.exit_code == 2
    assert f"error: {report}: cannot replace the file: it is open in another program (such as Excel)" in result.stderr
    assert "close it and run the command again" in result.stderr
    assert report.read_text(encoding="utf-8") == "open in Excel\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []  # no temporary file left
