"""Crosswalks: one edition's items onto another's, as plugin data that check validates and compare uses."""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

import inspectkit
from inspectkit.crosswalk import check_crosswalk, load_crosswalk, read_crosswalk

TINY2_DIR = Path(__file__).parent / "tiny2"
RATING, INSTRUMENT = "tiny_2024", "tiny_instrument_2024"
GOOD_ROWS = [
    {"from": "SJ", "to": "2.1.1", "relation": "equivalent", "reason": "SJ is the judgement 2.1.1 asks for."},
    {"from": "LJ", "to": "2.1.2", "relation": "equivalent", "reason": "LJ is the judgement 2.1.2 asks for."},
]


def _tiny2() -> Any:
    name = "inspectkit_tests_tiny2_plugin"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TINY2_DIR / "plugin.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def crosswalk_file(tmp_path: Path, rows: list[dict[str, Any]], **head: Any) -> Path:
    path = tmp_path / "crosswalk.yaml"
    data = {"schema": 1, "kind": "crosswalk", "from": INSTRUMENT, "to": RATING, **head, "rows": rows}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def crosswalk_plugin(path: Path) -> types.ModuleType:
    module = types.ModuleType("inspectkit_tests_crosswalk_plugin")
    module.register_crosswalks = inspectkit.hookimpl(lambda register: register(path))
    return module


@pytest.fixture
def registry_with(tiny_module: Any) -> Any:
    def make(path: Path) -> Any:
        plugins = [("tiny", tiny_module), ("tiny2", _tiny2()), ("walk", crosswalk_plugin(path))]
        return inspectkit.load_registry(plugins=plugins, entry_points=False)

    return make


def problems(registry: Any, path: Path) -> list[str]:
    crosswalk, shape = read_crosswalk(path)
    assert crosswalk is not None, shape
    return [str(p) for p in shape + check_crosswalk(crosswalk, registry)]


def test_a_good_crosswalk_is_registered_and_valid(tmp_path: Path, registry_with: Any) -> None:
    registry = registry_with(crosswalk_file(tmp_path, GOOD_ROWS))
    (walk,) = registry.crosswalks()
    assert (walk.from_edition, walk.to_edition, len(walk.rows)) == (INSTRUMENT, RATING, 2)
    assert check_crosswalk(walk, registry) == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            {"from": "SX", "to": "2.1.1", "relation": "equivalent", "reason": "r"},
            "SX: not an item a tiny_instrument_2024 rate report holds",
        ),
        (
            {"from": "SJ", "to": "2.1.9", "relation": "equivalent", "reason": "r"},
            "SJ: 2.1.9: not an item a tiny_2024 rate report holds; did you mean 2.1.2?",
        ),
        (
            {"from": "SJ", "to": "2.1.1", "relation": "equivalnt", "reason": "r"},
            "relation 'equivalnt' is not one of equivalent, narrower, broader, related; did you mean equivalent?",
        ),
        ({"from": "SJ", "to": "2.1.1", "relation": "equivalent"}, "every row says why"),
        ({"from": "SJ", "to": "2.1.1", "relation": "narrower", "reason": "r"}, "SJ -> 2.1.1: conflicting relations (equivalent"),
        (
            {"from": "SJ", "to": "2.2.a", "relation": "related", "reason": "r"},
            "SJ is equivalent to 2.1.1 but also mapped to 2.2.a",
        ),
        ({"from": "LJ", "to": "2.1.1", "relation": "equivalent", "reason": "r"}, "LJ, SJ are all equivalent to 2.1.1"),
    ],
)
def test_check_names_each_problem_with_file_line_and_id(
    tmp_path: Path, registry_with: Any, row: dict[str, Any], message: str
) -> None:
    path = crosswalk_file(tmp_path, [GOOD_ROWS[0], row])
    found = problems(registry_with(path), path)
    assert any(message in p for p in found), found
    assert all(p.startswith(f"{path}:") for p in found)


def test_a_row_that_contradicts_the_feeds_is_refused(tmp_path: Path, registry_with: Any) -> None:
    path = crosswalk_file(tmp_path, [{"from": "LJ", "to": "2.2.a", "relation": "related", "reason": "r"}])
    found = problems(registry_with(path), path)
    assert any("LJ feeds 2.1.2 (its cases count there), yet this row maps it to 2.2.a" in p for p in found)


def test_unknown_editions_and_a_bad_shape(tmp_path: Path, registry_with: Any) -> None:
    path = crosswalk_file(tmp_path, GOOD_ROWS, to="tiny_2042")
    assert any("no edition 'tiny_2042' is installed; did you mean tiny_2024?" in p for p in problems(registry_with(path), path))
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: crosswalk\nfrom: x\nrows: {}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(inspectkit.errors.DefinitionErrors) as info:
        load_crosswalk(bad)
    text = str(info.value)
    assert "unknown key 'extra'" in text and "names the edition it maps from and the one it maps to" in text


def test_the_check_command_validates_a_crosswalk_file_and_an_editions_crosswalks(
    tmp_path: Path, cli: Any, tiny_module: Any
) -> None:
    path = crosswalk_file(tmp_path, [GOOD_ROWS[0], {"from": "SJ", "to": "2.1.9", "relation": "narrower", "reason": "r"}])
    cli.plugins.extend([("tiny2", _tiny2()), ("walk", crosswalk_plugin(path))])
    result = cli("check", path)
    assert result.exit_code == 1 and "2.1.9: not an item a tiny_2024 rate report holds" in result.stderr
    result = cli("check", INSTRUMENT)
    assert result.exit_code == 1 and "2.1.9: not an item" in result.stderr
    path.write_text(
        yaml.safe_dump({"schema": 1, "kind": "crosswalk", "from": INSTRUMENT, "to": RATING, "rows": GOOD_ROWS}), encoding="utf-8"
    )
    result = cli("check", path)
    assert result.exit_code == 0 and "is valid: 2 rows" in result.stdout


def test_compare_lines_two_editions_up_through_the_crosswalk(tmp_path: Path, cli: Any) -> None:
    path = crosswalk_file(tmp_path, [GOOD_ROWS[0]])
    cli.plugins.extend([("tiny2", _tiny2()), ("walk", crosswalk_plugin(path))])
    old = {
        "edition": INSTRUMENT,
        "cases": 8,
        "items": {"SJ": {"numerator": 3, "denominator": 8}, "LJ": {"numerator": 1, "denominator": 2}},
    }
    new = {
        "edition": RATING,
        "cases": 9,
        "minimum_cases": 2,
        "items": {"2.1.1": {"title": "Assessment", "numerator": 9, "denominator": 9}},
    }
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    result, data = cli.json("compare", tmp_path / "old.json", tmp_path / "new.json", "--format", "json")
    assert result.exit_code == 0, result.output
    assert data["on"] == RATING and data["lined_up_by"] == "crosswalk"
    (line,) = data["items"]
    assert line["key"] == "2.1.1" and [s["item_id"] for s in line["sides"]] == ["SJ", "2.1.1"]
    assert line["sides"][0] | {} == {**line["sides"][0], "relation": "equivalent", "lower": 13.7, "upper": 69.4}
    assert line["overlap"] is False and line["change_points"] == 62.5
    assert [(u["inspection"], u["item_id"]) for u in data["unmapped"]] == [("old.json", "LJ")]
    hidden = cli("compare", tmp_path / "old.json", tmp_path / "new.json", "--format", "table", "--hide-unmapped").stdout
    assert "LJ" not in hidden and "1 item(s) not lined up (hidden)" in hidden


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "SX", "reason": "r"}, "SX: not an item a tiny_instrument_2024 rate report holds"),
        ({"id": "SJ", "reason": "r"}, "SJ is listed as unmapped, yet a row maps it to 2.1.1"),
        ({"id": "LJ"}, "LJ: every unmapped item says why"),
        ({"id": "LJ", "reason": "r", "why": "x"}, "unknown key 'why' in an unmapped entry"),
    ],
)
def test_check_validates_the_items_listed_as_unmapped(
    tmp_path: Path, registry_with: Any, entry: dict[str, Any], message: str
) -> None:
    path = crosswalk_file(tmp_path, [GOOD_ROWS[0]], unmapped=[entry])
    found = problems(registry_with(path), path)
    assert any(message in p for p in found), found
    assert all(p.startswith(f"{path}:") for p in found)


def test_an_item_listed_as_unmapped_twice_is_refused_and_a_good_list_keeps_its_reasons(
    tmp_path: Path, registry_with: Any
) -> None:
    entry = {"id": "LJ", "reason": "Nothing in the rating edition asks it."}
    path = crosswalk_file(tmp_path, [GOOD_ROWS[0]], unmapped=[entry, entry])
    assert any("LJ is listed as unmapped twice" in p for p in problems(registry_with(path), path))
    path = crosswalk_file(tmp_path, [GOOD_ROWS[0]], unmapped=[entry])
    registry = registry_with(path)
    assert problems(registry, path) == []
    (walk,) = registry.crosswalks()
    assert walk.reason_unmapped("LJ") == "Nothing in the rating edition asks it." and walk.reason_unmapped("SJ") == ""
