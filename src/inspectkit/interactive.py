"""``inspectkit assess -i``: ask an inspector each applicable, unanswered question in turn.

Every answer is saved at once (atomically) to the case file, so an interrupted session loses nothing
and simply resumes where it stopped the next time it is run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import click
import yaml

from inspectkit.engine import Engine
from inspectkit.errors import InputError, Location
from inspectkit.files import atomic_write, load_document
from inspectkit.model import InvalidAnswer, Item


def say(text: str = "") -> None:
    """Prompts and questions go to standard error, so standard output carries only the case's result."""
    click.echo(text, err=True)


HELP = "Enter an answer; '?' shows the guidance, '-' skips for now, 'q' saves and stops."


def _load(engine: Engine, path: Path, case_id: str | None) -> dict[str, Any]:
    if path.exists():
        doc = load_document(path)
        if not isinstance(doc, dict):
            raise InputError("a case file is a mapping", Location(str(path)))
        doc.setdefault("answers", {})
        return doc
    if case_id is None:
        case_id = click.prompt("Case id", err=True)
    return {"schema": 1, "edition": engine.framework.edition, "case_id": case_id, "answers": {}}


def _save(path: Path, doc: dict[str, Any]) -> None:
    if path.suffix.lower() == ".json":
        import json

        atomic_write(path, json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        atomic_write(path, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False))


def _next_question(engine: Engine, answers: dict[str, Any], skipped: set[str]) -> Item | None:
    env = engine.evaluate({"answers": answers}).env  # answers so far, checked as assess checks them
    for item in engine.case_items:
        if item.answer is None or item.derive is not None or item.id in answers or item.id in skipped:
            continue
        if env.applies(item.id) is False:
            continue
        return item
    return None


def _choice(a: Any, word: str) -> str:
    """A choice typed as its number in the list shown, or as its code; y/n for yes/no."""
    word = word.strip()
    if a.name == "yes_no":
        return {"y": "yes", "n": "no"}.get(word.lower(), word)
    if word.isdigit() and a.choices and 1 <= int(word) <= len(a.choices):
        return a.choices[int(word) - 1].code
    return word


def _parse(item: Item, raw: str) -> Any:
    a = item.answer
    assert a is not None
    raw = raw.strip()
    if a.name == "multi":
        return [_choice(a, p) for p in raw.split(",") if p.strip()]
    if a.name in ("yes_no", "choice", "rating"):
        return _choice(a, raw)
    if a.name == "per_category":
        out = {}
        for part in raw.split(","):
            if "=" in part:
                k, v = part.split("=", 1)
                out[k.strip()] = v.strip()
        return out
    return raw


def run_session(engine: Engine, path: Path, case_id: str | None) -> None:
    doc = _load(engine, path, case_id)
    answers: dict[str, Any] = doc["answers"]
    skipped: set[str] = set()
    say(f"Case {doc.get('case_id')} ({engine.framework.edition}), saved to {path} after every answer.")
    say(HELP)
    while True:
        item = _next_question(engine, answers, skipped)
        if item is None:
            say("Nothing left to ask.")
            break
        assert item.answer is not None
        say("")
        say(f"{item.id}  {textwrap.fill(' '.join((item.text or item.title).split()), 96, subsequent_indent='    ')}")
        a = item.answer
        if a.choices and a.name in ("choice", "rating", "multi", "per_category") and len(a.choices) <= 30:
            for n, c in enumerate(a.choices, start=1):
                say(f"    {n:>2}. {c.label} [{c.code}]")
            if a.name == "multi":
                say(f"    (several: numbers or codes separated by commas{f', at most {a.max_choices}' if a.max_choices else ''})")
            if a.name == "per_category":
                say("    (one per category: category=choice, separated by commas)")
        else:
            say(f"    ({a.describe()})")
        while True:
            try:
                raw = click.prompt(item.id, default="", show_default=False, err=True)
            except click.exceptions.Abort:  # end of input or Ctrl-C/Ctrl-D: keep what was answered
                _save(path, doc)
                say(f"\nSaved {path}. Run the same command to carry on.")
                return
            if raw.strip() == "?":
                say(textwrap.indent(item.guidance or "No guidance for this question.", "    "))
                continue
            if raw.strip() == "q":
                _save(path, doc)
                say(f"Saved {path}. Run the same command to carry on.")
                return
            if raw.strip() in ("", "-"):
                skipped.add(item.id)
                break
            try:
                value = engine.validators[item.id](_parse(item, raw))
            except InvalidAnswer as exc:
                say(f"    {exc}")
                continue
            answers[item.id] = value.isoformat() if hasattr(value, "isoformat") else value
            _save(path, doc)
            break
    _save(path, doc)
