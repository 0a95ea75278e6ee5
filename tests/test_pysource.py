"""The one escaping function per output context (generator/pysource.py), and templates that cannot bypass it."""

from __future__ import annotations

import inspect
import io
import tokenize
from pathlib import Path

import jinja2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.pysource import (
    GeneratorBug,
    Source,
    annotation,
    code,
    comment,
    docstring,
    identifier,
    literal,
    template_environment,
    token_block,
)

# Every code point, surrogates and controls included: what an XML or Markdown reader might hand over.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
QUOTES = st.text(st.sampled_from(['"', "'", "\\", "\n", " ", "a", "\x00", "\u202e", "{", "}", "#", "\r"]), max_size=200)


def _flat(text: str) -> str:
    return " ".join(text.split())


@given(st.one_of(ANY_TEXT, QUOTES))
@example('"""')
@example("\\")
@example('a"')
def test_literal_reads_back_exactly(text: str) -> None:
    source = literal(text)
    assert isinstance(source, Source)
    assert "\n" not in source and "\r" not in source and "\x00" not in source
    assert eval(source) == text  # noqa: S307 - the point of the test


def test_literal_of_containers_and_scalars() -> None:
    value = {"a\"": [1, 2.5, None, True, ("x\n",)], "b": {"c": False}}
    assert eval(literal(value)) == value  # noqa: S307
    assert literal(("one",)) == '("one",)'
    with pytest.raises(GeneratorBug):
        literal(object())


@settings(max_examples=300)
@given(st.one_of(ANY_TEXT, QUOTES), st.sampled_from([0, 4, 8, 12]))
@example('x' * 70 + ' \\"""' * 30, 4)
@example('ends with a quote "', 8)
@example('ends with a backslash \\', 8)
@example('a' * 75 + '\\"' + ' b' * 40, 8)
def test_docstring_compiles_and_reads_back(text: str, indent: int) -> None:
    doc = docstring(text, "fallback", indent)
    pad = " " * indent
    source = "".join(f"{' ' * i}class C{i // 4}:\n" for i in range(0, indent, 4)) + doc + "\n" + pad + "pass\n"
    if indent == 0:
        source = doc + "\n"
    namespace: dict[str, object] = {}
    exec(compile(source, "<doc>", "exec"), namespace)  # noqa: S102
    if indent == 0:
        read = namespace["__doc__"]
    else:
        obj: object = namespace["C0"]
        for i in range(1, indent // 4):
            obj = getattr(obj, f"C{i}")
        read = inspect.getdoc(obj)
    expected = text if text.strip() else "fallback"
    # A class docstring must encode as UTF-8: lone surrogates read back as their escape text.
    expected = "".join(f"\\u{ord(c):04x}" if "\ud800" <= c <= "\udfff" else c for c in expected)
    assert isinstance(read, str)
    assert _flat(read) == _flat(expected)


def test_docstring_escapes_after_wrapping() -> None:
    # Escaping before wrapping let a line break fall inside `\"`; now the text is wrapped first.
    text = ("word " * 14) + 'x\\"""y ' * 20
    doc = docstring(text, "", 8)
    assert '"""' not in doc.strip()[3:-3]
    compile(f"class A:\n    def f(self) -> None:\n{doc}\n", "<doc>", "exec")


@given(ANY_TEXT)
def test_comment_is_one_comment_token(text: str) -> None:
    line = comment(text)
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(line + "\n").readline)
              if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)]
    assert [t.type for t in tokens] == [tokenize.COMMENT]


@given(st.lists(st.lists(st.text(st.characters(codec=None, exclude_categories=("Zs", "Zl", "Zp", "Cc")), min_size=1,
                                 max_size=20).filter(lambda w: w.split() == [w]), min_size=1, max_size=5), max_size=5))
def test_token_block_reads_back_as_the_same_tokens(rows: list[list[str]]) -> None:
    block = token_block(rows, 4, 4)
    assert eval(block).split() == [w for row in rows for w in row]  # noqa: S307
    wrapped = token_block(rows, 8, 4, width=30)
    assert eval(wrapped).split() == [w for row in rows for w in row]  # noqa: S307


@pytest.mark.parametrize("token", ["a b", "", "a\nb", "x\u2028y", "\x1c"])
def test_token_block_refuses_what_would_not_stay_one_token(token: str) -> None:
    with pytest.raises(GeneratorBug, match="one token"):
        token_block([["ok", token]], 4, 4)


@pytest.mark.parametrize("name", ["class", "None", "", "1a", "a-b", "名前", "a b", 'a"', "a\n"])
def test_identifier_refuses_what_is_not_a_usable_name(name: str) -> None:
    with pytest.raises(GeneratorBug):
        identifier(name)


def test_identifier_and_annotation_accept_what_the_generator_writes() -> None:
    assert identifier("from_") == "from_"
    assert identifier("match") == "match"  # a soft keyword is a name
    for text in ("list[Event] | None", "CollectionRequest[Event]", "tuple[str, int]", "builtins.list[_datetime.date]",
                 "CollectionExpr[EnumExpr[Importance]]", "Any"):
        assert annotation(text) == text


@pytest.mark.parametrize("text", ['Event"', "x)", "a\nb", "list[x] # c", "f()", ""])
def test_annotation_refuses_anything_else(text: str) -> None:
    with pytest.raises(GeneratorBug):
        annotation(text)


def test_code_takes_only_source_arguments() -> None:
    assert code("x = {}.get({})", identifier("d"), literal("a")) == 'x = d.get("a")'
    assert code("n = {} + {}", 1, True) == "n = 1 + True"
    with pytest.raises(GeneratorBug, match="without going through"):
        code("x = {}", "raw input")  # type: ignore[arg-type]


def test_templates_refuse_raw_strings(tmp_path: Path) -> None:
    (tmp_path / "t.jinja").write_text("x = {{ value }}\n")
    (tmp_path / "j.jinja").write_text("{{ items | join(', ') }}\n")
    env = template_environment(tmp_path)
    assert env.get_template("t.jinja").render(value=literal("a\"b")) == 'x = "a\\"b"\n'
    assert env.get_template("t.jinja").render(value=3) == "x = 3\n"
    with pytest.raises(GeneratorBug, match="without going through generator.pysource"):
        env.get_template("t.jinja").render(value='"; import os; "')
    with pytest.raises(GeneratorBug):
        env.get_template("j.jinja").render(items=["raw"])
    for unsafe in ("safe", "wordwrap", "format", "replace", "string", "indent"):
        (tmp_path / f"{unsafe}.jinja").write_text(f"{{{{ value | {unsafe} }}}}\n")
        with pytest.raises(jinja2.TemplateAssertionError):
            env.get_template(f"{unsafe}.jinja")
