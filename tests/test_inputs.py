"""Odd and hostile case files: each is a clear error naming the file and line, never a crash, a hang or a
lost run. Every input here was once a crash, a hang or a silent wrong answer."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit import loading
from inspectkit.errors import InputError

EDITION = "tiny_2024"
HEAD = f"schema: 1\nedition: {EDITION}\ncase_id: C1\nanswers:\n  risk: low\n"


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    """A test that would block forever (a FIFO read) fails instead."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hung(*_: Any) -> None:
        raise TimeoutError("the command hung")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def strict_json(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=refuse)


def assess_error(cli: Any, path: Path) -> str:
    """``assess`` on a file: its one error line (and the exit code the contract gives bad input)."""
    result = cli("assess", "-e", EDITION, path, "--format", "json")
    assert result.exit_code == 1, result.output
    return result.stderr


# ------------------------------------------------------------------------------------------ YAML


@pytest.mark.parametrize(
    "value",
    ["2020-02-30", "2020-13-01", "0000-01-01", "2020-01-01 25:00:00", "2020-01-01T10:00:00+25:00", "2020-02-30T10:00:00"],
)
def test_a_date_that_does_not_exist_is_the_answers_error(cli: Any, write: Any, value: str) -> None:
    path = write("case.yaml", HEAD + f"  start_date: {value}\n")
    assert f"case.yaml:6: start_date: '{value}' is not a date; write YYYY-MM-DD" in assess_error(cli, path)


def test_a_real_date_unquoted_is_still_a_date(cli: Any, write: Any, make_case: Any) -> None:
    text = HEAD + "  start_date: 2024-01-08\n  case_ended: no\n  sentence_type: community\n"
    result, data = cli.json("assess", "-e", EDITION, write("case.yaml", text), "--format", "json")
    assert data["questions"]["start_date"]["value"] == "2024-01-08"


@pytest.mark.parametrize(
    "value, shown",
    [
        ("!!int foo", "!!int"),
        ("!!bool foo", "!!bool"),
        ("!!timestamp foo", "!!timestamp"),
        ("!!map [a]", "!!map"),
        ("!x 1", "!x"),
    ],
)
def test_tags_are_refused_with_the_line(cli: Any, write: Any, value: str, shown: str) -> None:
    path = write("case.yaml", HEAD + f"  age: {value}\n")
    assert f"case.yaml:6: the tag {shown} is not part of the format" in assess_error(cli, path)


def test_a_python_tag_runs_nothing(cli: Any, write: Any, tmp_path: Path) -> None:
    path = write("case.yaml", HEAD + "  age: !!python/object/apply:os.system ['touch ran']\n")
    assert "the tag !!python/object/apply:os.system is not part of the format" in assess_error(cli, path)
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("where", ["notes:\n  risk", "answers:\n  risk", "case_id"])
def test_an_alias_bomb_is_refused_at_once(cli: Any, write: Any, where: str) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[n]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    head = f"schema: 1\nedition: {EDITION}\n"
    text = "bomb:\n" + "\n".join("  " + line for line in lines) + "\n" + head + where + ": [" + ",".join(["*h"] * 9) + "]\n"
    if where == "case_id":
        text += "answers: {}\n"
    started = time.monotonic()
    err = assess_error(cli, write("case.yaml", text))
    assert "holds more than 1,000,000 values (aliases count each time they are used)" in err
    assert time.monotonic() - started < 5


def test_a_small_alias_is_fine(cli: Any, write: Any) -> None:
    text = HEAD.replace("risk: low", "risk: &r low") + "notes:\n  risk: *r\n"
    result = cli("assess", "-e", EDITION, write("case.yaml", text), "--format", "json")
    assert "risk" in json.loads(result.stdout)["questions"]


def test_merge_keys_are_refused(write: Any) -> None:
    path = write("case.yaml", "base: &b {risk: low}\nanswers:\n  <<: *b\n")
    with pytest.raises(InputError, match="merge keys") as info:
        loading.load_document(path)
    assert info.value.location.line == 3


def test_nesting_past_the_limit(write: Any) -> None:
    path = write("case.yaml", HEAD + "  needs: " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(InputError, match="nested too deeply") as info:
        loading.load_document(path)
    assert info.value.location.line == 6
    flow = write("deep.yaml", "[" * 200_000 + "]" * 200_000)
    with pytest.raises(InputError, match="nested too deeply"):
        loading.load_document(flow)


def test_two_documents_in_one_file(write: Any) -> None:
    with pytest.raises(InputError, match="more than one document") as info:
        loading.load_document(write("case.yaml", HEAD + "---\n" + HEAD))
    assert info.value.location.line == 6


def test_a_key_that_is_a_list(write: Any) -> None:
    with pytest.raises(InputError, match="a key must be a single value") as info:
        loading.load_document(write("case.yaml", HEAD + "  ? [a, b]\n  : x\n"))
    assert info.value.location.line == 6


# ------------------------------------------------------------------------------------------ numbers and text


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_number_of_5000_digits(write: Any, suffix: str) -> None:
    digits = "1" * 5000
    text = HEAD + f"  age: {digits}\n" if suffix == ".yaml" else '{"case_id": "C1",\n "answers": {"age": ' + digits + "}}"
    with pytest.raises(InputError) as info:
        loading.load_document(write("case" + suffix, text))
    assert info.value.location.line == (6 if suffix == ".yaml" else 2)
    assert "a number" in info.value.message


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN", "1.5e999"])
def test_nan_and_infinity_are_refused_in_yaml(cli: Any, write: Any, value: str) -> None:
    err = assess_error(cli, write("case.yaml", HEAD + f"  order_months: {value}\n"))
    assert "case.yaml:6:" in err and ("not a number a case can hold" in err or "too large a number" in err)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused_in_json(cli: Any, write: Any, value: str) -> None:
    path = write("case.json", '{"schema": 1, "case_id": "C1",\n"answers": {"age": ' + value + "}}")
    err = assess_error(cli, path)
    assert "case.json:2: not valid JSON" in err


@pytest.mark.parametrize(
    "value",
    ["nan", "inf", "1e999", "-1e999", "1" * 5000, float("nan"), float("inf"), 10**5000],
    ids=["nan-text", "inf-text", "big-text", "-big-text", "5000-digits-text", "nan", "inf", "5000-digits"],
)
def test_numbers_given_through_the_api_are_checked_too(framework: Any, answers: Any, value: Any) -> None:
    result = inspectkit.assess(framework, {"case_id": "C1", "answers": answers(order_months=value, age=value)})
    assert {m.question for m in result.errors} >= {"order_months", "age"}
    assert all(len(m.message) < 200 for m in result.errors)


def test_a_huge_number_as_a_choice_answer_has_a_short_message(framework: Any, answers: Any) -> None:
    result = inspectkit.assess(framework, {"case_id": "C1", "answers": answers(risk=10**5000, summary_text=10**5000)})
    messages = {m.question: m.message for m in result.errors}
    assert messages["risk"].startswith("a number of about 5,000 digits is not one of:")
    assert messages["summary_text"] == "a number of about 5,000 digits is not text"


def test_a_lone_surrogate_is_refused(write: Any) -> None:
    with pytest.raises(InputError, match="lone surrogate|not valid") as info:
        loading.load_document(write("case.json", '{"case_id": "C1",\n"answers": {"summary_text": "\\ud800"}}'))
    assert info.value.location.line == 2
    with pytest.raises(InputError) as info:
        loading.load_document(write("case.yaml", HEAD + '  summary_text: "\\ud800"\n'))
    assert info.value.location.line == 6


# ------------------------------------------------------------------------------------------ keys given twice


def test_a_key_given_twice_in_json(write: Any) -> None:
    path = write("case.json", '{"case_id": "C1",\n "answers": {"risk": "low",\n  "risk": "high"}}')
    with pytest.raises(InputError, match="key 'risk' is given twice; keep one") as info:
        loading.load_document(path)
    assert info.value.location.line == 3


def test_a_colon_in_text_is_not_a_key_given_twice(write: Any) -> None:
    doc = loading.load_document(write("case.json", '{"case_id": "C:1", "answers": {"summary_text": "a: b: c"}}'))
    assert doc["answers"] == {"summary_text": "a: b: c"}


def test_a_key_given_twice_in_json_lines(cli: Any, write: Any, make_case: Any) -> None:
    good = json.dumps(make_case("C1"))
    twice = json.dumps(make_case("C2"))[:-1] + ', "case_id": "C3"}'
    path = write("cases.jsonl", good + "\n" + twice + "\n")
    result = cli("rate", "-e", EDITION, path, "--format", "json")
    assert f"error: {path}:2: key 'case_id' is given twice; keep one" in result.stderr
    assert strict_json(result.stdout)["cases"] == 1


# ------------------------------------------------------------------------------------------ files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_not_read(cli: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    assert "case.yaml: is not a regular file" in assess_error(cli, fifo)
    result = cli("rate", "-e", EDITION, fifo, "--format", "json")
    assert f"error: {fifo}: is not a regular file" in result.stderr and result.exit_code == 1


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_dev_zero_is_refused_not_read() -> None:
    with pytest.raises(InputError, match="is not a regular file"):
        loading.load_document(Path("/dev/zero"))
    with pytest.raises(InputError, match="is not a regular file"):
        list(loading.raw_lines(Path("/dev/zero")))


def test_the_size_limit_is_counted_while_reading(write: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("case.yaml", HEAD + "  summary_text: " + "a" * 500 + "\n")
    monkeypatch.setattr(loading, "MAX_DOCUMENT_BYTES", 100)
    monkeypatch.setattr(os, "fstat", _lying_fstat(os.fstat))
    with pytest.raises(InputError, match="over the limit of 100 bytes"):
        loading.load_document(path)


def test_a_file_that_says_it_is_empty_or_smaller_is_read_to_its_end(write: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files say they hold 0 bytes, and a file may grow between stat and read: all of it is read."""
    text = HEAD + "  summary_text: " + "a" * 200_000 + "\n"
    path = write("case.yaml", text)
    monkeypatch.setattr(os, "fstat", _lying_fstat(os.fstat))
    assert loading.read_bytes(path) == text.encode()


def _lying_fstat(real: Any) -> Any:
    """fstat as /proc files and growing files show it: a size of 0, whatever is really there."""

    def fstat(fd: int) -> Any:
        st = real(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid, 0, *st[7:10]))

    return fstat


def test_a_json_line_over_the_limit_is_skipped_without_holding_it(write: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "MAX_LINE_BYTES", 100)
    path = write("cases.jsonl", '{"case_id": "A"}\n{"case_id": "' + "B" * 5000 + '"}\n{"case_id": "C"}\n')
    got = list(loading.raw_lines(path))
    assert [n for n, _ in got] == [1, 2, 3]
    assert isinstance(got[1][1], InputError) and "line is 5,016 bytes" in got[1][1].message
    assert got[2][1] == b'{"case_id": "C"}\n'


def test_errors_in_a_case_file_read_it_once(cli: Any, write: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,000 unknown answers used to re-read the file for each error's line (minutes); now one read."""
    text = HEAD + "".join(f"  unknown_{n}: x\n" for n in range(1000))
    path = write("case.yaml", text)
    reads = []
    real = loading.load_yaml
    monkeypatch.setattr(loading, "load_yaml", lambda *a: reads.append(1) or real(*a))
    started = time.monotonic()
    result = cli("assess", "-e", EDITION, path, "--format", "json")
    assert time.monotonic() - started < 10
    errors = result.stderr.splitlines()
    assert len(errors) == 1000 and errors[0].startswith(f"error: {path}:6: unknown_0")
    assert errors[-1].startswith(f"error: {path}:1005: unknown_999")
    assert len(reads) == 1
    result = cli("rate", "-e", EDITION, path, "--format", "json")
    case_errors = [e for e in strict_json(result.stdout)["errors"] if e["source"] == str(path)]
    assert len(reads) == 2 and len(case_errors) == 1000 and case_errors[-1]["line"] == 1005


# ------------------------------------------------------------------------------------------ rate never aborts


def _lines(make_case: Any, bad: str) -> list[Any]:
    return [make_case("C1"), bad, make_case("C3")]


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"schema": 1, "edition": ["tiny_2024"], "case_id": "C2", "answers": {}}', "edition must be text naming an edition"),
        ('{"schema": 1, "edition": {"a": 1}, "case_id": "C2", "answers": {}}', "edition must be text naming an edition"),
        ('{"schema": 1, "case_id": "\\ud800", "answers": {}}', "lone surrogate"),
        ('{"schema": 1, "case_id": ' + "[" * 1000 + "]" * 1000 + ', "answers": {}}', "nested too deeply"),
        ('{"schema": 1, "case_id": [1, 2], "answers": {}}', "case_id must be text (or a whole number), not list"),
        ('{"schema": 1, "case_id": true, "answers": {}}', "case_id must be text (or a whole number), not bool"),
        ('{"schema": 1, "case_id": "", "answers": {}}', "case_id is empty"),
        ('{"schema": 1, "case_id": "C2", "answers": [1]}', "answers must be a mapping"),
        ('["not", "a", "case"]', "a case is a mapping"),
        ("3", "a case is a mapping"),
    ],
)
def test_one_bad_json_line_never_stops_a_rate(cli: Any, write: Any, make_case: Any, bad: str, message: str) -> None:
    path = write("cases.jsonl", _lines(make_case, bad))
    result = cli("rate", "-e", EDITION, path, "--format", "json")
    assert result.exit_code == 1
    report = strict_json(result.stdout)
    assert report["cases"] == 2
    assert any(e["source"] == f"{path}:2" and message in e["message"] for e in report["errors"]), report["errors"]
    assert f"error: {path}:2" in result.stderr


def test_bad_case_ids_through_the_api(registry: Any, make_case: Any) -> None:
    cases = [make_case("C1"), make_case("\ud800"), make_case(["x"]), make_case("C1" * 1000), make_case("C4")]
    report = inspectkit.rate(registry, EDITION, cases)
    assert report.cases == 2
    assert {e.source for e in report.errors if e.source} == {"case 2", "case 3", "case 4"}


def test_a_deeply_nested_case_through_the_api(registry: Any, make_case: Any) -> None:
    deep: Any = []
    for _ in range(sys.getrecursionlimit() * 2):
        deep = [deep]
    report = inspectkit.rate(registry, EDITION, [make_case("C1"), make_case(deep), make_case("C3", edition=deep)])
    assert report.cases == 1 and {e.source for e in report.errors if e.source} == {"case 2", "case 3"}


def test_json_output_is_strict_whatever_the_data() -> None:
    from inspectkit.cli import _json_text

    assert strict_json(_json_text({"a": float("nan"), "b": [float("inf"), 1.5], "c": "x"})) == {
        "a": None,
        "b": [None, 1.5],
        "c": "x",
    }
