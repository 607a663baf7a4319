"""Where a source file's functions, classes and methods are: the definition outline code chunking follows.

Python is parsed with the standard library's :mod:`ast` (exact ``lineno``/``end_lineno``; a decorated
definition starts at its first decorator). C, C++, Java, JavaScript, TypeScript, Go and Rust are parsed with
tree-sitter (``tree-sitter`` and the tree-sitter organisation's grammar wheels, pinned in pyproject.toml).
In both, comment lines directly above a definition (no blank line between; Rust attributes too) belong to it,
so a doc comment stays with its function.

Symbols are qualified by their containers with dots: ``RetryPolicy.next_delay`` (a Python or TypeScript
method), ``Policy.Next`` (a Go method, named by its receiver type), ``P.fmt`` (Rust, in ``impl Display for
P``). A C++ member defined outside its class keeps its source spelling (``Foo::bar``). Nested functions are
not definitions of their own: they stay inside their function.

Line numbers are 1-based and inclusive.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Definition", "outline"]


@dataclass(frozen=True)
class Definition:
    """A function, class, struct, method (…) of a source file.

    Attributes:
        symbol: Qualified name, e.g. ``RetryPolicy.next_delay``.
        start_line: First line (1-based; its first decorator or leading comment line).
        end_line: Last line (1-based, inclusive).
        children: Definitions directly inside it (methods of a class, items of an impl/namespace), in order;
            empty for functions.
    """

    symbol: str
    start_line: int
    end_line: int
    children: tuple[Definition, ...] = field(default=())


def outline(text: str, language: str | None, typescript_jsx: bool = False) -> list[Definition] | None:
    """The top-level definitions of source ``text``, each with its nested methods.

    Args:
        text: Source code.
        language: python|c|cpp|java|js|ts|go|rust (see :data:`ingest.filetypes`); anything else yields None.
        typescript_jsx: Parse ``ts`` with the TSX grammar (``.tsx`` files).

    Returns:
        Definitions in source order (non-overlapping), or None when the language is not supported or the
        Python source does not parse (the caller then splits without symbols). Tree-sitter recovers from
        syntax errors, so other languages always get an outline (possibly partial).
    """
    if language == "python":
        return _python_outline(text)
    spec = _TREE_SITTER.get(language or "")
    if spec is None:
        return None
    return _tree_sitter_outline(text, spec, typescript_jsx)


# --- Python (ast) -----------------------------------------------------------------------------------------

_PY_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _python_outline(text: str) -> list[Definition] | None:
    try:
        tree = ast.parse(text)
        comments = _python_comment_lines(text)
    except (SyntaxError, ValueError, tokenize.TokenError):
        return None
    return _python_defs(tree.body, "", comments)


def _python_defs(body: Iterable[ast.stmt], prefix: str, comments: set[int]) -> list[Definition]:
    found: list[Definition] = []
    previous_end = 0
    for node in body:
        if isinstance(node, _PY_DEFS):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            while start - 1 in comments and start - 1 > previous_end:
                start -= 1
            symbol = prefix + node.name
            children = (
                tuple(_python_defs(node.body, symbol + ".", comments))
                if isinstance(node, ast.ClassDef)
                else ()
            )
            found.append(Definition(symbol, start, node.end_lineno or node.lineno, children))
        previous_end = node.end_lineno or node.lineno
    return found


def _python_comment_lines(text: str) -> set[int]:
    """1-based numbers of the lines that hold only a comment."""
    lines: set[int] = set()
    code_lines: set[int] = set()
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            lines.add(token.start[0])
        elif token.type not in ignored and token.type != tokenize.ENDMARKER:
            code_lines.update(range(token.start[0], token.end[0] + 1))
    return lines - code_lines


# --- tree-sitter ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """How to find definitions in one tree-sitter grammar.

    Attributes:
        grammar: ``(module name, function name)`` of the grammar wheel returning the language pointer.
        definitions: Node types that are definitions (leaves: their body is not searched).
        containers: Node types that are definitions holding definitions, mapped to the field of their body.
        wrappers: Node types wrapping one definition (``export``, ``template<…>``): the wrapper's lines count.
        leading: Node types that belong to the next definition when directly above it (comments, attributes).
    """

    grammar: tuple[str, str]
    definitions: frozenset[str]
    containers: dict[str, str]
    wrappers: frozenset[str] = frozenset()
    leading: frozenset[str] = frozenset({"comment"})


_C_LIKE_CONTAINERS = {"struct_specifier": "body", "union_specifier": "body", "enum_specifier": "body"}
_JS_DEFINITIONS = frozenset(
    {"function_declaration", "generator_function_declaration", "method_definition", "lexical_declaration"}
)
_TREE_SITTER: dict[str, _Spec] = {
    "c": _Spec(("tree_sitter_c", "language"), frozenset({"function_definition"}), dict(_C_LIKE_CONTAINERS)),
    "cpp": _Spec(
        ("tree_sitter_cpp", "language"),
        frozenset({"function_definition"}),
        {**_C_LIKE_CONTAINERS, "class_specifier": "body", "namespace_definition": "body"},
        wrappers=frozenset({"template_declaration"}),
    ),
    "java": _Spec(
        ("tree_sitter_java", "language"),
        frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"}),
        {
            "class_declaration": "body",
            "interface_declaration": "body",
            "enum_declaration": "body",
            "record_declaration": "body",
            "annotation_type_declaration": "body",
        },
        leading=frozenset({"line_comment", "block_comment"}),
    ),
    "js": _Spec(
        ("tree_sitter_javascript", "language"),
        _JS_DEFINITIONS,
        {"class_declaration": "body"},
        wrappers=frozenset({"export_statement"}),
    ),
    "ts": _Spec(
        ("tree_sitter_typescript", "language_typescript"),
        _JS_DEFINITIONS
        | {"interface_declaration", "type_alias_declaration", "enum_declaration", "function_signature"},
        {"class_declaration": "body", "abstract_class_declaration": "body", "internal_module": "body"},
        wrappers=frozenset({"export_statement"}),
    ),
    "go": _Spec(
        ("tree_sitter_go", "language"),
        frozenset({"function_declaration", "method_declaration", "type_declaration"}),
        {},
    ),
    "rust": _Spec(
        ("tree_sitter_rust", "language"),
        frozenset(
            {
                "function_item",
                "function_signature_item",
                "struct_item",
                "enum_item",
                "union_item",
                "macro_definition",
            }
        ),
        {"impl_item": "body", "trait_item": "body", "mod_item": "body"},
        leading=frozenset({"line_comment", "block_comment", "attribute_item"}),
    ),
}


def _parser(spec: _Spec, typescript_jsx: bool) -> Any:
    import importlib

    import tree_sitter

    module, function = spec.grammar
    if typescript_jsx and function == "language_typescript":
        function = "language_tsx"
    pointer = getattr(importlib.import_module(module), function)()
    return tree_sitter.Parser(tree_sitter.Language(pointer))


def _tree_sitter_outline(text: str, spec: _Spec, typescript_jsx: bool) -> list[Definition]:
    source = text.encode("utf-8")
    tree = _parser(spec, typescript_jsx).parse(source)
    return _node_defs(tree.root_node.named_children, "", spec)


def _first_line(node: Any) -> int:
    return int(node.start_point.row) + 1


def _last_line(node: Any) -> int:
    """1-based last line of ``node`` (a node that ends at column 0 ends on the line before)."""
    row, column = int(node.end_point.row), int(node.end_point.column)
    return max(row if column == 0 and row > node.start_point.row else row + 1, _first_line(node))


def _node_defs(nodes: list[Any], prefix: str, spec: _Spec) -> list[Definition]:
    found: list[Definition] = []
    leading_start: int | None = None  # first line of the comments/attributes directly above
    previous_end = 0
    for node in nodes:
        if node.type in spec.leading:
            adjacent = leading_start is not None and _first_line(node) <= previous_end + 1
            if not adjacent:
                leading_start = _first_line(node)
            previous_end = _last_line(node)
            continue
        inner = node
        if node.type in spec.wrappers:
            declared = node.child_by_field_name("declaration")
            inner = (
                declared
                if declared is not None
                else next(
                    (
                        c
                        for c in node.named_children
                        if c.type in spec.definitions or c.type in spec.containers
                    ),
                    node,
                )
            )
        name = (
            _node_name(inner) if (inner.type in spec.definitions or inner.type in spec.containers) else None
        )
        if name:
            start = _first_line(node)
            if leading_start is not None and _first_line(node) <= previous_end + 1:
                start = leading_start
            symbol = prefix + name
            children: tuple[Definition, ...] = ()
            body_field = spec.containers.get(inner.type)
            body = inner.child_by_field_name(body_field) if body_field else None
            if body is not None:
                children = tuple(_node_defs(body.named_children, symbol + ".", spec))
            found.append(Definition(symbol, start, _last_line(node), children))
        leading_start = None
        previous_end = _last_line(node)
    return found


def _text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", errors="replace")


def _node_name(node: Any) -> str | None:
    """The name a definition node declares, or None for an anonymous one (or a non-function variable)."""
    kind = node.type
    if kind in ("lexical_declaration", "variable_declaration"):
        # const memoize = (…) => …: named by the variable when its value is a function or class
        for declarator in node.named_children:
            value = declarator.child_by_field_name("value")
            if value is not None and value.type in (
                "arrow_function",
                "function_expression",
                "function",
                "generator_function",
                "class",
            ):
                name = declarator.child_by_field_name("name")
                return _text(name) if name is not None else None
        return None
    if kind == "type_declaration":  # Go: type Policy struct {…}
        specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
        names = [_text(n) for s in specs if (n := s.child_by_field_name("name")) is not None]
        return ", ".join(names) or None
    if kind == "method_declaration" and node.child_by_field_name("receiver") is not None:  # Go method
        receiver = node.child_by_field_name("receiver")
        types = _descendants(receiver, "type_identifier")
        name = node.child_by_field_name("name")
        if name is None:
            return None
        return f"{_text(types[0])}.{_text(name)}" if types else _text(name)
    if kind == "impl_item":  # Rust: impl [Trait for] Type
        target = node.child_by_field_name("type")
        return _text(target) if target is not None else None
    if kind == "function_definition" and node.child_by_field_name("declarator") is not None:  # C/C++
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.type not in (
            "identifier",
            "field_identifier",
            "qualified_identifier",
            "operator_name",
            "destructor_name",
            "template_function",
        ):
            declarator = declarator.child_by_field_name("declarator")
        return _text(declarator) if declarator is not None else None
    name = node.child_by_field_name("name")
    return _text(name) if name is not None else None


def _descendants(node: Any, kind: str) -> list[Any]:
    found = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            found.append(current)
        stack.extend(reversed(current.named_children))
    return found
