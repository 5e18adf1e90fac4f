"""Reading and writing files safely: size limits, safe YAML, line numbers, atomic writes."""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from inspectkit.errors import DefinitionError, InputError, Location, UsageError

try:  # the C loader is several times faster; fall back quietly where libyaml is absent
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class FastLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loading through libyaml, refusing a key given twice (a question answered twice)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
        if len(keys) != len(set(keys)):
            seen: set[str] = set()
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {k.value!r}: it is given twice; keep one", k.start_mark
                        )
                    seen.add(k.value)
        return super().construct_mapping(node, deep)


FastLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node, deep=True),
)

try:  # orjson parses JSON three to four times faster than the standard library: it carries big JSON Lines files
    from orjson import JSONDecodeError as _JSONDecodeError
    from orjson import loads as _json_loads
except ImportError:  # pragma: no cover - a platform without an orjson wheel still works, more slowly
    _json_loads = json.loads  # type: ignore[assignment]
    _JSONDecodeError = json.JSONDecodeError  # type: ignore[misc,assignment]

#: Largest YAML or JSON document read whole (bytes); JSON Lines files are streamed, one line at a time.
MAX_DOCUMENT_BYTES = int(os.environ.get("INSPECTKIT_MAX_FILE_BYTES", 16 * 1024 * 1024))
#: Largest single line of a JSON Lines file.
MAX_LINE_BYTES = int(os.environ.get("INSPECTKIT_MAX_LINE_BYTES", 4 * 1024 * 1024))

CASE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")
#: Deepest nesting of lists and mappings in a document.
MAX_DEPTH = int(os.environ.get("INSPECTKIT_MAX_DEPTH", 100))


class LineDict(dict):
    """A mapping from a YAML file that remembers the line of each key (1-based)."""

    __slots__ = ("line", "lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int | None:
        return self.lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """Safe loading that records line numbers; used for definitions and for locating errors."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError as exc:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from exc
            if key in result:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = key_node.start_mark.line + 1
        return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node, deep=True),
)


def _yaml_error(path: Path, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    return InputError(message, Location(str(path), line), hint="check the indentation and quoting on that line")


def check_size(path: Path, limit: int | None = None) -> None:
    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        raise InputError(
            f"file is {size:,} bytes, over the limit of {limit:,} bytes for one document",
            Location(str(path)),
            hint="split it, use JSON Lines for many cases, or raise INSPECTKIT_MAX_FILE_BYTES",
        )


def read_text(path: Path, limit: int | None = None) -> str:
    if not path.exists():
        raise UsageError("no such file", Location(str(path)))
    if path.is_dir():
        raise UsageError("is a folder, not a file", Location(str(path)))
    check_size(path, limit)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", Location(str(path))) from exc


def load_yaml_lines(path: Path, text: str | None = None) -> Any:
    """Load YAML safely, keeping line numbers on every mapping."""
    text = read_text(path) if text is None else text
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from exc


def load_document(path: Path) -> Any:
    """Load one YAML or JSON document fast (C loader for YAML, safe only)."""
    text = read_text(path)
    if not text.strip():
        raise InputError("file is empty", Location(str(path)), hint="a case file holds schema, edition, case_id and answers")
    try:
        if path.suffix.lower() == ".json":
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", Location(str(path), exc.lineno)) from exc
        try:
            return yaml.load(text, Loader=FastLoader)  # noqa: S506 - a SafeLoader
        except yaml.YAMLError as exc:
            raise _yaml_error(path, exc) from exc
    except RecursionError as exc:
        raise InputError("nested too deeply to be a case file", Location(str(path))) from exc


def parse_json_line(raw: bytes, location: Location) -> Any:
    """One line of a JSON Lines file: the document, or an InputError saying what is wrong with it."""
    try:
        return _json_loads(raw)
    except RecursionError:
        return InputError("nested too deeply to be a case", location)
    except (_JSONDecodeError, json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        return InputError(f"not valid JSON: {getattr(exc, 'msg', None) or exc}", location)


def iter_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (line number, document) from a JSON Lines file, one line in memory at a time.

    A bad line is yielded as an InputError so the caller can report it and carry on.
    """
    if not path.exists():
        raise UsageError("no such file", Location(str(path)))
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if len(raw) > MAX_LINE_BYTES:
                yield number, line_too_long(path, number, len(raw))
            elif raw.strip():
                yield number, parse_json_line(raw, Location(str(path), number))


def line_too_long(path: Path, number: int, size: int) -> InputError:
    return InputError(f"line is {size:,} bytes, over the limit of {MAX_LINE_BYTES:,}", Location(str(path), number))


def yaml_line_of(path: Path, keys: tuple[Any, ...]) -> int | None:
    """The line of a nested key in a YAML file (re-read with line numbers: used only for error messages)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return None
    try:
        node = load_yaml_lines(path)
    except Exception:  # noqa: BLE001 - only a nicety for an error message
        return None
    line = None
    for key in keys:
        if not isinstance(node, LineDict):
            break
        if key not in node:
            # YAML may have read an id like 1.1 as a number
            match = [k for k in node if str(k) == str(key)]
            if not match:
                break
            key = match[0]
        line = node.line_of(key)
        node = node[key]
    return line


def atomic_write(path: Path, text: str | bytes, durable: bool = True, new_mode: int | None = None) -> None:
    """Write a file so that a reader sees the old content or the new, never half of either.

    A file replaced keeps its permissions (a new one is private unless ``new_mode`` says otherwise), and a
    symlinked path is written through to its target.
    ``durable`` also flushes it to disk before it replaces the old one (what a user typed or a report);
    a cache can skip that.
    """
    import tempfile

    path = Path(os.path.realpath(path))  # through a symlink: the link stays a link, its target gets the text
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = path.stat().st_mode & 0o7777  # a file replaced keeps its permissions
    except FileNotFoundError:
        mode = new_mode
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as fh:
            fh.write(text)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[Any]:
    """A text file to stream into, put in place of ``path`` only when the block ends without an error.

    The streaming twin of :func:`atomic_write`, for outputs too big to hold in memory (``export``).
    """
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def user_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the user's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def iter_case_paths(paths: list[Path]) -> Iterator[Path]:
    """Files named, and case files inside folders named (sorted, recursively)."""
    for p in paths:
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() and child.suffix.lower() in CASE_SUFFIXES and not child.name.startswith("."):
                    yield child
        else:
            yield p


MERGED_KEYS = ("items", "scales", "checks", "sample", "reference")
_ORIGIN = "__file__"


def _definition_error(errors: list[DefinitionError]) -> Exception:
    from inspectkit.errors import DefinitionErrors

    return DefinitionErrors(errors)


# --------------------------------------------------------------------------------------------- definitions


def read_raw(path: Path) -> LineDict:
    """The definition as data with line numbers, its ``include:`` files merged in.

    Parsed YAML is cached as signed plain data (see ``inspectkit.cache``), keyed on the files' paths, sizes
    and times, so start-up does not re-parse a large definition every time.
    """
    from inspectkit import cache

    path = Path(path)
    name = str(path.resolve())
    stored = cache.load("definition", name)
    if stored is not None:
        try:
            data = tree_from_plain(stored)
        except ValueError:
            data = None
        if isinstance(data, LineDict):
            return data
    data, deps = _read_uncached(path)
    try:
        plain = tree_to_plain(data)
    except cache.NotCacheable:
        return data
    cache.store("definition", name, deps, plain)
    return data


# A parsed definition as plain JSON data: a mapping is {"m": [[key, value, key line], ...], "l": its line},
# a list a list, a scalar itself. Keys may be what YAML makes of a key (text, a number, true/false, null).
_SCALARS = (str, bool, int, float, type(None))
_MAX_CACHED_INT = 2**53


def tree_to_plain(value: Any, depth: int = 0) -> Any:
    """A definition tree as plain data, or NotCacheable if it holds something JSON cannot carry exactly."""
    from inspectkit.cache import NotCacheable

    if depth > MAX_DEPTH:
        raise NotCacheable("nested too deeply")
    if isinstance(value, dict):
        lines = value.lines if isinstance(value, LineDict) else {}
        pairs = [[_plain_scalar(k), tree_to_plain(v, depth + 1), lines.get(k)] for k, v in value.items()]
        return {"m": pairs, "l": value.line if isinstance(value, LineDict) else None}
    if isinstance(value, list):
        return [tree_to_plain(v, depth + 1) for v in value]
    return _plain_scalar(value)


def _plain_scalar(value: Any) -> Any:
    from inspectkit.cache import NotCacheable

    if type(value) in (str, bool, type(None)):
        return value
    if type(value) is int and -_MAX_CACHED_INT < value < _MAX_CACHED_INT:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    raise NotCacheable(f"{type(value).__name__} values are not cached")


def tree_from_plain(value: Any, depth: int = 0) -> Any:
    """The definition tree back from plain data, checking its shape at every step (ValueError if wrong)."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, dict):
        pairs, line = value.get("m"), value.get("l")
        if len(value) != 2 or not isinstance(pairs, list) or not _is_line(line):
            raise ValueError("not a cached mapping")
        result = LineDict()
        result.line = line
        for pair in pairs:
            if not (isinstance(pair, list) and len(pair) == 3 and isinstance(pair[0], _SCALARS) and _is_line(pair[2])):
                raise ValueError("not a cached mapping entry")
            key = pair[0]
            if key in result:
                raise ValueError("a key given twice")
            result[key] = tree_from_plain(pair[1], depth + 1)
            if pair[2] is not None:
                result.lines[key] = pair[2]
        return result
    if isinstance(value, list):
        return [tree_from_plain(v, depth + 1) for v in value]
    if isinstance(value, _SCALARS):
        return value
    raise ValueError("not plain data")


def _is_line(value: Any) -> bool:
    return value is None or (type(value) is int and value > 0)


def _read_uncached(path: Path) -> tuple[LineDict, list[Path]]:
    data = load_yaml_lines(path)
    if not isinstance(data, LineDict):
        raise _definition_error(
            [DefinitionError("a framework definition is a mapping (schema, edition, items ...)", Location(str(path), 1))]
        )
    _tag(data, str(path))
    deps = [path]
    includes = data.get("include") or []
    if isinstance(includes, str):
        includes = [includes]
    for name in includes:
        sub_path = (path.parent / str(name)).resolve()
        if not sub_path.exists():
            raise _definition_error(
                [DefinitionError(f"included file {name!r} not found", Location(str(path), data.line_of("include")))]
            )
        sub = load_yaml_lines(sub_path)
        deps.append(sub_path)
        if not isinstance(sub, LineDict):
            raise _definition_error([DefinitionError("an included file is a mapping", Location(str(sub_path), 1))])
        _tag(sub, str(sub_path))
        for key, value in sub.items():
            if key not in MERGED_KEYS:
                raise _definition_error(
                    [
                        DefinitionError(
                            f"an included file may hold only {', '.join(MERGED_KEYS)}, not {key!r}",
                            Location(str(sub_path), sub.line_of(key)),
                        )
                    ]
                )
            if key == "scales":
                merged = data.setdefault("scales", LineDict())
                if isinstance(merged, dict) and isinstance(value, dict):
                    merged.update(value)
                    if isinstance(merged, LineDict):
                        merged.lines.update(value.lines if isinstance(value, LineDict) else {})
            else:
                existing = data.get(key) or []
                data[key] = list(existing) + list(value or [])
    return data, deps


def _tag(data: Any, origin: str) -> None:
    """Remember which file each entry came from (for error locations after includes are merged)."""
    for key in MERGED_KEYS:
        value = data.get(key)
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, LineDict):
                    entry[_ORIGIN] = origin
        elif isinstance(value, LineDict):
            for entry in value.values():
                if isinstance(entry, LineDict):
                    entry[_ORIGIN] = origin
    for key in ("scoring",):
        value = data.get(key)
        if isinstance(value, LineDict):
            value[_ORIGIN] = origin
