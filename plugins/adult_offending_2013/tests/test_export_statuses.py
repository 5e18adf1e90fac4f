"""An analyst's export says what `assess` says: a criterion the inspector left to the rules is `derived`, with the
rules' result, in the CSV and the JSON Lines tables alike."""

import csv
import io
import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from inspectkit.cli import main

GOLDEN = Path(__file__).parent / "golden" / "na_indicator_does_not_lower_criterion.yaml"


def _rows(runner: CliRunner, case: Path, fmt: str, out: Path) -> list[tuple[str, str, str, str]]:
    result = runner.invoke(main, ["export", "-e", "adult_offending_2013", str(case), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    if fmt == "csv":
        records = list(csv.DictReader(io.StringIO(text)))
    else:
        records = [json.loads(line) for line in text.splitlines()]
    return [(r["question_id"], r["category"] or "", r["status"], r["value"] or "") for r in records]


def test_unjudged_criteria_are_exported_as_assess_reports_them(tmp_path: Path) -> None:
    case = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["case"]
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case, sort_keys=False), encoding="utf-8")
    runner = CliRunner()
    assessed = json.loads(runner.invoke(main, ["assess", str(path), "--format", "json"]).stdout)["questions"]
    # the criteria (3.1.a): the case answers their indicators and leaves the judgement to the rules
    criteria = [q for q in assessed if q.count(".") == 2 and q.rsplit(".", 1)[1].isalpha() and q not in case["answers"]]
    assert len(criteria) > 10

    as_csv = _rows(runner, path, "csv", tmp_path / "out.csv")
    as_jsonl = _rows(runner, path, "jsonl", tmp_path / "out.jsonl")
    assert as_csv == as_jsonl
    by_id = {q: (status, value) for q, _, status, value in as_csv}
    for q in criteria:
        want = assessed[q]
        assert by_id[q] == (want["status"], want["value"] or ""), q
    assert any(by_id[q][0] == "derived" and by_id[q][1] for q in criteria)
