"""Testing kit for edition plugins: golden cases (a case and the result it must give).

In a plugin's tests::

    from pathlib import Path
    from inspectkit.testing import golden_tests

    test_golden = golden_tests(Path(__file__).parent / "golden")

The full format is in ``docs/golden-cases.md``. Each ``golden/*.yaml`` holds ``description``, ``case`` (a case file's content) and ``expect``::

    expect:
      in_sample: true
      excluded_reason: "less than four weeks"   # a substring
      status: {D1.4: not_applicable}            # a subset of question statuses
      values: {A3.10: "no"}                     # answers or derived values
      judgements: {A1S: "yes"}                  # summary judgements and case scores
      suggested: {CD15: "no"}                   # what the rules suggest
      errors: [A1.7]                            # exactly these question ids carry errors ("null": the case)
      warnings: []                              # exactly these carry warnings
      messages: {CD15: "6.90 or above"}          # a message on that question (error or warning) says this

or, to check aggregation, ``rate`` (``edition``, ``cases``: a list of case mappings, ``inspection``) and
``expect`` with ``cases``, ``items`` (id -> [numerator, denominator]), ``ratings``, ``overall`` and
``undecided`` (case ids counted although a sample rule could not be decided), ``directions`` (id -> ``favourable`` or ``neutral``: whether the numerator counts favourable answers or is a
plain proportion), ``errors`` (substrings that some error message must contain; ``[]``: no error at all), ``rating_details``
(id -> {status, rules_rating, rating, basis, override_reason}; basis and reason as substrings), and ``inspection_scores`` (scores judged once
per inspection, from the inspection file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from inspectkit.plugins import Registry, load_registry


def _ids(messages: Any) -> list[str]:
    return sorted("null" if m.question is None else str(m.question) for m in messages)


def check_golden(registry: Registry, golden: dict[str, Any]) -> list[str]:
    """Every way the result differs from what the golden case expects (empty: it matches)."""
    if "rate" in golden:
        return _check_rate(registry, golden)
    case = golden["case"]
    expect = golden.get("expect") or {}
    engine = registry.engine(case.get("edition"))
    result = engine.assess(case)
    problems: list[str] = []

    def messages() -> str:
        return "; ".join(f"{m.question}: {m.message}" for m in (*result.errors, *result.warnings))

    if "in_sample" in expect and result.in_sample != expect["in_sample"]:
        problems.append(f"in_sample is {result.in_sample} ({result.excluded_reason}), expected {expect['in_sample']}")
    if "excluded_reason" in expect and expect["excluded_reason"].lower() not in (result.excluded_reason or "").lower():
        problems.append(f"excluded reason {result.excluded_reason!r} does not mention {expect['excluded_reason']!r}")
    for qid, status in (expect.get("status") or {}).items():
        got = result.questions.get(str(qid))
        if got is None or got.status != status:
            problems.append(f"{qid}: status {got.status if got else 'absent'}, expected {status}")
    for qid, value in (expect.get("values") or {}).items():
        got = result.questions.get(str(qid))
        have = got.value if got else None
        if hasattr(have, "isoformat"):
            have = have.isoformat()
        if have != _norm(value):
            problems.append(f"{qid}: value {have!r}, expected {value!r}")
    for qid, value in (expect.get("suggested") or {}).items():
        got = result.questions.get(str(qid))
        if got is None or got.suggested != _norm(value):
            problems.append(f"{qid}: suggested {got.suggested if got else None!r}, expected {value!r}")
    for jid, value in (expect.get("judgements") or {}).items():
        have = result.judgements.get(str(jid), "absent")
        if have != _norm(value):
            problems.append(f"judgement {jid}: {have!r}, expected {value!r}")
    for qid, words in (expect.get("messages") or {}).items():
        said = [m.message for m in (*result.errors, *result.warnings) if str(m.question) == str(qid)]
        if not any(str(words).lower() in m.lower() for m in said):
            problems.append(f"no message on {qid} says {words!r}; it has: {said}")
    for key, got in (("errors", result.errors), ("warnings", result.warnings)):
        if key in expect:
            want = sorted(str(x) if x is not None else "null" for x in expect[key] or [])
            if _ids(got) != want:
                problems.append(f"{key} on {_ids(got)}, expected {want} [{messages()}]")
    return problems


def _norm(value: Any) -> Any:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return value


def _check_rate(registry: Registry, golden: dict[str, Any]) -> list[str]:
    from inspectkit.aggregate import rate

    spec = golden["rate"]
    expect = golden.get("expect") or {}
    report = rate(registry, spec["edition"], spec.get("cases") or [], spec.get("inspection"), "inspection")
    problems = []
    if "cases" in expect and report.cases != expect["cases"]:
        problems.append(f"cases counted {report.cases}, expected {expect['cases']}")
    for item_id, (num, den) in (expect.get("items") or {}).items():
        t = report.items.get(str(item_id))
        if t is None or (t.numerator, t.denominator) != (num, den):
            problems.append(f"item {item_id}: {(t.numerator, t.denominator) if t else 'absent'}, expected {(num, den)}")
    if "undecided" in expect:
        got = sorted(str(u["case_id"]) for u in report.undecided)
        if got != sorted(str(x) for x in expect["undecided"] or []):
            problems.append(f"cases whose sample rules are undecided: {got}, expected {sorted(expect['undecided'])}")
    for item_id, direction in (expect.get("directions") or {}).items():
        t = report.items.get(str(item_id))
        if (t.direction if t else "absent") != direction:
            problems.append(f"item {item_id}: direction {t.direction if t else 'absent'}, expected {direction}")
    for rid, rating in (expect.get("ratings") or {}).items():
        r = report.ratings.get(str(rid))
        if (r.rating if r else "absent") != rating:
            problems.append(f"rating {rid}: {r.rating if r else 'absent'!r} ({r.basis if r else ''}), expected {rating!r}")
    for rid, fields in (expect.get("rating_details") or {}).items():
        r = report.ratings.get(str(rid))
        for field, value in fields.items():
            have = getattr(r, field, "absent") if r is not None else "absent"
            if field in ("basis", "override_reason") and isinstance(have, str) and isinstance(value, str):
                if value.lower() not in have.lower():
                    problems.append(f"rating {rid} {field}: {have!r} does not mention {value!r}")
            elif have != value:
                problems.append(f"rating {rid} {field}: {have!r}, expected {value!r}")
    if "rated" in expect and sorted(report.ratings) != sorted(str(x) for x in expect["rated"]):
        problems.append(f"rated {sorted(report.ratings)}, expected {sorted(expect['rated'])}")
    if "overall" in expect:
        for k, v in expect["overall"].items():
            if (report.overall or {}).get(k) != v:
                problems.append(f"overall {k}: {(report.overall or {}).get(k)!r}, expected {v!r}")
    for sid, value in (expect.get("inspection_scores") or {}).items():
        have = report.inspection_scores.get(str(sid), "absent")
        if have != value:
            problems.append(f"inspection score {sid}: {have!r}, expected {value!r}")
    texts = [str(p) for p in report.errors]
    for needle in expect.get("errors") or []:
        if not any(needle.lower() in t.lower() for t in texts):
            problems.append(f"no error mentions {needle!r}; errors: {texts}")
    if expect.get("errors") == [] and texts:
        problems.append(f"expected no errors, got {texts}")
    return problems


def golden_problems(directory: Path) -> list[str]:
    """What is wrong with a golden folder as a whole: missing, empty, or holding a file that is no golden case.

    Each problem names the file, so a misspelled folder or a plain case file dropped into ``golden/`` fails
    loudly instead of being skipped.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return [f"{directory}: no such golden folder (a golden case is a .yaml file with description, case and expect)"]
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        return [f"{directory}: the golden folder holds no golden case (*.yaml)"]
    problems = []
    for f in files:
        problem = _not_golden(f)
        if problem:
            problems.append(f"{f}: {problem}")
    return problems


def _not_golden(path: Path) -> str | None:
    """Why a file is not a golden case, or None when it is one."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return f"cannot be read as YAML: {exc}"
    if not isinstance(data, dict):
        return "is not a golden case: expected a mapping with description, case (or rate) and expect"
    if "case" not in data and "rate" not in data:
        if "answers" in data or "case_id" in data:
            return "is a case file, not a golden case: put it under case: and say what it must give under expect:"
        return "is not a golden case: it needs case: (or rate:) and expect:"
    if "case" in data and not isinstance(data["case"], dict):
        return "case: must be a case file's content (schema, edition, case_id, answers)"
    if "rate" in data and (not isinstance(data["rate"], dict) or "edition" not in data["rate"]):
        return "rate: needs edition and cases"
    if not isinstance(data.get("expect"), dict):
        return "expect: is missing; say what the case must give (a golden case that expects nothing tests nothing)"
    unknown = set(data["expect"]) - _EXPECT_KEYS
    if unknown:
        return f"expect: unknown key(s) {', '.join(sorted(map(str, unknown)))}; known: {', '.join(sorted(_EXPECT_KEYS))}"
    return None


_EXPECT_KEYS = {
    "in_sample",
    "excluded_reason",
    "status",
    "values",
    "judgements",
    "suggested",
    "errors",
    "warnings",
    "cases",
    "items",
    "ratings",
    "rating_details",
    "rated",
    "overall",
    "inspection_scores",
    "directions",
    "messages",
    "undecided",
}


def golden_tests(directory: Path, registry: Callable[[], Registry] | None = None) -> Callable[..., None]:
    """A parametrised pytest test that checks every golden file in ``directory``.

    A folder that does not exist, holds no golden case, or holds a file that is not one gives a failing
    test naming it (never a silent skip).
    """
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")) if directory.is_dir() else []
    folder_problems = [] if files else golden_problems(directory)
    params: list[Any] = [pytest.param(f, id=f.stem) for f in files] or [pytest.param(None, id="golden-folder")]

    @pytest.mark.parametrize("golden_file", params)
    def test_golden(golden_file: Path | None) -> None:
        if golden_file is None:
            pytest.fail("\n".join(folder_problems), pytrace=False)
        problem = _not_golden(golden_file)
        if problem:
            pytest.fail(f"{golden_file}: {problem}", pytrace=False)
        golden = yaml.safe_load(golden_file.read_text(encoding="utf-8"))
        reg = registry() if registry is not None else _shared_registry()
        problems = check_golden(reg, golden)
        assert not problems, f"{golden_file.name}: {golden.get('description', '')}\n  " + "\n  ".join(problems)

    return test_golden


_REGISTRY: Registry | None = None


def _shared_registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = load_registry(strict=True)
    return _REGISTRY


@pytest.fixture
def inspectkit_registry() -> Registry:
    """A fresh registry of the installed plugins, strict: a broken plugin fails the test."""
    return load_registry(strict=True)
