"""Small record classes for the framework model, made without generating code.

A framework's classes (items, answer types, rules' trees) are defined when an inspector's command starts.
attrs makes each class by writing and compiling Python source for its methods, about a millisecond a class,
which for the forty-odd classes of the model and the rule language came to more than any other start-up
work. ``record`` gives the same behaviour (``__init__`` taking the fields in order, defaults and factories,
keyword-only fields, ``__repr__``, ``__eq__``, ``__hash__``, frozen instances, ``__slots__``) from a few
shared functions, with no source written or compiled; ``evolve`` is ``attrs.evolve`` for them.

Annotations name the fields, in order, as for attrs; a default is a plain value or ``field(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

_NOTHING: Any = object()


class FrozenInstanceError(AttributeError):
    """A frozen record's fields cannot be changed (make a new one with ``evolve``)."""

    msg = "can't set attribute"

    def __init__(self) -> None:
        super().__init__(self.msg)


class Field:
    """What ``field()`` returns: a field's default (or factory) and whether it counts in repr and eq."""

    __slots__ = ("default", "factory", "repr", "eq", "kw_only")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, repr: bool, eq: bool, kw_only: bool) -> None:
        self.default = default
        self.factory = factory
        self.repr = repr
        self.eq = eq
        self.kw_only = kw_only


def field(
    *,
    default: Any = _NOTHING,
    factory: Callable[[], Any] | None = None,
    repr: bool = True,
    eq: bool = True,
    kw_only: bool = False,
) -> Any:
    """A field's options: ``default`` or ``factory`` (called for each new record), ``repr``, ``eq``, ``kw_only``."""
    return Field(default, factory, repr, eq, kw_only)


if TYPE_CHECKING:  # pragma: no cover - type checkers read records as dataclass-like classes
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda f: f


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T] | None = None, *, frozen: bool = True, eq: bool = True) -> Any:
    """Make ``cls`` a record class (frozen, compared by value, unless told otherwise)."""

    def wrap(cls: type[T]) -> type[T]:
        return _make(cls, frozen, eq)

    return wrap if cls is None else wrap(cls)


def _make(cls: type, frozen: bool, eq: bool) -> type:
    inherited: list[tuple[str, Field]] = list(getattr(cls, "__record_fields__", ()))
    own: list[tuple[str, Field]] = []
    namespace = dict(cls.__dict__)
    for name in cls.__dict__.get("__annotations__", {}):
        if name.startswith("__") or name in ("ClassVar",):
            continue
        value = namespace.pop(name, _NOTHING)
        spec = value if isinstance(value, Field) else Field(value, None, True, True, False)
        own.append((name, spec))
    fields = [(n, s) for n, s in inherited if n not in {o for o, _ in own}] + own
    namespace.pop("__dict__", None)
    namespace.pop("__weakref__", None)
    namespace["__slots__"] = tuple(n for n, _ in own)
    names = tuple(n for n, _ in fields)
    positional = tuple(n for n, s in fields if not s.kw_only)
    defaults = {n: s for n, s in fields if s.default is not _NOTHING or s.factory is not None}
    repr_names = tuple(n for n, s in fields if s.repr)
    eq_names = tuple(n for n, s in fields if s.eq)
    setter = object.__setattr__
    qualname = cls.__qualname__

    npos = len(positional)
    # the fields left to keyword arguments or defaults once the first k positional ones are given (each worked
    # out when a record is first made with k arguments: a class's first use, not its definition, pays for it)
    rest_after: list[tuple[str, ...] | None] = [None] * (npos + 1)

    def rest(given: int) -> tuple[str, ...]:
        taken = set(positional[:given])
        rest_after[given] = left = tuple(n for n in names if n not in taken)
        return left

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = len(args)
        if given > npos:
            raise TypeError(f"{qualname}() takes {npos} positional arguments but {given} were given")
        for name, value in zip(positional, args, strict=False):  # the first len(args) fields
            setter(self, name, value)
        left = rest_after[given]
        for name in rest(given) if left is None else left:
            if name in kwargs:
                setter(self, name, kwargs.pop(name))
            else:
                spec = defaults.get(name)
                if spec is None:
                    raise TypeError(f"{qualname}() missing required argument: {name!r}")
                setter(self, name, spec.factory() if spec.factory is not None else spec.default)
        if kwargs:
            name = next(iter(kwargs))
            if name in positional:
                raise TypeError(f"{qualname}() got multiple values for argument {name!r}")
            raise TypeError(f"{qualname}() got an unexpected keyword argument {name!r}")

    def __repr__(self: Any) -> str:
        return f"{qualname}({', '.join(f'{n}={getattr(self, n)!r}' for n in repr_names)})"

    namespace["__init__"] = __init__
    namespace["__repr__"] = __repr__
    namespace["__match_args__"] = positional
    namespace["__record_fields__"] = tuple(fields)
    if eq:

        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is not self.__class__:
                return NotImplemented
            return all(getattr(self, n) == getattr(other, n) for n in eq_names)

        def __ne__(self: Any, other: Any) -> Any:
            result = __eq__(self, other)
            return result if result is NotImplemented else not result

        namespace["__eq__"] = __eq__
        namespace["__ne__"] = __ne__
        if frozen:

            def __hash__(self: Any) -> int:
                return hash((qualname, *(getattr(self, n) for n in eq_names)))

            namespace["__hash__"] = __hash__
        else:
            namespace["__hash__"] = None
    if frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenInstanceError()

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenInstanceError()

        namespace["__setattr__"] = __setattr__
        namespace["__delattr__"] = __delattr__

    def __getstate__(self: Any) -> dict[str, Any]:
        return {n: getattr(self, n) for n in names}

    def __setstate__(self: Any, state: dict[str, Any]) -> None:
        for n, v in state.items():
            setter(self, n, v)

    namespace["__getstate__"] = __getstate__
    namespace["__setstate__"] = __setstate__
    return type(cls)(cls.__name__, cls.__bases__, namespace)


def fields(cls: type) -> tuple[tuple[str, Field], ...]:
    """A record class's fields, in order, with their options."""
    return cls.__record_fields__  # type: ignore[attr-defined, no-any-return]


def evolve(instance: T, **changes: Any) -> T:
    """A copy of a record with some fields changed."""
    values = {n: getattr(instance, n) for n, _ in fields(type(instance))}
    values.update(changes)
    return type(instance)(**values)
