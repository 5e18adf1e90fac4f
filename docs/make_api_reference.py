"""Write docs/api.md, the Python API reference, from the docstrings of the names ``inspectkit`` exports.

    python docs/make_api_reference.py           # rewrite docs/api.md
    python docs/make_api_reference.py --check   # exit 1 if docs/api.md is not what the docstrings say

tests/test_api.py runs the check, so the page never drifts from the code.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "api.md"

FUNCTIONS = ["load_registry", "load_framework", "assess", "assess_file", "rate", "to_plain"]
# the methods an embedding program uses; the rest of these classes is for the CLI and the core
CLASSES: dict[str, list[str]] = {
    "Registry": ["editions", "framework", "engine", "failures"],
    "Framework": ["questions", "case_questions", "inspection_questions", "roots", "descendants"],
    "CaseResult": ["ok"],
    "RatingReport": [],
}
ERRORS = ["InspectkitError", "UsageError", "InputError", "DefinitionError", "PluginError"]

INTRO = """\
# The Python API

Generated from the docstrings by `python docs/make_api_reference.py`; do not edit by hand
(`tests/test_api.py` fails when this page and the code disagree).

```python
import inspectkit

registry = inspectkit.load_registry()
framework = registry.framework("my_edition")
result = inspectkit.assess(framework, {"case_id": "C1", "answers": {"Q1": "yes"}})
```

Everything `inspectkit` exports is typed (the package ships `py.typed`; `mypy --strict` checks calls
to it). The public functions check their arguments: a wrong type is a `TypeError`; everything else they
raise is an `InspectkitError`, one of the classes under [Errors](#errors). Problems inside a case are not
raised: they are in the result's `errors` and `warnings`.

Names: {names}.
"""


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "").strip()


def _block(doc: str) -> str:
    """A docstring as Markdown: sections (``Args:`` ...) as bold labels with a list, examples and ``::`` blocks as code."""
    out: list[str] = []
    code = False  # inside a fenced block (an example, or the indented text after "::")
    for line in doc.splitlines():
        stripped = line.strip()
        if code and stripped and not line.startswith("    "):
            while out[-1] == "":
                out.pop()
            out += ["```", ""]
            code = False
        if code:
            if stripped or not out[-1].startswith("```"):
                out.append(line[4:])
        elif stripped in ("Args:", "Returns:", "Raises:", "Example:"):
            out += ["", f"**{stripped[:-1]}**", ""] if out and out[-1] != "" else [f"**{stripped[:-1]}**", ""]
            if stripped == "Example:":
                out.append("```python")
                code = True
        elif line.startswith("        ") and out:  # an entry's continuation line
            out[-1] += " " + stripped
        elif line.startswith("    "):
            out.append(f"- {stripped}")
        elif stripped.endswith("::"):
            out += [line[:-1], "", "```text"]
            code = True
        else:
            out.append(line)
    while code and out and out[-1] == "":
        out.pop()
    if code:
        out.append("```")
    return "\n".join(out).strip() + "\n"


def _signature(name: str, obj: Any) -> str:
    try:
        return f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return name


def render() -> str:
    import inspectkit

    parts = [INTRO.replace("{names}", ", ".join(f"`{n}`" for n in sorted(inspectkit.__all__)))]
    parts.append("## Functions\n")
    for name in FUNCTIONS:
        fn = getattr(inspectkit, name)
        parts.append(f"### `inspectkit.{_signature(name, fn)}`\n\n{_block(_doc(fn))}")
    parts.append("## Classes\n")
    for name, members in CLASSES.items():
        cls = getattr(inspectkit, name)
        parts.append(f"### `inspectkit.{name}`\n\n{_block(_doc(cls))}")
        for member in members:
            attr = inspect.getattr_static(cls, member)
            if isinstance(attr, property):
                parts.append(f"#### `{name}.{member}` (property)\n\n{_block(_doc(attr) or '(undocumented)')}")
            else:
                fn = getattr(cls, member)
                parts.append(f"#### `{name}.{_signature(member, fn)}`\n\n{_block(_doc(fn) or '(undocumented)')}")
    parts.append("## Errors\n")
    from inspectkit import errors

    parts.append(_block(_doc(errors)))
    for name in ERRORS:
        cls = getattr(inspectkit, name)
        base = cls.__mro__[1].__name__
        parts.append(f"### `inspectkit.{name}({base})`\n\n{_block(_doc(cls))}")
    return "\n".join(p.rstrip() + "\n" for p in parts)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date: run python docs/make_api_reference.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
