"""Record an inspector's interview with the real command in a pseudo-terminal: docs/interview-transcript.txt.

    python docs/record_interview.py /tmp/interview docs/interview-transcript.txt

The first part is typed as an inspector would (a filtered offence list, guidance, back, a judgement against
an overriding factor with its note, missing, a change that clears another answer, review); after that the
recorded inspector answers yes to each yes/no question, takes the rules' suggestion or the first choice, and
writes a short text where one is asked.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect

# the inspector's own part: (what the screen shows last, what they type)
SCRIPT = [
    ("Case id", "NPS-N-0042"),
    ("sentence_type> ", "3"),
    ("start_date> ", "2024-01-15"),
    ("case_ended> ", "n"),
    ("indeterminate_sentence> ", "n"),
    ("custody_months> ", "30"),
    ("registered_sex_offender> ", "n"),
    ("specified_offence_kind> ", "?"),
    ("specified_offence_kind> ", "2"),
    ("specified_offence> ", "1"),
    ("specified_offence> ", "wounding"),
    ("specified_offence> ", "s18_wounding"),
    ("enforcement_or_recall> ", "n"),
    ("I6.1> ", "North East cluster"),
    ("I6.2> ", "Newcastle public protection team"),
    ("I15.1> ", "1"),
    ("I15.2> ", "back"),
    ("I15.1> ", ""),
    ("I15.2> ", "30"),
    ("I15.4> ", "Standard conditions; reside at approved premises; no contact with the victim"),
    ("I17.1> ", "y"),
    ("I18> ", "11"),
    ("I19> ", "Wounding with intent to cause grievous bodily harm"),
    ("I20.1> ", "1"),
    ("A0.2> ", "y"),
    ("A0.3> ", "y"),
    ("A1.1> ", "y"),
    ("A1.2> ", "n"),
    ("A1.3> ", "y"),
    ("A1.4> ", "y"),
    ("A1.5> ", "y"),
    ("A1.6> ", "y"),
    ("A1S> ", "y"),
    ("A2.1> ", "y"),
    ("A2.2> ", "y"),
    ("A2.3> ", "family, alcohol"),
    ("A2.4> ", "y"),
    ("A2.5> ", "2, 5"),
    ("A2.6> ", "y"),
    ("A2.6.ogrs> ", "48"),
    ("A2.7> ", "n"),
    ("A2.8> ", "y"),
    ("A2.9> ", "y"),
    ("A2.10> ", "y"),
    ("A2S> ", "y"),
    ("A3.1> ", "y"),
    ("A3.2> ", "n"),
    ("A3.3> ", "y"),
    ("A3.4> ", "y"),
    ("A3.5> ", "y"),
    ("A3.6> ", "y"),
    ("A3.7> ", "y"),
    ("A3.8> ", "medium"),
    ("A3.9> ", "high"),
    ("A3.11> ", "y"),
    ("A3.12> ", "y"),
    ("A3.13> ", "4"),
    ("Note on A3.13", ""),
    ("A3.14> ", "1"),
    ("A3.15> ", ""),
    ("A3.16> ", "y"),
    ("A3.17> ", "n"),
    ("A3.18> ", "y"),
    ("A3.19> ", "y"),
    ("A3S> ", "y"),
    ("Note on A3S", "Partner's risk was analysed in the MARAC minutes and the police DA referral, though not in OASys."),
    ("P1.1> ", "missing"),
    ("P1.1> ", "jump A3.6"),
    ("A3.6> ", "n"),
    ("Clear them", "y"),
    ("Why the change", "The children's services referral was closed before sentence; no current concern."),
    ("> ", "review A3"),
    ("> ", "jump P1.1"),
]

# at the end of the interview: the errors and warnings listed, and what the inspector does about them
END = [
    ("or a command> ", "jump A3.14"),
    ("A3.14> ", "2"),
    ("Why the change", "Level 2 from the MAPPA minutes of March 2024; level 1 was the screening."),
    ("or a command> ", "note A3.13"),
    ("Note on A3.13", "Referred by the SPO as category 3; accepted at the MAPPA meeting of 4 March 2024."),
    ("or a command> ", ""),
]


def main(folder: Path, out: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    case = folder / "NPS-N-0042.yaml"
    case.unlink(missing_ok=True)
    env = dict(os.environ, COLUMNS="100", LINES="60", TERM="xterm")
    raw = out.with_suffix(".raw")
    with raw.open("w", encoding="utf-8") as log:
        child = pexpect.spawn(
            "inspectkit",
            ["assess", "--edition", "carag_2019", "--interactive", case.name],
            cwd=str(folder),
            env=env,
            encoding="utf-8",
            timeout=60,
            dimensions=(60, 100),
        )
        child.logfile_read = log
        for shown, typed in SCRIPT:
            child.expect_exact(shown)
            child.sendline(typed)
        while True:  # the rest of the case
            prompts = [r"Skip (\S+) for now\?", "or a command> ", "Clear them", "Why the change", r"Note on (\S+)"]
            i = child.expect([*prompts, r"\n([A-Za-z0-9_.]+)> ", pexpect.EOF])
            if i == 6:
                break
            if i == 1:
                for k, (shown, typed) in enumerate(END):
                    if k:  # the first prompt is the one just matched
                        child.expect_exact(shown)
                    child.sendline(typed)
                child.expect(pexpect.EOF)
                break
            if i < 5:
                child.sendline(["y", "", "y", "", "Seen in the case record"][i])
                continue
            before = child.before[-600:]
            if "(yes/no" in before:
                child.sendline("y")
            elif "Suggested:" in before:
                child.sendline("")
            elif " 1. " in before:
                child.sendline("1")
            elif "(text" in before:
                child.sendline("Seen in the case record")
            elif "(date" in before:
                child.sendline("2024-02-01")
            else:
                child.sendline("3")
        child.close()
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw.read_text(encoding="utf-8"))
    out.write_text(text.replace("\r\n", "\n").replace("\r", ""), encoding="utf-8")
    raw.unlink()
    return child.exitstatus or 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
