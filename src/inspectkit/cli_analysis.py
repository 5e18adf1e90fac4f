"""The analysts' commands: ``export`` (case-level data out). They register on the ``inspectkit`` group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from inspectkit.cli import (
    PATH,
    Choice,
    _check_cases,
    _inspection_document,
    _loc,
    _run,
    _State,
    argument,
    format_option,
    jobs_option,
    main,
    option,
)
from inspectkit.errors import InputError, UsageError


def _inspection_id(inspection: Path | None, given: str | None) -> str | None:
    if given is not None or inspection is None:
        return given
    doc = _inspection_document(inspection)
    ident = doc.get("inspection_id") if isinstance(doc, dict) else None
    return None if ident is None else str(ident)


# ------------------------------------------------------------------------------------------ export


@main.command()
@option("--edition", "-e", required=True, help="The edition whose cases (and its instruments' cases) are exported.")
@argument("cases", nargs=-1, type=PATH)
@format_option(["csv", "jsonl"], "what the -o file's name says, else csv")
@option(
    "--shape",
    type=Choice(["long", "wide"]),
    default="long",
    show_default=True,
    help="long: a row per case and question (per choice or category); wide: a row per case, a column per question.",
)
@option("--output", "-o", type=PATH, default=None, help="Write to this file (atomically).")
@option(
    "--include-personal",
    is_flag=True,
    help="Also write questions that may hold personal data (names, ids, free text about the person).",
)
@option("--inspection", type=PATH, default=None, help="Take the inspection_id from this file.")
@option("--inspection-id", default=None, help="The inspection_id written on every row.")
@jobs_option()
@click.pass_obj
@_run
def export(
    state: _State,
    edition: str,
    cases: tuple[Path, ...],
    fmt: str | None,
    shape: str,
    output: Path | None,
    include_personal: bool,
    inspection: Path | None,
    inspection_id: str | None,
    jobs: int,
) -> int:
    """Write every case's answers as a tidy table (CSV or JSON Lines) for pandas, R or DuckDB.

    Example: inspectkit export --edition my_edition cases/ -o cases.csv
    """
    from inspectkit.aggregate import default_jobs
    from inspectkit.export import Exporter, export_paths
    from inspectkit.progress import Progress

    _check_cases(cases)
    if output is not None and output.is_dir():
        raise UsageError("is a folder: give a file name", _loc(output))
    from inspectkit.files import refuse_overwriting_inputs

    refuse_overwriting_inputs([output], [*cases, inspection])
    if fmt is None:
        fmt = "jsonl" if output is not None and output.suffix.lower() in (".jsonl", ".ndjson") else "csv"
    exporter = Exporter(
        state.registry,
        edition,
        shape,
        fmt,
        include_personal=include_personal,
        inspection_id=_inspection_id(inspection, inspection_id),
    )
    jobs = jobs or default_jobs(cases)
    with Progress("export") as progress:
        if output is None:
            out = sys.stdout
            summary = export_paths(exporter, cases, out.write, jobs=jobs, progress=progress)
            out.flush()
        else:
            from inspectkit.files import atomic_writer

            try:
                with atomic_writer(output) as fh:
                    summary = export_paths(exporter, cases, fh.write, jobs=jobs, progress=progress)
            except OSError as exc:
                raise UsageError(f"cannot write the export: {exc.strerror or exc}", _loc(output)) from exc
    _report_export(summary, output, include_personal)
    return 1 if summary.errors else 0


def _report_export(summary: Any, output: Path | None, include_personal: bool) -> None:
    from inspectkit.cli import MAX_ERRORS_SHOWN

    for problem in summary.errors[:MAX_ERRORS_SHOWN]:
        click.echo(f"error: {problem}", err=True)
    if len(summary.errors) > MAX_ERRORS_SHOWN:
        click.echo(f"error: ... and {len(summary.errors) - MAX_ERRORS_SHOWN:,} more", err=True)
    where = f" to {output}" if output is not None else ""
    line = f"wrote {summary.rows:,} row(s) for {summary.cases:,} case(s){where}"
    if summary.excluded:
        line += f"; {len(summary.excluded):,} case(s) left out, as rate leaves them out"
    click.echo(line, err=True)
    if summary.personal_left_out and not include_personal:
        shown = ", ".join(summary.personal_left_out[:8]) + (" ..." if len(summary.personal_left_out) > 8 else "")
        click.echo(
            f"personal questions left out ({len(summary.personal_left_out)}): {shown}; --include-personal writes them", err=True
        )


# ------------------------------------------------------------------------------------------ compare


CASE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
ERRORS_SHOWN = 20  # per inspection rated from its cases, on the terminal


def load_inspection(path: Path, registry: Any, progress: Any = None) -> Any:
    """An inspection to compare: a saved rate report, an inspection file (its cases in ``cases/`` beside it),
    a folder holding ``inspection.yaml`` and ``cases/``, or a folder or JSON Lines file of cases.

    An inspection rated here carries the errors met in its cases (``errors``): the caller shows them."""
    from inspectkit.compare import Inspection, read_report

    if not path.exists():
        raise UsageError("no such file or folder", _loc(path))
    what = "compare and report take saved rate reports (.json), inspection files or folders of cases"
    if path.is_file() and path.suffix.lower() not in CASE_SUFFIXES:
        raise UsageError(f"not a saved rate report, an inspection file or a case file ({what})", _loc(path))
    if path.is_file() and path.suffix.lower() == ".json":
        return Inspection(path.name, read_report(path))
    inspection_file: Path | None = None
    cases: Path = path
    if path.is_dir() and (path / "inspection.yaml").is_file():
        inspection_file, cases = path / "inspection.yaml", path / "cases"
    elif path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        _refuse_a_case_file(path, what)
        inspection_file, cases = path, path.parent / "cases"
    if inspection_file is not None and not cases.is_dir():
        raise UsageError(f"no cases/ folder beside the inspection file {inspection_file}", _loc(path))
    if path.is_dir() and inspection_file is None:
        from inspectkit.files import iter_case_paths

        if next(iter(iter_case_paths([path])), None) is None:
            raise UsageError(f"no case files in this folder ({what})", _loc(path))
    report = rate_inspection(registry, inspection_file, cases, progress)
    name = report.inspection_id or (path.parent.name if path.is_file() and inspection_file else path.name)
    return Inspection(name, report.to_dict(), tuple(str(e) for e in report.errors))


def _refuse_a_case_file(path: Path, what: str) -> None:
    from inspectkit.files import load_document

    doc = load_document(path)
    if isinstance(doc, dict) and doc.get("kind") != "inspection":
        kind = "a case file" if "case_id" in doc or "answers" in doc else "not an inspection file"
        raise UsageError(
            f"{kind}, not an inspection file (kind: inspection); give the folder of cases or the inspection file ({what})",
            _loc(path),
        )


def show_rating_errors(loaded: list[Any]) -> bool:
    """Print the errors met while rating inspections from their cases (capped per inspection); True if any."""
    for ins in loaded:
        for problem in ins.errors[:ERRORS_SHOWN]:
            click.echo(f"error: {problem}", err=True)
        if len(ins.errors) > ERRORS_SHOWN:
            click.echo(f"error: ... and {len(ins.errors) - ERRORS_SHOWN:,} more in {ins.name} (rate lists every one)", err=True)
        if ins.errors:
            click.echo(f"{ins.name}: {len(ins.errors)} error(s) while rating it; the cases with errors are left out", err=True)
        recorded = ins.report.get("error_count") if not ins.errors else None
        if recorded:
            click.echo(f"note: {ins.name}: its saved report records {recorded} error(s) from when it was rated", err=True)
    return any(ins.errors for ins in loaded)


def unique_names(loaded: list[Any]) -> list[Any]:
    """Inspections named apart: a name given twice gets its place in the list (``NPS-North-2020 (2)``)."""
    import attrs

    seen: dict[str, int] = {}
    out = []
    for ins in loaded:
        seen[ins.name] = seen.get(ins.name, 0) + 1
        out.append(ins if seen[ins.name] == 1 else attrs.evolve(ins, name=f"{ins.name} ({seen[ins.name]})"))
    if any(n > 1 for n in seen.values()):
        twice = ", ".join(name for name, n in seen.items() if n > 1)
        click.echo(f"note: {twice} given more than once; the later ones are numbered", err=True)
    return out


def rate_inspection(registry: Any, inspection_file: Path | None, cases: Path, progress: Any = None) -> Any:
    """Rate one inspection for compare and report: the edition from the inspection file, or from the cases."""
    from inspectkit.aggregate import default_jobs, rate_paths
    from inspectkit.files import iter_case_paths, iter_json_lines, load_document

    inspection_doc = load_document(inspection_file) if inspection_file is not None else None
    edition = inspection_doc.get("edition") if isinstance(inspection_doc, dict) else None
    if edition is None:
        for case_path in iter_case_paths([cases]):
            if case_path.suffix.lower() == ".jsonl":
                doc = next((d for _, d in iter_json_lines(case_path)), None)
            else:
                doc = load_document(case_path)
            edition = doc.get("edition") if isinstance(doc, dict) else None
            if edition:
                break
    if not isinstance(edition, str):
        raise UsageError("cannot tell the edition: neither an inspection file nor the first case names one", _loc(cases))
    # an instrument's cases alone (no inspection file) are rated as that instrument: its crosswalk lines them up
    return rate_paths(
        registry,
        edition,
        [cases],
        inspection_doc,
        str(inspection_file) if inspection_file else None,
        jobs=default_jobs([cases]),
        progress=progress,
    )


def _cell_text(cell: Any, with_id: bool, sep: str = "\n") -> str:
    """A cell: percent (numerator/denominator), interval, and what it is (its item and relation, or the pool)."""
    if cell is None:
        return "-"
    if not cell.denominator:
        text = "no cases"
    else:
        lower, upper = cell.interval
        mark = " †" if cell.small_sample else ""
        what = " answers" if cell.pooled else ""
        text = f"{cell.percent:.1f}% ({cell.numerator}/{cell.denominator}{what}){mark}{sep}{lower:.1f}-{upper:.1f}"
    if cell.pooled:
        text += f"{sep}{len(cell.items)} items pooled ({cell.relation})"
    elif with_id and cell.relation != "same":
        text += f"{sep}{cell.item_id} ({cell.relation})"
    return text


def _compare_rows(result: Any, sep: str, hide_titles: bool = False) -> tuple[list[list[str]], list[str]]:
    from inspectkit.cli import _short

    with_id = result.on is not None
    rows = []
    for line in result.lines:
        change = "" if line.change is None else f"{line.change:+.1f}"
        ov = "" if line.overlap is None else ("yes" if line.overlap else "NO")
        if line.level == "key":
            item, cells = line.key, [_cell_text(c, with_id, sep) for c in line.cells]
        else:  # one item of one edition: its id and relation once, at the start
            cell = next(c for c in line.cells if c is not None)
            item = f"↳ {cell.item_id}{sep}({cell.relation})"
            cells = [_cell_text(c, False, sep) for c in line.cells]
        row = [item] + ([] if hide_titles else [_short(line.title, 24)])
        row += cells + [change, ov]
        rows.append(row)
    headers = ["item"] + ([] if hide_titles else ["title"]) + [_short(i.name, 20) for i in result.inspections]
    headers += ["change", "overlap"]
    return rows, headers


def _unmapped_text(result: Any) -> list[str]:
    if not result.unmapped:
        return []
    by: dict[int, list[str]] = {}
    for i, item_id, _ in result.unmapped:
        by.setdefault(i, []).append(item_id)
    out = [f"\nNot lined up with {result.on} ({len(result.unmapped)} item(s); --hide-unmapped leaves them out):"]
    for i, ids in by.items():
        import textwrap

        out.append(
            textwrap.fill(
                ", ".join(ids),
                110,
                initial_indent=f"  {result.inspections[i].name} ({result.inspections[i].edition}): ",
                subsequent_indent="    ",
            )
        )
    return out


def render_compare(result: Any, fmt: str, hide_unmapped: bool, hide_items: bool = False) -> str:
    """The comparison as table, markdown, csv or json text."""
    import json

    import attrs

    from inspectkit.cli import _word

    hidden = 0
    if hide_items:  # each key question's own line only: its figure per inspection
        hidden = len(result.lines) - len(result.key_lines)
        result = attrs.evolve(result, lines=tuple(result.key_lines))
    if fmt == "json":
        data = result.to_dict()
        if hide_items:
            data["item_lines_hidden"] = hidden
        if hide_unmapped:
            data["unmapped_count"] = len(data.pop("unmapped"))
        data["records"] = result.records(hide_unmapped)
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt == "csv":
        from inspectkit.tabular import COMPARE_COLUMNS, write_csv

        return write_csv(COMPARE_COLUMNS, result.records(hide_unmapped))
    out: list[str] = []
    md = fmt == "markdown"
    for ins in result.inspections:
        h = ins.header()
        overall = h.get("overall") or {}
        declared = ", ".join(str(v) for v in (ins.provider, ins.date) if v)
        line = (
            f"{ins.name}: {h['edition']}"
            + (f" {h['inspection_id']}" if h.get("inspection_id") else "")
            + (f" ({declared})" if declared else "")
            + f", {h['cases']} cases"
        )
        if overall.get("rating"):
            line += f", overall {_word(overall['rating'])} ({overall.get('score')})"
        out.append(("- " if md else "") + line)
    dates = [ins.date for ins in result.inspections]
    one_provider = len({ins.provider for ins in result.inspections} - {None}) == 1
    if one_provider and all(dates) and dates != sorted(dates):  # type: ignore[type-var]
        out.append(
            ("\n" if md else "")
            + "Note: given out of date order (inspection_date: "
            + ", ".join(str(d) for d in dates)
            + "); change runs from the first given to the last."
        )
    how = {
        "id": "by id",
        "crosswalk": f"onto {result.on} through the plugins' crosswalks",
        "map": f"onto {result.on} by the map given",
    }
    out.append(("\n" if md else "") + f"Lined up {how[result.how]}.")
    if result.ratings:
        rows = [[rid] + [_word(v) for v in values] for rid, values in result.ratings]
        out.append("")
        out.append(_tabulate(rows, ["rated"] + [i.name for i in result.inspections], md))
    rows, headers = _compare_rows(result, "<br>" if md else "\n")
    out.append("")
    out.append(_tabulate(rows, headers, md) if rows else "Nothing lines up.")
    if any(c is not None and c.small_sample for line in result.lines for c in line.cells):
        out.append("† fewer applicable cases than the edition's minimum to rate")
    if any(c is not None and c.pooled for line in result.lines for c in line.cells):
        out.append(
            "answers: the equally close items of one inspection pooled (their answers added up: answers, not cases); "
            "the interval is taken as if from the items' mean number of cases"
            + ("" if hidden else "; each item follows on a ↳ line")
        )
    out.append("change: percentage points from the first inspection to the last; overlap: whether the 95% intervals overlap")
    mixed = [line.key for line in result.key_lines if len({c.basis for c in line.with_cases}) > 1]
    if mixed:
        out.append(
            f"{len(mixed)} key question(s) set pooled answers beside cases ({', '.join(mixed[:6])}"
            + (" ..." if len(mixed) > 6 else "")
            + "): read their change with the intervals"
        )
    if result.how != "id":
        out.append(
            "relation: how an inspection's item stands to the line's: equivalent, narrower (a part of it), broader, related"
        )
    if hidden:
        out.append(f"{hidden} item line(s) hidden (--hide-items): the items behind each figure")
    if not hide_unmapped:
        out.extend(_unmapped_text(result))
    elif result.unmapped:
        out.append(f"\n{len(result.unmapped)} item(s) not lined up (hidden)")
    return "\n".join(out) + "\n"


def _tabulate(rows: list[list[Any]], headers: list[str], markdown: bool) -> str:
    from tabulate import tabulate

    from inspectkit.cli import _table

    if markdown:
        return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    return _table(rows, headers)


@main.command()
@argument("inspections", nargs=-1, type=PATH)
@format_option(["table", "json", "csv", "markdown"], "table on a terminal, else json, or what the -o file's name says")
@option(
    "--map",
    "map_file",
    type=PATH,
    default=None,
    help="A YAML map that replaces the crosswalks: {EDITION: {ID: TARGET}} (or FIRST_ID: SECOND_ID for two).",
)
@option("--hide-unmapped", is_flag=True, help="Leave out the items that line up with nothing (they are counted).")
@option(
    "--hide-items",
    is_flag=True,
    help="Show each key question's line only (one figure per inspection), not the items behind it (they are counted).",
)
@option("--output", "-o", type=PATH, default=None, help="Write to this file (atomically).")
@click.pass_obj
@_run
def compare(
    state: _State,
    inspections: tuple[Path, ...],
    fmt: str | None,
    map_file: Path | None,
    hide_unmapped: bool,
    hide_items: bool,
    output: Path | None,
) -> int:
    """Compare two or more inspections of any editions: saved rate reports, inspection files or case folders.

    Inspections of one edition line up item by item; of several, on the key questions their crosswalks map
    onto: one line per key question with each inspection's figure (its closest item, or the equally close
    items' answers pooled, marked "answers"), then a line per item behind it.

    Example: inspectkit compare 2013.json 2017.json inspection-2020/
    """
    from inspectkit.cli import _default_format, _write_output
    from inspectkit.compare import compare as compare_inspections
    from inspectkit.progress import Progress

    if len(inspections) < 2:
        raise UsageError("give two or more inspections (saved rate reports, inspection files or case folders)")
    from inspectkit.files import refuse_overwriting_inputs

    refuse_overwriting_inputs([output], [*inspections, map_file])
    mapping = None
    if map_file is not None:
        from inspectkit.files import load_document

        if not map_file.exists():
            raise UsageError("no such map file", _loc(map_file))
        try:
            mapping = load_document(map_file)
        except InputError as exc:  # the map is an option's file: a bad one is the command used wrongly
            raise UsageError(exc.message, exc.location, exc.hint) from exc
    if fmt is None and output is not None:
        if output.suffix.lower() in (".html", ".htm"):
            raise UsageError(
                "compare writes table, markdown, csv or json text; inspectkit report writes an HTML page", _loc(output)
            )
        fmt = {".json": "json", ".csv": "csv", ".md": "markdown"}.get(output.suffix.lower(), "table")
    with Progress("compare") as progress:
        loaded = unique_names([load_inspection(p, state.registry, progress) for p in inspections])
    had_errors = show_rating_errors(loaded)
    result = compare_inspections(loaded, state.registry, mapping, str(map_file) if map_file else "--map")
    text = render_compare(result, fmt or _default_format(), hide_unmapped, hide_items)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_output(output, text)
        click.echo(f"wrote the comparison to {output}", err=True)
    if not result.lines:
        click.echo("error: nothing lines up: no item of one inspection corresponds to an item of another", err=True)
        return 1
    return 1 if had_errors else 0


# ------------------------------------------------------------------------------------------ report


@main.command()
@argument("inputs", nargs=-1, type=PATH)
@option("--output", "-o", type=PATH, required=True, help="The HTML file to write (atomically).")
@option(
    "--edition",
    "-e",
    default=None,
    help="Rate the INPUTS as the case files, folders and JSON Lines files of one inspection of this edition.",
)
@option("--inspection", type=PATH, default=None, help="With --edition: the inspection file.")
@option("--title", default=None, help="The report's title (default: the inspections' names).")
@click.pass_obj
@_run
def report(
    state: _State, inputs: tuple[Path, ...], output: Path, edition: str | None, inspection: Path | None, title: str | None
) -> int:
    """Write one self-contained HTML report: ratings, charts with intervals, inspections side by side, trends.

    INPUTS are saved rate reports, inspection files or folders (as compare takes them); or, with --edition,
    the cases of one inspection. Inspections of one provider (provider_name in their inspection files) make a
    trend in date order (inspection_date). The file fetches nothing and needs no script.

    Example: inspectkit report north-2020.json south-2020.json -o report.html
    """
    from inspectkit.cli import _write_output
    from inspectkit.progress import Progress
    from inspectkit.report import render

    if not inputs:
        raise UsageError("give saved rate reports, inspection files or folders (or --edition E and case files)")
    if output.suffix.lower() not in (".html", ".htm"):
        raise UsageError("report writes an HTML page: name the file .html (compare writes json, csv or markdown)", _loc(output))
    if inspection is not None and edition is None:
        raise UsageError(
            "--inspection goes with --edition (the case files of one inspection); without it, give the inspection's"
            " folder or its inspection file among the inputs"
        )
    from inspectkit.files import refuse_overwriting_inputs

    refuse_overwriting_inputs([output], [*inputs, inspection])
    registry = state.registry
    with Progress("report") as progress:
        if edition is not None:
            from inspectkit.aggregate import default_jobs, rate_paths
            from inspectkit.compare import Inspection

            _check_cases(inputs)
            registry.framework(edition)
            doc = _inspection_document(inspection)
            rated = rate_paths(
                registry,
                edition,
                list(inputs),
                doc,
                str(inspection) if inspection else None,
                jobs=default_jobs(inputs),
                progress=progress,
            )
            errors = tuple(str(e) for e in rated.errors)
            loaded = [Inspection(rated.inspection_id or edition, rated.to_dict(), errors)]
        else:
            loaded = unique_names([load_inspection(p, registry, progress) for p in inputs])
    had_errors = show_rating_errors(loaded)
    html = render(loaded, registry, title)
    _write_output(output, html)
    click.echo(f"wrote the report on {len(loaded)} inspection(s) to {output}", err=True)
    return 1 if had_errors else 0
