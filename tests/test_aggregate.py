"""Many cases: denominators over applicable cases only, exact band boundaries, ratings and overrides."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

import inspectkit
from inspectkit import aggregate
from inspectkit.aggregate import ItemTally

EDITION = "tiny_2024"


@pytest.fixture
def rate(registry: Any, inspection: dict[str, Any]) -> Any:
    def rate(cases: list[Any], inspection: Any = inspection) -> Any:
        return inspectkit.rate(registry, EDITION, cases, inspection)

    return rate


@pytest.fixture
def cases(make_case: Any, answers: Any) -> Any:
    """``cases("yes", "no", ...)``: one good case per 2.1.1 judgement (other changes as keyword arguments)."""

    def cases(*judgements: str, **changes: Any) -> list[dict[str, Any]]:
        return [
            make_case(f"C{n}", answers(**{"2__1__1": j, "2__2__a": "met", **changes})) for n, j in enumerate(judgements, start=1)
        ]

    return cases


def item(report: Any, item_id: str) -> tuple[int, int]:
    t = report.items[item_id]
    return t.numerator, t.denominator


def errors(report: Any) -> list[str]:
    return [str(p) for p in report.errors]


# ------------------------------------------------------------------------------------------ denominators


def test_numerator_and_denominator(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes", "no"))
    assert report.cases == 3
    assert item(report, "2.1.1") == (2, 3)
    assert report.items["2.1.1"].percent == 66.7
    assert errors(report) == []


def test_only_applicable_cases_are_in_the_denominator(rate: Any, cases: Any, make_case: Any, answers: Any) -> None:
    licence = answers(sentence_type="licence", **{"2__1__2": "yes", "2__1__2__a": "yes", "2__2__a__3": "yes", "2__2__a": "met"})
    report = rate([*cases("yes", "yes"), make_case("L1", licence)])
    assert item(report, "2.1.2") == (1, 1)  # licence cases only
    assert report.items["2.1.2"].not_applicable == 2
    assert item(report, "2.1.1") == (3, 3)


def test_n_a_is_left_out_of_the_denominator(rate: Any, cases: Any, make_case: Any, answers: Any) -> None:
    licence = answers(sentence_type="licence", **{"2__1__2": "n/a", "2__1__2__a": "yes", "2__2__a__3": "yes", "2__2__a": "met"})
    report = rate([*cases("yes"), make_case("L1", licence)])
    t = report.items["2.1.2"]
    assert (t.numerator, t.denominator, t.not_applicable) == (0, 0, 2)
    assert t.percent is None


def test_a_missing_judgement_is_counted_as_missing_not_as_insufficient(
    rate: Any, cases: Any, make_case: Any, answers: Any
) -> None:
    a = answers(**{"2__2__a": "met"})
    del a["2.1.1"]
    report = rate([*cases("yes"), make_case("M1", a)])
    t = report.items["2.1.1"]
    assert (t.numerator, t.denominator, t.missing) == (1, 1, 1)


def test_an_aggregated_item_from_a_question(rate: Any, make_case: Any, answers: Any) -> None:
    given = ["n/a", "n/a", "no"]
    report = rate([make_case(f"C{n}", answers(**{"2__1__1__a": a, "2__2__a": "met"})) for n, a in enumerate(given)])
    assert item(report, "sources_used") == (0, 1)
    assert report.items["sources_used"].not_applicable == 2


def test_counts_of_choices(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", needs=["drugs", "alcohol"]))
    assert report.counts["needs_found"]["needs"] == {"drugs": 1, "alcohol": 1}


def test_a_case_score_is_counted_once_per_case_from_its_result(rate: Any, make_case: Any, answers: Any) -> None:
    met = answers()  # every indicator yes: met by the rules
    not_met = answers(**{"2__2__a__2": "no"})  # not met by the rules
    judged = answers(**{"2__2__a__2": "no", "2__2__a": "met"})  # judged met by the inspector, who prevails
    report = rate([make_case("A", met), make_case("B", not_met), make_case("C", judged, notes={"2.2.a": "why"})])
    assert item(report, "2.2.a") == (2, 3)


# ------------------------------------------------------------------------------------------ bands and ratings


@pytest.mark.parametrize(
    ("numerator", "denominator", "rating"),
    [
        (4, 5, "outstanding"),  # exactly 80%
        (7999, 10000, "good"),  # 79.99%: shown as 80.0%, but not the top band
        (13, 20, "good"),  # exactly 65%
        (6499, 10000, "requires_improvement"),
        (1, 2, "requires_improvement"),  # exactly 50%
        (4999, 10000, "inadequate"),
        (0, 3, "inadequate"),
        (3, 3, "outstanding"),
    ],
)
def test_band_boundaries_are_compared_exactly(framework: Any, numerator: int, denominator: int, rating: str) -> None:
    tally = ItemTally("2.1.1", numerator=numerator, denominator=denominator)
    assert tally.fraction == Fraction(numerator * 100, denominator)
    assert aggregate.band(tally.fraction, framework.scoring.ratings.bands) == rating


def test_79_99_percent_displays_as_80_but_is_not_outstanding(framework: Any) -> None:
    tally = ItemTally("x", numerator=7999, denominator=10000)
    assert tally.percent == 80.0
    assert aggregate.band(tally.fraction, framework.scoring.ratings.bands) == "good"


def test_four_of_five_cases_is_the_top_band(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes", "yes", "yes", "no"))
    assert report.ratings["2.1"].rating == "outstanding"
    assert "2.1.1: 4/5 = 80.0%" in report.ratings["2.1"].basis


def test_three_of_five_is_below_good(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes", "yes", "no", "no"))
    assert report.ratings["2.1"].rating == "requires_improvement"  # 60%


def test_the_lowest_key_question_decides(rate: Any, make_case: Any, answers: Any) -> None:
    def licence(cid: str, kq1: str, kq2: str) -> dict[str, Any]:
        extra = {"2__1__1": kq1, "2__1__2": kq2, "2__1__2__a": "yes", "2__2__a__3": "yes", "2__2__a": "met"}
        return make_case(cid, answers(sentence_type="licence", **extra))

    report = rate([licence("A", "yes", "yes"), licence("B", "yes", "no"), licence("C", "yes", "no")])
    sr = report.ratings["2.1"]
    assert item(report, "2.1.1") == (3, 3) and item(report, "2.1.2") == (1, 3)
    assert sr.rating == "inadequate"  # 33% for 2.1.2, though 2.1.1 is 100%
    assert "lowest key question 2.1.2" in sr.basis


def test_a_key_question_with_no_applicable_cases_is_skipped_by_lowest(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes"))
    sr = report.ratings["2.1"]
    assert sr.rating == "outstanding"
    assert "no applicable cases for 2.1.2" in sr.basis


def test_a_rated_item_with_no_applicable_cases(rate: Any, make_case: Any, answers: Any) -> None:
    a = answers(**{"2__2__a__1": "n/a", "2__2__a__2": "n/a"})
    report = rate([make_case("A", a), make_case("B", a)])
    sr = report.ratings["2.2"]
    assert (sr.status, sr.rating) == ("no_applicable_cases", None)
    assert report.overall["rating"] is None
    assert "2.2" in report.overall["basis"]


def test_too_few_cases_to_rate(rate: Any, cases: Any) -> None:
    report = rate(cases("yes"))
    sr = report.ratings["2.1"]
    assert (sr.status, sr.rating) == ("too_few_cases", None)
    assert "too few cases to rate: 2.1.1 (1); at least 2 needed" in sr.basis


def test_an_inspection_rating(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes"))
    assert report.ratings["1.1"].rating == "good"
    assert report.ratings["1.1"].status == "rated"


def test_a_missing_inspection_rating_is_an_error(rate: Any, cases: Any, inspection: dict[str, Any]) -> None:
    del inspection["answers"]["1.1"]
    report = rate(cases("yes", "yes"), inspection)
    assert report.ratings["1.1"].status == "missing"
    assert any("1.1 (Leadership) is rated by the inspection team" in e for e in errors(report))


@pytest.mark.parametrize(
    ("leadership", "score", "overall"),
    [
        ("outstanding", 9, "outstanding"),
        ("good", 8, "outstanding"),  # exactly the bottom of the top band
        ("requires_improvement", 7, "good"),
        ("inadequate", 6, "good"),
    ],
)
def test_overall_is_the_sum_banded(
    rate: Any, cases: Any, inspection: dict[str, Any], leadership: str, score: int, overall: str
) -> None:
    inspection["answers"]["1.1"] = leadership
    report = rate(cases("yes", "yes"), inspection)
    assert [r.rating for r in report.ratings.values()] == [leadership, "outstanding", "outstanding"]
    assert report.overall["score"] == score
    assert report.overall["rating"] == overall


def test_overall_bands_at_their_boundaries(framework: Any) -> None:
    bands = framework.scoring.ratings.overall.bands
    assert [aggregate.band(Fraction(s), bands) for s in (0, 1, 2, 4, 5, 7, 8)] == [
        "inadequate",
        "inadequate",
        "requires_improvement",
        "requires_improvement",
        "good",
        "good",
        "outstanding",
    ]


# ------------------------------------------------------------------------------------------ the inspection file


def test_when_decides_what_is_rated(rate: Any, cases: Any, inspection: dict[str, Any]) -> None:
    inspection["answers"]["provider"] = "crc"
    report = rate(cases("yes", "yes"), inspection)
    assert "2.1" not in report.ratings  # rated for nps only
    assert set(report.ratings) == {"1.1", "2.2"}
    assert report.overall["score"] == 2 + 3


def test_an_unknown_when_is_an_error(rate: Any, cases: Any, inspection: dict[str, Any]) -> None:
    del inspection["answers"]["provider"]
    report = rate(cases("yes", "yes"), inspection)
    assert any("cannot tell whether 2.1 is rated" in e and 'provider == "nps"' in e for e in errors(report))


def test_no_inspection_file(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes"), None)
    assert any("needs an inspection file" in e for e in errors(report))
    assert item(report, "2.1.1") == (2, 2)  # the cases still count


def test_an_override_with_a_reason(rate: Any, cases: Any, inspection: dict[str, Any]) -> None:
    inspection["overrides"] = {"2.1": {"rating": "good", "reason": "The sample under-represents the new team."}}
    report = rate(cases("yes", "yes"), inspection)
    sr = report.ratings["2.1"]
    assert (sr.rules_rating, sr.rating) == ("outstanding", "good")
    assert sr.override_reason == "The sample under-represents the new team."
    assert errors(report) == []
    data = inspectkit.to_plain(report)
    assert data["ratings"]["2.1"] == "good"
    assert data["rating_details"]["2.1"]["rules_rating"] == "outstanding"


@pytest.mark.parametrize("override", [{"rating": "good"}, {"rating": "good", "reason": "  "}])
def test_an_override_without_a_reason_is_refused(
    rate: Any, cases: Any, inspection: dict[str, Any], override: dict[str, Any]
) -> None:
    inspection["overrides"] = {"2.1": override}
    report = rate(cases("yes", "yes"), inspection)
    assert report.ratings["2.1"].rating == "outstanding"
    assert any("override for 2.1 has no reason" in e for e in errors(report))


def test_an_override_with_a_word_off_the_scale(rate: Any, cases: Any, inspection: dict[str, Any]) -> None:
    inspection["overrides"] = {"2.1": {"rating": "goood", "reason": "x"}}
    report = rate(cases("yes", "yes"), inspection)
    assert any("'goood' is not a rating" in e and "did you mean good?" in e for e in errors(report))


def test_an_override_of_something_not_rated(rate: Any, cases: Any, inspection: dict[str, Any]) -> None:
    inspection["overrides"] = {"3.1": {"rating": "good", "reason": "x"}}
    report = rate(cases("yes", "yes"), inspection)
    assert any("override for 3.1, which is not rated in this inspection" in e for e in errors(report))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            {"answers": {"provider": "nps", "1.1": "good", "provder": "x"}},
            "provder: no such question in tiny_2024; did you mean provider?",
        ),
        ({"answers": {"provider": "nps", "1.1": "good", "risk": "low"}}, "risk is judged case by case, in case files"),
        ({"answers": {"provider": "nhs", "1.1": "good"}}, "'nhs' is not one of: nps, crc"),
        (
            {"answers": {"provider": "nps", "1.1": "great"}},
            "1.1: 'great' is not one of: inadequate, requires_improvement, good, outstanding",
        ),
        ({"edition": "other_2024"}, "this inspection file is for edition 'other_2024'"),
        ({"kind": "case"}, "kind must be 'inspection'"),
        ({"overides": {}}, "unknown top-level key 'overides'; did you mean overrides?"),
    ],
)
def test_inspection_file_errors(rate: Any, cases: Any, inspection: dict[str, Any], change: dict[str, Any], words: str) -> None:
    inspection.update(change)
    report = rate(cases("yes", "yes"), inspection)
    assert any(words in e for e in errors(report)), errors(report)


# ------------------------------------------------------------------------------------------ bad cases among good ones


def test_a_case_with_errors_is_left_out_and_reported(rate: Any, cases: Any, make_case: Any, answers: Any) -> None:
    bad = make_case("BAD", answers(risk="severe"))
    report = rate([*cases("yes", "no"), bad])
    assert report.cases == 2
    assert item(report, "2.1.1") == (1, 2)
    assert report.excluded == [{"case_id": "BAD", "source": "case 3", "reason": "1 error(s) in the case file"}]
    assert any("BAD" in e and "'severe' is not one of" in e for e in errors(report))


def test_duplicate_case_ids(rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "no") + cases("yes"))  # C1 twice
    assert report.cases == 2
    assert any("case_id 'C1' is used by an earlier case too" in e for e in errors(report))
    assert [e["case_id"] for e in report.excluded] == ["C1"]


def test_a_case_whose_sample_rule_is_undecided_is_counted_and_listed(rate: Any, cases: Any) -> None:
    open_ended = cases("yes", case_ended="yes", start_date="2024-01-01")
    open_ended[0]["case_id"] = "NO-END"
    open_ended[0]["answers"].pop("end_date", None)
    report = rate([*cases("yes"), *open_ended])
    assert report.cases == 2
    assert list(report.undecided) == [{"case_id": "NO-END", "source": "case 2", "rules": ["short_supervision"]}]
    assert report.to_dict()["undecided"] == list(report.undecided)


def test_a_case_out_of_the_sample_is_excluded_with_its_reason(rate: Any, cases: Any) -> None:
    short = cases("yes", case_ended="yes", start_date="2024-01-01", end_date="2024-01-15")
    short[0]["case_id"] = "SHORT"
    report = rate([*cases("yes", "yes"), *short])
    assert report.cases == 2
    assert {
        "case_id": "SHORT",
        "source": "case 3",
        "reason": "Ended with less than four weeks of supervision.",
    } in report.excluded
    assert errors(report) == []


def test_a_case_of_another_edition_is_reported(rate: Any, cases: Any, make_case: Any) -> None:
    other = make_case("X")
    other["edition"] = "carag_2019"
    report = rate([*cases("yes", "yes"), other])
    assert report.cases == 2
    assert any("a case of edition 'carag_2019' is not evidence for tiny_2024" in e for e in errors(report))


def test_rate_reads_files_folders_and_json_lines(
    registry: Any, write: Any, cases: Any, inspection: dict[str, Any], tmp_path: Any
) -> None:
    c = cases("yes", "yes", "no", "no")
    write("one.yaml", c[0])
    write("folder/two.json", c[1])
    write("folder/sub/three.yaml", c[2])
    write("more.jsonl", [c[3]])
    report = inspectkit.rate(registry, EDITION, [tmp_path / "one.yaml", tmp_path / "folder", tmp_path / "more.jsonl"], inspection)
    assert report.cases == 4
    assert item(report, "2.1.1") == (2, 4)
    assert errors(report) == []


def test_rate_takes_the_inspection_file_by_path(registry: Any, write: Any, cases: Any, inspection: dict[str, Any]) -> None:
    path = write("inspection.yaml", inspection)
    report = inspectkit.rate(registry, EDITION, cases("yes", "yes"), path)
    assert report.inspection_id == "T-1"
    assert report.ratings["1.1"].rating == "good"


def test_the_report_as_plain_data(rate: Any, cases: Any) -> None:
    data = inspectkit.to_plain(rate(cases("yes", "no")))
    assert data["edition"] == EDITION and data["cases"] == 2
    assert data["items"]["2.1.1"]["numerator"] == 1
    assert data["items"]["2.1.1"]["denominator"] == 2
    assert data["items"]["2.1.1"]["percent"] == 50.0
    assert data["ratings"]["1.1"] == "good"
    assert set(data["overall"]) >= {"score", "rating"}
    assert data["excluded"] == []


def test_explain_a_rating(registry: Any, rate: Any, cases: Any) -> None:
    report = rate(cases("yes", "yes", "yes", "yes", "no"))
    text = "\n".join(aggregate.explain(registry, report, "2.1"))
    assert "2.1.1: 4 sufficient of 5 applicable = 80.0%" in text
    assert "by the rules: outstanding" in text


def test_a_per_category_answer_is_sufficient_when_every_category_judged_is() -> None:
    from inspectkit.expressions import NA, UNKNOWN, sufficiency

    sufficient = frozenset({"yes", "met"})
    answers = [
        {"public": "yes", "staff": "yes"},
        {"public": "yes", "staff": "no"},
        {"public": "n/a", "staff": "yes"},
        {"public": "n/a", "staff": "n/a"},
        {},
        {"public": ["yes"], "staff": "yes"},  # not plain data: the answers one by one
        {"public": ["yes"], "staff": "no"},
        {"public": UNKNOWN, "staff": "yes"},
        {"public": float("nan")},
        ["yes", "no"],
        3,
        "n/a",
    ]

    def by_the_rule(value: Any) -> Any:  # the rule as the guidance words it: every category judged (not n/a) is
        if isinstance(value, dict):
            judged = [v for v in value.values() if v != NA]
            return all(v in sufficient for v in judged) if judged else None
        return None if value == NA else value in sufficient

    def outcome(how: Any, value: Any) -> Any:
        try:
            return how(value)
        except TypeError as exc:  # a list where one answer was expected: the same error either way
            return str(exc)

    for value in answers:
        want = outcome(by_the_rule, value)
        assert outcome(lambda v: sufficiency(v, sufficient), value) == want, value
        assert outcome(lambda v: sufficiency(v, set(sufficient)), value) == want, value
