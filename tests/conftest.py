"""Fixtures for the core's tests: a tiny edition of their own, never what happens to be installed."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

import inspectkit
import inspectkit.api  # binds the real load_registry before any test replaces the one the CLI uses
import inspectkit.cli
import inspectkit.plugins

TINY_DIR = Path(__file__).parent / "tiny"
EDITION = "tiny_2024"


def _load_tiny_module() -> Any:
    name = "inspectkit_tests_tiny_plugin"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TINY_DIR / "plugin.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


TINY = _load_tiny_module()
_REAL_LOAD_REGISTRY = inspectkit.plugins.load_registry


@pytest.fixture(scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def _state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, _cache_dir: Path, _state_dir: Path) -> None:
    """Every test: the suite's own definition cache and signing key (never the user's), no allowlist or
    strictness from outside."""
    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(_cache_dir))
    monkeypatch.setenv("XDG_STATE_HOME", str(_state_dir))
    monkeypatch.delenv("INSPECTKIT_NO_CACHE", raising=False)
    monkeypatch.delenv("INSPECTKIT_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("INSPECTKIT_STRICT_PLUGINS", raising=False)


@pytest.fixture
def tiny_module() -> Any:
    return TINY


@pytest.fixture
def registry() -> inspectkit.Registry:
    """A fresh registry holding only the tiny edition."""
    return inspectkit.load_registry(plugins=[("tiny", TINY)], entry_points=False)


class OneFramework:
    """Just enough of a registry for one framework loaded from a file: rate reads frameworks and engines from it."""

    def __init__(self, framework: Any):
        from inspectkit.engine import Engine

        self._fw = framework
        self._engine = Engine(framework)
        self.entries = {framework.edition: framework}

    def framework(self, edition: str) -> Any:
        return self._fw

    def engine(self, edition: str) -> Any:
        return self._engine

    def instruments_for(self, edition: str) -> list[str]:
        return [edition]


@pytest.fixture
def registry_of() -> Callable[[Any], OneFramework]:
    """``registry_of(framework)``: a registry holding only that framework (a definition a test wrote)."""
    return OneFramework


@pytest.fixture
def framework(registry: inspectkit.Registry) -> inspectkit.Framework:
    return registry.framework(EDITION)


@pytest.fixture
def engine(registry: inspectkit.Registry) -> Any:
    return registry.engine(EDITION)


def good_answers(**changes: Any) -> dict[str, Any]:
    """A complete, valid community case with nothing to warn about."""
    answers: dict[str, Any] = {
        "sentence_type": "community",
        "risk": "low",
        "start_date": "2024-01-08",
        "case_ended": "no",
        "order_months": 6,
        "age": 30,
        "needs": ["drugs"],
        "offence": "theft",
        "summary_text": "Steady progress",
        "contact": {"community": "weekly"},
        "2.1.1": "yes",
        "2.1.1.a": "yes",
        "2.1.1.b": "yes",
        "2.1.1.d": "no",
        "2.2.a.1": "yes",
        "2.2.a.2": "yes",
    }
    for key, value in changes.items():
        answers[key.replace("__", ".")] = value
    return answers


def case(case_id: str = "C1", answers: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": 1,
        "edition": EDITION,
        "case_id": case_id,
        "answers": good_answers() if answers is None else answers,
    }
    doc.update(extra)
    return doc


@pytest.fixture
def make_case() -> Callable[..., dict[str, Any]]:
    return case


@pytest.fixture
def answers() -> Callable[..., dict[str, Any]]:
    return good_answers


INSPECTION = {
    "schema": 1,
    "kind": "inspection",
    "edition": EDITION,
    "inspection_id": "T-1",
    "answers": {"provider": "nps", "1.1": "good"},
}


@pytest.fixture
def inspection() -> dict[str, Any]:
    return json.loads(json.dumps(INSPECTION))


def write_file(path: Path, data: Any) -> Path:
    """Write text as is, or data as YAML, JSON or JSON Lines (a list of cases) by the file's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        text = data
    elif path.suffix == ".json":
        text = json.dumps(data)
    elif path.suffix == ".jsonl":
        text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in data)
    else:
        text = yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, Any], Path]:
    """``write("case.yaml", data)``: a file in the test's tmp folder."""
    return lambda name, data: write_file(tmp_path / name, data)


class Cli:
    """Runs ``inspectkit`` as a user would, with the tiny plugin as the only one installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, plugins: list[tuple[str, Any]]):
        self.plugins = plugins
        self.registry: Any = None  # set to use this registry as it is

        def load_registry(plugins: Any = (), entry_points: bool = True, strict: bool | None = None) -> Any:
            if self.registry is not None:
                return self.registry
            return _REAL_LOAD_REGISTRY(list(plugins) or list(self.plugins), entry_points=False, strict=strict)

        # cli.py imports load_registry from inspectkit.plugins when it first needs the registry
        monkeypatch.setattr(inspectkit.plugins, "load_registry", load_registry)

    def __call__(self, *args: Any, input: str | None = None) -> Result:
        result = CliRunner().invoke(inspectkit.cli.main, [str(a) for a in args], input=input, catch_exceptions=True)
        assert "Traceback" not in result.output, result.output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"the command raised {result.exception!r}:\n{result.output}") from result.exception
        return result

    def json(self, *args: Any) -> tuple[Result, Any]:
        result = self(*args)
        return result, json.loads(result.stdout)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(monkeypatch, [("tiny", TINY)])
