"""`--print`: the run as a tree, read like `argo get` / `temporal workflow trace`.

The layout is built once, as `Line`s: runs of text, each with the Rich style it is shown in.
A terminal gets them as Rich `Text` (colour); anything else gets their plain text, written
directly, and Rich is not even imported (importing it and building ~3,900 `Text`s only to
write their `.plain` cost ~30 ms of a `--print` of a 2,000-node run). Every string from the
API goes through `sanitize` and is added as plain text, never parsed as markup.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple, TextIO

from .findings import Finding, listed_findings
from .graph import NodeState, RunGraph
from .layout import ItemKind, TreeItem, flat_layout
from .present import (
    FINDING_DETAIL_LINES,
    TITLE_LIMIT,
    VERDICT_STYLES,
    fmt_credits,
    fmt_duration,
    fmt_time,
    node_name,
    progress_text,
    severity_look,
    status_look,
    verdict_text,
)
from .sanitize import clean, one_line
from .treeline import item_parts

if TYPE_CHECKING:
    from rich.text import Text

ERROR_LINES = 6
ERROR_WIDTH = 100

Piece = tuple[str, str]
"""A run of text and the Rich style of its span (`""`: none of its own)."""


class Line(NamedTuple):
    """One line of output, as Rich builds it: `style` lies under the whole line, each piece's
    style over its own text, and `over` over all of it last (`Text.stylize`)."""

    pieces: tuple[Piece | Line, ...]
    """A nested `Line` keeps its own `style` and `over` (`Text.append_text`)."""
    style: str = ""
    over: str = ""

    @property
    def plain(self) -> str:
        """The text, without styles (control codes are left to `plain_text`)."""
        return "".join([piece.plain if isinstance(piece, Line) else piece[0] for piece in self.pieces])

    def to_text(self) -> Text:
        """The line as Rich `Text`: `style` its style, a span for each styled piece, then `over`."""
        from rich.text import Text

        text = Text(style=self.style)
        for piece in self.pieces:
            if isinstance(piece, Line):
                text.append_text(piece.to_text())
            else:
                text.append(*piece)
        if self.over:
            text.stylize(self.over)
        return text


_STRIP_CONTROL_CODES = {code: None for code in (7, 8, 11, 12, 13)}
"""What Rich's `Text` drops from every string it is given (`rich.control.STRIP_CONTROL_CODES`),
so that the plain text is exactly `Text.plain`. A test keeps the two in step."""


def plain_text(lines: Sequence[Line]) -> str:
    """The lines as plain text, one per line: what `Text.plain` of each would give."""
    text = "".join([f"{line.plain}\n" for line in lines])
    if any(chr(code) in text for code in _STRIP_CONTROL_CODES):
        text = text.translate(_STRIP_CONTROL_CODES)
    return text


def _tree_lines(top: TreeItem) -> Iterator[tuple[str, str, TreeItem]]:
    """(prefix for this line, prefix for lines under it, item) for each item below `top`."""

    def below(item: TreeItem, prefix: str) -> list[tuple[TreeItem, str, bool]]:
        last = len(item.children) - 1
        return [(item.children[i], prefix, i == last) for i in range(last, -1, -1)]

    stack = below(top, "")
    while stack:
        item, prefix, last = stack.pop()
        under = prefix + ("   " if last else "│  ")
        yield prefix + ("└─ " if last else "├─ "), under, item
        stack.extend(below(item, under))


def header_lines(graph: RunGraph) -> list[Line]:
    summary = graph.summary
    run = graph.run
    look = status_look(summary.status)
    lines: list[Line] = [Line(((one_line(summary.record_title or "(untitled record)"), ""),), "bold")]

    def field(name: str, *parts: str | Piece) -> None:
        pieces = tuple((part, "") if isinstance(part, str) else part for part in parts)
        lines.append(Line(((f"  {name:<10}", ""), *pieces), "dim"))

    field(
        "run",
        one_line(summary.uuid or "?"),
        "  ",
        (f" {look.glyph} {verdict_text(summary)} ", VERDICT_STYLES.get(summary.verdict, look.style)),
    )
    field("workflow", one_line(run.workflow_uuid or "?"))
    if run.parent_uuid:
        field("parent", f"{one_line(run.parent_uuid)} (node {one_line(run.parent_node_uuid or '?')})")
    field(
        "created",
        fmt_time(summary.created_at),
        "   finished ",
        fmt_time(summary.finished_at),
        "   duration ",
        fmt_duration(summary.elapsed) or "—",
    )
    field("credits", fmt_credits(summary.credits) or "0", "   progress ", progress_text(summary))
    if summary.error_message:
        field("error", (one_line(summary.error_message, 300), "red"))
    return lines


def item_line(graph: RunGraph, item: TreeItem) -> Line:
    """The line of one tree item: `treeline`'s parts, each in its style."""
    return Line(tuple((part.text, part.style) for part in item_parts(graph, item)))


def error_lines(message: str, width: int = ERROR_WIDTH, limit: int = ERROR_LINES) -> list[str]:
    """The error text wrapped under its node: all of it up to a few lines, then a marker."""
    out: list[str] = []
    for raw in clean(message).splitlines() or [""]:
        out.extend(textwrap.wrap(raw, width, break_on_hyphens=False, drop_whitespace=True) or [""])
    if len(out) > limit:
        hidden = len(out) - limit
        out = [*out[:limit], f"… {hidden} more line{'s' if hidden > 1 else ''} (see --json)"]
    return out


def finding_lines(graph: RunGraph, findings: Sequence[Finding]) -> list[Line]:
    """The Findings section. Graph anomalies are left to their own section, not listed twice."""
    shown = listed_findings(list(findings))
    if not shown:
        return [Line((("Findings: none", ""),), "bold")]
    lines = [Line(((f"Findings ({len(shown)})", ""),), "bold")]
    for finding in shown:
        look = severity_look(finding.severity)
        style = look.style
        pieces: list[Piece] = [(f"  {look.glyph} ", "")]
        state = graph.states.get(finding.node_uuid or "")
        if state is not None:
            pieces += [(node_name(state), "bold"), (": ", "")]
        pieces.append((one_line(finding.message, 300), style))
        lines.append(Line(tuple(pieces), style))
        if finding.fix:
            lines.append(Line((("      fix: ", "bold green"), (one_line(finding.fix, 300), "green"))))
        if finding.detail:
            for detail in error_lines(finding.detail)[:FINDING_DETAIL_LINES]:
                lines.append(Line((("      " + detail, ""),), "dim"))
    return lines


ITEM_ERROR_LINES = 3


def item_failure_lines(graph: RunGraph, state: NodeState) -> list[Line]:
    """Under a group whose items failed: each failed item (as far as it was read), the node
    that failed in it and its error; then how many more failed."""
    listed = graph.lineage.items.get(state.uuid)
    if listed is None or not listed.failures:
        return []
    lines: list[Line] = []
    for failure in listed.failures:
        title = one_line(failure.record_title or "(untitled record)", TITLE_LIMIT)
        at = f" at {one_line(failure.node_slug, TITLE_LIMIT)}" if failure.node_slug else ""
        lines.append(
            Line(
                (
                    (f"✖ item {title}", "bold red"),
                    (f"  run {one_line(failure.run_uuid, 80)}", "dim"),
                    (f"  failed{at}", "red"),
                )
            )
        )
        for error_line in error_lines(failure.error or "no error recorded", limit=ITEM_ERROR_LINES):
            lines.append(Line(((f"  {error_line}", "red"),)))
    failed = (
        listed.failed_count
        if listed.failed_count is not None
        else (state.items.failed if state.items else None)
    )
    if failed is not None and failed > len(listed.failures):
        lines.append(Line(((f"+{failed - len(listed.failures):,} more failed", "dim"),)))
    return lines


def layout(graph: RunGraph, findings: Sequence[Finding] | None = None) -> list[Line]:
    """Every line of `--print`: the header, the tree, the findings and the anomalies."""
    lines = header_lines(graph)
    lines.append(Line(()))
    states = graph.states
    for prefix, under, item in _tree_lines(flat_layout(graph).root):
        body = item_line(graph, item)
        if item.dimmed:
            body = Line(body.pieces, body.style, "dim")
        lines.append(Line(((prefix, ""), body), "dim"))
        if item.kind is ItemKind.NODE:
            state = states[item.node_uuid or ""]
            failed_items = item_failure_lines(graph, state)
            if failed_items:
                lines.extend(Line(((under + "   ", "dim"), line)) for line in failed_items)
            elif state.first_error and state.failed:
                for error_line in error_lines(state.first_error):
                    lines.append(Line(((under + "   ", "dim"), (error_line, "red"))))
    if findings is not None:
        lines.append(Line(()))
        lines.extend(finding_lines(graph, findings))
    if graph.anomalies:
        lines.append(Line(()))
        lines.append(Line(((f"Anomalies ({len(graph.anomalies)})", ""),), "bold yellow"))
        for anomaly in graph.anomalies:
            where = (
                f"{one_line(states[anomaly.node_uuid].title, TITLE_LIMIT)}: "
                if (anomaly.node_uuid in states)
                else ""
            )
            lines.append(Line(((f"  ⚠ {where}{one_line(anomaly.message, 300)}", ""),), "yellow"))
    return lines


def render_lines(graph: RunGraph, findings: Sequence[Finding] | None = None) -> list[Text]:
    """The lines of `--print` as Rich `Text`."""
    return [line.to_text() for line in layout(graph, findings)]


def print_run(
    graph: RunGraph, file: TextIO, *, color: bool | None = None, findings: Sequence[Finding] | None = None
) -> None:
    write_lines(layout(graph, findings), file, color=color)


def write_lines(lines: Sequence[Line], file: TextIO, *, color: bool | None = None) -> None:
    """The lines in colour on a terminal (`color` None: if `file` is one), else as plain text."""
    is_tty = file.isatty() if color is None else color
    if not is_tty:
        file.write(plain_text(lines))
        return
    from rich.console import Console  # only for a terminal: importing it costs ~12 ms of each --print

    console = Console(
        file=file,
        force_terminal=True,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    for line in lines:
        console.print(line.to_text())
