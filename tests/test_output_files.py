"""Where reports go: never over an input, through symlinks, keeping hard links and permissions, and a clear
message when the file cannot be replaced."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from inspectkit import files

EDITION = "tiny_2024"


@pytest.fixture
def cases(write: Any, make_case: Any) -> Path:
    return write("cases.jsonl", [make_case("C1"), make_case("C2")])


def rate(cli: Any, *args: Any) -> Any:
    return cli("rate", "-e", EDITION, *args)


def test_the_report_never_replaces_its_own_input(cli: Any, cases: Path) -> None:
    before = cases.read_bytes()
    result = rate(cli, cases, "-o", cases, "--format", "json")
    assert result.exit_code == 2
    assert f"error: {cases}: is one of the inputs ({cases})" in result.stderr
    assert "give another file name for the output" in result.stderr
    assert cases.read_bytes() == before


@pytest.mark.parametrize("how", ["hard link", "symlink", "another spelling"])
def test_nor_under_another_name(cli: Any, cases: Path, tmp_path: Path, how: str) -> None:
    before = cases.read_bytes()
    other = tmp_path / "report.json"
    if how == "hard link":
        os.link(cases, other)
    elif how == "symlink":
        other.symlink_to(cases)
    else:
        other = tmp_path / "." / ".." / tmp_path.name / "cases.jsonl"
    result = rate(cli, cases, "-o", other, "--format", "json")
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    assert cases.read_bytes() == before


def test_nor_a_case_file_in_a_folder_being_rated(cli: Any, write: Any, make_case: Any) -> None:
    case = write("cases/c1.yaml", make_case("C1"))
    before = case.read_bytes()
    result = rate(cli, case.parent, "-o", case)
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    assert case.read_bytes() == before


def test_nor_the_inspection_file(cli: Any, cases: Path, write: Any, inspection: Any) -> None:
    ins = write("inspection.yaml", inspection)
    before = ins.read_bytes()
    result = rate(cli, cases, "--inspection", ins, "-o", ins)
    assert result.exit_code == 2 and ins.read_bytes() == before


def test_export_and_compare_refuse_their_inputs_too(cli: Any, cases: Path) -> None:
    before = cases.read_bytes()
    result = cli("export", "-e", EDITION, cases, "-o", cases)
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    result = cli("compare", cases, cases, "-o", cases)
    assert result.exit_code == 2 and "is one of the inputs" in result.stderr
    assert cases.read_bytes() == before


def test_a_symlinked_report_stays_a_link(cli: Any, cases: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    rate(cli, cases, "-o", link, "--format", "json")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text(encoding="utf-8"))["cases"] == 2


def test_a_hard_linked_report_is_the_same_file_under_every_name(cli: Any, cases: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("old", encoding="utf-8")
    other = tmp_path / "shared" / "report.json"
    other.parent.mkdir()
    os.link(report, other)
    rate(cli, cases, "-o", report, "--format", "json")
    assert os.path.samefile(report, other) and report.stat().st_nlink == 2
    assert json.loads(other.read_text(encoding="utf-8"))["cases"] == 2


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="no file modes on this system")
def test_a_replaced_report_keeps_its_mode_and_a_new_one_gets_the_usual_mode(cli: Any, cases: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o640)
    rate(cli, cases, "-o", kept, "--format", "json")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    new = tmp_path / "new.json"
    old_mask = os.umask(0o022)
    try:
        rate(cli, cases, "-o", new, "--format", "json")
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644  # as any program writing a file would give it, not 0600


def test_a_report_open_in_another_program(cli: Any, cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows a file open in Excel cannot be replaced: say so, and leave the old report as it was."""
    report = tmp_path / "report.json"
    report.write_text("old", encoding="utf-8")

    def busy(*args: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files, "_ON_WINDOWS", True)
    monkeypatch.setattr(os, "replace", busy)
    result = rate(cli, cases, "-o", report, "--format", "json")
    assert result.exit_code == 2
    assert f"error: {report}: cannot replace the file: it is open in another program" in result.stderr
    assert report.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_the_writer_says_why_a_file_cannot_be_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every writer (export streams through it too) gets the reason, not only rate's message."""
    path = tmp_path / "out.csv"
    path.write_text("old", encoding="utf-8")
    monkeypatch.setattr(files, "_ON_WINDOWS", True)
    monkeypatch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(PermissionError) as info, files.atomic_writer(path) as fh:
        fh.write("new")
    assert info.value.strerror == "it is open in another program (close it there and try again)"
    assert path.read_text(encoding="utf-8") == "old"


def test_the_cache_stays_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspectkit import cache

    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(tmp_path / "cache"))
    cache.store("test", "x", [], {"a": 1})
    (entry,) = (tmp_path / "cache").iterdir()
    if hasattr(os, "fchmod"):
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert cache.load("test", "x") == {"a": 1}
