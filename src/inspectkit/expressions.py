"""The condition language: parse once into a typed tree, check it, compile it to closures.

Conditions in a framework definition ("post-custody cases only", "where the assessed risk is medium or
higher", "within 8 weeks of sentence") are strings such as::

    sentence_type in ["licence", "pss"] and risk >= "medium"
    weeks_between(sentence_date, offer_date) <= 8

There is no ``eval`` and no Python ``ast``: a small tokenizer and a recursive-descent parser build a tree of
:class:`Node` objects; :func:`check` gives every node a static :class:`Type` against the framework's
questions and the registered functions (unknown ids, unknown functions, wrong argument types, codes a
question does not have, comparisons that mix numbers and text); :func:`compile_expr` turns the checked tree
into nested closures that are cheap to call once per case.

Missing information is *unknown*: a reference to a question with no answer (or one that does not apply)
evaluates to :data:`UNKNOWN`, comparisons with it are unknown, and ``and``/``or``/``not`` follow
three-valued (Kleene) logic.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from inspectkit.errors import ExpressionError, suggestion
from inspectkit.records import field, record


class _Unknown:
    """The value of a reference to a question that is unanswered or does not apply."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "unknown"

    def __bool__(self) -> bool:
        raise TypeError("unknown has no truth value; use three-valued helpers")

    def __reduce__(self):
        return (_Unknown, ())


UNKNOWN: Any = _Unknown()
NA = "n/a"


# --------------------------------------------------------------------------------------------- types


@record
class Type:
    """The static type of an expression.

    ``kind`` is one of ``bool``, ``number``, ``text``, ``date``, ``list``, ``map``, ``any``.
    A ``text`` type may carry the ``codes`` a question allows (and their ``order`` on an ordered scale);
    ``truthy`` marks a yes/no question, which may stand alone where a condition is expected.
    """

    kind: str
    codes: frozenset[str] | None = None
    order: tuple[str, ...] | None = None
    truthy: bool = False
    element: Type | None = None
    categories: frozenset[str] | None = None
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.kind == "list" and self.element is not None:
            return f"list of {self.element.describe()}"
        return self.kind


BOOL = Type("bool")
NUMBER = Type("number")
TEXT = Type("text")
DATE = Type("date")
ANY = Type("any")
LIST = Type("list", element=ANY)

TYPE_NAMES = {"bool": BOOL, "number": NUMBER, "text": TEXT, "date": DATE, "any": ANY, "list": LIST}


# --------------------------------------------------------------------------------------------- tokens

# The rule language's tokens. Compiled when a rule is first parsed (building or checking a definition): a
# command that reads its editions from the cache parses none, and compiling it cost about a millisecond.
_LEXEMES = r"""
    (?P<ws>\s+)
  | (?P<number>\d+(?:\.\d+)?(?![A-Za-z_.\d]))
  | (?P<braced>\{[^{}]*\})
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]|[A-Za-z_])
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\+|-)
    """
_LEXER: list[re.Pattern[str]] = []
KEYWORDS = {"and", "or", "not", "in", "if", "then", "else", "true", "false"}


@record
class Token:
    kind: str  # number, string, ident, ref, op, kw, end
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    if not _LEXER:
        _LEXER.append(re.compile(_LEXEMES, re.VERBOSE))
    match = _LEXER[0].match
    while pos < len(text):
        m = match(text, pos)
        if not m:
            raise ExpressionError(f"unexpected character {text[pos]!r}", pos, text)
        kind = m.lastgroup
        raw = m.group()
        if kind == "ws":
            pass
        elif kind == "number":
            if len(raw) > MAX_NUMBER_CHARS:
                raise ExpressionError(
                    f"a number of {len(raw):,} characters; at most {MAX_NUMBER_CHARS} are read", pos, text[:200]
                )
            tokens.append(Token("number", float(raw) if "." in raw else int(raw), pos))
        elif kind == "braced":
            inner = raw[1:-1].strip()
            if not inner:
                raise ExpressionError("empty braces: write a question id inside {}", pos, text)
            tokens.append(Token("ref", inner, pos))
        elif kind == "string":
            body = raw[1:-1]
            tokens.append(Token("string", re.sub(r"\\(.)", r"\1", body), pos))
        elif kind == "ident":
            tokens.append(Token("kw" if raw in KEYWORDS else "ident", raw, pos))
        else:
            tokens.append(Token("op", raw, pos))
        pos = m.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


# --------------------------------------------------------------------------------------------- tree


@record(frozen=False, eq=False)
class Node:
    pos: int
    type: Type = field(default=ANY, kw_only=True)


@record(frozen=False, eq=False)
class Literal(Node):
    value: Any


@record(frozen=False, eq=False)
class Ref(Node):
    id: str


@record(frozen=False, eq=False)
class ListLit(Node):
    items: list[Node]


@record(frozen=False, eq=False)
class Unary(Node):
    op: str  # not, -
    operand: Node


@record(frozen=False, eq=False)
class BoolOp(Node):
    op: str  # and, or
    operands: list[Node]


@record(frozen=False, eq=False)
class Compare(Node):
    op: str  # == != < <= > >= in notin
    left: Node
    right: Node


@record(frozen=False, eq=False)
class Arith(Node):
    op: str  # + -
    left: Node
    right: Node


@record(frozen=False, eq=False)
class Call(Node):
    name: str
    args: list[Node]


@record(frozen=False, eq=False)
class IfElse(Node):
    cond: Node
    then: Node
    otherwise: Node | None  # no else: no value (unknown) when the condition is not true


MAX_DEPTH = 64  # nesting deeper than any rule a person writes; a guard against runaway input
MAX_NUMBER_CHARS = 30  # a number in a rule: longer ones are typing slips (and past float's range)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def accept(self, kind: str, value: Any = None) -> Token | None:
        tok = self.peek()
        if tok.kind == kind and (value is None or tok.value == value):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, value: Any, what: str) -> Token:
        tok = self.accept(kind, value)
        if tok is None:
            got = self.peek()
            shown = "the end" if got.kind == "end" else repr(got.value)
            raise ExpressionError(f"expected {what}, found {shown}", got.pos, self.text)
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ExpressionError("empty expression", 0, self.text)
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise ExpressionError(f"unexpected {tok.value!r}", tok.pos, self.text)
        return node

    def expr(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep", self.peek().pos, self.text)
            return self._expr()
        finally:
            self.depth -= 1

    def _expr(self) -> Node:
        tok = self.peek()
        if tok.kind == "kw" and tok.value == "if":
            self.next()
            cond = self.expr()
            self.expect("kw", "then", "'then'")
            then = self.expr()
            otherwise = None
            if self.peek().kind == "kw" and self.peek().value == "else":
                self.next()
                otherwise = self.expr()
            return IfElse(tok.pos, cond, then, otherwise)
        return self.or_expr()

    def or_expr(self) -> Node:
        first = self.and_expr()
        operands = [first]
        while self.accept("kw", "or"):
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else BoolOp(first.pos, "or", operands)

    def and_expr(self) -> Node:
        first = self.not_expr()
        operands = [first]
        while self.accept("kw", "and"):
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else BoolOp(first.pos, "and", operands)

    def not_expr(self) -> Node:
        tok = self.accept("kw", "not")
        if tok:
            return Unary(tok.pos, "not", self.expr_guard(self.not_expr))
        return self.comparison()

    def expr_guard(self, parse: Any) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep", self.peek().pos, self.text)
            return parse()
        finally:
            self.depth -= 1

    def comparison(self) -> Node:
        left = self.sum()
        tok = self.peek()
        if tok.kind == "op" and tok.value in ("==", "!=", "<", "<=", ">", ">="):
            self.next()
            return Compare(tok.pos, tok.value, left, self.sum())
        if tok.kind == "kw" and tok.value == "in":
            self.next()
            return Compare(tok.pos, "in", left, self.sum())
        if tok.kind == "kw" and tok.value == "not" and self.tokens[self.i + 1].value == "in":
            self.i += 2
            return Compare(tok.pos, "notin", left, self.sum())
        return left

    def sum(self) -> Node:
        node = self.unary()
        terms = 1
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value in ("+", "-"):
                terms += 1  # each term nests the sum one level deeper
                if self.depth + terms > MAX_DEPTH:
                    raise ExpressionError(f"a sum of more than {MAX_DEPTH} terms", tok.pos, self.text[:200])
                self.next()
                node = Arith(tok.pos, tok.value, node, self.unary())
            else:
                return node

    def unary(self) -> Node:
        tok = self.accept("op", "-")
        if tok:
            return Unary(tok.pos, "-", self.expr_guard(self.unary))
        return self.atom()

    def atom(self) -> Node:
        tok = self.next()
        if tok.kind == "number":
            return Literal(tok.pos, tok.value)
        if tok.kind == "string":
            return Literal(tok.pos, tok.value)
        if tok.kind == "ref":
            return Ref(tok.pos, tok.value)
        if tok.kind == "kw" and tok.value in ("true", "false"):
            return Literal(tok.pos, tok.value == "true")
        if tok.kind == "ident":
            if self.accept("op", "("):
                args: list[Node] = []
                if not self.accept("op", ")"):
                    args.append(self.expr())
                    while self.accept("op", ","):
                        args.append(self.expr())
                    self.expect("op", ")", "')' to close the call")
                return Call(tok.pos, tok.value, args)
            return Ref(tok.pos, tok.value)
        if tok.kind == "op" and tok.value == "(":
            node = self.expr()
            self.expect("op", ")", "')'")
            return node
        if tok.kind == "op" and tok.value == "[":
            items: list[Node] = []
            if not self.accept("op", "]"):
                items.append(self.expr())
                while self.accept("op", ","):
                    items.append(self.expr())
                self.expect("op", "]", "']' to close the list")
            return ListLit(tok.pos, items)
        shown = "the end" if tok.kind == "end" else repr(tok.value)
        raise ExpressionError(f"expected a value, a question id or '(', found {shown}", tok.pos, self.text)


def parse(text: str) -> Node:
    """Parse an expression into an (unchecked) tree; raises ExpressionError with the column."""
    if not isinstance(text, str):
        raise ExpressionError(f"a rule must be text, not {type(text).__name__}")
    return _Parser(text).parse()


def refs(node: Node) -> set[str]:
    """Every question id an expression reads."""
    found: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Ref):
            found.add(n.id)
        elif isinstance(n, ListLit):
            stack.extend(n.items)
        elif isinstance(n, Unary):
            stack.append(n.operand)
        elif isinstance(n, BoolOp):
            stack.extend(n.operands)
        elif isinstance(n, (Compare, Arith)):
            stack.extend((n.left, n.right))
        elif isinstance(n, Call):
            stack.extend(n.args)
        elif isinstance(n, IfElse):
            stack.extend(x for x in (n.cond, n.then, n.otherwise) if x is not None)
    return found


# --------------------------------------------------------------------------------------------- functions


class Env(Protocol):
    """What an expression reads from a case while it is evaluated.

    ``vals`` maps question ids to their settled values (absent: unknown); compiled rules read it directly,
    as the hot path of every case.
    """

    vals: Mapping[str, Any]

    def value(self, qid: str) -> Any: ...
    def answered(self, qid: str) -> bool: ...


@record
class Function:
    """A function callable from conditions.

    ``params`` are type names (``bool``, ``number``, ``text``, ``date``, ``list``, ``any``), or ``ref`` for an
    argument that must be a question id (the function receives the id and the environment), or ``list_name``
    for the name of a registered reference list (a string literal).
    ``unknown_in`` decides what an unknown argument gives: by default the result is unknown without calling.
    """

    name: str
    impl: Callable[..., Any]
    params: tuple[str, ...]
    returns: str
    doc: str = ""
    plugin: str = "inspectkit"
    raw: bool = False  # impl(env, *args) receives the environment and unevaluated refs


@record
class ReferenceList:
    """A named list of codes with labels and groups (for example a list of specified offences)."""

    name: str
    title: str
    entries: tuple[tuple[str, str, str | None], ...]  # code, label, group
    source: str = ""
    plugin: str = ""

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(e[0] for e in self.entries)

    @property
    def groups(self) -> dict[str, str | None]:
        return {code: group for code, _, group in self.entries}


def _whole_weeks(a: dt.date, b: dt.date) -> int:
    return (b - a).days // 7


def _whole_months(a: dt.date, b: dt.date) -> int:
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if b.day < a.day:
        months -= 1
    return months


def _to_date(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return UNKNOWN


def _is_na(env: Any, qid: str) -> bool:
    return env.value(qid) == NA


def builtin_functions() -> dict[str, Function]:
    fns = [
        Function(
            "answered", lambda env, qid: env.answered(qid), ("ref",), "bool", "the case gives an answer (n/a included)", raw=True
        ),
        Function("is_na", _is_na, ("ref",), "bool", "the question was answered n/a", raw=True),
        Function(
            "count",
            lambda v: len(v) if isinstance(v, (list, tuple)) else 0,
            ("list",),
            "number",
            "number of choices in a multi answer",
        ),
        Function("days_between", lambda a, b: (b - a).days, ("date", "date"), "number", "days from a to b"),
        Function("weeks_between", _whole_weeks, ("date", "date"), "number", "whole weeks from a to b"),
        Function("months_between", _whole_months, ("date", "date"), "number", "whole calendar months from a to b"),
        Function("date", _to_date, ("text",), "date", "a date from YYYY-MM-DD"),
        # checked and compiled specially (they take a list name or a category code)
        Function("in_list", lambda *a: None, ("list_name", "text"), "bool", "the code is on the reference list"),
        Function("list_group", lambda *a: None, ("list_name", "text"), "text", "the group of a code on a reference list"),
        Function("category", lambda *a: None, ("ref", "text"), "any", "one category's value in a per-category answer"),
    ]
    return {f.name: f for f in fns}


# --------------------------------------------------------------------------------------------- checking


class Scope(Protocol):
    """What the checker needs to know about the framework an expression lives in."""

    def type_of(self, qid: str) -> Type | None: ...
    def ids(self) -> Iterable[str]: ...


@record(frozen=False)
class Checker:
    scope: Scope
    functions: Mapping[str, Function]
    lists: Mapping[str, ReferenceList]
    text: str = ""

    def fail(self, message: str, node: Node) -> ExpressionError:
        return ExpressionError(message, node.pos, self.text)

    def check(self, node: Node) -> Type:
        node.type = self._check(node)
        return node.type

    def _check(self, node: Node) -> Type:
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return BOOL
            if isinstance(node.value, (int, float)):
                return NUMBER
            return Type("text", codes=frozenset([node.value]))
        if isinstance(node, Ref):
            t = self.scope.type_of(node.id)
            if t is None:
                elsewhere = getattr(self.scope, "why_unavailable", lambda qid: None)(node.id)
                if elsewhere:
                    raise self.fail(f"{node.id} {elsewhere}", node)
                hint = suggestion(node.id, self.scope.ids())
                raise self.fail(f"unknown question id {node.id!r}" + (f"; {hint}" if hint else ""), node)
            return t
        if isinstance(node, ListLit):
            element: Type | None = None
            codes: set[str] = set()
            for item in node.items:
                t = self.check(item)
                if t.kind not in ("text", "number", "date", "bool"):
                    raise self.fail(f"a list holds plain values, not {t.describe()}", item)
                if element is not None and element.kind != t.kind:
                    raise self.fail(f"a list mixes {element.kind} and {t.kind}", item)
                element = t
                if t.codes:
                    codes |= t.codes
            if element is not None and element.kind == "text":
                element = Type("text", codes=frozenset(codes))
            return Type("list", element=element or ANY)
        if isinstance(node, Unary):
            t = self.check(node.operand)
            if node.op == "not":
                self.expect_bool(node.operand, t)
                return BOOL
            if t.kind != "number":
                raise self.fail(f"'-' needs a number, not {t.describe()}", node)
            return NUMBER
        if isinstance(node, BoolOp):
            for operand in node.operands:
                self.expect_bool(operand, self.check(operand))
            return BOOL
        if isinstance(node, Compare):
            return self.check_compare(node)
        if isinstance(node, Arith):
            lt, rt = self.check(node.left), self.check(node.right)
            if lt.kind == "number" and rt.kind == "number":
                return NUMBER
            if lt.kind == "date" and rt.kind == "number":
                return DATE
            if node.op == "-" and lt.kind == "date" and rt.kind == "date":
                return NUMBER
            raise self.fail(f"cannot {'add' if node.op == '+' else 'subtract'} {rt.describe()} and {lt.describe()}", node)
        if isinstance(node, Call):
            return self.check_call(node)
        if isinstance(node, IfElse):
            self.expect_bool(node.cond, self.check(node.cond))
            a = self.check(node.then)
            if node.otherwise is None:
                return a
            b = self.check(node.otherwise)
            if a.kind != b.kind and "any" not in (a.kind, b.kind):
                raise self.fail(f"'then' gives {a.describe()} but 'else' gives {b.describe()}", node)
            if a.kind == "text":
                return Type("text", codes=(a.codes or frozenset()) | (b.codes or frozenset()))
            return a if a.kind != "any" else b
        raise self.fail("unsupported expression", node)  # pragma: no cover

    def expect_bool(self, node: Node, t: Type) -> None:
        if t.kind == "bool" or t.truthy or t.kind == "any":
            return
        what = node.id if isinstance(node, Ref) else "this"
        raise self.fail(f'{what} is {t.describe()}, not yes/no: compare it, e.g. {what} == "..."', node)

    def check_codes(self, side: Node, t: Type, literal: Node, lt: Type) -> None:
        if t.codes is None or lt.codes is None:
            return
        unknown = sorted(lt.codes - t.codes)
        if unknown:
            owner = side.id if isinstance(side, Ref) else "the other side"
            choices = ", ".join(sorted(t.codes)) if len(t.codes) <= 12 else f"{len(t.codes)} codes"
            hint = suggestion(unknown[0], t.codes)
            raise self.fail(
                f"{owner} has no choice {unknown[0]!r} (its choices: {choices})" + (f"; {hint}" if hint else ""),
                literal,
            )

    def check_compare(self, node: Compare) -> Type:
        lt, rt = self.check(node.left), self.check(node.right)
        if node.op in ("in", "notin"):
            if rt.kind != "list":
                raise self.fail(f"'in' needs a list or a multi-choice answer on the right, not {rt.describe()}", node.right)
            el = rt.element or ANY
            if el.kind != "any" and lt.kind != "any" and el.kind != lt.kind:
                raise self.fail(f"cannot look for {lt.describe()} in a list of {el.describe()}", node)
            if isinstance(node.right, Ref):
                self.check_codes(node.right, el, node.left, lt)
            else:
                self.check_codes(node.left, lt, node.right, el)
            return BOOL
        if "any" not in (lt.kind, rt.kind) and lt.kind != rt.kind:
            raise self.fail(f"cannot compare {lt.describe()} with {rt.describe()}", node)
        if isinstance(node.right, Literal) or isinstance(node.right, IfElse):
            self.check_codes(node.left, lt, node.right, rt)
        elif isinstance(node.left, Literal):
            self.check_codes(node.right, rt, node.left, lt)
        if node.op in ("<", "<=", ">", ">="):
            if lt.kind == "text":
                ordered = lt if lt.order else rt if rt.order else None
                if ordered is None:
                    raise self.fail(f"'{node.op}' needs numbers, dates or an ordered scale; {lt.describe()} has no order", node)
            elif lt.kind not in ("number", "date", "any"):
                raise self.fail(f"'{node.op}' needs numbers, dates or an ordered scale, not {lt.describe()}", node)
        return BOOL

    def check_call(self, node: Call) -> Type:
        fn = self.functions.get(node.name)
        if fn is None:
            hint = suggestion(node.name, self.functions)
            raise self.fail(f"unknown function {node.name!r}" + (f"; {hint}" if hint else ""), node)
        if node.name in ("in_list", "list_group"):
            return self.check_list_call(node)
        if node.name == "category":
            return self.check_category(node)
        if len(node.args) != len(fn.params):
            raise self.fail(f"{node.name}() takes {len(fn.params)} argument(s), not {len(node.args)}", node)
        for arg, param in zip(node.args, fn.params, strict=True):
            if param == "ref":
                if not isinstance(arg, Ref):
                    raise self.fail(f"{node.name}() takes a question id", arg)
                self.check(arg)
                continue
            t = self.check(arg)
            want = TYPE_NAMES.get(param, ANY)
            if want.kind != "any" and t.kind not in (want.kind, "any"):
                raise self.fail(f"{node.name}() needs {want.kind}, not {t.describe()}", arg)
        ret = TYPE_NAMES.get(fn.returns)
        if ret is None and fn.returns.startswith("text:"):
            return Type("text", codes=frozenset(fn.returns[5:].split("|")))
        return ret or ANY

    def check_list_call(self, node: Call) -> Type:
        if len(node.args) != 2:
            raise self.fail(f"{node.name}() takes a list name and a value", node)
        name_node, value = node.args
        if not (isinstance(name_node, Literal) and isinstance(name_node.value, str)):
            raise self.fail(f"{node.name}() takes the list's name in quotes first", name_node)
        ref_list = self.lists.get(name_node.value)
        if ref_list is None:
            hint = suggestion(name_node.value, self.lists)
            raise self.fail(f"unknown reference list {name_node.value!r}" + (f"; {hint}" if hint else ""), name_node)
        t = self.check(value)
        if t.kind not in ("text", "any"):
            raise self.fail(f"{node.name}() looks up text codes, not {t.describe()}", value)
        if node.name == "in_list":
            return BOOL
        groups = frozenset(g for _, _, g in ref_list.entries if g)
        return Type("text", codes=groups)

    def check_category(self, node: Call) -> Type:
        if len(node.args) != 2 or not isinstance(node.args[0], Ref):
            raise self.fail("category() takes a per-category question id and a category code", node)
        t = self.check(node.args[0])
        if t.kind != "map":
            raise self.fail(f"{node.args[0].id} is not a per-category question", node.args[0])
        code = node.args[1]
        if not (isinstance(code, Literal) and isinstance(code.value, str)):
            raise self.fail("category() takes the category code in quotes", code)
        if t.categories is not None and code.value not in t.categories:
            hint = suggestion(code.value, t.categories)
            raise self.fail(f"{node.args[0].id} has no category {code.value!r}" + (f"; {hint}" if hint else ""), code)
        return t.element or ANY


# --------------------------------------------------------------------------------------------- compiling


Compiled = Callable[[Any], Any]


def sufficiency(value: Any, sufficient: frozenset[str] | set[str]) -> Any:
    """Whether an answer counts as sufficient: True, False, or None where it does not count (n/a).

    A per-category answer is sufficient when every category that was judged (not n/a) is.
    """
    if isinstance(value, dict):
        try:  # with sets, where every category's answer is plain data (it always is, read from a case file)
            judged = set(value.values())
        except TypeError:
            pass
        else:
            judged.discard(NA)
            return judged.issubset(sufficient) if judged else None
        judged = [v for v in value.values() if v != NA]
        if not judged:
            return None
        return all(v in sufficient for v in judged)
    if value == NA:
        return None
    return value in sufficient


def truth(value: Any) -> Any:
    """A value in a yes/no position: True, False or UNKNOWN."""
    if value is True or value is False or value is UNKNOWN:
        return value
    if value == "yes":
        return True
    if value in ("no", NA):
        return False
    return UNKNOWN


def _ranked(node: Node) -> dict[str, int] | None:
    order = node.type.order
    return {code: i for i, code in enumerate(order)} if order else None


_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_POOLED_KINDS = ("text", "number", "bool", "date")  # answers of these kinds are plain values, found in a set as by ==

Test = tuple[str, frozenset[Any], bool]  # one answer against constants: (id, the values that pass, negated)


def _as_test(n: Node) -> Test | None:
    """``Q == "x"``, ``Q != "x"``, ``Q in ["x", "y"]``, ``Q not in [...]``, ``Q >= "medium"`` on an ordered scale:
    each is true when the answer is (or, negated, is not) one of a few constants, and unknown when unanswered."""
    if not isinstance(n, Compare) or not isinstance(n.left, Ref):
        return None
    op, right = n.op, n.right
    if op in ("in", "notin"):
        if isinstance(right, ListLit) and all(isinstance(i, Literal) for i in right.items):
            return n.left.id, frozenset(i.value for i in right.items), op == "notin"  # type: ignore[attr-defined]
        return None
    if not isinstance(right, Literal):
        return None
    if op in ("==", "!="):
        if n.left.type.kind not in _POOLED_KINDS:
            return None
        return n.left.id, frozenset((right.value,)), op == "!="
    rank = _ranked(n.left) or _ranked(n.right)
    if rank is None:
        return None
    fn, rb = _ORDER_OPS[op], rank.get(right.value)
    # a code off the scale (n/a) is not ordered against anything: it never passes
    return n.left.id, frozenset() if rb is None else frozenset(code for code, ra in rank.items() if fn(ra, rb)), False


def _test(t: Test) -> Compiled:
    qid, pool, negate = t
    if negate:

        def ref_not_in(env: Any) -> Any:
            a = env.vals.get(qid, UNKNOWN)
            return UNKNOWN if a is UNKNOWN else a not in pool

        return ref_not_in

    def ref_in(env: Any) -> Any:
        a = env.vals.get(qid, UNKNOWN)
        return UNKNOWN if a is UNKNOWN else a in pool

    ref_in.test = t  # type: ignore[attr-defined]  # what it reads, for a caller to read the same in a loop of its own
    return ref_in


def _all_tests(tests: list[Test]) -> Compiled:
    """``and`` of tests, written out for two and three (the common shapes): no call per test."""
    if len(tests) == 2:
        (q1, p1, n1), (q2, p2, n2) = tests

        def and_2(env: Any) -> Any:
            get = env.vals.get
            a = get(q1, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in p1) is n1:
                return False
            else:
                unknown = False
            a = get(q2, UNKNOWN)
            if a is UNKNOWN:
                return UNKNOWN
            if (a in p2) is n2:
                return False
            return UNKNOWN if unknown else True

        return and_2
    if len(tests) == 3:
        (q1, p1, n1), (q2, p2, n2), (q3, p3, n3) = tests

        def and_3(env: Any) -> Any:
            get = env.vals.get
            a = get(q1, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in p1) is n1:
                return False
            else:
                unknown = False
            a = get(q2, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in p2) is n2:
                return False
            a = get(q3, UNKNOWN)
            if a is UNKNOWN:
                return UNKNOWN
            if (a in p3) is n3:
                return False
            return UNKNOWN if unknown else True

        return and_3
    all_ = tuple(tests)

    def and_n(env: Any) -> Any:
        get = env.vals.get
        unknown = False
        for qid, pool, negate in all_:
            a = get(qid, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in pool) is negate:
                return False
        return UNKNOWN if unknown else True

    return and_n


def _any_test(tests: list[Test]) -> Compiled:
    """``or`` of tests, written out for two and three (the common shapes): no call per test."""
    if len(tests) == 2:
        (q1, p1, n1), (q2, p2, n2) = tests

        def or_2(env: Any) -> Any:
            get = env.vals.get
            a = get(q1, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in p1) is not n1:
                return True
            else:
                unknown = False
            a = get(q2, UNKNOWN)
            if a is UNKNOWN:
                return UNKNOWN
            if (a in p2) is not n2:
                return True
            return UNKNOWN if unknown else False

        return or_2
    if len(tests) == 3:
        (q1, p1, n1), (q2, p2, n2), (q3, p3, n3) = tests

        def or_3(env: Any) -> Any:
            get = env.vals.get
            a = get(q1, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in p1) is not n1:
                return True
            else:
                unknown = False
            a = get(q2, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in p2) is not n2:
                return True
            a = get(q3, UNKNOWN)
            if a is UNKNOWN:
                return UNKNOWN
            if (a in p3) is not n3:
                return True
            return UNKNOWN if unknown else False

        return or_3
    all_ = tuple(tests)

    def or_n(env: Any) -> Any:
        get = env.vals.get
        unknown = False
        for qid, pool, negate in all_:
            a = get(qid, UNKNOWN)
            if a is UNKNOWN:
                unknown = True
            elif (a in pool) is not negate:
                return True
        return UNKNOWN if unknown else False

    return or_n


def _and_2(p1: Compiled, p2: Compiled) -> Compiled:
    def and_2(env: Any) -> Any:
        v = p1(env)
        if v is not True and v is not False:
            v = truth(v)
        if v is False:
            return False
        w = p2(env)
        if w is not True and w is not False:
            w = truth(w)
        if w is False:
            return False
        return True if v is True and w is True else UNKNOWN

    return and_2


def _or_2(p1: Compiled, p2: Compiled) -> Compiled:
    def or_2(env: Any) -> Any:
        v = p1(env)
        if v is not True and v is not False:
            v = truth(v)
        if v is True:
            return True
        w = p2(env)
        if w is not True and w is not False:
            w = truth(w)
        if w is True:
            return True
        return False if v is False and w is False else UNKNOWN

    return or_2


def _and_test(t: Test, p2: Compiled) -> Compiled:
    """``test and p2``, as ``_and_2`` gives it, the test read without a call."""
    qid, pool, negate = t

    def and_test(env: Any) -> Any:
        a = env.vals.get(qid, UNKNOWN)
        if a is UNKNOWN:
            unknown = True
        elif (a in pool) is negate:
            return False
        else:
            unknown = False
        w = p2(env)
        if w is not True and w is not False:
            w = truth(w)
        if w is False:
            return False
        return UNKNOWN if unknown or w is UNKNOWN else True

    return and_test


def _or_test(t: Test, p2: Compiled) -> Compiled:
    """``test or p2``, as ``_or_2`` gives it, the test read without a call."""
    qid, pool, negate = t

    def or_test(env: Any) -> Any:
        a = env.vals.get(qid, UNKNOWN)
        if a is UNKNOWN:
            unknown = True
        elif (a in pool) is not negate:
            return True
        else:
            unknown = False
        w = p2(env)
        if w is not True and w is not False:
            w = truth(w)
        if w is True:
            return True
        return UNKNOWN if unknown or w is UNKNOWN else False

    return or_test


def compile_expr(node: Node, functions: Mapping[str, Function], lists: Mapping[str, ReferenceList]) -> Compiled:
    """Turn a checked tree into a closure ``f(env) -> value`` (True/False/UNKNOWN for conditions)."""

    def c(n: Node) -> Compiled:
        if isinstance(n, Literal):
            v = n.value
            return lambda env: v
        if isinstance(n, Ref):
            qid = n.id
            return lambda env: env.vals.get(qid, UNKNOWN)
        if isinstance(n, ListLit):
            parts = [c(i) for i in n.items]
            if all(isinstance(i, Literal) for i in n.items):
                const = tuple(i.value for i in n.items)  # type: ignore[attr-defined]
                return lambda env: const
            return lambda env: tuple(p(env) for p in parts)
        if isinstance(n, Unary):
            inner = c(n.operand)
            if n.op == "not":

                def not_(env: Any) -> Any:
                    v = inner(env)
                    if v is True:
                        return False
                    if v is False:
                        return True
                    v = truth(v)
                    return v if v is UNKNOWN else not v

                return not_

            def neg(env: Any) -> Any:
                v = inner(env)
                return UNKNOWN if v is UNKNOWN else -v

            return neg
        if isinstance(n, BoolOp):
            tests = [_as_test(o) for o in n.operands]
            if all(t is not None for t in tests):  # answers against constants only: one closure reads them all
                return _all_tests(tests) if n.op == "and" else _any_test(tests)  # type: ignore[arg-type]
            parts = [c(o) for o in n.operands]
            if len(parts) == 2:
                if tests[0] is not None:  # "Q == 'x' and ...": the test read in the closure itself
                    return _and_test(tests[0], parts[1]) if n.op == "and" else _or_test(tests[0], parts[1])
                return _and_2(*parts) if n.op == "and" else _or_2(*parts)
            if n.op == "and":

                def and_(env: Any) -> Any:
                    unknown = False
                    for p in parts:
                        v = p(env)
                        if v is False:
                            return False
                        if v is not True:
                            v = truth(v)
                            if v is False:
                                return False
                            if v is UNKNOWN:
                                unknown = True
                    return UNKNOWN if unknown else True

                return and_

            def or_(env: Any) -> Any:
                unknown = False
                for p in parts:
                    v = p(env)
                    if v is True:
                        return True
                    if v is not False:
                        v = truth(v)
                        if v is True:
                            return True
                        if v is UNKNOWN:
                            unknown = True
                return UNKNOWN if unknown else False

            return or_
        if isinstance(n, Compare):
            return compile_compare(n)
        if isinstance(n, Arith):
            left, right = c(n.left), c(n.right)
            plus = n.op == "+"
            date_plus = n.left.type.kind == "date" and n.right.type.kind == "number"

            def arith(env: Any) -> Any:
                a, b = left(env), right(env)
                if a is UNKNOWN or b is UNKNOWN or a == NA or b == NA:
                    return UNKNOWN
                if date_plus:
                    try:
                        delta = dt.timedelta(days=b)
                        return a + delta if plus else a - delta
                    except (OverflowError, ValueError):  # before year 1 or after 9999: no such date
                        return UNKNOWN
                r = a + b if plus else a - b
                return r.days if isinstance(r, dt.timedelta) else r

            return arith
        if isinstance(n, Call):
            return compile_call(n)
        if isinstance(n, IfElse):
            cond, then = c(n.cond), c(n.then)
            otherwise = c(n.otherwise) if n.otherwise is not None else (lambda env: UNKNOWN)
            if isinstance(n.then, Literal) and (n.otherwise is None or isinstance(n.otherwise, Literal)):
                yes_value = n.then.value
                no_value = UNKNOWN if n.otherwise is None else n.otherwise.value  # type: ignore[attr-defined]

                def if_const(env: Any) -> Any:
                    v = cond(env)
                    if v is True:
                        return yes_value
                    if v is False:
                        return no_value
                    v = truth(v)
                    if v is UNKNOWN:
                        return UNKNOWN
                    return yes_value if v else no_value

                return if_const

            def if_(env: Any) -> Any:
                v = cond(env)
                if v is True:
                    return then(env)
                if v is False:
                    return otherwise(env)
                v = truth(v)
                if v is UNKNOWN:
                    return UNKNOWN
                return then(env) if v else otherwise(env)

            return if_
        raise ExpressionError("unsupported expression")  # pragma: no cover

    def compile_compare(n: Compare) -> Compiled:
        test = _as_test(n)
        if test is not None:
            return _test(test)
        left, right = c(n.left), c(n.right)
        op = n.op
        if op in ("in", "notin"):
            negate = op == "notin"
            if isinstance(n.right, ListLit) and all(isinstance(i, Literal) for i in n.right.items):
                pool = frozenset(i.value for i in n.right.items)  # type: ignore[attr-defined]
                if isinstance(n.left, Ref):  # the common "question in [codes]": read the answer directly
                    ref_id = n.left.id

                    def ref_in_const(env: Any) -> Any:
                        v = env.vals.get(ref_id, UNKNOWN)
                        if v is UNKNOWN:
                            return UNKNOWN
                        return (v in pool) != negate

                    return ref_in_const

                def in_const(env: Any) -> Any:
                    v = left(env)
                    if v is UNKNOWN:
                        return UNKNOWN
                    return (v in pool) != negate

                return in_const

            if isinstance(n.left, Literal) and isinstance(n.right, Ref):  # the common "code in choices answered"
                code, ref_id = n.left.value, n.right.id

                def code_in_ref(env: Any) -> Any:
                    pool = env.vals.get(ref_id, UNKNOWN)
                    if pool is UNKNOWN:
                        return UNKNOWN
                    if pool == NA:
                        return negate
                    return (code in pool) != negate

                return code_in_ref

            def in_(env: Any) -> Any:
                v, pool = left(env), right(env)
                if v is UNKNOWN or pool is UNKNOWN:
                    return UNKNOWN
                if pool == NA:
                    return negate
                return (v in pool) != negate

            return in_
        rank = _ranked(n.left) or _ranked(n.right)
        if op in ("==", "!="):
            negate = op == "!="
            if isinstance(n.left, Ref) and isinstance(n.right, Literal):  # the common "question == code"
                ref_id, const = n.left.id, n.right.value

                def ref_eq(env: Any) -> Any:
                    a = env.vals.get(ref_id, UNKNOWN)
                    if a is UNKNOWN:
                        return UNKNOWN
                    return (a == const) != negate

                return ref_eq

            def eq(env: Any) -> Any:
                a, b = left(env), right(env)
                if a is UNKNOWN or b is UNKNOWN:
                    return UNKNOWN
                return (a == b) != negate

            return eq
        import operator

        fn = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
        if rank is not None:

            def ordered(env: Any) -> Any:
                a, b = left(env), right(env)
                if a is UNKNOWN or b is UNKNOWN:
                    return UNKNOWN
                ra, rb = rank.get(a), rank.get(b)
                if ra is None or rb is None:  # n/a has no place on a scale
                    return False
                return fn(ra, rb)

            return ordered

        if isinstance(n.right, Literal):  # "count(Q) >= 2", "Q < 12": the right side is a constant
            b_const = n.right.value
            if b_const == NA:  # n/a is not ordered against anything

                def never(env: Any) -> Any:
                    return UNKNOWN if left(env) is UNKNOWN else False

                return never
            if isinstance(n.left, Ref):
                ref_id = n.left.id

                def ref_cmp_const(env: Any) -> Any:
                    a = env.vals.get(ref_id, UNKNOWN)
                    if a is UNKNOWN:
                        return UNKNOWN
                    if a == NA:
                        return False
                    return fn(a, b_const)

                return ref_cmp_const

            def cmp_const(env: Any) -> Any:
                a = left(env)
                if a is UNKNOWN:
                    return UNKNOWN
                if a == NA:
                    return False
                return fn(a, b_const)

            return cmp_const

        def cmp(env: Any) -> Any:
            a, b = left(env), right(env)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            if a == NA or b == NA:
                return False
            return fn(a, b)

        return cmp

    def compile_call(n: Call) -> Compiled:
        fn = functions[n.name]
        if n.name in ("in_list", "list_group"):
            ref_list = lists[n.args[0].value]  # type: ignore[attr-defined]
            value = c(n.args[1])
            if n.name == "in_list":
                codes = ref_list.codes

                def in_list(env: Any) -> Any:
                    v = value(env)
                    return UNKNOWN if v is UNKNOWN else v in codes

                return in_list
            groups = ref_list.groups

            def list_group(env: Any) -> Any:
                v = value(env)
                if v is UNKNOWN:
                    return UNKNOWN
                g = groups.get(v)
                return UNKNOWN if g is None else g

            return list_group
        if n.name == "category":
            qid = n.args[0].id  # type: ignore[attr-defined]
            code = n.args[1].value  # type: ignore[attr-defined]

            def category(env: Any) -> Any:
                v = env.vals.get(qid, UNKNOWN)
                if not isinstance(v, dict):
                    return UNKNOWN
                return v.get(code, UNKNOWN)

            return category
        if fn.impl is _is_na:  # the built-in is_na(Q): the value the rules read is n/a (as env.value gives it)
            qid = n.args[0].id  # type: ignore[attr-defined]
            return lambda env: env.vals.get(qid, UNKNOWN) == NA
        if fn.raw:
            ids = [a.id for a in n.args]  # type: ignore[attr-defined]
            impl = fn.impl
            if len(ids) == 1:
                only = ids[0]
                return lambda env: impl(env, only)
            return lambda env: impl(env, *ids)
        args = [c(a) for a in n.args]
        impl = fn.impl
        date_params = [p == "date" for p in fn.params]
        if len(args) == 1:  # count(Q), date(Q): one argument, without the loop
            arg, is_date = args[0], date_params[0]

            def call_1(env: Any) -> Any:
                v = arg(env)
                if v is UNKNOWN or v == NA:
                    return UNKNOWN
                if is_date and not isinstance(v, dt.date):
                    v = _to_date(v)
                    if v is UNKNOWN:
                        return UNKNOWN
                result = impl(v)
                return UNKNOWN if result is None else result

            return call_1
        if len(args) == 2:  # days_between(A, B) and the like
            arg1, arg2 = args
            date1, date2 = date_params

            def call_2(env: Any) -> Any:
                v = arg1(env)
                if v is UNKNOWN or v == NA:
                    return UNKNOWN
                if date1 and not isinstance(v, dt.date):
                    v = _to_date(v)
                    if v is UNKNOWN:
                        return UNKNOWN
                w = arg2(env)
                if w is UNKNOWN or w == NA:
                    return UNKNOWN
                if date2 and not isinstance(w, dt.date):
                    w = _to_date(w)
                    if w is UNKNOWN:
                        return UNKNOWN
                result = impl(v, w)
                return UNKNOWN if result is None else result

            return call_2

        def call(env: Any) -> Any:
            values = []
            for a, is_date in zip(args, date_params, strict=True):
                v = a(env)
                if v is UNKNOWN or v == NA:
                    return UNKNOWN
                if is_date and not isinstance(v, dt.date):
                    v = _to_date(v)
                    if v is UNKNOWN:
                        return UNKNOWN
                values.append(v)
            result = impl(*values)
            return UNKNOWN if result is None else result

        return call

    run = c(node)
    if isinstance(node, BoolOp) and node.op == "and":
        # a rule "A and B ...": A and the rest as closures of their own, compiled only when asked for (see
        # ``opening``), for an engine to work out once a case an A that several of its rules open with
        first, *rest = node.operands
        rest_node = rest[0] if len(rest) == 1 else BoolOp(rest[0].pos, "and", rest, type=node.type)
        run.conjuncts = lambda: (c(first), c(rest_node))  # type: ignore[attr-defined]
    return run


def shape(n: Node) -> Any:
    """A checked tree as nested tuples: the same for the same rule, however it is spaced or wherever it stands."""
    if isinstance(n, Literal):
        return ("lit", n.value.__class__.__name__, n.value, n.type)
    if isinstance(n, Ref):
        return ("ref", n.id, n.type)
    if isinstance(n, ListLit):
        return ("list", n.type, *map(shape, n.items))
    if isinstance(n, Unary):
        return ("unary", n.op, n.type, shape(n.operand))
    if isinstance(n, BoolOp):
        return ("bool", n.op, n.type, *map(shape, n.operands))
    if isinstance(n, (Compare, Arith)):
        return (n.__class__.__name__, n.op, n.type, shape(n.left), shape(n.right))
    if isinstance(n, Call):
        return ("call", n.name, n.type, *map(shape, n.args))
    if isinstance(n, IfElse):
        return ("if", n.type, shape(n.cond), shape(n.then), None if n.otherwise is None else shape(n.otherwise))
    raise ExpressionError("unsupported expression")  # pragma: no cover


def opening(expr: Expression) -> tuple[Any, Callable[[], tuple[Compiled, Compiled]]] | None:
    """For a rule ``A and B ...``: A's :func:`shape`, and a function that gives the closures of A and of the rest
    (``B ...``). The rule holds exactly where A holds and the rest holds; None for a rule of another form."""
    split = getattr(expr.run, "conjuncts", None)
    if split is None or not isinstance(expr.tree, BoolOp):
        return None
    return shape(expr.tree.operands[0]), split


@record
class Expression:
    """A rule: its source text, its checked tree, the ids it reads and its compiled form."""

    text: str
    tree: Node = field(repr=False)
    reads: frozenset[str]
    run: Compiled = field(repr=False, eq=False)

    def __call__(self, env: Any) -> Any:
        return self.run(env)


def build(
    text: str,
    scope: Scope,
    functions: Mapping[str, Function],
    lists: Mapping[str, ReferenceList],
    expect: str | None = None,
) -> Expression:
    """Parse, check and compile ``text``; ``expect='bool'`` requires a condition."""
    tree = parse(text)
    checker = Checker(scope, functions, lists, text)
    t = checker.check(tree)
    if expect == "bool":
        checker.expect_bool(tree, t)
    return Expression(text, tree, frozenset(refs(tree)), compile_expr(tree, functions, lists))
