"""The condition language: parsing, type checks at load time, and evaluation with unknown answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inspectkit import expressions
from inspectkit.engine import _Env
from inspectkit.errors import ExpressionError
from inspectkit.expressions import UNKNOWN, BoolOp, Compare, IfElse, Ref


class TinyScope:
    """The tiny edition's case questions (and case scores), as the definition loader gives them to rules."""

    def __init__(self, framework: Any):
        self.types = {q.id: q.answer.static_type(q.id) for q in framework.case_questions if q.answer is not None}
        for score in framework.scoring.case_scores:
            self.types.setdefault(score.id, expressions.Type("text", codes=frozenset({"met", "not_met"})))

    def type_of(self, qid: str) -> Any:
        return self.types.get(qid)

    def ids(self) -> Any:
        return self.types.keys()


@pytest.fixture
def build(registry: Any, framework: Any) -> Any:
    scope = TinyScope(framework)

    def build(text: str, expect: str | None = None) -> expressions.Expression:
        return expressions.build(text, scope, registry.functions, registry.lists, expect=expect)

    return build


@pytest.fixture
def ev(build: Any, engine: Any) -> Any:
    """Evaluate ``text`` against a case with these answers (validated as the engine does)."""

    def ev(text: str, **answers: Any) -> Any:
        valid = {}
        for key, value in answers.items():
            qid = key.replace("__", ".")
            valid[qid] = engine.validators[qid](value)
        return build(text)(_Env(engine, valid))

    return ev


def cond(ev: Any, text: str, **answers: Any) -> Any:
    """A condition's three-valued result: True, False or UNKNOWN."""
    return expressions.truth(ev(text, **answers))


# ------------------------------------------------------------------------------------------ parsing


def test_and_binds_tighter_than_or() -> None:
    tree = expressions.parse('a or b and c == "x"')
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.operands[1], BoolOp) and tree.operands[1].op == "and"
    assert isinstance(tree.operands[1].operands[1], Compare)


def test_braces_take_ids_that_start_with_a_digit() -> None:
    tree = expressions.parse('{2.1.1.a} == "yes"')
    assert isinstance(tree, Compare) and isinstance(tree.left, Ref) and tree.left.id == "2.1.1.a"


def test_not_in_is_one_operator() -> None:
    tree = expressions.parse('risk not in ["low"]')
    assert isinstance(tree, Compare) and tree.op == "notin"


def test_if_then_else_nests_in_the_else() -> None:
    tree = expressions.parse('if a then "x" else if b then "y" else "z"')
    assert isinstance(tree, IfElse) and isinstance(tree.otherwise, IfElse)


def test_an_if_without_else_has_no_value_when_its_condition_is_not_true() -> None:
    tree = expressions.parse('if a then "x"')
    assert isinstance(tree, IfElse) and tree.otherwise is None


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ('risk == "low" and', 18),
        ('risk == "low" )', 15),
        ("weeks_between(a, b", 19),
        ('risk == "low', 9),
        ("{}", 1),
        ("", 1),
        ("if a else b", 6),
        ("a = b", 3),
    ],
)
def test_syntax_error_names_the_column(text: str, column: int) -> None:
    with pytest.raises(ExpressionError) as info:
        expressions.parse(text)
    assert f"column {column}" in str(info.value)


def test_parse_refuses_what_is_not_text() -> None:
    with pytest.raises(ExpressionError, match="must be text"):
        expressions.parse(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["(" * 400 + "1" + ")" * 400, "-" * 2000 + "1", "not " * 1000 + "true"])
def test_deep_nesting_is_an_expression_error(text: str) -> None:
    with pytest.raises(ExpressionError):
        expressions.parse(text)


# ------------------------------------------------------------------------------------------ three-valued logic


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        # unanswered is unknown; a comparison with unknown is unknown
        ("age > 18", {}, UNKNOWN),
        ("age > 18", {"age": 30}, True),
        # false and unknown is false; true and unknown is unknown
        ("age > 18 and case_ended", {"age": 12}, False),
        ("age > 18 and case_ended", {"age": 30}, UNKNOWN),
        ("age > 18 and case_ended", {"age": 30, "case_ended": "yes"}, True),
        # true or unknown is true; false or unknown is unknown
        ("age > 18 or case_ended", {"age": 30}, True),
        ("age > 18 or case_ended", {"age": 12}, UNKNOWN),
        ("age > 18 or case_ended", {"age": 12, "case_ended": "no"}, False),
        # not unknown is unknown
        ("not case_ended", {}, UNKNOWN),
        ("not case_ended", {"case_ended": "no"}, True),
        # a yes/no question alone means "answered yes"
        ("case_ended", {"case_ended": "yes"}, True),
        ("case_ended", {"case_ended": "no"}, False),
        # n/a compares as the string "n/a" and is not "yes"
        ('{2.1.1.a} == "n/a"', {"2__1__1__a": "n/a"}, True),
        ("{2.1.1.a}", {"2__1__1__a": "n/a"}, False),
        ('{2.1.1.a} != "yes"', {"2__1__1__a": "n/a"}, True),
    ],
)
def test_three_valued_logic(ev: Any, text: str, answers: dict[str, Any], expected: Any) -> None:
    assert cond(ev, text, **answers) is expected


def test_unknown_has_no_plain_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(UNKNOWN)


# ------------------------------------------------------------------------------------------ values


@pytest.mark.parametrize(
    ("risk", "at_least_medium", "above_high"),
    [("low", False, False), ("medium", True, False), ("high", True, False), ("very_high", True, True)],
)
def test_ordered_scale_compares_by_order_not_alphabet(ev: Any, risk: str, at_least_medium: bool, above_high: bool) -> None:
    # alphabetically "very_high" < "medium" < "low"; on the scale it is the other way round
    assert cond(ev, 'risk >= "medium"', risk=risk) is at_least_medium
    assert cond(ev, 'risk > "high"', risk=risk) is above_high
    assert cond(ev, 'risk < "medium"', risk=risk) is (risk == "low")


def test_in_and_not_in_a_list_of_codes(ev: Any) -> None:
    assert cond(ev, 'sentence_type in ["licence", "custody"]', sentence_type="custody") is True
    assert cond(ev, 'sentence_type in ["licence", "custody"]', sentence_type="community") is False
    assert cond(ev, 'sentence_type not in ["licence", "custody"]', sentence_type="community") is True
    assert cond(ev, 'sentence_type in ["licence", "custody"]') is UNKNOWN
    assert cond(ev, "age in [17, 18]", age=18) is True


def test_in_and_not_in_a_multi_answer(ev: Any) -> None:
    assert cond(ev, '"drugs" in needs', needs=["alcohol", "drugs"]) is True
    assert cond(ev, '"drugs" in needs', needs=["alcohol"]) is False
    assert cond(ev, '"drugs" not in needs', needs=["alcohol"]) is True
    assert cond(ev, '"drugs" in needs', needs=[]) is False
    assert cond(ev, '"drugs" in needs') is UNKNOWN


def test_numbers_and_arithmetic(ev: Any) -> None:
    assert cond(ev, "age + 1 >= 18", age=17) is True
    assert cond(ev, "age - 1 >= 18", age=18) is False
    assert ev("-age", age=20) == -20
    assert ev("age + 1") is UNKNOWN
    assert cond(ev, "order_months >= 12", order_months=12) is True


def test_weeks_between_counts_whole_weeks(ev: Any) -> None:
    assert ev("weeks_between(start_date, end_date)", start_date="2024-01-01", end_date="2024-01-29") == 4
    assert ev("weeks_between(start_date, end_date)", start_date="2024-01-01", end_date="2024-01-28") == 3
    assert ev("days_between(start_date, end_date)", start_date="2024-01-01", end_date="2024-01-28") == 27
    assert ev("weeks_between(start_date, end_date)", start_date="2024-01-01") is UNKNOWN


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2024-01-31", "2024-02-29", 0),  # not a whole month yet
        ("2024-01-31", "2024-03-31", 2),
        ("2024-01-15", "2024-02-15", 1),
        ("2024-01-15", "2024-02-14", 0),
        ("2023-11-30", "2024-02-01", 2),
    ],
)
def test_months_between_counts_whole_calendar_months(ev: Any, start: str, end: str, months: int) -> None:
    assert ev("months_between(start_date, end_date)", start_date=start, end_date=end) == months


def test_date_literals_and_date_arithmetic(ev: Any) -> None:
    assert cond(ev, 'start_date < date("2024-02-01")', start_date="2024-01-31") is True
    assert cond(ev, 'start_date < date("2024-02-01")', start_date="2024-02-01") is False
    assert ev("start_date + 7", start_date="2024-01-31") == dt.date(2024, 2, 7)
    assert ev("end_date - start_date", start_date="2024-01-01", end_date="2024-01-11") == 10


def test_date_arithmetic_past_the_last_date_is_unknown(ev: Any) -> None:
    assert ev("start_date + 7", start_date="9999-12-30") is UNKNOWN


def test_if_then_else(ev: Any) -> None:
    text = 'if risk >= "high" then "raised" else if risk == "medium" then "watch" else "standard"'
    assert ev(text, risk="very_high") == "raised"
    assert ev(text, risk="medium") == "watch"
    assert ev(text, risk="low") == "standard"
    assert ev(text) is UNKNOWN  # the condition is unknown, so is the value


def test_answered_counts_n_a_as_an_answer(ev: Any) -> None:
    assert cond(ev, "answered({2.1.1.a})", **{"2__1__1__a": "n/a"}) is True
    assert cond(ev, "answered({2.1.1.a})", **{"2__1__1__a": "no"}) is True
    assert cond(ev, "answered({2.1.1.a})") is False
    assert cond(ev, "not answered(age) or age > 18") is True


def test_is_na_only_for_n_a(ev: Any) -> None:
    assert cond(ev, "is_na({2.1.1.a})", **{"2__1__1__a": "n/a"}) is True
    assert cond(ev, "is_na({2.1.1.a})", **{"2__1__1__a": "no"}) is False
    assert cond(ev, "is_na({2.1.1.a})") is False


def _kleene(op: str, a: Any, b: Any) -> Any:
    if op == "and":
        return False if False in (a, b) else True if (a, b) == (True, True) else UNKNOWN
    return True if True in (a, b) else False if (a, b) == (False, False) else UNKNOWN


@pytest.mark.parametrize("op", ["and", "or"])
def test_a_test_opening_and_or_or_reads_as_kleene_logic(ev: Any, op: str) -> None:
    """``Q == "yes" and/or R`` (the test read inside the closure) gives what each side gives, combined in
    three-valued logic, for every answer, n/a and unanswered included, and for a side that reads n/a."""
    for first in (None, "yes", "no", "n/a"):
        for second in (None, "yes", "no", "n/a"):
            answers = {k: v for k, v in (("2__1__1__a", first), ("2__1__1__b", second)) if v is not None}
            for right in ("{2.1.1.b}", "is_na({2.1.1.b})", "not is_na({2.1.1.b})"):
                text = f'{{2.1.1.a}} == "yes" {op} {right}'
                want = _kleene(op, cond(ev, '{2.1.1.a} == "yes"', **answers), cond(ev, right, **answers))
                assert cond(ev, text, **answers) is want, (text, answers)


def test_count_of_a_multi_answer(ev: Any) -> None:
    assert ev("count(needs)", needs=["drugs", "alcohol"]) == 2
    assert ev("count(needs)", needs=[]) == 0
    assert ev("count(needs)") is UNKNOWN


def test_category_reads_one_category(ev: Any) -> None:
    assert ev('category(contact, "prison")', contact={"prison": "none", "community": "weekly"}) == "none"
    assert ev('category(contact, "prison")', contact={"community": "weekly"}) is UNKNOWN
    assert cond(ev, 'category(contact, "community") == "weekly"', contact={"community": "weekly"}) is True


def test_reference_list_functions(ev: Any) -> None:
    assert cond(ev, 'in_list("tiny_offences", offence)', offence="arson") is True
    assert ev('list_group("tiny_offences", offence)', offence="arson") == "violent"
    assert ev('list_group("tiny_offences", offence)', offence="theft") == "acquisitive"
    assert ev('list_group("tiny_offences", offence)') is UNKNOWN


def test_a_plugin_function(ev: Any) -> None:
    assert cond(ev, "is_long(order_months)", order_months=12) is True
    assert cond(ev, "is_long(order_months)", order_months=11) is False
    assert cond(ev, "is_long(order_months)") is UNKNOWN


def test_an_expression_lists_the_ids_it_reads(build: Any) -> None:
    e = build('risk >= "high" and {2.1.1.a} == "yes" or weeks_between(start_date, end_date) < 4')
    assert e.reads == {"risk", "2.1.1.a", "start_date", "end_date"}


# ------------------------------------------------------------------------------------------ checked at load


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('rsk == "low"', ["unknown question id 'rsk'", "did you mean risk?"]),
        ("{2.1.1.z} == 'yes'", ["unknown question id '2.1.1.z'", "did you mean 2.1.1."]),
        ("weeks_betwen(start_date, end_date) > 1", ["unknown function 'weeks_betwen'", "did you mean weeks_between?"]),
        ("weeks_between(start_date) > 1", ["weeks_between() takes 2 argument(s), not 1"]),
        ("weeks_between(age, end_date) > 1", ["weeks_between() needs date", "age (number)"]),
        ("count(risk) > 1", ["count() needs list"]),
        ("answered(1)", ["answered() takes a question id"]),
        ('risk == "severe"', ["risk has no choice 'severe'", "low, medium"]),
        ('risk == "hihg"', ["did you mean high?"]),
        ('"heroin" in needs', ["needs has no choice 'heroin'"]),
        ('sentence_type in ["licence", "prison"]', ["has no choice 'prison'"]),
        ('age == "old"', ["cannot compare age (number) with text"]),
        ("age == start_date", ["cannot compare age (number) with start_date (date)"]),
        ('sentence_type > "community"', ["needs numbers, dates or an ordered scale"]),
        ("case_ended > 1", ["cannot compare"]),
        ('"low" in risk', ["'in' needs a list"]),
        ('category(contact, "jail") == "none"', ["contact has no category 'jail'"]),
        ('category(age, "jail") == "none"', ["age is not a per-category question"]),
        ('in_list("offences", offence)', ["unknown reference list 'offences'", "did you mean tiny_offences?"]),
        ("in_list(offence)", ["takes a list name and a value"]),
        ('if case_ended then 1 else "x"', ["'then' gives number but 'else' gives text"]),
        ("age + start_date > 1", ["cannot add"]),
        ('[1, "a"]', ["a list mixes number and text"]),
    ],
)
def test_load_time_errors(build: Any, text: str, words: list[str]) -> None:
    with pytest.raises(ExpressionError) as info:
        build(text)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "column" in message


def test_a_condition_must_be_yes_or_no(build: Any) -> None:
    with pytest.raises(ExpressionError, match="not yes/no"):
        build("age", expect="bool")
    with pytest.raises(ExpressionError, match="not yes/no"):
        build("risk and case_ended", expect="bool")
    build("case_ended", expect="bool")  # a yes/no question alone is fine


def test_n_a_is_a_code_only_where_the_question_allows_it(build: Any) -> None:
    build('{2.1.1.a} == "n/a"')
    with pytest.raises(ExpressionError, match="no choice 'n/a'"):
        build('{2.1.1.c} == "n/a"')


# ------------------------------------------------------------------------------------------ compiled shapes


def _plain_reading(node: Any, vals: dict[str, Any], ranks: dict[str, dict[str, int]]) -> Any:
    """A rule read node by node with three-valued logic: what every compiled shortcut must agree with."""
    if isinstance(node, expressions.Literal):
        return node.value
    if isinstance(node, expressions.Ref):
        return vals.get(node.id, UNKNOWN)
    if isinstance(node, expressions.ListLit):
        return tuple(_plain_reading(i, vals, ranks) for i in node.items)
    if isinstance(node, expressions.Unary):  # "not" only, below
        v = expressions.truth(_plain_reading(node.operand, vals, ranks))
        return v if v is UNKNOWN else not v
    if isinstance(node, BoolOp):
        results = [expressions.truth(_plain_reading(o, vals, ranks)) for o in node.operands]
        decisive, other = (False, True) if node.op == "and" else (True, False)
        return decisive if decisive in results else UNKNOWN if UNKNOWN in results else other
    if isinstance(node, IfElse):
        v = expressions.truth(_plain_reading(node.cond, vals, ranks))
        if v is UNKNOWN:
            return UNKNOWN
        if v:
            return _plain_reading(node.then, vals, ranks)
        return UNKNOWN if node.otherwise is None else _plain_reading(node.otherwise, vals, ranks)
    if isinstance(node, expressions.Call):  # count() only, below
        v = _plain_reading(node.args[0], vals, ranks)
        return UNKNOWN if v is UNKNOWN or v == "n/a" else len(v)
    assert isinstance(node, Compare)
    a, b = _plain_reading(node.left, vals, ranks), _plain_reading(node.right, vals, ranks)
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if node.op in ("in", "notin"):
        return (b != "n/a" and a in b) != (node.op == "notin")
    if node.op in ("==", "!="):
        return (a == b) != (node.op == "!=")
    if isinstance(node.left, Ref) and node.left.id in ranks:
        rank = ranks[node.left.id]
        if a not in rank or b not in rank:
            return False
        a, b = rank[a], rank[b]
    elif a == "n/a" or b == "n/a":
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[node.op]


@pytest.mark.parametrize(
    "text",
    [
        'sentence_type == "community"',
        'sentence_type != "community"',
        'sentence_type in ["community", "licence"]',
        'sentence_type not in ["community", "licence"]',
        'risk >= "high"',
        'risk < "medium"',
        '{2.1.1.a} == "n/a"',
        'sentence_type == "custody" and case_ended == "yes"',
        'sentence_type == "custody" or case_ended == "yes"',
        'sentence_type == "custody" and case_ended == "yes" and risk >= "high"',
        'sentence_type == "custody" or case_ended != "yes" or risk <= "medium"',
        'sentence_type == "custody" and case_ended == "yes" and risk >= "high" and {2.1.1.a} != "no"',
        'sentence_type in ["custody"] or case_ended == "yes" or risk >= "high" or {2.1.1.a} == "n/a"',
        '(sentence_type == "custody" or risk == "low") and case_ended == "yes"',
        '(sentence_type == "custody" or risk == "low") or not (case_ended == "yes")',
        'not (risk > "low" and case_ended == "no") and order_months >= 12',
        'case_ended and risk >= "medium"',
        "case_ended or {2.1.1.a}",
        '"drugs" in needs and count(needs) >= 2',
        '"drugs" not in needs or order_months < 12',
        'if case_ended == "yes" then "raised" else "standard"',
        'if case_ended then "raised"',
        'if risk >= "high" then order_months else 0',
        'if {2.1.1.a} == "n/a" then "n/a" else if case_ended then "yes" else "no"',
    ],
)
def test_compiled_rules_agree_with_a_plain_reading(build: Any, engine: Any, text: str) -> None:
    """Every shape the compiler writes out (tests of an answer against constants, two- and three-part and/or,
    constant branches) gives what reading the tree node by node gives, for every mix of answers, unanswered,
    n/a and codes off the other side's list included."""
    import itertools

    expr = build(text)
    ranks = {"risk": {code: n for n, code in enumerate(("low", "medium", "high", "very_high"))}}
    choices = {
        "sentence_type": [None, "community", "licence", "custody"],
        "case_ended": [None, "yes", "no"],
        "risk": [None, "low", "medium", "high", "very_high"],
        "2.1.1.a": [None, "yes", "no", "n/a"],
        "order_months": [None, 6, 12],
        "needs": [None, [], ["drugs"], ["drugs", "alcohol"]],
    }
    read = [qid for qid in choices if qid in expr.reads]
    for values in itertools.product(*(choices[qid] for qid in read)):
        answers = {qid: engine.validators[qid](v) for qid, v in zip(read, values, strict=True) if v is not None}
        env = _Env(engine, answers)
        got, want = expr(env), _plain_reading(expr.tree, env.vals, ranks)
        assert got is want or (type(got) is type(want) and got == want), (text, answers, got, want)
