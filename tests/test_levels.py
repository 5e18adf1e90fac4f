"""Level names are the edition's data: every word for a level of the tree that a user reads comes from it."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import inspectkit
from inspectkit.aggregate import rate
from tests.conftest import INSPECTION, case, good_answers

TINY = Path(__file__).parent / "tiny"


def _tiny_with(tmp_path: Path, old: str, new: str) -> Any:
    """The tiny edition, copied and edited, as its own plugin."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    definition = folder / "framework.yaml"
    text = definition.read_text()
    assert old in text
    definition.write_text(text.replace(old, new))
    spec = importlib.util.spec_from_file_location(f"tiny_levels_{tmp_path.name}", folder / "plugin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENAMED = """  standard: {name: standard, plural: standards}
  key_question: {name: key question, plural: key questions}"""
OTHER_WORDS = """  standard: {name: outcome area, plural: outcome areas}
  key_question: {name: strand, plural: strands}"""


def _licence(cid: str, kq1: str, kq2: str) -> dict[str, Any]:
    extra = {"2__1__1": kq1, "2__1__2": kq2, "2__1__2__a": "yes", "2__2__a__3": "yes", "2__2__a": "met"}
    return case(cid, good_answers(sentence_type="licence", **extra))


def test_rate_speaks_the_editions_words(tmp_path: Path, monkeypatch: Any) -> None:
    module = _tiny_with(tmp_path, RENAMED, OTHER_WORDS)
    registry = inspectkit.load_registry(plugins=[("tiny", module)], entry_points=False)
    report = rate(registry, "tiny_2024", [_licence("A", "yes", "yes"), _licence("B", "yes", "no")], INSPECTION)
    basis = report.ratings["2.1"].basis
    assert basis.startswith("lowest strand 2.1.2") and "key question" not in basis
    assert "outcome area scores" in (report.overall or {}).get("basis", "")

    from inspectkit.aggregate import explain

    lines = explain(registry, report, "2.1")
    assert lines[0] == "2.1 Assessment: the band of its lowest strand (2.1.1, 2.1.2)"
    assert not any("key question" in line or "standard" in line for line in explain(registry, report, "overall"))


def test_the_rate_table_heads_its_ratings_with_the_editions_word(tmp_path: Path, cli: Any) -> None:
    from inspectkit.cli import _report_table

    module = _tiny_with(tmp_path, RENAMED, OTHER_WORDS)
    registry = inspectkit.load_registry(plugins=[("tiny", module)], entry_points=False)
    report = rate(registry, "tiny_2024", [_licence("A", "yes", "yes")], INSPECTION)
    table = _report_table(registry, report)
    assert "outcome area" in table.splitlines()[3]
    assert "standard" not in table and "key question" not in table


def test_a_level_with_no_name_is_an_error_naming_the_item(tmp_path: Path, cli: Any) -> None:
    module = _tiny_with(tmp_path, "  prompt: {name: prompt, plural: prompts}\n", "")
    result = cli("check", str(Path(module.__file__).parent / "framework.yaml"), "--format", "json")
    assert result.exit_code == 1
    errors = json.loads(result.stdout)["errors"]
    (error,) = errors
    assert error["id"] == "2.1.1.a" and error["message"] == "level 'prompt' has no name in levels:"
    assert error["line"] == 186  # its level: line


def test_a_heading_answered_is_named_by_its_level(tmp_path: Path) -> None:
    module = _tiny_with(tmp_path, RENAMED, OTHER_WORDS)
    registry = inspectkit.load_registry(plugins=[("tiny", module)], entry_points=False)
    result = registry.engine("tiny_2024").assess(case(answers=good_answers(**{"2__1": "yes"})))
    assert any("2.1 is a heading (outcome area)" in e.message for e in result.errors)
