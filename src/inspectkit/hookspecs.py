"""The hooks a plugin implements to add an edition to inspectkit.

Each hook hands the plugin a ``register`` callable: the core owns naming, clashes and errors, so a
plugin only says what it has.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

hookspec = pluggy.HookspecMarker("inspectkit")


@hookspec
def register_frameworks(register: Callable[..., None]) -> None:
    """Register the plugin's framework definitions (editions).

    :param register: call ``register(path)`` with the path of a framework definition YAML file (see
        ``docs/framework-format.md``). The file is read only when its edition is used, and its parse is
        cached, so registering costs nothing at start-up.

    .. versionadded:: 0.1
    """


@hookspec
def register_functions(register: Callable[..., None]) -> None:
    """Register functions that conditions may call by name.

    :param register: call ``register(name, func, params=[...], returns="bool", doc="...")``. ``params``
        are type names (``bool``, ``number``, ``text``, ``date``, ``list``, ``any``); ``returns`` is a type
        name, or ``"text:a|b|c"`` for a function that returns one of those codes. The function receives
        plain values and may return ``None`` for "unknown".

    .. versionadded:: 0.1
    """


@hookspec
def register_reference_lists(register: Callable[..., None]) -> None:
    """Register named reference lists (codes with labels and groups) that editions can share.

    :param register: call ``register(path)`` with a YAML file holding ``name``, ``title``, ``source`` and
        ``entries`` (a list of ``{code, label, group}``). Definitions use a list as ``choices_from: NAME``
        and in conditions through ``in_list("NAME", X)`` and ``list_group("NAME", X)``. One copy serves
        every edition that needs it.

    .. versionadded:: 0.1
    """


@hookspec
def register_crosswalks(register: Callable[..., None]) -> None:
    """Register crosswalks: how an edition's aggregated items correspond to another edition's.

    :param register: call ``register(path)`` with a YAML file holding ``from`` and ``to`` (edition ids) and
        ``rows``, each ``{from: ID, to: ID, relation: equivalent|narrower|broader|related, reason: TEXT}``.
        ``compare`` lines inspections of different editions up through them; ``check`` validates them.

    .. versionadded:: 0.2
    """
