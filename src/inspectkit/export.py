"""Case-level data out: every case's answers as a tidy long table or a wide one, in CSV or JSON Lines.

``rate`` keeps only counts; an analyst who wants to ask their own question (by region, by sentence type, in
pandas, R or DuckDB) needs the cases themselves. The long table has one row per case and question (one per
choice of a multi-choice answer, one per category of a per-category answer), with the question's status as
``assess`` gives it; the wide table has one row per case and one column per question. Both stream: a case is
read, judged, written and forgotten, so memory stays flat whatever the number of cases.

Cases are checked as ``rate`` checks them: a case with errors, a repeated case id or a case outside the
sample is left out (and counted), so the rows that remain give the same numbers as ``rate``. Questions that
may hold personal data (``personal: true`` in an edition's data: names, ids, free text about the person) and
inspectors' notes are never written unless asked for with ``include_personal``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from inspectkit.aggregate import CaseInput, CaseProblem, SeenIds, case_from_file
from inspectkit.engine import NOT_APPLICABLE, Message
from inspectkit.errors import InputError, Location, suggestion
from inspectkit.expressions import UNKNOWN

FORMATS = ("csv", "jsonl")
SHAPES = ("long", "wide")
LONG_COLUMNS = ("edition", "edition_version", "inspection_id", "case_id", "question_id", "category", "status", "value")
CASE_COLUMNS = ("edition", "edition_version", "inspection_id", "case_id")

try:  # orjson is three to four times faster; the standard library serves where it is missing
    import orjson

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj, default=str).decode()

except ImportError:  # pragma: no cover

    def _dumps(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, default=str)


@attrs.define
class ExportSummary:
    """What an export wrote and left out (the rows themselves went to the output)."""

    edition: str
    cases: int = 0
    rows: int = 0
    excluded: list[dict[str, Any]] = attrs.field(factory=list)
    errors: list[CaseProblem] = attrs.field(factory=list)
    personal_left_out: tuple[str, ...] = ()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _text_value(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(_plain(value))


def _field(value: Any) -> str:
    """One CSV field, quoted only where it must be (as the csv module's minimal quoting does)."""
    if value is None:
        return ""
    if value.__class__ is not str:
        value = value.isoformat() if isinstance(value, dt.date) else str(value)
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return _plain(value)


class Exporter:
    """Turns judged cases into rows of one shape and format, for the cases that are evidence for ``edition``."""

    def __init__(
        self,
        registry: Any,
        edition: str,
        shape: str = "long",
        fmt: str = "csv",
        include_personal: bool = False,
        inspection_id: str | None = None,
    ):
        if shape not in SHAPES or fmt not in FORMATS:
            raise ValueError(f"shape one of {SHAPES}, format one of {FORMATS}")
        self.registry = registry
        self.edition = edition
        self.shape, self.fmt = shape, fmt
        self._id_text: dict[str, str] = {}
        self.inspection_id = inspection_id
        self.instruments = registry.instruments_for(edition)
        self.engines = {e: registry.engine(e) for e in self.instruments}
        self.versions = {e: registry.framework(e).version or None for e in self.instruments}
        personal: list[str] = []
        # per instrument: the questions written (in document order) and the case scores the rules compute
        self.items: dict[str, list[Any]] = {}
        self.scores: dict[str, list[str]] = {}
        for e, engine in self.engines.items():
            kept = []
            for item in engine.case_items:
                if item.personal and not include_personal:
                    personal.append(f"{e}:{item.id}")
                    continue
                kept.append(item)
            self.items[e] = kept
            self.scores[e] = [s.id for s in engine.framework.scoring.case_scores if engine.score_level[s.id] == "case"]
        self.personal_left_out = tuple(personal)
        self.columns = self._columns()

    def _columns(self) -> tuple[str, ...]:
        if self.shape == "long":
            return LONG_COLUMNS
        seen: dict[str, None] = dict.fromkeys(CASE_COLUMNS)
        for e in self.instruments:
            for item in self.items[e]:
                cats = item.answer.categories if item.answer is not None else ()
                if cats:
                    seen.update((f"{item.id}:{c.code}", None) for c in cats)
                else:
                    seen[item.id] = None
            seen.update((s, None) for s in self.scores[e])
        return tuple(seen)

    def header(self) -> str:
        if self.fmt == "jsonl":
            return ""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(self.columns)
        return buf.getvalue()

    # -- one case
    def judge(self, case: CaseInput) -> tuple[Any, ...]:
        """("rows", source, case id, text, row count) or ("error"/"excluded", source, case id, messages or reason)."""
        if case.error is not None:
            return ("unread", case.source, None, case.error.message)
        doc = case.document
        case_edition = (doc.get("edition") if isinstance(doc, dict) else None) or self.edition
        engine = self.engines.get(case_edition)
        if engine is None:
            hint = None if case_edition in self.registry.entries else suggestion(str(case_edition), list(self.registry.entries))
            msg = (
                f"a case of edition {case_edition!r} is not evidence for {self.edition}"
                f" (cases may be of: {', '.join(self.instruments)})" + (f"; {hint}" if hint else "")
            )
            cid = doc.get("case_id") if isinstance(doc, dict) else None
            return ("error", case.source, None if cid is None else str(cid), [(None, msg, None)])
        ev = engine.evaluate(doc, line_of=case.line_of)
        if ev.errors:
            return ("error", case.source, ev.case_id, [(m.question, m.message, m.line) for m in ev.errors])
        if not ev.in_sample:
            return ("excluded", case.source, ev.case_id, ev.reason)
        ident = (case_edition, self.versions[case_edition], self.inspection_id, ev.case_id)
        if self.shape == "long":
            lines = self._long_lines(engine, ev, ident)
            return ("rows", case.source, ev.case_id, "".join(lines), len(lines))
        return ("rows", case.source, ev.case_id, self._text([self._wide(engine, ev, ident)]), 1)

    def _long(self, engine: Any, ev: Any, ident: tuple[Any, ...]) -> Iterator[tuple[str, Any, str, Any]]:
        """The long table's rows for one case, without the case's own columns: (question, category, status, value).

        The statuses and values are the engine's own (``question_results``), as ``assess`` reports them.
        """
        for qid, r in engine.question_results(ev, self.items[ident[0]]):
            value, status = r.value, r.status
            if isinstance(value, list) and value:
                for v in value:
                    yield qid, None, status, v
            elif isinstance(value, dict) and value:
                for cat, v in value.items():
                    yield qid, cat, status, v
            elif isinstance(value, (list, dict)):
                yield qid, None, status, None
            else:
                yield qid, None, status, value
        scores = ev.env.scores
        for sid in self.scores[ident[0]]:
            v = scores.get(sid)
            if v is None:
                yield sid, None, NOT_APPLICABLE, None
            elif v is UNKNOWN:
                yield sid, None, "missing", None
            else:
                yield sid, None, "derived", v

    def _long_lines(self, engine: Any, ev: Any, ident: tuple[Any, ...]) -> list[str]:
        """The long table's lines for one case, written directly (the hot path: 100+ rows a case).

        The case's own columns are written once; a CSV field is quoted only where it holds a comma, a quote or
        a line break (as the csv module's minimal quoting does), and a JSON line is the text ``_dumps`` gives
        for the same record.
        """
        rows = self._long(engine, ev, ident)
        ids = self._id_text  # each question's id as written, kept across cases (ids repeat in every case)
        if self.fmt == "csv":
            prefix = ",".join(_field(x) for x in ident) + ","
            out = []
            for q, c, s, v in rows:
                qt = ids.get(q)
                if qt is None:
                    qt = ids[q] = f"{prefix}{_field(q)},"[len(prefix) :]
                out.append(f"{prefix}{qt}{_field(c)},{s},{_field(v)}\n")
            return out
        head = _dumps(dict(zip(CASE_COLUMNS, ident, strict=True)))[:-1]
        out = []
        for q, c, s, v in rows:
            qt = ids.get(q)
            if qt is None:
                qt = ids[q] = f',"question_id":{_dumps(q)},"category":'
            out.append(f'{head}{qt}{"null" if c is None else _dumps(c)},"status":"{s}","value":{_dumps(_text_value(v))}}}\n')
        return out

    def _wide(self, engine: Any, ev: Any, ident: tuple[Any, ...]) -> dict[str, Any]:
        row: dict[str, Any] = dict(zip(CASE_COLUMNS, ident, strict=True))
        for qid, r in engine.question_results(ev, self.items[ident[0]]):
            value = r.value
            if isinstance(value, dict):
                row.update((f"{qid}:{cat}", _plain(v)) for cat, v in value.items())
            else:
                row[qid] = _plain(value)
        scores = ev.env.scores
        for sid in self.scores[ident[0]]:
            v = scores.get(sid)
            row[sid] = None if v is UNKNOWN else v
        return row

    def _text(self, rows: list[Any]) -> str:
        """The wide table's rows as text (the long table's are written by ``_long_lines``)."""
        if self.fmt == "jsonl":
            return "".join(_dumps({c: row.get(c) for c in self.columns}) + "\n" for row in rows)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([_csv_text(row.get(c)) for c in self.columns] for row in rows)
        return buf.getvalue()


# -------------------------------------------------------------------------------------------- many cases

_WORKER: Exporter | None = None


def _judge_batch(batch: list[tuple[str, str, Any]]) -> list[tuple[Any, ...]]:
    from inspectkit.files import parse_json_line

    exporter = _WORKER
    assert exporter is not None
    out = []
    for kind, source, raw in batch:
        if kind == "error":
            case = CaseInput(source, None, raw)
        elif kind == "line":
            doc = parse_json_line(raw, Location(source))
            case = CaseInput(source, None, doc) if isinstance(doc, InputError) else CaseInput(source, doc)
        else:
            case = case_from_file(Path(source))
        out.append(exporter.judge(case))
    return out


def export_paths(
    exporter: Exporter,
    paths: Iterable[Path],
    write: Callable[[str], Any],
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Read, judge and write every case under ``paths`` in input order, with ``jobs`` worker processes."""
    import multiprocessing
    from collections import deque

    from inspectkit.aggregate import _inputs, iter_cases

    global _WORKER
    summary = ExportSummary(exporter.edition, personal_left_out=exporter.personal_left_out)
    seen = SeenIds()
    write(exporter.header())
    done = 0

    def apply(record: tuple[Any, ...]) -> None:
        nonlocal done
        kind, source, case_id = record[0], record[1], record[2]
        done += 1
        if progress is not None:
            progress(done)
        if kind == "unread":
            summary.errors.append(CaseProblem(source, None, Message(None, record[3])))
            summary.excluded.append({"case_id": None, "source": source, "reason": f"not read: {record[3]}"})
            return
        errors = [Message(q, m, None, line) for q, m, line in record[3]] if kind == "error" else []
        if case_id is not None and not seen.add(case_id):
            errors.append(
                Message(None, f"case_id {case_id!r} is used by an earlier case too; case ids are unique within an inspection")
            )
        if errors:
            summary.errors.extend(CaseProblem(source, case_id, m) for m in errors)
            summary.excluded.append({"case_id": case_id, "source": source, "reason": f"{len(errors)} error(s) in the case file"})
            return
        if kind == "excluded":
            summary.excluded.append({"case_id": case_id, "source": source, "reason": record[3]})
            return
        write(record[3])
        summary.cases += 1
        summary.rows += record[4]

    paths = [Path(p) for p in paths]
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for case in iter_cases(paths):
            apply(exporter.judge(case))
        return summary
    _WORKER = exporter
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pending: deque[Any] = deque()
            for batch in _inputs(paths):
                pending.append(pool.apply_async(_judge_batch, (batch,)))
                if len(pending) >= 2 * jobs:
                    for record in pending.popleft().get():
                        apply(record)
            while pending:
                for record in pending.popleft().get():
                    apply(record)
    finally:
        _WORKER = None
    return summary
