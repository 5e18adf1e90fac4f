"""Every command behaves the same way: checked over every click command, so a new command is covered too.

- every option has help;
- every output command has ``--format``, with the same help naming its choices and its default;
- every command's help ends with an example;
- a choice option refuses an unknown value with exit code 2 and suggests the near miss;
- tables fit the terminal's width (``COLUMNS``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import inspectkit.cli
from inspectkit.cli import main

EDITION = "tiny_2024"

# Commands without --format, and why: what they make is files, and they print only what they wrote.
NO_FORMAT = {
    "new-plugin": "writes a plugin folder",
    "report": "writes one HTML file",
    "synth": "writes case files",
}


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    out: list[tuple[tuple[str, ...], click.Command]] = [(path, group)] if not path else []
    for name in sorted(group.commands):
        command = group.commands[name]
        out.append(((*path, name), command))
        if isinstance(command, click.Group):
            out.extend(_walk(command, (*path, name))[0:])
    return out


COMMANDS = _walk(main)
IDS = [" ".join(path) or "inspectkit" for path, _ in COMMANDS]


def test_the_walk_finds_the_commands() -> None:
    names = {path[-1] for path, _ in COMMANDS if path}
    assert {"frameworks", "questions", "assess", "rate", "check", "synth"} <= names
    assert ((), main) in COMMANDS


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and p.name not in ("help", "version")]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_option_has_help(path: tuple[str, ...], command: click.Command) -> None:
    missing = [p.opts[0] for p in _options(command) if not (p.help or "").strip()]
    assert not missing, f"inspectkit {' '.join(path)}: options without help: {missing}"


@pytest.mark.parametrize(("path", "command"), [c for c in COMMANDS if c[0]], ids=IDS[1:])
def test_every_output_command_has_the_same_format_option(path: tuple[str, ...], command: click.Command) -> None:
    fmt = next((p for p in _options(command) if "--format" in p.opts), None)
    if path[-1] in NO_FORMAT:
        assert fmt is None, f"{path[-1]} now has --format: take it out of NO_FORMAT"
        return
    assert fmt is not None, (
        f"inspectkit {' '.join(path)} has no --format: add @format_option() (inspectkit.cli), "
        "or list it in NO_FORMAT in this test with the reason"
    )
    assert isinstance(fmt.type, inspectkit.cli.Choice), "use @format_option(...) from inspectkit.cli"
    choices = list(fmt.type.choices)
    m = re.fullmatch(r"Output format: (.+) \(default: .+\)\.", fmt.help or "")
    assert m, f"--format help must read 'Output format: CHOICES (default: ...).', not {fmt.help!r}"
    assert m.group(1) == ", ".join(choices), "the help lists the choices, in order"
    assert fmt.default is None, "the default depends on where the output goes: say it in the help"


def _description(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    text = result.output
    body = text.split("\n\n", 1)[1]  # after the usage line
    return body.split("\nOptions:")[0].strip() if "\nOptions:" in body else body.strip()


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_every_command_help_ends_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    description = _description(path)
    last = [p.strip() for p in re.split(r"\n\s*\n", description) if p.strip()][-1]
    assert last.startswith("Example"), f"inspectkit {' '.join(path)} --help: the description ends with an example:\n{description}"
    assert f"inspectkit {' '.join(path)}".strip() in last, f"the example runs the command itself:\n{last}"


def _near_miss(choices: list[str]) -> str:
    word = max(choices, key=len)
    return word[:-2] + word[-1] if len(word) > 2 else word + "x"


CHOICE_OPTIONS = [
    (path, p) for path, command in COMMANDS for p in _options(command) if isinstance(p.type, click.Choice) and p.type.choices
]


@pytest.mark.parametrize(
    ("path", "option"), CHOICE_OPTIONS, ids=[f"{' '.join(p) or 'inspectkit'} {o.opts[0]}" for p, o in CHOICE_OPTIONS]
)
def test_a_choice_option_refuses_a_typo_and_suggests_the_near_miss(path: tuple[str, ...], option: click.Option) -> None:
    assert isinstance(option.type, inspectkit.cli.Choice), f"{option.opts[0]}: use inspectkit.cli.Choice (it suggests)"
    choices = [str(c) for c in option.type.choices]
    typo = _near_miss(choices)
    result = CliRunner().invoke(main, [*path, option.opts[0], typo])
    assert result.exit_code == 2, result.output
    assert f"did you mean {max(choices, key=len)!r}?" in result.output, result.output
    assert "Traceback" not in result.output


def test_questions_kind_sumary_is_a_usage_error_naming_summary(cli: Any) -> None:
    result = cli("questions", "-e", EDITION, "--kind", "sumary")
    assert result.exit_code == 2
    assert "did you mean 'summary'?" in result.output


def test_questions_kind_filters(cli: Any) -> None:
    result = cli("questions", "-e", EDITION, "--kind", "summary", "--format", "table")
    assert result.exit_code == 0 and "2.1.1" in result.stdout and "[case_detail" not in result.stdout


# ------------------------------------------------------------------------------------------ widths


@pytest.fixture
def inputs(write: Any, make_case: Any, inspection: dict[str, Any]) -> tuple[Path, Path]:
    for n in range(1, 4):
        write(f"cases/c{n}.yaml", make_case(f"C{n}"))
    long_reason = "The team weighed the evidence of every case and the division's own audit at length. " * 4
    inspection["overrides"] = {"2": {"rating": "good", "reason": long_reason}}
    ins = write("inspection.yaml", inspection)
    return ins.parent / "cases", ins


def _commands(inputs: tuple[Path, Path]) -> list[list[Any]]:
    cases, ins = inputs
    return [
        ["frameworks"],
        ["questions", "-e", EDITION],
        ["questions", "-e", EDITION, "--id", "2.1.1"],
        ["assess", "-e", EDITION, cases / "c1.yaml"],
        ["rate", "-e", EDITION, cases, "--inspection", ins],
    ]


@pytest.mark.parametrize("width", [60, 80])
def test_tables_fit_the_terminal_width(cli: Any, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    for args in _commands(inputs):
        result = cli(*args, "--format", "table")
        assert result.exit_code in (0, 1), result.output
        wide = [line for line in result.stdout.splitlines() if len(line) > width]
        assert not wide, f"inspectkit {' '.join(map(str, args))} at COLUMNS={width}:\n" + "\n".join(wide)


def test_the_width_test_can_fail(cli: Any, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """On a wide terminal the same output uses the room, so the test above is not passing by accident."""
    monkeypatch.setenv("COLUMNS", "250")
    widest = max(len(line) for args in _commands(inputs) for line in cli(*args, "--format", "table").stdout.splitlines())
    assert widest > 80


# ------------------------------------------------------------------------------------ inspection files


def test_rate_reads_a_folders_inspection_file_as_the_inspection(cli: Any, write: Any, make_case: Any, inspection: Any) -> None:
    for n in range(1, 3):
        write(f"insp/cases/c{n}.yaml", make_case(f"C{n}"))
    ins = write("insp/inspection.yaml", inspection)
    result, data = cli.json("rate", "-e", EDITION, ins.parent, "--format", "json")
    assert result.exit_code == 0, result.output
    assert data["cases"] == 2 and data["errors"] == []
    assert data["inspection_id"] == "T-1"
    assert f"reading {ins} as the inspection file" in result.stderr


def test_rate_skips_an_inspection_file_given_as_a_case(cli: Any, write: Any, make_case: Any, inspection: Any) -> None:
    write("cases/c1.yaml", make_case("C1"))
    ins = write("cases/inspection.yaml", inspection)
    other = write("other/inspection.yaml", inspection)
    result, data = cli.json("rate", "-e", EDITION, ins.parent, "--inspection", other, "--format", "json")
    assert result.exit_code == 0, result.output
    assert data["cases"] == 1
    assert f"{ins}: an inspection file, not a case: skipped" in result.stderr


def test_an_inspection_file_under_another_name_is_one_clear_error(cli: Any, write: Any, make_case: Any, inspection: Any) -> None:
    write("cases/c1.yaml", make_case("C1"))
    write("cases/north.yaml", inspection)
    ins = write("inspection.yaml", inspection)
    result = cli("rate", "-e", EDITION, ins.parent / "cases", "--inspection", ins, "--format", "json")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {ins.parent / 'cases' / 'north.yaml'}: an inspection file, not a case: give it to rate with --inspection (or name it inspection.yaml)"
    ]


def test_several_inspection_files_need_choosing(cli: Any, write: Any, make_case: Any, inspection: Any) -> None:
    write("a/cases/c1.yaml", make_case("C1"))
    a = write("a/inspection.yaml", inspection)
    b = write("b/inspection.yaml", inspection)
    result = cli("rate", "-e", EDITION, a.parent, b.parent, "--format", "json")
    assert result.exit_code == 2
    assert "name the one to use with --inspection" in result.stderr
