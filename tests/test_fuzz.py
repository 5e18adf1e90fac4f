"""The fuzz suite: hostile inputs of every family the loader, rate and check meet, each of which may only
give a result or an inspectkit error naming where it is, never a crash, a hang or a run that stops.

Runs derandomised and bounded with the normal suite (a few seconds); ``INSPECTKIT_FUZZ=long`` runs a long,
random profile on demand (``INSPECTKIT_FUZZ=long python -m pytest tests/test_fuzz.py``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inspectkit
from inspectkit import loading
from inspectkit.errors import InspectkitError

LONG = os.environ.get("INSPECTKIT_FUZZ") == "long"
EDITION = "tiny_2024"
TINY = Path(__file__).parent / "tiny"


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples * 50 if LONG else examples,
        deadline=None,
        derandomize=not LONG,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# ------------------------------------------------------------------------------------------ YAML case files

CASE = """schema: 1
edition: tiny_2024
case_id: C1
answers:
  sentence_type: community
  risk: low
  start_date: 2024-01-08
  age: 30
  needs: [drugs]
  summary_text: Steady progress
  contact: {community: weekly}
notes:
  risk: checked
"""
FRAGMENTS = [
    "!!int foo", "!!map [a]", "!!timestamp x", "!!python/object/apply:os.system ['true']", "!x 1",
    "&a [1, 2]", "*a", "*nope", "<<: {a: 1}", "2020-02-30", "2020-13-01", "0000-01-01", "2020-01-01 25:00:00",
    ".nan", ".inf", "-.inf", "1" * 200, "1e999", "0x1F", "0123", "10:30", '"\\ud800"', '"\\udfff"', "~", "",
    "[" * 80 + "]" * 80, "{a: 1, a: 2}", "? [k]\n  : v", "yes", "no", "[1, [2, [3]]]", "{x: {y: {z: 1}}}",
    "'unclosed", "\t", "\x00", "---", "...", "%YAML 1.1", "@", "`", "|\n  text", ">-\n  folded", "- a\n- b",
]  # fmt: skip


@st.composite
def mutated_yaml(draw: Any) -> str:
    lines = CASE.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines)))
        fragment = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=20))
        key = draw(
            st.sampled_from(["  risk", "  age", "  start_date", "case_id", "  needs", "notes", "  x", "edition", "answers"])
        )
        lines.insert(at, f"{key}: {fragment}" if draw(st.booleans()) else fragment)
    return "\n".join(lines) + "\n"


@fuzz(150)
@given(text=mutated_yaml())
def test_any_yaml_case_is_a_result_or_an_error_with_its_file(tmp_path_factory: Any, registry: Any, text: str) -> None:
    path = tmp_path_factory.mktemp("yaml") / "case.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        doc = loading.load_document(path)
    except InspectkitError as exc:
        assert exc.location.file == str(path)
        return
    result = registry.engine(EDITION).assess(doc, source=str(path), line_of=loading.line_finder(doc))
    json.dumps(result.to_dict(), allow_nan=False, default=str)


# ------------------------------------------------------------------------------------------ JSON Lines through rate

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def hostile_case(draw: Any) -> str:
    case: dict[str, Any] = {"schema": 1, "case_id": "X", "answers": {"risk": "low"}}
    for key in draw(st.lists(st.sampled_from(["edition", "case_id", "answers", "notes", "schema", "extra"]), max_size=3)):
        case[key] = draw(json_values)
    if draw(st.booleans()):
        case["answers"] = draw(
            st.dictionaries(st.sampled_from(["risk", "age", "needs", "contact", "start_date", "?"]), json_values)
        )
    line = json.dumps(case)
    raw = draw(
        st.sampled_from(
            [line, line[:-1], line.replace('"X"', '"\\ud800"'), line[:-1] + ', "case_id": "dup"}', "[" * 2000, "NaN", "1" * 5000]
        )
    )
    return raw


@fuzz(60)
@given(bad=st.lists(hostile_case(), min_size=1, max_size=3))
def test_rate_never_stops_on_a_case(tmp_path_factory: Any, registry: Any, make_case: Any, bad: list[str]) -> None:
    path = tmp_path_factory.mktemp("jsonl") / "cases.jsonl"
    good = [json.dumps(make_case(f"G{n}")) for n in range(2)]
    path.write_text("\n".join([good[0], *bad, good[1]]) + "\n", encoding="utf-8", errors="surrogatepass")
    report = inspectkit.rate(registry, EDITION, [path])
    assert report.cases >= 2  # both good cases counted, whatever came between them
    from inspectkit.cli import _json_text

    json.loads(_json_text(report.to_dict()), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


# ------------------------------------------------------------------------------------------ definitions through check

FIELDS = ["max_words", "min", "max", "na", "integer", "parent", "kind", "type", "choices", "scale", "weighs", "overriding",
          "condition", "derive", "feeds", "categories", "optional", "direction", "id", "text", "source"]  # fmt: skip
VALUES = [
    "5", "-1", '"ten"', "2.5", "[]", "[1, [2]]", "{a: 1}", "null", "true", "maybe", "details", "\"2.1\"", "1.10",
    '"' + " + ".join(["age"] * 100) + ' > 1"', "1" * 500, "[" * 70 + "]" * 70, "!!int x", "&q [1]", ".nan", "'{risk} =='",
]  # fmt: skip
TOP = ["scoring", "checks", "sample", "include", "reference", "scales", "matrix", "evidence_for", "weights", "edition"]


@st.composite
def mutated_definition(draw: Any) -> str:
    lines = (TINY / "framework.yaml").read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 3))):
        value = draw(st.sampled_from(VALUES))
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"{draw(st.sampled_from(TOP))}: {value}")
            continue
        item_lines = [i for i, line in enumerate(lines) if line.startswith("  - id: ")]
        at = draw(st.sampled_from(item_lines)) + 1
        lines.insert(at, f"    {draw(st.sampled_from(FIELDS))}: {value}")
    return "\n".join(lines) + "\n"


@fuzz(40)
@given(text=mutated_definition())
def test_check_gives_every_definition_a_verdict(tmp_path_factory: Any, registry: Any, make_case: Any, text: str) -> None:
    from inspectkit import definition
    from inspectkit.lint import check_definition

    folder = tmp_path_factory.mktemp("definition")
    path = folder / "framework.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(TINY / "offences.yaml", folder / "offences.yaml")
    report = check_definition(path, registry)
    assert all("could not be read" not in e.message for e in report.errors), [str(e) for e in report.errors]
    if report.errors:
        return
    fw = definition.load_framework(path, registry.functions, registry.lists)  # what check passes loads ...
    from inspectkit.engine import Engine

    engine = Engine(fw)
    for case in (make_case("C1"), make_case("C2", answers={})):  # ... and runs
        engine.assess(case)
