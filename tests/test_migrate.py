"""Versions and migration: a case written for version 1.0 of an edition, migrated to 2.0.

Every answer is carried, transformed or listed as not carried with its reason; a migrated case gives the
same ``assess`` result as one written fresh for 2.0; nothing is overwritten without ``--in-place``.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

import inspectkit
from inspectkit.migrate import migrate_case

HERE = Path(__file__).parent / "migrate"


def _plugin(definition: str) -> Any:
    module = types.ModuleType(f"tiny_versions_{definition}")

    @inspectkit.hookimpl
    def register_frameworks(register: Any) -> None:
        register(HERE / definition)

    module.register_frameworks = register_frameworks  # type: ignore[attr-defined]
    return module


@pytest.fixture
def v1() -> Any:
    return inspectkit.load_registry(plugins=[("v1", _plugin("v1.yaml"))], entry_points=False).engine("tiny_versions")


@pytest.fixture
def v2() -> Any:
    return inspectkit.load_registry(plugins=[("v2", _plugin("v2.yaml"))], entry_points=False).engine("tiny_versions")


OLD = {
    "schema": 1,
    "edition": "tiny_versions",
    "edition_version": "1.0",
    "case_id": "OLD-1",
    "answers": {
        "sentence": "licence",
        "H1": "yes",
        "H2": "no",
        "H3": "yes",
        "H4": "yes",
        "H5": "rarely",
        "H6": "Seen at home twice.",
        "H": "no",
    },
    "notes": {"H2": "No risk plan on file.", "H": "Risk work missing."},
}

FRESH = {
    "schema": 1,
    "edition": "tiny_versions",
    "edition_version": "2.0",
    "case_id": "OLD-1",
    "answers": {
        "sentence": "licence",
        "H1a": "yes",
        "H2a": "no",
        "H2b": "no",
        "H34": "yes",
        "H5": "less_often",
        "H": "no",
    },
    "notes": {"H2a": "No risk plan on file.", "H2b": "No risk plan on file.", "H": "Risk work missing."},
}


def test_the_old_case_is_a_valid_version_1_case(v1: Any) -> None:
    assert v1.assess(OLD).errors == ()


def test_every_answer_is_carried_transformed_or_listed_with_its_reason(v2: Any) -> None:
    m = migrate_case(v2, OLD, "old.yaml")
    assert (m.from_version, m.to_version) == ("1.0", "2.0")
    assert {a.old for a in m.carried} == {("sentence",), ("H",)}
    assert {(a.old, a.new, a.how) for a in m.transformed} == {
        (("H1",), ("H1a",), "renamed"),
        (("H2",), ("H2a", "H2b"), "split"),
        (("H3", "H4"), ("H34",), "merged"),
        (("H5",), ("H5",), "recoded"),
    }
    (dropped,) = m.not_carried
    assert (dropped.old, dropped.how, dropped.value) == (("H6",), "removed", "Seen at home twice.")
    assert "no longer asks" in dropped.reason
    # every old answer is accounted for exactly once
    accounted = [old for a in m.moves for old in a.old]
    assert sorted(accounted) == sorted(OLD["answers"])
    recoded = next(a for a in m.transformed if a.how == "recoded")
    assert recoded.reason.startswith("'rarely' is now 'less_often'")


def test_a_migrated_case_assesses_as_one_written_fresh(v2: Any) -> None:
    migrated = migrate_case(v2, OLD).case
    assert migrated["answers"] == FRESH["answers"]
    assert migrated["notes"] == FRESH["notes"]
    assert v2.assess(migrated).to_dict() == v2.assess(FRESH).to_dict()
    assert v2.assess(migrated).errors == ()


def test_merged_answers_that_differ_are_not_carried(v2: Any) -> None:
    old = {**OLD, "answers": {**OLD["answers"], "H4": "no"}}
    m = migrate_case(v2, old)
    (differ,) = [a for a in m.not_carried if a.how == "differ"]
    assert differ.old == ("H3", "H4") and "answer H34 afresh" in differ.reason
    assert "H34" not in m.case["answers"]


def test_an_answer_the_new_rules_refuse_is_listed_not_dropped(v2: Any) -> None:
    old = {**OLD, "answers": {**OLD["answers"], "sentence": "custody", "H7": "yes"}}
    m = migrate_case(v2, old)
    (refused,) = [a for a in m.not_carried if a.how == "refused"]
    assert refused.old == ("H7",) and "does not apply" in refused.reason
    assert "H7" not in m.case["answers"]


def test_a_case_of_a_version_the_edition_does_not_supersede(v2: Any) -> None:
    from inspectkit.errors import UsageError

    with pytest.raises(UsageError, match="does not say it supersedes tiny_versions version 0.5"):
        migrate_case(v2, {**OLD, "edition_version": "0.5"})


# ------------------------------------------------------------------------------------------ the command


@pytest.fixture
def cli2(monkeypatch: pytest.MonkeyPatch) -> Any:
    from tests.conftest import Cli

    return Cli(monkeypatch, [("v2", _plugin("v2.yaml"))])


def test_migrate_lists_every_answer_and_writes_nothing_without_an_output(cli2: Any, tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(OLD, sort_keys=False))
    before = path.read_text()
    result = cli2("migrate", "--to", "tiny_versions@2.0", str(path), "--format", "table")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "H2 -> H2a, H2b (split)" in out and "H3, H4 -> H34 (merged)" in out
    assert "not carried: H6 (removed): The 2.0 document no longer asks" in out
    assert "nothing written" in result.stderr
    assert path.read_text() == before


def test_migrate_writes_new_files_and_in_place_only_when_asked(cli2: Any, tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(OLD, sort_keys=False))
    out_dir = tmp_path / "new"
    result = cli2("migrate", "--to", "tiny_versions", str(path), "-o", str(out_dir), "--format", "json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["cases"]
    assert report["written"] == str(out_dir / "old.yaml")
    written = yaml.safe_load((out_dir / "old.yaml").read_text())
    assert written["edition_version"] == "2.0" and written["answers"] == FRESH["answers"]
    assert yaml.safe_load(path.read_text())["answers"] == OLD["answers"]

    again = cli2("migrate", "--to", "tiny_versions", str(path), "-o", str(out_dir))
    assert again.exit_code == 2 and "already exists" in again.output

    in_place = cli2("migrate", "--to", "tiny_versions", str(path), "--in-place")
    assert in_place.exit_code == 0, in_place.output
    assert yaml.safe_load(path.read_text())["answers"] == FRESH["answers"]


def test_migrate_refuses_a_version_that_is_not_installed(cli2: Any, tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(OLD, sort_keys=False))
    result = cli2("migrate", "--to", "tiny_versions@3.0", str(path))
    assert result.exit_code == 2
    assert "installed tiny_versions is version 2.0, not 3.0" in result.output


def test_check_reports_a_map_to_an_id_the_edition_does_not_have(cli: Any, tmp_path: Path) -> None:
    text = (HERE / "v2.yaml").read_text().replace("new: H34, change: merged", "new: H43, change: merged")
    path = tmp_path / "v2.yaml"
    path.write_text(text)
    result = cli("check", str(path), "--format", "json")
    (error,) = json.loads(result.stdout)["errors"]
    assert error["line"] == 14 and error["message"] == "supersedes: H43 is not a question in tiny_versions"


def test_rate_over_mixed_versions_says_so(v2: Any) -> None:
    from inspectkit.aggregate import rate

    registry = inspectkit.load_registry(plugins=[("v2", _plugin("v2.yaml"))], entry_points=False)
    old_but_valid = {**FRESH, "case_id": "A", "edition_version": "1.0"}
    report = rate(registry, "tiny_versions", [{**FRESH, "case_id": "B"}, old_but_valid])
    messages = [w[3] for w in report.warnings]
    assert (
        "written for version 1.0 of tiny_versions; this is version 2.0 (inspectkit migrate --to tiny_versions rewrites it)"
        in messages
    )
    assert any(m.startswith("1 case(s) were written for another version") for m in messages)


def test_assess_names_what_became_of_an_old_id(v2: Any) -> None:
    result = v2.assess({**FRESH, "answers": {**FRESH["answers"], "H2": "no"}})
    (error,) = result.errors
    assert error.message == (
        "H2: no such question in tiny_versions 2.0; since tiny_versions 1.0 it is split (H2a, H2b); "
        "inspectkit migrate --to tiny_versions rewrites the case"
    )
    assert result.to_dict()["edition_version"] == "2.0"


def test_check_reports_a_removed_id_the_new_version_still_asks(cli: Any, tmp_path: Path) -> None:
    text = (HERE / "v2.yaml").read_text().replace("{old: H6, change: removed", "{old: H5, change: removed")
    text = "".join(line for line in text.splitlines(keepends=True) if "change: recoded" not in line)
    path = tmp_path / "v2.yaml"
    path.write_text(text)
    result = cli("check", str(path), "--format", "json")
    messages = [e["message"] for e in json.loads(result.stdout)["errors"]]
    assert "supersedes: H5 is removed, but tiny_versions still has a question H5" in messages
