"""The interview as an inspector runs it: the real ``inspectkit assess -i`` in a pseudo-terminal.

One carag_2019 case is driven through the things inspectors do: filter a long list, read guidance,
go back, jump, judge against an overriding factor (and write the note asked for), change an answer that
clears another (after confirming), be killed mid-case and carry on with nothing lost. Every wait is
bounded; the whole file takes a few seconds.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pexpect = pytest.importorskip("pexpect", reason="pexpect drives the interview in a pseudo-terminal (pip install -e '.[test]')")
if sys.platform == "win32":  # pragma: no cover
    pytest.skip("pseudo-terminals are POSIX only", allow_module_level=True)

INSPECTKIT = str(Path(sys.executable).with_name("inspectkit"))

CASE = """\
# Case file for the interview test: the comments and the order below must survive every save.
schema: 1
edition: carag_2019
case_id: NPS-N-0042   # unique within the inspection
answers:
  sentence_type: licence
  start_date: '2024-01-15'
  case_ended: 'no'
  indeterminate_sentence: 'no'
  custody_months: 30          # the single longest offence
  registered_sex_offender: 'no'
  specified_offence_kind: schedule_15
  A3.1: 'yes'
  A3.2: 'no'
  A3.3: 'no'
  A3.4: 'yes'
  A3.5: 'yes'
  A3.6: 'yes'
  A3.7: 'yes'
  A3.8: low
"""


@pytest.fixture
def env() -> dict[str, str]:
    out = dict(os.environ)
    out.update(COLUMNS="100", LINES="40", TERM="dumb")  # the definition cache is shared: a cold start is slow
    out.pop("INSPECTKIT_LOAD_PLUGINS", None)
    return out


def spawn(path: Path, env: dict[str, str]) -> pexpect.spawn:
    child = pexpect.spawn(
        INSPECTKIT,
        ["assess", "-i", str(path), "--format", "json"],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 100),
    )
    return child


def answer(child: pexpect.spawn, text: str, then: str) -> None:
    child.sendline(text)
    child.expect(then)


def test_an_inspector_records_a_case(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(CASE)
    path.chmod(0o640)
    child = spawn(path, env)
    try:
        child.expect("specified_offence> ")
        # a long list: no number picks a choice that was not shown; typing filters it
        answer(child, "1", "A number picks from a list on screen")
        answer(child, "wounding", r"\d+ match 'wounding'")
        child.expect(r"(\d+)\. [^\[]*\[oapa1861_s18_wounding_with_intent_to_cause\]")
        answer(child, child.match.group(1), "enforcement_or_recall> ")
        answer(child, "?", "No guidance for this question|Guidance")
        answer(child, "n", "I6.1> ")
        # back: the answer given is the default, Enter keeps it
        answer(child, "back", r"Answered: no \(Enter keeps it\)")
        answer(child, "", "I6.1> ")
        # jump to a summary judgement: the tally in the edition's own words and the overriding factor
        answer(child, "jump A3S", "What it weighs")
        child.expect("linked: ")
        child.expect("Overriding factor: Current domestic abuse")
        child.expect("A3S> ")
        answer(child, "yes", "Note on A3S")
        answer(child, "Risk to the partner was analysed in the MARAC minutes", "Note saved")
        # a change that makes another answer not apply: listed, confirmed, then cleared
        child.expect(r"> ")
        answer(child, "jump A3.6", "A3.6> ")
        answer(child, "n", r"these answers no longer apply")
        child.expect(r"A3\.7 = yes")
        answer(child, "y", "Why the change")
        answer(child, "The safeguarding concern was closed before sentence", "cleared 1 answer")
        child.expect(r"> ")
        saved = yaml.safe_load(path.read_text())
        child.kill(signal.SIGKILL)  # killed mid-case: nothing answered may be lost
        child.wait()
    finally:
        if child.isalive():
            child.kill(signal.SIGKILL)

    text = path.read_text()
    assert text.startswith("# Case file for the interview test")
    assert "case_id: NPS-N-0042   # unique within the inspection" in text
    assert "custody_months: 30          # the single longest offence" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert yaml.safe_load(text) == saved
    answers = saved["answers"]
    assert answers["specified_offence"] == "oapa1861_s18_wounding_with_intent_to_cause"
    assert answers["enforcement_or_recall"] == "no"
    assert answers["A3S"] == "yes" and answers["A3.6"] == "no" and "A3.7" not in answers
    assert list(answers)[:3] == ["sentence_type", "start_date", "case_ended"]
    assert saved["notes"] == {"A3S": "Risk to the partner was analysed in the MARAC minutes"}
    changes = [(h["question"], h["old"], h["new"]) for h in saved["history"]]
    assert changes == [("A3.6", "yes", "no"), ("A3.7", "yes", None)]
    assert saved["history"][0]["why"] == "The safeguarding concern was closed before sentence"

    # resumed: it carries on at the first question still to answer, and a second interview is refused
    child = spawn(path, env)
    try:
        child.expect("I6.1> ")
        refused = subprocess.run(
            [INSPECTKIT, "assess", "-i", str(path)], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        assert refused.returncode == 2
        assert "open in another interview" in refused.stderr
        child.sendline("quit")
        child.expect("Saved")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.kill(signal.SIGKILL)
    assert yaml.safe_load(path.read_text()) == saved
    history = subprocess.run(
        [INSPECTKIT, "assess", str(path), "--history", "--format", "table"], env=env, capture_output=True, text=True, timeout=60
    )
    assert history.returncode == 0
    assert "A3.7" in history.stdout and "(cleared)" in history.stdout
