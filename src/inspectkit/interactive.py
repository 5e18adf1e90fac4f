"""``inspectkit assess -i``: an interview that records a whole case the way inspectors work.

It asks each applicable, unanswered question in document order, and lets the inspector move about the
case as they would on paper: ``back``, ``jump ID`` (or a section), ``missing``, ``review``, ``skip``,
``note``, ``quit``. Before a summary judgement it shows what the judgement weighs, any overriding
factor that fires and the rules' suggestion; a suggestion is the default answer. Changing an answer that
other answers depend on lists what would no longer apply and asks before clearing it, and the case file
keeps a history of changed and cleared answers.

Every answer is saved at once (atomically, keeping the file's comments, key order and permissions), so
an interrupted interview loses nothing and resumes where it stopped. Prompts go to standard error, so
standard output carries only the case's result.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any

import attrs
import click

from inspectkit.casefile import CaseFile, interview_lock, real_path
from inspectkit.engine import Engine
from inspectkit.errors import Location, UsageError
from inspectkit.expressions import NA, truth
from inspectkit.model import Choice, InvalidAnswer, Item

COMMANDS = """\
Commands (at any question):
  ?            the guidance for this question
  back         the question before this one
  jump ID      go to a question (jump A3.7) or a section (jump A3, jump P)
  missing      what is still to answer, by section
  review [S]   the answers so far, section by section (or one section: review A3)
  skip         leave this question for now (Enter on an empty answer asks first)
  note [ID]    add or change a note on this question (or on ID)
  quit         save and stop; run the same command to carry on
A number picks from the list shown; on a long list, type part of a name or code to see the matches.
To answer a text question with one of these words, put it in quotes."""

LONG_LIST = 20  # choices shown in full up to this many; longer lists are filtered by what is typed
SHORT_WORDS = {"b": "back", "j": "jump", "go": "jump", "m": "missing", "r": "review", "q": "quit", "exit": "quit", "h": "help"}


def say(text: str = "") -> None:
    """Prompts and questions go to standard error, so standard output carries only the case's result."""
    click.echo(text, err=True)


def width() -> int:
    return max(40, min(shutil.get_terminal_size((100, 24)).columns, 120) - 1)


def height() -> int:
    return max(10, shutil.get_terminal_size((100, 24)).lines)


def _interactive_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def page(lines: list[str]) -> None:
    """Print lines, a screenful at a time on a terminal (Enter for more, q to stop)."""
    room = height() - 2
    if len(lines) <= room or not _interactive_terminal():
        for line in lines:
            say(line)
        return
    for start in range(0, len(lines), room):
        for line in lines[start : start + room]:
            say(line)
        if start + room >= len(lines):
            break
        more = click.prompt(
            f"-- {start + room} of {len(lines)} lines: Enter for more, q to stop --",
            default="",
            show_default=False,
            err=True,
            prompt_suffix=" ",
        )
        if more.strip().lower().startswith("q"):
            break


def wrap(text: str, indent: str = "  ", hanging: str | None = None) -> list[str]:
    return textwrap.wrap(
        " ".join(text.split()),
        width(),
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def guidance_lines(item: Item) -> list[str]:
    """The guidance wrapped to the terminal, each headed part ("Quality indicators:") as its own block."""
    if not item.guidance.strip():
        return ["  No guidance for this question."]
    out: list[str] = []
    headed = False
    for raw in item.guidance.splitlines():
        line = raw.strip()
        if not line:
            if out and out[-1]:
                out.append("")
            continue
        if line.endswith(":") and len(line) < 60 and not line.startswith(("- ", "• ")):
            if out and out[-1]:
                out.append("")
            out.append(click.style(line[:-1], bold=True))
            headed = True
            continue
        if line.startswith(("- ", "• ")):
            out.extend(wrap(line[2:], "    - ", "      "))
        else:
            out.extend(wrap(line, "    " if headed else "  "))
    if not headed:
        out.insert(0, click.style("Guidance", bold=True))
    return out


def shown(value: Any) -> str:
    """An answer as the inspector typed it (YAML reads a bare yes as true)."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {shown(v)}" for k, v in value.items()) or "none"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@attrs.frozen
class Go:
    """Where the interview goes after a question: next, back, to an id, or stop."""

    where: str  # next | back | jump | quit | done
    target: str | None = None


class Interview:
    """One inspector, one case file: the questions, the answers so far, and where they are."""

    def __init__(self, engine: Engine, case: CaseFile):
        self.engine = engine
        self.fw = engine.framework
        self.case = case
        self.order = [i for i in engine.case_items if i.answer is not None and i.derive is None]
        self.position = {item.id: n for n, item in enumerate(self.order)}
        self.section = {item.id: self._section_of(item) for item in self.order}
        self.skipped: set[str] = set()
        self.trail: list[str] = []  # questions asked before the current one, for back
        self.ahead: list[str] = []  # questions stepped back over, to walk forward through again
        self.refresh()

    # -- the state of the case
    def refresh(self) -> None:
        self.ev = self.engine.evaluate(self.case.doc)

    @property
    def answers(self) -> dict[str, Any]:
        return self.case.answers

    def applies(self, qid: str) -> bool:
        return self.ev.env.applies(qid) is not False

    def categories(self, item: Item) -> list[Any]:
        """The categories of a per-category question that apply to this case."""
        assert item.answer is not None
        env = self.ev.env
        return [c for c in item.answer.categories if c.condition is None or truth(c.condition(env)) is not False]

    def answered(self, item: Item) -> bool:
        value = self.answers.get(item.id)
        if value is None:
            return False
        if item.answer is not None and item.answer.name == "per_category":  # {} is not an answer
            if not isinstance(value, dict):
                return True
            return bool(value) and all(c.code in value for c in self.categories(item))
        return True

    def _section_of(self, item: Item) -> str | None:
        parent = item.parent
        while parent is not None and self.fw.items[parent].kind is not None:
            parent = self.fw.items[parent].parent
        return parent

    def section_label(self, sid: str | None) -> str:
        if sid is None:
            return "Case details"
        heading = self.fw.items[sid]
        name = " ".join((heading.title or heading.text).split())
        return f"{sid} {name}" if name and name != sid else sid

    def to_ask(self) -> list[Item]:
        """The questions that apply (those waiting on an earlier answer to know whether they apply are left out)."""
        env = self.ev.env
        return [i for i in self.order if env.applies(i.id) is True]

    def next_question(self, after: str | None = None) -> Item | None:
        """The first applicable question not yet answered or skipped, after ``after`` (then from the start).

        A question whose applicability waits on an unanswered one comes only when nothing else is left.
        """
        start = self.position[after] + 1 if after in self.position else 0
        env = self.ev.env
        ring = self.order[start:] + self.order[:start]
        for sure in (True, False):
            for item in ring:
                applies = env.applies(item.id)
                if item.id in self.skipped or applies is False or (sure and applies is not True) or self.answered(item):
                    continue
                return item
        return None

    def progress(self, item: Item) -> str:
        sid = self.section[item.id]
        applicable = self.to_ask()
        here = [i.id for i in applicable if self.section[i.id] == sid]
        done = sum(1 for i in applicable if self.answered(i))
        where = f"{here.index(item.id) + 1} of {len(here)}" if item.id in here else f"{len(here)}"
        name = sid or "Case details"
        return f"{name} · {where} applicable in this section · {done} answered, {len(applicable) - done} to go"

    # -- the interview
    def run(self, start: str | None = None) -> None:
        say(f"Case {self.case.doc.get('case_id')} ({self.fw.edition}), saved to {self.case.path} after every answer.")
        say("Type help for the commands: back, jump, missing, review, skip, note, quit.")
        current: Item | None = None
        if start is not None:
            current = self.resolve(start)
        if current is None:
            current = self.next_question()
        while True:
            try:
                go = self.finish() if current is None else self.ask(current)
            except click.exceptions.Abort:  # Ctrl-C or the end of input at any prompt: what is saved stays
                say("")
                go = Go("quit")
            if go.where == "quit":
                self.case.save()
                say(f"Saved {self.case.path}. Run the same command to carry on.")
                return
            if go.where == "done":
                return
            if go.where == "back":
                if self.trail:
                    if current is not None:
                        self.ahead.append(current.id)
                    current = self.fw.items[self.trail.pop()]
                else:
                    say("  This is the first question of this interview; use jump ID to go further back.")
                continue
            if go.where == "jump":
                target = self.fw.items[go.target] if go.target else None
                if current is not None and target is not None and target.id != current.id:
                    self.trail.append(current.id)
                self.ahead.clear()
                current = target
                continue
            # next: walk forward through what back stepped over, else on to the next unanswered question
            if current is not None:
                self.trail.append(current.id)
            current = None
            while self.ahead:
                candidate = self.fw.items[self.ahead.pop()]
                if self.applies(candidate.id):
                    current = candidate
                    break
            if current is None:
                current = self.next_question(self.trail[-1] if self.trail else None)

    def resolve(self, target: str) -> Item | None:
        """A question id, or a section (its first applicable question still to answer, else its first)."""
        items = self.fw.items
        key = target if target in items else next((i for i in items if i.lower() == target.lower()), None)
        if key is None:
            from inspectkit.errors import suggestion

            hint = suggestion(target, [i.id for i in self.order] + [s for s in set(self.section.values()) if s])
            say(f"  No question or section {target!r} in {self.fw.edition}" + (f"; {hint}" if hint else "") + ".")
            return None
        item = items[key]
        if item.id in self.position:
            if not self.applies(item.id):
                why = self.engine._why_not(item.id, self.ev.env).split("; remove the answer")[0]
                say("  " + why.replace(" is answered, but it", ""))
                return None
            return item
        if item.id in self.engine.derives:
            say(f"  {key} is worked out from other answers ({self.engine.derives[key].text}); jump to one of those.")
            return None
        inside = {d.id for d in self.fw.descendants(item.id)}
        members = [i for i in self.order if i.id in inside and self.applies(i.id)]
        if not members:
            say(f"  Nothing in {key} applies to this case" if inside else f"  {key} takes no answer in a case file.")
            return None
        return next((i for i in members if not self.answered(i)), members[0])

    def ask(self, item: Item) -> Go:
        """Ask one question until it is answered or the inspector moves on."""
        a = item.answer
        assert a is not None
        say("")
        say(click.style(self.progress(item), dim=True))
        text = " ".join((item.text or item.title).split())
        for line in wrap(text, f"{item.id}  ", "    "):
            say(click.style(line, bold=True))
        if item.kind == "summary":
            self.show_aids(item)
        current = self.answers.get(item.id)
        default: Any = None
        if current is not None and self.answered(item):
            default = current
            say(f"    Answered: {shown(current)} (Enter keeps it)")
        elif item.id in self.ev.suggested:
            default = self.ev.suggested[item.id]
            for line in wrap(f"Suggested: {shown(default)}{self.reason(item)} (Enter accepts it)", "    ", "      "):
                say(line)
        if item.id in self.case.notes:
            for line in wrap(f"Note: {self.case.notes[item.id]}", "    ", "      "):
                say(line)
        if a.name == "per_category":
            return self.ask_categories(item)
        listing: list[Choice] = []
        if a.choices and a.name in ("choice", "rating", "multi"):
            if len(a.choices) <= LONG_LIST:
                listing = list(a.choices)
                self.show_list(listing)
            else:
                say(f"    {len(a.choices)} choices: type part of a name or code to see the matches")
        if a.name == "multi":
            most = f", at most {a.max_choices}" if a.max_choices else ""
            say(f"    (several: numbers or codes separated by commas{most}" + ("; n/a" if a.na else "") + ")")
        elif not listing and not (a.name in ("choice", "rating") and len(a.choices) > LONG_LIST):
            say(f"    ({a.describe()})")
        while True:
            raw = self.read(item.id, default)
            if raw is None:
                return Go("quit")
            go = self.command(item, raw)
            if isinstance(go, Go):
                return go
            if go:
                continue
            if not raw.strip():
                if default is None:
                    if click.confirm(f"    Skip {item.id} for now?", default=False, err=True):
                        self.skipped.add(item.id)
                        return Go("next")
                    continue
                value: Any = default
            else:
                value, listing = self.parse(item, _unquote(raw), listing)
                if value is None:
                    continue
            try:
                value = self.engine.validators[item.id](value)
            except InvalidAnswer as exc:
                say(f"    {exc}")
                continue
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            if not self.commit(item, value):
                continue
            self.after_judgement(item)
            return Go("next")

    def read(self, qid: str, default: Any) -> str | None:
        try:
            return click.prompt(qid, default="", show_default=False, err=True, prompt_suffix="> ")
        except click.exceptions.Abort:  # end of input or Ctrl-C/Ctrl-D: keep what was answered
            say("")
            return None

    def command(self, item: Item, raw: str) -> Go | bool:
        """Run a command typed at a question: where to go, True when done and staying here, False if no command."""
        word, _, rest = raw.strip().partition(" ")
        word = SHORT_WORDS.get(word.lower(), word.lower())
        rest = rest.strip()
        if raw.strip() == "?":
            page(guidance_lines(item))
        elif word == "help":
            page(COMMANDS.splitlines())
        elif word == "back" and not rest:
            return Go("back")
        elif word == "jump":
            if not rest:
                say("  jump to what? e.g. jump A3.7, or jump A3 for a section")
            else:
                target = self.resolve(rest)
                if target is not None:
                    return Go("jump", target.id)
        elif word == "missing" and not rest:
            page(self.missing_lines())
        elif word == "review":
            page(self.review_lines(rest or None))
        elif word == "skip" and not rest or raw.strip() == "-":
            self.skipped.add(item.id)
            return Go("next")
        elif word == "note":
            self.edit_note(rest or item.id)
        elif word == "quit" and not rest:
            return Go("quit")
        else:
            return False
        return True

    # -- answers
    def show_list(self, choices: list[Choice]) -> None:
        for n, c in enumerate(choices, start=1):
            label = f"{c.label} [{c.code}]" if c.label and c.label != c.code else c.code
            for line in wrap(label, f"    {n:>2}. ", "        "):
                say(line)

    def parse(self, item: Item, raw: str, listing: list[Choice]) -> tuple[Any, list[Choice]]:
        """The value typed, or None (with what to show next) when it needs another try."""
        a = item.answer
        assert a is not None
        raw = raw.strip()
        if a.name == "multi":
            if a.na and raw.lower() == NA:
                return NA, listing
            codes = []
            for part in (p.strip() for p in raw.split(",")):
                if not part:
                    continue
                code, listing = self.pick(item, part, listing)
                if code is None:
                    return None, listing
                codes.append(code)
            return codes, listing
        if a.name in ("yes_no", "choice", "rating"):
            return self.pick(item, raw, listing)
        return raw, listing

    def pick(self, item: Item, word: str, listing: list[Choice]) -> tuple[str | None, list[Choice]]:
        """One choice: a number from the list on screen, a code, or a filter that shows the matches."""
        a = item.answer
        assert a is not None
        lowered = word.lower()
        if a.name == "yes_no":
            return {"y": "yes", "n": "no"}.get(lowered, word), listing
        if lowered == NA and a.na:
            return NA, listing
        if word.isdigit():
            n = int(word)
            if listing and 1 <= n <= len(listing):
                return listing[n - 1].code, listing
            if listing:
                say(f"    {n} is not on the list shown (1-{len(listing)})")
            else:
                say("    A number picks from a list on screen: type part of a name or code to see the matches")
            return None, listing
        codes = {c.code.lower(): c.code for c in a.choices}
        if lowered in codes or lowered.replace(" ", "_") in codes:
            return codes.get(lowered) or codes[lowered.replace(" ", "_")], listing
        matches = [c for c in a.choices if c.code.lower().startswith(lowered)]
        matches += [c for c in a.choices if c not in matches and (lowered in c.label.lower() or lowered in c.code.lower())]
        if not matches:
            try:
                self.engine.validators[item.id](word)
            except InvalidAnswer as exc:
                say(f"    {exc}" + ("; type part of a name or code to see the matches" if len(a.choices) > LONG_LIST else ""))
            return None, listing
        if len(matches) == 1:  # one choice fits what was typed: no need to pick it by number
            for line in wrap(f"{word} -> {matches[0].label} [{matches[0].code}]", "    ", "      "):
                say(line)
            return matches[0].code, listing
        shown_now = matches[:LONG_LIST]
        say(
            f"    {len(matches)} match {word!r}"
            + (f"; the first {LONG_LIST} are shown, type more to narrow" if len(matches) > LONG_LIST else "")
            + ":"
        )
        self.show_list(shown_now)
        return None, shown_now

    def ask_categories(self, item: Item) -> Go:
        """A per-category question: each category that applies, in turn (or several at once: ``accommodation yes``)."""
        a = item.answer
        assert a is not None
        cats = self.categories(item)
        if not cats:
            say("    No category applies to this case yet (they follow earlier answers); skipped for now.")
            self.skipped.add(item.id)
            return Go("next")
        allowed = a.codes + ((NA,) if a.na else ())
        say(f"    One answer for each: {', '.join(c.code for c in cats)} ({'/'.join(allowed)})")
        say("    Answer each below, or several at once: accommodation yes, drug_misuse no")
        old = self.answers.get(item.id)
        value: dict[str, Any] = dict(old) if isinstance(old, dict) else {}
        by_code = {c.code: c for c in cats}
        pending = [c.code for c in cats]

        def leave(go: Go) -> Go:  # moving on part-way keeps the categories already answered
            part = {c.code: value[c.code] for c in cats if c.code in value}
            if part and part != old:
                self.commit(item, part)
                if go.where == "next":  # skipped: it stays skipped for now
                    self.skipped.add(item.id)
            return go

        while pending:
            code = pending[0]
            default = value.get(code)
            hint = f" [{shown(default)}]" if default is not None else ""
            try:
                raw = click.prompt(f"{item.id} {code}{hint}", default="", show_default=False, err=True, prompt_suffix="> ")
            except click.exceptions.Abort:
                say("")
                return leave(Go("quit"))
            go = self.command(item, raw)
            if isinstance(go, Go):
                return leave(go)
            if go:
                continue
            if not raw.strip():
                if default is not None:
                    pending.pop(0)
                    continue
                if click.confirm(f"    Skip {item.id} for now?", default=False, err=True):
                    self.skipped.add(item.id)
                    return leave(Go("next"))
                continue
            parsed = _categories(raw, list(by_code), code)
            if isinstance(parsed, str):
                say(f"    {parsed}")
                continue
            bad = False
            for k, v in parsed.items():
                v = {"y": "yes", "n": "no"}.get(v.lower(), v)
                try:
                    value[k] = self.engine.validators[item.id]({k: v})[k]
                except InvalidAnswer as exc:
                    say(f"    {exc}")
                    bad = True
                    break
                if k in pending:
                    pending.remove(k)
            if bad:
                continue
        value = {c.code: value[c.code] for c in cats if c.code in value}
        if not self.commit(item, value):
            return self.ask_categories(item)
        return Go("next")

    def commit(self, item: Item, value: Any) -> bool:
        """Save an answer; when it makes later answers not apply, list them and ask before clearing them."""
        qid = item.id
        old = self.answers.get(qid)
        try:
            old_value = self.engine.validators[qid](old) if old is not None else None
        except InvalidAnswer:
            old_value = old
        if hasattr(old_value, "isoformat"):
            old_value = old_value.isoformat()
        if old is not None and old_value == value:
            return True
        trial = dict(self.answers)
        trial[qid] = value
        after = self.engine.evaluate({**self.case.doc, "answers": trial})
        lost = [q for q in self.answers if q != qid and after.env.applies(q) is False and self.applies(q)]
        lost_categories: dict[str, list[str]] = {}
        for q, cats in self.engine.category_conditions.items():
            held = trial.get(q)
            if q == qid or not isinstance(held, dict) or q in lost or after.env.applies(q) is False:
                continue
            gone = [code for code, cond in cats if code in held and truth(cond(after.env)) is False]
            if gone:
                lost_categories[q] = gone
        if lost or lost_categories:
            say(f"    With {qid} = {shown(value)}, these answers no longer apply:")
            for q in lost:
                say(f"      {q} = {shown(self.answers[q])}" + ("  (its note is kept)" if q in self.case.notes else ""))
            for q, gone in lost_categories.items():
                say(f"      {q}: {', '.join(f'{c} {shown(trial[q][c])}' for c in gone)}")
            if not click.confirm("    Clear them and save the change?", default=False, err=True):
                say(f"    Nothing changed: {qid} stays {shown(old) if old is not None else 'unanswered'}.")
                return False
        why = ""
        if old is not None:
            why = click.prompt("    Why the change? (Enter to leave it blank)", default="", show_default=False, err=True)
            self.case.record(qid, old_value, value, why.strip() or "changed in the interview")
        self.answers[qid] = value
        cause = f"no longer applies after {qid} was {'changed to' if old is not None else 'answered'} {shown(value)}"
        for q in lost:
            self.case.record(q, self.answers.pop(q), None, f"cleared: {cause}")
        for q, gone in lost_categories.items():
            kept = {k: v for k, v in self.answers[q].items() if k not in gone}
            self.case.record(q, self.answers[q], kept, f"categories {', '.join(gone)} cleared: {cause}")
            self.answers[q] = kept
        self.skipped.discard(qid)
        self.case.save()
        self.refresh()
        if lost or lost_categories:
            say(f"    Saved; cleared {len(lost) + len(lost_categories)} answer(s) (kept in the case file's history).")
        return True

    # -- summary judgements
    def show_aids(self, item: Item) -> None:
        """The tally of what a summary judgement weighs, the overriding factors that fire, the suggestion."""
        result = self.engine.assess(self.case.doc)
        aid = result.aids.get(item.id)
        if aid is None:
            return
        weighs = self.engine.weighs_sorted[item.id]
        say("    What it weighs:")
        for weight, counts in aid.tally.items():
            label = self.fw.weight_labels.get(weight, weight)
            parts = [f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if v]
            say(f"      {label}: {', '.join(parts) or 'nothing'}")
        noes = [q for q in weighs if result.questions.get(q) is not None and result.questions[q].value == "no"]
        gaps = [q for q in weighs if result.questions.get(q) is not None and result.questions[q].status == "missing"]
        if noes:
            say(f"      answered no: {', '.join(noes)}")
        if gaps:
            say(f"      not yet answered: {', '.join(gaps)}")
        for factor in aid.overriding:
            for line in wrap(f"Overriding factor: {factor}", "    ", "      "):
                say(click.style(line, fg="yellow"))

    def after_judgement(self, item: Item) -> None:
        """An answer the case now warns about until a note says why: the note, there and then.

        A judgement of yes against an overriding factor must be explained (asked until written, or left
        for later on purpose); any other answer a note would settle (one that differs from the rules'
        suggestion, a criterion judged against its indicators, a check on the question) is offered one.
        """
        if self.case.notes.get(item.id):
            return
        warned = [m for m in self.ev.warnings if m.question == item.id]
        if not warned:
            return
        factors = [o.message for o in item.overriding if truth(o.when(self.ev.env)) is True]
        insist = item.kind == "summary" and self.answers.get(item.id) == "yes" and bool(factors)
        if insist:
            say(f"    {item.id} is judged yes against an overriding factor; the guidance asks for a note saying why.")
        else:
            for m in warned:
                for line in wrap(f"Warning: {m.message}", "    ", "      "):
                    say(line)
        while True:
            hint = "" if insist else " (Enter to leave it for now)"
            text = click.prompt(f"    Note on {item.id}{hint}", default="", show_default=False, err=True)
            if text.strip():
                self.case.notes[item.id] = text.strip()
                self.case.save()
                self.refresh()
                say("    Note saved.")
                return
            if not insist or click.confirm(
                "    Leave it without a note for now (the case keeps a warning)?", default=False, err=True
            ):
                return

    def reason(self, item: Item) -> str:
        """Why the rules suggest it: the rule in the edition's plain words, else the answers it rests on."""
        if item.says:
            return ": " + " ".join(item.says.split())
        assert item.suggest is not None
        from inspectkit.engine import _what_it_reads

        reads = _what_it_reads(item.suggest, self.ev.env)
        return f", given {reads}" if reads else ", from the rules"

    # -- notes
    def edit_note(self, target: str) -> None:
        items = self.fw.items
        qid = target if target in items else next((i for i in items if i.lower() == target.lower()), None)
        if qid is None:
            say(f"  No question {target!r} in {self.fw.edition}.")
            return
        old = self.case.notes.get(qid)
        if old:
            for line in wrap(f"Note on {qid}: {old}", "    ", "      "):
                say(line)
            say("    (Enter keeps it; '-' removes it)")
        try:
            text = click.prompt(f"    Note on {qid}", default="", show_default=False, err=True)
        except click.exceptions.Abort:
            return
        text = text.strip()
        if not text:
            return
        if text == "-":
            if old is not None:
                del self.case.notes[qid]
                self.case.save()
                say("    Note removed.")
            return
        self.case.notes[qid] = text
        self.case.save()
        self.refresh()
        say("    Note saved.")

    # -- views
    def missing_lines(self) -> list[str]:
        by: dict[str | None, list[str]] = {}
        for item in self.to_ask():
            if not self.answered(item):
                by.setdefault(self.section[item.id], []).append(item.id + (" (skipped)" if item.id in self.skipped else ""))
        if not by:
            return ["  Every applicable question is answered."]
        out = [f"  Still to answer: {sum(len(v) for v in by.values())}"]
        for sid, ids in by.items():
            out.extend(wrap(f"{sid or 'Case details'} ({len(ids)}): {', '.join(ids)}", "    ", "      "))
        return out

    def review_lines(self, within: str | None = None) -> list[str]:
        """The answers so far, section by section (or one section: ``review A3``), with their statuses."""
        result = self.engine.assess(self.case.doc)
        inside: set[str] | None = None
        if within is not None:
            key = next((i for i in self.fw.items if i.lower() == within.lower()), None)
            if key is None:
                return [f"  No section {within!r} in {self.fw.edition}."]
            inside = {key} | {d.id for d in self.fw.descendants(key)}
        out: list[str] = []
        last: Any = object()
        skipped_na: dict[str | None, int] = {}
        for item in self.engine.case_items:
            if item.answer is None:
                continue
            sid = self._section_of(item)
            r = result.questions.get(item.id)
            if r is None or (inside is not None and item.id not in inside):
                continue
            if r.status == "not_applicable":
                skipped_na[sid] = skipped_na.get(sid, 0) + 1
                continue
            if sid != last:
                out.append(click.style(self.section_label(sid), bold=True))
                last = sid
            if r.status == "derived":
                value = "(worked out once its answers are in)" if r.value is None else f"{shown(r.value)} (worked out)"
            elif r.status == "missing":
                value = "skipped" if item.id in self.skipped else "-"
            else:
                value = shown(r.value)
            mark = " [note]" if item.id in self.case.notes else ""
            out.extend(wrap(f"{value}{mark}", f"    {item.id:<13} ", " " * 18))
        na_total = sum(skipped_na.values())
        if na_total:
            out.append(f"  ({na_total} question(s) do not apply to this case)")
        return out

    def finish(self) -> Go:
        """Nothing left to ask: the result in brief, each error with the command that goes to it."""
        result = self.engine.assess(self.case.doc)
        say("")
        gaps = [i.id for i in self.to_ask() if not self.answered(i)]
        if gaps:
            say(f"Nothing more to ask now; {len(gaps)} skipped: {', '.join(gaps[:12])}" + (" ..." if len(gaps) > 12 else ""))
        else:
            say("Every applicable question is answered.")
        for m in result.errors:
            for line in wrap(f"error: {m.describe()}" + (f" (jump {m.question})" if m.question else ""), "  ", "    "):
                say(line)
        for m in result.warnings:
            for line in wrap(f"warning: {m.describe()}" + (f" (note {m.question})" if m.question else ""), "  ", "    "):
                say(line)
        while True:
            raw = self.read("Enter to finish, or a command", None)
            if raw is None or not raw.strip():
                return Go("done")
            word = SHORT_WORDS.get(raw.split()[0].lower(), raw.split()[0].lower())
            if word == "quit":
                return Go("quit")
            if word in ("jump", "back") or raw.strip() in ("?",):
                if word == "back":
                    return Go("back")
                target = self.resolve(raw.split(None, 1)[1]) if len(raw.split()) > 1 else None
                if target is not None:
                    self.skipped.discard(target.id)
                    return Go("jump", target.id)
                continue
            if word == "missing":
                page(self.missing_lines())
            elif word == "review":
                parts = raw.split(None, 1)
                page(self.review_lines(parts[1] if len(parts) > 1 else None))
            elif word == "note":
                parts = raw.split(None, 1)
                if len(parts) > 1:
                    self.edit_note(parts[1])
                else:
                    say("  note on what? e.g. note A3S")
            else:
                say("  Enter to finish, or a command: jump ID, back, missing, review, note ID, quit")


def _unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw


def _categories(raw: str, codes: list[str], current: str) -> dict[str, str] | str:
    """``accommodation yes, drug_misuse no`` (or ``accommodation=yes``), or one value for ``current``."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in raw.replace(";", ",").split(",")):
        if not part:
            continue
        for sep in ("=", ":"):
            part = part.replace(sep, " ")
        words = part.split()
        if len(words) == 1:
            out[current] = words[0]
            continue
        name, value = " ".join(words[:-1]).lower().replace(" ", "_"), words[-1]
        found = [c for c in codes if c == name] or [c for c in codes if c.startswith(name)]
        if len(found) != 1:
            return f"no category {name!r} here; categories: {', '.join(codes)}"
        out[found[0]] = value
    return out or f"one answer for {current}, or several: {codes[0]} yes, ..."


def run_session(engine: Engine, path: Path, case_id: str | None, start: str | None = None) -> CaseFile:
    """Interview an inspector about one case file (made if it does not exist), holding its lock throughout."""
    target = real_path(path)
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError("the case file is read-only: an interview saves after every answer", Location(str(path)))
    with interview_lock(path):
        new = None
        if not real_path(path).exists():
            if case_id is None:
                case_id = click.prompt("Case id", err=True)
            fw = engine.framework
            new = {"schema": 1, "edition": fw.edition, "case_id": case_id, "answers": {}}
            if fw.version:  # the version of the edition the case was recorded against
                new = {"schema": 1, "edition": fw.edition, "edition_version": fw.version, "case_id": case_id, "answers": {}}
        case = CaseFile.open(path, new)
        if new is not None:
            case.save()
        Interview(engine, case).run(start)
        case.save()
        if case.layout_lost:
            say(f"Note: {path} was written out whole (its layout could not be kept around the answers).")
        return case
