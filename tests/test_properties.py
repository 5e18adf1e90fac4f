"""Property tests: whatever text a user writes, the only outcomes are a result or an inspectkit error.

A rule's text goes to the condition parser and checker; a case file's text goes to the loader and the
engine. Any other exception (TypeError, KeyError, RecursionError ...) would reach the user as a crash.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspectkit import expressions, files
from inspectkit.engine import _Env
from inspectkit.errors import ExpressionError, InspectkitError

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# ------------------------------------------------------------------------------------------ the condition language

REFS = [
    "risk", "age", "needs", "contact", "sentence_type", "start_date", "end_date", "{2.1.1.a}", "{2.2.a}",
    "case_ended", "order_months", "offence", "weeks_supervised", "long_order", "risk_band", "nope",
]  # fmt: skip
LITERALS = ['"low"', '"high"', '"yes"', '"n/a"', '"custody"', '"drugs"', '"weekly"', "1", "2.5", "0", "true", "false"]
LITERALS += ['date("2024-01-01")', '["low", "high"]', "[1, 2]", "[]", '"tiny_offences"', '"prison"', '"met"']
FUNCTIONS = ["answered", "is_na", "count", "weeks_between", "months_between", "days_between", "is_long", "date"]
FUNCTIONS += ["in_list", "list_group", "category", "frobnicate"]
OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "and", "or", "+", "-"]


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(" ".join),
        inner.map(lambda x: f"not {x}"),
        inner.map(lambda x: f"({x})"),
        inner.map(lambda x: f"-{x}"),
        st.tuples(inner, inner, inner).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
        st.tuples(st.sampled_from(FUNCTIONS), st.lists(inner, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
    )


# well-formed-ish expressions (most type-check or fail in the checker) and plain noise (most fail to parse)
RULES = st.one_of(
    st.recursive(st.sampled_from(REFS + LITERALS), _grow, max_leaves=8),
    st.lists(
        st.sampled_from(REFS + LITERALS + OPERATORS + FUNCTIONS + ["(", ")", "[", "]", ",", "{", "}", "if", "then", "else"])
    ).map(" ".join),
    st.text(max_size=40),
)

ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "risk": st.sampled_from(["low", "high", "very_high"]),
        "age": st.integers(10, 100),
        "needs": st.sampled_from([["drugs"], [], ["alcohol", "drugs"]]),
        "contact": st.sampled_from([{"prison": "none"}, {}, {"community": "weekly"}]),
        "sentence_type": st.sampled_from(["custody", "licence", "community"]),
        "start_date": st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
        "end_date": st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
        "2.1.1.a": st.sampled_from(["yes", "no", "n/a"]),
        "case_ended": st.sampled_from(["yes", "no"]),
        "order_months": st.integers(1, 36),
        "offence": st.sampled_from(["assault", "theft"]),
    },
)


class Scope:
    def __init__(self, framework: Any):
        self.types = {q.id: q.answer.static_type(q.id) for q in framework.case_questions if q.answer is not None}

    def type_of(self, qid: str) -> Any:
        return self.types.get(qid)

    def ids(self) -> Any:
        return self.types.keys()


@SETTINGS
@given(text=st.one_of(st.text(), RULES))
def test_the_parser_gives_a_tree_or_an_expression_error(text: str) -> None:
    try:
        tree = expressions.parse(text)
    except ExpressionError as exc:
        assert exc.position is not None and 0 <= exc.position <= len(text)
        return
    assert isinstance(tree, expressions.Node)


@SETTINGS
@given(text=RULES, answers=ANSWERS)
def test_a_rule_builds_or_fails_cleanly_and_then_evaluates(
    registry: Any, engine: Any, text: str, answers: dict[str, Any]
) -> None:
    scope = Scope(engine.framework)
    try:
        rule = expressions.build(text, scope, registry.functions, registry.lists)
    except ExpressionError:
        return
    valid = {qid: engine.validators[qid](value) for qid, value in answers.items()}
    value = rule(_Env(engine, valid))
    assert value is expressions.UNKNOWN or value is not None


# ------------------------------------------------------------------------------------------ case files

IDS = ["schema", "edition", "case_id", "answers", "notes", "risk", "age", "needs", "contact", "2.1.1", "2.1.1.c", "2.2.a",
       "end_date", "case_ended", "provider", "9.9", "details", "risk_band", "nope"]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.dates(),
    st.sampled_from(
        ["yes", "no", "n/a", "low", "high", "custody", "2024-01-01", "met", "weekly", "drugs", "prison", "tiny_2024"]
    ),
)
KEYS = st.one_of(st.sampled_from(IDS), st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=5))
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=3), max_leaves=12
)
CASES = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "schema": st.one_of(st.just(1), SCALARS),
            "edition": st.one_of(st.just("tiny_2024"), SCALARS),
            "case_id": VALUES,
            "answers": st.one_of(st.dictionaries(st.one_of(st.sampled_from(IDS), KEYS), VALUES, max_size=10), VALUES),
            "notes": VALUES,
            "extra": SCALARS,
        },
    ),
    VALUES,
)


def _assess_file(engine: Any, path: Path) -> None:
    try:
        doc = files.load_document(path)
    except InspectkitError:
        return
    result = engine.assess(doc, source=str(path), line_of=lambda keys: files.yaml_line_of(path, keys))
    json.dumps(result.to_dict(), default=str)  # the result can always be printed


@SETTINGS
@given(text=st.text())
def test_any_text_as_a_yaml_case_file(engine: Any, tmp_path: Path, text: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    _assess_file(engine, path)


@SETTINGS
@given(text=st.text())
def test_any_text_as_a_json_case_file(engine: Any, tmp_path: Path, text: str) -> None:
    path = tmp_path / "case.json"
    path.write_text(text, encoding="utf-8")
    _assess_file(engine, path)


@SETTINGS
@given(doc=CASES)
def test_any_yaml_document_as_a_case(engine: Any, tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    _assess_file(engine, path)


@SETTINGS
@given(doc=CASES)
def test_any_json_document_as_a_case(engine: Any, tmp_path: Path, doc: Any) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(doc, default=str), encoding="utf-8")
    _assess_file(engine, path)


@SETTINGS
@given(docs=st.lists(CASES, max_size=6), inspection=st.one_of(st.none(), VALUES))
def test_rate_never_crashes_on_odd_cases(registry: Any, docs: list[Any], inspection: Any) -> None:
    from inspectkit.aggregate import rate

    report = rate(registry, "tiny_2024", docs, inspection)
    assert report.cases + len(report.excluded) == len(docs)
    json.dumps(report.to_dict(), default=str)


# ------------------------------------------------------------------------------------------ rate agrees with assess


@SETTINGS
@given(seed=st.integers(0, 10**6), drop=st.lists(st.sampled_from(IDS[5:] + ["2.1.1.a", "2.2.a.1", "sentence_type"]), max_size=6))
def test_rate_counts_what_assess_judges(registry: Any, engine: Any, seed: int, drop: list[str]) -> None:
    """`rate` evaluates cases its own lean way: each item's count must match the judgement `assess` shows."""
    import random

    from inspectkit.aggregate import rate
    from inspectkit.synth import make_case

    case = make_case(engine, random.Random(seed), "C")
    for qid in drop:
        case["answers"].pop(qid, None)
    result = engine.assess(case)
    report = rate(registry, "tiny_2024", [case], {"answers": {"provider": "nps", "1.1": "good"}})
    if result.errors or not result.in_sample:
        assert report.cases == 0
        return
    for item_id in ("2.1.1", "2.1.2", "2.2.a"):
        judged = result.judgements[item_id]
        expected = (1, 1) if judged in ("yes", "met") else (0, 1) if judged in ("no", "not_met") else (0, 0)
        tally = report.items[item_id]
        assert (tally.numerator, tally.denominator) == expected, (item_id, judged, case)
