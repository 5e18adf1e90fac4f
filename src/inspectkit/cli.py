"""The ``inspectkit`` command: frameworks, questions, assess, rate, check and synth.

Exit codes (the contract): 0 done with no errors; 1 done, but the input had errors (each printed);
2 the command was used wrongly. A user error never prints a traceback; ``--debug`` does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from inspectkit import __version__
from inspectkit.errors import InspectkitError, UsageError

# textwrap (about 1 ms to import: it compiles its patterns) is imported in the functions that wrap text, so that
# a command writing JSON (assess, frameworks) does without it; likewise secrets in cache.py and traceback in plugins.py

FORMATS = ["table", "json"]
MAX_ERRORS_SHOWN = 200  # on the terminal; the JSON report keeps them all
MAX_LEFT_OUT_SHOWN = 20  # cases listed as left out in a table


def _default_format() -> str:
    return "table" if sys.stdout.isatty() else "json"


FORMAT_DEFAULT = "table on a terminal, else json"


class _Declared:
    """A command's parameter as declared (its click class, names and settings), made when the command needs it."""

    __slots__ = ("cls", "decls", "attrs")

    def __init__(self, cls: type[click.Parameter], decls: tuple[str, ...], attrs: dict[str, Any]) -> None:
        self.cls = cls
        self.decls = decls
        self.attrs = attrs

    def make(self) -> click.Parameter:
        return self.cls(self.decls, **self.attrs)


def _declare(cls: type[click.Parameter], decls: tuple[str, ...], attrs: dict[str, Any]) -> Callable[[Any], Any]:
    def decorator(f: Any) -> Any:
        if isinstance(f, click.Command):  # a command made already: as click.option would, at once
            f.params.append(cls(decls, **attrs))
        else:
            if not hasattr(f, "__click_params__"):
                f.__click_params__ = []
            f.__click_params__.append(_Declared(cls, decls, attrs))
        return f

    return decorator


def option(*decls: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.option`` for a command of ``main``: the option is made when its command first needs it."""
    return _declare(click.Option, decls, attrs)


def argument(*decls: str, **attrs: Any) -> Callable[[Any], Any]:
    """``click.argument`` for a command of ``main``: the argument is made when its command first needs it."""
    return _declare(click.Argument, decls, attrs)


class _Command(click.Command):
    """A command whose parameters are made from their declarations when it first reads them (to parse its
    command line, to write its help, to list them), not when the module defines it.

    Making a click option costs some 35 us (its declarations parsed, its type and help worked out); the
    commands have sixty-odd of them, and one run uses one command's: ``inspectkit assess`` now makes its ten,
    ``frameworks`` one."""

    _params: list[Any]
    _declared: bool

    @property  # type: ignore[override]
    def params(self) -> list[click.Parameter]:
        params = self._params
        if self._declared:
            params[:] = [p.make() if isinstance(p, _Declared) else p for p in params]
            self._declared = False
        return params

    @params.setter
    def params(self, value: list[Any]) -> None:
        self._params = value
        self._declared = any(isinstance(p, _Declared) for p in value)


def format_option(choices: Iterable[str] = FORMATS, default: str = FORMAT_DEFAULT) -> Callable[[Any], Any]:
    """The ``--format`` option every output command has: the same help, naming the choices and the default."""
    choices = list(choices)
    return option(
        "--format", "fmt", type=Choice(choices), default=None, help=f"Output format: {', '.join(choices)} (default: {default})."
    )


def jobs_option() -> Callable[[Any], Any]:
    """``--jobs``: the worker processes of every command that reads many cases (rate, export)."""
    return option(
        "--jobs",
        "-j",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Worker processes reading and judging cases; 0 picks one per core for big inputs, none for small ones.",
    )


def excel_option() -> Callable[[Any], Any]:
    """``--excel``: CSV as Excel reads it everywhere (a UTF-8 byte-order mark, Windows line ends)."""
    return option(
        "--excel",
        is_flag=True,
        help="With --format csv: write CSV for Excel (a UTF-8 byte-order mark and CRLF line ends), so accents survive.",
    )


def for_excel(text: str) -> bytes:
    """CSV text as Excel opens it correctly on any system: UTF-8 with a byte-order mark, CRLF line ends."""
    return ("\ufeff" + text.replace("\r\n", "\n").replace("\n", "\r\n")).encode("utf-8")


class Choice(click.Choice):  # type: ignore[type-arg]
    """A click choice that suggests the near miss (``--kind sumary``: did you mean summary?).

    ``choices`` may be a function giving them, so a list held in a heavier module is read only when used.
    """

    def __init__(self, choices: Iterable[str] | Callable[[], Iterable[str]], case_sensitive: bool = True) -> None:
        self._load = choices if callable(choices) else None
        super().__init__([] if callable(choices) else list(choices), case_sensitive)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        if self._load is not None:
            self._choices = tuple(self._load())
            self._load = None
        return self._choices

    @choices.setter
    def choices(self, value: Iterable[str]) -> None:
        self._choices = tuple(value)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            from inspectkit.errors import did_you_mean

            near = did_you_mean(str(value), [str(c) for c in self.choices])
            if near is not None:
                exc.message = f"{exc.message.rstrip('.')}; did you mean {near!r}?"
            raise


#: Every path argument and option: one instance, made once (each click.Path looks up its translated name).
PATH = click.Path(path_type=Path)


class _State:
    def __init__(self, debug: bool, strict: bool):
        self.debug = debug
        self.strict = strict
        self._registry: Any = None

    @property
    def registry(self) -> Any:
        if self._registry is None:
            from inspectkit.plugins import load_registry

            self._registry = load_registry(strict=self.strict or None)
            for failure in self._registry.failures():
                click.echo(f"warning: plugin {failure.name!r} {failure.error}", err=True)
                if self.debug and failure.detail:
                    click.echo(failure.detail, err=True)
        return self._registry


def _answers_at_once(fn: Callable[..., int | None]) -> Callable[..., int | None]:
    """A command that reads one file and answers at once: the cycle collector waits until it has answered.

    Such a command makes a few thousand long-lived objects (the framework) and almost no garbage, so a
    collection while it runs only walks what it has just made. When it has answered, what it made joins the
    oldest generation without being walked (``gc.freeze`` then ``gc.unfreeze``, two splices of the
    collector's lists), where the first collection after the command would have walked them all (about 13,000
    objects for ``assess``, some 4 to 7 ms) only to keep them; any garbage among them is found by the next full
    collection. Where a program embedding inspectkit has frozen objects of its own, they are left frozen (the
    collector is simply switched on again). Nor is everything walked once more as the interpreter shuts down
    (see :func:`_no_collection_at_exit`). An interview (``--interactive``) keeps collecting as usual."""

    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> int | None:
        import gc

        if kwargs.get("interactive") or not gc.isenabled():
            return fn(*args, **kwargs)
        _no_collection_at_exit()
        gc.disable()
        frozen = gc.get_freeze_count()
        try:
            return fn(*args, **kwargs)
        finally:
            if frozen == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()

    return wrapper


_AT_EXIT: list[bool] = []  # the hook below is registered once a process


def _no_collection_at_exit() -> None:
    """As the interpreter ends, before it clears the modules, move every object out of the collector's reach.

    Shutting down, Python runs full collections that walk every object still alive: every module's functions
    and classes, and here the framework, a few thousand objects more. For a command that has answered and
    ends, that walk costs more CPU than anything the command does after its imports (measured on ``assess``
    of one case: about 35 ms of about 250). ``gc.freeze`` at exit (an ``atexit`` hook: it runs once the
    command has answered) leaves those collections nothing to walk; the memory goes back to the system with
    the process. Nothing these commands do relies on a collection at exit: the files they write are closed
    explicitly, and standard output is flushed by the interpreter whatever the collector does. Run in-process
    (tests, an embedding program), the collector keeps working as before until that process ends."""
    if not _AT_EXIT:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _AT_EXIT.append(True)


def _run(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Turn inspectkit errors into a message and the contract's exit code."""

    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from inspectkit import stopping
        from inspectkit.stopping import Terminated, exit_on_terminate

        state: _State = click.get_current_context().find_object(_State)  # type: ignore[assignment]
        restore = exit_on_terminate()  # kill (SIGTERM) ends a command as Ctrl-C does: unwound, nothing left behind
        try:
            code = fn(*args, **kwargs) or 0
            if stopping.requested:  # the stop was dropped where Python drops exceptions (a finaliser): say so still
                raise Terminated(143)
        except InspectkitError as exc:
            if state is not None and state.debug:
                raise
            for line in str(exc).splitlines():
                click.echo(f"error: {line}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            code = 130
        except Terminated as exc:
            click.echo("terminated", err=True)
            code = int(exc.code)  # type: ignore[arg-type]
        except BrokenPipeError:  # the reader (head, less) stopped reading: nothing more to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        except Exception as exc:
            if state is not None and state.debug:
                raise
            click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the details)", err=True)
            code = 1
        finally:
            if restore is not None:
                restore()
        sys.exit(code)

    return wrapper


def _json_text(data: Any) -> str:
    """Strict JSON, indented (see :func:`inspectkit.jsontext.strict_dumps`)."""
    from inspectkit.jsontext import strict_dumps

    return strict_dumps(data)


def _emit_json(data: Any) -> None:
    click.echo(_json_text(data))


def _table(rows: list[list[Any]], headers: list[str]) -> str:
    """A plain table, fitted to the terminal's width (``COLUMNS``): wide columns wrap."""
    return _fit_table(rows, headers)


def _known_width() -> int | None:
    """The width to wrap running text to: ``COLUMNS``, or the terminal's; None when writing to a pipe or file."""
    import os

    if os.environ.get("COLUMNS", "").strip().isdigit() or sys.stdout.isatty():
        return _terminal_width()
    return None


def _fit_lines(text: str, width: int | None = None) -> str:
    """Wrap the prose lines of a report that are wider than the terminal (tables are fitted already).

    Output to a pipe or file is left as it is, one line per line, unless ``COLUMNS`` says a width.
    """
    import textwrap

    width = width or _known_width()
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out.append(textwrap.fill(line, width, subsequent_indent=indent + "  ", break_on_hyphens=False, break_long_words=True))
    return "\n".join(out)


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="inspectkit")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors (for developers).")
@click.option("--strict-plugins", is_flag=True, help="Fail if any plugin fails to load (for CI).")
@click.pass_context
def main(ctx: click.Context, debug: bool, strict_plugins: bool) -> None:
    """Run, score and compare probation inspections, one plugin per methodology edition.

    Every output command takes --format (table on a terminal, else json). Exit codes: 0 done, 1 the
    input had errors (each printed), 2 the command was used wrongly.

    Example: inspectkit frameworks
    """
    ctx.obj = _State(debug, strict_plugins)


main.command_class = _Command  # every command's parameters are made when it first needs them


# ------------------------------------------------------------------------------------------ frameworks


@main.command()
@format_option()
@click.pass_obj
@_run
@_answers_at_once
def frameworks(state: _State, fmt: str | None) -> int:
    """List the installed editions with their plugin and version.

    Example: inspectkit frameworks --format json
    """
    registry = state.registry
    fmt = fmt or _default_format()
    rows = []
    for edition in registry.editions():
        entry = registry.entries[edition]
        plugin = registry.plugins.get(entry.plugin)
        rows.append(
            {
                "edition": edition,
                "title": entry.title,
                "version": entry.version,
                "date": entry.date,
                "plugin": entry.plugin,
                "plugin_version": plugin.version if plugin else "",
                "evidence_for": entry.evidence_for,
            }
        )
    failures = [{"plugin": f.name, "error": f.error} for f in registry.failures()]
    if fmt == "json":
        _emit_json({"frameworks": rows, "failed_plugins": failures})
    else:
        if not rows:
            click.echo("No editions installed. Install a plugin, e.g. pip install -e plugins/<name>.")
        else:
            click.echo(
                _table(
                    [
                        [
                            r["edition"],
                            _short(r["title"], 60),
                            r["version"],
                            r["date"],
                            f"{r['plugin']} {r['plugin_version']}".strip(),
                            r["evidence_for"] or "",
                        ]
                        for r in rows
                    ],
                    ["edition", "title", "data version", "source date", "plugin", "evidence for"],
                )
            )
    return 1 if failures and state.strict else 0


# ------------------------------------------------------------------------------------------ questions


def _kinds() -> tuple[str, ...]:
    from inspectkit.model import KINDS

    return tuple(KINDS)


@main.command()
@option("--edition", "-e", required=True, help="The edition (see `inspectkit frameworks`).")
@format_option()
@option("--matrix", is_flag=True, help="Print the edition's two-way matrix (where it has one).")
@option("--id", "item_id", default=None, help="Show one item in full: text, guidance and rules.")
@option("--kind", type=Choice(_kinds), default=None, help="Only questions of this kind.")
@click.pass_obj
@_run
def questions(state: _State, edition: str, fmt: str | None, matrix: bool, item_id: str | None, kind: str | None) -> int:
    """Show an edition's questions as the document's tree.

    Example: inspectkit questions --edition my_edition --kind summary
    """
    import textwrap

    fw = state.registry.framework(edition)
    fmt = fmt or _default_format()
    if item_id is not None:
        return _show_item(fw, item_id, fmt)
    if matrix:
        return _show_matrix(fw, fmt)
    if fmt == "json":
        _emit_json(
            {
                "edition": fw.edition,
                "title": fw.title,
                "version": fw.version,
                "source": dict(fw.source),
                "items": [_item_dict(i) for i in fw.items.values() if kind is None or i.kind == kind],
                "reference": [{"id": r.id, "title": r.title, "text": r.text} for r in fw.reference],
            }
        )
        return 0
    width = _known_width()
    click.echo(_fit_lines(f"{fw.title} ({fw.edition}, data version {fw.version})", width))
    depth: dict[str, int] = {}
    for item in fw.items.values():
        d = depth[item.id] = depth.get(item.parent, -1) + 1 if item.parent else 0
        if kind is not None and item.kind != kind:
            continue
        tag = ""
        if item.kind:
            tag = f" [{item.kind}" + (f", {item.answer.describe()}" if item.answer else "") + "]"
            if item.derive is not None:
                tag += " (derived)"
        if item.condition is not None:  # on a heading too: it covers every question under it
            tag += f" (when {item.condition.text})"
        if item.links:
            tag += f" (see also {', '.join(item.links)})"
        label = item.title if item.title and not item.text else (f"{item.title}: {item.text}" if item.title else item.text)
        head = f"{'  ' * d}{item.id}  "
        if width is None:  # a pipe or a file: one line per item
            click.echo(f"{head}{_short(label, max(40, 100 - 2 * d))}{tag}")
            continue
        room = max(20, min(100, width - len(head) - min(len(tag), width // 3)))
        line = f"{head}{_short(label, room)}{tag}"
        if len(line) > width:  # a long condition: the rest on indented lines
            line = textwrap.fill(line, width, subsequent_indent=" " * (len(head) + 2), break_on_hyphens=False)
        click.echo(line)
    if fw.reference and kind is None:
        click.echo("\nReference texts (show one with --id ID):")
        for r in fw.reference:
            click.echo(_fit_lines(f"  {r.id}  {r.title}"))
    return 0


def _item_dict(item: Any) -> dict[str, Any]:
    a = item.answer
    return {
        "id": item.id,
        "parent": item.parent,
        "level": item.level,
        "kind": item.kind,
        "title": item.title,
        "text": item.text,
        "guidance": item.guidance,
        "type": a.name if a else None,
        "choices": [{"code": c.code, "label": c.label} for c in a.choices] if a else None,
        "na": a.na if a else None,
        "personal": item.personal,
        "weight": item.weight,
        "condition": item.condition.text if item.condition else None,
        "derive": item.derive.text if item.derive else None,
        "suggest": item.suggest.text if item.suggest else None,
        "says": item.says or None,
        "feeds": list(item.feeds),
        "direction": None if item.direction is None else "neutral" if item.neutral else "favourable",
        "favourable": list(item.direction) if item.direction else None,
        "links": list(item.links),
        "source": item.source,
        "reading": item.reading,
        "children": list(item.children),
    }


def _direction_text(item: Any) -> str | None:
    """``favourable: yes`` / ``neutral`` as declared (None: the edition's default for what is sufficient)."""
    if item.direction is None:
        return None
    if item.neutral:
        return "neutral: no answer is favourable; rate reports the share answering yes"
    return "favourable answer " + " or ".join(item.direction)


def _show_item(fw: Any, item_id: str, fmt: str) -> int:
    import textwrap

    from inspectkit.errors import suggestion

    item = fw.items.get(item_id)
    ref = next((r for r in fw.reference if r.id == item_id), None)
    if item is None and ref is not None:  # reference text: definitions, appendices
        if fmt == "json":
            _emit_json({"id": ref.id, "title": ref.title, "text": ref.text})
            return 0
        click.echo(f"{ref.id}  {ref.title}")
        for line in ref.text.splitlines():
            click.echo(textwrap.fill(" ".join(line.split()), _text_width()) if line.strip() else "")
        return 0
    if item is None:
        hint = suggestion(item_id, list(fw.items) + [r.id for r in fw.reference])
        raise UsageError(f"{item_id}: no such item in {fw.edition}" + (f"; {hint}" if hint else ""))
    if fmt == "json":
        _emit_json(_item_dict(item))
        return 0
    click.echo(_fit_lines(f"{item.id}  {item.title}".rstrip()))
    if item.text:
        click.echo(textwrap.fill(item.text, _text_width()))
    for label, value in (
        ("level", fw.level_name(item.level) if item.level else None),
        ("kind", item.kind),
        ("answer", item.answer.describe() if item.answer else None),
        ("applies when", item.condition.text if item.condition else None),
        ("derived as", item.derive.text if item.derive else None),
        ("suggested as", item.suggest.text if item.suggest else None),
        ("in words", item.says or None),
        ("feeds", ", ".join(item.feeds) or None),
        ("direction", _direction_text(item)),
        ("see also", ", ".join(item.links) or None),
        ("source", item.source or None),
        ("reading", item.reading or None),
    ):
        if value:
            click.echo(textwrap.fill(f"  {label}: {value}", _text_width(), subsequent_indent="    ", break_on_hyphens=False))
    if item.guidance:
        click.echo("\nGuidance:")
        for line in item.guidance.splitlines():  # each line of the data is a paragraph, heading or bullet
            if not line.strip():
                click.echo("")
                continue
            bullet = line.lstrip().startswith(("- ", "• "))
            click.echo(
                textwrap.fill(
                    " ".join(line.split()), _text_width(), initial_indent="  ", subsequent_indent="    " if bullet else "  "
                )
            )
    return 0


def _show_matrix(fw: Any, fmt: str) -> int:
    m = fw.matrix
    if m is None:
        raise UsageError(f"{fw.edition} has no matrix view")
    cells = {(r, c): i for r, c, i in m.cells}
    if fmt == "json":
        _emit_json(
            {
                "title": m.title,
                "rows": [r.code for r in m.rows],
                "columns": [c.code for c in m.columns],
                "cells": [{"row": r, "column": c, "item": i} for r, c, i in m.cells],
            }
        )
        return 0
    from tabulate import tabulate

    rows = []
    for r in m.rows:
        row = [f"{r.code} {r.label}"]
        for c in m.columns:
            item = cells.get((r.code, c.code))
            row.append(f"{item} {fw.items[item].title or fw.items[item].text}" if item else "")
        rows.append(row)
    if m.title:
        click.echo(m.title)
    headers = [""] + [f"{c.code} {c.label}" for c in m.columns]
    # wrapped, so the matrix fits the terminal: a grid cell takes 3 characters of border and padding
    cell = max(8, min(20, (_terminal_width() - 1 - 25) // max(1, len(m.columns)) - 3))
    widths = [22] + [cell] * len(m.columns)
    click.echo(tabulate(rows, headers=headers, tablefmt="grid", maxcolwidths=widths, maxheadercolwidths=widths))
    return 0


# ------------------------------------------------------------------------------------------ assess


@main.command()
@option("--edition", "-e", default=None, help="The edition the case is assessed against (default: the one the case file names).")
@argument("case", type=PATH)
@format_option()
@option(
    "--explain",
    "explain_ids",
    multiple=True,
    metavar="ID",
    help="Show the rule and answers that decided a question, score or check (repeatable).",
)
@option("--interactive", "-i", is_flag=True, help="Interview: ask each applicable question in turn, saving after every answer.")
@option("--case-id", default=None, help="With --interactive: the case id for a new case file.")
@option("--jump", "jump_to", default=None, metavar="ID", help="With --interactive: start at this question or section.")
@option("--history", "show_history", is_flag=True, help="Show the case's changed and cleared answers (when, old, new, why).")
@option("--redact", is_flag=True, help="Withhold answers to questions that may hold personal data, and the notes' text.")
@click.pass_obj
@_run
@_answers_at_once
def assess(
    state: _State,
    edition: str | None,
    case: Path,
    fmt: str | None,
    explain_ids: tuple[str, ...],
    interactive: bool,
    case_id: str | None,
    jump_to: str | None,
    show_history: bool,
    redact: bool,
) -> int:
    """Assess one case file: what applies, what is missing, derived values, checks and judgement aids.

    With --interactive, interview the inspector about the case (see docs/interview.md); with --history,
    show how its answers changed.

    Example: inspectkit assess --edition my_edition case.yaml --explain Q1
    """
    from inspectkit.files import line_finder, load_document

    for given, name in ((case_id, "--case-id"), (jump_to, "--jump")):
        if given is not None and not interactive:
            raise UsageError(f"{name} works only with --interactive")
    if show_history and (interactive or explain_ids):
        raise UsageError("--history shows a case's record on its own: leave out --interactive and --explain")
    doc = None
    if edition is None:
        if not case.exists() and not interactive:
            raise UsageError("no such file", _loc(case))
        doc = load_document(case) if case.exists() else None
        named = doc.get("edition") if isinstance(doc, dict) else None
        if not isinstance(named, str):
            raise UsageError("give --edition (the case file names no edition)", _loc(case))
        edition = named
    engine = state.registry.engine(edition)
    if interactive:
        if case.exists() and not case.is_file():
            raise UsageError("not a case file", _loc(case))
        from inspectkit.interactive import run_session

        run_session(engine, case, case_id, start=jump_to)
        doc = None  # the session has changed the file: read it again
    if not case.exists():
        raise UsageError("no such file", _loc(case))
    if doc is None:
        doc = load_document(case)
    personal = frozenset(i.id for i in engine.case_items if i.personal) if redact else frozenset()
    fmt = fmt or _default_format()
    if show_history:
        return _print_history(doc, case, personal, fmt)
    result = engine.assess(doc, source=str(case), line_of=line_finder(doc))
    if fmt == "json":
        data = result.to_dict(redact=personal, redact_notes=redact)
        if explain_ids:
            data["explain"] = {t: engine.explain(result, doc if isinstance(doc, dict) else {}, t) for t in explain_ids}
        _emit_json(data)
    else:
        _print_case(engine, result, personal, redact)
        for target in explain_ids:
            click.echo("")
            for line in engine.explain(result, doc if isinstance(doc, dict) else {}, target):
                click.echo(line)
    for m in result.errors:
        fix = f" (to fix it: inspectkit assess -i {case} --jump {m.question})" if interactive and m.question else ""
        click.echo(f"error: {m.describe(str(case))}{fix}", err=True)
    return 1 if result.errors else 0


WITHHELD = "[withheld]"


def _print_history(doc: Any, case: Path, personal: frozenset[str], fmt: str) -> int:
    from inspectkit.errors import InputError

    history = doc.get("history") if isinstance(doc, dict) else None
    if history is not None and not isinstance(history, list):
        raise InputError("history must be a list of changes", _loc(case))
    rows = []
    for entry in history or []:
        if not isinstance(entry, dict):
            continue
        row = {k: entry.get(k) for k in ("at", "question", "old", "new", "why")}
        if row["question"] in personal:
            row["old"] = row["new"] = WITHHELD
        rows.append(row)
    if fmt == "json":
        _emit_json({"case_id": doc.get("case_id") if isinstance(doc, dict) else None, "source": str(case), "history": rows})
        return 0
    if not rows:
        click.echo(f"Case {doc.get('case_id')}: no answer has been changed or cleared.")
        return 0
    from inspectkit.interactive import shown

    click.echo(f"Case {doc.get('case_id')}: {len(rows)} change(s) to its answers")

    def value(v: Any) -> str:
        return "(cleared)" if v is None else shown(v)

    def when(at: Any) -> str:  # 2026-11-30T11:02:37+00:00 -> 2026-11-30 11:02
        return str(at)[:16].replace("T", " ") if at else ""

    table = [[when(r["at"]), r["question"], value(r["old"]), value(r["new"]), r["why"] or ""] for r in rows]
    click.echo(_fit_table(table, ["when", "question", "was", "became", "why"]))
    return 0


def _loc(path: Path) -> Any:
    from inspectkit.errors import Location

    return Location(str(path))


def _check_cases(cases: tuple[Path, ...] | list[Path]) -> None:
    """Exit 2 before any work when no input is given or one does not exist."""
    if not cases:
        raise UsageError("give at least one case file, folder or JSON Lines file")
    for p in cases:
        if not p.exists():
            raise UsageError("no such file or folder", _loc(p))


def _inspection_document(inspection: Path | None) -> Any:
    """The inspection file's document (None when none is given); exit 2 when it does not exist."""
    if inspection is None:
        return None
    if not inspection.exists():
        raise UsageError("no such inspection file", _loc(inspection))
    from inspectkit.files import load_document

    return load_document(inspection)


def _terminal_width() -> int:
    import shutil

    return max(40, shutil.get_terminal_size((100, 24)).columns)


def _text_width() -> int:
    """Running text: the terminal's width, but no wider than reads comfortably."""
    return min(100, _terminal_width())


def _fit_table(rows: list[list[Any]], headers: list[str], width: int | None = None) -> str:
    """A table no wider than the terminal (``COLUMNS`` or its real width): the widest columns wrap, never truncate."""
    from tabulate import tabulate

    width = width or _terminal_width()
    cells = [["" if c is None else str(c) for c in row] for row in rows]
    natural = [
        max([len(h)] + [max((len(part) for part in row[i].splitlines()), default=0) for row in cells])
        for i, h in enumerate(headers)
    ]
    widths = list(natural)
    budget = width - 2 * (len(headers) - 1)

    def taken(k: int) -> int:  # tabulate pads a header by two
        return max(widths[k], min(len(headers[k]), widths[k]) + 2)

    while sum(taken(k) for k in range(len(widths))) > budget:
        widest = max(range(len(widths)), key=taken)
        if widths[widest] <= 4:
            break
        widths[widest] -= 1
    return tabulate(
        cells, headers=headers, tablefmt="simple", disable_numparse=True, maxcolwidths=widths, maxheadercolwidths=widths
    )


def _fill(text: str) -> str:
    import textwrap

    return textwrap.fill(text, _terminal_width() - 1, break_on_hyphens=False, subsequent_indent="  ")


def _print_case(engine: Any, result: Any, personal: frozenset[str], redact_notes: bool = False) -> None:
    fw = engine.framework
    status = "in the sample" if result.in_sample else f"OUT of the sample: {result.excluded_reason}"
    click.echo(_fill(f"Case {result.case_id} ({fw.edition}): {status}"))
    if result.judgements:
        rows = []
        for jid, value in result.judgements.items():
            aid = result.aids.get(jid)
            tally = ""
            if aid is not None:
                parts = []
                for weight, counts in aid.tally.items():
                    shown = " ".join(f"{k}:{v}" for k, v in counts.items() if v)
                    parts.append(f"{weight} {shown}" if shown else f"{weight} -")
                tally = "; ".join(parts)
            over = "; ".join(aid.overriding) if aid is not None else ""
            q = result.questions.get(jid)
            shown_value = (
                value if value is not None else ("not applicable" if q is not None and q.status == "not_applicable" else "-")
            )
            rows.append([jid, shown_value, tally, over])
        click.echo("\nJudgements")
        click.echo(_fit_table(rows, ["id", "judgement", "tally of what it weighs", "overriding factor"]))
    answered = [(qid, r) for qid, r in result.questions.items() if r.status == "answered" or r.value is not None]
    if answered:
        click.echo("\nAnswers")
        rows = []
        for qid, r in answered:
            value = WITHHELD if qid in personal else r.value
            if isinstance(value, (list, dict)):
                value = json.dumps(value, default=str)
            extra = f"suggested: {r.suggested}" if r.suggested is not None and r.suggested != r.value else ""
            rows.append([qid, r.status, value, extra])
        click.echo(_fit_table(rows, ["id", "status", "value", ""]))
    if result.notes:
        click.echo("\nNotes")
        for qid, text in result.notes.items():
            click.echo(_fill(f"  {qid}: {WITHHELD if redact_notes else text}"))
    missing = [qid for qid, r in result.questions.items() if r.status == "missing"]
    na = [qid for qid, r in result.questions.items() if r.status == "not_applicable"]
    pending = [qid for qid, r in result.questions.items() if r.status == "derived" and r.value is None]
    if missing:
        click.echo("\n" + _fill(f"Still to answer ({len(missing)}): " + ", ".join(missing)))
    if pending:
        click.echo(_fill(f"Worked out once their answers are in ({len(pending)}): " + ", ".join(pending)))
    if na:
        click.echo(_fill(f"Not applicable to this case ({len(na)}): " + ", ".join(na)))
    if result.warnings:
        click.echo("\nWarnings")
        for m in result.warnings:
            click.echo(_fill(f"  {m.question + ': ' if m.question else ''}{m.message}"))
    if result.errors:
        click.echo(f"\n{len(result.errors)} error(s): see below")


# ------------------------------------------------------------------------------------------ rate


@main.command()
@option("--edition", "-e", required=True, help="The edition to rate or score for.")
@argument("cases", nargs=-1, type=PATH)
@option(
    "--inspection",
    type=PATH,
    default=None,
    help="The inspection file (provider type, domain-one ratings, overrides).",
)
@format_option(["table", "json", "csv"], "table on a terminal, else json, or what the -o file's name says")
@option(
    "--output",
    "-o",
    type=PATH,
    default=None,
    help="Write the report to this file (atomically) instead of standard output.",
)
@option(
    "--explain",
    "explain_ids",
    multiple=True,
    metavar="ID",
    help="Show how an item, a rating or 'overall' was reached (repeatable).",
)
@jobs_option()
@option(
    "--by",
    "by",
    default=None,
    metavar="DETAIL",
    help="Also break every item down by a case detail (e.g. sentence_type): one set of percentages per answer.",
)
@option(
    "--table",
    "table",
    type=Choice(["items", "ratings", "overall", "all"]),
    default="items",
    show_default=True,
    help="With --format csv: which table to write; 'all' writes one file each (FILE-items.csv ...) with -o.",
)
@excel_option()
@option(
    "--provider-name",
    default=None,
    metavar="NAME",
    help="The organisation inspected, as the inspection file's provider_name says it (this replaces it).",
)
@option(
    "--inspection-date",
    default=None,
    metavar="DATE",
    help="When the inspection took place (YYYY-MM-DD, YYYY-MM or YYYY), as inspection_date (this replaces it).",
)
@click.pass_obj
@_run
def rate(
    state: _State,
    edition: str,
    cases: tuple[Path, ...],
    inspection: Path | None,
    fmt: str | None,
    output: Path | None,
    explain_ids: tuple[str, ...],
    jobs: int,
    by: str | None,
    table: str,
    excel: bool,
    provider_name: str | None,
    inspection_date: str | None,
) -> int:
    """Aggregate case files, folders and JSON Lines files: percentages, denominators and ratings.

    A folder's inspection.yaml (or a file of kind: inspection among the inputs) is read as the inspection
    file, not as a case, unless --inspection names one.

    Example: inspectkit rate --edition my_edition --inspection inspection.yaml cases/ --format csv -o report.csv
    """
    _check_cases(cases)
    cases, inspection = _find_inspection(cases, inspection)
    registry = state.registry
    registry.framework(edition)
    inspection_doc = _inspection_document(inspection)
    if fmt is None and output is not None:  # the file's name says what it should hold
        fmt = {".json": "json", ".csv": "csv"}.get(output.suffix.lower(), "table")
    fmt = fmt or _default_format()
    if excel and fmt != "csv":
        raise UsageError("--excel is for --format csv (or -o FILE.csv)")
    if table == "all" and fmt == "csv" and output is None:
        raise UsageError("--table all writes one file per table: give -o FILE.csv (or choose one --table)")
    if output is not None and output.is_dir():
        raise UsageError("is a folder: give a file name for the report", _loc(output))
    from inspectkit.files import refuse_overwriting_inputs

    refuse_overwriting_inputs([output], [*cases, inspection])
    declared = _declared(provider_name, inspection_date)
    from inspectkit.aggregate import default_jobs, rate_paths
    from inspectkit.progress import Progress

    with Progress("rate") as progress:
        report = rate_paths(
            registry,
            edition,
            list(cases),
            inspection_doc,
            str(inspection) if inspection else None,
            jobs=jobs or default_jobs(cases),
            progress=progress if progress.enabled else None,  # nothing to show: not called for every case
            by=by,
            contain_errors=not state.debug,
        )
    for key, value in declared.items():
        setattr(report, key, value)
    from inspectkit.aggregate import explain

    files: list[tuple[Path | None, Any, str]] = []  # (path, text or its pieces, what it holds)
    if fmt == "json":
        from inspectkit.aggregate import json_chunks

        data = report.to_dict(lazy=True)  # the per-case lists are written as they are read back, not held
        if explain_ids:
            data["explain"] = {t: explain(registry, report, t) for t in explain_ids}
        files.append((output, json_chunks(data), "report"))
    elif fmt == "csv":
        from inspectkit.tabular import TABLES, report_csv

        for name in TABLES if table == "all" else (table,):
            path = output
            if table == "all" and output is not None:
                path = output.with_name(f"{output.stem}-{name}{output.suffix or '.csv'}")
            text = report_csv(report, name)
            rows = text.count(chr(10)) - 1
            files.append((path, for_excel(text) if excel else text, f"{name} table ({rows} rows)"))
    else:
        text = _report_table(registry, report)
        for target in explain_ids:
            text += "\n" + "\n".join(explain(registry, report, target)) + "\n"
        files.append((output, text, "report"))
    for path, text, what in files:
        if path is None:
            if isinstance(text, bytes):
                click.echo(text, nl=False)  # bytes go out as they are
                continue
            if isinstance(text, str):
                click.echo(text, nl=False)
                continue
            # a JSON report's pieces: JSON escapes every control character, so there is no terminal code for
            # click.echo to strip from them (it would search every piece for one); written to the stream
            # click.echo writes to, and flushed once
            stdout = getattr(click.utils, "_default_text_stdout", lambda: sys.stdout)()
            if stdout is None:  # no standard output at all (pythonw on Windows)
                continue
            for chunk in text:
                stdout.write(chunk)
            stdout.flush()
        else:
            _write_output(path, text)
            click.echo(f"wrote the {what} to {path}", err=True)
    _print_problems(report)
    return 1 if report.errors else 0


MAX_WARNINGS_SHOWN = 20  # on the terminal; the JSON report keeps them all


def _find_inspection(cases: tuple[Path, ...], inspection: Path | None) -> tuple[tuple[Path, ...], Path | None]:
    """An inspection file among the inputs is the inspection, not a case: use it, or say why it is skipped."""
    from inspectkit.files import inspection_files

    found = inspection_files(cases)
    if not found:
        return cases, inspection
    named = set(found)
    cases = tuple(p for p in cases if p not in named)
    if not cases:
        raise UsageError("give the case files or folders too: the inputs hold only an inspection file", _loc(found[0]))
    if inspection is None:
        if len(found) > 1:
            listed = ", ".join(str(f) for f in found[:5])
            raise UsageError(f"the inputs hold {len(found)} inspection files ({listed}): name the one to use with --inspection")
        click.echo(f"reading {found[0]} as the inspection file (not as a case)", err=True)
        return cases, found[0]
    for f in found:
        if f.resolve() != inspection.resolve():
            click.echo(f"warning: {f}: an inspection file, not a case: skipped (the inspection is {inspection})", err=True)
    return cases, inspection


def _write_output(path: Path, text: str | bytes | Iterable[str]) -> None:
    """Write a report atomically: whole text, or pieces streamed (a report too big to hold as one string)."""
    from inspectkit.files import atomic_write, atomic_writer

    if path.is_dir():
        raise UsageError("is a folder: give a file name", _loc(path))
    try:
        if isinstance(text, (str, bytes)):
            atomic_write(path, text)
        else:
            with atomic_writer(path) as fh:
                for chunk in text:
                    fh.write(chunk)
    except PermissionError as exc:
        if path.exists():  # Windows refuses to replace a file another program holds open
            raise UsageError(
                "cannot replace the file: it is open in another program (such as Excel) or read-only",
                _loc(path),
                hint="close it and run the command again, or write to another file with -o",
            ) from exc
        raise UsageError(f"cannot write the report: {exc.strerror or exc}", _loc(path)) from exc
    except OSError as exc:
        raise UsageError(f"cannot write the report: {exc.strerror or exc}", _loc(path)) from exc


def _declared(provider_name: str | None, inspection_date: str | None) -> dict[str, str]:
    """rate's --provider-name and --inspection-date, checked as the inspection file's fields are."""
    from inspectkit.aggregate import inspection_date as date_of
    from inspectkit.aggregate import provider_name as name_of

    out = {}
    for option, key, value, check in (
        ("--provider-name", "provider_name", provider_name, name_of),
        ("--inspection-date", "inspection_date", inspection_date, date_of),
    ):
        if value is None:
            continue
        try:
            out[key] = check(value)
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from exc
    return out


def _print_problems(report: Any) -> None:
    """Errors, then warnings, each counted and capped on the terminal (the JSON report lists every one)."""
    shown = report.errors[:MAX_ERRORS_SHOWN]
    for problem in shown:
        click.echo(f"error: {problem}", err=True)
    if len(report.errors) > len(shown):
        more = len(report.errors) - len(shown)
        click.echo(f"error: ... and {more:,} more (every one is in the report: --format json)", err=True)
    count = len(report.warnings)
    if not count:
        return
    import itertools

    for problem in itertools.islice(report.warning_problems(), MAX_WARNINGS_SHOWN):
        click.echo(f"warning: {problem}", err=True)
    if count > MAX_WARNINGS_SHOWN:
        click.echo(f"warning: ... and {count - MAX_WARNINGS_SHOWN:,} more (every one is in the report: --format json)", err=True)
    click.echo(f"{count:,} warning(s) in {report.warned_cases:,} case(s)", err=True)


def _word(code: str | None) -> str:
    return "-" if code is None else code.replace("_", " ").capitalize()


def _report_table(registry: Any, report: Any) -> str:
    fw = registry.framework(report.edition)
    out = []
    head = f"{fw.title} ({report.edition})"
    if report.inspection_id:
        head += f": inspection {report.inspection_id}"
    declared = ", ".join(v for v in (report.provider_name, report.inspection_date) if v)
    if declared:
        head += f" ({declared})"
    out.append(head)
    by = ", ".join(f"{n} {e}" for e, n in report.by_edition.items())
    line = f"{report.cases} case(s) counted" + (f" ({by})" if by else "") + f"; {len(report.excluded)} left out"
    if report.warnings:
        line += f"; {len(report.warnings):,} warning(s)"
    out.append(line)
    if report.ratings:
        rows = []
        for r in report.ratings.values():
            changed = r.override_reason is not None
            rows.append(
                [
                    r.id,
                    _short(r.title, 40),
                    _word(r.rules_rating),
                    _word(r.rating) + (" *" if changed else ""),
                    _short(r.basis, 70),
                ]
            )
        out.append("")
        out.append(_table(rows, [fw.level_of(report.ratings), "title", "by the rules", "rating", "basis"]))
        for r in report.ratings.values():
            if r.override_reason:
                out.append(
                    f"* {r.id}: changed from {_word(r.rules_rating)} to {_word(r.rating)} by professional discretion: {r.override_reason}"
                )
        if report.overall is not None:
            o = report.overall
            if o.get("rating"):
                out.append(f"\nOverall: {_word(o['rating'])} (score {o['score']} of {3 * len(report.ratings)}; {o['basis']})")
            else:
                out.append(f"\nOverall: not rated ({o['basis']})")
    rows = []
    proportions = []
    small = False
    for t in report.items.values():
        pct = "no applicable cases" if t.denominator == 0 else f"{t.percent:.1f}%"
        if t.denominator and t.small_sample(report.minimum_cases):
            pct += " †"
            small = True
        lower, upper = t.interval
        ci = "" if lower is None else f"{lower:.1f}-{upper:.1f}"
        row = [t.id, _short(t.title, 50), f"{t.numerator}/{t.denominator}", pct, ci, t.not_applicable or "", t.missing or ""]
        if t.neutral:
            proportions.append([*row[:2], " or ".join(t.counted), *row[2:]])
        else:
            rows.append(row)
    if rows:
        out.append("")
        out.append(_table(rows, ["item", "title", "sufficient", "percent", "95% interval", "n/a", "missing"]))
    if proportions:
        out.append("\nProportions (no answer is favourable: facts and filters, not sufficiency)")
        out.append(_table(proportions, ["item", "title", "answered", "cases", "percent", "95% interval", "n/a", "missing"]))
    if small:
        out.append(f"† fewer than {report.minimum_cases} applicable cases, the edition's minimum to rate: read with care")
    if report.by is not None:
        out.extend(_breakdown_table(report))
    if report.inspection_scores or report.inspection_answers:
        out.append("\nJudged once per inspection (inspection file)")
        rows = [
            [
                sid,
                _short(fw.items[sid].text or fw.items[sid].title, 60) if sid in fw.items else "",
                _word(v) if v else "not judged",
            ]
            for sid, v in report.inspection_scores.items()
        ]
        if rows:
            out.append(_table(rows, ["item", "title", "result"]))
        answered = [k for k in report.inspection_answers if k not in report.ratings]
        out.append(f"{len(answered)} inspection-level answer(s) given")
    for cid, table in report.counts.items():
        out.append(f"\n{cid}")
        for qid, counts in table.items():
            shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
            out.append(f"  {qid}: {shown}")
    if report.undecided:
        out.append(f"\nCounted, but the sample rules cannot tell whether they belong ({len(report.undecided):,})")
        for e in report.undecided[:MAX_LEFT_OUT_SHOWN]:
            out.append(f"  {e.get('case_id') or e.get('source')}: {', '.join(e['rules'])} undecided")
        if len(report.undecided) > MAX_LEFT_OUT_SHOWN:
            out.append(f"  ... and {len(report.undecided) - MAX_LEFT_OUT_SHOWN:,} more (every one is in --format json)")
    if report.excluded:
        out.append(f"\nLeft out ({len(report.excluded):,})")
        for e in report.excluded[:MAX_LEFT_OUT_SHOWN]:
            out.append(f"  {e.get('case_id') or e.get('source')}: {_short(e['reason'], 110)}")
        if len(report.excluded) > MAX_LEFT_OUT_SHOWN:
            more = len(report.excluded) - MAX_LEFT_OUT_SHOWN
            out.append(f"  ... and {more:,} more (every one, with its reason, is in --format json)")
    return _fit_lines("\n".join(out)) + "\n"


def _breakdown_table(report: Any) -> list[str]:
    """Items by group: each cell the group's percent and n/d (a dagger below the edition's minimum)."""
    groups = sorted(report.breakdown)
    if not groups:
        return [f"\nBy {report.by}: no cases counted"]
    rows = []
    for item_id in report.items:
        row = [item_id]
        for g in groups:
            t = report.breakdown[g][item_id]
            if not t.denominator:
                row.append("-")
                continue
            mark = " †" if t.small_sample(report.minimum_cases) else ""
            row.append(f"{t.percent:.1f}% ({t.numerator}/{t.denominator}){mark}")
        rows.append(row)
    headers = ["item"] + [f"{_short(g, 24)} ({report.breakdown_cases.get(g, 0)})" for g in groups]
    return [f"\nBy {report.by} (cases in each group)", _table(rows, headers)]


# ------------------------------------------------------------------------------------------ check


@main.command()
@argument("target")
@format_option(default="table: problems are for people and CI logs")
@option(
    "--golden",
    type=PATH,
    default=None,
    help="The plugin's golden folder (default: tests/golden beside the plugin's pyproject.toml).",
)
@click.pass_obj
@_run
def check(state: _State, target: str, fmt: str | None, golden: Path | None) -> int:
    """Check a framework definition file (or an installed edition): every problem at once, for methodology teams.

    Each problem names its file, line and id. Warnings (a scale nothing uses, a condition that always
    holds) do not fail the check; errors do (exit code 1).

    Example: inspectkit check plugins/my_edition/src/inspectkit_my_edition/framework.yaml
    """
    from inspectkit.lint import check_definition

    path = Path(target)
    registry = state.registry
    if not (path.suffix in (".yaml", ".yml") or path.exists()):
        if target not in registry.entries:
            registry.framework(target)  # raises the unknown-edition error, with a suggestion
        path = registry.entries[target].path
    elif not path.is_file():
        raise UsageError("no such file", _loc(path))
    if _is_crosswalk(path):
        return _check_crosswalk_file(path, registry)
    report = check_definition(path, registry, golden)
    fmt = fmt or "table"  # problems are for people, and CI logs: JSON only when asked for
    fw = report.framework
    if fmt == "json":

        def as_dict(e: Any) -> dict[str, Any]:
            loc = e.location
            return {"file": loc.file, "line": loc.line, "id": loc.item, "message": e.message, "hint": e.hint}

        _emit_json(
            {
                "path": str(path),
                "edition": fw.edition if fw else None,
                "valid": not report.errors,
                "errors": [as_dict(e) for e in report.errors],
                "warnings": [as_dict(e) for e in report.warnings],
            }
        )
        return 1 if report.errors else 0
    for e in report.errors:
        click.echo(f"error: {e}", err=True)
    for e in report.warnings:
        click.echo(f"warning: {e}", err=True)
    if report.errors:
        click.echo(f"{path}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        return 1
    assert fw is not None
    questions = fw.questions
    click.echo(
        f"{path}: {fw.edition} is valid: {len(fw.items)} items, {len(questions)} questions, "
        f"{sum(1 for q in questions if q.condition)} conditions, {len(fw.checks)} checks, "
        f"{len(fw.scoring.case_scores)} case scores"
        + (", ratings" if fw.scoring.ratings else "")
        + (f"; {len(report.warnings)} warning(s)" if report.warnings else "")
    )
    return 0


def _is_crosswalk(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:2000]
    except OSError:
        return False
    return any(line.split("#")[0].strip() == "kind: crosswalk" for line in head.splitlines())


def _check_crosswalk_file(path: Path, registry: Any) -> int:
    from inspectkit.crosswalk import check_crosswalk, read_crosswalk

    crosswalk, problems = read_crosswalk(path)
    if crosswalk is not None:
        problems += check_crosswalk(crosswalk, registry)
    for e in problems:
        click.echo(f"error: {e}", err=True)
    if problems or crosswalk is None:
        click.echo(f"{path}: {len(problems)} error(s)")
        return 1
    listed = f", {len(crosswalk.unmapped)} item(s) listed as unmapped" if crosswalk.unmapped else ""
    click.echo(
        f"{path}: crosswalk {crosswalk.from_edition} -> {crosswalk.to_edition} is valid: {len(crosswalk.rows)} rows{listed}"
    )
    return 0


# ------------------------------------------------------------------------------------------ migrate


@main.command()
@option("--to", "target", required=True, metavar="EDITION[@VERSION]", help="The edition (and version) to migrate to.")
@argument("cases", nargs=-1, required=True, type=PATH)
@option(
    "-o",
    "--output",
    type=PATH,
    default=None,
    help="Write the migrated cases as new files in this folder (an existing file is never overwritten).",
)
@option("--in-place", is_flag=True, help="Rewrite the case files themselves (comments in them are not kept).")
@format_option()
@click.pass_obj
@_run
def migrate(state: _State, target: str, cases: tuple[Path, ...], output: Path | None, in_place: bool, fmt: str | None) -> int:
    """Rewrite old case files for a newer edition or version, listing every answer carried, transformed or not.

    The edition's supersedes: map says what became of each renamed, split, merged or removed id. Without
    -o or --in-place nothing is written: the listing shows what would happen.

    Example: inspectkit migrate --to my_edition@1.1 cases/ -o migrated/
    """
    import textwrap

    from inspectkit.migrate import migrate_files, parse_target

    edition, version = parse_target(target)
    engine = state.registry.engine(edition)
    fw = engine.framework
    if version is not None and version != fw.version:
        raise UsageError(f"installed {fw.edition} is version {fw.version}, not {version}")
    for path in cases:
        if not path.exists():
            raise UsageError("no such file or folder", _loc(path))
    results = migrate_files(engine, list(cases), output, in_place)
    fmt = fmt or _default_format()
    failed = [r for r in results if r.error is not None]
    if fmt == "json":
        rows = []
        for r in results:
            row: dict[str, Any] = {"path": str(r.path)}
            if r.migration is not None:
                row.update(r.migration.to_dict())
            if r.error is not None:
                row["error"] = str(r.error)
            row["written"] = str(r.written) if r.written else None
            rows.append(row)
        _emit_json({"to": {"edition": fw.edition, "edition_version": fw.version}, "cases": rows})
    else:
        for r in results:
            m = r.migration
            if m is None:
                continue
            since = f"{m.from_edition} {m.from_version or '(version not recorded)'}"
            click.echo(f"{r.path} ({m.case_id}): {since} -> {m.to_edition} {m.to_version}")
            if m.carried:
                click.echo(
                    textwrap.fill(
                        "carried: " + ", ".join(x.old[0] for x in m.carried), 100, initial_indent="  ", subsequent_indent="    "
                    )
                )
            for x in m.transformed:
                reason = f": {x.reason}" if x.reason else ""
                click.echo(f"  {', '.join(x.old)} -> {', '.join(x.new)} ({x.how}){reason}")
            for x in m.not_carried:
                click.echo(f"  not carried: {', '.join(x.old)} ({x.how}): {x.reason} [was {json.dumps(x.value, default=str)}]")
            if r.written:
                click.echo(f"  written to {r.written}")
    for r in failed:
        click.echo(f"error: {r.error}", err=True)
    if not output and not in_place and any(r.migration for r in results):
        click.echo("nothing written: give -o FOLDER for new files, or --in-place to rewrite these", err=True)
    return 1 if failed else 0


# ------------------------------------------------------------------------------------------ new-plugin


@main.command("new-plugin")
@argument("name")
@argument("directory", required=False, type=PATH)
@option("--title", default=None, help="The edition's title (default: made from NAME).")
@_run
def new_plugin(name: str, directory: Path | None, title: str | None) -> int:
    """Write a new edition plugin, ready to install and test, into DIRECTORY (default: ./NAME).

    NAME is the edition id users will pass as --edition. The skeleton has one worked example of every
    part of the definition format, golden cases and their test.

    Example: inspectkit new-plugin youth_justice_2025 && pip install -e youth_justice_2025
    """
    from inspectkit.scaffold import new_plugin as scaffold
    from inspectkit.scaffold import plugin_names

    written = scaffold(name, directory, title)
    root = directory if directory is not None else Path(name)
    names = plugin_names(name)
    click.echo(f"wrote the {name} plugin ({len(written)} files) to {root}:")
    for path in written:
        click.echo(f"  {path}")
    click.echo(
        f"next: pip install -e {root}   then: inspectkit check {name}   and: python -m pytest {root / 'tests'}\n"
        f"      the definition is {root / 'src' / names['package'] / 'framework.yaml'}"
    )
    return 0


# ------------------------------------------------------------------------------------------ synth


@main.command()
@option("--edition", "-e", required=True, help="The edition whose cases are made (see `inspectkit frameworks`).")
@option("-n", "count", type=click.IntRange(min=1), default=10, show_default=True, help="How many cases.")
@option("--seed", type=int, default=0, show_default=True, help="Random seed (the same seed gives the same cases).")
@option(
    "-o",
    "--output",
    type=PATH,
    required=True,
    help="A .jsonl file, or a folder for one YAML file per case.",
)
@click.pass_obj
@_run
def synth(state: _State, edition: str, count: int, seed: int, output: Path) -> int:
    """Write valid random cases that respect every condition (for demos, tests and benchmarks).

    Example: inspectkit synth --edition my_edition -n 1000 --seed 7 -o cases.jsonl
    """
    from inspectkit.progress import Progress
    from inspectkit.synth import write_cases

    engine = state.registry.engine(edition)
    with Progress("synth") as progress:
        written = write_cases(engine, count, seed, output, progress=progress)
    click.echo(f"wrote {written} {edition} case(s) to {output}", err=True)
    return 0


from inspectkit import cli_analysis  # noqa: E402, F401  (registers the analysts' commands on main)

if __name__ == "__main__":  # pragma: no cover
    main()
