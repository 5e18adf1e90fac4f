"""Saving a case file during an interview: the inspector's layout, permissions and links survive; one interview at a time."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from inspectkit.casefile import CaseFile, interview_lock
from inspectkit.errors import UsageError

LAID_OUT = """\
# North inspection, case 42: evidence from OASys and nDelius
schema: 1
edition: tiny_2024
case_id: N-42  # as in the sample list
answers:
  sentence_type: community   # from the court order
  risk: low

  needs:
    - accommodation
    - drugs
  start_date: '2024-01-08'
# a closing comment
"""


def edit(path: Path, change) -> CaseFile:
    case = CaseFile.open(path)
    change(case)
    case.save()
    return case


def test_changes_are_spliced_in_and_everything_else_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(LAID_OUT)

    def change(case: CaseFile) -> None:
        case.answers["risk"] = "high"
        case.answers["needs"] = ["drugs"]
        del case.answers["start_date"]
        case.answers["2.1.1"] = "yes"  # an id YAML would read as a number unless quoted
        case.notes["2.1.1"] = "Risk: reviewed at the MARAC"
        case.record("risk", "low", "high", "a new conviction came to light")

    case = edit(path, change)
    assert not case.layout_lost
    text = path.read_text()
    assert text.startswith("# North inspection, case 42")
    assert "case_id: N-42  # as in the sample list" in text
    assert "  sentence_type: community   # from the court order\n  risk: high\n\n  needs: [drugs]\n" in text
    assert "start_date" not in text and "# a closing comment" in text
    data = yaml.safe_load(text)
    assert list(data) == ["schema", "edition", "case_id", "answers", "notes", "history"]
    assert data["answers"] == {"sentence_type": "community", "risk": "high", "needs": ["drugs"], "2.1.1": "yes"}
    assert data["notes"] == {"2.1.1": "Risk: reviewed at the MARAC"}
    (entry,) = data["history"]
    assert list(entry) == ["at", "question", "old", "new", "why"] and entry["old"] == "low"
    # the next save appends to what is there
    edit(path, lambda c: c.record("needs", ["accommodation", "drugs"], ["drugs"], "checked again"))
    assert [h["question"] for h in yaml.safe_load(path.read_text())["history"]] == ["risk", "needs"]


@pytest.mark.parametrize(
    "ending", ["answers:", "answers:\n", "answers: {}\n", "answers: ~\n", "answers:   # none yet\n", "answers: []\n"]
)
def test_a_fresh_file_with_no_answers_yet(tmp_path: Path, ending: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(f"schema: 1\nedition: tiny_2024\ncase_id: N-1\n{ending}")
    if ending == "answers: []\n":
        with pytest.raises(Exception, match="answers must be a mapping"):
            CaseFile.open(path)
        return
    case = edit(path, lambda c: c.answers.update(sentence_type="licence"))
    assert yaml.safe_load(path.read_text())["answers"] == {"sentence_type": "licence"}
    assert not case.layout_lost
    edit(path, lambda c: c.answers.update(risk="low"))
    assert yaml.safe_load(path.read_text())["answers"] == {"sentence_type": "licence", "risk": "low"}


def test_a_layout_the_splicing_cannot_follow_is_written_whole_without_losing_an_answer(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("schema: 1\nedition: tiny_2024\ncase_id: N-1\nanswers: {sentence_type: licence}\n")
    case = edit(path, lambda c: c.answers.update(risk="low"))
    assert case.layout_lost
    assert yaml.safe_load(path.read_text())["answers"] == {"sentence_type": "licence", "risk": "low"}


def test_a_block_scalar_note_is_replaced_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "schema: 1\ncase_id: N-1\nanswers:\n  risk: low\nnotes:\n  risk: |\n    first line\n    second line\n  # kept\n"
    )
    edit(path, lambda c: c.notes.update(risk="one line now"))
    text = path.read_text()
    assert yaml.safe_load(text)["notes"] == {"risk": "one line now"} and "  # kept\n" in text


def test_permissions_and_symlinks_are_kept(tmp_path: Path) -> None:
    real = tmp_path / "store" / "case.yaml"
    real.parent.mkdir()
    real.write_text("schema: 1\ncase_id: N-1\nanswers:\n  risk: low\n")
    real.chmod(0o640)
    link = tmp_path / "case.yaml"
    link.symlink_to(real)
    edit(link, lambda c: c.answers.update(risk="high"))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert yaml.safe_load(real.read_text())["answers"] == {"risk": "high"}
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert [p.name for p in real.parent.iterdir()] == ["case.yaml"]  # no temporary file left behind


def test_json_case_files_keep_their_key_order(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"case_id": "N-1", "schema": 1, "answers": {"risk": "low"}}')
    edit(path, lambda c: c.answers.update(sentence_type="licence"))
    import json

    data = json.loads(path.read_text())
    assert list(data) == ["case_id", "schema", "answers"] and list(data["answers"]) == ["risk", "sentence_type"]


def test_one_interview_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("schema: 1\n")
    with interview_lock(path):
        with pytest.raises(UsageError, match="open in another interview") as info:
            with interview_lock(path):
                pass
        assert info.value.exit_code == 2 and f"process {os.getpid()}" in str(info.value)
    with interview_lock(path):  # released when the first one ends
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file to another owner")
def test_a_file_saved_by_root_keeps_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text("schema: 1\ncase_id: N-1\nanswers:\n  risk: low\n")
    os.chown(path, 65534, 65534)
    edit(path, lambda c: c.answers.update(risk="high"))
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)
