"""`--print`: the run as a tree, read like `argo get` / `temporal workflow trace`.

Rich builds the lines; colour only when stdout is a terminal. Every string from the API
goes through `sanitize` and is added as plain text, never parsed as markup.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from typing import TextIO

from rich.text import Text

from .findings import Finding, Kind
from .graph import ItemKind, RunGraph, TreeItem
from .present import (
    VERDICT_STYLES,
    edge_text,
    fmt_attempts,
    fmt_credits,
    fmt_duration,
    fmt_time,
    progress_text,
    severity_look,
    status_look,
    verdict_text,
)
from .sanitize import clean, one_line

TITLE_LIMIT = 60
ERROR_LINES = 6
ERROR_WIDTH = 100


def _tree_lines(item: TreeItem, prefix: str = "") -> Iterator[tuple[str, str, TreeItem]]:
    """(prefix for this line, prefix for lines under it, item) for each item below `item`."""
    count = len(item.children)
    for index, child in enumerate(item.children):
        last = index == count - 1
        yield prefix + ("└─ " if last else "├─ "), prefix + ("   " if last else "│  "), child
        yield from _tree_lines(child, prefix + ("   " if last else "│  "))


def header_lines(graph: RunGraph) -> list[Text]:
    summary = graph.summary
    run = graph.run
    look = status_look(summary.status)
    lines: list[Text] = []
    lines.append(Text(one_line(summary.record_title or "(untitled record)"), style="bold"))

    def field(name: str, *parts: str | tuple[str, str]) -> None:
        line = Text(f"  {name:<10}", style="dim")
        line.append_text(Text.assemble(*parts))
        lines.append(line)

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


def node_line(graph: RunGraph, item: TreeItem) -> Text:
    state = graph.states[item.node_uuid or ""]
    look = status_look(state.status)
    text = Text()
    text.append(f"{look.glyph} {look.word:<13} ", style=look.style)
    text.append(one_line(state.title, TITLE_LIMIT), style="bold" if state.failed else "")
    text.append(f"  {one_line(state.kind_action, 40)}", style="dim")
    extras = [x for x in (fmt_attempts(state), fmt_credits(state.credits), fmt_duration(state.duration)) if x]
    if state.child_runs:
        extras.append(f"{len(state.child_runs)} child run{'s' if len(state.child_runs) > 1 else ''}")
    if extras:
        text.append("  " + "  ".join(extras), style="cyan")
    return text


def item_line(graph: RunGraph, item: TreeItem) -> Text:
    if item.kind is ItemKind.NODE:
        return node_line(graph, item)
    if item.kind is ItemKind.REF:
        state = graph.states[item.node_uuid or ""]
        look = status_look(state.status)
        return Text.assemble(
            ("↪ ", "dim"),
            (one_line(state.title, TITLE_LIMIT), ""),
            (f"  ({look.word}, shown {item.text or 'elsewhere'})", "dim"),
        )
    if item.kind is ItemKind.EDGE and item.edge is not None:
        taken = {True: "  ← taken", False: "  (not taken)", None: ""}[item.edge.taken]
        return Text.assemble((f"[{edge_text(item.edge)}]", "bold magenta"), (taken, "dim"))
    if item.kind is ItemKind.SECTION:
        return Text(one_line(item.text), style="bold underline")
    return Text.assemble(("⚠ ", "yellow"), (one_line(item.text), "yellow"))


def error_lines(message: str, width: int = ERROR_WIDTH, limit: int = ERROR_LINES) -> list[str]:
    """The error text wrapped under its node: all of it up to a few lines, then a marker."""
    out: list[str] = []
    for raw in clean(message).splitlines() or [""]:
        out.extend(textwrap.wrap(raw, width, break_on_hyphens=False, drop_whitespace=True) or [""])
    if len(out) > limit:
        hidden = len(out) - limit
        out = [*out[:limit], f"… {hidden} more line{'s' if hidden > 1 else ''} (see --json)"]
    return out


FINDING_DETAIL_LINES = 8


def finding_lines(graph: RunGraph, findings: Sequence[Finding]) -> list[Text]:
    """The Findings section. Graph anomalies are left to their own section, not listed twice."""
    shown = [f for f in findings if f.kind != Kind.ANOMALY]
    if not shown:
        return [Text("Findings: none", style="bold")]
    lines = [Text(f"Findings ({len(shown)})", style="bold")]
    for finding in shown:
        look = severity_look(finding.severity)
        style = look.style
        line = Text(f"  {look.glyph} ", style=style)
        state = graph.states.get(finding.node_uuid or "")
        if state is not None:
            line.append(one_line(state.title, 40), style="bold")
            line.append(": ")
        line.append(one_line(finding.message, 300), style=style)
        lines.append(line)
        if finding.fix:
            lines.append(Text.assemble(("      fix: ", "bold green"), (one_line(finding.fix, 300), "green")))
        if finding.detail:
            for detail in error_lines(finding.detail)[:FINDING_DETAIL_LINES]:
                lines.append(Text("      " + detail, style="dim"))
    return lines


def render_lines(graph: RunGraph, findings: Sequence[Finding] | None = None) -> list[Text]:
    lines = header_lines(graph)
    lines.append(Text())
    for prefix, under, item in _tree_lines(graph.root):
        line = Text(prefix, style="dim")
        body = item_line(graph, item)
        if item.dimmed:
            body.stylize("dim")
        line.append_text(body)
        lines.append(line)
        if item.kind is ItemKind.NODE:
            state = graph.states[item.node_uuid or ""]
            if state.first_error and state.failed:
                for error_line in error_lines(state.first_error):
                    lines.append(Text.assemble((under + "   ", "dim"), (error_line, "red")))
    if findings is not None:
        lines.append(Text())
        lines.extend(finding_lines(graph, findings))
    if graph.anomalies:
        lines.append(Text())
        lines.append(Text(f"Anomalies ({len(graph.anomalies)})", style="bold yellow"))
        for anomaly in graph.anomalies:
            where = (
                f"{one_line(graph.states[anomaly.node_uuid].title, 40)}: "
                if (anomaly.node_uuid in graph.states)
                else ""
            )
            lines.append(Text(f"  ⚠ {where}{one_line(anomaly.message, 300)}", style="yellow"))
    return lines


def print_run(
    graph: RunGraph, file: TextIO, *, color: bool | None = None, findings: Sequence[Finding] | None = None
) -> None:
    is_tty = file.isatty() if color is None else color
    lines = render_lines(graph, findings)
    if not is_tty:
        # Without colour Rich adds nothing but time: seconds for a run with 10,000 nodes.
        file.write("".join(f"{line.plain}\n" for line in lines))
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
        console.print(line)
