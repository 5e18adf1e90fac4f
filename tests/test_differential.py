"""Every way of rating gives the same report, byte for byte: one process, or workers (forked or spawned)
each counting its own shares of the input, over synthetic cases of every installed edition (some made to
fail or to draw warnings, some ids given twice within and across shares)."""

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


def _report(registry: inspectkit.Registry, edition: str, paths: list[Path], jobs: int, method: str | None = None) -> str:
    report = aggregate.rate_paths(registry, edition, paths, jobs=jobs, method=method)
    return "".join(aggregate.json_chunks(report.to_dict(lazy=True)))


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_mode_gives_the_same_report(
    installed: inspectkit.Registry, edition: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if edition not in installed.entries:
        pytest.skip(f"{edition} is not installed")
    path = _cases(installed, edition, tmp_path)
    # a second file that gives some of the same cases again, and a blank line, and no newline at its end:
    # ids repeated across the shares the workers count
    lines = path.read_text(encoding="utf-8").splitlines()
    again = tmp_path / "again.jsonl"
    again.write_text("\n".join([lines[-1], "", *lines[5:9], lines[0]]), encoding="utf-8")
    paths = [path, again]
    one = _report(installed, edition, paths, jobs=1)
    assert json.loads(one)["cases"] + len(json.loads(one)["excluded"]) == CASES.get(edition, DEFAULT_CASES) + 1 + 6
    assert one.count("is used by an earlier case too") >= 7
    monkeypatch.setattr(aggregate, "_SMALLEST_SHARE", 4096)  # many shares of a few cases each
    for method in ("fork", "spawn"):
        if method in multiprocessing.get_all_start_methods():
            assert _report(installed, edition, paths, jobs=2, method=method) == one, method
