"""The analysts' commands: ``export`` (case-level data out). They register on the ``inspectkit`` group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from inspectkit.cli import _loc, _run, _State, main
from inspectkit.errors import UsageError


def _check_inputs(cases: tuple[Path, ...]) -> None:
    if not cases:
        raise UsageError("give at least one case file, folder or JSON Lines file")
    for p in cases:
        if not p.exists():
            raise UsageError("no such file or folder", _loc(p))


def _inspection_id(inspection: Path | None, given: str | None) -> str | None:
    if given is not None or inspection is None:
        return given
    from inspectkit.files import load_document

    if not inspection.exists():
        raise UsageError("no such inspection file", _loc(inspection))
    doc = load_document(inspection)
    ident = doc.get("inspection_id") if isinstance(doc, dict) else None
    return None if ident is None else str(ident)


# ------------------------------------------------------------------------------------------ export


@main.command()
@click.option("--edition", "-e", required=True, help="The edition whose cases (and its instruments' cases) are exported.")
@click.argument("cases", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="Output format (default: from the -o file's suffix, else csv).",
)
@click.option(
    "--shape",
    type=click.Choice(["long", "wide"]),
    default="long",
    show_default=True,
    help="long: a row per case and question (per choice or category); wide: a row per case, a column per question.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="Write to this file (atomically).")
@click.option(
    "--include-personal",
    is_flag=True,
    help="Also write questions that may hold personal data (names, ids, free text about the person).",
)
@click.option("--inspection", type=click.Path(path_type=Path), default=None, help="Take the inspection_id from this file.")
@click.option("--inspection-id", default=None, help="The inspection_id written on every row.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes reading and judging cases; 0 picks one per core for big inputs, none for small ones.",
)
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

    Example: inspectkit export -e standards_2020 examples/nps-north-2020/cases -o cases.csv
    """
    from inspectkit.aggregate import default_jobs
    from inspectkit.export import Exporter, export_paths
    from inspectkit.progress import Progress

    _check_inputs(cases)
    if output is not None and output.is_dir():
        raise UsageError("is a folder: give a file name", _loc(output))
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
