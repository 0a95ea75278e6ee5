"""Emitted code comes out formatted: imports sorted and trimmed, long statements wrapped.

The generator writes code that is already in the form `ruff format` and ruff's import sorting
would give it (line length 120), so generating needs no formatter, the output depends only on
the odatakit version, and the user's own tools never fight it. `tests/test_layout.py` checks
the bundled and golden packages are fixed points of ruff (pinned, dev only).

Two tools: `tidy_imports` rewrites a module's import blocks (only what the module uses, merged,
sorted by section and kind, wrapped), and the layout functions wrap the few statements the
templates write that can grow long (calls, collections, subscripted annotations), choosing,
as the formatter does, the first of: one line; the contents on one indented line; one item a
line with a trailing comma.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from .pysource import Source

__all__ = ["LINE_LENGTH", "annotated", "call", "collection", "declared", "literal_display", "tidy_imports"]

LINE_LENGTH = 120


def _fits(text: str) -> bool:
    return "\n" not in text and len(text) <= LINE_LENGTH


def call(indent: int, head: str, args: Sequence[Source], tail: str = ")") -> Source:
    """`head` + the arguments + `tail` at `indent` (head ends with the opening bracket: `return cast(`)."""
    pad = " " * indent
    flat = f"{pad}{head}{', '.join(args)}{tail}"
    if _fits(flat) or not args:
        return Source(flat)
    inner = " " * (indent + 4)
    hugged = f"{inner}{', '.join(args)}"
    if _fits(hugged) and not any("\n" in a for a in args):
        return Source(f"{pad}{head}\n{hugged}\n{pad}{tail}")
    lines = "\n".join(f"{inner}{a}," for a in args)
    return Source(f"{pad}{head}\n{lines}\n{pad}{tail}")


def declared(indent: int, target: str, annotation: Source) -> Source:
    """`target: annotation` (a declaration without a value) at `indent`, wrapped as the formatter does.

    A subscript is split inside its brackets when the line up to them fits; otherwise the annotation
    goes in parentheses.
    """
    pad = " " * indent
    flat = f"{pad}{target}: {annotation}"
    if _fits(flat):
        return Source(flat)
    head, bracket, rest = annotation.partition("[")
    if bracket and _fits(f"{pad}{target}: {head}["):
        return call(indent, f"{target}: {head}[", [Source(a) for a in _top_level(rest[:-1])], "]")
    return Source(f"{pad}{target}: (\n{pad}    {annotation}\n{pad})")


def _top_level(text: str) -> list[str]:
    """The comma-separated items of a subscript's inside, commas within nested brackets kept."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    items.append(text[start:].strip())
    return items


def annotated(indent: int, target: str, items: Sequence[Source], value: str, head: str = "Prop") -> Source:
    """`target: Prop[items] = value` at `indent` (another generic than `Prop` by `head`), wrapped as the formatter does.

    The formatter first keeps the annotation whole and puts the value in parentheses on a line
    of its own; only when the annotation itself is too long does it split the subscript.
    """
    pad = " " * indent
    start = f"{pad}{target}: {head}[{', '.join(items)}] = " if items else f"{pad}{target}: {head} = "
    if not items:
        return Source(start + value)  # a bare name: the formatter leaves a long line as it is
    if _fits(start + value):
        return Source(start + value)
    if _fits(start + "("):
        return Source(f"{start}(\n{pad}    {value}\n{pad})")
    return call(indent, f"{target}: {head}[", items, f"] = {value}")


def collection(
    indent: int, head: str, items: Sequence[Source], tail: str, *, tuple_: bool = False, exploded: bool = False
) -> Source:
    """A tuple, list or dict display: one line if it fits, else one item a line with a trailing comma.

    Unlike calls, displays are never hugged onto one indented line. A one-item tuple keeps its
    comma; `exploded` writes several items one a line even when they would fit on one (the
    trailing comma then keeps the formatter from joining them).
    """
    pad = " " * indent
    single = "," if tuple_ and len(items) == 1 else ""
    flat = f"{pad}{head}{', '.join(items)}{single}{tail}"
    if ((_fits(flat) and not any("\n" in i for i in items)) or not items) and not (exploded and len(items) > 1):
        return Source(flat)
    inner = " " * (indent + 4)
    lines = "\n".join(f"{inner}{i}," for i in items)
    return Source(f"{pad}{head}\n{lines}\n{pad}{tail}")


def literal_display(value: object, indent: int, head: str = "", tail: str = "") -> Source:
    """A nested literal (dicts, lists, tuples of scalars) after `head` and before `tail`, laid out as the formatter does.

    Each display goes on one line if it fits there (head and tail included), else one item a
    line with a trailing comma, each item laid out the same way one level deeper.
    """
    from .pysource import literal

    pad = " " * indent
    flat = f"{pad}{head}{literal(value)}{tail}"
    if _fits(flat) or not isinstance(value, dict | list | tuple) or not value:
        return Source(flat)
    inner = indent + 4
    if isinstance(value, dict):
        items = [literal_display(v, inner, f"{literal(k)}: ", ",") for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [literal_display(v, inner, "", ",") for v in value]
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
    return Source(f"{pad}{head}{opening}\n" + "\n".join(items) + f"\n{pad}{closing}{tail}")


# --------------------------------------------------------------------------------- imports

_STDLIB = frozenset(sys.stdlib_module_names)
_NATURAL = re.compile(r"(\d+)")


def _natural(text: str) -> list[object]:
    return [int(part) if i % 2 else part for i, part in enumerate(_NATURAL.split(text))]


def _module_key(module: str) -> tuple[object, ...]:
    return (_natural(module.lower()), module)


def _member_key(name: str) -> tuple[object, ...]:
    # Constants, then classes, then everything else (isort's order-by-type), each naturally.
    kind = 0 if name.isupper() and any(c.isalpha() for c in name) else 1 if name[:1].isupper() else 2
    return (kind, _natural(name.lower()), name)


def _section(node: ast.Import | ast.ImportFrom) -> int:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return 3
        if node.module == "__future__":
            return 0
        top = (node.module or "").split(".")[0]
    else:
        top = node.names[0].name.split(".")[0]
    return 1 if top in _STDLIB else 2


_STRING = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAST = re.compile(r'\bcast\(\s*"([^"]*)"')
_ALL = re.compile(r"^__all__\s*=\s*\[(.*?)\]", re.DOTALL | re.MULTILINE)
_COMMENT = re.compile(r"#[^\n]*")


def _used_names(code_text: str, whole: str) -> set[str]:
    """Every name used in `code_text` (the module without its imports) outside strings and comments,
    plus the names in `cast("...")` annotations and in `__all__` of the whole module.

    A regular expression pass rather than a syntax tree: the emitter's own output is regular,
    and this runs on every module of packages of thousands of types.
    """
    used = set(_NAME.findall(_COMMENT.sub("", _STRING.sub('""', code_text))))
    for annotation in _CAST.findall(whole):
        used.update(_NAME.findall(annotation))
    for names in _ALL.findall(whole):
        used.update(_NAME.findall(names))
    return used


def _blocks(body: Sequence[ast.stmt]) -> list[list[ast.Import | ast.ImportFrom]]:
    """Runs of consecutive import statements in a body."""
    out: list[list[ast.Import | ast.ImportFrom]] = []
    run: list[ast.Import | ast.ImportFrom] = []
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            run.append(stmt)
            continue
        if run:
            out.append(run)
            run = []
    if run:
        out.append(run)
    return out


def _render_block(nodes: Iterable[ast.Import | ast.ImportFrom], used: set[str], indent: int) -> list[str]:
    """The import statements of one block, trimmed to what is used, merged, sorted and wrapped."""
    plain: dict[int, set[tuple[str, str | None]]] = {}
    froms: dict[int, dict[tuple[int, str], set[tuple[str, str | None]]]] = {}
    for node in nodes:
        section = _section(node)
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            if section != 0 and bound not in used:
                continue
            if isinstance(node, ast.Import):
                plain.setdefault(section, set()).add((alias.name, alias.asname))
            else:
                key = (node.level, node.module or "")
                froms.setdefault(section, {}).setdefault(key, set()).add((alias.name, alias.asname))
    pad = " " * indent
    groups: list[list[str]] = []
    for section in sorted(set(plain) | set(froms)):
        lines = [
            f"{pad}import {name}" + (f" as {asname}" if asname else "")
            for name, asname in sorted(plain.get(section, ()), key=lambda n: (_module_key(n[0]), n[1] or ""))
        ]
        by_module = froms.get(section, {})
        for level, module in sorted(by_module, key=lambda k: (-k[0], _module_key(k[1]))):
            source = "." * level + module
            members = by_module[level, module]
            # As-imports stay statements of their own (isort's combine-as-imports is off).
            together = sorted((m for m in members if m[1] is None), key=lambda m: _member_key(m[0]))
            alone = sorted((m for m in members if m[1] is not None), key=lambda m: (_member_key(m[0]), m[1]))
            statements: list[tuple[tuple[object, ...], str]] = []
            if together:
                statements.append((_member_key(together[0][0]), _from_line(pad, source, [m[0] for m in together])))
            for name, asname in alone:
                statements.append((_member_key(name), _from_line(pad, source, [f"{name} as {asname}"])))
            lines += [text for _, text in sorted(statements, key=lambda s: s[0])]
        if lines:
            groups.append(lines)
    return [line for i, group in enumerate(groups) for line in ([""] if i else []) + group]


def _from_line(pad: str, source: str, names: list[str]) -> str:
    flat = f"{pad}from {source} import {', '.join(names)}"
    if len(flat) <= LINE_LENGTH:
        return flat
    inner = "\n".join(f"{pad}    {n}," for n in names)
    return f"{pad}from {source} import (\n{inner}\n{pad})"


def tidy_imports(text: str) -> str:
    """The module with every import block holding only what it uses, merged, sorted and wrapped.

    A block that ends up empty is removed; inside `if TYPE_CHECKING:`, so is the `if` itself
    (and with it, possibly, the import of `TYPE_CHECKING`: the pass repeats until nothing changes).
    """
    for _ in range(4):
        tidied, dropped_block = _tidy_once(text)
        # Blocks render the same from the same used names: only a dropped `if` can change what is used.
        if tidied == text or not dropped_block:
            return tidied
        text = tidied
    return text


_DEFINITION = re.compile(r"^[ ]*(?:class |def |async def |@)", re.MULTILINE)
_TOP_LEVEL = re.compile(r"^\S", re.MULTILINE)


def _head(text: str) -> str:
    """The module up to the top-level statement holding its first definition (a class under
    `if TYPE_CHECKING:` included): the imports are all there, so only that part needs a syntax tree."""
    first = _DEFINITION.search(text)
    if first is None:
        return text
    starts = [m.start() for m in _TOP_LEVEL.finditer(text, 0, first.start() + 1)]
    return text[: starts[-1]] if starts else text


def _tidy_once(text: str) -> tuple[str, bool]:
    """The module with its import blocks tidied, and whether an `if TYPE_CHECKING:` block went away."""
    head = _head(text)
    try:
        tree = ast.parse(head)
    except SyntaxError:
        tree = ast.parse(text)
    lines = text.split("\n")
    blocks: list[tuple[list[ast.Import | ast.ImportFrom], int]] = [(b, 0) for b in _blocks(tree.body)]
    checking: list[ast.If] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING":
            if all(isinstance(s, ast.Import | ast.ImportFrom) for s in stmt.body) and not stmt.orelse:
                checking.append(stmt)
                blocks += [(b, stmt.col_offset + 4) for b in _blocks(stmt.body)]
    import_lines = {n for block, _ in blocks for node in block
                    for n in range(node.lineno - 1, node.end_lineno or node.lineno)}
    used = _used_names("\n".join(line for i, line in enumerate(lines) if i not in import_lines), text)
    # Replace from the bottom up so earlier line numbers stay valid.
    edits: list[tuple[int, int, list[str]]] = []
    dropped = False
    for block, indent in blocks:
        start, end = block[0].lineno - 1, (block[-1].end_lineno or block[-1].lineno)
        edits.append((start, end, _render_block(block, used, indent)))
    for stmt in checking:
        rendered = [line for block in _blocks(stmt.body) for line in _render_block(block, used, stmt.col_offset + 4)]
        if not any(line.strip() for line in rendered):
            start, end = stmt.lineno - 1, stmt.end_lineno or stmt.lineno
            edits = [e for e in edits if not (start <= e[0] < end)]
            # The blank line before the block goes with it.
            if start > 0 and not lines[start - 1].strip():
                start -= 1
            edits.append((start, end, []))
            dropped = True
    for start, end, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[start:end] = new
    return "\n".join(lines), dropped


# ----------------------------------------------------------------------------- long lines


def wrap_long_lines(text: str) -> str:
    """Each statement line of the module longer than `LINE_LENGTH` wrapped as the formatter wraps it.

    Only the shapes the templates write are known (calls, subscripts, displays, comprehensions,
    conditional expressions, `or`, simple assignments, `def` and `class` headers); any other long
    line is kept. Lines inside strings (docstrings, tables) are never touched.
    """
    lines = text.split("\n")
    if all(len(line) <= LINE_LENGTH for line in lines):
        return text
    in_string = _string_lines(text)
    out: list[str] = []
    for number, line in enumerate(lines, 1):
        if len(line) > LINE_LENGTH and number not in in_string:
            wrapped = _wrap_line(line)
            if wrapped is not None:
                out += wrapped
                continue
        out.append(line)
    return "\n".join(out)


def _string_lines(text: str) -> set[int]:
    """Line numbers (1-based) inside a string that spans lines, its last line included."""
    inside: set[int] = set()
    line, counted = 1, 0
    for m in _STRING.finditer(text):
        line += text.count("\n", counted, m.start())
        counted = m.start()
        span = m.group().count("\n")
        if span:
            inside.update(range(line + 1, line + span + 1))
    return inside


class _Tok(NamedTuple):
    text: str
    start: int  # offset in the line
    end: int
    depth: int  # brackets open before it


def _tokens(text: str) -> list[_Tok] | None:
    """The tokens of one logical line with their offsets and bracket depth, or None if it does not tokenize."""
    out: list[_Tok] = []
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
                continue
            if token.start[0] != 1:
                return None
            if token.string in ")]}":
                depth -= 1
            out.append(_Tok(token.string, token.start[1], token.end[1], depth))
            if token.string in "([{" and token.type == tokenize.OP:
                depth += 1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return out


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` tokens outside brackets (strings are tokens, so never split)."""
    tokens = _tokens(text)
    if tokens is None:
        return [text]
    parts, start = [], 0
    for tok in tokens:
        if tok.depth == 0 and tok.text == separator:
            parts.append(text[start : tok.start].strip())
            start = tok.end
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _closing_pair(text: str) -> tuple[int, str] | None:
    """Where the bracket closed by the last character of `text` opens, if `text` ends with a closer."""
    tokens = _tokens(text)
    if not tokens or tokens[-1].text not in ")]}" or tokens[-1].end != len(text):
        return None
    depth = tokens[-1].depth
    for tok in reversed(tokens[:-1]):
        if tok.depth == depth and tok.text in "([{":
            return tok.start, tok.text
    return None


def _wrap_line(line: str) -> list[str] | None:
    indent = len(line) - len(line.lstrip(" "))
    body = line.strip()
    if body.startswith(("def ", "async def ", "class ")) and body.endswith(":"):
        return _header_lines(body, indent)
    suffix = ""
    if body.endswith(",") and _tokens(body[:-1]) is not None:
        body, suffix = body[:-1], ","
    tokens = _tokens(body)
    if tokens is None:
        return None
    prefix = ""
    if tokens[0].text == "return":
        prefix, body = "return ", body[len("return ") :]
    else:
        assign = [t for t in tokens if t.depth == 0 and t.text == "="]
        target = tokens[: tokens.index(assign[0])] if len(assign) == 1 else []
        # `name = value` or `name: annotation = value`; no other colon before the `=`.
        colons = [t for t in target if t.depth == 0 and t.text == ":"]
        annotated = len(colons) == 1 and target[1] is colons[0]
        # The formatter leaves an annotated assignment whose head alone is too long as it is.
        if annotated and not _fits(line[: indent + assign[0].end + 2]):
            return None
        if len(assign) == 1 and (not colons or annotated):
            prefix, body = body[: assign[0].end] + " ", body[assign[0].end :].strip()
            rhs = _tokens(body) or []
            if any(t.depth == 0 and t.text == "if" for t in rhs) and any(t.depth == 0 and t.text == "else" for t in rhs):
                # A conditional expression on the right is put in parentheses, split at `if` and `else`
                # if it does not fit on a line of its own there: the formatter never splits its last call.
                pad = " " * indent
                inner = f"{pad}    {body}"
                return [f"{pad}{prefix}(", *([inner] if _fits(inner) else _sole_lines(body, indent + 4)),
                        f"{pad}){suffix}"]
            if _closing_pair(body) is None:
                # An atom on the right is put in parentheses on a line of its own, if it then fits.
                pad = " " * indent
                inner = f"{pad}    {body}"
                return [f"{pad}{prefix}(", inner, f"{pad}){suffix}"] if _fits(inner) else None
    return _expr_lines(body, indent, prefix, suffix)


def _header_lines(body: str, indent: int) -> list[str] | None:
    tokens = _tokens(body[:-1] if body.startswith("class") else body)
    if tokens is None:
        return None
    # The parameter or base list: the first bracket pair at depth 0.
    opening = next((t for t in tokens if t.depth == 0 and t.text == "("), None)
    if opening is None:
        return None
    closing = next(t for t in tokens if t.depth == 0 and t.text == ")" and t.start > opening.start)
    pair = (opening.start, closing.start)
    head, inner, tail = body[: pair[0] + 1], body[pair[0] + 1 : pair[1]], body[pair[1] :]
    items = _split(inner, ",")
    # A parameter list without commas gets one when it is split (and is then one a line).
    single_def = body.startswith(("def ", "async def ")) and len(items) == 1
    lines = _bracket(indent, head, items, tail, force_comma=single_def)
    returns = lines[-1].strip()
    if not _fits(lines[-1]) and returns.startswith(") -> ") and returns.endswith("]:"):
        # The return annotation is split at its own subscript.
        annotation = returns[len(") -> ") : -1]
        subscript = _closing_pair(annotation)
        if subscript is not None:
            at = subscript[0]
            lines[-1:] = _bracket(indent, ") -> " + annotation[: at + 1], _split(annotation[at + 1 : -1], ","), "]:")
    return lines


def _expr_lines(text: str, indent: int, prefix: str, suffix: str) -> list[str]:
    """`prefix` + the expression + `suffix` at `indent`, split at its brackets as the formatter would."""
    pad = " " * indent
    flat = f"{pad}{prefix}{text}{suffix}"
    if _fits(flat):
        return [flat]
    pair = _closing_pair(text)
    if pair is not None:
        at, opener = pair
        head, inner, closer = text[: at + 1], text[at + 1 : -1], text[-1]
        items = _split(inner, ",")
        comprehension = _split(inner, "for")
        if at == 0 and opener == "[" and len(comprehension) == 2 and len(items) == 1:
            element, loop = comprehension
            return [f"{pad}{prefix}[", *_expr_lines(element, indent + 4, "", ""), f"{pad}    for {loop}",
                    f"{pad}]{suffix}"]
        if at == 0:  # a display: one item a line, never hugged
            single = "," if opener == "(" and len(items) == 1 and inner.rstrip().endswith(",") else ""
            del single
            lines = [f"{pad}{prefix}{opener}"]
            for item in items:
                lines += _item_lines(item, indent + 4, opener == "{")
            return [*lines, f"{pad}{closer}{suffix}"]
        return _bracket(indent, prefix + head, items, closer + suffix)
    return [flat]


def _item_lines(item: str, indent: int, keyed: bool) -> list[str]:
    if keyed:
        parts = _split(item, ":")
        if len(parts) == 2:
            return _expr_lines(parts[1], indent, parts[0] + ": ", ",")
    return _expr_lines(item, indent, "", ",")


def _sole_lines(text: str, indent: int) -> list[str]:
    """A sole bracket item that does not fit on its own line, split inside itself."""
    pad = " " * indent
    if_parts = _split(text, "if")
    if len(if_parts) == 2:
        else_parts = _split(if_parts[1], "else")
        if len(else_parts) == 2:
            test = f"{pad}if {else_parts[0]}"
            lines = [f"{pad}{if_parts[0]}", *([test] if _fits(test) else _operator_lines(else_parts[0], pad, "if "))]
            last = f"{pad}else {else_parts[1]}"
            orelse = else_parts[1]
            if _fits(last):
                return [*lines, last]
            if _unparen(orelse) == orelse:  # e.g. a call, split at its own brackets
                return [*lines, *_expr_lines(orelse, indent, "else ", "")]
            # A parenthesized `else (a or b)` keeps its parentheses and splits inside them.
            inner = _unparen(orelse)
            inner_pad = " " * (indent + 4)
            if _fits(inner_pad + inner):
                body = [inner_pad + inner]
            else:
                ors = _split(inner, "or")
                body = [inner_pad + ors[0], *(f"{inner_pad}or {p}" for p in ors[1:])]
            return [*lines, f"{pad}else (", *body, f"{pad})"]
    return _expr_lines(text, indent, "", "")


def _operator_lines(text: str, pad: str, head: str) -> list[str]:
    """A condition too long for its line, one operand of its `and`s and `or`s a line, as the formatter splits it."""
    tokens = _tokens(text)
    if tokens is None:
        return [f"{pad}{head}{text}"]
    lines, start, lead = [], 0, head
    for tok in tokens:
        if tok.depth == 0 and tok.text in ("and", "or"):
            lines.append(f"{pad}{lead}{text[start : tok.start].strip()}")
            start, lead = tok.end, tok.text + " "
    return [*lines, f"{pad}{lead}{text[start:].strip()}"]


def _unparen(text: str) -> str:
    pair = _closing_pair(text)
    return text[1:-1] if pair is not None and pair == (0, "(") else text


def _bracket(indent: int, head: str, items: list[str], tail: str, *, force_comma: bool = False) -> list[str]:
    """The contents of a bracket pair split as the formatter splits a call, subscript or header.

    First all on one indented line (no trailing comma); else, for a sole item, that item split
    inside itself; else one item a line, each with a trailing comma.
    """
    pad, inner = " " * indent, " " * (indent + 4)
    hugged = inner + ", ".join(items)
    if not force_comma and _fits(hugged):
        return [f"{pad}{head}", hugged, f"{pad}{tail}"]
    if len(items) == 1 and not force_comma:
        return [f"{pad}{head}", *_sole_lines(items[0], indent + 4), f"{pad}{tail}"]
    lines = [f"{pad}{head}"]
    for item in items:
        lines += _expr_lines(item, indent + 4, "", ",")
    return [*lines, f"{pad}{tail}"]
