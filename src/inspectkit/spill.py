"""A list that keeps its first entries in memory and writes the rest to a temporary file.

``rate`` reports every case it leaves out and every error and warning, and a batch of a million cases may
have a million of each. Holding them all would make memory grow with the batch; a :class:`SpillList`
holds the first ``limit`` entries and appends the rest, as JSON lines, to an anonymous temporary file (gone
when the process ends), and reads them back in order when the report is written. Entries are plain data
(or made so by ``encode``/``decode``); nothing read back is ever executed.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

try:
    from orjson import dumps as _dumps
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    import json as _json

    def _dumps(value: Any) -> bytes:  # type: ignore[misc]
        return _json.dumps(value, ensure_ascii=False).encode()

    _loads = _json.loads  # type: ignore[assignment]

#: Entries of each list held in memory; the rest go to a temporary file.
LIMIT = int(os.environ.get("INSPECTKIT_SPILL_AFTER", 1000))


def _same(value: Any) -> Any:
    return value


def _read_at(fh: IO[bytes], pos: int, size: int = 1 << 20) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fh.fileno(), size, pos)
    end = fh.seek(0, os.SEEK_END)  # pragma: no cover - platforms without pread
    fh.seek(pos)
    try:
        return fh.read(min(size, end - pos))
    finally:
        fh.seek(0, os.SEEK_END)


class SpillList:
    """Append-only and iterable like a list; entries past ``limit`` wait in a temporary file."""

    __slots__ = ("limit", "_encode", "_decode", "_head", "_file", "_n")

    def __init__(
        self,
        items: Iterable[Any] = (),
        limit: int | None = None,
        encode: Callable[[Any], Any] = _same,
        decode: Callable[[Any], Any] = _same,
    ):
        self.limit = LIMIT if limit is None else limit
        self._encode = encode
        self._decode = decode
        self._head: list[Any] = []
        self._file: IO[bytes] | None = None
        self._n = 0
        self.extend(items)

    def append(self, value: Any) -> None:
        if len(self._head) < self.limit:
            self._head.append(value)
        else:
            if self._file is None:
                import tempfile

                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the list
            self._file.write(_dumps(self._encode(value)) + b"\n")
        self._n += 1

    def extend(self, values: Iterable[Any]) -> None:
        for v in values:
            self.append(v)

    @property
    def spilled(self) -> int:
        """How many entries wait in the temporary file."""
        return self._n - len(self._head)

    def __len__(self) -> int:
        return self._n

    def __bool__(self) -> bool:
        return self._n > 0

    def __iter__(self) -> Iterator[Any]:
        yield from self._head
        if self._file is None:
            return
        fh = self._file
        fh.flush()
        decode = self._decode
        pos, rest = 0, b""
        while True:  # read blocks at our own position: the file's own offset stays at the end, for appends
            block = _read_at(fh, pos)
            if not block:
                break
            pos += len(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield decode(_loads(line))

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._n)
            if stop <= len(self._head):
                return self._head[index]
            return list(itertools.islice(self, start, stop, step))
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError("SpillList index out of range")
        if index < len(self._head):
            return self._head[index]
        return next(itertools.islice(self, index, None))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, SpillList)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=False))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SpillList({len(self)} entries, {self.spilled} on disk)"
