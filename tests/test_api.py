"""The Python API as an embedding program sees it: typed names, one documented exception hierarchy."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit.errors import DefinitionErrors

ROOT = Path(__file__).resolve().parent.parent
EDITION = "tiny_2024"

# Calls a type checker must refuse: each line ends with the error code mypy must give for it.
WRONG_CALLS = """\
import inspectkit

registry = inspectkit.load_registry()
inspectkit.assess(42, "not a case")  # E: arg-type arg-type
framework: int = registry.framework("carag_2019")  # E: assignment
inspectkit.rate(registry, 2019, [])  # E: arg-type
inspectkit.load_framework(3)  # E: arg-type
inspectkit.assess_file("case.yaml", edition=7)  # E: arg-type
inspectkit.no_such_name  # E: attr-defined
report = inspectkit.rate(registry, "standards_2020", ["cases"])
report.no_such_field  # E: attr-defined
try:
    pass
except inspectkit.InputError as exc:
    exc.line + 1  # E: operator
"""


def _readme_example() -> str:
    spec = importlib.util.spec_from_file_location("_readme_test", ROOT / "tests" / "test_readme.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = module.python_api_example((ROOT / "README.md").read_text(encoding="utf-8"))
    assert code is not None
    return code


def test_mypy_strict_accepts_the_readme_example_and_refuses_wrong_calls(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is in the test extra: pip install -e '.[test]'")
    (tmp_path / "readme_example.py").write_text(_readme_example(), encoding="utf-8")
    (tmp_path / "wrong_calls.py").write_text(WRONG_CALLS, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
        + ["readme_example.py", "wrong_calls.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found: dict[tuple[str, int], list[str]] = {}
    for line in result.stdout.splitlines():
        m = re.match(r"(\w+)\.py:(\d+): error: .*\[([\w-]+)\]$", line)
        if m:
            found.setdefault((m.group(1), int(m.group(2))), []).append(m.group(3))
    assert not [k for k in found if k[0] == "readme_example"], f"the README's example must type-check:\n{result.stdout}"
    expected = {
        ("wrong_calls", n): sorted(line.split("# E:")[1].split())
        for n, line in enumerate(WRONG_CALLS.splitlines(), start=1)
        if "# E:" in line
    }
    assert {k: sorted(v) for k, v in found.items()} == expected, result.stdout + result.stderr
    assert result.returncode == 1


# ------------------------------------------------------------------------------------------------ names


def test_every_exported_name_resolves_and_nothing_else_does() -> None:
    for name in inspectkit.__all__:
        assert getattr(inspectkit, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'Engine'"):
        inspectkit.Engine  # noqa: B018 - private: not part of the API
    assert set(inspectkit.__all__) <= set(dir(inspectkit))


def test_the_errors_are_one_hierarchy() -> None:
    for name in ("UsageError", "InputError", "DefinitionError", "PluginError"):
        assert issubclass(getattr(inspectkit, name), inspectkit.InspectkitError)
    assert issubclass(DefinitionErrors, inspectkit.DefinitionError)


# ------------------------------------------------------------------------------------- one test per class


def test_usage_error_a_missing_definition_file_says_so() -> None:
    with pytest.raises(inspectkit.UsageError) as info:
        inspectkit.load_framework("/nope.yaml")
    assert "no such file" in str(info.value) and "unknown edition" not in str(info.value)
    assert info.value.file == "/nope.yaml"
    assert info.value.exit_code == 2


def test_usage_error_an_unknown_edition_suggests_the_near_miss(registry: inspectkit.Registry) -> None:
    with pytest.raises(inspectkit.UsageError, match="did you mean tiny_2024"):
        inspectkit.load_framework("tiny_2042", registry)
    with pytest.raises(inspectkit.UsageError, match="unknown edition"):
        inspectkit.rate(registry, "tiny_2042", [])


def test_usage_error_a_missing_case_file(registry: inspectkit.Registry, tmp_path: Path) -> None:
    with pytest.raises(inspectkit.UsageError, match="no such file"):
        inspectkit.assess_file(tmp_path / "nope.yaml", registry)
    with pytest.raises(inspectkit.UsageError, match="no such file"):
        inspectkit.rate(registry, EDITION, [tmp_path / "nope"])


def test_input_error_carries_file_line_and_question(registry: inspectkit.Registry, tmp_path: Path) -> None:
    bad = tmp_path / "case.yaml"
    bad.write_text("schema: 1\nedition: tiny_2024\nanswers:\n  risk: [low\n", encoding="utf-8")
    with pytest.raises(inspectkit.InputError) as info:
        inspectkit.assess_file(bad, registry)
    err = info.value
    assert err.file == str(bad) and err.line is not None and err.line >= 4
    assert err.question is None  # the file cannot be read far enough to know the question
    assert str(err).startswith(f"{bad}:{err.line}: not valid YAML")
    located = inspectkit.InputError("not a rating", hint="one of good, poor")
    located.location = type(err.location)("inspection.yaml", 7, "1.1")
    assert (located.file, located.line, located.question) == ("inspection.yaml", 7, "1.1")
    assert str(located) == "inspection.yaml:7: 1.1: not a rating (one of good, poor)"


def test_input_error_an_inspection_file_that_is_not_a_mapping(registry: inspectkit.Registry, tmp_path: Path) -> None:
    bad = tmp_path / "inspection.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(inspectkit.InputError, match="an inspection file is a mapping"):
        inspectkit.rate(registry, EDITION, [], inspection=bad)


def test_definition_error_names_file_line_and_item(registry: inspectkit.Registry, tmp_path: Path) -> None:
    bad = tmp_path / "framework.yaml"
    bad.write_text(
        "schema: 1\nedition: broken_2024\ntitle: Broken\nversion: '1'\nitems:\n"
        "  - {id: Q1, kind: evidence, text: A question, type: yes_no}\n"
        "  - {id: Q2, kind: evidence, text: Another, type: yes_no, condition: 'Q9 == \"yes\"'}\n",
        encoding="utf-8",
    )
    with pytest.raises(inspectkit.DefinitionError) as info:
        inspectkit.load_framework(bad, registry)
    assert isinstance(info.value, DefinitionErrors)
    first = info.value.errors[0]
    assert first.file == str(bad) and first.line == 7 and first.question == "Q2"
    assert "Q9" in str(info.value)


def test_definition_error_a_definition_that_is_not_yaml(registry: inspectkit.Registry, tmp_path: Path) -> None:
    bad = tmp_path / "framework.yaml"
    bad.write_text("edition: [broken\n", encoding="utf-8")
    with pytest.raises(inspectkit.DefinitionError, match="not valid YAML"):
        inspectkit.load_framework(bad, registry)


def test_plugin_error_in_strict_mode(tiny_module: Any) -> None:
    class Broken:
        @inspectkit.hookimpl
        def register_frameworks(self, register: Any) -> None:
            raise RuntimeError("the data folder is missing")

    with pytest.raises(inspectkit.PluginError, match="'broken' failed: raised while registering: RuntimeError"):
        inspectkit.load_registry(plugins=[("broken", Broken())], entry_points=False, strict=True)
    registry = inspectkit.load_registry(plugins=[("broken", Broken()), ("tiny", tiny_module)], entry_points=False, strict=False)
    assert [f.name for f in registry.failures()] == ["broken"]
    assert registry.editions() == [EDITION]


def test_inspectkit_error_catches_them_all(registry: inspectkit.Registry) -> None:
    for call in (
        lambda: inspectkit.load_framework("/nope.yaml"),
        lambda: registry.framework("nope"),
        lambda: inspectkit.assess_file("/nope.json", registry),
    ):
        with pytest.raises(inspectkit.InspectkitError):
            call()


# ------------------------------------------------------------------------------------ argument checking


def test_wrong_argument_types_are_type_errors_that_say_what_was_expected(
    registry: inspectkit.Registry, framework: inspectkit.Framework
) -> None:
    cases = [
        (lambda: inspectkit.assess(42, {}), "framework must be a Framework"),  # type: ignore[arg-type]
        (lambda: inspectkit.assess("tiny_2024", {}), "framework must be a Framework"),  # type: ignore[arg-type]
        (lambda: inspectkit.assess(framework, None), "case must be a mapping"),  # type: ignore[arg-type]
        (lambda: inspectkit.assess(framework, ["C1"]), "case must be a mapping"),  # type: ignore[arg-type]
        (lambda: inspectkit.load_framework(3), "edition_or_path must be"),  # type: ignore[arg-type]
        (lambda: inspectkit.load_framework("tiny_2024", registry="x"), "registry must be a Registry"),  # type: ignore[arg-type]
        (lambda: inspectkit.rate(registry, EDITION, "cases/"), "wrap a single path in a list"),
        (lambda: inspectkit.rate(registry, EDITION, [42]), "each case must be a mapping or a path"),  # type: ignore[list-item]
        (lambda: inspectkit.rate("registry", EDITION, []), "registry must be a Registry"),  # type: ignore[arg-type]
        (lambda: inspectkit.rate(registry, 2024, []), "edition must be"),  # type: ignore[arg-type]
        (lambda: inspectkit.assess_file(None), "path must be a path"),  # type: ignore[arg-type]
        (lambda: inspectkit.load_registry(plugins="tiny"), "plugins must be"),
        (lambda: registry.framework(None), "edition must be"),  # type: ignore[arg-type]
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=re.escape(message)):
            call()


BAD_VALUES: list[Any] = [None, 0, "", "nope", "/nope.yaml", b"x", [], {}, [None], {"answers": 5}, Path("/nope"), object()]


def test_public_functions_raise_only_inspectkit_errors_or_type_errors(
    registry: inspectkit.Registry, framework: inspectkit.Framework
) -> None:
    calls = {
        "assess": lambda v: inspectkit.assess(framework, v),
        "assess(framework)": lambda v: inspectkit.assess(v, {}),
        "assess_file": lambda v: inspectkit.assess_file(v, registry),
        "load_framework": lambda v: inspectkit.load_framework(v, registry),
        "rate(cases)": lambda v: inspectkit.rate(registry, EDITION, v),
        "rate(edition)": lambda v: inspectkit.rate(registry, v, []),
        "rate(inspection)": lambda v: inspectkit.rate(registry, EDITION, [], inspection=v),
        "registry.framework": lambda v: registry.framework(v),
        "to_plain": lambda v: inspectkit.to_plain(v),
    }
    for name, call in calls.items():
        for value in BAD_VALUES:
            try:
                call(value)
            except (inspectkit.InspectkitError, TypeError):
                pass
            except Exception as exc:
                raise AssertionError(f"{name}({value!r}) raised {type(exc).__name__}: {exc}") from exc


def test_a_case_with_bad_content_is_reported_in_the_result_not_raised(framework: inspectkit.Framework) -> None:
    result = inspectkit.assess(framework, {"case_id": "C1", "answers": {"no_such": "yes"}})
    assert not result.ok and any(e.question == "no_such" for e in result.errors)


# ---------------------------------------------------------------------------------------------- the docs


def test_public_functions_document_args_returns_raises_and_an_example() -> None:
    for name in ("load_registry", "load_framework", "assess", "assess_file", "rate"):
        doc = getattr(inspectkit, name).__doc__ or ""
        for section in ("Args:", "Returns:", "Raises:", "Example:"):
            assert section in doc, f"inspectkit.{name} has no {section} section"
    assert "Example:" in (inspectkit.to_plain.__doc__ or "")


def test_the_api_reference_page_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_api_reference.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    for name in ("load_framework", "UsageError", "InputError", "DefinitionError", "PluginError", "Registry.framework"):
        assert name in page
