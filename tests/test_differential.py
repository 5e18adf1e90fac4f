"""Every way of rating gives the same report, byte for byte: one process or workers, over synthetic cases of
every installed edition (some made to fail or to draw warnings)."""

from __future__ import annotations

import json
import multiprocessing
import random
from pathlib import Path

import pytest

import inspectkit.plugins
from inspectkit import aggregate
from inspectkit.synth import iter_synthetic

EDITIONS = ("carag_2019", "standards_2020", "qi_2017", "adult_offending_2013")
# cases per edition: enough for every rule to fire both ways, few enough to stay within a few seconds
# (adult_offending_2013's synthetic cases are the slowest to make)
CASES = {"adult_offending_2013": 40}
DEFAULT_CASES = 100


@pytest.fixture(scope="module")
def installed() -> inspectkit.Registry:
    return inspectkit.plugins.load_registry()


def _cases(registry: inspectkit.Registry, edition: str, folder: Path) -> Path:
    engine = registry.engine(edition)
    rng = random.Random(14)
    lines = []
    for doc in iter_synthetic(engine, CASES.get(edition, DEFAULT_CASES), seed=14):
        roll = rng.random()
        answers = doc["answers"]
        if roll < 0.1:  # an answer the edition does not allow
            answers[rng.choice(sorted(answers))] = "not a code"
        elif roll < 0.2:  # a judgement changed: checks and suggestions may now disagree with it
            key = rng.choice(sorted(answers))
            if answers[key] in ("yes", "no"):
                answers[key] = "no" if answers[key] == "yes" else "yes"
        elif roll < 0.25:  # an answer removed
            answers.pop(rng.choice(sorted(answers)), None)
        lines.append(json.dumps(doc))
    lines.insert(len(lines) // 2, lines[3])  # a case id given twice
    path = folder / f"{edition}.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _report(registry: inspectkit.Registry, edition: str, path: Path, jobs: int) -> str:
    report = aggregate.rate_paths(registry, edition, [path], jobs=jobs)
    return "".join(aggregate.json_chunks(report.to_dict(lazy=True)))


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_mode_gives_the_same_report(installed: inspectkit.Registry, edition: str, tmp_path: Path) -> None:
    if edition not in installed.entries:
        pytest.skip(f"{edition} is not installed")
    path = _cases(installed, edition, tmp_path)
    one = _report(installed, edition, path, jobs=1)
    assert json.loads(one)["cases"] + len(json.loads(one)["excluded"]) == CASES.get(edition, DEFAULT_CASES) + 1
    if "fork" in multiprocessing.get_all_start_methods():
        assert _report(installed, edition, path, jobs=2) == one
