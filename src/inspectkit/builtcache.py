"""A built framework kept in the cache as plain data, so that start-up need not build it again.

Building an edition (checking every item and rule, parsing, type-checking and compiling its rules) takes
tens of milliseconds, more than anything else an inspector's command does once its modules are imported.
The built framework is written to the cache (``inspectkit.cache``: signed JSON, never pickle) as plain,
tagged lists and read back into the same objects, and only the rules' closures are compiled again, from
their checked trees, with the functions and reference lists installed now:

- ``["R", index]`` a value met many times (a type, a list of choices), written once in a list of its own,
  ``["O", class, field, ...]`` an object of one of the model's classes (a fixed list; nothing else is made),
  its fields in order up to the last that differs from its default,
  ``["E", text, tree, reads]`` a rule, ``["T", ...]`` a tuple, ``["L", ...]`` a list, ``["S", ...]`` a
  frozenset, ``["D", key, value, ...]`` a dict, ``["Q", numerator, denominator]`` a fraction; text, whole
  numbers, finite numbers, true/false and null stand for themselves.

An entry is used only while the definition's files are byte for byte what it was built from (a SHA-256 of
each, on top of the cache's own check of their sizes and times), under the same inspectkit version, plugin
and plugin version, with the same functions and reference lists registered. Anything unexpected in an
entry (a class not on the list, a wrong shape, a function no longer registered) makes it a miss: the
framework is built from its files and the entry written again.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping
from fractions import Fraction
from itertools import repeat
from pathlib import Path
from typing import Any

from inspectkit import expressions, model, records
from inspectkit.expressions import Expression, Function, ReferenceList, compile_expr

KIND = "framework"
_MAX_DEPTH = 200
_MAX_INT = 2**53

_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        model.Choice,
        model.Scale,
        model.Category,
        model.AnswerType,
        model.Overriding,
        model.Item,
        model.Check,
        model.SampleRule,
        model.CaseScore,
        model.AggregateItem,
        model.Count,
        model.Band,
        model.RatedItem,
        model.Overall,
        model.Ratings,
        model.Scoring,
        model.Reference,
        model.Matrix,
        model.Level,
        model.IdChange,
        model.Supersedes,
        model.Framework,
        expressions.Type,
        expressions.Literal,
        expressions.Ref,
        expressions.ListLit,
        expressions.Unary,
        expressions.BoolOp,
        expressions.Compare,
        expressions.Arith,
        expressions.Call,
        expressions.IfElse,
    )
}
# each class's fields, in order, and each one's default (_REQUIRED for none; a factory's value is made anew)
_REQUIRED = object()
_NAMES: dict[str, tuple[str, ...]] = {}
_DEFAULTS: dict[str, tuple[Any, ...]] = {}
# the fields past the first k, with how each is filled when an object is written without them
_TAILS: dict[str, list[Any]] = {}  # per class, per number of fields given: see _tail
_TWINS: dict[str, type] = {}
for _name, _cls in _CLASSES.items():
    _specs = records.fields(_cls)
    _NAMES[_name] = tuple(f for f, _ in _specs)
    _DEFAULTS[_name] = tuple(
        spec.factory() if spec.factory is not None else _REQUIRED if spec.default is records._NOTHING else spec.default
        for _, spec in _specs
    )
    _TAILS[_name] = [None] * (len(_specs) + 1)  # each worked out when first met (most never are)


class _Made:
    """The fields left out of a cached object where one is made anew by its factory, or has no default."""

    __slots__ = ("specs",)

    def __init__(self, specs: tuple[tuple[str, Any, Any], ...]) -> None:
        self.specs = specs


def _tail(name: str, given: int) -> tuple[Any, ...] | _Made:
    """How the fields past the first ``given`` are filled: their defaults (a tuple), or each one's spec."""
    specs = records.fields(_CLASSES[name])[given:]
    tail: tuple[Any, ...] | _Made
    if all(spec.factory is None and spec.default is not records._NOTHING for _, spec in specs):
        tail = tuple(spec.default for _, spec in specs)
    else:
        tail = _Made(tuple((f, spec.default, spec.factory) for f, spec in specs))
    _TAILS[name][given] = tail
    return tail


def _twin(name: str) -> type:
    """A class laid out as ``name``'s (the same bases and slots) without its frozen ``__setattr__``, so plain
    ``setattr`` fills an object's fields; the class itself where nothing refuses."""
    cls = _CLASSES[name]
    twin, plain_setattr = cls, object.__setattr__
    refuses: Any = cls.__setattr__
    if refuses is not plain_setattr:
        twin = type(cls.__name__, cls.__bases__, {"__slots__": cls.__dict__.get("__slots__", ())})
        refuses = twin.__setattr__
        if refuses is not plain_setattr:  # a frozen base class too: not read back
            raise ValueError(f"{name} cannot be read back")
    _TWINS[name] = twin
    return twin


_PRIMITIVES = frozenset({str, int, float, bool, type(None)})
# per class read back: (the class, its twin, its fields' names, its tails), made when first met
_LAYOUTS: dict[str, tuple[type, type, tuple[str, ...], list[Any]]] = {}


def _layout(name: str) -> tuple[type, type, tuple[str, ...], list[Any]]:
    layout = _LAYOUTS[name] = (_CLASSES[name], _TWINS.get(name) or _twin(name), _NAMES[name], _TAILS[name])
    return layout


class NotPlain(ValueError):
    """Something in the framework has no plain form here: it is simply not cached."""


# ------------------------------------------------------------------------------------------ to plain data


class _Writer:
    """Turns a framework into plain data; values met many times (types, lists of choices) are written once, in
    ``shared``, and referred to as ``["R", index]``."""

    def __init__(self) -> None:
        self.shared: list[Any] = []
        self.index: dict[Any, int] = {}

    def write(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise NotPlain("nested too deeply")
        cls = value.__class__
        if cls is str or cls is bool or value is None:
            return value
        if cls is int:
            if -_MAX_INT < value < _MAX_INT:
                return value
            raise NotPlain("a whole number too large for JSON")
        if cls is float:
            if math.isfinite(value):
                return value
            raise NotPlain("not a finite number")
        if cls is expressions.Type or (cls is tuple and value and value[0].__class__ is model.Choice):
            at = self.index.get(value)
            if at is None:
                plain = self._write(value, cls, depth)  # what it holds is shared first, so comes earlier
                at = self.index[value] = len(self.shared)
                self.shared.append(plain)
            return ["R", at]
        return self._write(value, cls, depth)

    def _write(self, value: Any, cls: type, depth: int) -> Any:
        write, d = self.write, depth + 1
        if cls is tuple:
            return ["T", *(write(v, d) for v in value)]
        if cls is list:
            return ["L", *(write(v, d) for v in value)]
        if cls is frozenset:
            return ["S", *sorted((write(v, d) for v in value), key=repr)]
        if cls is dict:
            out: list[Any] = ["D"]
            for k, v in value.items():
                out.append(write(k, d))
                out.append(write(v, d))
            return out
        if cls is Fraction:
            return ["Q", write(value.numerator), write(value.denominator)]
        if cls is Expression:
            return ["E", value.text, write(value.tree, d), sorted(value.reads)]
        name = cls.__name__
        if _CLASSES.get(name) is cls:  # its fields in order, up to the last that differs from its default
            values = [getattr(value, f) for f in _NAMES[name]]
            last = 0
            for i, (v, default) in enumerate(zip(values, _DEFAULTS[name], strict=True)):
                if default is _REQUIRED or v.__class__ is not default.__class__ or v != default:
                    last = i + 1
            return ["O", name, *(write(v, d) for v in values[:last])]
        raise NotPlain(f"{name} values are not cached")


def to_plain(framework: model.Framework) -> dict[str, Any]:
    """A framework as plain data (NotPlain if it holds something that has no plain form here)."""
    writer = _Writer()
    root = writer.write(framework)
    return {"shared": writer.shared, "root": root}


# ------------------------------------------------------------------------------------------ back


class _Reader:
    """Reads plain data back. Plain values (text, numbers, true/false, null) are taken as they are where they
    are met, without a call; each class's layout is looked up once per object (see ``_layout``)."""

    def __init__(self, functions: Mapping[str, Function], lists: Mapping[str, ReferenceList]):
        self.functions = functions
        self.lists = lists
        self.shared: list[Any] = []

    def read(self, value: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError("nested too deeply")
        prims = _PRIMITIVES
        if value.__class__ in prims:
            return value
        if value.__class__ is not list or not value or value[0].__class__ is not str:
            raise ValueError("not a cached value")
        tag, read, d = value[0], self.read, depth + 1
        if tag == "O":
            name = value[1]
            layout = _LAYOUTS.get(name) if name.__class__ is str else None
            if layout is None:
                if name.__class__ is not str or name not in _CLASSES:
                    raise ValueError("not a cached object")
                layout = _layout(name)
            cls, twin, names, tails = layout
            given = len(value) - 2
            if given > len(names):
                raise ValueError("not a cached object")
            values = [v if v.__class__ in prims else read(v, d) for v in value[2:]]
            tail = tails[given]
            if tail is None:
                tail = _tail(name, given)
            if tail.__class__ is tuple:  # every field left out has a plain default
                values += tail
            else:
                for f, default, factory in tail.specs:
                    if factory is not None:
                        default = factory()
                    elif default is records._NOTHING:
                        raise ValueError(f"a cached {name} without its {f}")
                    values.append(default)
            # filled as its __init__ would fill it, from the fields in order; a frozen class's object is filled as
            # its twin (the same slots, without the __setattr__ that refuses), by one loop in C, then given its class
            obj = object.__new__(twin)
            any(map(setattr, repeat(obj), names, values))
            if twin is not cls:
                obj.__class__ = cls
            return obj
        if tag == "R":
            if len(value) != 2 or value[1].__class__ is not int or not 0 <= value[1] < len(self.shared):
                raise ValueError("not a cached reference")
            return self.shared[value[1]]
        if tag == "T":
            if len(value) == 1:  # most tuples an item holds are empty
                return ()
            return tuple([v if v.__class__ in prims else read(v, d) for v in value[1:]])
        if tag == "L":
            return [v if v.__class__ in prims else read(v, d) for v in value[1:]]
        if tag == "S":
            return frozenset([v if v.__class__ in prims else read(v, d) for v in value[1:]])
        if tag == "D":
            if len(value) % 2 != 1:
                raise ValueError("not a cached mapping")
            return {
                k if k.__class__ in prims else read(k, d): v if v.__class__ in prims else read(v, d)
                for k, v in zip(value[1::2], value[2::2], strict=True)
            }
        if tag == "Q":
            if len(value) != 3 or value[1].__class__ is not int or value[2].__class__ is not int or value[2] <= 0:
                raise ValueError("not a cached fraction")
            return Fraction(value[1], value[2])
        if tag == "E":
            if len(value) != 4 or value[1].__class__ is not str or value[3].__class__ is not list:
                raise ValueError("not a cached rule")
            tree = read(value[2], d)
            if not isinstance(tree, expressions.Node) or not all(r.__class__ is str for r in value[3]):
                raise ValueError("not a cached rule")
            return Expression(value[1], tree, frozenset(value[3]), compile_expr(tree, self.functions, self.lists))
        raise ValueError(f"unknown tag {tag[:20]!r}")


def from_plain(data: Any, functions: Mapping[str, Function], lists: Mapping[str, ReferenceList]) -> model.Framework | None:
    """The framework back from plain data (its rules compiled again), or None if the data is not one."""
    import gc

    if not (isinstance(data, dict) and set(data) == {"shared", "root"} and isinstance(data["shared"], list)):
        return None
    reader = _Reader(functions, lists)
    collecting = gc.isenabled()
    gc.disable()  # thousands of new objects, none of them garbage: collecting while they are made only costs
    try:
        for value in data["shared"]:
            reader.shared.append(reader.read(value))
        framework = reader.read(data["root"])
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(framework, model.Framework) or not isinstance(framework.items, dict):
        return None
    if not all(isinstance(item, model.Item) and item.id == qid for qid, item in framework.items.items()):
        return None
    return framework


# ------------------------------------------------------------------------------------------ the cache entry


def _digests(paths: Iterable[Path]) -> list[list[str]]:
    out = []
    for p in paths:
        with open(p, "rb") as fh:
            out.append([str(p), hashlib.sha256(fh.read()).hexdigest()])
    return out


def _signature(
    functions: Mapping[str, Function], lists: Mapping[str, ReferenceList], list_files: list[Path] | None = None
) -> list[Any]:
    """What the rules were checked and compiled against: each function's types, and each reference list's
    entries (or, where the registry gives them, the files the lists are read from, by their digests: the
    lists are then read only if a rule needs them)."""
    fns = sorted([f.name, list(f.params), f.returns, f.plugin, f.raw] for f in functions.values())
    if list_files is not None:
        return [fns, sorted(_digests(Path(os.path.abspath(p)) for p in list_files))]
    refs = sorted([r.name, [list(e) for e in r.entries]] for r in lists.values())
    return [fns, refs]


def _name(path: Path, plugin: str, plugin_version: str) -> str:
    return f"{path}\0{plugin}\0{plugin_version}"


def load(
    path: Path,
    plugin: str,
    plugin_version: str,
    functions: Mapping[str, Function],
    lists: Mapping[str, ReferenceList],
    list_files: list[Path] | None = None,
) -> model.Framework | None:
    """The framework built from ``path`` before, if its files, functions and lists are unchanged; else None."""
    from inspectkit import cache

    stored = cache.load(KIND, _name(path, plugin, plugin_version))
    if not (isinstance(stored, dict) and set(stored) == {"files", "signature", "framework"}):
        return None
    files = stored["files"]
    if not (
        isinstance(files, list) and all(isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f) for f in files)
    ):
        return None
    try:
        if _digests(Path(f) for f, _ in files) != files:
            return None
    except OSError:
        return None
    try:
        if stored["signature"] != _signature(functions, lists, list_files):
            return None
    except OSError:
        return None
    return from_plain(stored["framework"], functions, lists)


def store(
    framework: model.Framework,
    files: list[Path],
    functions: Mapping[str, Function],
    lists: Mapping[str, ReferenceList],
    list_files: list[Path] | None = None,
) -> None:
    """Keep a framework just built from ``files`` (the definition and the files it includes)."""
    from inspectkit import cache

    try:
        plain = to_plain(framework)
        resolved = [p.resolve() for p in files]
        data = {"files": _digests(resolved), "signature": _signature(functions, lists, list_files), "framework": plain}
    except (NotPlain, OSError, RecursionError):
        return
    cache.store(KIND, _name(Path(framework.path or ""), framework.plugin, framework.plugin_version), resolved, data)
