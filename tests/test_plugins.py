"""Plugins: discovery through entry points, a broken plugin reported by name while the rest keep working."""

from __future__ import annotations

import importlib.metadata
import types
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import inspectkit
from inspectkit.cli import main
from inspectkit.errors import DefinitionErrors, UsageError
from inspectkit.plugins import PluginError

TINY_NAME = "inspectkit_tests_tiny_plugin"  # the module name conftest gives the tiny plugin
EDITION = "tiny_2024"


def entry_point(name: str, value: str) -> importlib.metadata.EntryPoint:
    return importlib.metadata.EntryPoint(name=name, value=value, group="inspectkit")


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``installed(("name", "module"), ...)``: pretend these are the installed plugins' entry points."""

    def install(*pairs: tuple[str, str]) -> None:
        eps = [entry_point(name, value) for name, value in pairs]

        def entry_points(**params: Any) -> list[importlib.metadata.EntryPoint]:
            return [ep for ep in eps if ep.group == params.get("group", ep.group)]

        import sys

        # the module plugins.py imports from (a test that re-imports importlib.metadata leaves the package's
        # attribute pointing at another copy)
        monkeypatch.setattr(sys.modules["importlib.metadata"], "entry_points", entry_points)

    return install


def plugin(**hooks: Any) -> types.ModuleType:
    """A plugin module made of these hook implementations."""
    module = types.ModuleType("fake_plugin")
    for name, fn in hooks.items():
        setattr(module, name, inspectkit.hookimpl(fn))
    return module


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output or "--debug" in args, result.output
    return result


# ------------------------------------------------------------------------------------------ discovery


def test_entry_points_are_discovered(installed: Any) -> None:
    installed(("tiny", TINY_NAME))
    registry = inspectkit.load_registry()
    assert registry.editions() == [EDITION]
    assert registry.failures() == []
    assert registry.framework(EDITION).plugin == "tiny"


def test_a_plugin_that_fails_on_import_is_reported_by_name(installed: Any) -> None:
    installed(("broken", "inspectkit_tests_no_such_module"), ("tiny", TINY_NAME))
    registry = inspectkit.load_registry()
    (failure,) = registry.failures()
    assert failure.name == "broken"
    assert "failed on import: ModuleNotFoundError" in failure.error
    assert "Traceback" in failure.detail  # kept for --debug
    assert registry.engine(EDITION).assess({"case_id": "X"}).ok  # the other edition still works


def test_the_cli_warns_about_a_broken_plugin_and_carries_on(installed: Any) -> None:
    installed(("broken", "inspectkit_tests_no_such_module"), ("tiny", TINY_NAME))
    result = run("frameworks", "--format", "json")
    assert result.exit_code == 0
    assert "warning: plugin 'broken' failed on import: ModuleNotFoundError" in result.stderr
    assert '"edition": "tiny_2024"' in result.stdout
    assert '"plugin": "broken"' in result.stdout  # failed_plugins


def test_debug_shows_the_broken_plugins_traceback(installed: Any) -> None:
    installed(("broken", "inspectkit_tests_no_such_module"), ("tiny", TINY_NAME))
    result = run("--debug", "frameworks", "--format", "json")
    assert "Traceback" in result.stderr and "inspectkit_tests_no_such_module" in result.stderr


def test_strict_mode_raises(installed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(("broken", "inspectkit_tests_no_such_module"), ("tiny", TINY_NAME))
    with pytest.raises(PluginError, match="plugin 'broken' failed"):
        inspectkit.load_registry(strict=True)
    monkeypatch.setenv("INSPECTKIT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError):
        inspectkit.load_registry()
    assert inspectkit.load_registry(strict=False).editions() == [EDITION]


def test_strict_plugins_option_fails_the_command(installed: Any) -> None:
    installed(("broken", "inspectkit_tests_no_such_module"), ("tiny", TINY_NAME))
    result = run("--strict-plugins", "frameworks")
    assert result.exit_code == 1
    assert "plugin 'broken' failed" in result.stderr


def test_an_allowlist_loads_only_the_named_plugins(installed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(("broken", "inspectkit_tests_no_such_module"), ("tiny", TINY_NAME))
    monkeypatch.setenv("INSPECTKIT_LOAD_PLUGINS", "tiny")
    registry = inspectkit.load_registry(strict=True)
    assert registry.editions() == [EDITION] and registry.failures() == []
    monkeypatch.setenv("INSPECTKIT_LOAD_PLUGINS", " broken , other ")
    assert inspectkit.load_registry().editions() == []
    monkeypatch.setenv("INSPECTKIT_LOAD_PLUGINS", "")
    registry = inspectkit.load_registry()
    assert registry.editions() == [] and registry.failures() == []


def test_an_empty_allowlist_leaves_no_editions_for_the_cli(installed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    installed(("tiny", TINY_NAME))
    monkeypatch.setenv("INSPECTKIT_LOAD_PLUGINS", "")
    result = run("frameworks", "--format", "table")
    assert result.exit_code == 0 and "No editions installed" in result.stdout
    result = run("questions", "-e", EDITION)
    assert result.exit_code == 2 and "unknown edition 'tiny_2024'" in result.stderr


# ------------------------------------------------------------------------------------------ registering


def test_a_hook_that_raises_while_registering(tiny_module: Any) -> None:
    def register_frameworks(register: Any) -> None:
        raise RuntimeError("boom")

    registry = inspectkit.load_registry(
        plugins=[("bad", plugin(register_frameworks=register_frameworks)), ("tiny", tiny_module)], entry_points=False
    )
    (failure,) = registry.failures()
    assert failure.name == "bad"
    assert failure.error == "raised while registering: RuntimeError: boom"
    assert registry.editions() == [EDITION]


def test_a_hook_that_raises_in_strict_mode(tiny_module: Any) -> None:
    def register_functions(register: Any) -> None:
        raise RuntimeError("boom")

    with pytest.raises(PluginError, match="plugin 'bad' failed: raised while registering: RuntimeError: boom"):
        inspectkit.load_registry(
            plugins=[("bad", plugin(register_functions=register_functions))], entry_points=False, strict=True
        )


def test_a_hook_with_the_wrong_signature_is_reported(tiny_module: Any) -> None:
    def register_frameworks(register: Any, extra: Any) -> None:
        pass

    registry = inspectkit.load_registry(
        plugins=[("odd", plugin(register_frameworks=register_frameworks)), ("tiny", tiny_module)], entry_points=False
    )
    (failure,) = registry.failures()
    assert failure.name == "odd" and "could not be registered" in failure.error
    assert registry.editions() == [EDITION]


def test_two_plugins_registering_the_same_edition(tiny_module: Any) -> None:
    def register_frameworks(register: Any) -> None:
        register(Path(tiny_module.__file__).parent / "framework.yaml")

    registry = inspectkit.load_registry(
        plugins=[("tiny", tiny_module), ("copy", plugin(register_frameworks=register_frameworks))], entry_points=False
    )
    # neither is used: which one an inspector got would depend on the order plugins happen to load in
    path = Path(tiny_module.__file__).parent / "framework.yaml"
    message = f"edition 'tiny_2024' is registered by more than one plugin ('copy' and 'tiny': {path}, {path}); uninstall one"
    assert {(f.name, f.error) for f in registry.failures()} == {("tiny", message), ("copy", message)}
    with pytest.raises(UsageError, match="registered by more than one plugin \\('copy' and 'tiny'\\): uninstall one"):
        registry.framework(EDITION)


def test_a_plugin_that_takes_over_an_edition_is_named_in_either_order(tiny_module: Any) -> None:
    def register_frameworks(register: Any) -> None:
        register(Path(tiny_module.__file__).parent / "framework.yaml")

    impostor = plugin(register_frameworks=register_frameworks)
    for order in ([("impostor", impostor), ("tiny", tiny_module)], [("tiny", tiny_module), ("impostor", impostor)]):
        registry = inspectkit.load_registry(plugins=order, entry_points=False)
        assert {f.name for f in registry.failures()} == {"impostor", "tiny"}
        assert EDITION not in registry.entries
    with pytest.raises(PluginError, match="'impostor' and 'tiny'"):
        inspectkit.load_registry(plugins=[("impostor", impostor), ("tiny", tiny_module)], entry_points=False, strict=True)


def test_a_registered_definition_that_does_not_exist(tiny_module: Any, tmp_path: Path) -> None:
    def register_frameworks(register: Any) -> None:
        register(tmp_path / "missing.yaml")

    registry = inspectkit.load_registry(
        plugins=[("gone", plugin(register_frameworks=register_frameworks)), ("tiny", tiny_module)], entry_points=False
    )
    (failure,) = registry.failures()
    assert failure.name == "gone" and "missing.yaml" in failure.error
    assert registry.editions() == [EDITION]


def test_a_definition_with_errors_fails_only_its_own_edition(tiny_module: Any, tmp_path: Path) -> None:
    path = tmp_path / "framework.yaml"
    path.write_text(
        "schema: 1\nedition: faulty_2024\nitems:\n  - {id: a, kind: case_detail, type: yes_no, condition: 'b'}\n",
        encoding="utf-8",
    )

    def register_frameworks(register: Any) -> None:
        register(path)

    registry = inspectkit.load_registry(
        plugins=[("faulty", plugin(register_frameworks=register_frameworks)), ("tiny", tiny_module)], entry_points=False
    )
    assert sorted(registry.editions()) == ["faulty_2024", EDITION]
    with pytest.raises(DefinitionErrors, match="unknown question id 'b'"):
        registry.framework("faulty_2024")
    assert registry.framework(EDITION).edition == EDITION


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        (("bad_fn", print), {"params": ["str"], "returns": "bool"}, "unknown parameter type 'str'"),
        (("bad_fn", "not callable"), {"params": [], "returns": "bool"}, "not callable"),
        (("is_long", len), {"params": ["number"], "returns": "bool"}, "already registered by plugin 'tiny'"),
        (("bad_fn", len), {"params": "number", "returns": "bool"}, "params is a list of types"),
        (("bad_fn", len), {"params": ["number"], "returns": "str"}, "unknown return type 'str'"),
        (("bad fn", len), {"params": ["number"], "returns": "bool"}, "a function's name is a word"),
        (("bad_fn", len), {"params": ["number"], "returns": "bool", "docs": "x"}, "unknown option(s) docs"),
        (("answered", len), {"params": ["any"], "returns": "bool"}, "already registered by inspectkit"),
    ],
)
def test_a_bad_function_is_reported(tiny_module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], words: str) -> None:
    def register_functions(register: Any) -> None:
        register(*args, **kwargs)

    registry = inspectkit.load_registry(
        plugins=[("tiny", tiny_module), ("fns", plugin(register_functions=register_functions))], entry_points=False
    )
    if words.endswith("by inspectkit"):
        registry.functions  # noqa: B018 - a clash with a built-in function is found when functions are collected
    (failure,) = registry.failures()  # reported as the plugin registers it, not only when a rule first needs it
    assert failure.name == "fns" and words in failure.error, failure.error


def test_a_plugin_function_is_usable_in_rules(registry: Any) -> None:
    fn = registry.functions["is_long"]
    assert fn.plugin == "tiny" and fn.params == ("number",) and fn.returns == "bool"


def test_a_reference_list_is_shared(registry: Any) -> None:
    offences = registry.lists["tiny_offences"]
    assert offences.plugin == "tiny"
    assert offences.groups["arson"] == "violent"


def test_an_unknown_edition_names_the_near_miss_and_broken_plugins(tiny_module: Any) -> None:
    def register_frameworks(register: Any) -> None:
        raise RuntimeError("boom")

    registry = inspectkit.load_registry(
        plugins=[("tiny", tiny_module), ("bad", plugin(register_frameworks=register_frameworks))], entry_points=False
    )
    with pytest.raises(UsageError) as info:
        registry.framework("tiny_2023")
    assert "unknown edition 'tiny_2023'; did you mean tiny_2024?" in str(info.value)
    assert "plugins that failed to load: bad" in str(info.value)
    assert info.value.exit_code == 2


def test_importing_inspectkit_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, inspectkit; print(','.join(m for m in ('yaml', 'click', 'attrs', 'inspectkit.engine') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"`import inspectkit` imports {out}"


# ------------------------------------------------------------------------------------------ the testing kit


def test_check_golden_passes_a_matching_case(registry: Any, make_case: Any) -> None:
    from inspectkit.testing import check_golden

    golden = {
        "case": make_case(),
        "expect": {
            "in_sample": True,
            "status": {"2.1.1.c": "not_applicable", "risk_band": "derived"},
            "values": {"risk": "low"},
            "judgements": {"2.1.1": "yes", "2.2.a": "met"},
            "errors": [],
            "warnings": [],
        },
    }
    assert check_golden(registry, golden) == []


def test_check_golden_reports_every_difference(registry: Any, make_case: Any) -> None:
    from inspectkit.testing import check_golden

    golden = {"case": make_case(), "expect": {"in_sample": False, "status": {"risk": "missing"}, "errors": ["risk"]}}
    problems = check_golden(registry, golden)
    assert len(problems) == 3
    assert any("in_sample is True" in p for p in problems)
    assert any("risk: status answered, expected missing" in p for p in problems)


def test_every_hook_is_documented() -> None:
    """A plugin author learns the hooks from their docstrings: each says what register takes, and since when."""
    import inspect

    from inspectkit import hookspecs

    hooks = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_")]
    assert {h.__name__ for h in hooks} == {
        "register_frameworks",
        "register_functions",
        "register_reference_lists",
        "register_crosswalks",
    }
    for hook in hooks:
        doc = inspect.getdoc(hook) or ""
        assert ":param register:" in doc and "versionadded" in doc, hook.__name__


def test_the_installed_plugins_are_listed_without_importlib_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command that has not loaded importlib.metadata finds the same plugins by reading sys.path itself."""
    import sys

    from inspectkit import plugins

    asked = plugins._ask_importlib()
    assert {name for name, *_ in asked} >= {"carag_2019", "standards_2020"}

    def not_asked() -> Any:
        raise AssertionError("importlib.metadata asked")

    monkeypatch.delitem(sys.modules, "importlib.metadata")
    monkeypatch.setattr(plugins, "_ask_importlib", not_asked)
    assert plugins.installed_entry_points() == asked
    assert "importlib.metadata" not in sys.modules


def _dist(folder: Path, name: str, metadata: str, entry_points: str | None, kind: str = "dist-info") -> None:
    info = folder / f"{name}.{kind}"
    info.mkdir(parents=True)
    (info / ("METADATA" if kind == "dist-info" else "PKG-INFO")).write_text(metadata, encoding="utf-8")
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")


def test_reading_sys_path_finds_what_importlib_metadata_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names normalised as importlib.metadata does, the first folder's copy of a distribution winning, egg-info
    folders too, other groups and comments ignored, name and version from the metadata."""
    import sys

    from inspectkit import plugins

    first, second = tmp_path / "first", tmp_path / "second"
    _dist(
        first,
        "my_Edition.plugin-1.2",
        "Metadata-Version: 2.1\nName: My-Edition.Plugin\nVersion: 1.2\n\nName: not this\n",
        "# made by hand\n[console_scripts]\nnot_this = x:y\n\n[inspectkit]\nmy_edition = my_edition_plugin\n",
    )
    _dist(first, "no_plugins-3.0", "Name: no-plugins\nVersion: 3.0\n", "[console_scripts]\nrun = no_plugins:main\n")
    _dist(
        first,
        "old_style-0.5",
        "Metadata-Version: 1.0\nName: old-style\nVersion: 0.5\n",
        "[inspectkit]\nold = old_style:plugin\n",
        "egg-info",
    )
    _dist(second, "my_edition_plugin-9.9", "Name: my-edition-plugin\nVersion: 9.9\n", "[inspectkit]\nshadowed = elsewhere\n")
    _dist(second, "other-0.1", "Name: other\nVersion: 0.1\n", "[inspectkit]\nother_a = other.a\nother_b = other.b:plugin\n")
    (second / "not_a_dist").mkdir()
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])
    asked = plugins._ask_importlib()
    assert sorted(asked) == [
        ("my_edition", "my_edition_plugin", "My-Edition.Plugin", "1.2"),
        ("old", "old_style:plugin", "old-style", "0.5"),
        ("other_a", "other.a", "other", "0.1"),
        ("other_b", "other.b:plugin", "other", "0.1"),
    ]
    monkeypatch.delitem(sys.modules, "importlib.metadata")
    assert plugins.installed_entry_points() == asked


# ------------------------------------------------------------------------------------------ containment


@pytest.fixture
def module_that(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``module_that("code")``: an importable plugin module whose import runs this code."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(code: str) -> str:
        name = f"inspectkit_tests_plugin_{len(made)}_{abs(hash(str(tmp_path))) % 10**8}"
        (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
        made.append(name)
        return name

    yield make
    import sys

    for name in made:
        sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("import sys\nsys.exit(0)\n", "failed on import: it called sys.exit(0)"),
        ("raise SystemExit('bye')\n", "failed on import: it called sys.exit('bye')"),
        ("class Odd(BaseException): pass\nraise Odd('odd')\n", "failed on import: Odd: odd"),
    ],
)
def test_a_plugin_that_exits_on_import_is_reported_and_the_rest_work(
    installed: Any, module_that: Any, code: str, words: str
) -> None:
    installed(("exits", module_that(code)), ("tiny", TINY_NAME))
    result = run("frameworks", "--format", "json")
    assert result.exit_code == 0
    assert f"warning: plugin 'exits' {words}" in result.stderr
    assert '"edition": "tiny_2024"' in result.stdout
    result = run("--strict-plugins", "frameworks", "--format", "json")
    assert result.exit_code == 1 and "plugin 'exits' failed" in result.stderr


def test_a_hook_that_calls_sys_exit_is_reported(tiny_module: Any) -> None:
    import sys

    def register_frameworks(register: Any) -> None:
        sys.exit(3)

    registry = inspectkit.load_registry(
        plugins=[("exits", plugin(register_frameworks=register_frameworks)), ("tiny", tiny_module)], entry_points=False
    )
    (failure,) = registry.failures()
    assert failure.name == "exits" and failure.error == "raised while registering: it called sys.exit(3)"
    assert registry.editions() == [EDITION]


def test_a_reference_list_that_is_not_a_file_is_reported(tiny_module: Any, tmp_path: Path) -> None:
    def register_reference_lists(register: Any) -> None:
        register(tmp_path / "missing.yaml")

    registry = inspectkit.load_registry(
        plugins=[("lists", plugin(register_reference_lists=register_reference_lists)), ("tiny", tiny_module)],
        entry_points=False,
    )
    (failure,) = registry.failures()
    assert failure.name == "lists" and "registered a reference list that is not a file" in failure.error


def test_the_function_types_a_plugin_may_use_are_the_rules_types() -> None:
    from inspectkit.expressions import TYPE_NAMES
    from inspectkit.plugins import PARAM_TYPES

    assert set(TYPE_NAMES) == PARAM_TYPES
