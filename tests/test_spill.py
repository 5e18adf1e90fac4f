"""What rate keeps per case is bounded: past a limit, left-out cases, errors and warnings wait on disk,
and the report (its lists, its JSON) is the same as when everything is held."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inspectkit import aggregate, spill
from inspectkit.spill import SpillList
from inspectkit.synth import iter_synthetic


def test_a_spill_list_reads_back_in_order_what_it_wrote_to_disk() -> None:
    items = SpillList(limit=3, encode=list, decode=tuple)
    items.extend((i, f"case {i}") for i in range(10))
    assert len(items) == 10 and items.spilled == 7
    assert list(items) == [(i, f"case {i}") for i in range(10)]
    assert items[:2] == [(0, "case 0"), (1, "case 1")] and items[4] == (4, "case 4") and items[-1] == (9, "case 9")
    items.append((10, "after reading"))
    assert list(items)[-2:] == [(9, "case 9"), (10, "after reading")]
    with pytest.raises(IndexError):
        items[11]
    # entries given as the file holds them (encoded) read back as the ones appended one by one
    plain = SpillList(limit=3, encode=list, decode=tuple)
    plain.extend_plain([[i, f"case {i}"] for i in range(5)])
    plain.extend_plain([[i, f"case {i}"] for i in range(5, 10)])
    assert len(plain) == 10 and plain.spilled == 7 and list(plain) == [(i, f"case {i}") for i in range(10)]
    # a batch at a time, every entry as the file holds it (encoded: a list)
    assert [len(b) for b in plain.batches(2)] == [2, 1, 7]
    assert [e for b in plain.batches(2) for e in b] == [[i, f"case {i}"] for i in range(10)]


@pytest.fixture
def failing_cases(tmp_path: Path, registry) -> Path:
    engine = registry.engine("tiny_2024")
    lines = [json.dumps(c) for c in iter_synthetic(engine, 300, seed=3)]
    for i in range(0, 300, 3):  # a third of the cases answer a question the edition does not have
        doc = json.loads(lines[i])
        doc["answers"]["no_such_question"] = "yes"
        lines[i] = json.dumps(doc)
    lines.insert(7, "{not json")
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_report_that_spills_is_the_report_that_holds_everything(registry, failing_cases: Path, monkeypatch) -> None:
    held = aggregate.rate_paths(registry, "tiny_2024", [failing_cases], jobs=1)
    monkeypatch.setattr(spill, "LIMIT", 5)
    spilled = aggregate.rate_paths(registry, "tiny_2024", [failing_cases], jobs=1)
    assert spilled.errors.spilled > 90 and spilled.excluded.spilled > 90
    assert spilled.to_dict() == held.to_dict()
    assert len(held.to_dict()["errors"]) > 100
    # the JSON written piece by piece is the JSON of the whole
    text = "".join(aggregate.json_chunks(spilled.to_dict(lazy=True)))
    assert text == json.dumps(held.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"


def test_repeated_case_ids_are_found_however_many_ids_wait_on_disk(monkeypatch) -> None:
    import random

    monkeypatch.setattr(spill.SeenIds, "BUFFER", 64)  # runs of 64 ids on disk, blocks of 8
    monkeypatch.setattr(spill.SeenIds, "STRIDE", 8)
    monkeypatch.setattr(spill.SeenIds, "BITS", 1 << 10)  # a small filter: most new ids need the search
    seen, held = spill.SeenIds(), set()
    rng = random.Random(5)
    for case_id in (f"case-{rng.randrange(3000)}" for _ in range(4000)):
        assert seen.add(case_id) == (case_id not in held), case_id
        held.add(case_id)
    assert len(seen._runs) > 20
    assert not seen.add("case-0" if "case-0" in held else next(iter(held)))


def test_warnings_spilled_as_the_report_lists_them_read_back_and_write_the_same_text(tmp_path: Path) -> None:
    odd = [
        "plain",
        "line\nbreak\ttab \x00 nul \x1f",
        'quote " and \\ back',
        "é ü 漢字 🙂" * 40,
        "lone \ud800 surrogate",
        "\u2028",
        "",
    ]
    rows = [
        (
            f"cases.jsonl:{i}",
            f"case {i}" if i % 3 else None,
            odd[i % 7] if i % 2 else None,
            odd[i * 5 % 7] * 30,
            i if i % 5 == 0 else None,
        )
        for i in range(3000)
    ]
    items = aggregate._warnings()
    items.limit = 7
    items.extend(rows[:5])
    for row in rows[5:2000]:
        items.append(row)
    items.extend(rows[2000:])
    assert items.spilled == 2993 and list(items) == rows and items[2500] == rows[2500]

    # the text is the standard library's, over several blocks read back (a character may straddle two)
    def expected(rows: list[tuple[Any, ...]]) -> str:
        return json.dumps({"": aggregate._listed(rows)}, indent=2, ensure_ascii=False)[len('{\n  "": ') : -len("\n}")]

    assert items._file.seek(0, 2) > 3 << 20
    assert "".join(aggregate._text_list(items.texts())) == expected(rows)
    # handed to another process's list as the file holds it, then appended to
    with open(tmp_path / "part", "wb") as fh:
        assert items.hand_over(fh) == 3000
    taken = aggregate._warnings()
    with open(tmp_path / "part", "rb") as fh:
        taken.take(fh, 3000)
    taken.append(rows[0])
    assert list(taken) == rows + rows[:1]
    assert "".join(aggregate._text_list(taken.texts())) == expected(rows + rows[:1])
    assert "".join(aggregate._text_list(aggregate._warnings().texts())) == "[]"
