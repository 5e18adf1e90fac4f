"""Old case files, rewritten for a newer edition or version: ``inspectkit migrate``.

An edition declares what it supersedes (another edition, or an earlier version of itself) with a map of
the ids that were renamed, split, merged or removed, each with its reason (``supersedes:`` in the
definition). Migrating a case applies that map and accounts for every answer: *carried* (same id, same
value), *transformed* (renamed, split, merged, or its code changed) or *not carried* (removed, no longer a
question, or refused by the new edition's own rules), each with the reason. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from inspectkit.errors import InputError, InspectkitError, Location, UsageError
from inspectkit.model import Framework, IdChange, Supersedes


@attrs.frozen
class Moved:
    """What became of one answer."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    value: Any
    how: str  # carried | renamed | split | merged | recoded | removed | not_a_question | refused | differ
    reason: str = ""

    @property
    def carried(self) -> bool:
        return self.how == "carried"

    @property
    def kept(self) -> bool:
        return bool(self.new)

    def to_dict(self) -> dict[str, Any]:
        return {"old": list(self.old), "new": list(self.new), "value": self.value, "how": self.how, "reason": self.reason}


@attrs.define
class Migration:
    """One case migrated: the new case and an account of every answer."""

    source: str
    case_id: str | None
    from_edition: str
    from_version: str | None
    to_edition: str
    to_version: str
    case: dict[str, Any]
    moves: list[Moved] = attrs.Factory(list)

    @property
    def carried(self) -> list[Moved]:
        return [m for m in self.moves if m.how == "carried"]

    @property
    def transformed(self) -> list[Moved]:
        return [m for m in self.moves if m.kept and m.how != "carried"]

    @property
    def not_carried(self) -> list[Moved]:
        return [m for m in self.moves if not m.kept]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "case_id": self.case_id,
            "from": {"edition": self.from_edition, "edition_version": self.from_version},
            "to": {"edition": self.to_edition, "edition_version": self.to_version},
            "carried": [m.to_dict() for m in self.carried],
            "transformed": [m.to_dict() for m in self.transformed],
            "not_carried": [m.to_dict() for m in self.not_carried],
        }


def parse_target(target: str) -> tuple[str, str | None]:
    """``EDITION[@VERSION]``."""
    edition, _, version = target.partition("@")
    return edition, (version or None)


def find_map(fw: Framework, edition: str, version: str | None) -> Supersedes | None:
    """The map from ``edition`` at ``version`` to ``fw`` (None: same edition and version, nothing to do)."""
    if edition == fw.edition and (version is None or version == fw.version):
        return None
    matches = [
        s for s in fw.supersedes if s.edition == edition and (s.version is None or version is None or s.version == version)
    ]
    exact = [s for s in matches if s.version == version]
    if exact:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    what = f"{edition} version {version}" if version else edition
    if not matches:
        known = ", ".join(f"{s.edition} {s.version or '(any version)'}" for s in fw.supersedes) or "nothing"
        raise UsageError(f"{fw.edition} {fw.version} does not say it supersedes {what} (it supersedes: {known})")
    versions = ", ".join(str(s.version) for s in matches)
    raise UsageError(
        f"the case does not say which version of {edition} it was written for, and {fw.edition} maps several ({versions})",
        hint="add edition_version: to the case file",
    )


def migrate_case(engine: Any, case: Mapping[str, Any], source: str = "") -> Migration:
    """Migrate one case document to ``engine``'s edition; every answer is accounted for."""
    fw: Framework = engine.framework
    old_edition = str(case.get("edition") or "")
    raw_version = case.get("edition_version")
    old_version = None if raw_version is None else str(raw_version)
    mapping = find_map(fw, old_edition, old_version)
    answers = dict(case.get("answers") or {})
    notes = dict(case.get("notes") or {})
    moves: list[Moved] = []
    new_answers: dict[str, Any] = {}
    new_notes: dict[str, Any] = {}
    by_old: dict[str, IdChange] = {}
    for change in mapping.changes if mapping else ():
        for old in change.old:
            by_old[old] = change
    done: set[str] = set()
    for qid, value in answers.items():
        qid = str(qid)
        if qid in done:
            continue
        change = by_old.get(qid)
        if change is None:
            new_answers[qid] = value
            moves.append(Moved((qid,), (qid,), value, "carried"))
            if qid in notes:
                new_notes[qid] = notes[qid]
            continue
        done.update(change.old)
        moves.append(_apply(change, answers, new_answers, notes, new_notes))
    new_case = _new_case(case, fw, new_answers, new_notes)
    moves = _refused(engine, new_case, moves)
    migration = Migration(
        source,
        str(case.get("case_id")) if case.get("case_id") is not None else None,
        old_edition,
        old_version,
        fw.edition,
        fw.version,
        new_case,
        moves,
    )
    return migration


def _apply(
    change: IdChange, answers: Mapping[str, Any], out: dict[str, Any], notes: Mapping[str, Any], out_notes: dict[str, Any]
) -> Moved:
    given = {o: answers[o] for o in change.old if o in answers}
    note = "; ".join(str(notes[o]) for o in change.old if notes.get(o))
    reason = change.reason
    if change.change == "removed" or not change.new:
        (value,) = given.values() if len(given) == 1 else (given,)
        return Moved(tuple(given), (), value, "removed", reason or "the new edition no longer asks it")
    if change.change == "merged":
        distinct = {_key(v) for v in given.values()}
        if len(distinct) > 1:
            shown = ", ".join(f"{o} = {v}" for o, v in given.items())
            return Moved(
                tuple(given),
                (),
                dict(given),
                "differ",
                f"merged into {change.new[0]}, but the answers differ ({shown}); answer {change.new[0]} afresh",
            )
    value = next(iter(given.values()))
    new_value = _recode(value, change.values)
    how = (
        change.change
        if new_value == value
        else ("recoded" if change.change == "renamed" and change.old == change.new else change.change)
    )
    for new in change.new:
        out[new] = new_value
        if note:
            out_notes[new] = note
    detail = reason
    if new_value != value:
        detail = f"{value!r} is now {new_value!r}" + (f"; {reason}" if reason else "")
    return Moved(tuple(given), change.new, new_value, how, detail)


def _key(value: Any) -> Any:
    return repr(value)


def _recode(value: Any, codes: Mapping[str, str]) -> Any:
    if not codes:
        return value
    if isinstance(value, list):
        return [codes.get(str(v), v) for v in value]
    if isinstance(value, dict):
        return {k: codes.get(str(v), v) for k, v in value.items()}
    if isinstance(value, bool):
        key = "yes" if value else "no"
        return codes.get(key, value)
    return codes.get(str(value), value)


def _new_case(case: Mapping[str, Any], fw: Framework, answers: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in case.items():
        if key == "edition":
            out["edition"] = fw.edition
            out["edition_version"] = fw.version
        elif key == "edition_version":
            continue
        elif key == "answers":
            out["answers"] = answers
        elif key == "notes":
            if notes:
                out["notes"] = notes
        else:
            out[key] = value
    out.setdefault("edition", fw.edition)
    out.setdefault("edition_version", fw.version)
    out.setdefault("answers", answers)
    return out


def _refused(engine: Any, case: dict[str, Any], moves: list[Moved]) -> list[Moved]:
    """Answers the new edition's own rules refuse come out of the case, listed with the rule's words."""
    for _ in range(3):  # an answer taken out may make another not applicable; a few rounds settle it
        result = engine.assess(case)
        refused = {str(m.question): m.message for m in result.errors if m.question is not None and m.question in case["answers"]}
        if not refused:
            break
        for qid, message in refused.items():
            value = case["answers"].pop(qid)
            (case.get("notes") or {}).pop(qid, None)
            for i, m in enumerate(moves):
                if qid in m.new:
                    rest = tuple(n for n in m.new if n != qid)
                    if rest:  # a split whose other parts stand: this part alone is refused
                        moves[i] = attrs.evolve(m, new=rest)
                        moves.append(Moved(m.old, (), value, "refused", f"{qid}: {message}"))
                    else:
                        moves[i] = attrs.evolve(m, new=(), how="refused", reason=message)
                    break
            else:
                moves.append(Moved((qid,), (), value, "refused", message))
    return moves


# --------------------------------------------------------------------------------------------- files


@attrs.define
class FileResult:
    """One case file migrated (or the error that stopped it), and where the new case was written."""

    path: Path
    migration: Migration | None = None
    error: InspectkitError | None = None
    written: Path | None = None


def migrate_files(engine: Any, paths: list[Path], output: Path | None = None, in_place: bool = False) -> list[FileResult]:
    """Migrate case files; write them to ``output`` (new files only) or over themselves (``in_place``), or not at all.

    Every target is checked before anything is written, so a refusal leaves every file as it was.
    """
    from inspectkit.files import atomic_write, iter_case_paths
    from inspectkit.loading import load_document

    if output is not None and in_place:
        raise UsageError("give -o FOLDER (new files) or --in-place (rewrite the originals), not both")
    results = []
    for path in iter_case_paths(list(paths)):
        if path.suffix.lower() == ".jsonl":
            results.append(
                FileResult(path, error=UsageError("migrate reads YAML or JSON case files, one case a file", Location(str(path))))
            )
            continue
        try:
            document = load_document(path)
            if not isinstance(document, dict):
                raise InputError("a case file holds one case: schema, edition, case_id, answers", Location(str(path)))
            results.append(FileResult(path, migrate_case(engine, document, str(path))))
        except InspectkitError as exc:
            results.append(FileResult(path, error=exc))
    targets = {}
    for r in results:
        if r.migration is None:
            continue
        target = r.path if in_place else (output / r.path.name if output is not None else None)
        if target is None:
            continue
        if not in_place and (target.exists() or target in targets.values()):
            raise UsageError(
                "already exists: migrate never overwrites a file (use --in-place to rewrite the originals)", Location(str(target))
            )
        targets[r.path] = target
    if output is not None and targets:
        output.mkdir(parents=True, exist_ok=True)
    for r in results:
        target = targets.get(r.path)
        if target is None or r.migration is None:
            continue
        atomic_write(target, render_case(r.migration.case, target))
        r.written = target
    return results


def render_case(case: Mapping[str, Any], path: Path) -> str:
    """A case document as text: JSON for a .json file, YAML otherwise, keys in the case's own order."""
    if path.suffix.lower() == ".json":
        import json

        return json.dumps(case, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump(dict(case), sort_keys=False, allow_unicode=True, width=100)
