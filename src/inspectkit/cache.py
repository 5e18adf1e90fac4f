"""A cache of plain data (JSON), signed with the user's own key and checked before it is used.

Parsing a large definition at every start-up is slow, so what was built from it is kept on disk. Whoever can
write the cache folder (a shared CI cache, a team's ``INSPECTKIT_CACHE_DIR``) must be able neither to run code
nor to change a rating through it, so:

- an entry is JSON, never pickle, marshal or anything executed;
- it is signed (HMAC-SHA256) with a key kept apart from the cache, in the user's state folder
  (``$XDG_STATE_HOME/inspectkit`` or ``~/.local/state/inspectkit``, readable by the user alone); an entry
  whose signature does not match is ignored, as are all entries when the key cannot be made or trusted;
- it names the files it was built from with their sizes and times, and is used only while they are unchanged;
- the caller validates the data's shape again as it reads it.

Anything wrong with an entry means a miss: the caller builds again and the entry is rewritten.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inspectkit import __version__ as _core_version

try:
    from orjson import dumps as _dumps
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    import json as _json

    def _dumps(value: Any) -> bytes:  # type: ignore[misc]
        return _json.dumps(value, allow_nan=False, separators=(",", ":")).encode()

    def _loads(raw: bytes | str) -> Any:  # type: ignore[misc]
        return _json.loads(raw)


FORMAT = "inspectkit-cache/1"
_KEY_BYTES = 32


class NotCacheable(ValueError):
    """The data holds something plain JSON cannot carry exactly; it is simply not cached."""


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is switched off (``INSPECTKIT_NO_CACHE``)."""
    if os.environ.get("INSPECTKIT_NO_CACHE"):
        return None
    base = os.environ.get("INSPECTKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "inspectkit"
    )
    return Path(base)


def key_path() -> Path:
    """Where the signing key lives: the user's state folder, never the cache folder."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "inspectkit" / "cache.key"


def _trusted(st: os.stat_result) -> bool:
    """A key file only this user can read and write (where the system has owners and modes)."""
    if not hasattr(os, "getuid"):  # pragma: no cover - Windows: the profile folder is private already
        return True
    return st.st_uid == os.getuid() and not (st.st_mode & 0o077)


def _key() -> bytes | None:
    """This user's signing key, made on first use; None when it cannot be made or is not private."""
    path = key_path()
    key = _read_key(path)
    if key is _MISSING:
        _make_key(path)
        key = _read_key(path)
    return key if isinstance(key, bytes) else None


_MISSING = object()


def _read_key(path: Path) -> Any:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return _MISSING
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not _trusted(st) or st.st_size != _KEY_BYTES * 2:
            return None
        raw = os.read(fd, _KEY_BYTES * 2 + 1)
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(raw.decode("ascii"))
    except ValueError:
        return None
    return key if len(key) == _KEY_BYTES else None


def _make_key(path: Path) -> None:
    import secrets  # here, not at the top: a key is made once per user, and secrets imports random

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, secrets.token_hex(_KEY_BYTES).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a key another process made meanwhile
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError:
        pass


def _stamp(paths: Iterable[str]) -> str:
    """The files' sizes and times (their names are resolved when the entry is stored)."""
    h = hashlib.sha256(_core_version.encode())
    for p in paths:
        st = os.stat(p)
        h.update(f"{p}|{st.st_mtime_ns}|{st.st_size}".encode())
    return h.hexdigest()


def _entry_path(folder: Path, key: bytes, kind: str, name: str) -> Path:
    # the file name depends on the key too, so users sharing a cache folder never overwrite each other's entries
    digest = hmac.new(key, f"{kind}\0{name}".encode(), hashlib.sha256).hexdigest()[:32]
    return folder / f"{kind}-{digest}.json"


def load(kind: str, name: str) -> Any | None:
    """The data stored for (kind, name), or None: no entry, not signed by this user, or a file it rests on changed."""
    folder = cache_dir()
    key = _key() if folder is not None else None
    if folder is None or key is None:
        return None
    try:
        with open(_entry_path(folder, key, kind, name), "rb") as fh:
            raw = fh.read()
        signature, _, body = raw.partition(b"\n")
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")
        if not hmac.compare_digest(signature, expected):
            return None
        entry = _loads(body)
        if not (
            isinstance(entry, dict)
            and entry.get("format") == FORMAT
            and entry.get("kind") == kind
            and entry.get("name") == name
            and isinstance(entry.get("deps"), list)
            and all(isinstance(d, str) for d in entry["deps"])
            and entry.get("stamp") == _stamp(entry["deps"])
        ):
            return None
        return entry.get("data")
    except (OSError, ValueError, TypeError):
        return None


def store(kind: str, name: str, deps: Iterable[Path], data: Any) -> None:
    """Keep plain data (dicts with string keys, lists, strings, finite numbers, booleans, None) for (kind, name).

    ``deps`` are the files it was built from: the entry is used only while they are unchanged. A cache that
    cannot be written is simply not used.
    """
    folder = cache_dir()
    key = _key() if folder is not None else None
    if folder is None or key is None:
        return
    from inspectkit.files import atomic_write

    try:
        dep_names = [str(Path(d).resolve()) for d in deps]
        body = _dumps({"format": FORMAT, "kind": kind, "name": name, "stamp": _stamp(dep_names), "deps": dep_names, "data": data})
        signature = hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")
        atomic_write(_entry_path(folder, key, kind, name), signature + b"\n" + body, durable=False, new_mode=0o600)
    except (OSError, ValueError, TypeError, RecursionError):
        pass
