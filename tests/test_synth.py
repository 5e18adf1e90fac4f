"""Synthetic cases feed demos, tests and benchmarks: every one valid for its edition, with the variety real
cases have, and the same cases for the same seed, byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

import inspectkit.plugins
from inspectkit import synth

EDITIONS = ("standards_2020", "carag_2019", "qi_2017", "adult_offending_2013")


@pytest.fixture(scope="module")
def installed() -> inspectkit.Registry:
    return inspectkit.plugins.load_registry()


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_synthetic_case_is_valid_for_its_edition(installed: Any, edition: str) -> None:
    """rate and assess find no error in any of them (warnings are findings, which synthetic cases may hold)."""
    engine = installed.engine(edition)
    errors = Counter()
    for case in synth.iter_synthetic(engine, 300, seed=5):
        for message in engine.evaluate(case).errors:
            errors[f"{message.question}: {message.message}"] += 1
    assert not errors, errors.most_common(5)


@pytest.mark.parametrize("edition", EDITIONS)
def test_synthetic_cases_reach_every_question_and_answer(installed: Any, edition: str) -> None:
    """Every question is answered in some case (every path of the conditions is taken), and every answer of a
    question with a short list of answers is given in some case."""
    engine = installed.engine(edition)
    given: dict[str, Counter] = defaultdict(Counter)
    for case in synth.iter_synthetic(engine, 2000, seed=11):
        for qid, value in case["answers"].items():
            given[qid][value if isinstance(value, str) else type(value).__name__] += 1
    askable = [i for i in engine.case_items if i.answer is not None and i.derive is None]
    assert [i.id for i in askable if i.id not in given] == []
    short = [i for i in askable if i.answer.name in ("yes_no", "choice", "rating") and len(i.answer.codes) <= 16]
    assert {
        i.id: [c for c in i.answer.codes if not given[i.id][c]] for i in short if not all(given[i.id][c] for c in i.answer.codes)
    } == {}
    assert any(given[i.id]["n/a"] for i in askable if i.answer.na)  # inspectors write n/a where the guidance allows


def test_synthetic_cases_keep_the_share_an_edition_leaves_out_of_its_sample(installed: Any) -> None:
    """carag_2019 leaves out cases by its own sample rule (dates of the period inspected): about 1-2% of synthetic
    cases, as before synth was made faster; the rest have questions that do not apply, as real cases do."""
    engine = installed.engine("carag_2019")
    results = [engine.evaluate(c) for c in synth.iter_synthetic(engine, 2000, seed=3)]
    left_out = sum(not r.in_sample for r in results) / len(results)
    assert 0.005 <= left_out <= 0.04, left_out
    statuses = Counter(status for r in results[:200] for _, q in engine.question_results(r) for status in [q.status])
    assert statuses["not_applicable"] > 0.05 * sum(statuses.values())


def test_synth_output_for_a_seed_is_recorded(engine: Any, tmp_path: Path) -> None:
    """The same seed gives the same cases: one seed's cases held to a recorded hash.

    A change to synth or to the tiny framework that changes them on purpose says so in its commit and updates this
    (the cases for a seed changed when synth was made about 20 times faster)."""
    text = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in synth.iter_synthetic(engine, 50, 7))
    assert hashlib.sha256(text.encode()).hexdigest() == "e37b8d29f5db5bffc06f04d284611186ffd2f7ca0866e43d16c15b4cc7acd1c1"
    out = tmp_path / "cases.jsonl"
    synth.write_cases(engine, 50, 7, out)
    assert out.read_text(encoding="utf-8") == text  # the file synth writes holds exactly these


def test_the_same_seed_gives_the_same_bytes_in_every_process(installed: Any, tmp_path: Path) -> None:
    """Within one process (whatever synth has remembered of the rules) and across runs with different hash seeds."""
    engine = installed.engine("qi_2017")
    first = [json.dumps(c) for c in synth.iter_synthetic(engine, 200, 42)]
    assert [json.dumps(c) for c in synth.iter_synthetic(engine, 200, 42)] == first
    assert [json.dumps(c) for c in synth.iter_synthetic(engine, 200, 43)] != first
    exe = Path(sys.executable).with_name("inspectkit")
    out = tmp_path / "run.jsonl"
    env = {**os.environ, "PYTHONHASHSEED": "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"}
    subprocess.run([str(exe), "synth", "-e", "qi_2017", "-n", "200", "--seed", "42", "-o", str(out)], check=True, env=env)
    assert out.read_text(encoding="utf-8").splitlines() == [json.dumps(json.loads(line), separators=(",", ":")) for line in first]


@pytest.mark.parametrize("edition", EDITIONS)
def test_yaml_case_files_are_what_pyyaml_writes(installed: Any, edition: str, tmp_path: Path) -> None:
    """One YAML file per case, byte for byte as ``yaml.safe_dump(case, sort_keys=False)`` writes it (synth renders
    each answer once and reuses it), and the same cases as JSON Lines for the same seed."""
    import yaml

    engine = installed.engine(edition)
    synth.write_cases(engine, 60, 8, tmp_path / "cases")
    expected = list(synth.iter_synthetic(engine, 60, 8))
    assert sorted(p.name for p in (tmp_path / "cases").iterdir()) == sorted(f"{c['case_id']}.yaml" for c in expected)
    for case in expected:
        text = (tmp_path / "cases" / f"{case['case_id']}.yaml").read_text(encoding="utf-8")
        assert text == yaml.safe_dump(case, sort_keys=False, allow_unicode=True)


@pytest.mark.parametrize("edition", ["standards_2020", "carag_2019"])
def test_what_synth_remembers_changes_only_its_speed(installed: Any, edition: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where cases share which questions apply, synth remembers each case's layout; where they seldom do (and for a
    whole run, from the start) it takes out what does not apply instead: the cases are the same either way."""
    engine = installed.engine(edition)
    monkeypatch.setattr(synth, "_PLANS", {})
    remembered = [json.dumps(c) for c in synth.iter_synthetic(engine, 1500, 4)]
    monkeypatch.setattr(synth, "_PLANS", {})
    plan = synth._plan(engine)
    plan._remember_layouts = False
    assert [json.dumps(c) for c in synth.iter_synthetic(engine, 1500, 4)] == remembered


@pytest.mark.parametrize("name", ["cases.jsonl", "cases"])
def test_progress_counts_up_to_every_case_written(engine: Any, tmp_path: Path, name: str) -> None:
    """On a terminal synth shows how many cases are written so far (every few hundred), ending at all of them."""
    seen: list[int] = []
    assert synth.write_cases(engine, 520, 1, tmp_path / name, progress=seen.append) == 520
    assert seen == [256, 512, 520]
