"""The reference docs hold: the condition language's examples run, and the hooks page matches the hookspecs."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from inspectkit import expressions, hookspecs
from inspectkit.engine import _Env

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _blocks(text: str, tag: str) -> list[str]:
    return re.findall(rf"^```{re.escape(tag)}\n(.*?)^```", text, flags=re.M | re.S)


CONDITIONS = (DOCS / "conditions.md").read_text(encoding="utf-8")
EXAMPLES = [
    tuple(part.strip() for part in line.split("=>"))
    for block in _blocks(CONDITIONS, "conditions")
    for line in block.splitlines()
    if line.strip()
]


def test_the_reference_has_an_example_of_every_operator_and_builtin_function() -> None:
    rules = " ".join(rule for rule, _ in EXAMPLES)
    for op in ("==", "!=", "<", "<=", ">", ">=", " in ", " not in ", " and ", " or ", "not ", "+", "-", "if ", "{"):
        assert op in rules, op
    for name in expressions.builtin_functions():
        assert f"{name}(" in rules, f"no example of {name}()"
        assert f"`{name}(" in CONDITIONS, f"{name}() is not in the functions table"


@pytest.mark.parametrize(("rule", "result"), EXAMPLES, ids=[rule for rule, _ in EXAMPLES])
def test_every_example_gives_the_result_it_shows(rule: str, result: str, registry: Any, engine: Any, framework: Any) -> None:
    (case_block,) = _blocks(CONDITIONS, "yaml example-case")
    answers = {str(k): v for k, v in yaml.safe_load(case_block).items()}
    answers = {k: ("yes" if v is True else "no" if v is False else v) for k, v in answers.items()}
    valid = {qid: engine.validators[qid](value) for qid, value in answers.items()}
    types = {q.id: q.answer.static_type(q.id) for q in framework.case_questions if q.answer is not None}

    class Scope:
        def type_of(self, qid: str) -> Any:
            return types.get(qid)

        def ids(self) -> Any:
            return types.keys()

    expr = expressions.build(rule, Scope(), registry.functions, registry.lists)
    got = expr(_Env(engine, valid))
    if result in ("true", "false", "unknown"):  # a condition: read as the rules read it (yes/no alone is "yes")
        got = expressions.truth(got)
    if got is expressions.UNKNOWN:
        shown = "unknown"
    elif got is True or got is False:
        shown = str(got).lower()
    elif isinstance(got, dt.date):
        shown = got.isoformat()
    else:
        shown = str(got)
    assert shown == result


def test_the_hooks_page_matches_the_hookspecs() -> None:
    page = (DOCS / "hooks.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^## `(\w+)\((.*?)\)`", page, flags=re.M))
    specs = {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if getattr(fn, "inspectkit_spec", None) is not None
    }
    assert set(documented) == set(specs)
    for name, fn in specs.items():
        params = ", ".join(inspect.signature(fn).parameters)
        assert documented[name] == params, f"{name}: the page says ({documented[name]}), the spec takes ({params})"
        assert fn.__doc__ and ":param" in fn.__doc__ and "versionadded" in fn.__doc__
