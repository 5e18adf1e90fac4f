"""Reading and writing files: safe YAML with line numbers, JSON and JSON Lines, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from inspectkit import files, loading
from inspectkit.errors import InputError, UsageError


def test_atomic_write_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("old", encoding="utf-8")
    files.atomic_write(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_atomic_write_creates_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "case.yaml"
    files.atomic_write(path, "x: 1\n")
    assert path.read_text() == "x: 1\n"


def test_a_failed_write_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("answers: {risk: low}\n", encoding="utf-8")

    def fail(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(path, "answers: {risk: high}\n")
    assert path.read_text(encoding="utf-8") == "answers: {risk: low}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["case.yaml"]  # no temporary file left behind


def test_a_failed_binary_write_leaves_the_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cache.pickle"
    path.write_bytes(b"old")
    monkeypatch.setattr(os, "replace", lambda *_: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        files.atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.pickle"]


def test_yaml_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("schema: 1\ncase_id: C1\nanswers:\n  risk: low\n   age: 30\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.load_document(path)
    assert info.value.location.file == str(path)
    assert info.value.location.line == 5
    assert "not valid YAML" in str(info.value) and "indentation" in str(info.value)


def test_an_unclosed_quote_names_a_line(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text('schema: 1\nanswers:\n  risk: "low\n  age: 3\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.load_document(path)
    assert info.value.location.line is not None and info.value.location.line >= 3


def test_json_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{\n"case_id": "C1",\n"answers": {,}\n}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.load_document(path)
    assert info.value.location.line == 3
    assert str(info.value).startswith(f"{path}:3: not valid JSON")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("answers: !!python/object/apply:os.system ['echo hi']\n", encoding="utf-8")
    with pytest.raises(InputError, match="the tag !!python/object/apply:os.system is not part of the format"):
        files.load_document(path)


def test_yaml_values_are_what_the_case_format_allows(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    text = "answers:\n  a: yes\n  b: 2024-01-31\n  c: n/a\n  1.10: x\n  d: 0123\n  e: 10:30\n  f: 1_000\n  g: -2.5\n  h: ~\n"
    path.write_text(text, encoding="utf-8")
    doc = files.load_document(path)
    # a date stays text (its answer type checks it); keys are always text, as written
    assert doc["answers"] == {
        "a": True,
        "b": "2024-01-31",
        "c": "n/a",
        "1.10": "x",
        "d": "0123",
        "e": "10:30",
        "f": 1000,
        "g": -2.5,
        "h": None,
    }


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="file is empty"):
        files.load_document(empty)
    with pytest.raises(UsageError, match="no such file") as info:
        files.load_document(tmp_path / "missing.yaml")
    assert info.value.exit_code == 2
    with pytest.raises(UsageError, match="is a folder"):
        files.load_document(tmp_path)


def test_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("x: " + "a" * 200 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.read_text(path, limit=100)
    assert "over the limit of 100 bytes" in str(info.value)


def test_json_lines_yields_each_line_or_its_error(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text('{"case_id": "A"}\n\n{"case_id": \n{"case_id": "C"}\n', encoding="utf-8")
    got = list(files.iter_json_lines(path))
    assert [n for n, _ in got] == [1, 3, 4]
    assert got[0][1] == {"case_id": "A"} and got[2][1] == {"case_id": "C"}
    error = got[1][1]
    assert isinstance(error, InputError) and error.location.line == 3 and "not valid JSON" in error.message


def test_json_lines_line_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "MAX_LINE_BYTES", 50)
    path = tmp_path / "cases.jsonl"
    path.write_text('{"case_id": "A"}\n{"case_id": "' + "B" * 100 + '"}\n', encoding="utf-8")
    got = list(files.iter_json_lines(path))
    assert got[0][1] == {"case_id": "A"}
    assert isinstance(got[1][1], InputError) and "over the limit of 50" in got[1][1].message


def test_yaml_line_of_nested_keys(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("schema: 1\ncase_id: C1\nanswers:\n  risk: low\n  2.1.1: yes\nnotes:\n  risk: why\n", encoding="utf-8")
    assert files.yaml_line_of(path, ("answers", "risk")) == 4
    assert files.yaml_line_of(path, ("answers", "2.1.1")) == 5
    assert files.yaml_line_of(path, ("notes", "risk")) == 7
    assert files.yaml_line_of(path, ("case_id",)) == 2
    assert files.yaml_line_of(tmp_path / "case.json", ("answers",)) is None


def test_yaml_with_line_numbers_refuses_duplicate_keys(tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.load_yaml_lines(path)
    assert "key 'a' is given twice (first on line 1)" in str(info.value) and info.value.location.line == 3


def test_a_case_file_with_a_question_answered_twice(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("case_id: C1\nanswers:\n  risk: low\n  risk: high\n", encoding="utf-8")
    with pytest.raises(InputError, match="key 'risk' is given twice"):
        files.load_document(path)


def test_a_deeply_nested_json_document_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"answers": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(InputError):
        files.load_document(path)


def test_case_paths_in_folders(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.json", "sub/c.jsonl", "sub/d.yml", "notes.txt", ".hidden.yaml"):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("{}", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in files.iter_case_paths([tmp_path])]
    assert found == ["a.json", "b.yaml", "sub/c.jsonl", "sub/d.yml"]


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("answers:\n  risk: low\n  needs: [a]\n  risk: high\n", "key 'risk' is given twice (first on line 2); keep one", 4),
        ("items:\n  - id: a\n    id: b\n", "key 'id' is given twice (first on line 2); keep one", 3),
        ("answers:\n  base: &b {x: 1}\n  more:\n    <<: *b\n", "merge keys (<<) are not part of the format", 4),
        ("answers:\n  - 1\n  - " + "9" * 101 + "\n", "a number longer than 100 characters", 3),
        ("answers:\n  a: .nan\n", ".nan is not a number a case can hold", 2),
        ("answers:\n  a: !x 1\n", "the tag !x is not part of the format", 2),
    ],
)
def test_yaml_mistakes_inside_mappings_and_lists(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        files.load_yaml_lines(path)
    assert info.value.message == message and info.value.location.line == line


def test_yaml_values_and_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("a: 1\nb:\n  c: yes\n  d: [0123, 10:30, '2', 2.5, ~]\n  e: x\n", encoding="utf-8")
    doc = files.load_yaml_lines(path)
    assert doc == {"a": 1, "b": {"c": True, "d": ["0123", "10:30", "2", 2.5, None], "e": "x"}}
    assert (doc.lines, doc["b"].lines, doc["b"].line) == ({"a": 1, "b": 2}, {"c": 3, "d": 4, "e": 5}, 3)
