"""A list that keeps its first entries in memory and writes the rest to a temporary file.

``rate`` reports every case it leaves out and every error and warning, and a batch of a million cases may
have a million of each. Holding them all would make memory grow with the batch; a :class:`SpillList`
holds the first ``limit`` entries and appends the rest, as JSON (a batch of entries to a line), to an anonymous temporary file (gone
when the process ends), and reads them back in order when the report is written. Entries are plain data
(or made so by ``encode``/``decode``); nothing read back is ever executed.

A list given ``listed`` (what the report lists for a batch of entries) writes the rest as the report's text
for them instead (:func:`listed_text`), each batch after a NUL byte (JSON text never holds one): writing the
report then copies that text (:meth:`SpillList.texts`) rather than reading every entry back and writing it again.
"""

from __future__ import annotations

import codecs
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

try:
    from orjson import OPT_INDENT_2 as _OPT_INDENT_2
    from orjson import dumps as _dumps
    from orjson import loads as _loads

    _indented = _dumps
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    import json as _json

    def _dumps(value: Any) -> bytes:  # type: ignore[misc]
        return _json.dumps(value, ensure_ascii=False).encode()

    _loads = _json.loads  # type: ignore[assignment]
    _indented = None  # type: ignore[assignment]
    _OPT_INDENT_2 = 0

try:  # hashlib's own blake2b, without loading hashlib's OpenSSL part
    from _blake2 import blake2b as _blake2b
except ImportError:  # pragma: no cover - a Python without the built-in module
    from hashlib import blake2b as _blake2b

#: Entries of each list held in memory; the rest go to a temporary file.
LIMIT = int(os.environ.get("INSPECTKIT_SPILL_AFTER", 1000))
_BATCH = 500  # entries written to the file together, as one JSON array on one line


def _same(value: Any) -> Any:
    return value


_IN_KEY, _KEY_END = len('{\n  "": ['), len("\n  ]\n}")  # around a list written as a key's value
_SEP = b"\x00"  # before each batch of a list's text in its file


def listed_text(entries: list[Any]) -> bytes:
    """Entries as a report lists them: ``\n    entry,\n    entry`` (UTF-8), four spaces in, as
    ``json.dumps(report, indent=2, ensure_ascii=False, default=str)`` writes a list that is a top-level key's
    value. orjson writes plain entries (mappings of text and whole numbers) as the standard library does; a batch
    orjson cannot write (text holding a lone surrogate) is written by the standard library (kept by
    ``surrogatepass``, as the report's text holds it)."""
    if _indented is not None:
        try:
            # written as the value of a key, orjson puts each entry four spaces in, as the report has it:
            # '{\n  "": [' + '\n    {...},\n    {...}' + '\n  ]\n}'
            return _indented({"": entries}, option=_OPT_INDENT_2)[_IN_KEY:-_KEY_END]
        except (TypeError, ValueError):
            pass
    import json

    # "[\n  {...},\n  {...}\n]" -> each entry four spaces in, as a list inside the report
    text = json.dumps(entries, indent=2, ensure_ascii=False, default=str)[1:-2].replace("\n", "\n  ")
    return text.encode("utf-8", "surrogatepass")


def _listed_entries(text: bytes) -> list[Any]:
    """The entries :func:`listed_text` wrote, read back."""
    text = b"[" + text + b"\n]"
    try:
        return _loads(text)
    except ValueError:  # a lone surrogate, which orjson does not read
        import json

        return json.loads(text.decode("utf-8", "surrogatepass"))


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

    __slots__ = ("limit", "_encode", "_decode", "_listed", "_unlisted", "_head", "_file", "_n", "_pending")

    def __init__(
        self,
        items: Iterable[Any] = (),
        limit: int | None = None,
        encode: Callable[[Any], Any] = _same,
        decode: Callable[[Any], Any] = _same,
        listed: Callable[[list[Any]], list[Any]] | None = None,
        unlisted: Callable[[Any], Any] = _same,
    ):
        """``listed``: the report's entries for a batch of (encoded) entries, written to the file as the
        report's text; ``unlisted`` makes one of them the encoded entry again, when the entries are read back."""
        self.limit = LIMIT if limit is None else limit
        self._encode = encode
        self._decode = decode
        self._listed = listed
        self._unlisted = unlisted
        self._head: list[Any] = []
        self._file: IO[bytes] | None = None
        self._n = 0
        self._pending: list[Any] = []  # encoded entries on their way to the file, written a batch to a line
        self.extend(items)

    def append(self, value: Any) -> None:
        if len(self._head) < self.limit:
            self._head.append(value)
        else:
            self._pending.append(value if self._encode is _same else self._encode(value))
            if len(self._pending) >= _BATCH:
                self._flush()
        self._n += 1

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the list
        self._file.write(self._stored(self._pending))
        self._pending = []

    def _stored(self, encoded: list[Any]) -> bytes:
        """A batch of encoded entries as the file holds it."""
        if self._listed is None:
            return _dumps(encoded) + b"\n"
        return _SEP + listed_text(self._listed(encoded))

    def extend(self, values: Iterable[Any]) -> None:
        if self._encode is not _same or len(self._head) < self.limit or not isinstance(values, list):
            for v in values:
                self.append(v)
            return
        pending = self._pending  # past the limit, a list goes on its way to the file whole
        pending += values
        self._n += len(values)
        if len(pending) >= _BATCH:
            self._flush()

    def extend_plain(self, values: list[Any]) -> None:
        """Add entries given as ``encode`` makes them: the ones held in memory are decoded, the rest go to
        the file as they are (a batch of entries past the limit costs no object each)."""
        if len(self._head) < self.limit:
            for v in values:
                self.append(self._decode(v))
            return
        self._pending += values
        self._n += len(values)
        if len(self._pending) >= _BATCH:
            self._flush()

    def hand_over(self, fh: IO[bytes]) -> int:
        """Write every entry to ``fh`` as the temporary file holds them (for :meth:`take`); how many."""
        encode = self._encode
        for start in range(0, len(self._head), _BATCH):
            fh.write(self._stored([v if encode is _same else encode(v) for v in self._head[start : start + _BATCH]]))
        self._flush()
        if self._file is not None:
            self._file.flush()
            pos = 0
            while block := _read_at(self._file, pos):
                fh.write(block)
                pos += len(block)
        return self._n

    def take(self, fh: IO[bytes], count: int) -> None:
        """Append ``count`` entries written by another list's :meth:`hand_over` (copied as they are: nothing
        is decoded); entries appended later follow them."""
        if not count:
            return
        self._flush()
        self.limit = len(self._head)  # from now on every entry goes to the file, after these
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the list
        import shutil

        shutil.copyfileobj(fh, self._file, 1 << 18)
        self._n += count

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
        decode = self._decode
        for values in self._spilled():
            if decode is _same:
                yield from values
            else:
                for value in values:
                    yield decode(value)

    def batches(self, size: int = _BATCH) -> Iterator[list[Any]]:
        """The entries in order, a list at a time, as plain data: encoded (``encode``), never decoded (a
        spilled tuple comes back as a list)."""
        head, encode = self._head, self._encode
        for start in range(0, len(head), size):
            yield head[start : start + size] if encode is _same else [encode(v) for v in head[start : start + size]]
        yield from self._spilled()

    def texts(self) -> Iterator[str]:
        """Every entry as the report lists it (a list given ``listed``), in pieces of text that together are
        ``,\n    entry,\n    entry...`` (a comma before the first entry too): the entries held in memory are
        written now, the file's text is copied as it is."""
        head, encode, listed = self._head, self._encode, self._listed
        assert listed is not None, "texts() is for a list given listed"
        for start in range(0, len(head), 1000):
            batch = head[start : start + 1000]
            text = listed_text(listed(batch if encode is _same else [encode(v) for v in batch]))
            yield "," + text.decode("utf-8", "surrogatepass")
        self._flush()
        if self._file is None:
            return
        self._file.flush()
        decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")  # a block may end inside a character
        pos = 0
        while block := _read_at(self._file, pos):
            pos += len(block)
            yield decoder.decode(block.replace(_SEP, b","))
        decoder.decode(b"", final=True)

    def _spilled(self) -> Iterator[list[Any]]:
        """What waits in the temporary file, in order, one stored batch's entries at a time (encoded)."""
        self._flush()
        if self._file is None:
            return
        fh = self._file
        fh.flush()
        sep = b"\n" if self._listed is None else _SEP
        pos, rest = 0, b""
        while True:  # read blocks at our own position: the file's own offset stays at the end, for appends
            block = _read_at(fh, pos)
            if not block:
                break
            pos += len(block)
            lines = (rest + block).split(sep)
            rest = lines.pop()
            for line in lines:
                if line:
                    yield self._read(line)
        if rest:
            yield self._read(rest)

    def _read(self, stored: bytes) -> list[Any]:
        if self._listed is None:
            return _loads(stored)
        unlisted = self._unlisted
        entries = _listed_entries(stored)
        return entries if unlisted is _same else [unlisted(e) for e in entries]

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


def _key(case_id: str) -> int:
    return int.from_bytes(_blake2b(case_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


class SeenIds:
    """Case ids seen so far, in memory that does not grow with their number: to find an id given twice.

    The first ``BUFFER`` ids are held as they are, in a set. Every later id is kept as a 64-bit hash. The
    newest hashes wait in a small buffer; a full buffer is sorted and written to a temporary file as a run,
    with every 512th hash of it kept in memory to find the block where a hash would be. A Bloom filter of
    fixed size says at once that most new ids were never seen; only when it cannot say (about one id in
    500 at a million cases) are the buffer and the runs searched. Two different ids share a 64-bit hash
    with odds far below one in a million even for a million cases. Memory: the first ids, the filter
    (2 MiB), the buffer (128 KiB) and 16 bytes per 512 ids.
    """

    BITS = 1 << 24  # of the filter
    BUFFER = 1 << 14  # ids held as they are; then hashes held before a run is written (40 bytes each to sort)
    STRIDE = 512  # hashes per block of a run (one read of 4 KiB)

    def __init__(self) -> None:
        from array import array

        self._array = array
        self._ids: set[str] = set()  # the first ids
        self._hashed = False  # ids are now kept as hashes (the first ids are held, or hashes were given)
        self._filter = bytearray(self.BITS >> 3)
        self._buffer = array("Q")
        self._runs: list[tuple[int, int, Any]] = []  # (offset in the file, hashes, fence: first hash of each block)
        self._file: IO[bytes] | None = None
        self._end = 0

    def add(self, case_id: str) -> bool:
        """Remember ``case_id``; False if it was seen before."""
        ids = self._ids
        if case_id in ids:
            return False
        if not self._hashed:
            if len(ids) < self.BUFFER:
                ids.add(case_id)
                return True
            self._hashed = True
        key = _key(case_id)
        mask = self.BITS - 1
        a, b = key & mask, ((key >> 32) | 1) & mask
        bits = self._filter
        new = False
        for _ in range(4):  # four bits set by the hash; if any was clear, the id is new
            byte, bit = a >> 3, 1 << (a & 7)
            if not bits[byte] & bit:
                bits[byte] |= bit
                new = True
            a = (a + b) & mask
        if not new and self._seen(key):
            return False
        self._buffer.append(key)
        if len(self._buffer) >= self.BUFFER:
            self._write_run()
        return True

    def preseed(self, keys: Iterable[int]) -> None:
        """Hashes of ids seen before this list began (by :meth:`key`): adding one of them returns False."""
        for key in keys:
            self._hashed = True
            self._remember(key)

    @staticmethod
    def key(case_id: str) -> int:
        return _key(case_id)

    def _remember(self, key: int) -> None:
        mask = self.BITS - 1
        a, b = key & mask, ((key >> 32) | 1) & mask
        bits = self._filter
        for _ in range(4):
            bits[a >> 3] |= 1 << (a & 7)
            a = (a + b) & mask
        self._buffer.append(key)
        if len(self._buffer) >= self.BUFFER:
            self._write_run()

    def sorted_keys(self) -> Iterator[int]:
        """Every hash held (the first ids' too), in order, each once (read a block at a time from the runs)."""
        import heapq

        def run(offset: int, count: int) -> Iterator[int]:
            for start in range(0, count, 1 << 13):
                data = self._array("Q")
                data.frombytes(_read_at(self._file, offset + start * 8, min(1 << 13, count - start) * 8))  # type: ignore[arg-type]
                yield from data

        held = sorted(self._buffer) + [_key(i) for i in self._ids]
        held.sort()
        last = None
        for key in heapq.merge(held, *(run(offset, count) for offset, count, _ in self._runs)):
            if key != last:
                yield key
                last = key

    def _seen(self, key: int) -> bool:
        if key in self._buffer:
            return True
        from bisect import bisect_right

        for offset, count, fence in self._runs:
            block = bisect_right(fence, key) - 1
            if block < 0:
                continue
            start = block * self.STRIDE
            size = min(self.STRIDE, count - start)
            data = self._array("Q")
            data.frombytes(_read_at(self._file, offset + start * 8, size * 8))  # type: ignore[arg-type]
            i = bisect_right(data, key) - 1
            if i >= 0 and data[i] == key:
                return True
        return False

    def _write_run(self) -> None:
        import tempfile

        run = self._array("Q", sorted(self._buffer))
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the ids
        self._file.write(run.tobytes())
        self._file.flush()
        self._runs.append((self._end, len(run), self._array("Q", run[:: self.STRIDE])))
        self._end += len(run) * 8
        self._buffer = self._array("Q")
