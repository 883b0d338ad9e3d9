"""Mutants from the AST, each an exact span of the source and the text that replaces it.

A mutant never adds or removes a line: a replacement keeps the newlines of the span it
replaces, so line numbers, the coverage map and tracebacks stay those of the checkout.

The operators, named as the report and mutate/equivalent.toml name them:

    compare       == !=, < <=, > >=, is / is not, in / not in (each way)
    negate        the test of an if, elif, while, ternary or assert becomes `not (test)`
    and-or        `and` and `or` swapped in one boolean expression
    drop-call     a call statement replaced by `pass`
    return-none   a returned value replaced by None
    true-false    True and False swapped
    plus-minus    + and - swapped (and += / -=)
    early-return  `return None` before the first statement of a function body
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

COMPARE = {
    "==": "!=",
    "!=": "==",
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "is": "is not",
    "is not": "is",
    "in": "not in",
    "not in": "in",
}
PLUS_MINUS = {"+": "-", "-": "+", "+=": "-=", "-=": "+="}
OPERATORS = (
    "compare",
    "negate",
    "and-or",
    "drop-call",
    "return-none",
    "true-false",
    "plus-minus",
    "early-return",
)

Position = tuple[int, int]  # (line from 1, column in characters from 0)


@dataclass(frozen=True)
class Mutant:
    """One change to one file: `source[start:end]` becomes `replacement`."""

    path: str  # relative to the checkout, with forward slashes
    operator: str
    start: Position
    end: Position
    replacement: str
    mutated: str  # the lines start..end once mutated, whitespace collapsed
    reached_at: int = 0  # the line whose tests run it, when not its own (a docstring's)

    @property
    def line(self) -> int:
        return self.start[0]

    @property
    def lines(self) -> range:
        return range(self.start[0], self.end[0] + 1)

    @property
    def covered_by(self) -> range:
        """The lines whose tests reach this mutant: coverage never counts a docstring's."""
        return range(self.reached_at, self.reached_at + 1) if self.reached_at else self.lines

    def apply(self, source: str) -> str:
        """The whole file with this mutant in it."""
        return apply_span(source, self.start, self.end, self.replacement)


def offset(lines: list[str], position: Position) -> int:
    line, column = position
    return sum(len(text) for text in lines[: line - 1]) + column


def apply_span(source: str, start: Position, end: Position, replacement: str) -> str:
    lines = source.splitlines(keepends=True)
    return source[: offset(lines, start)] + replacement + source[offset(lines, end) :]


def collapse(text: str) -> str:
    return " ".join(text.split())


class _Source:
    """The file's text, its tokens, and AST positions (UTF-8 bytes) turned into characters."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))

    def char(self, line: int, byte_column: int) -> Position:
        encoded = self.lines[line - 1].encode("utf-8")
        return line, len(encoded[:byte_column].decode("utf-8"))

    def start(self, node: ast.AST) -> Position:
        return self.char(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> Position:
        return self.char(node.end_lineno, node.end_col_offset)

    def segment(self, start: Position, end: Position) -> str:
        return self.text[offset(self.lines, start) : offset(self.lines, end)]

    def tokens_between(self, start: Position, end: Position) -> list[tokenize.TokenInfo]:
        return [t for t in self.tokens if t.start >= start and t.end <= end]

    def operator_in_gap(
        self, start: Position, end: Position, words: set[str]
    ) -> tuple[Position, Position, str] | None:
        """The operator between two operands: its span and its text (`is not` as one)."""
        found = [
            t
            for t in self.tokens_between(start, end)
            if t.type in (tokenize.OP, tokenize.NAME) and t.string not in "()"
        ]
        if not found or " ".join(t.string for t in found) not in words:
            return None
        return found[0].start, found[-1].end, " ".join(t.string for t in found)


def _keep_newlines(replacement: str, replaced: str) -> str:
    """The replacement followed by as many newlines as the replaced text held."""
    return replacement + "\n" * replaced.count("\n")


class _Collector(ast.NodeVisitor):
    def __init__(self, path: str, source: _Source):
        self.path = path
        self.source = source
        self.found: list[Mutant] = []

    def add(
        self, operator: str, start: Position, end: Position, replacement: str, reached_at: int = 0
    ) -> None:
        source = self.source
        first, last = start[0], end[0]
        before = "".join(source.lines[first - 1 : last])
        after = apply_span(before, (1, start[1]), (last - first + 1, end[1]), replacement)
        if before.count("\n") != after.count("\n"):
            raise AssertionError(f"{self.path}:{first} {operator} would move lines")
        self.found.append(
            Mutant(
                self.path,
                operator,
                start,
                end,
                replacement,
                collapse(after),
                reached_at,
            )
        )

    def add_node(self, operator: str, node: ast.AST, replacement: str) -> None:
        self.add(operator, self.source.start(node), self.source.end(node), replacement)

    # --- the places nothing is mutated ---
    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_arg(self, node: ast.arg) -> None:
        pass  # annotations

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        pass  # positions inside f-strings are not reliable before Python 3.12

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            return
        self.negate(node.test)
        self.generic_visit(node)

    # --- the operators ---
    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for left, right in zip(operands, operands[1:], strict=False):
            gap = self.source.operator_in_gap(
                self.source.end(left), self.source.start(right), set(COMPARE)
            )
            if gap is not None:
                start, end, text = gap
                self.add("compare", start, end, COMPARE[text])
        self.generic_visit(node)

    def negate(self, test: ast.expr) -> None:
        text = self.source.segment(self.source.start(test), self.source.end(test))
        self.add_node("negate", test, f"not ({text})")

    def visit_While(self, node: ast.While) -> None:
        self.negate(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.negate(node.test)
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self.negate(node.test)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        word, other = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        start, end = self.source.start(node), self.source.end(node)
        gaps = [
            self.source.operator_in_gap(self.source.end(a), self.source.start(b), {word})
            for a, b in zip(node.values, node.values[1:], strict=False)
        ]
        if all(gaps):
            swapped, cursor = [], start
            for op_start, op_end, _ in gaps:
                swapped.append(self.source.segment(cursor, op_start) + other)
                cursor = op_end
            swapped.append(self.source.segment(cursor, end))
            self.add("and-or", start, end, "".join(swapped))
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(call, ast.Call):
            replaced = self.source.segment(self.source.start(node), self.source.end(node))
            self.add_node("drop-call", node, _keep_newlines("pass", replaced))
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            replaced = self.source.segment(self.source.start(value), self.source.end(value))
            self.add_node("return-none", value, _keep_newlines("None", replaced))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if node.value is True or node.value is False:
            self.add_node("true-false", node, str(not node.value))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Add | ast.Sub):
            self.plus_minus(node.left, node.right, {"+", "-"})
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.op, ast.Add | ast.Sub):
            self.plus_minus(node.target, node.value, {"+=", "-="})
        self.generic_visit(node)

    def plus_minus(self, left: ast.AST, right: ast.AST, words: set[str]) -> None:
        gap = self.source.operator_in_gap(self.source.end(left), self.source.start(right), words)
        if gap is not None:
            self.add("plus-minus", gap[0], gap[1], PLUS_MINUS[gap[2]])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.early_return(node)
        for child in node.body:
            self.visit(child)
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)

    visit_AsyncFunctionDef = visit_FunctionDef

    def early_return(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """`return None` ahead of the body, on a line the body already has.

        After a docstring it follows on the docstring's last line; otherwise it goes in
        front of a first statement that is a simple one. A function whose body opens with
        a compound statement (if, for, with, try) and no docstring gets no such mutant: it
        would need a line of its own.
        """
        body = node.body
        first = body[0]
        if _is_docstring(first):
            if len(body) == 1:
                return
            end = self.source.end(first)
            rest = self.source.lines[end[0] - 1][end[1] :]
            if rest.strip() and not rest.strip().startswith("#"):
                return
            self.add("early-return", end, end, "; return None", reached_at=body[1].lineno)
            return
        if isinstance(first, ast.Return) or _is_compound(first):
            return
        if isinstance(first, ast.Pass | ast.Raise) and len(body) == 1:
            return
        start = self.source.start(first)
        self.add("early-return", start, start, "return None; ")


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_compound(node: ast.stmt) -> bool:
    return isinstance(
        node,
        ast.If
        | ast.For
        | ast.AsyncFor
        | ast.While
        | ast.With
        | ast.AsyncWith
        | ast.Try
        | ast.TryStar
        | ast.FunctionDef
        | ast.AsyncFunctionDef
        | ast.ClassDef
        | ast.Match,
    )


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def mutants(path: str, text: str) -> list[Mutant]:
    """Every mutant of one file, in source order."""
    source = _Source(text)
    collector = _Collector(path, source)
    collector.visit(ast.parse(text, filename=path))
    return sorted(collector.found, key=lambda m: (m.start, m.end, m.operator, m.replacement))
