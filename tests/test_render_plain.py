"""`--print` without a terminal writes the layout's plain text directly, without Rich.

One layout (`render_text.layout`) feeds both paths; these tests hold the plain writer to what
the Rich path shows, character for character, on every fixture, hostile text included.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.control import STRIP_CONTROL_CODES
from rich.text import Text

from run_inspector import render_text
from run_inspector.findings import compute_findings
from run_inspector.graph import RunGraph
from run_inspector.render_text import Line, layout, plain_text, print_run, render_lines

from .fixtures.make_hostile import HOSTILE_TEXTS, MARKUP_CASES
from .helpers import FIXTURES, graph_of

FIXTURE_FILES = sorted(FIXTURES.rglob("*.json"))
SGR = re.compile(r"\x1b\[[0-9;]*m")
"""A colour or style sequence: all that the Rich path may add to the text."""


def printed(graph: RunGraph, *, color: bool, with_findings: bool = True) -> str:
    out = io.StringIO()
    print_run(graph, out, color=color, findings=compute_findings(graph) if with_findings else None)
    return out.getvalue()


@pytest.fixture(scope="module", params=FIXTURE_FILES, ids=lambda path: str(path.relative_to(FIXTURES)))
def graph(request: pytest.FixtureRequest) -> RunGraph:
    path: Path = request.param
    return graph_of(path.read_bytes())


def test_there_are_fixtures_to_compare() -> None:
    assert len(FIXTURE_FILES) >= 10
    assert FIXTURES / "hostile_run.json" in FIXTURE_FILES


@pytest.mark.parametrize("with_findings", [True, False])
def test_the_plain_writer_writes_what_a_terminal_shows(graph: RunGraph, with_findings: bool) -> None:
    plain = printed(graph, color=False, with_findings=with_findings)
    coloured = printed(graph, color=True, with_findings=with_findings)
    assert "\x1b" in coloured  # the Rich path really ran, with colour
    assert SGR.sub("", coloured) == plain


def test_the_plain_writer_writes_the_plain_text_of_the_rich_lines(graph: RunGraph) -> None:
    findings = compute_findings(graph)
    texts = render_lines(graph, findings)
    assert all(isinstance(text, Text) for text in texts)
    assert printed(graph, color=False) == "".join(f"{text.plain}\n" for text in texts)


def test_each_line_is_the_same_in_both_forms(graph: RunGraph) -> None:
    lines = layout(graph, compute_findings(graph))
    assert [line.plain for line in lines] == [line.to_text().plain for line in lines]


def test_hostile_text_stays_sanitised_on_both_paths() -> None:
    graph = graph_of((FIXTURES / "hostile_run.json").read_bytes())
    plain = printed(graph, color=False)
    shown = SGR.sub("", printed(graph, color=True))
    assert shown == plain
    for text in (plain, shown):
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    for name in MARKUP_CASES:  # markup is shown literally, never applied
        assert HOSTILE_TEXTS[name] in plain, name
    assert "before" in plain and "after" in plain and "PWNED-TITLE" not in plain


def test_control_codes_rich_drops_are_dropped_from_the_plain_text_too() -> None:
    assert set(render_text._STRIP_CONTROL_CODES) == set(STRIP_CONTROL_CODES)
    line = Line((("a\rb\x07c\x08d", "red"), Line((("\x0be\x0cf", ""),), "bold", "dim")), "dim")
    assert plain_text([line, Line(())]) == f"{line.to_text().plain}\n\n" == "abcdef\n\n"


def test_a_line_becomes_the_text_it_describes() -> None:
    body = Line((("✔ ", "green"), ("title", "")), "bold underline", "dim")
    text = Line((("├─ ", ""), body), "dim").to_text()
    assert text.plain == "├─ ✔ title"
    assert str(text.style) == "dim"
    assert [(span.start, span.end, str(span.style)) for span in text.spans] == [
        (3, 10, "bold underline"),
        (3, 5, "green"),
        (3, 10, "dim"),
    ]


def test_print_without_a_terminal_imports_no_rich() -> None:
    probe = (
        "import io, sys; from run_inspector.cli import main; "
        f"code = main(['--file', {str(FIXTURES / 'failed_run.json')!r}, '--print'], out=io.StringIO()); "
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0 []"
