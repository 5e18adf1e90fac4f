"""`inspectkit new-plugin`: a skeleton that installs (from its wheel, or editable) and passes its own tests.

The wheel test is what a methodology team does when it ships: build the wheel, install it into a fresh
virtual environment, and run the plugin's tests there. The fresh environment borrows this one's packages
(inspectkit and its dependencies) through a .pth file, so nothing is downloaded; the plugin itself comes
only from the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Any

import pytest

from inspectkit.errors import UsageError
from inspectkit.scaffold import new_plugin
from inspectkit.testing import golden_problems

EDITION = "skeleton_test_2025"
PACKAGE = f"inspectkit_{EDITION}"


def _fresh_venv(root: Path) -> Path:
    """A new virtual environment that sees this one's packages, and nothing of the plugin; its python."""
    venv.create(root, with_pip=False)
    python = root / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = sysconfig.get_paths()["purelib"]
    Path(purelib, "_inspectkit_outer.pth").write_text(f"import site; site.addsitedir({outer!r})\n", encoding="utf-8")
    return python


def _pip(python: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", *args],
        check=True,
        capture_output=True,
        text=True,
    )


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["INSPECTKIT_CACHE_DIR"] = str(tmp_path / "cache")
    env["INSPECTKIT_LOAD_PLUGINS"] = EDITION  # the shipped editions are tested elsewhere; this keeps it quick
    env.pop("PYTHONPATH", None)
    return env


def _run(python: Path, args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_skeleton_builds_a_wheel_that_carries_its_data_and_passes_its_tests(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    new_plugin(EDITION, plugin)
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(dist),
            str(plugin),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("*.whl")
    python = _fresh_venv(tmp_path / "venv")
    _pip(python, str(wheel))
    env = _env(tmp_path)

    listed = _run(python, ["-m", "inspectkit", "frameworks", "--format", "json"], tmp_path, env)
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)["frameworks"]
    assert row["edition"] == EDITION

    where = _run(python, ["-c", f"import {PACKAGE}; print({PACKAGE}.HERE)"], tmp_path, env).stdout.strip()
    assert where.startswith(str(tmp_path / "venv")), f"the plugin was imported from {where}, not the installed wheel"
    assert Path(where, "framework.yaml").is_file()

    tests = _run(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider"], plugin, env)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout


def test_the_skeleton_installed_editable_is_listed_and_checked(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    new_plugin(EDITION, plugin)
    python = _fresh_venv(tmp_path / "venv")
    _pip(python, "--no-build-isolation", "-e", str(plugin))
    checked = _run(python, ["-m", "inspectkit", "check", EDITION], tmp_path, _env(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{plugin / 'src' / PACKAGE / 'framework.yaml'}: {EDITION} is valid" in checked.stdout


def test_the_skeletons_golden_cases_fail_when_the_rules_change(tmp_path: Path) -> None:
    """The golden cases test something: a methodology team that changes a band is told which case moved."""
    import importlib.util

    import yaml

    from inspectkit.plugins import load_registry
    from inspectkit.testing import check_golden

    plugin = tmp_path / "plugin"
    new_plugin(EDITION, plugin)
    spec = importlib.util.spec_from_file_location(f"{PACKAGE}_under_test", plugin / "src" / PACKAGE / "__init__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    goldens = {f.name: yaml.safe_load(f.read_text()) for f in (plugin / "tests" / "golden").glob("*.yaml")}

    registry = load_registry([(EDITION, module)], entry_points=False, strict=True)
    assert {name: check_golden(registry, g) for name, g in goldens.items()} == {name: [] for name in goldens}

    definition = plugin / "src" / PACKAGE / "framework.yaml"
    definition.write_text(definition.read_text().replace("{min: 50, rating: requires_improvement}", "{min: 40, rating: good}"))
    registry = load_registry([(EDITION, module)], entry_points=False, strict=True)
    problems = check_golden(registry, goldens["rate_two_cases.yaml"])
    assert problems and "rating 1.1: 'good'" in problems[0]


def test_new_plugin_refuses_a_bad_name_and_a_folder_in_use(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not an edition name"):
        new_plugin("Youth Justice", tmp_path / "a")
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="already exists"):
        new_plugin("youth_2025", used)
    assert (used / "notes.txt").read_text() == "mine"


def test_new_plugin_command(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "yj"
    result = cli("new-plugin", "youth_justice_2025", str(target), "--title", "Youth justice 2025")
    assert result.exit_code == 0, result.output
    assert "pip install -e" in result.output
    text = (target / "src" / "inspectkit_youth_justice_2025" / "framework.yaml").read_text()
    assert "edition: youth_justice_2025" in text and "title: Youth justice 2025" in text
    assert 'youth_justice_2025 = "inspectkit_youth_justice_2025"' in (target / "pyproject.toml").read_text()
    again = cli("new-plugin", "youth_justice_2025", str(target))
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_the_skeleton_shows_every_answer_type_and_rule(tmp_path: Path) -> None:
    import yaml

    from inspectkit.model import ANSWER_TYPES

    new_plugin(EDITION, tmp_path / "p")
    data = yaml.safe_load((tmp_path / "p" / "src" / PACKAGE / "framework.yaml").read_text())
    types = {i.get("type") for i in data["items"]}
    assert set(ANSWER_TYPES) <= types
    for key in ("condition", "derive", "suggest", "overriding"):
        assert any(key in i for i in data["items"]), key
    assert any(i.get("kind") == "summary" for i in data["items"])
    assert data["checks"] and data["sample"]
    assert data["scoring"]["case_scores"] and data["scoring"]["items"] and data["scoring"]["ratings"]["rated"]


# ------------------------------------------------------------------------------------------ golden folders


def test_golden_folder_problems_name_the_file(tmp_path: Path) -> None:
    assert "no such golden folder" in golden_problems(tmp_path / "goldne")[0]
    empty = tmp_path / "golden"
    empty.mkdir()
    assert "holds no golden case" in golden_problems(empty)[0]
    (empty / "plain.yaml").write_text("schema: 1\nedition: x\ncase_id: C1\nanswers: {a: 1}\n")
    (empty / "no_expect.yaml").write_text("description: x\ncase: {schema: 1, edition: x, case_id: C1, answers: {}}\n")
    (empty / "typo.yaml").write_text("case: {schema: 1}\nexpect: {judgement: {}}\n")
    problems = golden_problems(empty)
    assert len(problems) == 3
    assert any("plain.yaml: is a case file, not a golden case" in p for p in problems)
    assert any("no_expect.yaml: expect: is missing" in p for p in problems)
    assert any("typo.yaml: expect: unknown key(s) judgement" in p for p in problems)


def test_a_misspelled_golden_folder_fails_rather_than_skips(tmp_path: Path) -> None:
    from inspectkit.testing import golden_tests

    test = golden_tests(tmp_path / "goldne")
    (mark,) = [m for m in test.pytestmark if m.name == "parametrize"]
    (param,) = mark.args[1]
    with pytest.raises(pytest.fail.Exception, match="no such golden folder"):
        test(*param.values)


def test_every_expect_key_the_kit_reads_is_known() -> None:
    """A key check_golden reads but golden_problems does not know would fail a correct golden case."""
    import re

    import inspectkit.testing as kit

    source = Path(kit.__file__).read_text()
    read = set(re.findall(r'expect(?:\.get\(|\[)"([a-z_]+)"', source)) | set(re.findall(r'"([a-z_]+)" in expect\b', source))
    assert read and read <= kit._EXPECT_KEYS
