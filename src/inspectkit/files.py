"""Reading and writing files safely: size limits, safe YAML, line numbers, atomic writes."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from inspectkit.errors import DefinitionError, InspectkitError, Location
from inspectkit.loading import (  # noqa: F401 - the loading layer's names, where callers have found them
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_LINE_BYTES,
    MISSING_FIELD,
    LineDict,
    line_at,
    line_finder,
    line_too_long,
    load_document,
    load_yaml,
    raw_lines,
    read_bytes,
    scan_yaml_mapping,
)
from inspectkit.loading import decode as _decode

CASE_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl")


def read_text(path: Path, limit: int | None = None) -> str:
    """A regular file's UTF-8 text, within the size limit (counted while reading)."""
    return _decode(read_bytes(Path(path), limit), Path(path))


def load_yaml_lines(path: Path, text: str | None = None) -> Any:
    """A YAML file as data with line numbers on every mapping, through the one safe loader."""
    path = Path(path)
    text = read_text(path) if text is None else text
    return load_yaml(text, str(path))


def parse_json_line(raw: bytes, location: Location) -> Any:
    """One line of a JSON Lines file: the document, or an InputError saying what is wrong with it."""
    from inspectkit.loading import load_json_line

    return load_json_line(raw, location)


def iter_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (line number, document) from a JSON Lines file, a block of lines in memory at a time.

    A bad line is yielded as an InputError so the caller can report it and carry on.
    """
    from inspectkit.loading import json_lines

    return json_lines(Path(path))


def yaml_line_of(path: Path, keys: tuple[Any, ...]) -> int | None:
    """The line of a nested key in a YAML file (reads the file again: prefer ``line_finder`` on a loaded one)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return None
    try:
        return line_at(load_document(path), keys)
    except InspectkitError:
        return None


def atomic_write(path: Path, text: str | bytes, durable: bool = True, new_mode: int | None = None) -> None:
    """Write a whole file through :func:`atomic_writer`: a reader sees the old content or the new, never half."""
    with atomic_writer(path, binary=isinstance(text, bytes), durable=durable, new_mode=new_mode, newline=None) as fh:
        fh.write(text)


_ON_WINDOWS = os.name == "nt"


@contextlib.contextmanager
def atomic_writer(
    path: Path, binary: bool = False, durable: bool = True, new_mode: int | None = None, newline: str | None = ""
) -> Iterator[Any]:
    """The one way inspectkit writes a file: stream into it, and it is put in place only when the block ends
    without an error, so a reader sees the old content or the new, never half of either.

    - A symlinked path is written through to its target: the link stays a link.
    - A file replaced keeps its permissions (and owner, where allowed); a new file gets the mode ``open()``
      would give it (the umask), or ``new_mode``.
    - A file with other hard links is written in place once the new text is complete, so every name still
      shows the same file (replacing it would leave the other names holding the old text).
    - ``durable`` flushes the text to disk before it replaces the old (what a user typed, a report); a cache
      can skip that.
    """
    import tempfile

    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        old: os.stat_result | None = target.stat()
    except FileNotFoundError:
        old = None
    mode = old.st_mode & 0o7777 if old is not None else (user_file_mode() if new_mode is None else new_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if old is not None and hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.fchown(fd, old.st_uid, old.st_gid)
            except PermissionError:  # only the owner's own group, or root, may: the mode is still kept
                pass
        if hasattr(os, "fchmod"):  # POSIX; elsewhere the new file keeps the default
            os.fchmod(fd, mode)
        with os.fdopen(
            fd, "wb" if binary else "w", encoding=None if binary else "utf-8", newline=None if binary else newline
        ) as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        _put_in_place(Path(tmp), target, old, durable)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _put_in_place(tmp: Path, target: Path, old: os.stat_result | None, durable: bool) -> None:
    import shutil
    import stat

    if old is not None and old.st_nlink > 1 and stat.S_ISREG(old.st_mode):
        with tmp.open("rb") as src, target.open("r+b") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.truncate()
            if durable:
                dst.flush()
                os.fsync(dst.fileno())
        tmp.unlink()
        return
    try:
        os.replace(tmp, target)
    except PermissionError as exc:
        if _ON_WINDOWS:  # a file open in another program (Excel, an editor) cannot be replaced there
            raise PermissionError(exc.errno, "it is open in another program (close it there and try again)", str(target)) from exc
        raise


def refuse_overwriting_inputs(outputs: Iterable[Path | None], inputs: Iterable[Path | None]) -> None:
    """An output file must not be one of the inputs, by any name (a path, a symlink, a hard link)."""
    from inspectkit.errors import UsageError

    written = {}
    for out in outputs:
        if out is None:
            continue
        try:
            st = os.stat(out)
        except OSError:
            continue  # not there yet: it cannot be an input
        written[(st.st_dev, st.st_ino)] = out
    if not written:
        return
    for path in iter_case_paths([Path(p) for p in inputs if p is not None]):
        try:
            st = os.stat(path)
        except OSError:
            continue
        out = written.get((st.st_dev, st.st_ino))
        if out is not None:
            raise UsageError(
                f"is one of the inputs ({path}): writing there would replace what is being read",
                Location(str(out)),
                hint="give another file name for the output",
            )


def user_file_mode() -> int:
    """The mode ``open()`` would give a new file: 0o666 less the user's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: What an inspection file is called inside a folder of cases: read as the inspection, never as a case.
INSPECTION_NAMES = ("inspection.yaml", "inspection.yml", "inspection.json")


def iter_case_paths(paths: list[Path]) -> Iterator[Path]:
    """Files named, and case files inside folders named (sorted, recursively; never an inspection file)."""
    for p in paths:
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if (
                    child.is_file()
                    and child.suffix.lower() in CASE_SUFFIXES
                    and not child.name.startswith(".")
                    and child.name.lower() not in INSPECTION_NAMES
                ):
                    yield child
        else:
            yield p


def is_inspection_file(path: Path) -> bool:
    """A file named like an inspection file, or a YAML/JSON file with ``kind: inspection`` near its top."""
    if path.name.lower() in INSPECTION_NAMES:
        return True
    if path.suffix.lower() not in (".yaml", ".yml", ".json") or not path.is_file():
        return False
    import re

    try:
        with path.open("rb") as fh:
            head = fh.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return re.search(r"""(?m)^\s*["']?kind["']?\s*:\s*["']?inspection\b""", head) is not None


def inspection_files(paths: Iterable[Path]) -> list[Path]:
    """The inspection files among ``rate``'s inputs: named ones, and each folder's own (at any depth)."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(c for c in sorted(p.rglob("*")) if c.is_file() and c.name.lower() in INSPECTION_NAMES)
        elif is_inspection_file(p):
            found.append(p)
    return found


MERGED_KEYS = ("items", "scales", "checks", "sample", "reference")
_ORIGIN = "__file__"


def _definition_error(errors: list[DefinitionError]) -> Exception:
    from inspectkit.errors import DefinitionErrors

    return DefinitionErrors(errors)


# --------------------------------------------------------------------------------------------- definitions


HEADER_KEYS = ("edition", "title", "version", "evidence_for", "date")
_SCANNED_KEYS = frozenset({"edition", "title", "version", "evidence_for", "source", "include"})
_parsed: dict[str, tuple[LineDict, list[Path]]] = {}  # definitions this process read whole for their headers
_scanned_ids: dict[str, list[str]] = {}  # item ids of definitions this process scanned (their own file's only)


def read_header(path: Path) -> dict[str, Any]:
    """What the registry lists about a definition without building it: edition, title, version, evidence_for
    and the source's date.

    Only those keys are built from the definition's own file (the rest is parsed, not built), and its included
    files are checked to exist but not read, so a start-up that lists the editions, or builds only one, reads
    little of the others. Kept in the cache as a small entry of its own.
    """
    from inspectkit import cache

    path = Path(path)
    name = os.path.abspath(path)  # a key (resolving symlinks would cost a system call per folder on the way)
    stored = cache.load("definition-header", name)
    if (
        isinstance(stored, dict)
        and set(stored) == {*HEADER_KEYS, "ids"}
        and all(stored[k] is None or isinstance(stored[k], str) for k in HEADER_KEYS)
        and (stored["ids"] is None or (isinstance(stored["ids"], list) and all(isinstance(i, str) for i in stored["ids"])))
    ):
        if stored["ids"] is not None:
            _scanned_ids[name] = stored["ids"]
        return {k: stored[k] for k in HEADER_KEYS}
    text = read_text(path)
    scanned = scan_yaml_mapping(text, str(path), _SCANNED_KEYS, "items", "id", _header_complete(text))
    if scanned is None:  # not plainly a mapping: read whole, which says what is wrong (if anything)
        raw, deps = _read_uncached(path)
        _parsed[name] = (raw, deps)
        values: dict[str, Any] = raw
        ids = _ids_of(raw)
    else:
        values, lines, fields = scanned
        includes = _include_paths(path, values.get("include"), Location(str(path), lines.get("include")))
        deps = [path, *includes]
        ids = None if includes or fields is None else [str(None if f is MISSING_FIELD else f) for f in fields]
    source = values.get("source") or {}
    evidence_for = values.get("evidence_for")
    header: dict[str, Any] = {
        "edition": str(values.get("edition") or ""),
        "title": str(values.get("title") or ""),
        "version": str(values.get("version") or ""),
        "evidence_for": str(evidence_for) if evidence_for is not None else None,
        "date": str(source.get("date") or "") if isinstance(source, dict) else "",
    }
    if ids is not None:
        _scanned_ids[name] = ids
    cache.store("definition-header", name, deps, {**header, "ids": ids})
    return header


def _header_complete(text: str) -> Any:
    """When a header scan may stop: every header key seen, and ``evidence_for`` and ``include`` too wherever the
    text holds anything that could be that key (the word at the start of a line, or after ``{`` or ``,``, and
    before a colon: prose that merely uses the word does not count). A key cannot be written without its
    letters except through an escape, so a text with ``\\x``, ``\\u`` or ``\\U`` escapes is read to its end.
    What is not read is read, and checked, when the edition is built."""
    if "\\x" in text or "\\u" in text or "\\U" in text:
        return None
    needed = {"edition", "title", "version", "source"}
    for optional in ("evidence_for", "include"):
        if _may_be_key(text, optional):
            needed.add(optional)
    return needed.issubset


def _may_be_key(text: str, word: str) -> bool:
    """Whether ``word`` appears anywhere as it would as a key: first on its line (after any indentation, ``?``
    or quote) or after ``{`` or ``,``, and followed (after any quote and spaces) by a colon or the line's end."""
    at = text.find(word)
    while at >= 0:
        before = text[text.rfind("\n", 0, at) + 1 : at].rstrip(" \t?'\"")
        if not before.strip() or before[-1] in "{,":
            after = text[at + len(word) : at + len(word) + 40].lstrip("'\"").lstrip(" \t")
            if not after or after[0] in ":\r\n":
                return True
        at = text.find(word, at + 1)
    return False


def read_ids(path: Path) -> list[str]:
    """The ids of a definition's items, its included files' too (for other editions' ``feeds``)."""
    from inspectkit import cache

    path = Path(path)
    name = os.path.abspath(path)
    if name not in _scanned_ids:
        read_header(path)
    if name in _scanned_ids:
        return _scanned_ids[name]
    stored = cache.load("definition-ids", name)
    if isinstance(stored, list) and all(isinstance(i, str) for i in stored):
        return stored
    text = read_text(path)
    scanned = scan_yaml_mapping(text, str(path), frozenset({"include"}), "items", "id")
    ids: list[str] | None = None
    if scanned is not None:
        values, lines, fields = scanned
        includes = _include_paths(path, values.get("include"), Location(str(path), lines.get("include")))
        deps = [path, *includes]
        ids = [str(None if f is MISSING_FIELD else f) for f in fields]
        for sub in includes:
            got = scan_yaml_mapping(read_text(sub), str(sub), frozenset(), "items", "id")
            if got is None:
                ids = None
                break
            ids += [str(None if f is MISSING_FIELD else f) for f in got[2]]
    if ids is None:  # read whole, which says what is wrong (if anything)
        raw, deps = _read_uncached(path)
        ids = _ids_of(raw)
    cache.store("definition-ids", name, deps, ids)
    return ids


def _ids_of(raw: LineDict) -> list[str]:
    return [str(i.get("id")) for i in raw.get("items") or [] if isinstance(i, dict)]


def read_raw(path: Path) -> LineDict:
    """The definition as data with line numbers, its ``include:`` files merged in.

    Parsed YAML is cached as signed plain data (see ``inspectkit.cache``), keyed on the files' paths, sizes
    and times, so start-up does not re-parse a large definition every time.
    """
    from inspectkit import cache

    path = Path(path)
    name = str(path.resolve())
    just_read = _parsed.pop(name, None)  # read for its header by this process a moment ago: not read twice
    if just_read is None:
        stored = cache.load("definition", name)
        if stored is not None:
            try:
                data = tree_from_plain(stored)
            except ValueError:
                data = None
            if isinstance(data, LineDict):
                return data
    data, deps = just_read or _read_uncached(path)
    try:
        plain = tree_to_plain(data)
    except cache.NotCacheable:
        return data
    cache.store("definition", name, deps, plain)
    return data


def read_definition(path: Path) -> tuple[LineDict, list[Path]]:
    """The definition as data with line numbers, its ``include:`` files merged in, read from the files (not the
    cache), and the files it was read from: what a framework is built from, and then cached as built."""
    path = Path(path)
    just_read = _parsed.pop(os.path.abspath(path), None)  # read whole for its header by this process a moment ago
    return just_read or _read_uncached(path)


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
    for sub_path in _include_paths(path, data.get("include"), Location(str(path), data.line_of("include"))):
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
            wanted = dict if key == "scales" else list
            if value is not None and not isinstance(value, wanted):
                what = "a mapping of name -> choices" if key == "scales" else "a list"
                raise _definition_error(
                    [DefinitionError(f"{key} in an included file must be {what}", Location(str(sub_path), sub.line_of(key)))]
                )
            if key == "scales":
                merged = data.setdefault("scales", LineDict())
                if isinstance(merged, dict) and isinstance(value, dict):
                    merged.update(value)
                    if isinstance(merged, LineDict):
                        merged.lines.update(value.lines if isinstance(value, LineDict) else {})
            else:
                existing = data.get(key) or []
                if not isinstance(existing, list):
                    raise _definition_error(
                        [
                            DefinitionError(
                                f"{key} must be a list, to merge the included file's", Location(str(path), data.line_of(key))
                            )
                        ]
                    )
                data[key] = existing + (value or [])
    return data, deps


def _include_paths(path: Path, includes: Any, at_include: Location) -> list[Path]:
    """The files a definition includes, each checked to exist and to be included once."""
    includes = includes or []
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(n, str) for n in includes):
        raise _definition_error([DefinitionError("include must be a list of file names", at_include)])
    found: list[Path] = []
    seen = {path.resolve()}
    for name in includes:
        try:
            sub_path = (path.parent / name).resolve()
            present = sub_path.is_file()
        except (OSError, ValueError):  # a name too long, or holding a NUL, names no file
            sub_path, present = path.parent / "?", False
        if not present:
            raise _definition_error([DefinitionError(f"included file {name[:200]!r} not found", at_include)])
        if sub_path in seen:
            raise _definition_error(
                [DefinitionError(f"included file {name!r} is included already (or is this file)", at_include)]
            )
        seen.add(sub_path)
        found.append(sub_path)
    return found


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
