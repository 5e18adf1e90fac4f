"""A case file being edited: saved after every change, keeping what the inspector wrote around the answers.

An interview changes only the ``answers``, ``notes`` and ``history`` blocks of a YAML case file, and it
changes them in the text itself: each answer changed, added or removed is spliced in at the place the
parser says it is, so comments, key order, quoting and blank lines elsewhere stay as they were. Every
edit is checked by reading the new text back; should a layout ever defeat the splicing, the file is
written out whole instead (the answers are never at risk, only the comments). JSON has no comments: it
is written whole, in the order it was read.

The file's permissions are kept, a symlinked case file is written through its link (the link stays a
link), and an interview holds a lock so that a second interview on the same file is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from inspectkit.errors import InputError, Location, UsageError
from inspectkit.files import atomic_write, load_document, user_file_mode

BLOCKS = ("answers", "notes")


def render(value: Any) -> str:
    """One value as YAML on one line (flow style), quoted wherever YAML 1.1 would misread it."""
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30, sort_keys=False)
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    return text.rstrip("\n")


def _end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark runs on to the next key's indentation)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return _end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _end(node.value[-1])
    return node.end_mark.index


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_after(text: str, index: int) -> int:
    """The start of the line after the one ``index`` is on (or after ``index`` itself, if it begins a line)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    nl = text.find("\n", index)
    return len(text) if nl < 0 else nl + 1


class _Text:
    """Splices into the text of a YAML mapping document, re-reading its structure after every edit."""

    def __init__(self, text: str):
        self.text = text

    def _top(self) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        root = yaml.compose(self.text, Loader=yaml.SafeLoader)  # nodes only: nothing is constructed
        if not isinstance(root, yaml.MappingNode):
            raise ValueError("not a mapping")
        return {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}

    def _splice(self, start: int, end: int, new: str, keep_newline: bool = True) -> None:
        old = self.text[start:end]
        if keep_newline and old.endswith("\n") and not new.endswith("\n"):
            new += "\n"
        self.text = self.text[:start] + new + self.text[end:]

    def _append_block(self, block: str, body: str) -> None:
        if self.text and not self.text.endswith("\n"):
            self.text += "\n"
        self.text += f"{block}:\n{body}"

    def _open_empty(self, key: yaml.Node, value: yaml.Node, body: str) -> None:
        """``block:`` with nothing (or ``~``, ``{}``, ``[]``) after it becomes ``block:`` and ``body`` below."""
        start, end = value.start_mark.index, value.end_mark.index
        if end > start and value.start_mark.line == key.start_mark.line:
            self._splice(start, end, "")
        line_end = self.text.find("\n", key.end_mark.index)
        line_end = len(self.text) if line_end < 0 else line_end
        head = self.text[:line_end].rstrip(" \t")
        rest = self.text[line_end:]
        self.text = head + "\n" + body.rstrip("\n") + ("" if rest.startswith("\n") else "\n") + rest
        if not self.text.endswith("\n"):
            self.text += "\n"

    @staticmethod
    def _empty(value: yaml.Node) -> bool:
        if isinstance(value, yaml.ScalarNode):
            return value.tag == "tag:yaml.org,2002:null"
        return isinstance(value, (yaml.MappingNode, yaml.SequenceNode)) and not value.value

    def _existing_block(self, block: str, line: str) -> yaml.Node | None:
        """The block's node, or None where the block was missing or empty and ``line`` has opened it."""
        top = self._top()
        if block not in top:
            self._append_block(block, f"  {line}\n")
            return None
        knode, vnode = top[block]
        if self._empty(vnode):
            self._open_empty(knode, vnode, f"  {line}\n")
            return None
        return vnode

    def _insert_after(self, node: yaml.Node, text: str) -> None:
        """``text`` as a line of its own after the line where ``node`` ends."""
        at = _line_after(self.text, _end(node))
        if at == len(self.text) and self.text and not self.text.endswith("\n"):
            self.text += "\n"
            at = len(self.text)
        self.text = self.text[:at] + text + self.text[at:]

    def set_entry(self, block: str, key: str, value: Any) -> None:
        line = f"{render(key)}: {render(value)}"
        vnode = self._existing_block(block, line)
        if vnode is None:
            return
        if not isinstance(vnode, yaml.MappingNode) or vnode.flow_style:
            raise ValueError(f"{block} is not a block mapping")
        for k, v in vnode.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                block_collection = isinstance(v, (yaml.MappingNode, yaml.SequenceNode)) and not v.flow_style
                if block_collection or (isinstance(v, yaml.ScalarNode) and v.style in ("|", ">")):
                    self._splice(k.end_mark.index, _end(v), f": {render(value)}")
                else:
                    start, end = v.start_mark.index, v.end_mark.index
                    self._splice(start, end, render(value) if end > start else f" {render(value)}")
                return
        indent = " " * vnode.value[0][0].start_mark.column
        self._insert_after(vnode.value[-1][1], f"{indent}{line}\n")

    def remove_entry(self, block: str, key: str) -> None:
        top = self._top()
        if block not in top:
            return
        _, vnode = top[block]
        if not isinstance(vnode, yaml.MappingNode):
            return
        if vnode.flow_style and vnode.value:
            raise ValueError(f"{block} is a flow mapping")
        for k, v in vnode.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                self._splice(_line_start(self.text, k.start_mark.index), _line_after(self.text, _end(v)), "", keep_newline=False)
                return

    def append_item(self, block: str, value: Any) -> None:
        line = f"- {render(value)}"
        vnode = self._existing_block(block, line)
        if vnode is None:
            return
        if not isinstance(vnode, yaml.SequenceNode) or vnode.flow_style:
            raise ValueError(f"{block} is not a block sequence")
        first = vnode.value[0]
        indent = " " * max(0, first.start_mark.column - 2)
        self._insert_after(vnode.value[-1], f"{indent}{line}\n")


class CaseFile:
    """One case file, its answers and notes as the interview keeps them, and how to save them."""

    def __init__(self, path: Path, doc: dict[str, Any], text: str | None):
        self.path = path
        self.doc = doc
        self.text = text  # the YAML text as last saved (None: a new file, or JSON)
        self._saved: dict[str, dict[str, Any]] = {b: dict(doc.get(b) or {}) for b in BLOCKS}
        self._saved_history = len(doc.get("history") or [])
        self.layout_lost = False

    # -- opening
    @classmethod
    def open(cls, path: Path, new: dict[str, Any] | None = None) -> CaseFile:
        """Read an existing case file, or start a new one from ``new`` (written at the first save)."""
        target = real_path(path)
        if not target.exists():
            if new is None:
                raise UsageError("no such file", Location(str(path)))
            doc = dict(new)
            doc.setdefault("answers", {})
            return cls(path, doc, None)
        doc = load_document(target)
        if not isinstance(doc, dict):
            raise InputError("a case file is a mapping (schema, edition, case_id, answers)", Location(str(path)))
        for block in BLOCKS:
            if doc.get(block) is None:
                doc[block] = {}
            elif not isinstance(doc[block], dict):
                raise InputError(f"{block} must be a mapping of question id -> value", Location(str(path)))
            else:  # ids YAML read as numbers (1.1) are the ids' text
                doc[block] = {str(k): v for k, v in doc[block].items()}
        if doc.get("history") is not None and not isinstance(doc["history"], list):
            raise InputError("history must be a list of changes", Location(str(path)))
        text = None if target.suffix.lower() == ".json" else target.read_text(encoding="utf-8")
        return cls(path, doc, text)

    @property
    def answers(self) -> dict[str, Any]:
        return self.doc.setdefault("answers", {})

    @property
    def notes(self) -> dict[str, str]:
        return self.doc.setdefault("notes", {})

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.doc.setdefault("history", [])

    def record(self, question: str, old: Any, new: Any, why: str) -> None:
        """A changed or cleared answer, kept in the file so the record shows how a judgement was reached."""
        self.history.append(
            {
                "at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "question": question,
                "old": old,
                "new": new,
                "why": why,
            }
        )

    # -- saving
    def save(self) -> None:
        target = real_path(self.path)
        mode = user_file_mode()  # a new case file is made as any file the inspector makes; an old one keeps its mode
        if target.suffix.lower() == ".json":
            atomic_write(target, json.dumps(self._plain(), indent=2, ensure_ascii=False, default=str) + "\n", new_mode=mode)
        else:
            text = self._edited() if self.text is not None else None
            if text is None:
                if self.text is not None:
                    self.layout_lost = True
                text = self._dump()
            atomic_write(target, text, new_mode=mode)
            self.text = text
        self._saved = {b: dict(self.doc.get(b) or {}) for b in BLOCKS}
        self._saved_history = len(self.doc.get("history") or [])

    def _plain(self) -> dict[str, Any]:
        doc = dict(self.doc)
        for key in ("notes", "history"):
            if not doc.get(key):
                doc.pop(key, None)
        return doc

    def _dump(self) -> str:
        return yaml.safe_dump(self._plain(), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)

    def _edited(self) -> str | None:
        """The saved text with this save's changes spliced in, or None if the result would not read back right."""
        assert self.text is not None
        t = _Text(self.text)
        try:
            for block in BLOCKS:
                now, before = self.doc.get(block) or {}, self._saved[block]
                for key in before:
                    if key not in now:
                        t.remove_entry(block, key)
                for key, value in now.items():
                    if key not in before or before[key] != value:
                        t.set_entry(block, key, value)
            for entry in (self.doc.get("history") or [])[self._saved_history :]:
                t.append_item("history", entry)
            back = yaml.safe_load(t.text)
        except (ValueError, yaml.YAMLError):
            return None
        if not isinstance(back, dict) or not _same(back, self._plain()):
            return None
        return t.text


def _same(read: dict[str, Any], meant: dict[str, Any]) -> bool:
    """The text read back holds what the interview meant to save (YAML may read ``yes`` as true, 1.1 as a number)."""

    def norm(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, (dt.date, dt.datetime)):
            return v.isoformat()
        return v

    for block in (*BLOCKS, "history"):
        if norm(read.get(block) or {}) != norm(meant.get(block) or {}):
            return False
    return True


def real_path(path: Path) -> Path:
    """The file a (possibly symlinked) path names: saving writes there, so a link stays a link."""
    return Path(os.path.realpath(path))


@contextmanager
def interview_lock(path: Path) -> Iterator[None]:
    """Hold a lock on a case file while an interview has it open; a second interview is refused.

    The lock is an advisory ``flock`` on a small file beside the case (the case file itself is replaced
    at every save, so it cannot carry the lock). The system releases it if the interview is killed.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Windows: interviews there are not locked
        yield
        return
    target = real_path(path)
    lock_path = target.parent / f".{target.name}.lock"
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise UsageError(f"cannot lock the case file: {exc.strerror}", Location(str(path))) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            os.close(fd)
            raise UsageError(
                "this case is open in another interview" + (f" ({holder})" if holder else ""),
                Location(str(path)),
                hint="finish or quit that interview first; a lock left by a closed one is released by itself",
            ) from None
        # the lock file may have been removed by an interview that just ended: lock the one on disk
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()}, since {started}".encode())
        yield
    finally:
        try:
            os.unlink(lock_path)
        except OSError:
            pass
        os.close(fd)
