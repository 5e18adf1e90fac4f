"""One case: what applies, derived values, suggestions, checks, the sample, judgement aids and case scores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit.errors import UsageError
from inspectkit.model import AnswerType, Category, Choice, InvalidAnswer


def messages(result: Any, kind: str = "errors") -> list[str]:
    return [f"{m.question}: {m.message}" for m in getattr(result, kind)]


def test_a_good_case_has_no_errors_or_warnings(engine: Any, make_case: Any) -> None:
    result = engine.assess(make_case())
    assert result.ok, messages(result)
    assert result.warnings == ()
    assert result.case_id == "C1" and result.edition == "tiny_2024"
    assert result.in_sample is True


def test_statuses(engine: Any, make_case: Any) -> None:
    result = engine.assess(make_case())
    q = result.questions
    assert q["risk"].status == "answered" and q["risk"].value == "low"
    assert q["risk_band"].status == "derived" and q["risk_band"].value == "standard"
    assert q["2.1.1.c"].status == "not_applicable"  # only where risk >= medium
    assert q["end_date"].status == "not_applicable"  # only where the case ended
    assert q["2.1.2"].status == "not_applicable"  # only on licence
    assert q["2.1.2.a"].status == "not_applicable"  # inside 2.1.2
    assert (q["2.2.a"].status, q["2.2.a"].value) == ("derived", "met")  # not judged: the rules' result stands
    assert "9.9" not in q  # reserved numbers take no answer
    assert "provider" not in q  # inspection-level questions are not per case


def test_a_judgement_left_to_the_rules_says_which_of_three_it_is(engine: Any, make_case: Any, answers: Any) -> None:
    none_apply = engine.assess(make_case(answers=answers(**{"2__2__a__1": "n/a", "2__2__a__2": "n/a"})))
    r = none_apply.questions["2.2.a"]
    assert (r.status, r.value, r.non_answer) == ("not_applicable", None, "not_applicable")  # no indicator applies
    a = answers()
    del a["2.2.a.1"]
    waiting = engine.assess(make_case(answers=a)).questions["2.2.a"]
    assert (waiting.status, waiting.value, waiting.non_answer, waiting.waiting_for) == ("derived", None, "missing", ("2.2.a.1",))
    judged = engine.assess(make_case(answers=answers(**{"2__2__a": "not_met"}))).questions["2.2.a"]
    assert (judged.status, judged.value) == ("answered", "not_met")
    assert none_apply.score_status["2.2.a"] == "not_applicable"
    assert engine.assess(make_case(answers=a)).to_dict()["score_status"]["2.2.a"] == "undecided"


def test_n_a_not_recorded_and_missing_are_kept_apart(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(**{"2__1__1__a": "n/a", "2__1__1__b": None})
    del a["2.2.a.1"]
    result = engine.assess(make_case(answers=a))
    q = result.questions
    assert (q["2.1.1.a"].status, q["2.1.1.a"].value, q["2.1.1.a"].non_answer) == ("answered", "n/a", "n/a")
    assert (q["2.1.1.b"].status, q["2.1.1.b"].value, q["2.1.1.b"].non_answer) == ("missing", None, "not_recorded")
    assert (q["2.2.a.1"].status, q["2.2.a.1"].non_answer) == ("missing", "missing")
    assert (q["2.1.1.c"].status, q["2.1.1.c"].non_answer) == ("not_applicable", "not_applicable")
    assert result.ok


def test_an_unknown_condition_leaves_the_question_open(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers()
    del a["risk"]
    result = engine.assess(make_case(answers=a))
    assert result.questions["2.1.1.c"].status == "missing"  # applies when risk >= medium: not known yet


def test_derived_values(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(
        risk="very_high",
        case_ended="yes",
        start_date="2024-01-01",
        end_date="2024-03-01",
        order_months=12,
        needs=["drugs", "alcohol", "finance"],
        offence="arson",
        **{"2__1__1__c": "yes"},
    )
    result = engine.assess(make_case(answers=a))
    values = {qid: (r.status, r.value) for qid, r in result.questions.items()}
    assert values["risk_band"] == ("derived", "raised")
    assert values["weeks_supervised"] == ("derived", 8)
    assert values["long_order"] == ("derived", "yes")  # a plugin function, given as yes/no
    assert values["need_count"] == ("derived", 3)
    assert values["violent_offence"] == ("derived", "yes")  # list_group on a reference list
    assert result.ok, messages(result)


def test_a_derived_value_that_cannot_be_worked_out_is_missing(engine: Any, make_case: Any) -> None:
    result = engine.assess(make_case())
    r = result.questions["weeks_supervised"]
    assert (r.status, r.value, r.non_answer) == ("derived", None, "missing")


def test_an_answer_to_a_derived_question_is_ignored_with_a_warning(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(risk_band="raised")))
    assert result.questions["risk_band"].value == "standard"
    assert any("worked out by the rules" in w for w in messages(result, "warnings"))


def test_a_suggestion_that_differs_is_a_warning(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(needs=["accommodation"], **{"2__1__1__d": "no"})))
    r = result.questions["2.1.1.d"]
    assert r.suggested == "yes" and r.value == "no"
    (warning,) = [w for w in result.warnings if w.question == "2.1.1.d"]
    assert warning.message == (
        "the answer 'no' differs from what the rules suggest ('yes': expected where accommodation is one of the needs);"
        " check it, or add a note saying why"
    )
    assert "in needs" not in warning.message  # the rule's expression is for --explain, not for the inspector


def test_a_warning_made_once_reads_the_same_for_every_case(engine: Any, make_case: Any, answers: Any) -> None:
    """The suggestion and overriding-factor warnings are made once and kept: later cases get the same text."""
    differs = answers(needs=["accommodation"], **{"2__1__1__d": "no"})
    overridden = answers(risk="high", **{"2__1__1__c": "no", "2__1__1": "yes"})
    for a, qid in ((differs, "2.1.1.d"), (overridden, "2.1.1")):
        first, again = (engine.assess(make_case(answers=a, case_id=f"C{n}")) for n in (1, 2))
        assert [w.message for w in again.warnings] == [w.message for w in first.warnings]
        assert [w for w in again.warnings if w.question == qid]
    (warning,) = [w for w in first.warnings if w.question == "2.1.1"]
    assert warning.message == (
        "judged yes, but the guidance says this outweighs the rest: The risk of harm was not analysed;"
        " add a note saying why the judgement is yes"
    )
    assert engine._differs("2.1.1.d", "no", "yes").message == (
        "the answer 'no' differs from what the rules suggest ('yes': expected where accommodation is one of the needs);"
        " check it, or add a note saying why"
    )


def test_a_rule_without_words_points_to_explain(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(risk_band="raised")))
    (warning,) = [w for w in result.warnings if w.question == "risk_band"]
    assert warning.message == (
        "risk_band is worked out by the rules (assess --explain risk_band shows the rule); the answer given is ignored"
    )


def test_explain_shows_the_rule_and_its_words(engine: Any, make_case: Any, answers: Any) -> None:
    case = make_case(answers=answers(needs=["accommodation"], **{"2__1__1__d": "no"}))
    lines = engine.explain(engine.assess(case), case, "2.1.1.d")
    assert any(x.startswith('  suggested: "accommodation" in needs  ->  true') for x in lines)
    assert "  in words: expected where accommodation is one of the needs" in lines


def test_a_suggestion_that_agrees_is_silent(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(needs=["accommodation"], **{"2__1__1__d": "yes"})))
    assert result.questions["2.1.1.d"].suggested == "yes"
    assert result.warnings == ()


def test_an_unanswered_question_still_shows_its_suggestion(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(needs=["drugs"])
    del a["2.1.1.d"]
    result = engine.assess(make_case(answers=a))
    assert result.questions["2.1.1.d"].suggested == "no"
    assert result.questions["2.1.1.d"].status == "missing"


def test_a_warning_check(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(sentence_type="custody", contact={"community": "weekly"})))
    assert result.ok
    assert "risk: A custodial case is rarely assessed as low risk." in messages(result, "warnings")


def test_an_error_check(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(case_ended="yes", start_date="2024-06-01", end_date="2024-05-01")))
    assert "end_date: The end date is before the start date." in messages(result)


def test_a_check_on_a_category_and_a_plugin_function(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(
        sentence_type="custody",
        risk="high",
        age=16,
        order_months=24,
        contact={"community": "weekly", "prison": "none"},
        **{"2__1__1__c": "yes"},
    )
    result = engine.assess(make_case(answers=a))
    warned = messages(result, "warnings")
    assert "contact: No contact at all while in prison." in warned
    assert "order_months: A long order for a child." in warned
    assert result.ok, messages(result)


def test_sample_exclusion_with_reason(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(case_ended="yes", start_date="2024-01-01", end_date="2024-01-22")))
    assert result.ok
    assert result.in_sample is False
    assert result.excluded_reason == "Ended with less than four weeks of supervision."
    assert result.to_dict()["excluded"] == "Ended with less than four weeks of supervision."


def test_four_whole_weeks_stay_in_the_sample(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(case_ended="yes", start_date="2024-01-01", end_date="2024-01-29")))
    assert result.in_sample is True


def test_a_sample_rule_that_cannot_be_decided_is_said_and_the_case_kept(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(case_ended="yes", start_date="2024-01-01")
    a.pop("end_date", None)
    result = engine.assess(make_case(answers=a))
    assert result.in_sample is True and result.sample_undecided == ("short_supervision",)
    (warning,) = [w for w in result.warnings if w.rule == "short_supervision"]
    assert warning.question == "end_date"
    assert warning.message.startswith("cannot tell whether this case is in the sample: the rule short_supervision")
    assert "needs end_date" in warning.message
    decided = engine.assess(make_case(answers=answers(case_ended="yes", start_date="2024-01-01", end_date="2024-03-01")))
    assert decided.sample_undecided == () and decided.warnings == ()


def test_a_summary_shows_the_tally_of_what_it_weighs_by_weight(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(risk="high", **{"2__1__1__a": "n/a", "2__1__1__b": "no", "2__1__1__c": "yes", "2__1__1__d": "no"})
    result = engine.assess(make_case(answers=a))
    aid = result.aids["2.1.1"]
    assert aid.tally["primary"]["yes"] == 1
    assert aid.tally["primary"]["no"] == 1
    assert aid.tally["primary"]["n/a"] == 1
    assert aid.tally["secondary"]["no"] == 1
    assert aid.overriding == ()


def test_not_applicable_and_missing_in_the_tally(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers()
    del a["2.1.1.d"]
    result = engine.assess(make_case(answers=a))
    primary = result.aids["2.1.1"].tally["primary"]
    assert primary["not_applicable"] == 1  # 2.1.1.c with a low risk
    assert primary["missing"] == 1  # 2.1.1.d
    assert primary["yes"] == 1  # 2.1.1.a


def test_an_overriding_factor_warns_a_yes_judgement_without_a_note(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(risk="high", **{"2__1__1__c": "no", "2__1__1": "yes"})
    result = engine.assess(make_case(answers=a))
    assert result.aids["2.1.1"].overriding == ("The risk of harm was not analysed.",)
    (warning,) = [w for w in result.warnings if w.question == "2.1.1"]
    assert "outweighs the rest" in warning.message and "add a note" in warning.message
    assert ".;" not in warning.message
    assert result.ok  # the judgement stays the inspector's


def test_a_note_answers_the_overriding_factor(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(risk="high", **{"2__1__1__c": "no", "2__1__1": "yes"})
    result = engine.assess(make_case(answers=a, notes={"2.1.1": "The analysis is in the pre-sentence report."}))
    assert result.aids["2.1.1"].overriding
    assert [w for w in result.warnings if w.question == "2.1.1"] == []
    assert result.judgements["2.1.1"] == "yes"


def test_an_overriding_factor_does_not_warn_a_no_judgement(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(risk="high", **{"2__1__1__c": "no", "2__1__1": "no"})
    result = engine.assess(make_case(answers=a))
    assert [w for w in result.warnings if w.question == "2.1.1"] == []


# ------------------------------------------------------------------------------------------ case scores


@pytest.mark.parametrize(
    ("indicators", "expected"),
    [
        ({"2.2.a.1": "yes", "2.2.a.2": "yes"}, "met"),
        ({"2.2.a.1": "yes", "2.2.a.2": "n/a"}, "met"),  # n/a does not lower it
        ({"2.2.a.1": "yes", "2.2.a.2": "no"}, "not_met"),
        ({"2.2.a.1": "n/a", "2.2.a.2": "n/a"}, None),  # nothing applies: the criterion does not apply
        ({"2.2.a.1": "yes"}, None),  # one still to answer: not known yet (shown as null)
        ({"2.2.a.1": "no"}, "not_met"),  # one "no" settles it even with one missing
    ],
)
def test_all_met(engine: Any, make_case: Any, answers: Any, indicators: dict[str, str], expected: Any) -> None:
    a = answers()
    del a["2.2.a.1"], a["2.2.a.2"]
    a.update(indicators)
    result = engine.assess(make_case(answers=a))
    assert result.judgements["2.2.a"] == expected


def test_all_met_ignores_an_indicator_that_does_not_apply(engine: Any, make_case: Any, answers: Any) -> None:
    on_licence = answers(sentence_type="licence", **{"2__1__2": "yes", "2__1__2__a": "yes", "2__2__a__3": "no"})
    assert engine.assess(make_case(answers=on_licence)).judgements["2.2.a"] == "not_met"
    community = answers(sentence_type="community")
    assert engine.assess(make_case(answers=community)).judgements["2.2.a"] == "met"  # 2.2.a.3 is licence only


def test_the_inspectors_judgement_prevails_and_asks_for_a_note(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(**{"2__2__a__2": "no", "2__2__a": "met"})
    result = engine.assess(make_case(answers=a))
    assert result.judgements["2.2.a"] == "met"
    (warning,) = [w for w in result.warnings if w.question == "2.2.a"]
    assert "judged met, but by its indicators it is not_met" in warning.message


def test_the_inspectors_judgement_with_a_note_is_silent(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers(**{"2__2__a__2": "no", "2__2__a": "met"})
    result = engine.assess(make_case(answers=a, notes={"2.2.a": "The gap was made good by the partner agency."}))
    assert result.judgements["2.2.a"] == "met"
    assert result.warnings == ()


def test_a_judgement_that_agrees_is_silent(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(**{"2__2__a": "met"})))
    assert result.judgements["2.2.a"] == "met"
    assert result.warnings == ()


def test_judgements_hold_every_summary_and_case_score(engine: Any, make_case: Any) -> None:
    result = engine.assess(make_case())
    assert result.judgements == {"2.1.1": "yes", "2.1.2": None, "2.2.a": "met"}


# ------------------------------------------------------------------------------------------ wrong answers


def test_an_answer_to_a_not_applicable_question_is_an_error_saying_why(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(risk="low", **{"2__1__1__c": "yes"})))
    (error,) = result.errors
    assert error.question == "2.1.1.c"
    assert "does not apply to this case" in error.message
    assert 'risk >= "medium"' in error.message and "risk = low" in error.message
    assert result.not_applicable_answers == ("2.1.1.c",)


def test_not_applicable_through_the_parent_names_the_parent(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(**{"2__1__2__a": "yes"})))
    (error,) = result.errors
    assert error.question == "2.1.2.a"
    assert "because 2.1.2 does not" in error.message
    assert "sentence_type = community" in error.message


def test_a_null_answer_to_a_not_applicable_question_is_also_an_error(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(end_date=None)))
    assert [e.question for e in result.errors] == ["end_date"]


def test_a_category_that_does_not_apply_is_an_error(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(contact={"community": "weekly", "prison": "monthly"})))
    (error,) = result.errors
    assert error.question == "contact" and "category 'prison' does not apply" in error.message
    assert result.questions["contact"].value == {"community": "weekly"}


@pytest.mark.parametrize(
    ("qid", "value", "words"),
    [
        ("risk", "severe", "'severe' is not one of: low, medium, high, very_high"),
        ("2.1.1.c", "n/a", "'n/a' is not one of: yes, no"),
        ("case_ended", "maybe", "'maybe' is not one of"),
        ("age", "old", "'old' is not a number"),
        ("age", 9, "below the minimum of 10"),
        ("age", 101, "above the maximum of 100"),
        ("age", 30.5, "not a whole number"),
        ("order_months", 1.5, "not a whole number"),
        ("order_months", 37, "above the maximum of 36"),
        ("needs", ["drugs", "heroin"], "'heroin' is not one of"),
        ("needs", ["drugs", "alcohol", "finance", "employment"], "4 choices given; at most 3 allowed"),
        ("needs", ["drugs", "drugs"], "listed twice"),
        ("needs", {"drugs": 1}, "expected a list of choices"),
        ("start_date", "31/01/2024", "not a date; write YYYY-MM-DD"),
        ("summary_text", "one two three four five six", "6 words; at most 5 allowed"),
        ("summary_text", ["a"], "expected text"),
        ("contact", "weekly", "expected one answer per category"),
        ("contact", {"home": "weekly"}, "no category 'home'"),
        ("contact", {"community": "daily"}, "'daily' is not one of"),
        ("offence", "fraud", "'fraud' is not one of"),
    ],
)
def test_a_wrong_value_is_an_error_on_its_question(
    engine: Any, make_case: Any, answers: Any, qid: str, value: Any, words: str
) -> None:
    a = answers()
    a[qid] = value
    result = engine.assess(make_case(answers=a))
    errors = [m for m in result.errors if m.question == qid]
    assert errors, messages(result)
    assert words in errors[0].message


class _Text(str):
    """Text that is not exactly ``str``: never taken for a code without the full check."""


_ABC = tuple(Choice(code=c, label=c) for c in "abc")
_BY_CATEGORY = {
    "name": "per_category",
    "choices": tuple(Choice(code=c, label=c) for c in ("yes", "no")),
    "categories": (Category(code="x", label="x"), Category(code="y", label="y", na=True)),
}


@pytest.mark.parametrize(
    ("kind", "value", "outcome"),
    [
        ({"name": "number", "minimum": 0, "maximum": 100}, 50.5, 50.5),
        ({"name": "number", "minimum": 0, "maximum": 100}, 100.5, "100.5 is above the maximum of 100"),
        ({"name": "number"}, float("inf"), "inf is not a number a case can hold; give a finite number"),
        ({"name": "number"}, float("nan"), "nan is not a number a case can hold; give a finite number"),
        ({"name": "number"}, -(10**100) + 1, -(10**100) + 1),
        ({"name": "number"}, True, "True is not a number"),
        ({"name": "number", "integer": True}, 2.0, 2),
        ({"name": "multi", "choices": _ABC}, [_Text("a")], "'a' is not one of: a, b, c; did you mean a?"),
        ({"name": "multi", "choices": _ABC}, [["a"]], "['a'] is not one of: a, b, c"),
        ({"name": "multi", "choices": _ABC}, ["b", "b"], "a choice is listed twice"),
        ({"name": "multi", "choices": _ABC, "max_choices": 1}, ["a", "b"], "2 choices given; at most 1 allowed"),
        ({"name": "multi", "choices": _ABC}, [], []),
        ({"name": "text", "max_words": 2}, "one two three", "3 words; at most 2 allowed"),
        (_BY_CATEGORY, {"x": True, "y": "n/a"}, {"x": "yes", "y": "n/a"}),
        (_BY_CATEGORY, {"x": _Text("yes")}, "x: 'yes' is not one of: yes, no"),
        (_BY_CATEGORY, {"x": "n/a"}, "x: 'n/a' is not one of: yes, no"),
    ],
)
def test_the_quick_checks_of_common_answers_leave_the_rest_to_the_full_ones(kind: Any, value: Any, outcome: Any) -> None:
    """Numbers, lists and text that the quick paths do not settle get the full checks' value or message."""
    validate = AnswerType(**kind).make_validator()
    if isinstance(outcome, str):
        with pytest.raises(InvalidAnswer) as caught:
            validate(value)
        assert str(caught.value) == outcome
    else:
        got = validate(value)
        assert got == outcome and type(got) is type(outcome)


@pytest.mark.parametrize(
    ("qid", "value", "stored"),
    [
        ("case_ended", False, "no"),  # YAML 1.1 reads a bare no as false
        ("2.1.1", True, "yes"),
        ("risk", "Very High", "very_high"),
        ("age", "30", 30),
        ("needs", "drugs", ["drugs"]),
        ("start_date", dt.date(2024, 1, 8), dt.date(2024, 1, 8)),
        ("summary_text", 42, "42"),
        ("contact", {"community": "weekly"}, {"community": "weekly"}),
    ],
)
def test_values_are_normalised(engine: Any, make_case: Any, answers: Any, qid: str, value: Any, stored: Any) -> None:
    a = answers()
    a[qid] = value
    result = engine.assess(make_case(answers=a))
    assert result.ok, messages(result)
    assert result.questions[qid].value == stored


@pytest.mark.parametrize(
    ("qid", "value"), [("needs", [["drugs"]]), ("needs", [{"a": 1}]), ("contact", {"community": ["weekly"]})]
)
def test_a_nested_value_is_an_error_not_a_crash(engine: Any, make_case: Any, answers: Any, qid: str, value: Any) -> None:
    a = answers()
    a[qid] = value
    result = engine.assess(make_case(answers=a))
    assert [m.question for m in result.errors] == [qid]


def test_an_unknown_question_id_suggests_the_near_miss(engine: Any, make_case: Any, answers: Any) -> None:
    result = engine.assess(make_case(answers=answers(riks="low")))
    (error,) = result.errors
    assert error.question == "riks"
    assert error.message == "riks: no such question in tiny_2024; did you mean risk?"


@pytest.mark.parametrize(
    ("qid", "words"),
    [
        ("provider", "judged once per inspection"),
        ("9.9", "not used"),
        ("details", "is a heading (section)"),
        ("2.1", "is a heading (standard)"),
    ],
)
def test_an_id_that_takes_no_answer_in_a_case_file(engine: Any, make_case: Any, answers: Any, qid: str, words: str) -> None:
    a = answers()
    a[qid] = "nps"
    result = engine.assess(make_case(answers=a))
    assert any(m.question == qid and words in m.message for m in result.errors), messages(result)


def test_numeric_keys_from_yaml_are_read_as_ids(engine: Any, make_case: Any, answers: Any) -> None:
    a = answers()
    a[9.9] = "yes"  # YAML reads an unquoted 9.9 as a number
    result = engine.assess(make_case(answers=a))
    assert any(m.question == "9.9" for m in result.errors)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"answer": {}}, "unknown top-level key 'answer'; did you mean answers?"),
        ({"edition": "other_2024"}, "this case is for edition 'other_2024', not 'tiny_2024'"),
        ({"schema": 2}, "schema 2 is not one this version reads"),
        ({"answers": ["risk"]}, "answers must be a mapping"),
        ({"notes": "all fine"}, "notes must be a mapping"),
        ({"notes": {"riks": "x"}}, "a note on riks, which is not a question in tiny_2024; did you mean risk?"),
    ],
)
def test_case_level_errors(engine: Any, make_case: Any, change: dict[str, Any], words: str) -> None:
    doc = make_case()
    doc.update(change)
    result = engine.assess(doc)
    assert any(words in m.message for m in result.errors), messages(result)


def test_a_case_without_an_id(engine: Any, make_case: Any) -> None:
    doc = make_case()
    del doc["case_id"]
    result = engine.assess(doc)
    assert result.case_id is None
    assert any("case_id is missing" in m.message for m in result.errors)


@pytest.mark.parametrize("doc", [None, [], "a case", 42])
def test_a_case_that_is_not_a_mapping(engine: Any, doc: Any) -> None:
    result = engine.assess(doc)
    assert not result.ok
    assert "a case is a mapping" in result.errors[0].message


def test_an_empty_case_is_valid_with_everything_missing(engine: Any) -> None:
    result = engine.assess({"case_id": "E"})
    assert result.ok
    assert result.questions["risk"].status == "missing"


# ------------------------------------------------------------------------------------------ the public API


def test_inspectkit_assess(framework: Any, make_case: Any) -> None:
    result = inspectkit.assess(framework, make_case())
    assert isinstance(result, inspectkit.CaseResult)
    assert result.judgements["2.1.1"] == "yes"


def test_a_case_result_is_frozen_and_works_with_attrs_pickle_and_copy(framework: Any, make_case: Any, answers: Any) -> None:
    import copy
    import pickle

    import attrs

    result = inspectkit.assess(framework, make_case(answers=answers(riks="x")))
    assert attrs.has(type(result)) and [f.name for f in attrs.fields(type(result))][:2] == ["edition", "case_id"]
    plain = attrs.asdict(result)
    assert plain["errors"][0]["question"] == "riks" and plain["questions"]["start_date"]["status"] == "answered"
    other = attrs.evolve(result, case_id="other")
    assert other.case_id == "other" and other.questions == result.questions and other != result
    assert pickle.loads(pickle.dumps(result)) == result == copy.deepcopy(result)
    assert repr(result.errors[0]).startswith("Message(question='riks', message=")
    with pytest.raises(AttributeError):
        result.case_id = "changed"
    assert result.case_id != "changed"


def test_to_dict_has_the_contract_shape(framework: Any, make_case: Any, answers: Any) -> None:
    data = inspectkit.to_plain(inspectkit.assess(framework, make_case(answers=answers(riks="x"))))
    assert {"edition", "case_id", "questions", "judgements", "errors", "warnings"} <= set(data)
    assert data["questions"]["start_date"] == {"status": "answered", "value": "2024-01-08"}
    assert data["questions"]["2.1.1.c"]["status"] == "not_applicable"
    assert data["errors"] == [{"question": "riks", "message": "riks: no such question in tiny_2024; did you mean risk?"}]
    statuses = {q["status"] for q in data["questions"].values()}
    assert statuses <= {"answered", "not_applicable", "missing", "derived"}


def test_to_dict_can_withhold_personal_data(engine: Any, make_case: Any) -> None:
    data = engine.assess(make_case()).to_dict(redact=frozenset({"summary_text"}))
    assert data["questions"]["summary_text"]["value"] == "[withheld: personal data]"


def test_assess_file_with_line_numbers(registry: Any, write: Any, make_case: Any) -> None:
    path = write("case.yaml", make_case(answers={"risk": "low", "riks": "low"}))
    result = inspectkit.assess_file(path, registry=registry)
    (error,) = result.errors
    assert error.question == "riks"
    assert error.line == 6  # schema, edition, case_id, answers, risk, riks
    assert error.describe(str(path)).startswith(f"{path}:6: riks: no such question")
    assert result.source == str(path)


def test_assess_file_needs_an_edition(registry: Any, write: Any) -> None:
    path = write("case.yaml", {"case_id": "X", "answers": {}})
    with pytest.raises(UsageError, match="names no edition"):
        inspectkit.assess_file(path, registry=registry)
    assert inspectkit.assess_file(path, registry=registry, edition="tiny_2024").ok


def test_explain_a_question_a_score_and_a_check(engine: Any, make_case: Any, answers: Any) -> None:
    doc = make_case(answers=answers(risk="high", **{"2__1__1__c": "no", "2__1__1": "yes"}))
    result = engine.assess(doc)
    text = "\n".join(engine.explain(result, doc, "2.1.1.c"))
    assert 'applies when: risk >= "medium"  ->  true' in text.lower() and "risk = high" in text
    text = "\n".join(engine.explain(result, doc, "2.2.a"))
    assert "case score, rule all_met" in text and "result: met" in text
    text = "\n".join(engine.explain(result, doc, "custody_low_risk"))
    assert "check custody_low_risk (warning)" in text
    text = "\n".join(engine.explain(result, doc, "2.1.1"))
    assert "overriding factor: The risk of harm was not analysed." in text
    assert engine.explain(result, doc, "riks") == ["riks: no such question, case score or check; did you mean risk?"]


def test_the_engine_does_not_keep_state_between_cases(engine: Any, make_case: Any, answers: Any) -> None:
    first = engine.assess(make_case("A", answers(risk="high", **{"2__1__1__c": "yes"})))
    second = engine.assess(make_case("B"))
    assert first.questions["2.1.1.c"].status == "answered"
    assert second.questions["2.1.1.c"].status == "not_applicable"
    assert second.ok


def test_the_case_result_is_read_only(engine: Any, make_case: Any) -> None:
    result = engine.assess(make_case())
    with pytest.raises(AttributeError):
        result.case_id = "other"  # type: ignore[misc]


def test_a_yaml_case_file_round_trip(registry: Any, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "schema: 1\nedition: tiny_2024\ncase_id: Y1\nanswers:\n  case_ended: no\n  2.1.1.a: n/a\n  '2.1.1': yes\n  start_date: 2024-01-01\n",
        encoding="utf-8",
    )
    result = inspectkit.assess_file(path, registry=registry)
    assert result.ok, messages(result)
    assert result.questions["case_ended"].value == "no"
    assert result.questions["2.1.1.a"].value == "n/a"
    assert result.questions["2.1.1"].value == "yes"
    assert result.questions["start_date"].value == dt.date(2024, 1, 1)


class _Text(str):
    """Text of a subclass of str, which no JSON parser gives."""


def test_a_case_parsed_from_json_is_checked_as_any_mapping_is(engine: Any, make_case: Any, answers: Any) -> None:
    """rate tells evaluate that a JSON line's case holds only plain text, so that an answer equal to one of its
    codes is taken by set membership alone: whatever the answers hold, the result is the one for any mapping."""
    import json

    unusual = [
        answers(),
        answers(risk="LOW", case_ended=True, **{"2.1.1": False}),  # true and false read as yes and no
        answers(risk=["low"]),
        answers(risk={"low": "yes"}),
        answers(risk=None, age=None),
        answers(risk=1, case_ended=0.0),
        answers(nope="yes", risk="nope"),
        answers(age="30", order_months=6.0, needs="drugs"),
        answers(risk_band="raised"),
    ]
    for given in unusual:
        doc = json.loads(json.dumps(make_case(answers=given)))
        fast, full = engine.evaluate(doc, from_json=True), engine.evaluate(doc)
        assert fast.errors == full.errors and fast.warnings == full.warnings
        assert list(fast.answers.items()) == list(full.answers.items()) and fast.not_recorded == full.not_recorded
    # text of a subclass of str, equal to a code: made the plain code, as it always was
    result = engine.evaluate(make_case(answers=answers(risk=_Text("low"))))
    assert result.answers["risk"] == "low" and result.answers["risk"].__class__ is str


TEXT_DEFINITION = """\
schema: 1
edition: text_2024
title: Text
items:
  - {id: seen, kind: case_detail, type: yes_no}
  - {id: said, kind: background, type: text}
  - {id: brief, kind: background, type: text, max_words: 2}
  - {id: echo, kind: background, type: text, derive: said}
scoring:
  aggregate_kinds: [evidence]
"""


def test_text_where_any_will_do_is_taken_as_it_is(tmp_path: Path, registry_of: Any) -> None:
    """An answer that is text, to a question any text answers, is taken in the pass that checks the codes: anything
    else there (a number, a list, null, text of a subclass of str), and text with a word limit or to a derived
    question, still goes through its check, with the result and messages that check gives."""
    import json

    path = tmp_path / "framework.yaml"
    path.write_text(TEXT_DEFINITION, encoding="utf-8")
    engine = registry_of(inspectkit.load_framework(path)).engine("text_2024")
    for said in ("anything: at all", "", 12, 1.5, True, None, ["a"], {"a": "b"}):
        for more in ({}, {"brief": "one two three"}, {"echo": "x"}, {"brief": 3, "echo": None}):
            doc = {"case_id": "C1", "answers": {"seen": "yes", "said": said, **more}}
            full = engine.evaluate(doc)
            fast = engine.evaluate(json.loads(json.dumps(doc)), from_json=True)
            assert fast.errors == full.errors and fast.warnings == full.warnings
            assert list(fast.answers.items()) == list(full.answers.items()) and fast.not_recorded == full.not_recorded
    result = engine.evaluate({"case_id": "C1", "answers": {"said": 12, "brief": "one two three", "echo": "x"}})
    assert result.answers["said"] == "12" and "brief" not in result.answers
    assert messages(result) == ["brief: 3 words; at most 2 allowed"]
    assert [m.message.split(" (")[0] for m in result.warnings] == ["echo is worked out by the rules"]
    text = _Text("as given")
    assert engine.evaluate({"case_id": "C1", "answers": {"said": text}}).answers["said"] is text
