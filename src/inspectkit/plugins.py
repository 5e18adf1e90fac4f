"""Finding plugins and what they register, without letting one broken plugin take the others down.

Plugins are found through the ``inspectkit`` entry-point group. Each is imported and asked for its
registrations in isolation: a plugin that fails is reported by name, with its cause, and every other
edition keeps working. ``strict=True`` (or ``INSPECTKIT_STRICT_PLUGINS=1``) turns a failure into an error,
for CI. ``INSPECTKIT_LOAD_PLUGINS=a,b`` loads only the named plugins (empty: none).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from inspectkit import hookspecs
from inspectkit.errors import DefinitionError, DefinitionErrors, Location, PluginError, UsageError, suggestion
from inspectkit.records import record
from inspectkit.stopping import Terminated

if TYPE_CHECKING:  # pragma: no cover
    from inspectkit.engine import Engine
    from inspectkit.model import Framework

ENTRY_POINT_GROUP = "inspectkit"
#: The types a plugin's function may take and return (``expressions.TYPE_NAMES``; a test keeps them in step).
PARAM_TYPES = frozenset({"bool", "number", "text", "date", "any", "list"})


@record(frozen=False)
class PluginInfo:
    name: str
    version: str = ""
    distribution: str = ""
    error: str | None = None
    detail: str | None = None  # the chained traceback, for --debug


@record(frozen=False)
class FrameworkEntry:
    """A registered definition file; the framework itself is built on first use."""

    path: Path
    plugin: str
    edition: str = ""
    title: str = ""
    version: str = ""
    evidence_for: str | None = None
    date: str = ""
    error: str | None = None


def installed_entry_points() -> list[tuple[str, str, str, str]]:
    """(name, ``module:attribute``, distribution, version) of every installed plugin's entry point.

    Importing ``importlib.metadata`` costs an inspector's command a tenth of a second or so (it imports the
    email and zip modules, and reads every installed distribution's metadata), so the folders on
    ``sys.path`` are read directly, as it reads them: each ``*.dist-info`` or ``*.egg-info`` folder, the first
    of a distribution's name winning, and its ``entry_points.txt``; a distribution's name and version are read
    from its metadata only when it has an inspectkit entry point. Nothing is cached, so installing, upgrading
    or removing a plugin is seen at once. Where ``importlib.metadata`` is loaded already (an embedding program,
    a test), or packages are found some other way (a zip file or an ``.egg`` folder on ``sys.path``, an import
    hook that lists distributions), it is asked instead.
    """
    import sys

    if "importlib.metadata" in sys.modules:
        return _ask_importlib()
    folders = sys.path
    for finder in sys.meta_path:
        if getattr(finder, "find_distributions", None) is not None and not _is_path_finder(finder):
            return _ask_importlib()
    found: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for folder in folders:
        root = folder or "."
        if root.lower().endswith(".egg") or (folder and os.path.isfile(folder)):
            return _ask_importlib()
        try:
            children = os.listdir(root)
        except OSError:
            continue
        by_name: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                by_name.setdefault(_normalized(low.rpartition(".")[0].partition("-")[0]), []).append(child)
        for name, infos in by_name.items():
            for child in infos:
                if name in seen:
                    continue
                seen.add(name)
                info = os.path.join(root, child)
                raw = _read_small(os.path.join(info, "entry_points.txt"))
                entries = _group_entries(raw) if raw and ENTRY_POINT_GROUP in raw else []
                if entries:
                    dist, version = _name_and_version(info)
                    found.extend((ep_name, value, dist, version) for ep_name, value in entries)
    return found


def _is_path_finder(finder: Any) -> bool:
    import importlib.machinery

    return finder is importlib.machinery.PathFinder


def _normalized(name: str) -> str:
    """A distribution's name as ``importlib.metadata`` compares them (PEP 503, dashes as underscores)."""
    out = name.lower().replace("-", "_").replace(".", "_")  # each run of - _ . as one _ (no pattern to compile)
    while "__" in out:
        out = out.replace("__", "_")
    return out


def _read_small(path: str, limit: int = 1 << 20) -> str | None:
    """A small file's text, up to ``limit`` bytes (None if there is none), read in one or a few system calls."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    chunks = []
    try:
        size = 0
        while size < limit:
            chunk = os.read(fd, min(1 << 14, limit - size))  # a small buffer: most of these files are tiny
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def _group_entries(text: str | None) -> list[tuple[str, str]]:
    """The ``name = value`` lines of the ``[inspectkit]`` section of an ``entry_points.txt``."""
    if not text or ENTRY_POINT_GROUP not in text:
        return []
    out = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == ENTRY_POINT_GROUP and "=" in line:
            name, _, value = line.partition("=")
            out.append((name.strip(), value.strip()))
    return out


def _name_and_version(info: str) -> tuple[str, str]:
    """``Name`` and ``Version`` from a distribution's metadata headers (the lines before the first blank)."""
    text = None
    if os.path.isdir(info):
        text = _read_small(os.path.join(info, "METADATA"), 1 << 16) or _read_small(os.path.join(info, "PKG-INFO"), 1 << 16)
    else:
        text = _read_small(info, 1 << 16)  # an old egg-info written as a single file
    name = version = ""
    head = text or ""
    cut = head.find("\n\n")
    if cut >= 0:  # the headers end at the first blank line at the latest: the description after it (the README) is not split
        head = head[: cut + 1]
    for line in head.splitlines():
        if not line.strip():
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        if key == "name" and not name:
            name = value.strip()
        elif key == "version" and not version:
            version = value.strip()
    return name, version


def _ask_importlib() -> list[tuple[str, str, str, str]]:
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        out.append((ep.name, ep.value, getattr(dist, "name", "") or "", getattr(dist, "version", "") or ""))
    return out


def _what(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r})"[:200]
    return f"{type(exc).__name__}: {exc}"[:300]


def _function_problem(name: Any, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """What is wrong with a function a plugin registers, checked as it registers it (None: nothing)."""
    if not isinstance(name, str) or not name.isidentifier():
        return f"{name!r}: a function's name is a word (letters, digits and _)"[:200]
    if not callable(func):
        return f"{name}: not callable"
    params = kwargs.get("params", args[0] if args else ())
    returns = kwargs.get("returns", args[1] if len(args) > 1 else "any")
    if isinstance(params, str) or not isinstance(params, (list, tuple)):
        return f"{name}: params is a list of types ({', '.join(sorted(PARAM_TYPES))})"
    for p in params:
        if not isinstance(p, str) or p not in PARAM_TYPES:
            return f"{name}: unknown parameter type {p!r}"[:200]
    if not isinstance(returns, str) or returns not in PARAM_TYPES:
        return f"{name}: unknown return type {returns!r}"[:200]
    unknown = set(kwargs) - {"params", "returns", "doc"}
    if unknown:
        return f"{name}: unknown option(s) {', '.join(sorted(unknown))}"
    return None


def _load_entry_point(value: str) -> Any:
    """What an entry point's ``module:attribute`` names (as ``EntryPoint.load`` does)."""
    import importlib

    module_name, _, attr = value.split("[", 1)[0].partition(":")  # "module:attr [extra]"
    obj = importlib.import_module(module_name.strip())
    for part in attr.strip().split(".") if attr.strip() else ():
        obj = getattr(obj, part)
    return obj


class Hooks:
    """The one door to the plugin hooks: each plugin's implementation is called on its own."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm

    def _each(self, hook_name: str) -> Iterable[tuple[str, Callable[..., Any]]]:
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            yield impl.plugin_name, impl.function

    def register_frameworks(self) -> Iterable[tuple[str, Callable[..., Any]]]:
        return self._each("register_frameworks")

    def register_functions(self) -> Iterable[tuple[str, Callable[..., Any]]]:
        return self._each("register_functions")

    def register_reference_lists(self) -> Iterable[tuple[str, Callable[..., Any]]]:
        return self._each("register_reference_lists")

    def register_crosswalks(self) -> Iterable[tuple[str, Callable[..., Any]]]:
        return self._each("register_crosswalks")


class Registry:
    """The installed editions, functions and reference lists, and any plugin that failed."""

    def __init__(self, strict: bool = False):
        self.strict = strict
        self.pm = pluggy.PluginManager("inspectkit")
        self.pm.add_hookspecs(hookspecs)
        self.hooks = Hooks(self.pm)
        self.plugins: dict[str, PluginInfo] = {}
        self.entries: dict[str, FrameworkEntry] = {}
        self.broken_entries: list[FrameworkEntry] = []
        self.conflicts: dict[str, list[FrameworkEntry]] = {}  # an edition registered more than once: not used
        self._functions: dict[str, Any] | None = None
        self._function_specs: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self._list_paths: list[tuple[str, Path]] = []
        self.crosswalk_paths: list[tuple[str, Path]] = []  # (plugin, file): read when compare or check needs them
        self._crosswalks: list[Any] | None = None
        self._lists: dict[str, Any] | None = None
        self._frameworks: dict[str, Framework] = {}
        self._engines: dict[str, Engine] = {}

    # -- loading
    def fail(self, plugin: str, message: str, exc: BaseException | None = None) -> None:
        info = self.plugins.setdefault(plugin, PluginInfo(plugin))
        info.error = message
        if exc is not None:
            import traceback  # here, not at the top: only a plugin that fails needs it

            info.detail = "".join(traceback.format_exception(exc))
        if self.strict:
            raise PluginError(f"plugin {plugin!r} failed: {message}") from exc

    def add_plugin(self, obj: Any, name: str, version: str = "", distribution: str = "") -> None:
        """Register a plugin object or module (entry points do this; tests and embedders may too)."""
        self.plugins[name] = PluginInfo(name, version, distribution)
        try:
            self.pm.register(obj, name=name)
        except (KeyboardInterrupt, Terminated):
            raise
        except BaseException as exc:  # noqa: BLE001 - a bad plugin is reported, not fatal (even sys.exit)
            self.fail(name, f"could not be registered: {_what(exc)}", exc)

    def load_entry_points(self) -> None:
        allow = os.environ.get("INSPECTKIT_LOAD_PLUGINS")
        allowed = None if allow is None else {a.strip() for a in allow.split(",") if a.strip()}
        for name, value, dist_name, version in installed_entry_points():
            if allowed is not None and name not in allowed:
                continue
            if name in self.plugins:
                continue
            try:
                module = _load_entry_point(value)
            except (KeyboardInterrupt, Terminated):
                raise
            except BaseException as exc:  # noqa: BLE001 - reported by name, the rest keep working (even sys.exit)
                self.plugins[name] = PluginInfo(name, version, dist_name)
                self.fail(name, f"failed on import: {_what(exc)}", exc)
                continue
            self.add_plugin(module, name, version, dist_name)

    def collect(self) -> None:
        """Ask every plugin for its registrations, each in isolation."""
        for plugin, fn in self.hooks.register_frameworks():
            if self.plugins.get(plugin, PluginInfo(plugin)).error:
                continue

            def register(path: Any, _plugin: str = plugin) -> None:
                self._add_framework(Path(path), _plugin)

            self._call(plugin, fn, register)
        for plugin, fn in self.hooks.register_functions():

            def register_fn(name: str, func: Callable[..., Any], *args: Any, _plugin: str = plugin, **kwargs: Any) -> None:
                problem = _function_problem(name, func, args, kwargs)
                if problem is None:
                    other = next((p for p, a, _ in self._function_specs if a[0] == name), None)
                    if other is not None:
                        problem = f"function {name!r} is already registered by plugin {other!r}"
                if problem is not None:
                    self.fail(_plugin, f"registered a bad function: {problem}")
                    return
                self._function_specs.append((_plugin, (name, func, *args), kwargs))

            self._call(plugin, fn, register_fn)
        for plugin, fn in self.hooks.register_reference_lists():

            def register_list(path: Any, _plugin: str = plugin) -> None:
                if not isinstance(path, (str, os.PathLike)) or not Path(path).is_file():
                    self.fail(_plugin, f"registered a reference list that is not a file: {path!r}"[:300])
                    return
                self._list_paths.append((_plugin, Path(path)))

            self._call(plugin, fn, register_list)
        for plugin, fn in self.hooks.register_crosswalks():

            def register_crosswalk(path: Any, _plugin: str = plugin) -> None:
                self.crosswalk_paths.append((_plugin, Path(path)))

            self._call(plugin, fn, register_crosswalk)

    def _call(self, plugin: str, fn: Callable[..., Any], register: Callable[..., None]) -> None:
        try:
            fn(register=register)
        except (PluginError, KeyboardInterrupt, Terminated):
            raise
        except BaseException as exc:  # noqa: BLE001 - even sys.exit in a hook is the plugin's failure
            self.fail(plugin, f"raised while registering: {_what(exc)}", exc)

    def _add_framework(self, path: Path, plugin: str) -> None:
        from inspectkit.files import read_header

        entry = FrameworkEntry(path, plugin)
        try:
            header = read_header(path)  # the edition's name and title: the definition is built only when used
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, the plugin is reported by name
            entry.error = str(exc)
            self.broken_entries.append(entry)
            self.fail(plugin, f"its framework definition {path} cannot be read: {exc}", exc)
            return
        entry.edition = header["edition"]
        entry.title = header["title"]
        entry.version = header["version"]
        entry.evidence_for = header["evidence_for"]
        entry.date = header["date"]
        if not entry.edition:
            entry.error = "the definition names no edition"
            self.broken_entries.append(entry)
            self.fail(plugin, f"{path}: the definition names no edition")
            return
        first = self.entries.get(entry.edition) or self.conflicts.get(entry.edition, [None])[0]
        if first is not None:
            # neither is trusted: which one an inspector gets must not depend on the order plugins load in
            clash = self.conflicts.setdefault(entry.edition, [first])
            clash.append(entry)
            self.entries.pop(entry.edition, None)
            names = " and ".join(sorted({repr(e.plugin) for e in clash}))
            where = ", ".join(str(e.path) for e in clash)
            message = f"edition {entry.edition!r} is registered by more than one plugin ({names}: {where}); uninstall one"
            for e in clash:
                self.fail(e.plugin, message)
            return
        self.entries[entry.edition] = entry

    # -- what is registered
    @property
    def functions(self) -> dict[str, Any]:
        if self._functions is None:
            from inspectkit.expressions import TYPE_NAMES, Function, builtin_functions

            fns = builtin_functions()
            for plugin, args, kwargs in self._function_specs:
                try:
                    name, func = args[0], args[1]
                    params = tuple(kwargs.get("params", args[2] if len(args) > 2 else ()))
                    returns = kwargs.get("returns", args[3] if len(args) > 3 else "any")
                    if not callable(func):
                        raise TypeError(f"{name}: not callable")
                    for p in params:
                        if p not in TYPE_NAMES:
                            raise TypeError(f"{name}: unknown parameter type {p!r}")
                    if name in fns:
                        raise ValueError(f"function {name!r} is already registered by {fns[name].plugin}")
                    fns[name] = Function(name, func, params, returns, kwargs.get("doc", ""), plugin)
                except Exception as exc:  # noqa: BLE001
                    self.fail(plugin, f"registered a bad function: {exc}", exc)
            self._functions = fns
        return self._functions

    @property
    def lists(self) -> dict[str, Any]:
        if self._lists is None:
            from inspectkit.expressions import ReferenceList

            lists: dict[str, ReferenceList] = {}
            for plugin, path in self._list_paths:
                try:
                    name, title, entries, source = _read_list(path)
                    if name in lists:
                        raise ValueError(f"reference list {name!r} is already registered by {lists[name].plugin}")
                    lists[name] = ReferenceList(name, title, entries, source, plugin)
                except Exception as exc:  # noqa: BLE001
                    self.fail(plugin, f"its reference list {path} cannot be read: {exc}", exc)
            self._lists = lists
        return self._lists

    def editions(self) -> list[str]:
        """The installed editions' ids, sorted.

        Returns:
            Edition ids, such as ``["my_edition", "my_rating_edition"]``.

        Example:
            >>> inspectkit.load_registry().editions()
            ['my_edition', 'my_rating_edition']
        """
        return sorted(self.entries)

    def framework(self, edition: str) -> Framework:
        """The checked framework of an installed edition (built on first use, then kept).

        Args:
            edition: the edition id, as ``editions()`` lists it.

        Returns:
            The framework: ``items`` (id -> item), ``questions``, scoring and ratings.

        Raises:
            UsageError: the edition is not installed (the near miss is suggested).
            DefinitionError: its definition is wrong (a ``DefinitionErrors`` lists every problem).
            TypeError: ``edition`` is not a str.

        Example:
            >>> registry.framework("my_edition").title
            'My methodology (2024)'
        """
        if not isinstance(edition, str):
            raise TypeError(f"edition must be an edition id (str), not {type(edition).__name__}")
        if edition in self._frameworks:
            return self._frameworks[edition]
        entry = self.entries.get(edition)
        if entry is None and edition in self.conflicts:
            clash = self.conflicts[edition]
            names = " and ".join(sorted({repr(e.plugin) for e in clash}))
            raise UsageError(f"edition {edition!r} is registered by more than one plugin ({names}): uninstall one of them")
        if entry is None:
            hint = suggestion(edition, self.entries)
            known = ", ".join(self.editions()) or "none installed"
            broken = [p for p, i in self.plugins.items() if i.error]
            extra = f"; plugins that failed to load: {', '.join(broken)}" if broken else ""
            raise UsageError(f"unknown edition {edition!r}" + (f"; {hint}" if hint else f" (installed: {known})") + extra)
        from inspectkit import builtcache

        plugin = self.plugins.get(entry.plugin, PluginInfo(entry.plugin))
        lists, list_files = _LazyLists(self), [path for _, path in self._list_paths]  # read only if a rule needs them
        framework = builtcache.load(entry.path, entry.plugin, plugin.version, self.functions, lists, list_files)
        if framework is None:
            from inspectkit.definition import build_framework

            framework = build_framework(entry.path, self.functions, lists, entry.plugin, plugin.version, list_files)
        self.check_feeds(framework)
        self._frameworks[edition] = framework
        return framework

    def check_feeds(self, framework: Any) -> None:
        errors = []
        ids_of: dict[str, set[str]] = {}  # item ids of each edition fed (read once, from its header)
        for item in framework.items.values():
            for feed in item.feeds:
                if ":" not in feed:
                    continue
                target_edition, target = feed.split(":", 1)
                if target_edition == framework.edition:
                    continue
                entry = self.entries.get(target_edition)
                if entry is None:
                    continue  # the rating edition is not installed: this instrument still assesses cases
                if target_edition not in ids_of:
                    from inspectkit.files import read_ids

                    ids_of[target_edition] = set(read_ids(entry.path))
                ids = ids_of[target_edition]
                if target not in ids:
                    errors.append(
                        DefinitionError(
                            f"feeds {feed!r}: {target_edition} has no item {target!r}",
                            Location(item.file or framework.path, item.line, item.id),
                            suggestion(target, ids),
                        )
                    )
        if errors:
            raise DefinitionErrors(errors)

    def engine(self, edition: str) -> Engine:
        """The edition's framework made ready to assess many cases (built on first use, then kept)."""
        if edition not in self._engines:
            from inspectkit.engine import Engine

            self._engines[edition] = Engine(self.framework(edition))
        return self._engines[edition]

    def crosswalks(self) -> list[Any]:
        """Every registered crosswalk, read once (a file that cannot be read raises its errors)."""
        if self._crosswalks is None:
            from inspectkit.crosswalk import load_crosswalk

            self._crosswalks = [load_crosswalk(path, plugin) for plugin, path in self.crosswalk_paths]
        return self._crosswalks

    def instruments_for(self, edition: str) -> list[str]:
        """Editions whose case files are evidence for ``edition`` (the edition itself first)."""
        return [edition] + sorted(e for e, entry in self.entries.items() if entry.evidence_for == edition and e != edition)

    def failures(self) -> list[PluginInfo]:
        """The plugins that failed to load or register, each with ``name``, ``error`` and ``detail``.

        Returns:
            One ``PluginInfo`` per failed plugin (empty when all loaded).

        Example:
            >>> [f.name for f in registry.failures()]
            []
        """
        return [p for p in self.plugins.values() if p.error]


_ListData = tuple[str, str, tuple[tuple[str, str, str | None], ...], str]


def _read_list(path: Path) -> _ListData:
    """A reference list's name, title, entries (code, label, group) and source.

    Kept in the cache as those values alone (an entry of its own, used while the list's files are unchanged), so
    that a rule reading a list costs a small read, not the list's whole parsed file with its line numbers."""
    from inspectkit import cache

    key = os.path.abspath(path)
    stored = cache.load("reference-list", key)
    if (
        isinstance(stored, list)
        and len(stored) == 4
        and isinstance(stored[0], str)
        and isinstance(stored[1], str)
        and isinstance(stored[3], str)
        and isinstance(stored[2], list)
        and all(
            isinstance(e, list)
            and len(e) == 3
            and isinstance(e[0], str)
            and isinstance(e[1], str)
            and (e[2] is None or isinstance(e[2], str))
            for e in stored[2]
        )
    ):
        return stored[0], stored[1], tuple((e[0], e[1], e[2]) for e in stored[2]), stored[3]
    from inspectkit.files import read_definition

    raw, deps = read_definition(path)
    name = str(raw["name"])
    entries = tuple(
        (str(e["code"]), str(e.get("label") or e["code"]), str(e["group"]) if e.get("group") else None)
        for e in raw.get("entries") or []
    )
    data: _ListData = (name, str(raw.get("title") or name), entries, str(raw.get("source") or ""))
    cache.store("reference-list", key, deps, [data[0], data[1], [list(e) for e in entries], data[3]])
    return data


class _LazyLists(Mapping[str, Any]):
    """The registry's reference lists, read from their files when first looked at."""

    def __init__(self, registry: Registry):
        self.registry = registry

    def __getitem__(self, name: str) -> Any:
        return self.registry.lists[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.registry.lists)

    def __len__(self) -> int:
        return len(self.registry.lists)


def load_registry(
    plugins: Iterable[tuple[str, Any]] = (),
    entry_points: bool = True,
    strict: bool | None = None,
) -> Registry:
    """Discover installed plugins (and any given as ``(name, module)`` pairs) and collect what they register."""
    if strict is None:
        strict = os.environ.get("INSPECTKIT_STRICT_PLUGINS", "") not in ("", "0", "false", "no")
    registry = Registry(strict=strict)
    for name, obj in plugins:
        registry.add_plugin(obj, name)
    if entry_points:
        registry.load_entry_points()
    registry.collect()
    return registry
