"""JSON Lines are read a block at a time, and most lines are proved within the limits without walking them:
every line must still come out exactly as checking it in full gives it (the document, or the same error on
the same line), whatever it holds and wherever the blocks and a worker's byte ranges cut the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectkit import loading
from inspectkit.errors import InputError, Location

EDITION = "tiny_2024"
CASE = {"schema": 1, "edition": EDITION, "case_id": "C1", "answers": {"risk": "low", "needs": ["drugs", "housing"]}}
GOOD = json.dumps(CASE, separators=(",", ":"))


def _with(answer: str) -> str:
    """The good case with one more answer, written as raw JSON text (which may hold what JSON parsers forgive)."""
    return GOOD.replace('"answers":{', '"answers":{' + answer + ",", 1)


def _nested(levels: int, inner: str) -> str:
    return "[" * levels + inner + "]" * levels


# Lines a fast path could wave through: each is checked here against the full check, line for line.
LINES = [
    GOOD,
    "",
    "   \t",
    "\r",
    "\ufeff" + GOOD,
    GOOD.replace('"schema":1', '"schema":1,"schema":2'),
    _with('"risk":"high"'),  # a question answered twice, inside answers
    _with('"more":[{"k":1,"k":2}]'),  # a key twice in a mapping inside a list
    _with('"more":{"x":{"y":1,"y":2}}'),
    _with('"note":"at 10:30: seen"'),  # colons in text are not keys
    _with('"note":"at 10:30: seen","risk":"high"'),  # ... nor do they hide a key given twice
    _with('"note":"{{{[[[ a:b","e":{},"e":{}'),
    _with('"ris\\u006b":"high"'),  # the same key, written with an escape
    *(_with('"deep":' + _nested(n, inner)) for n in (62, 63, 64, 65, 66) for inner in ("1", '"s"', "", "{}", '{"a":1}')),
    _with('"deep":' + '{"a":' * 62 + "1" + "}" * 62),
    _with('"deep":' + '{"a":' * 63 + "1" + "}" * 63),
    *(_with('"big":' + sign + "9" * digits) for digits in (19, 20, 101) for sign in ("", "-")),
    _with('"big":1e400'),
    _with('"big":NaN'),
    _with('"s":"\\ud800"'),
    GOOD[:-9],
    '["not","a","case"]',
    "3",
    "{}",
    GOOD + "\r",
    json.dumps(CASE),  # spaces after the separators
    # on the limit exactly, with no other list or mapping to loosen a bound (lines 56 to 59)
    '{"answers":{"deep":' + _nested(62, "1") + "}}",
    '{"answers":{"deep":' + _nested(63, "1") + "}}",
    '{"answers":' + '{"a":' * 63 + "1" + "}" * 64,
    '{"answers":' + '{"a":' * 64 + "1" + "}" * 65,
    GOOD,
]


def _in_full(raw: bytes, path: Path, number: int | None = None, whole_file: bool = False) -> Any:
    """``load_json`` walking the whole document, as it does when nothing is proved."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "_INTS_IN_RANGE", False)
        try:
            return loading.load_json(raw, str(path), number, whole_file)
        except InputError as exc:
            return exc


def _reference(path: Path, start: int = 0, end: int | None = None, first: int = 1) -> list[Any]:
    """What every line gives when read a line at a time and checked in full."""
    return [
        (n, raw if isinstance(raw, InputError) else _in_full(raw, path, n))
        for n, raw in loading.raw_lines(path, start, end, first)
    ]


def _one_by_one(path: Path) -> list[Any]:
    """What every line gives read a line at a time, each handed to ``load_json_line`` (as export's workers do)."""
    return [
        (n, raw if isinstance(raw, InputError) else loading.load_json_line(raw, Location(str(path), n)))
        for n, raw in loading.raw_lines(path)
    ]


def _shown(got: list[Any]) -> list[Any]:
    return [(n, (d.message, d.location, d.hint) if isinstance(d, InputError) else d) for n, d in got]


def _file(tmp_path: Path, lines: list[str], last_newline: bool = True) -> Path:
    path = tmp_path / "cases.jsonl"
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    data += b"\n" + GOOD.encode()[:-1] + b"\xe9}\n"  # not UTF-8
    path.write_bytes(data + (b"\n" if last_newline else b""))
    return path


@pytest.mark.parametrize("block", [None, 1, 7, 300])
@pytest.mark.parametrize("last_newline", [True, False])
def test_every_line_reads_as_checking_it_in_full_gives_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int | None, last_newline: bool
) -> None:
    if block:
        monkeypatch.setattr(loading, "_BLOCK_BYTES", block)
    lines = [*LINES, GOOD[:-3]] if not last_newline else LINES
    path = _file(tmp_path, lines, last_newline)
    got = list(loading.json_lines(path))
    assert _shown(got) == _shown(_reference(path)) == _shown(_one_by_one(path))
    assert [n for n, _ in got] == [n + 1 for n, line in enumerate(lines) if line.strip()] + [len(lines) + 1]
    for start, end, first in loading.line_starts(path, 5, 1000):
        assert _shown(list(loading.json_lines(path, start, end, first))) == _shown(_reference(path, start, end, first))


def test_what_a_fast_read_must_still_refuse(tmp_path: Path) -> None:
    got = dict(loading.json_lines(_file(tmp_path, LINES)))
    assert got[6].message == "key 'schema' is given twice; keep one" and got[6].location.line == 6
    assert got[7].message == "key 'risk' is given twice; keep one"
    assert got[8].message == "key 'k' is given twice; keep one"
    assert got[9].message == "key 'y' is given twice; keep one"
    assert isinstance(got[10], dict)
    assert got[11].message == "key 'risk' is given twice; keep one"
    assert got[12].message == "key 'e' is given twice; keep one"
    assert got[13].message == "key 'risk' is given twice; keep one"
    # lists nested 62 to 66 deep inside answers, around 1, "s", nothing, {} and {"a": 1} (lines 14 to 38): the case
    # and its answers are two levels, and the limit is on the levels of lists, mappings and whole numbers
    refused = [line for line in range(14, 39) if isinstance(got[line], InputError)]
    assert refused == [18, 19, 22, 23, *range(24, 39)]
    assert {got[line].message for line in refused} == {"nested too deeply (the limit is 64 levels)"}
    assert isinstance(got[39], dict) and got[40].message == "nested too deeply (the limit is 64 levels)"
    assert isinstance(got[56], dict) and got[57].message == "nested too deeply (the limit is 64 levels)"
    assert isinstance(got[58], dict) and got[59].message == "nested too deeply (the limit is 64 levels)"


def test_a_line_over_the_limit_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(loading, "_BLOCK_BYTES", 64)
    path = tmp_path / "cases.jsonl"
    path.write_text('{"case_id": "A"}\n{"case_id": "' + "B" * 5000 + '"}\n{"case_id": "C"}\n{"case_id": "' + "D" * 200 + '"}')
    got = list(loading.json_lines(path))
    assert [n for n, _ in got] == [1, 2, 3, 4]
    assert got[1][1].message == "line is 5,016 bytes, over the limit of 100" and got[1][1].location.line == 2
    assert got[2][1] == {"case_id": "C"}
    assert got[3][1].message == "line is 215 bytes, over the limit of 100"  # the last line has no newline to count
    assert _shown(got) == _shown(_reference(path))


def test_limits_changed_by_the_environment_are_kept(tmp_path: Path) -> None:
    """The limits are read when inspectkit starts: a fast read must keep a lower limit for numbers and depth."""
    path = tmp_path / "cases.jsonl"
    path.write_text(_with('"n":123456') + "\n" + _with('"n":12345') + "\n" + _with('"n":[[[1]]]') + "\n")
    code = (
        "import sys; from pathlib import Path; from inspectkit.loading import json_lines\n"
        "for n, d in json_lines(Path(sys.argv[1])): print(n, getattr(d, 'message', 'ok'))"
    )
    env = {**os.environ, "INSPECTKIT_MAX_NUMBER_DIGITS": "5", "INSPECTKIT_MAX_DEPTH": "4"}
    out = subprocess.run([sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "1 a number longer than 5 digits",
        "2 ok",
        "3 nested too deeply (the limit is 4 levels)",
    ]


def test_rate_names_the_line_of_a_key_given_twice_inside_answers(cli: Any, write: Any, make_case: Any) -> None:
    good = json.dumps(make_case("C1"))
    twice = json.dumps(make_case("C2")).replace('"answers": {', '"answers": {"risk": "high", ', 1)
    deep = json.dumps(make_case("C3")).replace('"answers": {', '"answers": {"extra": ' + _nested(65, "1") + ", ", 1)
    path = write("cases.jsonl", good + "\n" + twice + "\n" + deep + "\n")
    result = cli("rate", "-e", EDITION, path, "--format", "json")
    assert result.exit_code == 1
    assert f"error: {path}:2: key 'risk' is given twice; keep one" in result.stderr
    assert f"error: {path}:3: nested too deeply (the limit is 64 levels)" in result.stderr, result.stderr


_keys = st.sampled_from(["a", "b", "risk", "a:b", "{", "[x"])
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from(["x", "10:30", "{[", "a:b:c", ""]))
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=3) | st.lists(st.tuples(_keys, inner), max_size=3), max_leaves=12
)


def _text(value: Any) -> str:
    """JSON text for a value, where a list of (key, value) pairs is a mapping that may give a key twice."""
    if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
        return "{" + ",".join(f"{json.dumps(k)}:{_text(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return json.dumps(value)


@settings(max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.lists(st.tuples(_keys, _values), max_size=4), st.integers(0, 70)), min_size=1, max_size=6))
def test_any_line_reads_as_checking_it_in_full_gives_it(tmp_path_factory: Any, docs: list[Any]) -> None:
    path = tmp_path_factory.mktemp("lines") / "cases.jsonl"
    lines = ['{"answers":' + _nested(depth, _text(pairs) if pairs else "{}") + "}" for pairs, depth in docs]
    path.write_text("\n".join(lines) + "\n")
    assert _shown(list(loading.json_lines(path))) == _shown(_reference(path)) == _shown(_one_by_one(path))


def test_a_json_case_file_reads_as_checking_it_in_full_gives_it(tmp_path: Path) -> None:
    """A .json case file is proved within the limits the same way: each line above, as a file of its own, gives
    the same document or the same error as the full check, and a key given twice is still found on its line."""
    for n, line in enumerate(LINES):
        if not line.strip():
            continue
        path = tmp_path / f"case{n}.json"
        path.write_text(line, encoding="utf-8", errors="surrogatepass")
        try:
            fast = loading.load_document(path)
        except InputError as exc:
            fast = exc
        assert _shown([(0, fast)]) == _shown([(0, _in_full(path.read_bytes(), path, whole_file=True))]), line[:80]
    twice = tmp_path / "twice.json"
    twice.write_text('{\n  "case_id": "C1",\n  "answers": {\n    "risk": "low",\n    "risk": "high"\n  }\n}\n')
    with pytest.raises(InputError) as info:
        loading.load_document(twice)
    assert info.value.message == "key 'risk' is given twice; keep one" and info.value.location.line == 5
