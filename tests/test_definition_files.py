"""A definition split across files (``include:``), and the cache of parsed definitions.

Uses the tiny instrument (tests/tiny2/instrument.yaml includes instrument_licence.yaml); tests that change
it work on a copy in tmp_path.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import types
from pathlib import Path
from typing import Any

import pytest

import inspectkit
from inspectkit import definition
from inspectkit.errors import DefinitionErrors, InputError

TINY2_DIR = Path(__file__).parent / "tiny2"
INSTRUMENT = "tiny_instrument_2024"
LICENCE_ITEMS = ["L", "L1", "L2", "L2.1", "LJ"]


def copy_instrument(tmp_path: Path) -> Path:
    folder = tmp_path / "instrument"
    folder.mkdir()
    for name in ("instrument.yaml", "instrument_licence.yaml"):
        shutil.copy(TINY2_DIR / name, folder / name)
    return folder / "instrument.yaml"


def included(main: Path) -> Path:
    return main.parent / "instrument_licence.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def frameworks_plugin(*paths: Path) -> types.ModuleType:
    module = types.ModuleType("inspectkit_tests_copy_plugin")
    module.register_frameworks = inspectkit.hookimpl(lambda register: [register(p) for p in paths])
    return module


def problems(path: Path) -> list[Any]:
    with pytest.raises(DefinitionErrors) as info:
        definition.load_framework(path)
    return info.value.errors


# ------------------------------------------------------------------------------------------ include


def test_included_items_join_the_tree_in_order() -> None:
    fw = definition.load_framework(TINY2_DIR / "instrument.yaml")
    assert list(fw.items) == ["about", "setting", "S", "S1", "S2", "SJ", *LICENCE_ITEMS]
    assert fw.items["L"].children == ("L1", "L2", "LJ")
    assert fw.items["LJ"].weighs == ("L1", "L2.1")
    assert fw.items["L"].condition is not None and fw.items["L"].condition.reads == frozenset({"setting"})


def test_check_accepts_a_definition_split_across_files(cli: Any) -> None:
    result = cli("check", TINY2_DIR / "instrument.yaml")
    assert result.exit_code == 0, result.output
    assert "tiny_instrument_2024 is valid: 11 items, 7 questions" in result.stdout


def test_an_error_in_an_included_file_names_that_file_and_line(cli: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(
        included(main),
        "text: Were the licence conditions explained?\n    type: yes_no",
        "text: Were the licence conditions explained?\n    type: yes_or_no",
    )
    edit(included(main), 'condition: setting == "licence"', 'condition: setting == "licenced"')
    result = cli("check", main)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (
        f"error: {included(main)}:{line_of(included(main), 'yes_or_no')}: L1: unknown type 'yes_or_no' (did you mean yes_no?)"
        in lines
    )
    assert any(
        line.startswith(
            f"error: {included(main)}:{line_of(included(main), 'licenced')}: L: condition: setting has no choice 'licenced'"
        )
        for line in lines
    ), lines
    assert str(main) + ":" not in result.stderr  # nothing is blamed on the main file


def test_errors_in_both_files_are_reported_together(tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(main, "text: Were safety concerns identified?", "text: Were safety concerns identified?\n    wieght: primary")
    edit(included(main), "weighs: [L1, L2.1]", "weighs: [L1, L2.9]")
    found = {(Path(e.location.file).name, e.location.line, e.location.item) for e in problems(main)}
    assert found == {
        ("instrument.yaml", line_of(main, "wieght"), "S1"),
        ("instrument_licence.yaml", line_of(included(main), "L2.9"), "LJ"),
    }


def test_a_missing_included_file_is_an_error(cli: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(main, "include: [instrument_licence.yaml]", "include: [nowhere.yaml]")
    result = cli("check", main)
    assert result.exit_code == 1
    assert f"error: {main}:{line_of(main, 'include: [')}: included file 'nowhere.yaml' not found" in result.stderr.splitlines()


def test_a_missing_included_file_fails_the_plugin_that_registers_it(tmp_path: Path, tiny_module: Any) -> None:
    main = copy_instrument(tmp_path)
    edit(main, "include: [instrument_licence.yaml]", "include: [nowhere.yaml]")
    registry = inspectkit.load_registry(plugins=[("tiny", tiny_module), ("copy", frameworks_plugin(main))], entry_points=False)
    (failure,) = registry.failures()
    assert failure.name == "copy" and "included file 'nowhere.yaml' not found" in failure.error
    assert registry.editions() == ["tiny_2024"]  # the other edition keeps working


def test_an_included_file_may_not_set_the_edition(tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    included(main).write_text("items: []\nedition: other_2024\n", encoding="utf-8")
    (error,) = problems(main)
    assert (Path(error.location.file).name, error.location.line) == ("instrument_licence.yaml", 2)
    assert "an included file may hold only items, scales, checks, sample, reference, not 'edition'" in error.message


def test_bad_yaml_in_an_included_file_names_that_file(cli: Any, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    included(main).write_text("items:\n  - id: [oops\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        definition.load_framework(main)
    assert info.value.location.file == str(included(main)) and "not valid YAML" in info.value.message
    result = cli("check", main)
    assert result.exit_code == 1 and f"error: {included(main)}:" in result.stderr


def test_a_scale_can_come_from_an_included_file(tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    edit(included(main), "items:", "scales:\n  judged: [sufficient, insufficient]\nitems:")
    edit(
        included(main),
        "text: Was licence work sufficient?\n    type: yes_no",
        "text: Was licence work sufficient?\n    type: choice\n    scale: judged",
    )
    fw = definition.load_framework(main)
    assert fw.items["LJ"].answer.codes == ("sufficient", "insufficient")


def test_a_cycle_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    with included(main).open("a", encoding="utf-8") as fh:
        fh.write(
            "  - {id: X1, parent: L, kind: evidence, text: a, type: yes_no, condition: X2}\n"
            "  - {id: X2, parent: L, kind: evidence, text: b, type: yes_no, condition: X1}\n"
        )
    (error,) = problems(main)
    assert "rules form a cycle" in error.message
    assert error.location.file == str(included(main))


def test_an_id_used_in_both_files_names_where_it_was_first_used(tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    with included(main).open("a", encoding="utf-8") as fh:
        fh.write("  - {id: S1, kind: evidence, text: again, type: yes_no}\n")
    (error,) = problems(main)
    assert error.message == "id used twice" and error.location.file == str(included(main))
    assert "instrument.yaml" in (error.hint or "")


# ------------------------------------------------------------------------------------------ the definition cache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(folder))
    return folder


def entries(cache: Path, kind: str = "definition") -> list[Path]:
    """The cache's entries of one kind: ``definition`` (parsed files) or ``framework`` (built frameworks)."""
    return sorted(p for p in cache.glob(f"{kind}-*.json") if kind != "definition" or not p.name.startswith("definition-header"))


def cached_body(path: Path) -> dict[str, Any]:
    import json

    signature, _, body = path.read_bytes().partition(b"\n")
    return json.loads(body)


def test_an_edited_included_file_is_read_again(cache: Path, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    assert "L3" not in definition.load_framework(main).items
    assert len(entries(cache, "framework")) == 1
    with included(main).open("a", encoding="utf-8") as fh:
        fh.write("  - {id: L3, parent: L, kind: evidence, text: A new question, type: yes_no}\n")
    fw = definition.load_framework(main)
    assert "L3" in fw.items and fw.items["L"].children == ("L1", "L2", "LJ", "L3")


def test_an_edit_that_keeps_the_size_is_read_again(cache: Path, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    assert definition.load_framework(main).title == "Tiny instrument"
    before = main.stat()
    edit(main, "title: Tiny instrument", "title: Tiny Instrument")
    assert main.stat().st_size == before.st_size
    # a later modification time, as any edit gives (set here so a coarse file system clock cannot hide it)
    os.utime(main, ns=(before.st_atime_ns, before.st_mtime_ns + 2_000_000_000))
    assert definition.load_framework(main).title == "Tiny Instrument"


def test_an_included_file_removed_after_caching_is_an_error_not_a_stale_definition(cache: Path, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    definition.load_framework(main)
    included(main).unlink()
    (error,) = problems(main)
    assert error.message == "included file 'instrument_licence.yaml' not found"


def test_the_cache_is_used_when_nothing_changed(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspectkit import files

    main = copy_instrument(tmp_path)
    first = definition.load_framework(main)

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the definition was parsed again")

    monkeypatch.setattr(files, "_read_uncached", no_parsing)
    again = definition.load_framework(main)
    assert list(again.items) == list(first.items)
    # line numbers and files survive the cache: errors found later still point at the right place
    assert again.items["LJ"].line == first.items["LJ"].line == line_of(included(main), "- id: LJ")


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda data: b"not a cache entry", id="garbage"),
        pytest.param(_truncated, id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data.replace(b'"format"', b'"format" '), id="body-changed"),
        pytest.param(lambda data: b"0" * 64 + data[64:], id="signature-changed"),
        pytest.param(lambda data: pickle.dumps(("stamp", ["/no/such/file.yaml"], {})), id="a-pickle"),
    ],
)
@pytest.mark.parametrize("kind", ["definition", "framework"])
def test_a_corrupt_cache_file_is_ignored(cache: Path, tmp_path: Path, spoil: Any, kind: str) -> None:
    """A parsed definition (what ``check`` reads) or a built framework (what every command uses)."""
    from inspectkit import files

    main = copy_instrument(tmp_path)
    load = files.read_raw if kind == "definition" else definition.load_framework
    load(main)
    (cached,) = entries(cache, kind)
    cached.write_bytes(spoil(cached.read_bytes()))
    loaded = load(main)
    ids = list(loaded.items) if kind == "framework" else [str(i["id"]) for i in loaded["items"]]
    assert ids[-5:] == LICENCE_ITEMS
    body = cached_body(cached)  # and it is rebuilt
    assert body["format"] == "inspectkit-cache/1" and len(body["deps"]) == 2


class _Planted:
    """What someone who can write the cache folder would leave there."""

    def __reduce__(self) -> Any:
        return (os.system, ("touch planted-code-ran",))


def test_a_planted_pickle_in_the_cache_runs_no_code(
    cli: Any, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    main = copy_instrument(tmp_path)
    assert cli("check", main).exit_code == 0
    payload = pickle.dumps(_Planted())
    for cached in entries(cache):
        cached.write_bytes(payload)
    for path in (main, included(main)):  # and where a pickle cache would look for it
        (cache / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]}.pickle").write_bytes(payload)
    result = cli("check", main)
    assert result.exit_code == 0 and "tiny_instrument_2024 is valid" in result.stdout
    assert not (tmp_path / "planted-code-ran").exists()


@pytest.mark.parametrize("kind", ["definition", "framework"])
def test_a_planted_cache_entry_cannot_change_a_definition(cache: Path, tmp_path: Path, kind: str) -> None:
    """Someone who can write the cache folder, but not the user's key, edits an entry and recomputes every
    checksum they can: the entry is ignored and the definition read from its files."""
    import hmac
    import json

    from inspectkit import files

    def title() -> Any:
        return files.read_raw(main)["title"] if kind == "definition" else definition.load_framework(main).title

    main = copy_instrument(tmp_path)
    assert title() == "Tiny instrument"
    (cached,) = entries(cache, kind)
    body = cached_body(cached)
    text = json.dumps(body).replace("Tiny instrument", "Planted title")
    assert "Planted title" in text
    for key in (b"", b"0" * 32, hashlib.sha256(cached.parent.name.encode()).digest()):
        signature = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
        cached.write_bytes(signature.encode() + b"\n" + text.encode())
        assert title() == "Tiny instrument"


def test_a_cache_signed_with_another_users_key_is_not_used(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspectkit import files

    main = copy_instrument(tmp_path)
    definition.load_framework(main)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "another-user"))
    parsed = []
    real = files._read_uncached
    monkeypatch.setattr(files, "_read_uncached", lambda path: parsed.append(path) or real(path))
    assert definition.load_framework(main).edition == INSTRUMENT
    assert parsed == [main], "another key's entry was trusted"
    assert len(entries(cache, "framework")) == 2  # each key has its own entries: a shared folder is not fought over


def test_a_signing_key_others_can_read_is_not_trusted(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspectkit import cache as cache_module

    main = copy_instrument(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    definition.load_framework(main)
    key = cache_module.key_path()
    assert key.stat().st_mode & 0o777 == 0o600
    key.chmod(0o644)
    assert cache_module.load("framework", f"{main}\0\0") is None
    assert definition.load_framework(main).edition == INSTRUMENT


def test_a_corrupt_cache_file_does_not_trouble_the_cli(cli: Any, cache: Path, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    assert cli("check", main).exit_code == 0
    for cached in entries(cache):
        cached.write_bytes(b"\x80\x04garbage")
    result = cli("check", main)
    assert result.exit_code == 0 and result.stderr == ""
    assert "tiny_instrument_2024 is valid" in result.stdout


def test_a_cache_folder_that_cannot_be_written_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv("INSPECTKIT_CACHE_DIR", str(blocker))
    fw = definition.load_framework(copy_instrument(tmp_path))
    assert fw.edition == INSTRUMENT
    assert blocker.read_text(encoding="utf-8").startswith("a file")


def test_the_cache_leaves_no_temporary_files(cache: Path, tmp_path: Path) -> None:
    main = copy_instrument(tmp_path)
    for _ in range(3):
        definition.load_framework(main)
        edit(main, "title: Tiny instrument", "title: Tiny instrument!")  # a change each time: the cache is rewritten
    assert [p.suffix for p in cache.iterdir()] == [".json"]
    assert not [p for p in cache.iterdir() if re.search(r"\.tmp$", p.name)]


# ------------------------------------------------------------------------------------------ headers


def _whole_header(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The header and item ids as building the whole definition gives them."""
    from inspectkit import files

    raw, _ = files._read_uncached(path)
    source = raw.get("source") or {}
    evidence = raw.get("evidence_for")
    header = {
        "edition": str(raw.get("edition") or ""),
        "title": str(raw.get("title") or ""),
        "version": str(raw.get("version") or ""),
        "evidence_for": str(evidence) if evidence is not None else None,
        "date": str(source.get("date") or "") if isinstance(source, dict) else "",
    }
    return header, files._ids_of(raw)


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("", id="as-is"),
        pytest.param("evidence_for: tiny_2024\nversion: 2.50\n", id="header-keys-after-the-items"),
        pytest.param("extra: &t {a: [1, 2]}\nsource: {date: 2024-05-01, title: *t}\n", id="an-alias-in-a-key-read"),
    ],
)
def test_a_header_is_read_without_building_the_definition(cache: Path, tmp_path: Path, tail: str) -> None:
    """The registry reads a definition's header and item ids without building it, and gets what the whole
    definition holds (its included files' ids too)."""
    from inspectkit import files

    main = copy_instrument(tmp_path)
    text = main.read_text(encoding="utf-8")
    for key in ("version", "source", "evidence_for"):  # moved to the end, where the tail gives them
        if re.search(rf"(?m)^{key}:", tail):
            text = re.sub(rf"(?m)^{key}:.*\n(?:[ ].*\n)*", "", text)
    main.write_text(text + tail, encoding="utf-8")
    expected_header, expected_ids = _whole_header(main)
    assert files.read_header(main) == expected_header
    assert files.read_ids(main) == expected_ids and set(LICENCE_ITEMS) <= set(expected_ids)
    files._scanned_ids.clear()
    assert files.read_header(main) == expected_header  # from the cache
    assert files.read_ids(main) == expected_ids


def test_a_definition_that_is_not_valid_yaml_is_an_error_when_read(tmp_path: Path, tiny_module: Any) -> None:
    """Broken YAML before the header's end stops the plugin at once; further on, once the header is known, the
    edition is listed and the error comes when it is built."""
    from inspectkit import files

    main = copy_instrument(tmp_path)
    text = main.read_text(encoding="utf-8")
    early = tmp_path / "early" / "instrument.yaml"
    early.parent.mkdir()
    shutil.copy(included(main), early.parent / included(main).name)
    early.write_text(text.replace("title: Tiny instrument", "title: [unclosed"), encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML"):
        files.read_header(early)
    main.write_text(text + "items_after: [unclosed\n", encoding="utf-8")
    assert files.read_header(main)["title"] == "Tiny instrument"
    registry = inspectkit.load_registry(plugins=[("tiny", tiny_module), ("copy", frameworks_plugin(main))], entry_points=False)
    assert INSTRUMENT in registry.editions()
    with pytest.raises(InputError, match="not valid YAML"):
        registry.framework(INSTRUMENT)


def test_a_problem_outside_the_header_is_reported_when_the_edition_is_built(tmp_path: Path, tiny_module: Any) -> None:
    main = copy_instrument(tmp_path)
    main.write_text(main.read_text(encoding="utf-8") + "more: !!str tagged\n", encoding="utf-8")
    registry = inspectkit.load_registry(plugins=[("tiny", tiny_module), ("copy", frameworks_plugin(main))], entry_points=False)
    assert INSTRUMENT in registry.editions() and registry.entries[INSTRUMENT].title == "Tiny instrument"
    with pytest.raises(InputError, match=r"the tag !!str is not part of the format"):
        registry.framework(INSTRUMENT)


# ------------------------------------------------------------------------------------------ the built framework


def _plain(fw: Any) -> Any:
    from inspectkit import builtcache

    return builtcache.to_plain(fw)


def test_a_built_framework_is_cached_and_read_back_the_same(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    main = copy_instrument(tmp_path)
    built = definition.load_framework(main)
    assert len(entries(cache, "framework")) == 1

    def no_building(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the framework was built again")

    monkeypatch.setattr(definition._Builder, "build", no_building)
    again = definition.load_framework(main)
    assert again is not built and _plain(again) == _plain(built)
    assert again.items["LJ"].line == built.items["LJ"].line and again.items["LJ"].file == built.items["LJ"].file


def test_every_installed_edition_reads_back_as_built_and_assesses_alike(cache: Path) -> None:
    """The real editions, built and then read from the cache: the same objects, and the same assessment of a
    case that answers every question with its first code."""
    from inspectkit import builtcache
    from inspectkit.engine import Engine
    from inspectkit.plugins import load_registry

    registry = load_registry()
    editions = registry.editions()
    assert len(editions) >= 4
    for edition in editions:
        built = registry.framework(edition)
        fresh = load_registry()
        list_files = [path for _, path in fresh._list_paths]
        cached = builtcache.load(
            Path(built.path or ""), built.plugin, built.plugin_version, fresh.functions, fresh.lists, list_files
        )
        assert cached is not None, f"{edition} was not cached"
        assert _plain(cached) == _plain(built)
        answers = {
            q.id: (q.answer.codes[0] if q.answer.codes else 3 if q.answer.name in ("number", "months") else "text")
            for q in built.case_questions
            if q.answer is not None and q.answer.name in ("yes_no", "choice", "rating", "number", "months", "text")
        }
        case = {"schema": 1, "edition": edition, "case_id": "C1", "answers": answers}
        assert Engine(cached).assess(case).to_dict() == Engine(built).assess(case).to_dict()


def test_an_edit_that_keeps_size_and_time_is_still_seen(cache: Path, tmp_path: Path) -> None:
    """The built framework is kept by its files' contents, not only by their sizes and times."""
    main = copy_instrument(tmp_path)
    assert definition.load_framework(main).title == "Tiny instrument"
    for path, old, new in (
        (main, "title: Tiny instrument", "title: Tiny Instrument"),
        (included(main), "title: Recall", "title: RECALL"),
    ):
        before = path.stat()
        edit(path, old, new)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    fw = definition.load_framework(main)
    assert fw.title == "Tiny Instrument" and fw.items["L2"].title == "RECALL"


def _tiny_copy(folder: Path, returns: str = "bool") -> types.ModuleType:
    """The tiny edition's plugin, with its definition and reference list copied into ``folder``."""
    tiny = Path(__file__).parent / "tiny"
    folder.mkdir(exist_ok=True)
    for name in ("framework.yaml", "offences.yaml"):
        if not (folder / name).exists():
            shutil.copy(tiny / name, folder / name)
    module = types.ModuleType("inspectkit_tests_tiny_copy")
    module.register_frameworks = inspectkit.hookimpl(lambda register: register(folder / "framework.yaml"))
    module.register_reference_lists = inspectkit.hookimpl(lambda register: register(folder / "offences.yaml"))
    module.register_functions = inspectkit.hookimpl(
        lambda register: register("is_long", lambda months: months >= 12, params=["number"], returns=returns)
    )
    return module


def test_a_framework_read_from_the_cache_is_made_of_the_models_own_frozen_classes(cache: Path, tmp_path: Path) -> None:
    from inspectkit import builtcache, model
    from inspectkit.records import FrozenInstanceError

    main = copy_instrument(tmp_path)
    built = definition.load_framework(main)
    read = definition.load_framework(main)  # the second from the cache
    assert read is not built and builtcache.to_plain(read) == builtcache.to_plain(built)
    item = next(iter(read.items.values()))
    assert type(item) is model.Item and type(read) is model.Framework and item == built.items[item.id]
    with pytest.raises(FrozenInstanceError):
        item.title = "changed"  # type: ignore[misc]


def test_a_changed_function_or_list_builds_the_framework_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspectkit import definition as definition_module
    from inspectkit.plugins import load_registry

    folder = tmp_path / "tiny"

    def framework(returns: str = "bool") -> Any:
        return load_registry(plugins=[("tiny", _tiny_copy(folder, returns))], entry_points=False).framework("tiny_2024")

    first = framework()
    builds = []
    real = definition_module.build_framework
    monkeypatch.setattr(definition_module, "build_framework", lambda *a, **k: builds.append(1) or real(*a, **k))
    assert _plain(framework()) == _plain(first) and builds == []  # nothing changed: from the cache
    edit(folder / "offences.yaml", "code: arson", "code: fire_raising")  # a reference list the rules read
    assert "fire_raising" in framework().items["offence"].answer.codes and builds == [1]
    assert framework() is not None and builds == [1]  # and cached again
    with pytest.raises(DefinitionErrors):  # a function that now returns a number cannot be a condition's part
        framework(returns="number")
    assert builds == [1, 1]


def test_a_reference_list_is_read_from_its_cache_entry_until_its_file_changes(cache: Path, tmp_path: Path) -> None:
    from inspectkit import cache as cache_module
    from inspectkit.plugins import load_registry

    folder = tmp_path / "tiny"

    def offences() -> Any:
        return load_registry(plugins=[("tiny", _tiny_copy(folder))], entry_points=False).lists["tiny_offences"]

    first = offences()
    assert first.groups["arson"] == "violent" and first.title == "Offences for the tiny framework"
    name = os.path.abspath(folder / "offences.yaml")
    assert cache_module.load("reference-list", name) is not None and offences() == first  # the second from the cache
    edit(folder / "offences.yaml", "code: arson", "code: fire_raising")
    assert "fire_raising" in offences().codes and "arson" not in offences().codes
    cache_module.store("reference-list", name, [folder / "offences.yaml"], ["tiny_offences", "x", [["arson"]], ""])
    assert "fire_raising" in offences().codes  # an entry of the wrong shape is a miss: the file is read again


def test_a_framework_entry_of_the_wrong_shape_is_rebuilt_without_a_traceback(cli: Any, cache: Path, tmp_path: Path) -> None:
    """An entry signed with the user's key but holding something else (a class not on the list, a reference
    out of range, a rule whose function is gone) is a miss: the framework is built from its files."""
    from inspectkit import builtcache
    from inspectkit import cache as cache_module

    main = copy_instrument(tmp_path)
    built = definition.load_framework(main)
    name = builtcache._name(main, "", "")
    good = cache_module.load(builtcache.KIND, name)
    assert good is not None
    bad_roots = [
        ["O", "system", {}],
        ["R", 10**6],
        ["E", "f(x)", ["O", "Call", {"pos": 0, "name": "no_such_function", "args": ["L"]}], []],
        {"not": "a list"},
    ]
    for root in bad_roots:
        data = {**good, "framework": {"shared": [], "root": root}}
        cache_module.store(builtcache.KIND, name, [main, included(main)], data)
        assert cache_module.load(builtcache.KIND, name) == data
        assert _plain(definition.load_framework(main)) == _plain(built)
        assert cache_module.load(builtcache.KIND, name) == good  # written again
    result = cli("check", main)
    assert result.exit_code == 0 and result.stderr == ""
