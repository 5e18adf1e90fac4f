"""A new edition plugin from nothing: ``inspectkit new-plugin NAME [DIR]``.

The skeleton is a complete, installable plugin: a pyproject with the entry point *and* the package data
(without which a built wheel ships no definition), a framework definition with one worked example of each
part of the format, golden cases and the test that checks them. Installed editable or from its wheel, it
appears in ``inspectkit frameworks`` and its tests pass unchanged; a methodology team then replaces the
made-up questions with its document's own.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from inspectkit.errors import Location, UsageError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# template in inspectkit/skeleton -> where it goes in the new plugin
_FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "__init__.py.tmpl": "src/{package}/__init__.py",
    "framework.yaml.tmpl": "src/{package}/framework.yaml",
    "test_golden.py.tmpl": "tests/test_golden.py",
    "golden_case.yaml.tmpl": "tests/golden/licence_high_risk_not_analysed.yaml",
    "golden_rate.yaml.tmpl": "tests/golden/rate_two_cases.yaml",
}


def plugin_names(edition: str) -> dict[str, str]:
    """The names a plugin for ``edition`` goes by: its package, its distribution and its title."""
    return {
        "edition": edition,
        "package": f"inspectkit_{edition}",
        "dist": "inspectkit-" + edition.replace("_", "-"),
        "title": edition.replace("_", " ").capitalize(),
    }


def new_plugin(edition: str, directory: Path | None = None, title: str | None = None) -> list[Path]:
    """Write a plugin skeleton for ``edition`` into ``directory`` (default ``./EDITION``); the files written.

    Refuses an edition name that is not lower case letters, digits and underscores, and a directory that
    already holds anything, so nothing a team has written is ever overwritten.
    """
    if not NAME_PATTERN.match(edition):
        raise UsageError(
            f"{edition!r} is not an edition name",
            hint="use lower case letters, digits and underscores, starting with a letter, e.g. youth_justice_2025",
        )
    names = plugin_names(edition)
    if title:
        names["title"] = title
    target = Path(directory) if directory is not None else Path(edition)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError("already exists and is not an empty folder; choose another", Location(str(target)))
    skeleton = resources.files("inspectkit") / "skeleton"
    written = []
    for template, dest in _FILES.items():
        text = skeleton.joinpath(template).read_text(encoding="utf-8")
        for key, value in names.items():
            text = text.replace(f"__{key.upper()}__", value)
        path = target / dest.format(**names)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
