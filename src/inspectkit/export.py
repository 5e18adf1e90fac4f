"""Case-level data out: every case's answers as a tidy long table or a wide one, in CSV or JSON Lines.

``rate`` keeps only counts; an analyst who wants to ask their own question (by region, by sentence type, in
pandas, R or DuckDB) needs the cases themselves. The long table has one row per case and question (one per
choice of a multi-choice answer, one per category of a per-category answer), with the question's status as
``assess`` gives it; the wide table has one row per case and one column per question. Both stream: a case is
read, judged, written and forgotten, and the lists of cases left out and of errors keep their first entries
in memory and the rest on disk, so memory stays flat whatever the number of cases. Each column has one type
whatever the cases hold (the version and the ids are text; the README gives the line that reads each format
with those types in pandas and DuckDB).

Cases are checked as ``rate`` checks them: a case with errors, a repeated case id or a case outside the
sample is left out (and counted), so the rows that remain give the same numbers as ``rate``. Questions that
may hold personal data (``personal: true`` in an edition's data: names, ids, free text about the person) and
inspectors' notes are never written unless asked for with ``include_personal``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from inspectkit.aggregate import CaseInput, CaseProblem, SeenIds, _problems, case_from_file
from inspectkit.engine import ANSWERED, DERIVED, MISSING, NOT_APPLICABLE, Message
from inspectkit.errors import InputError, Location, suggestion
from inspectkit.expressions import NA, UNKNOWN
from inspectkit.model import MET, NOT_MET
from inspectkit.spill import SpillList

FORMATS = ("csv", "jsonl")
SHAPES = ("long", "wide")
LONG_COLUMNS = ("edition", "edition_version", "inspection_id", "case_id", "question_id", "category", "status", "value")
CASE_COLUMNS = ("edition", "edition_version", "inspection_id", "case_id")
_ABSENT = object()
# answer types whose values (past their codes, such as n/a) are numbers or dates: their text needs no quoting
_PLAIN_TYPES = frozenset({"number", "months", "date"})

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
    # beyond their first entries, these wait in a temporary file (as rate's lists do), so memory stays flat
    excluded: SpillList = attrs.field(factory=SpillList)
    errors: SpillList = attrs.field(factory=_problems)
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


@attrs.frozen
class _LongPlan:
    """What the long table's rows of one instrument's cases are made from (see ``Exporter._long_plan``)."""

    keys: list[Any]  # per question: its id where its answer is looked up at once, else a key no case holds
    codeds: list[dict[Any, str]]  # per question: the row for each code (empty where looked up one by one)
    # per question: (id, 1 derived / 2 left to the rules / 0, its n/a row, its missing row, its code rows, id text)
    slow: list[tuple[Any, ...]]
    position: dict[str, int]
    sids: list[str]  # the case scores, each with the row for each of its results
    scoded: list[dict[Any, str]]
    score_texts: list[str]
    answered: list[str]  # per question: its answered row up to the value's text
    encode: list[Callable[[Any], str]]  # per question: its answer's text, where it is not one of its codes


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
        # what a spawned worker needs to build the same exporter
        self.settings = {
            "edition": edition,
            "shape": shape,
            "fmt": fmt,
            "include_personal": include_personal,
            "inspection_id": inspection_id,
        }
        self.edition = edition
        self.shape, self.fmt = shape, fmt
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
        self._end = "" if fmt == "csv" else "}"  # what a long row holds after its value
        plan = self._long_plan if shape == "long" else self._wide_plan
        self._plans: dict[str, Any] = {e: plan(engine, self.items[e], self.scores[e]) for e, engine in self.engines.items()}
        # the wide CSV table: the columns that may hold a list (multi-choice answers, and derived values,
        # which may be anything), and a writer for a row
        at = {c: n for n, c in enumerate(self.columns)}
        self._list_columns = {
            e: [
                at[i.id]
                for i in self.items[e]
                if i.id in at and (i.answer is None or i.answer.name == "multi" or i.id in engine.derives)
            ]
            for e, engine in self.engines.items()
        }
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\n")

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
        ev = engine.evaluate(doc, line_of=case.line_of, warn=False, from_json=case.from_json)  # export reports no warnings
        if ev.errors:
            return ("error", case.source, ev.case_id, [(m.question, m.message, m.line) for m in ev.errors])
        if not ev.in_sample:
            return ("excluded", case.source, ev.case_id, ev.reason)
        ident = (case_edition, self.versions[case_edition], self.inspection_id, ev.case_id)
        if self.shape == "long":
            head, sep = self._row_head(ident)
            rows, count = self._long_rows(engine, ev, self._plans[case_edition], sep)
            return ("rows", case.source, ev.case_id, head + sep.join(rows) + "\n" if rows else "", count)
        return ("rows", case.source, ev.case_id, self._wide_text(engine, ev, ident), 1)

    # The long table: each case's rows come from one walk over the instrument's questions that decides each
    # question's status as the engine's ``question_results`` does (the order of its tests is the same: not
    # applicable, derived, partly answered per category, answered, left to the rules, missing) and writes the
    # row's text at once. Everything that is the same in every case is worked out once, per question: its id
    # as written, its not-applicable and missing rows, and the row for each of its answer codes.
    #
    # The common row, a question answered with one of its codes, is found for every question at once (two
    # maps of dict lookups, run in C); then the questions that do not apply are set, and only the rows left
    # (derived values, lists, categories, numbers, text, missing answers) are worked out one by one.
    def _long_plan(self, engine: Any, items: list[Any], scores: list[str]) -> _LongPlan:
        row, val = self._row, self._val
        keys: list[Any] = []
        codeds: list[dict[Any, str]] = []
        slow: list[tuple[Any, ...]] = []
        for item in items:
            qid = item.id
            qt = self._qtext(qid)
            answer = item.answer
            codes = (*answer.codes, NA) if answer is not None else ()
            coded = {c: row(qt, None, ANSWERED, val(c)) for c in codes}
            flag = 1 if qid in engine.derives else 2 if qid in engine.judged_questions else 0
            # a question whose answer is one plain value (not a list or categories) and that nothing else
            # decides takes the fast lookup
            scalar = flag == 0 and answer is not None and answer.name not in ("multi", "per_category")
            keys.append(qid if scalar else _ABSENT)
            codeds.append(coded if scalar else {})
            slow.append((qid, flag, row(qt, None, NOT_APPLICABLE, val(None)), row(qt, None, MISSING, val(None)), coded, qt))
        position = {qid: n for n, (qid, *_) in enumerate(slow)}
        sids: list[str] = []
        scoded: list[dict[Any, str]] = []
        for sid in scores:
            qt = self._qtext(sid)
            coded = {c: row(qt, None, DERIVED, val(c)) for c in (MET, NOT_MET)}
            coded[None] = row(qt, None, NOT_APPLICABLE, val(None))  # type: ignore[index]
            coded[UNKNOWN] = row(qt, None, MISSING, val(None))
            sids.append(sid)
            scoded.append(coded)
        answered = [row(qt, None, ANSWERED, "")[: -len(self._end) or None] for *_, qt in slow]
        # how each question's answer is written when it is not one of its codes: a number or a date as its
        # text (str in C, with JSON's quotes), anything else as any value is
        plain: Callable[[Any], str] = str if self.fmt == "csv" else '"{}"'.format
        encode: list[Callable[[Any], str]] = [
            plain if i.answer is not None and i.answer.name in _PLAIN_TYPES else val for i in items
        ]
        return _LongPlan(keys, codeds, slow, position, sids, scoded, [self._qtext(s) for s in sids], answered, encode)

    def _long_rows(self, engine: Any, ev: Any, plan: _LongPlan, sep: str) -> tuple[list[Any], int]:
        """One case's rows of the long table (without the case's own columns), as text, and how many there are
        (a question with several choices or categories gives one entry that holds its rows, joined by ``sep``)."""
        env = ev.env
        answers = ev.answers
        out: list[Any] = list(map(dict.get, plan.codeds, map(answers.get, plan.keys)))
        slow = plan.slow
        position = plan.position
        for qid, applies in env.na.items():
            if applies is False:
                n = position.get(qid)
                if n is not None:
                    out[n] = slow[n][2]
        count = len(out)
        n = -1
        more, val, end, answered, encode = self._more, self._val, self._end, plan.answered, plan.encode
        incomplete = ev.incomplete
        try:
            while True:
                n = out.index(None, n + 1)
                qid, flag, na_row, miss_row, coded, qt = slow[n]
                if flag == 1:
                    v = env.vals.get(qid, UNKNOWN)
                    rows = more(qt, DERIVED, None if v is UNKNOWN else v, None)
                elif qid in incomplete:
                    rows = more(qt, MISSING, answers[qid], None)
                elif qid in answers:
                    v = answers[qid]
                    cls = v.__class__
                    if cls is list and v:  # a row per choice
                        rows = [(coded.get(x) if x.__class__ is str else None) or f"{answered[n]}{val(x)}{end}" for x in v]
                        out[n] = sep.join(rows)
                        count += len(rows) - 1
                        continue
                    if cls is not list and cls is not dict:  # a number, a date, text
                        out[n] = f"{answered[n]}{encode[n](v)}{end}"
                        continue
                    rows = more(qt, ANSWERED, v, coded)
                elif flag == 2 and qid not in ev.not_recorded:
                    r = engine._judged_by_rules(engine.judged_questions[qid], env)
                    rows = more(qt, r.status, r.value, None)
                else:
                    out[n] = miss_row
                    continue
                out[n] = rows[0] if len(rows) == 1 else sep.join(rows)
                count += len(rows) - 1
        except ValueError:  # no row left to work out
            pass
        scores = env.scores.get
        for sid, coded, qt in zip(plan.sids, plan.scoded, plan.score_texts, strict=True):
            v = scores(sid)
            r = coded.get(v) if v is None or v.__class__ is str or v is UNKNOWN else None
            out.append(r if r is not None else self._row(qt, None, DERIVED, self._val(v)))
        return out, count + len(plan.sids)

    def _more(self, qt: str, status: str, value: Any, coded: dict[str, str] | None) -> list[str]:
        """The rows of one question whose value is not a plain code: a row per choice, per category, or one."""
        row, val = self._row, self._val
        if value.__class__ is list and value:
            out = []
            for v in value:
                r = coded.get(v) if coded is not None and v.__class__ is str else None
                out.append(r if r is not None else row(qt, None, status, val(v)))
            return out
        if value.__class__ is dict and value:
            return [row(qt, cat, status, val(v)) for cat, v in value.items()]
        if isinstance(value, (list, dict)):
            return [row(qt, None, status, val(None))]
        r = coded.get(value) if coded is not None and value.__class__ is str else None
        return [r if r is not None else row(qt, None, status, val(value))]

    # the long table's text, per format: a row is the case's own columns (written once per case, as the
    # separator between its rows) and then the question's
    def _qtext(self, qid: str) -> str:
        return _field(qid) if self.fmt == "csv" else _dumps(qid)

    def _row(self, qt: str, cat: Any, status: str, valtext: str) -> str:
        if self.fmt == "csv":
            return f"{qt},{_field(cat)},{status},{valtext}"
        return f'"question_id":{qt},"category":{"null" if cat is None else _dumps(cat)},"status":"{status}","value":{valtext}}}'

    def _val(self, value: Any) -> str:
        return _field(value) if self.fmt == "csv" else _dumps(_text_value(value))

    def _row_head(self, ident: tuple[Any, ...]) -> tuple[str, str]:
        """What each row of a case starts with, and what goes between two rows."""
        if self.fmt == "csv":
            prefix = ",".join(_field(x) for x in ident) + ","
        else:
            prefix = _dumps(dict(zip(CASE_COLUMNS, ident, strict=True)))[:-1] + ","
        return prefix, "\n" + prefix

    # The wide table: a row per case, each question's value in its column (each category's in its own)
    def _wide_plan(self, engine: Any, items: list[Any], scores: list[str]) -> tuple[list[Any], list[Any]]:
        at = {c: n for n, c in enumerate(self.columns)}
        plan = []
        for item in items:
            qid = item.id
            cats = item.answer.categories if item.answer is not None else ()
            flag = 1 if qid in engine.derives else 2 if qid in engine.judged_questions else 0
            catpos = {c.code: at[f"{qid}:{c.code}"] for c in cats} if cats else None
            plan.append((qid, flag, at.get(qid), catpos))
        return plan, [(sid, at[sid]) for sid in scores]

    def _wide_text(self, engine: Any, ev: Any, ident: tuple[Any, ...]) -> str:
        env = ev.env
        na_get = env.na.get
        answers = ev.answers
        ans_get = answers.get
        incomplete = ev.incomplete
        row: list[Any] = [None] * len(self.columns)
        row[:4] = ident
        plan, splan = self._plans[ident[0]]
        for qid, flag, pos, catpos in plan:
            if na_get(qid, True) is False:
                continue
            if flag == 1:
                v = env.vals.get(qid, UNKNOWN)
                v = None if v is UNKNOWN else v
            elif qid in incomplete:
                v = answers[qid]
            else:
                v = ans_get(qid)
                if v is None and flag == 2 and qid not in ev.not_recorded and qid not in answers:
                    v = engine._judged_by_rules(engine.judged_questions[qid], env).value
            if catpos is None:
                row[pos] = v
            elif v.__class__ is dict:
                for cat, x in v.items():
                    p = catpos.get(cat)
                    if p is not None:
                        row[p] = x
        scores = env.scores
        for sid, pos in splan:
            v = scores.get(sid)
            row[pos] = None if v is UNKNOWN else v
        if self.fmt == "jsonl":
            return _dumps(dict(zip(self.columns, row, strict=True))) + "\n"
        # the csv module writes the row in C (None as an empty field, a date as ISO text, minimal quoting);
        # a list is its choices joined with ';'
        for n in self._list_columns[ident[0]]:
            v = row[n]
            if v.__class__ is list:
                row[n] = ";".join([str(x) for x in v])
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        self._writer.writerow(row)
        return buf.getvalue()


# -------------------------------------------------------------------------------------------- many cases

_WORKER: Exporter | None = None  # the exporter a worker process uses: inherited when forked, built when spawned


def _spawned_worker(specs: list[tuple[str, str, str | None]], strict: bool, settings: dict[str, Any]) -> None:
    """In a spawned worker: load the same plugins, and build the exporter once."""
    from inspectkit.aggregate import _import_plugin
    from inspectkit.plugins import load_registry
    from inspectkit.stopping import in_worker

    in_worker()
    global _WORKER
    plugins = [(name, _import_plugin(module, file)) for name, module, file in specs]
    _WORKER = Exporter(load_registry(plugins, entry_points=False, strict=strict), **settings)


def _judge_batch(batch: list[tuple[str, str, Any]]) -> list[tuple[Any, ...]]:
    """In a worker: read and judge a batch of cases (as one process reads them, so the messages are the same)."""
    from inspectkit.files import parse_json_line

    exporter = _WORKER
    assert exporter is not None
    out = []
    for kind, source, raw in batch:
        if kind == "error":
            case = CaseInput(source, None, raw)
        elif kind == "line":
            file, _, number = source.rpartition(":")
            doc = parse_json_line(raw, Location(file, int(number)))
            case = CaseInput(source, None, doc) if isinstance(doc, InputError) else CaseInput(source, doc, None, None, True)
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
    method: str | None = None,
) -> ExportSummary:
    """Read, judge and write every case under ``paths`` in input order, with ``jobs`` worker processes.

    Workers start as ``rate``'s do (forked where the platform can, else spawned, each loading the same
    plugins: :func:`inspectkit.aggregate.start_method`); the main process writes their rows in input order,
    so the output is the same, byte for byte, whatever ``jobs`` is. Only a few batches are in flight at a
    time, and the lists of cases left out and of errors keep their first entries in memory and the rest in a
    temporary file, so memory stays flat however many cases there are or fail.
    """
    import multiprocessing
    from collections import deque

    from inspectkit.aggregate import _inputs, iter_cases, plugin_specs, start_method

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
        if record[3]:
            write(record[3])
        summary.cases += 1
        summary.rows += record[4]

    paths = [Path(p) for p in paths]
    method = start_method(method)
    specs = plugin_specs(exporter.registry) if method != "fork" else None
    if jobs <= 1 or (method != "fork" and specs is None):
        for case in iter_cases(paths):
            apply(exporter.judge(case))
        return summary
    from inspectkit.stopping import in_worker, terminate_held

    _WORKER = exporter  # its engines and row plans are built: forked workers share them
    pool_args: dict[str, Any] = {"initializer": in_worker}
    if method != "fork":
        pool_args = {
            "initializer": _spawned_worker,
            "initargs": (specs, bool(getattr(exporter.registry, "strict", False)), exporter.settings),
        }
    try:
        with contextlib.ExitStack() as stack:
            with terminate_held():  # a stop while the workers start waits until the pool knows them all
                pool = stack.enter_context(multiprocessing.get_context(method).Pool(jobs, **pool_args))
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
