"""Errors a user can act on: each names where the problem is and, where possible, the fix.

One hierarchy, exported from ``inspectkit``; the public functions raise only these (and ``TypeError``
for an argument of the wrong type)::

    InspectkitError          anything inspectkit reports: .message, .location, .hint, .file, .line, .question
    ├── UsageError           used wrongly: unknown edition, missing file, bad option (exit code 2)
    ├── InputError           a case or inspection file is malformed or holds a wrong value (exit code 1)
    ├── DefinitionError      a framework definition (a plugin's data) is wrong
    │   ├── DefinitionErrors every problem found in one definition (.errors)
    │   └── ExpressionError  a condition or rule that does not parse or type-check
    └── PluginError          a plugin failed to load or register (raised in strict mode)

Nothing here is ever shown as a traceback: the CLI prints ``str(error)`` and exits with the
contract's code (1 for bad input, 2 for a command used wrongly).
"""

from __future__ import annotations

from collections.abc import Iterable

from inspectkit.records import record


@record
class Location:
    """Where a problem is: a file, a line in it (YAML only), an item id."""

    file: str | None = None
    line: int | None = None
    item: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.file and self.line:
            where += f":{self.line}"
        if self.item:
            where = f"{where}: {self.item}" if where else self.item
        return where


class InspectkitError(Exception):
    """Base class: a message for a person, with where it happened.

    ``str(error)`` is the whole message (``file:line: question: message (hint)``); the parts are
    attributes: ``message``, ``location`` (``file``, ``line``, ``question`` are shortcuts to it) and
    ``hint`` (the fix or the near miss, or None). ``exit_code`` is what the command-line tool exits with.
    """

    exit_code = 1

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location or Location()
        self.hint = hint

    @property
    def file(self) -> str | None:
        """The file the problem is in, if it is in one."""
        return self.location.file

    @property
    def line(self) -> int | None:
        """The line in that file (YAML files), if known."""
        return self.location.line

    @property
    def question(self) -> str | None:
        """The question, item or rule id the problem is about, if any."""
        return self.location.item

    def __str__(self) -> str:
        where = str(self.location)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class UsageError(InspectkitError):
    """The command itself was used wrongly: unknown edition, missing file, bad option."""

    exit_code = 2


class InputError(InspectkitError):
    """A case or inspection file is malformed or holds a wrong value.

    ``file``, ``line`` and ``question`` say where, as far as they are known.
    """


class DefinitionError(InspectkitError):
    """A framework definition (a plugin's data) is wrong: for methodology teams."""


class DefinitionErrors(DefinitionError):
    """Every problem found while checking one framework definition (``errors``, each a DefinitionError)."""

    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        first = errors[0].location if errors else None
        super().__init__(f"{len(errors)} problem(s) in the framework definition", first)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class ExpressionError(DefinitionError):
    """A condition or rule could not be parsed or does not type-check."""

    def __init__(self, message: str, position: int | None = None, text: str | None = None):
        super().__init__(message)
        self.position = position
        self.text = text

    def __str__(self) -> str:
        if self.text is not None and self.position is not None:
            return f"{self.message} at column {self.position + 1} of {self.text!r}"
        return self.message


class PluginError(InspectkitError):
    """A plugin failed to load or to register (raised only in strict mode; else see ``Registry.failures()``)."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a mistyped id or code, if one is close enough.

    Ids under the same parent are preferred (``A1.7`` suggests ``A1.6`` before ``P1.7``).
    """
    import difflib  # only when a suggestion is needed: keeps start-up light

    pool = [str(c) for c in candidates]
    if "." in word:
        parent = word.rsplit(".", 1)[0] + "."
        siblings = [c for c in pool if c.startswith(parent)]
        close = difflib.get_close_matches(word, siblings, n=1, cutoff=0.5)
        if close:
            return close[0]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in pool}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)]
    return close[0] if close else None


def suggestion(word: str, candidates: Iterable[str]) -> str | None:
    near = did_you_mean(word, candidates)
    return f"did you mean {near}?" if near else None
