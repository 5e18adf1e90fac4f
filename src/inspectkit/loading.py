"""Turning a document (a YAML or JSON file, a line of JSON Lines) into plain data, or an InputError naming
the file and line.

Every case and inspection file goes through here, once: whatever the file holds, the result is text,
whole numbers, finite numbers, true/false, nothing, lists and mappings with text keys, within the limits
below, or one clear error. In particular:

- YAML resolves only what the case format has: text, numbers, true/false (YAML 1.1's ``yes``/``no`` too)
  and null. A date stays text (its answer type checks it), as does anything YAML 1.1 would read as octal,
  hex or base 60 (``0123``, ``10:30``). Tags (``!!int``, ``!x``) and merge keys (``<<``) are refused.
  Aliases are allowed, but a document counts the nodes they stand for, so an alias bomb is refused at once.
- Numbers are limited in length; NaN and infinity are refused; so is text holding a lone surrogate.
- Nesting is limited in depth, documents in size (checked while reading), and only regular files are read
  (a FIFO would block, ``/dev/zero`` never end).
- A key given twice is an error in YAML, JSON and JSON Lines alike.
- A YAML mapping remembers the line of each of its keys, so any later message can name the line without
  reading the file again.

The limits can be changed with environment variables (see the README's "Input limits").
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import yaml

from inspectkit.errors import InputError, Location, UsageError


def _limit(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


#: Largest YAML or JSON document read whole (bytes); JSON Lines files are streamed, one line at a time.
MAX_DOCUMENT_BYTES = _limit("INSPECTKIT_MAX_FILE_BYTES", 16 * 1024 * 1024)
#: Largest single line of a JSON Lines file (bytes).
MAX_LINE_BYTES = _limit("INSPECTKIT_MAX_LINE_BYTES", 4 * 1024 * 1024)
#: Deepest nesting of lists and mappings.
MAX_DEPTH = _limit("INSPECTKIT_MAX_DEPTH", 64)
#: Most values in one document, counting each time an alias repeats what it stands for.
MAX_NODES = _limit("INSPECTKIT_MAX_NODES", 1_000_000)
#: Longest number, in characters.
MAX_NUMBER_CHARS = _limit("INSPECTKIT_MAX_NUMBER_DIGITS", 100)

_BIG = 10**MAX_NUMBER_CHARS

try:  # orjson parses JSON three to four times faster than the standard library: it carries big JSON Lines files
    from orjson import JSONDecodeError as _OrjsonError
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - a platform without an orjson wheel still works, more slowly
    _orjson_loads = None
    _OrjsonError = ValueError  # type: ignore[misc,assignment]

try:  # libyaml's parser: fast, and it refuses nesting past 1,000 levels itself
    from yaml.cyaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml.loader import SafeLoader as _Parser  # type: ignore[assignment]


# ------------------------------------------------------------------------------------------------ files


def open_regular(path: Path) -> IO[bytes]:
    """Open a file for reading if it is a regular file; a missing file or a folder is a usage error."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UsageError("no such file", Location(str(path))) from None
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", Location(str(path))) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", Location(str(path))) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UsageError("is a folder, not a file", Location(str(path)))
        if not stat.S_ISREG(mode):
            raise InputError(
                "is not a regular file (a pipe, device or socket): inspectkit reads only files",
                Location(str(path)),
                hint="save the data to a file first",
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """A regular file's bytes, refusing more than ``limit`` (counted while reading, whatever ``stat`` says)."""
    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    with open_regular(path) as fh:
        try:
            # a read of limit + 1 bytes would make a buffer that large for every file: the first read asks for a
            # byte more than the file says it holds, and only a file that gives it all (it has grown, or says 0
            # as /proc files do) is read on, larger each time, to its end or past the limit
            chunks = []
            total, want = 0, os.fstat(fh.fileno()).st_size + 1
            while total <= limit:
                ask = min(want, limit + 1 - total)
                chunk = fh.read(ask)
                chunks.append(chunk)
                total += len(chunk)
                if len(chunk) < ask:  # the end of the file
                    break
                want = max(total, 1 << 16)
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        except OSError as exc:
            raise InputError(f"cannot be read: {exc.strerror or exc}", Location(str(path))) from None
    if len(data) > limit:
        raise InputError(
            f"file is over the limit of {limit:,} bytes for one document",
            Location(str(path)),
            hint="split it, use JSON Lines for many cases, or raise INSPECTKIT_MAX_FILE_BYTES",
        )
    return data


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text (a byte-order mark is dropped)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_utf8(data, exc.start, str(path)) from None
    return text[1:] if text.startswith("\ufeff") else text


def guess_encoding(data: bytes) -> str:
    """What text that is not UTF-8 most likely is: UTF-16 (by its byte-order mark), Windows-1252 (what Excel
    and Notepad write on a Western Windows: curly quotes, dashes and the euro sign in 0x80-0x9F), else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1"
    return "cp1252"


_ENCODING_NAMES = {"utf-16": "UTF-16", "cp1252": "Windows-1252 (cp1252)", "latin-1": "Latin-1 (ISO-8859-1)"}


def not_utf8(data: bytes, start: int, source: str, line: int | None = None) -> InputError:
    """The error for text that is not UTF-8: where, what it looks like instead, and how to convert it."""
    encoding = guess_encoding(data)
    if line is None:
        line = data[:start].count(b"\n") + 1
    byte = data[start : start + 1]
    shown = ""
    if encoding != "utf-16" and byte:
        shown = f": {byte.decode(encoding, 'replace')!r} in {encoding}"
    return InputError(
        f"not UTF-8 text (byte {start}, 0x{byte.hex()}{shown}); it looks like {_ENCODING_NAMES[encoding]}",
        Location(source, line),
        hint=f"save it as UTF-8 from Excel or Notepad, or convert it: iconv -f {encoding.upper()} -t UTF-8 FILE > NEW_FILE",
    )


def raw_lines(path: Path, start: int = 0, end: int | None = None, first: int = 1) -> Iterator[tuple[int, bytes | InputError]]:
    """(line number, bytes) for each non-blank line of a file, or an InputError for a line over the limit.

    At most ``MAX_LINE_BYTES`` of a line is ever held in memory: the rest of a longer one is skipped.
    ``start`` and ``end`` read only the lines that begin in that byte range (``start`` the first byte of a
    line, numbered ``first``): how a worker reads its own share of a file.
    """
    with open_regular(path) as fh:
        if start:
            fh.seek(start)
        number, pos = first - 1, start
        while end is None or pos < end:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            number += 1
            pos += len(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                size = len(raw)
                while raw and not raw.endswith(b"\n"):
                    raw = fh.readline(1 << 20)
                    size += len(raw)
                pos += size - MAX_LINE_BYTES - 1
                yield number, line_too_long(path, number, size)
            elif raw.strip():
                yield number, raw


_BLOCK_BYTES = 1 << 20  # JSON Lines are read this much at a time, and cut into lines in one call


def _line_blocks(fh: IO[bytes], todo: int | None) -> Iterator[list[Any]]:
    """The lines from where ``fh`` stands, a block at a time. A line is its bytes with its newline (the file's
    last line may have none), or, when it is over ``MAX_LINE_BYTES`` (its newline not counted), its size in
    bytes (newline included: the bytes are not kept). ``todo``: only the lines that begin within that many
    bytes are read (the last of them to its end).

    A block is cut into lines by ``BytesIO.readlines``, which finds each newline with ``memchr`` and makes the
    lines in C: for lines of a few kilobytes, about a tenth of the instructions ``bytes.split`` takes, which
    looks at every byte in turn."""
    limit = MAX_LINE_BYTES
    carry = b""  # the start of a line that the next block goes on with
    over = 0  # the size so far of a line over the limit, whose bytes are dropped
    while True:
        if todo is None or todo > 0:
            block = fh.read(_BLOCK_BYTES if todo is None else min(_BLOCK_BYTES, todo))
            if todo is not None:
                todo -= len(block)
        elif carry or over:  # past the range: only the rest of the line begun in it
            block = fh.read(_BLOCK_BYTES)
            cut = block.find(b"\n")
            if cut >= 0:
                block = block[: cut + 1]
                todo = -1
        else:
            return
        if not block:
            break
        lines = BytesIO(block).readlines()
        tail = b"" if block[-1] == 10 else lines.pop()  # what follows the block's last newline: the start of a line
        if lines:
            longer = len(block) > limit  # only then can a line within the block be over the limit
            if over:
                lines[0] = over + len(lines[0])
                over = 0
            elif carry:
                lines[0] = carry + lines[0]
                longer = longer or len(lines[0]) > limit
            if longer:
                for i, line in enumerate(lines):
                    if line.__class__ is bytes and len(line) > limit + 1:  # more than the limit before its newline
                        lines[i] = len(line)
            carry = tail
        elif over:
            over += len(tail)
            continue
        else:
            carry += tail
        if len(carry) > limit:
            over, carry = len(carry), b""
        if lines:
            yield lines
        if todo is not None and todo < 0:
            return
    if over:
        yield [over]
    elif carry:
        yield [carry]


def json_lines(path: Path, start: int = 0, end: int | None = None, first: int = 1) -> Iterator[tuple[int, Any]]:
    """(line number, document) for each non-blank line of a JSON Lines file, or (line number, InputError) for a
    line that is not a document within the limits: what ``raw_lines`` then ``load_json_line`` give, line for
    line and error for error, read a block at a time.

    Most lines are proved within the limits from their bytes and orjson's result without walking the
    document: see ``_plainly_within_limits``. Any other line is checked in full, as ``load_json`` does.
    ``start``, ``end`` and ``first`` as for ``raw_lines``.
    """
    source = str(path)
    loads = _orjson_loads
    if loads is None:  # pragma: no cover - without orjson
        for number, raw in raw_lines(path, start, end, first):
            yield number, raw if isinstance(raw, InputError) else load_json_line(raw, Location(source, number))
        return
    plain = _plainly_within_limits if _INTS_IN_RANGE else None
    number = first - 1
    with open_regular(path) as fh:
        if start:
            fh.seek(start)
        for lines in _line_blocks(fh, None if end is None else end - start):
            for line in lines:
                number += 1
                try:
                    doc = loads(line)
                except _OrjsonError:
                    if line.__class__ is int:
                        yield number, line_too_long(path, number, line)
                    elif line.strip():  # read again in full, for the very message load_json gives
                        yield number, _json_line(line, source, number)
                    continue
                if plain is None or not plain(doc, line):
                    doc = _checked_line(doc, line, source, number)
                yield number, doc


def _checked_line(doc: Any, raw: bytes, source: str, number: int | None) -> Any:
    """``doc``, parsed from the line ``raw``, checked in full: itself, or the InputError ``load_json`` gives."""

    def error(message: str, at: int | None = None, hint: str | None = None) -> InputError:
        return InputError(message, Location(source, number), hint=hint)

    try:
        return _checked(doc, raw, error)
    except InputError as exc:
        return exc


def _plainly_within_limits(doc: Any, line: bytes) -> bool:
    """Whether a document orjson parsed from ``line`` is proved to pass ``_checked`` without walking it.

    - A key given twice: every key is followed by a colon, so the keys of the mappings found so far are at
      most the line's colons; once they are as many, no key is given twice (and no mapping holding a key is
      left unfound). The mappings are looked for only through mappings, a level at a time, until then.
    - Depth: a chain of nested values is then mappings found (at most ``depth`` deep), then lists (at most
      the line's ``[``), then an empty mapping or a scalar: deepest at ``depth + [ + 1``.
    - Whole numbers: orjson gives a float for one beyond 64 bits, so none can be over the limit
      (``_INTS_IN_RANGE``).
    """
    if doc.__class__ is not dict:
        return False
    colons = line.count(b":")
    keys = len(doc)
    depth = 0
    if keys != colons:
        level = [doc]
        while keys < colons:
            level = [v for d in level for v in d.values() if v.__class__ is dict]
            if not level:
                return False
            depth += 1
            keys += sum(map(len, level))
        if keys != colons:  # pragma: no cover - keys are never more than colons
            return False
    # depth + [ < MAX_DEPTH: the [ are found one at a time by memchr (bytes.find), and only as many as could
    # keep within the limit, where bytes.count would look at every byte (a case holds few lists)
    room = MAX_DEPTH - depth
    at = -1
    while room > 0:
        at = line.find(b"[", at + 1)
        if at < 0:
            return True
        room -= 1
    return False


def line_starts(path: Path, parts: int, smallest: int = 1 << 20) -> list[tuple[int, int, int]]:
    """A file cut into about ``parts`` byte ranges of at least ``smallest`` bytes, each starting at a line:
    (start, end, number of its first line). Only the file's newlines are counted, a block at a time."""
    return list(iter_line_starts(path, parts, smallest))


def iter_line_starts(path: Path, parts: int, smallest: int = 1 << 20) -> Iterator[tuple[int, int, int]]:
    """:func:`line_starts`, each range given as soon as the newline that ends it is found: a worker can count
    the first share while the rest of the file is read."""
    with open_regular(path) as fh:  # a missing file, a folder or a pipe: the same error as reading it
        size = os.fstat(fh.fileno()).st_size
        step = max(smallest, -(-size // max(parts, 1)))
        start, first = 0, 1  # the range not yet given: its offset, and the number of its first line
        target, offset, lines = step, 0, 0
        while target < size:
            block = fh.read(1 << 20)
            if not block:
                break
            while target < offset + len(block):
                i = block.find(b"\n", max(target - offset - 1, 0))
                if i < 0:
                    break
                cut = offset + i + 1
                if cut < size:
                    yield (start, cut, first)
                    start, first = cut, lines + block.count(b"\n", 0, i + 1) + 1
                target = cut + step
            lines += block.count(b"\n")
            offset += len(block)
    yield (start, size, first)


def line_too_long(path: Path, number: int, size: int) -> InputError:
    return InputError(
        f"line is {size:,} bytes, over the limit of {MAX_LINE_BYTES:,}",
        Location(str(path), number),
        hint="raise INSPECTKIT_MAX_LINE_BYTES if a case really is that long",
    )


# ------------------------------------------------------------------------------------------------ documents


def load_document(path: Path) -> Any:
    """One YAML or JSON document (by the file's suffix: .json is JSON, anything else YAML)."""
    path = Path(path)
    data = read_bytes(path)
    if not data.strip():
        raise InputError("file is empty", Location(str(path)), hint="a case file holds schema, edition, case_id and answers")
    if path.suffix.lower() == ".json":
        return load_json(data, str(path), whole_file=True)
    return load_yaml(decode(data, path), str(path))


def load_json_line(raw: bytes, location: Location) -> Any:
    """One line of a JSON Lines file: the document, or an InputError saying what is wrong with it (returned)."""
    if _INTS_IN_RANGE:
        try:
            doc = _orjson_loads(raw)
        except _OrjsonError:
            pass
        else:
            return doc if _plainly_within_limits(doc, raw) else _checked_line(doc, raw, location.file or "", location.line)
    return _json_line(raw, location.file or "", location.line)


def _json_line(raw: bytes, source: str, number: int | None) -> Any:
    """``load_json`` on one line: the document, or the InputError it raises."""
    try:
        return load_json(raw, source, number)
    except InputError as exc:
        return exc


# -- JSON


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a case can hold")


def load_json(raw: bytes | str, source: str, line: int | None = None, whole_file: bool = False) -> Any:
    """A JSON document checked against the limits; ``line`` is the line of a JSON Lines file it came from."""

    def error(message: str, at: int | None = None, hint: str | None = None) -> InputError:
        return InputError(message, Location(source, line if line is not None else at), hint=hint)

    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        if _orjson_loads is not None:
            doc = _orjson_loads(raw)
        else:  # pragma: no cover - without orjson
            doc = json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except _Duplicate as exc:  # pragma: no cover - without orjson
        raise error(f"key {_shown(str(exc))} is given twice; keep one", _json_key_line(raw, str(exc))) from None
    except (_OrjsonError, json.JSONDecodeError) as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise not_utf8(raw, bad.start, source, line) from None
        msg = getattr(exc, "msg", None) or str(exc)
        return_line = getattr(exc, "lineno", None) if whole_file else None
        raise error(f"not valid JSON: {_json_problem(msg)}", return_line) from None
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:  # pragma: no cover - without orjson
        raise error(f"not valid JSON: {exc}") from None
    if _INTS_IN_RANGE and _plainly_within_limits(doc, raw):
        return doc
    return _checked(doc, raw, error, whole_file)


def _checked(doc: Any, raw: bytes, error: Callable[..., InputError], whole_file: bool = False) -> Any:
    """A document orjson parsed from ``raw``, checked for what orjson does not check: depth, long whole
    numbers, a key given twice."""
    keys = _check_json(doc, 0, error)
    # a key given twice leaves fewer keys than colons; only then is it worth parsing again to find it
    if _orjson_loads is not None and keys < raw.count(b":"):
        try:
            json.loads(raw, object_pairs_hook=_no_duplicates)
        except _Duplicate as exc:
            key = str(exc)
            raise error(f"key {_shown(key)} is given twice; keep one", _json_key_line(raw, key) if whole_file else None) from None
        except (ValueError, RecursionError):
            pass
    return doc


# whether every whole number orjson gives is within the limit: it gives a float for one beyond 64 bits
_INTS_IN_RANGE = _orjson_loads is not None and _BIG > 2**64 and _orjson_loads(b"1" + b"0" * 20).__class__ is float

# what orjson has not checked already (the standard library checks less)
_TO_CHECK = frozenset({dict, list, int} if _orjson_loads is not None else {dict, list, int, float, str})


def _json_problem(msg: str) -> str:
    if "infinity" in msg:
        return "a number too large to hold"
    if "surrogate" in msg:
        return "text holding a lone surrogate (\\ud800-\\udfff), which is not a character"
    if "depth" in msg:
        return f"nested too deeply (the limit is {MAX_DEPTH} levels)"
    return msg


def _json_key_line(raw: bytes, key: str) -> int | None:
    """The line where a key given twice appears the second time (for the message only)."""
    pattern = re.compile(re.escape(json.dumps(key).encode()) + rb"\s*:")
    found = list(pattern.finditer(raw))
    if len(found) < 2:
        return None
    return raw[: found[1].start()].count(b"\n") + 1


def _check_json(value: Any, depth: int, error: Callable[..., InputError]) -> int:
    """Check depth and numbers of parsed JSON; returns how many keys it holds (to spot one given twice)."""
    if depth > MAX_DEPTH:
        raise error(f"nested too deeply (the limit is {MAX_DEPTH} levels)", hint="raise INSPECTKIT_MAX_DEPTH")
    cls = value.__class__
    if cls is dict:
        keys = len(value)
        for v in value.values():
            if v.__class__ in _TO_CHECK:
                keys += _check_json(v, depth + 1, error)
        return keys
    if cls is list:
        keys = 0
        for v in value:
            if v.__class__ in _TO_CHECK:
                keys += _check_json(v, depth + 1, error)
        return keys
    if cls is int and not -_BIG < value < _BIG:
        raise error(f"a number longer than {MAX_NUMBER_CHARS} digits", hint="raise INSPECTKIT_MAX_NUMBER_DIGITS")
    if cls is float and not math.isfinite(value):  # pragma: no cover - orjson refuses these itself
        raise error("NaN or infinity is not a number a case can hold")
    if cls is str and _orjson_loads is None and not _is_text(value):  # pragma: no cover - orjson refuses these
        raise error("text holding a lone surrogate (\\ud800-\\udfff), which is not a character")
    return 0


# -- YAML


class LineDict(dict):
    """A mapping from a YAML file that remembers the line of each key (1-based)."""

    __slots__ = ("line", "lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int | None:
        return self.lines.get(key, self.line)


# what was loaded can be written back (an interview saves the case it read)
for _dumper in (yaml.SafeDumper, getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    _dumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)

_NULL, _BOOL, _INT, _FLOAT, _MERGE = (f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "merge"))
_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in (_NULL, _BOOL, _INT, _FLOAT, _MERGE)]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_BOOLS = yaml.constructor.SafeConstructor.bool_values
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(value: Any) -> str:
    """A value for a message: quoted, shortened, and safe whatever it holds."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Frame:
    __slots__ = ("value", "key", "key_line", "anchor", "nodes_before", "line")

    def __init__(self, value: Any, anchor: str | None, nodes_before: int, line: int) -> None:
        self.value = value
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.anchor = anchor
        self.nodes_before = nodes_before
        self.line = line


_NO_KEY = object()


def load_yaml(text: str, source: str) -> Any:
    """A YAML document as plain data, every mapping a LineDict; an empty document is None."""
    parser = _Parser(text)
    try:
        return _build(parser, source)
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc) from None
    finally:
        parser.dispose()


class _Replay:
    """Events already read, given to ``_build`` again as a document of their own."""

    __slots__ = ("events",)

    def __init__(self, events: list[Any]) -> None:
        mark = events[0].start_mark
        self.events = [yaml.StreamEndEvent(mark), yaml.DocumentEndEvent(mark), *reversed(events), yaml.DocumentStartEvent(mark)]

    def get_event(self) -> Any:
        return self.events.pop()


MISSING_FIELD: Any = object()  # a list entry (a mapping) without the field asked for


def scan_yaml_mapping(
    text: str,
    source: str,
    keys: frozenset[str],
    list_key: str,
    field: str,
    enough: Callable[[set[str]], bool] | None = None,
) -> tuple[dict[str, Any], dict[str, int], list[Any] | None] | None:
    """Some of a YAML mapping without building the rest: the values of the top-level ``keys`` (and the line of
    each), and the ``field`` of each mapping in the top-level list ``list_key`` (``MISSING_FIELD`` where one
    has none).

    The values read are built exactly as ``load_yaml`` builds them; everything else is only parsed (a document
    that is not valid YAML raises the same error), up to where ``enough(keys seen so far)`` says the rest is not
    needed (the fields are then None: the rest of the document is neither read nor checked). None when the document is not plainly a mapping, or uses
    an alias in what is read, or gives a top-level key twice: the caller then loads it whole, which says what
    is wrong, if anything.
    """
    parser = _Parser(text)
    get = parser.get_event
    scalar, alias, start_classes = yaml.ScalarEvent, yaml.AliasEvent, (yaml.MappingStartEvent, yaml.SequenceStartEvent)

    def node() -> list[Any] | None:
        """The events of the next node; None when it holds an alias (resolved only by a whole load)."""
        event = get()
        events = [event]
        if event.__class__ is alias:
            return None
        if event.__class__ is scalar:
            return events
        depth = 1
        while depth:
            event = get()
            cls = event.__class__
            if cls is alias:
                return None
            if cls in start_classes:
                depth += 1
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                depth -= 1
            events.append(event)
        return events

    def skip(event: Any = None) -> None:
        """Past the next node (``event``: its first event, read already)."""
        if (event or get()).__class__ not in start_classes:
            return
        depth = 1
        while depth:
            cls = get().__class__
            if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                depth += 1
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                depth -= 1

    line = 0

    def fail(message: str, at: int, hint: str | None = None) -> InputError:
        return InputError(message, Location(source, at), hint=hint)

    def value_of(events: list[Any]) -> Any:
        """A node's value as ``load_yaml`` builds it (a lone untagged scalar, the usual case, directly)."""
        first = events[0]
        if len(events) == 1 and first.tag is None and _is_text(first.value):
            return _scalar(first.value, first.implicit[0], first.start_mark.line + 1, fail)
        return _build(_Replay(events), source)

    def key() -> Any:
        """The next key of a mapping: its text, None at the mapping's end, or _NO_KEY for one read only whole."""
        nonlocal line
        event = get()
        if event.__class__ is yaml.MappingEndEvent:
            return None
        if event.__class__ is not scalar or event.tag is not None or event.anchor is not None:
            return _NO_KEY
        line = event.start_mark.line + 1
        return event.value

    try:
        if get().__class__ is not yaml.StreamStartEvent or get().__class__ is not yaml.DocumentStartEvent:
            return None
        root = get()
        if root.__class__ is not yaml.MappingStartEvent or root.tag is not None or root.anchor is not None:
            return None
        values: dict[str, Any] = {}
        lines: dict[str, int] = {}
        fields: list[Any] = []
        seen: set[str] = set()
        while True:
            name = key()
            if name is None:
                break
            if name is _NO_KEY or name in seen or name == "<<":
                return None
            seen.add(name)
            if name in keys:
                events = node()
                if events is None:
                    return None
                values[name] = value_of(events)
                lines[name] = line
            elif name == list_key:
                first = get()
                if first.__class__ is alias:
                    return None
                if first.__class__ is not yaml.SequenceStartEvent:
                    skip(first)
                    continue
                while True:
                    entry = get()
                    cls = entry.__class__
                    if cls is yaml.SequenceEndEvent:
                        break
                    if cls is alias or entry.tag is not None:
                        return None
                    if cls is not yaml.MappingStartEvent:
                        skip(entry)
                        continue
                    found: Any = MISSING_FIELD
                    while True:
                        entry_key = key()
                        if entry_key is None:
                            break
                        if entry_key is _NO_KEY:
                            return None
                        if entry_key == field:
                            if found is not MISSING_FIELD:
                                return None
                            events = node()
                            if events is None:
                                return None
                            found = value_of(events)
                        else:
                            skip()
                    fields.append(found)
            else:
                skip()
            if enough is not None and enough(seen):
                return values, lines, None  # the rest is not read: the list's fields are not known
        if get().__class__ is not yaml.DocumentEndEvent or get().__class__ is not yaml.StreamEndEvent:
            return None
        return values, lines, fields
    except yaml.YAMLError as exc:
        raise yaml_error(source, exc) from None
    finally:
        parser.dispose()


def yaml_error(source: str, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if "nesting depth" in str(problem):
        return InputError(f"nested too deeply (the limit is {MAX_DEPTH} levels)", Location(source, line))
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    return InputError(message, Location(source, line), hint="check the indentation and quoting on that line")


def _build(parser: Any, source: str) -> Any:
    """One loop over the parser's events, building the document without recursion."""
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int, str | None]] = {}  # anchor -> value, nodes it stands for, its text
    nodes = 0
    root: Any = None
    documents = 0

    def fail(message: str, line: int, hint: str | None = None) -> InputError:
        return InputError(message, Location(source, line), hint=hint)

    get_event, scalar_event, max_nodes = parser.get_event, yaml.ScalarEvent, MAX_NODES
    while True:
        event = get_event()
        cls = event.__class__
        line = event.start_mark.line + 1
        if cls is scalar_event and stack and nodes < max_nodes and event.tag is None and event.anchor is None:
            # most of a document: plain text, a key or a value in a mapping or list, within every limit (the
            # same steps as below, and as _add, in the same order, so the same errors)
            text = event.value
            if text.isascii():
                nodes += 1
                top = stack[-1]
                target = top.value
                if target.__class__ is list:
                    target.append(_scalar(text, True, line, fail) if event.implicit[0] else text)
                elif top.key is _NO_KEY:  # a key
                    if event.implicit[0] and text == "<<":
                        raise fail("merge keys (<<) are not part of the format", line, hint="write the keys out")
                    if text in target:
                        _add(top, text, line, fail)  # the error for a key given twice
                    top.key = text
                    top.key_line = line
                else:
                    target[top.key] = _scalar(text, True, line, fail) if event.implicit[0] else text
                    target.lines[top.key] = top.key_line
                    top.key = _NO_KEY
                continue
        if cls is yaml.ScalarEvent:
            nodes += 1
            if event.tag is not None:
                raise fail(f"the tag {_tag(event.tag)} is not part of the format", line, hint="remove it; write the value alone")
            text = event.value
            if not _is_text(text):
                raise fail("text holding a lone surrogate (\\ud800-\\udfff), which is not a character", line)
            if stack and stack[-1].key is _NO_KEY and stack[-1].value.__class__ is LineDict:  # a key: always text
                if event.implicit[0] and text == "<<":
                    raise fail("merge keys (<<) are not part of the format", line, hint="write the keys out")
                value = text
            else:
                value = _scalar(text, event.implicit[0], line, fail)
            size = 1
            anchor_text: str | None = text
        elif cls is yaml.AliasEvent:
            if event.anchor not in anchors:
                raise fail(f"alias *{event.anchor} refers to no anchor before it", line)
            value, size, anchor_text = anchors[event.anchor]
            nodes += size
            if stack and stack[-1].key is _NO_KEY and stack[-1].value.__class__ is LineDict:
                if anchor_text is None:
                    raise fail("a key must be a single value, not a list or mapping", line)
                value = anchor_text
        elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            nodes += 1
            if event.tag is not None:
                raise fail(f"the tag {_tag(event.tag)} is not part of the format", line, hint="remove it")
            if stack and stack[-1].key is _NO_KEY and stack[-1].value.__class__ is LineDict:
                raise fail("a key must be a single value, not a list or mapping", line)
            if len(stack) >= MAX_DEPTH:
                raise fail(f"nested too deeply (the limit is {MAX_DEPTH} levels)", line, hint="raise INSPECTKIT_MAX_DEPTH")
            if cls is yaml.MappingStartEvent:
                container: Any = LineDict()
                container.line = line
            else:
                container = []
            stack.append(_Frame(container, event.anchor, nodes - 1, line))
            _check_nodes(nodes, fail, line)
            continue
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            frame = stack.pop()
            value = frame.value
            size = nodes - frame.nodes_before
            anchor_text = None
            if frame.anchor is not None:
                anchors[frame.anchor] = (value, size, None)
            if not stack:
                root = value
                continue
            _add(stack[-1], value, frame.line, fail)
            continue
        elif cls is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise fail("holds more than one document (---): a file holds one", line)
            continue
        elif cls is yaml.StreamEndEvent:
            return root
        else:  # stream start, document end
            continue
        _check_nodes(nodes, fail, line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None and cls is yaml.ScalarEvent:
            anchors[anchor] = (value, size, anchor_text)
        if not stack:
            root = value
        else:
            _add(stack[-1], value, line, fail)


def _tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _check_nodes(nodes: int, fail: Callable[..., InputError], line: int) -> None:
    if nodes > MAX_NODES:
        raise fail(
            f"holds more than {MAX_NODES:,} values (aliases count each time they are used)",
            line,
            hint="raise INSPECTKIT_MAX_NODES if the document really is that large",
        )


def _add(frame: _Frame, value: Any, line: int, fail: Callable[..., InputError]) -> None:
    target = frame.value
    if target.__class__ is list:
        target.append(value)
        return
    if frame.key is _NO_KEY:
        if value in target:
            first = target.lines.get(value)
            where = f" (first on line {first})" if first else ""
            raise fail(f"key {_shown(value)} is given twice{where}; keep one", line)
        frame.key = value
        frame.key_line = line
        return
    target[frame.key] = value
    target.lines[frame.key] = frame.key_line
    frame.key = _NO_KEY


def _scalar(text: str, plain: bool, line: int, fail: Callable[..., InputError]) -> Any:
    """A scalar's value: only a plain (unquoted) one can be anything but text."""
    if not plain:
        return text
    tag = next((t for t, regexp in _RESOLVERS.get(text[:1], ()) if regexp.match(text)), None)
    if tag is None:
        return text
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return _BOOLS[text.lower()]
    if tag == _MERGE:
        return text
    if len(text) > MAX_NUMBER_CHARS:
        raise fail(
            f"a number longer than {MAX_NUMBER_CHARS} characters",
            line,
            hint="quote it if it is text, or raise INSPECTKIT_MAX_NUMBER_DIGITS",
        )
    if tag == _INT:
        if not _DECIMAL.match(text):  # octal, hex, binary and base 60 stay as written
            return text
        return int(text.replace("_", ""))
    if ":" in text:  # base 60
        return text
    lowered = text.replace("_", "").lower()
    if lowered.lstrip("+-") in (".inf", ".nan"):
        raise fail(f"{text} is not a number a case can hold", line, hint="give a finite number")
    value = float(lowered)
    if not math.isfinite(value):
        raise fail(f"{_shown(text)} is too large a number", line)
    return value


# ------------------------------------------------------------------------------------------------ lines


def line_at(doc: Any, keys: tuple[Any, ...]) -> int | None:
    """The line of a nested key in a document loaded from YAML (None for JSON, or a key not there)."""
    node, line = doc, None
    for key in keys:
        if not isinstance(node, LineDict):
            break
        if key not in node:
            key = str(key)
            if key not in node:
                break
        line = node.line_of(key)
        node = node[key]
    return line


def line_finder(doc: Any) -> Callable[[tuple[Any, ...]], int | None] | None:
    """``line_of(keys)`` for messages about a document, or None when it has no lines (JSON)."""
    if not isinstance(doc, LineDict):
        return None
    return lambda keys: line_at(doc, keys)
