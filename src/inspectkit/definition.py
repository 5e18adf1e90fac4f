"""Loading a framework definition (a plugin's YAML) into a checked :class:`~inspectkit.model.Framework`.

Every problem found is collected and reported together, each with the definition file, line and item id,
so a methodology team can fix a whole file in one pass (``inspectkit check FILE``).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from inspectkit.errors import DefinitionError, DefinitionErrors, ExpressionError, Location, suggestion
from inspectkit.expressions import Expression, Function, ReferenceList, Type, build
from inspectkit.files import _ORIGIN, LineDict
from inspectkit.model import (
    ANSWER_TYPES,
    KINDS,
    MET,
    NOT_MET,
    WEIGHTS,
    AggregateItem,
    AnswerType,
    Band,
    CaseScore,
    Category,
    Check,
    Choice,
    Count,
    Framework,
    IdChange,
    Item,
    Level,
    Matrix,
    Overall,
    Overriding,
    RatedItem,
    Ratings,
    Reference,
    SampleRule,
    Scale,
    Scoring,
    Supersedes,
)
from inspectkit.records import evolve

CHANGES = ("renamed", "split", "merged", "removed", "recoded")

TOP_KEYS = {
    "schema",
    "edition",
    "title",
    "version",
    "source",
    "evidence_for",
    "scales",
    "items",
    "checks",
    "sample",
    "scoring",
    "reference",
    "matrix",
    "include",
    "weights",
    "levels",
    "supersedes",
}
ITEM_KEYS = {
    "id",
    "parent",
    "level",
    "title",
    "text",
    "guidance",
    "kind",
    "type",
    "na",
    "personal",
    "weight",
    "condition",
    "derive",
    "suggest",
    "weighs",
    "overriding",
    "feeds",
    "source",
    "reading",
    "links",
    "choices",
    "choices_from",
    "scale",
    "max_choices",
    "min",
    "max",
    "integer",
    "max_words",
    "categories",
    "optional",
    "direction",
    "says",
}


# --------------------------------------------------------------------------------------------- building


class _Scope:
    """The ids a rule may read, and why an id it may not read is out of reach (rather than "unknown")."""

    def __init__(self, types: dict[str, Type], elsewhere: dict[str, str] | None = None):
        self.types = types
        self.elsewhere = elsewhere or {}

    def type_of(self, qid: str) -> Type | None:
        return self.types.get(qid)

    def ids(self) -> Iterable[str]:
        return self.types.keys()

    def why_unavailable(self, qid: str) -> str | None:
        return self.elsewhere.get(qid)


class _Builder:
    def __init__(self, data: LineDict, path: Path, functions: Mapping[str, Function], lists: Mapping[str, ReferenceList]):
        self.data = data
        self.path = str(path)
        self.functions = functions
        self.lists = lists
        self.errors: list[DefinitionError] = []
        self.entries: dict[str, LineDict] = {}

    # -- reporting
    def error(
        self, message: str, entry: Any = None, key: str | None = None, item: str | None = None, hint: str | None = None
    ) -> None:
        file = self.path
        line = None
        if isinstance(entry, LineDict):
            file = entry.get(_ORIGIN, self.path)
            line = entry.line_of(key) if key else entry.line
        self.errors.append(DefinitionError(message, Location(file, line, item), hint))

    def listed(self, entry: Any, key: str, item: str | None = None, what: str = "entries") -> list[Any]:
        """A list field: its entries, or none (and an error) when it is something else."""
        value = entry.get(key) if isinstance(entry, dict) else None
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{key} must be a list of {what}, not {_kind(value)}", entry, key, item)
            return []
        return value

    def flag(self, entry: Any, key: str, item: str | None, default: bool = False) -> bool:
        """A true/false field (a bare word such as "maybe" is not read as true)."""
        value = entry.get(key, default) if isinstance(entry, dict) else default
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(f"{key} must be true or false, not {_kind(value)} {value!r}"[:200], entry, key, item)
            return default
        return value

    def whole(self, entry: Any, key: str, item: str | None, least: int = 1) -> int | None:
        """A whole-number field of at least ``least``, or None (and an error) when it is something else."""
        value = entry.get(key) if isinstance(entry, dict) else None
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            self.error(f"{key} must be a whole number of {least} or more, not {value!r}"[:200], entry, key, item)
            return None
        return value

    def text(self, entry: LineDict, key: str, item: str | None, default: str = "") -> str:
        value = entry.get(key, default)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            self.error(f"{key} must be text", entry, key, item)
            return default
        return value.strip()

    def ids(self, entry: LineDict, key: str, item: str | None) -> tuple[str, ...]:
        value = entry.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(f"{key} must be a list of ids", entry, key, item)
            return ()
        out = []
        for v in value:
            if isinstance(v, (dict, list)) or v is None:
                self.error(f"{key}: an id is text, not {_kind(v)}", entry, key, item)
                continue
            if isinstance(v, float):
                written = self.as_written(entry, key, v)
                self.error(
                    f'{key}: write the id {written} in quotes ("{written}"), or YAML reads it as the number {v!r}',
                    entry,
                    key,
                    item,
                )
                v = written
            out.append(str(v))
        return tuple(out)

    def direction(self, entry: LineDict, item: str | None, codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """``direction:``: the favourable answer(s), or ``none`` for a neutral item; None when not declared."""
        if "direction" not in entry:
            return None
        raw = entry.get("direction")
        values = raw if isinstance(raw, list) else [raw]
        if raw == "none" or raw == []:
            return ()
        out = []
        for v in values:
            if v is None or isinstance(v, (dict, list)):
                self.error(
                    "direction: give the favourable answer(s) (yes, no, a code or a list of codes), or none for a neutral item",
                    entry,
                    "direction",
                    item,
                )
                return None
            code = "yes" if v is True else "no" if v is False else str(v)
            if codes is not None and code not in codes:
                self.error(
                    f"direction: {code!r} is not one of the answers ({', '.join(codes)})",
                    entry,
                    "direction",
                    item,
                    hint=suggestion(code, codes) or "write none for a neutral item",
                )
                return None
            out.append(code)
        return tuple(out)

    def as_written(self, entry: Any, key: str, value: float) -> str:
        """How a number YAML read was written in the file (``1.10``, which YAML reads as 1.1)."""
        import re

        if isinstance(entry, LineDict):
            file = entry.get(_ORIGIN, self.path)
            line = entry.line_of(key)
            text = _source_line(file, line)
            for token in re.findall(r"(?<![\w.])\d+(?:\.\d+)+(?![\w.])", text):
                try:
                    if float(token) == value:
                        return token
                except ValueError:
                    continue
        return repr(value)

    def expression(
        self, text: Any, scope: _Scope, entry: Any, key: str, item: str | None, expect: str | None = "bool"
    ) -> Expression | None:
        if text is None:
            return None
        if isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, str):
            self.error(f"{key} must be a rule written as text", entry, key, item)
            return None
        try:
            return build(text, scope, self.functions, self.lists, expect=expect)
        except ExpressionError as exc:
            self.error(f"{key}: {exc}", entry, key, item)
            return None

    # -- pieces
    def choices(self, raw: Any, entry: Any, key: str, item: str | None) -> tuple[Choice, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(f"{key} must be a non-empty list of choices", entry, key, item)
            return ()
        out: list[Choice] = []
        seen: set[str] = set()
        for c in raw:
            if isinstance(c, dict):
                code, label = c.get("code"), c.get("label")
            else:
                code, label = c, None
            if isinstance(code, bool) or code is None:
                self.error(f"{key}: a choice needs a code in quotes (YAML reads bare yes/no as true/false)", entry, key, item)
                continue
            code = str(code)
            if code in seen:
                self.error(f"{key}: choice {code!r} is listed twice", entry, key, item)
            seen.add(code)
            out.append(Choice(code, str(label) if label is not None else code.replace("_", " ").capitalize()))
        return tuple(out)

    def scales(self) -> dict[str, Scale]:
        raw = self.data.get("scales") or {}
        out: dict[str, Scale] = {}
        if not isinstance(raw, dict):
            self.error("scales must be a mapping of name -> choices", self.data, "scales")
            return out
        for name, spec in raw.items():
            if isinstance(spec, list):
                spec = {"choices": spec}
            if not isinstance(spec, dict):
                self.error(f"scale {name}: give choices (and ordered: true for an ordered scale)", raw, name)
                continue
            out[str(name)] = Scale(
                str(name),
                self.choices(spec.get("choices"), spec, "choices", f"scale {name}"),
                self.flag(spec, "ordered", f"scale {name}"),
            )
        return out

    def answer_type(self, entry: LineDict, qid: str, scales: dict[str, Scale]) -> AnswerType | None:
        kind = entry.get("kind")
        name = entry.get("type")
        if kind is None or kind == "reserved":
            if name is not None and kind is None:
                self.error(
                    "an item with a type needs a kind (case_detail, background, evidence, summary or inspection)",
                    entry,
                    "type",
                    qid,
                )
            return None
        if name is None:
            self.error("a question needs a type", entry, "kind", qid, hint=f"one of {', '.join(ANSWER_TYPES)}")
            return None
        if name not in ANSWER_TYPES:
            self.error(
                f"unknown type {name!r}",
                entry,
                "type",
                qid,
                hint=suggestion(str(name), ANSWER_TYPES) or f"one of {', '.join(ANSWER_TYPES)}",
            )
            return None
        choices: tuple[Choice, ...] = ()
        ordered = False
        scale_name = entry.get("scale")
        if scale_name is not None:
            scale = scales.get(str(scale_name))
            if scale is None:
                self.error(f"unknown scale {scale_name!r}", entry, "scale", qid, hint=suggestion(str(scale_name), scales))
            else:
                choices, ordered = scale.choices, scale.ordered
        elif entry.get("choices") is not None:
            choices = self.choices(entry.get("choices"), entry, "choices", qid)
        elif entry.get("choices_from") is not None:
            ref_list = self.lists.get(str(entry["choices_from"]))
            if ref_list is None:
                self.error(
                    f"unknown reference list {entry['choices_from']!r}",
                    entry,
                    "choices_from",
                    qid,
                    hint=suggestion(str(entry["choices_from"]), self.lists) or "is the plugin that provides it installed?",
                )
            else:
                choices = tuple(Choice(code, label) for code, label, _ in ref_list.entries)
        if name in ("choice", "multi", "rating", "per_category") and not choices:
            if not any(e.location.item == qid for e in self.errors):
                self.error(f"a {name} question needs choices or a scale", entry, "type", qid)
        if name == "rating" and not ordered:
            self.error("a rating needs an ordered scale", entry, "scale", qid)
        categories: list[Category] = []
        if name == "per_category":
            raw = entry.get("categories")
            if not isinstance(raw, list) or not raw:
                self.error("a per_category question needs categories", entry, "type", qid)
            else:
                for c in raw:
                    if not isinstance(c, dict) or "code" not in c:
                        self.error("each category needs a code", entry, "categories", qid)
                        continue
                    categories.append(
                        Category(str(c["code"]), self.text(c, "label", qid) or str(c["code"]), None, self.flag(c, "na", qid))
                    )

        def num(key: str) -> float | None:
            v = entry.get(key)
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                self.error(f"{key} must be a number", entry, key, qid)
                return None
            return v

        max_choices = entry.get("max_choices")
        if max_choices is not None and (not isinstance(max_choices, int) or max_choices < 1):
            self.error("max_choices must be a whole number of 1 or more", entry, "max_choices", qid)
            max_choices = None
        return AnswerType(
            name=name,
            choices=choices,
            ordered=ordered,
            na=self.flag(entry, "na", qid),
            max_choices=max_choices,
            minimum=num("min"),
            maximum=num("max"),
            integer=self.flag(entry, "integer", qid),
            max_words=self.whole(entry, "max_words", qid),
            categories=tuple(categories),
            scale=str(scale_name) if scale_name is not None else None,
        )

    # -- the whole framework
    def build(self, plugin: str, plugin_version: str) -> Framework:
        data = self.data
        for key in data:
            if key not in TOP_KEYS and key != _ORIGIN:
                self.error(
                    f"unknown key {key!r}",
                    data,
                    key,
                    hint=suggestion(str(key), TOP_KEYS) or f"allowed: {', '.join(sorted(TOP_KEYS))}",
                )
        if data.get("schema") != 1:
            self.error(f"schema must be 1, not {data.get('schema')!r}", data, "schema")
        edition = data.get("edition")
        if not isinstance(edition, str) or not edition:
            self.error("edition (the framework id) is required", data, "edition")
            edition = "?"
        scales = self.scales()

        raw_items = data.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            self.error("items must be a non-empty list", data, "items")
            raw_items = []
        entries: dict[str, LineDict] = {}
        self.entries = entries
        types: dict[str, Type] = {}
        answer_types: dict[str, AnswerType | None] = {}
        for entry in raw_items:
            if not isinstance(entry, LineDict):
                self.error("each item is a mapping with at least an id", data, "items")
                continue
            raw_id = entry.get("id")
            if raw_id is None:
                self.error("an item needs an id", entry)
                continue
            if isinstance(raw_id, float):
                written = self.as_written(entry, "id", raw_id)
                self.error(
                    f'write the id {written} in quotes (id: "{written}"), or YAML reads it as the number {raw_id!r}',
                    entry,
                    "id",
                    written,
                )
                raw_id = written
            qid = str(raw_id)
            if qid in entries:
                first = entries[qid]
                where = f"{Path(first.get(_ORIGIN, self.path)).name}:{first.line}"
                self.error("id used twice", entry, "id", qid, hint=f"first at {where}")
                continue
            for key in entry:
                if key not in ITEM_KEYS and key != _ORIGIN:
                    self.error(f"unknown field {key!r}", entry, key, qid, hint=suggestion(str(key), ITEM_KEYS))
            kind = entry.get("kind")
            if kind is not None and kind not in KINDS:
                self.error(
                    f"unknown kind {kind!r}",
                    entry,
                    "kind",
                    qid,
                    hint=suggestion(str(kind), KINDS) or f"one of {', '.join(KINDS)}",
                )
            weight = entry.get("weight")
            if weight is not None and weight not in WEIGHTS:
                self.error(f"weight must be one of {', '.join(WEIGHTS)}", entry, "weight", qid)
            entries[qid] = entry
            # a mistyped kind is reported once, above; the item stays a question so rules that read it do not
            # cascade into "unknown id" errors
            at = self.answer_type(entry, qid, scales) if kind is not None else None
            answer_types[qid] = at
            if at is not None:
                types[qid] = at.static_type(qid)

        scoring_raw = data.get("scoring") or LineDict()
        if not isinstance(scoring_raw, dict):
            self.error("scoring must be a mapping", data, "scoring")
            scoring_raw = LineDict()
        score_entries = self.listed(scoring_raw, "case_scores", None, "case scores")
        for s in score_entries if isinstance(score_entries, list) else []:
            if isinstance(s, dict) and s.get("id") is not None:
                sid = str(s["id"])
                types.setdefault(sid, Type("text", codes=frozenset({MET, NOT_MET}), label=f"{sid} (met/not_met)"))

        case_ids = {qid for qid, e in entries.items() if e.get("kind") not in (None, "inspection", "reserved")}
        case_types = {k: v for k, v in types.items() if k in case_ids or k not in entries}
        inspection_types = {k: v for k, v in types.items() if entries.get(k, {}).get("kind") == "inspection"}
        per_inspection = "is answered once per inspection, so a rule about one case cannot read it"
        per_case = "is answered case by case, so a rule about the inspection cannot read it"
        case_scope = _Scope(case_types, {k: per_inspection for k in inspection_types})
        inspection_scope = _Scope(inspection_types, {k: per_case for k in case_types})
        all_scope = _Scope(types)

        def expr(
            text: Any, entry: Any, key: str, item: str | None, expect: str | None = "bool", scope: _Scope = case_scope
        ) -> Expression | None:
            return self.expression(text, scope, entry, key, item, expect)

        children: dict[str, list[str]] = collections.defaultdict(list)
        items: dict[str, Item] = {}
        for qid, entry in entries.items():
            parent = entry.get("parent")
            if parent is not None:
                parent = str(parent)
                if parent not in entries:
                    self.error(f"parent {parent!r} is not an item", entry, "parent", qid, hint=suggestion(parent, entries))
                    parent = None
                else:
                    children[parent].append(qid)
            kind = entry.get("kind")
            at = answer_types.get(qid)
            scope_for = inspection_scope if kind == "inspection" else case_scope
            condition = expr(entry.get("condition"), entry, "condition", qid, scope=scope_for)
            derive = expr(entry.get("derive"), entry, "derive", qid, expect=None, scope=scope_for)
            suggest = expr(entry.get("suggest"), entry, "suggest", qid, expect=None, scope=scope_for)
            for key, e in (("derive", derive), ("suggest", suggest)):
                if e is not None and at is not None:
                    self.check_fits(e, at, entry, key, qid)
            overriding = []
            for o in self.listed(entry, "overriding", qid, "overriding factors (when: and message:)"):
                if not isinstance(o, dict) or "when" not in o:
                    self.error("each overriding factor needs when: and message:", entry, "overriding", qid)
                    continue
                w = expr(o.get("when"), o, "when", qid)
                if w is not None:
                    overriding.append(Overriding(w, self.text(o, "message", None), self.text(o, "source", None)))
            if at is not None and at.categories and isinstance(entry.get("categories"), list):
                cats = []
                for raw_cat, cat in zip(entry["categories"], at.categories, strict=False):
                    cond = (
                        expr(raw_cat.get("condition"), raw_cat, "condition", f"{qid}.{cat.code}")
                        if isinstance(raw_cat, dict)
                        else None
                    )
                    cats.append(Category(cat.code, cat.label, cond, cat.na))
                at = evolve(at, categories=tuple(cats))
            if kind == "summary" and at is not None and at.name != "yes_no" and not at.codes:
                self.error("a summary judgement needs yes/no or choices", entry, "type", qid)
            items[qid] = Item(
                id=qid,
                parent=parent,
                level=self.text(entry, "level", qid),
                title=self.text(entry, "title", qid),
                text=self.text(entry, "text", qid),
                guidance=self.text(entry, "guidance", qid),
                kind=kind if kind in KINDS else None,
                answer=at,
                personal=self.flag(entry, "personal", qid),
                optional=self.flag(entry, "optional", qid),
                weight=entry.get("weight") if entry.get("weight") in WEIGHTS else None,
                condition=condition,
                derive=derive,
                suggest=suggest,
                weighs=self.ids(entry, "weighs", qid),
                overriding=tuple(overriding),
                feeds=self.ids(entry, "feeds", qid),
                source=self.text(entry, "source", qid),
                reading=self.text(entry, "reading", qid),
                links=self.ids(entry, "links", qid),
                direction=self._item_direction(entry, qid, at),
                says=self._says(entry, qid),
                line=entry.line,
                file=entry.get(_ORIGIN, self.path),
            )
        for qid in self.parent_cycles(items, entries):  # each cycle is broken where it is reported
            parent = items[qid].parent
            items[qid] = evolve(items[qid], parent=None)
            children[parent].remove(qid)  # type: ignore[index]
        for qid, kids in children.items():
            items[qid] = evolve(items[qid], children=tuple(kids))
        for qid, item in items.items():
            entry = entries[qid]
            for w in item.weighs:
                if w not in items:
                    self.error(f"weighs: unknown id {w!r}", entry, "weighs", qid, hint=suggestion(w, items))
            for link in item.links:
                if link not in items:
                    self.error(f"links: unknown id {link!r}", entry, "links", qid, hint=suggestion(link, items))
            if item.kind == "summary" and not item.weighs and item.parent is None:
                self.error("a summary judgement needs a parent or weighs: to know what it weighs", entry, "kind", qid)
            if item.derive is not None and item.suggest is not None:
                self.error("a question is either derived or suggested, not both", entry, "derive", qid)

        checks = self.checks(all_scope)
        sample = self.sample(case_scope)
        scoring = self.scoring(scoring_raw, items, case_scope, inspection_scope, scales)
        self.directions(items, scoring)
        self.cycles(items, scoring)

        reference = []
        for r in self.listed(data, "reference", None, "reference entries (id, title, text)"):
            if not isinstance(r, dict) or "id" not in r:
                self.error("each reference entry needs id, title and text", data, "reference")
                continue
            reference.append(Reference(str(r["id"]), self.text(r, "title", None), self.text(r, "text", None)))
        source = data.get("source") or {}
        if isinstance(source, str):
            source = {"document": source}
        evidence_for = data.get("evidence_for")
        if evidence_for is not None and not isinstance(evidence_for, str):
            self.error(f"evidence_for names one edition, not {_kind(evidence_for)}", data, "evidence_for")
            evidence_for = None
        weights = data.get("weights") or {}
        if not isinstance(weights, dict) or any(k not in WEIGHTS for k in weights):
            self.error(f"weights names how to show {' and '.join(WEIGHTS)} (for example primary: linked)", data, "weights")
            weights = {}
        return Framework(
            edition=str(edition),
            title=self.text(data, "title", None) or str(edition),
            version=self.text(data, "version", None) or "0",
            items=items,
            scales=scales,
            checks=checks,
            sample=sample,
            scoring=scoring,
            reference=tuple(reference),
            source={str(k): str(v) for k, v in source.items() if k != _ORIGIN} if isinstance(source, dict) else {},
            evidence_for=str(evidence_for) if evidence_for else None,
            matrix=self.matrix(items),
            weight_labels={str(k): str(v) for k, v in weights.items() if k != _ORIGIN},
            levels=self.levels(items),
            supersedes=self.supersedes(items, str(edition)),
            path=self.path,
            plugin=plugin,
            plugin_version=plugin_version,
        )

    def parent_cycles(self, items: dict[str, Item], entries: dict[str, LineDict]) -> list[str]:
        """Items whose parents lead back to themselves: each cycle reported once, at the item that closes it."""
        done: set[str] = set()
        closing = []
        for start in items:
            path: list[str] = []
            on_path: set[str] = set()
            qid: str | None = start
            while qid is not None and qid not in done:
                if qid in on_path:
                    loop = path[path.index(qid) :]
                    last = loop[-1]
                    shown = " -> ".join([*loop, qid])
                    self.error(f"parent: the parents form a cycle ({shown})", entries[last], "parent", last)
                    closing.append(last)
                    break
                path.append(qid)
                on_path.add(qid)
                qid = items[qid].parent
            done.update(path)
        return closing

    def _says(self, entry: LineDict, qid: str) -> str:
        says = self.text(entry, "says", qid)
        if says and entry.get("suggest") is None and entry.get("derive") is None:
            self.error("says: puts a suggest: or derive: rule in plain words; this item has neither", entry, "says", qid)
        return says

    def _item_direction(self, entry: LineDict, qid: str, at: AnswerType | None) -> tuple[str, ...] | None:
        if "direction" in entry and (at is None or not at.codes):
            what = "a question answered with codes" if at is not None else "a question"
            self.error(f"direction is declared on {what} only: it says which answer is favourable", entry, "direction", qid)
            return None
        return self.direction(entry, qid, at.codes if at is not None else None)

    def directions(self, items: dict[str, Item], scoring: Scoring) -> None:
        """A declared direction must be read by something rate counts, and a neutral item never rated or scored."""
        counted = {s.source for s in scoring.items} | {m for cs in scoring.case_scores for m in cs.of}
        for item in items.values():
            if item.direction is None:
                continue
            entry_at = (item.file, item.line)
            aggregated = item.per_case and item.kind in scoring.aggregate_kinds
            if not (aggregated or item.feeds or item.id in counted):
                self._error_at(
                    "direction is declared, but rate does not count this question (not of an aggregated kind, fed"
                    " to an item, or read by a case score)",
                    entry_at,
                    item.id,
                )
            if item.neutral and not (scoring.sufficient & set(item.answer.codes)):  # type: ignore[union-attr]
                shown = ", ".join(sorted(scoring.sufficient))
                self._error_at(
                    f"direction: none reports the share of cases answering {shown}, which is not one of its answers",
                    entry_at,
                    item.id,
                )
        neutral = {i.id for i in items.values() if i.neutral} | {a.id for a in scoring.items if a.neutral}
        for cs in scoring.case_scores:
            for m in cs.of:
                if m in neutral:
                    self._error_at(
                        f"case score {cs.id} reads {m}, whose direction is none: a neutral answer cannot make it met",
                        (None, cs.line),
                        cs.id,
                    )
        if scoring.ratings is not None:
            for rated in scoring.ratings.rated:
                for o in rated.of:
                    if o in neutral:
                        self._error_at(
                            f"{rated.id} is rated from {o}, whose direction is none: a proportion with no favourable"
                            " answer cannot be banded into a rating",
                            (None, None),
                            rated.id,
                        )

    def _error_at(self, message: str, at: tuple[str | None, int | None], item: str | None) -> None:
        self.errors.append(DefinitionError(message, Location(at[0] or self.path, at[1], item)))

    def levels(self, items: dict[str, Item]) -> dict[str, Level]:
        """``levels:``: the document's word for each level; once declared, every item's level must be in it."""
        raw = self.data.get("levels")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error("levels must map each level to its name (key_question: key question)", self.data, "levels")
            return {}
        out: dict[str, Level] = {}
        for level, spec in raw.items():
            if level == _ORIGIN:
                continue
            if isinstance(spec, str) and spec.strip():
                out[str(level)] = Level(spec.strip(), spec.strip() + "s")
            elif isinstance(spec, dict) and isinstance(spec.get("name"), str) and spec["name"].strip():
                name = spec["name"].strip()
                plural = spec.get("plural")
                out[str(level)] = Level(name, plural.strip() if isinstance(plural, str) and plural.strip() else name + "s")
            else:
                self.error(
                    f"levels: {level}: give its name, or {{name: ..., plural: ...}}",
                    raw,
                    level,
                    f"level {level}",
                )
        for item in items.values():
            if item.level and item.level not in out:
                entry = self.data_entry(item)
                self.error(
                    f"level {item.level!r} has no name in levels:",
                    entry,
                    "level",
                    item.id,
                    hint=suggestion(item.level, out) or f"add {item.level}: {{name: ..., plural: ...}} to levels:",
                )
                out[item.level] = Level(item.level, item.level)  # reported once
        return out

    def supersedes(self, items: dict[str, Item], edition: str) -> tuple[Supersedes, ...]:
        """``supersedes:``: the editions or earlier versions this one replaces, with a map of changed ids."""
        raw = self.data.get("supersedes")
        if raw is None:
            return ()
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list):
            self.error("supersedes must be a list of {edition, version, changes}", self.data, "supersedes")
            return ()
        out = []
        for entry in raw:
            if not isinstance(entry, LineDict) or not isinstance(entry.get("edition"), str):
                self.error("each supersedes entry needs edition (and version, changes)", self.data, "supersedes")
                continue
            version = entry.get("version")
            version = None if version is None else str(version)
            seen: set[str] = set()
            changes = []
            for c in entry.get("changes") or []:
                change = self.id_change(c, entry, items, edition, seen, str(entry["edition"]) == edition)
                if change is not None:
                    changes.append(change)
            out.append(Supersedes(str(entry["edition"]), version, tuple(changes), entry.line))
        return tuple(out)

    def id_change(
        self, c: Any, entry: LineDict, items: dict[str, Item], edition: str, seen: set[str], same_edition: bool = False
    ) -> IdChange | None:
        if not isinstance(c, LineDict):
            self.error("each change is {old, new, change, reason}", entry, "changes")
            return None
        kind = c.get("change")
        old = self.ids(c, "old", None)
        new = self.ids(c, "new", None)
        if kind not in CHANGES:
            self.error(
                f"change must be one of {', '.join(CHANGES)}, not {kind!r}", c, "change", hint=suggestion(str(kind), CHANGES)
            )
            return None
        shape = {
            "renamed": len(old) == 1 and len(new) == 1,
            "split": len(old) == 1 and len(new) >= 2,
            "merged": len(old) >= 2 and len(new) == 1,
            "removed": len(old) >= 1 and not new,
            "recoded": len(old) == 1 and new == old,
        }[kind]
        if not shape:
            wants = {
                "renamed": "one old id and one new id",
                "split": "one old id and two or more new ids",
                "merged": "two or more old ids and one new id",
                "removed": "old ids and no new id",
                "recoded": "the same id as old and new, with values:",
            }[kind]
            self.error(f"a {kind} change takes {wants}", c, "change", ", ".join(old) or None)
        for o in old:
            if o in seen:
                self.error(f"supersedes: {o} is mapped twice", c, "old", o)
            seen.add(o)
            if same_edition and o not in new and o in items and items[o].is_question:
                self.error(
                    f"supersedes: {o} is {kind}, but {edition} still has a question {o}",
                    c,
                    "old",
                    o,
                    hint="remove the question, or the change",
                )
        for n in new:
            if n not in items or not items[n].is_question:
                self.error(
                    f"supersedes: {n} is not a question in {edition}",
                    c,
                    "new",
                    n,
                    hint=suggestion(n, [i for i in items if items[i].is_question]),
                )
        values = c.get("values") or {}
        if not isinstance(values, dict):
            self.error("values maps each old code to its new code", c, "values")
            values = {}
        codes = {code for n in new if n in items and items[n].answer for code in items[n].answer.codes} | {"n/a"}
        for v in values.values():
            if new and str(v) not in codes:
                self.error(f"values: {v!r} is not one of {', '.join(new)}'s answers", c, "values", new[0])
        if kind == "recoded" and not values:
            self.error("a recoded change needs values: {old_code: new_code}", c, "change", old[0] if old else None)
        return IdChange(
            old,
            new,
            str(kind),
            str(c.get("reason") or "").strip(),
            {("yes" if k is True else "no" if k is False else str(k)): str(v) for k, v in values.items() if k != _ORIGIN},
        )

    def data_entry(self, item: Item) -> Any:
        return self.entries.get(item.id)

    def check_fits(self, e: Expression, at: AnswerType, entry: Any, key: str, qid: str) -> None:
        t = e.tree.type
        if at.name == "yes_no" and (t.kind == "bool" or t.truthy):
            return
        if at.name in ("yes_no", "choice", "rating") and t.kind == "text":
            if t.codes is not None:
                allowed = set(at.codes) | ({"n/a"} if at.na else set())
                bad = sorted(t.codes - allowed)
                if bad:
                    self.error(f"{key} can give {bad[0]!r}, which is not one of {qid}'s choices", entry, key, qid)
            return
        if at.name in ("number", "months") and t.kind == "number":
            return
        if at.name == "date" and t.kind == "date":
            return
        if at.name == "text" and t.kind == "text":
            return
        if t.kind == "any":
            return
        self.error(f"{key} gives {t.describe()}, but {qid} is answered as {at.describe()}", entry, key, qid)

    def checks(self, scope: _Scope) -> tuple[Check, ...]:
        out = []
        for c in self.listed(self.data, "checks", None, "checks (id, when, message)"):
            if not isinstance(c, LineDict) or "id" not in c or "when" not in c:
                self.error(
                    "each check needs id, when and message",
                    c if isinstance(c, LineDict) else self.data,
                    None if isinstance(c, LineDict) else "checks",
                )
                continue
            cid = str(c["id"])
            severity = c.get("severity", "warning")
            if severity not in ("warning", "error"):
                self.error("severity must be warning or error", c, "severity", cid)
            question = c.get("question")
            if question is not None and scope.type_of(str(question)) is None:
                self.error(
                    f"question {question!r} is not a question", c, "question", cid, hint=suggestion(str(question), scope.ids())
                )
            when = self.expression(c["when"], scope, c, "when", cid)
            if when is not None:
                out.append(
                    Check(
                        cid,
                        when,
                        self.text(c, "message", cid) or cid,
                        severity,
                        str(question) if question is not None else None,
                        self.text(c, "source", None),
                        c.line,
                        self.text(c, "reading", None),
                    )
                )
        return tuple(out)

    def sample(self, scope: _Scope) -> tuple[SampleRule, ...]:
        out = []
        for s in self.listed(self.data, "sample", None, "sample rules (id, exclude_when, reason)"):
            if not isinstance(s, LineDict) or "id" not in s or "exclude_when" not in s:
                self.error(
                    "each sample rule needs id, exclude_when and reason",
                    s if isinstance(s, LineDict) else self.data,
                    None if isinstance(s, LineDict) else "sample",
                )
                continue
            when = self.expression(s["exclude_when"], scope, s, "exclude_when", str(s["id"]))
            if when is not None:
                out.append(
                    SampleRule(
                        str(s["id"]), when, self.text(s, "reason", None) or str(s["id"]), self.text(s, "source", None), s.line
                    )
                )
        return tuple(out)

    def bands(
        self,
        raw: Any,
        entry: Any,
        key: str,
        codes: set[str] | None,
        codes_order: tuple[str, ...] | None = None,
        floor: Fraction = Fraction(0),
        ceiling: Fraction | None = Fraction(100),
    ) -> tuple[Band, ...]:
        out = []
        if not isinstance(raw, list) or not raw:
            self.error(f"{key} must be a list of {{min, rating}}", entry, key)
            return ()
        for b in raw:
            if not isinstance(b, dict) or "min" not in b or "rating" not in b:
                self.error(f"{key}: each band needs min and rating", entry, key)
                continue
            if not isinstance(b["rating"], str):
                self.error(f"{key}: a band's rating is a code on the rating scale, not {_kind(b['rating'])}", b, "rating")
                continue
            if codes is not None and b["rating"] not in codes:
                self.error(
                    f"{key}: {b['rating']!r} is not on the rating scale", b, "rating", hint=suggestion(str(b["rating"]), codes)
                )
            try:
                minimum = Fraction(str(b["min"]))
            except (ValueError, ZeroDivisionError):
                self.error(f"{key}: min must be a number, not {b['min']!r}", b, "min")
                continue
            out.append(Band(minimum, str(b["rating"])))
        out.sort(key=lambda band: band.minimum, reverse=True)
        self.band_coverage(out, entry, key, codes_order, floor, ceiling)
        return tuple(out)

    def band_coverage(
        self,
        bands: list[Band],
        entry: Any,
        key: str,
        order: tuple[str, ...] | None,
        floor: Fraction,
        ceiling: Fraction | None,
    ) -> None:
        """Bands must cover every value once: no gap below the lowest, no two from the same point, in scale order."""
        if not bands:
            return
        seen: dict[Fraction, str] = {}
        for b in bands:
            if b.minimum in seen:
                self.error(
                    f"{key}: {seen[b.minimum]} and {b.rating} both start at {_num(b.minimum)} (the bands overlap)", entry, key
                )
            seen[b.minimum] = b.rating
        lowest = bands[-1].minimum
        if lowest > floor:
            self.error(
                f"{key}: nothing below {_num(lowest)} has a rating (the bands leave a gap)",
                entry,
                key,
                hint=f"give the lowest band min: {_num(floor)}",
            )
        if ceiling is not None and bands[0].minimum > ceiling:
            self.error(
                f"{key}: the band {bands[0].rating} starts at {_num(bands[0].minimum)}, above the most possible ({_num(ceiling)})",
                entry,
                key,
            )
        if order:
            rank = {code: i for i, code in enumerate(order)}
            ranked = [b for b in bands if b.rating in rank]
            for higher, lower in zip(ranked, ranked[1:], strict=False):
                if rank[higher.rating] < rank[lower.rating]:
                    self.error(
                        f"{key}: {higher.rating} from {_num(higher.minimum)} is above {lower.rating} from "
                        f"{_num(lower.minimum)}, but the scale puts {lower.rating} higher",
                        entry,
                        key,
                    )

    def scoring(
        self, raw: Any, items: dict[str, Item], case_scope: _Scope, inspection_scope: _Scope, scales: dict[str, Scale]
    ) -> Scoring:
        sufficient = raw.get("sufficient", ["yes"])
        if not isinstance(sufficient, (list, str, bool)) or (
            isinstance(sufficient, list) and not all(isinstance(v, (str, bool, int)) for v in sufficient)
        ):
            self.error("sufficient must be a list of answer codes", raw, "sufficient")
            sufficient = ["yes"]
        sufficient = frozenset(
            "yes" if s is True else "no" if s is False else str(s)
            for s in (sufficient if isinstance(sufficient, list) else [sufficient])
        )
        kinds_raw = raw.get("aggregate_kinds", ["summary"])
        if isinstance(kinds_raw, str):
            kinds_raw = [kinds_raw]
        if not isinstance(kinds_raw, list):
            self.error(f"aggregate_kinds must be a list of kinds, not {_kind(kinds_raw)}", raw, "aggregate_kinds")
            kinds_raw = ["summary"]
        kinds = tuple(str(k) for k in kinds_raw)
        case_scores = []
        score_ids: set[str] = set()
        for s in self.listed(raw, "case_scores", None, "case scores"):
            if not isinstance(s, dict) or "id" not in s:
                self.error("each case score needs id, rule and of", raw, "case_scores")
                continue
            sid = str(s["id"])
            rule = s.get("rule", "all_met")
            if rule != "all_met":
                self.error(f"unknown case score rule {rule!r} (known: all_met)", s, "rule", sid)
            of = s.get("of", "children")
            if of == "children":
                if sid not in items:
                    self.error("of: children needs the case score's id to be an item", s, "of", sid)
                    of = ()
                else:
                    of = items[sid].children
            else:
                of = self.ids(s, "of", sid)
            judgement = s.get("judgement")
            if judgement is not None and str(judgement) not in items:
                self.error(f"judgement {judgement!r} is not a question", s, "judgement", sid)
            case_scores.append(
                CaseScore(
                    sid,
                    rule,
                    tuple(of),
                    self.text(s, "title", None),
                    str(judgement) if judgement is not None else None,
                    self.text(s, "reading", None),
                    getattr(s, "line", None),
                )
            )
            score_ids.add(sid)
        raw_scores = {str(s["id"]): s for s in self.listed(raw, "case_scores") if isinstance(s, dict) and "id" in s}
        for cs in case_scores:
            for o in cs.of:
                if o not in items and o not in score_ids:
                    self.error(
                        f"of: unknown id {o!r}",
                        raw_scores.get(cs.id, raw),
                        "of" if cs.id in raw_scores else "case_scores",
                        cs.id,
                        hint=suggestion(o, list(items) + list(score_ids)),
                    )
        for k in kinds:
            if k not in KINDS:
                self.error(f"aggregate_kinds: unknown kind {k!r}", raw, "aggregate_kinds", hint=suggestion(str(k), KINDS))
        agg = []
        for a in self.listed(raw, "items", None, "aggregated items (id, from)"):
            if not isinstance(a, dict) or "id" not in a or "from" not in a:
                self.error("each aggregated item needs id and from", raw, "items")
                continue
            src = str(a["from"])
            if src not in items and src not in score_ids:
                self.error(f"from: unknown id {src!r}", a, "from", str(a["id"]), hint=suggestion(src, items))
            suff = a.get("sufficient")
            suff_set = frozenset(("yes" if s is True else str(s)) for s in suff) if isinstance(suff, list) else sufficient | {MET}
            src_item = items.get(src)
            neutral = bool(src_item is not None and src_item.neutral)
            if src_item is not None and src_item.direction and not isinstance(suff, list):
                suff_set = frozenset(src_item.direction)
            if "direction" in a:
                if suff is not None:
                    self.error("give direction or sufficient, not both", a, "direction", str(a["id"]))
                codes = src_item.answer.codes if src_item is not None and src_item.answer is not None else None
                declared = self.direction(a, str(a["id"]), codes if src not in score_ids else (MET, NOT_MET))
                if declared is not None:
                    neutral = declared == ()
                    suff_set = sufficient | {MET} if neutral else frozenset(declared)
            agg.append(
                AggregateItem(str(a["id"]), src, self.text(a, "title", None), suff_set, self.text(a, "reading", None), neutral)
            )
        counts = []
        for c in self.listed(raw, "counts", None, "counts (id, of)"):
            if not isinstance(c, dict) or "id" not in c:
                self.error("each count needs id and of", raw, "counts")
                continue
            of = self.ids(c, "of", str(c["id"]))
            for o in of:
                if o not in items:
                    self.error(f"counts: unknown id {o!r}", c, "of", str(c["id"]), hint=suggestion(o, items))
            counts.append(Count(str(c["id"]), of, self.text(c, "title", None)))
        ratings = None
        r = raw.get("ratings")
        if r is not None:
            aggregated = set(items) | score_ids | {a.id for a in agg}
            ratings = self.ratings(r, items, inspection_scope, scales, aggregated)
        return Scoring(sufficient, kinds, tuple(case_scores), tuple(agg), tuple(counts), ratings)

    def ratings(
        self, r: Any, items: dict[str, Item], scope: _Scope, scales: dict[str, Scale], aggregated: set[str]
    ) -> Ratings | None:
        if not isinstance(r, dict):
            self.error("ratings must be a mapping", r)
            return None
        scale = scales.get(str(r.get("scale")))
        order: tuple[str, ...] | None = None
        if scale is None:
            self.error(f"ratings: unknown scale {r.get('scale')!r}", r, "scale", hint=suggestion(str(r.get("scale")), scales))
            codes: set[str] | None = None
        else:
            codes = set(scale.codes)
            order = scale.codes if scale.ordered else None
            if not scale.ordered:
                self.error(f"ratings: the scale {scale.name!r} must be ordered (ordered: true), lowest first", r, "scale")
        bands = self.bands(r.get("bands"), r, "bands", codes, order)
        rated = []
        for entry in self.listed(r, "rated", None, "rated items (id, rule)"):
            if not isinstance(entry, dict) or "id" not in entry:
                self.error("each rated item needs id and rule", r, "rated")
                continue
            rid = str(entry["id"])
            if rid not in items:
                self.error(f"rated: unknown id {rid!r}", entry, "id", rid, hint=suggestion(rid, items))
            of_ids = self.ids(entry, "of", rid)
            for o in of_ids:
                if o not in aggregated:
                    self.error(
                        f"of: unknown id {o!r}: not an item, case score or aggregated item",
                        entry,
                        "of",
                        rid,
                        hint=suggestion(o, aggregated),
                    )
            rule = entry.get("rule", "lowest")
            if rule not in ("lowest", "inspection"):
                self.error(f"unknown rating rule {rule!r} (known: lowest, inspection)", entry, "rule", rid)
            answer = entry.get("answer")
            if rule == "inspection":
                answer = str(answer if answer is not None else rid)
                if answer not in items or items[answer].kind != "inspection":
                    self.error(f"answer {answer!r} is not an inspection-level question", entry, "answer", rid)
            when = self.expression(entry.get("when"), scope, entry, "when", rid)
            title = items[rid].title if rid in items else ""
            rated.append(RatedItem(rid, rule, of_ids, answer, when, title))
        overall = None
        o = r.get("overall")
        if isinstance(o, dict):
            scores = self.overall_scores(o)
            if codes is not None:
                for k in scores:
                    if k not in codes:
                        self.error(f"overall scores: {k!r} is not on the rating scale", o, "scores")
            ceiling = Fraction(max(scores.values(), default=0) * len(rated)) if scores else None
            floor = Fraction(min(scores.values(), default=0) * len(rated))
            overall = Overall(scores, self.bands(o.get("bands"), o, "bands", codes, order, floor, ceiling))
        minimum = self.whole(r, "minimum_cases", None) or 1
        return Ratings(
            scale=str(r.get("scale")),
            bands=bands,
            rated=tuple(rated),
            overall=overall,
            minimum_cases=minimum,
            source=self.text(r, "source", None),
            minimum_cases_source=self.text(r, "minimum_cases_source", None),
        )

    def overall_scores(self, o: Any) -> dict[str, int]:
        raw = o.get("scores") or {}
        if not isinstance(raw, dict):
            self.error(f"overall scores must be a mapping of rating -> whole number, not {_kind(raw)}", o, "scores")
            return {}
        scores = {}
        for k, v in raw.items():
            if isinstance(v, bool) or not isinstance(v, int):
                self.error(f"overall scores: the score for {k} must be a whole number, not {v!r}"[:200], raw, k)
                continue
            scores[str(k)] = v
        return scores

    def matrix(self, items: dict[str, Item]) -> Matrix | None:
        m = self.data.get("matrix")
        if m is None:
            return None
        if not isinstance(m, dict):
            self.error("matrix must be a mapping of title, rows, columns, cells", self.data, "matrix")
            return None
        rows = self.choices(m.get("rows"), m, "rows", "matrix")
        cols = self.choices(m.get("columns"), m, "columns", "matrix")
        cells = []
        for c in self.listed(m, "cells", "matrix", "cells (row, column, item)"):
            if not isinstance(c, dict):
                continue
            item = str(c.get("item"))
            row, col = str(c.get("row")), str(c.get("column"))
            if row not in {r.code for r in rows}:
                self.error(
                    f"matrix cell row {row!r} is not one of the rows", m, "cells", hint=suggestion(row, [r.code for r in rows])
                )
            if col not in {x.code for x in cols}:
                self.error(
                    f"matrix cell column {col!r} is not one of the columns",
                    m,
                    "cells",
                    hint=suggestion(col, [x.code for x in cols]),
                )
            if item not in items:
                self.error(f"matrix cell item {item!r} is not an item", m, "cells", hint=suggestion(item, items))
            cells.append((str(c.get("row")), str(c.get("column")), item))
        return Matrix(self.text(m, "title", None), rows, cols, tuple(cells))

    def cycles(self, items: dict[str, Item], scoring: Scoring) -> None:
        """Report the shortest cycle among conditions, derived values and case scores."""
        graph: dict[str, set[str]] = {}
        for qid, item in items.items():
            deps: set[str] = set()
            for e in (item.condition, item.derive):
                if e is not None:
                    deps |= e.reads
            if deps:
                graph[qid] = deps
        for cs in scoring.case_scores:
            # the inspector's own judgement may share the score's id (the criterion judged as a whole)
            graph[cs.id] = set(cs.of) | ({cs.judgement} if cs.judgement and cs.judgement != cs.id else set())
        best: list[str] | None = None
        for start in graph:
            path = _shortest_cycle(graph, start)
            if path and (best is None or len(path) < len(best)):
                best = path
        if best:
            entry_line = items[best[0]].line if best[0] in items else None
            entry_file = items[best[0]].file if best[0] in items else None
            self.errors.append(
                DefinitionError(
                    "rules form a cycle: " + " -> ".join(best + [best[0]]),
                    Location(entry_file or self.path, entry_line, best[0]),
                    hint="a condition or derived value may not depend, directly or not, on itself",
                )
            )


def _kind(value: Any) -> str:
    """What a wrong value is, in a definition author's words."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _num(f: Fraction) -> str:
    return str(f.numerator) if f.denominator == 1 else f"{float(f):g}"


def _source_line(file: str, line: int | None) -> str:
    if not line:
        return ""
    try:
        with open(file, encoding="utf-8") as f:
            for number, text in enumerate(f, 1):
                if number == line:
                    return text
    except (OSError, UnicodeDecodeError):
        pass
    return ""


def _shortest_cycle(graph: dict[str, set[str]], start: str) -> list[str] | None:
    parents: dict[str, str | None] = {start: None}
    queue = collections.deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                path = [node]
                while parents[path[-1]] is not None:
                    path.append(parents[path[-1]])  # type: ignore[arg-type]
                return list(reversed(path))
            if nxt not in parents:
                parents[nxt] = node
                queue.append(nxt)
    return None


def build_checked(builder: _Builder, plugin: str = "", plugin_version: str = "") -> Framework:
    """Build, turning any failure the checks did not foresee into one more problem in the definition."""
    try:
        return builder.build(plugin, plugin_version)
    except Exception as exc:  # noqa: BLE001 - whatever the file holds, the author gets a message, not a traceback
        what = f"{type(exc).__name__}: {exc}"[:300]
        problem = DefinitionError(
            f"the definition could not be read ({what})",
            Location(builder.path),
            hint="the problems listed with it may explain it; if not, please report it with the file",
        )
        raise DefinitionErrors([*builder.errors, problem]) from exc


def load_framework(
    path: Path,
    functions: Mapping[str, Function] | None = None,
    lists: Mapping[str, ReferenceList] | None = None,
    plugin: str = "",
    plugin_version: str = "",
) -> Framework:
    """Load and check one framework definition; raises DefinitionErrors listing every problem.

    A framework built before from the same files (with the same functions and lists) is read from the cache.
    """
    from inspectkit import builtcache
    from inspectkit.expressions import builtin_functions

    path = Path(path)
    fns = dict(builtin_functions())
    fns.update(functions or {})
    framework = builtcache.load(path, plugin, plugin_version, fns, lists or {})
    if framework is not None:
        return framework
    return build_framework(path, fns, lists or {}, plugin, plugin_version)


def build_framework(
    path: Path,
    functions: Mapping[str, Function],
    lists: Mapping[str, ReferenceList],
    plugin: str = "",
    plugin_version: str = "",
    list_files: list[Path] | None = None,
) -> Framework:
    """Build and check a definition from its files (``functions`` with the built-in ones), and cache the result.

    The files are read afresh, not from the cache of parsed files (kept by their sizes and times): the built
    framework is kept by the files' contents, and an edit that keeps both is still seen. ``list_files``: the
    files the reference lists are read from, when the cache entry is to be kept by them (see builtcache)."""
    from inspectkit import builtcache
    from inspectkit.files import read_definition

    path = Path(path)
    data, files = read_definition(path)
    builder = _Builder(data, path, functions, lists)
    framework = build_checked(builder, plugin, plugin_version)
    if builder.errors:
        raise DefinitionErrors(builder.errors)
    builtcache.store(framework, files, functions, lists, list_files)
    return framework
