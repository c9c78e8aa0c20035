"""Rich `Text` for every line the TUI draws from run data. No Textual import.

API strings go through `sanitize.one_line`/`clean` and are appended as plain text: nothing
here is ever parsed as markup. Wording and styles come from `present`, shared with `--print`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from ..agent import AgentView
from ..expressions import MISSING
from ..findings import Finding
from ..graph import EdgeKind, NodeState, RunGraph, duration_between
from ..layout import ItemKind, TreeItem
from ..models import Execution
from ..present import (
    EDGE_STYLE,
    FINDING_DETAIL_LINES,
    TITLE_LIMIT,
    edge_text,
    fmt_credits,
    fmt_duration,
    node_name,
    severity_look,
    status_look,
)
from ..sanitize import clean, one_line
from ..treeline import PRINT_ONLY, Rates, Role, item_parts, line_style
from ..why import WhyReport

MESSAGE_LINES = 12
MESSAGE_CHARS = 2_000
"""A message on screen (the body message, a notification) is cut to this: an error can be huge."""
MATCH_STYLE = "bold black on yellow"
FLASH_STYLE = "on #4a4100"


def _highlight(text: Text, query: str) -> bool:
    """Mark each occurrence of `query` (any case); True if there was one."""
    if not query:
        return False
    plain, needle = text.plain.casefold(), query.casefold()
    found, start = False, plain.find(needle)
    while start != -1 and needle:
        text.stylize(MATCH_STYLE, start, start + len(needle))
        found = True
        start = plain.find(needle, start + len(needle))
    return found


def clip(text: str, *, lines: int, chars: int) -> tuple[str, str | None]:
    """`text` cut to at most `lines` lines and `chars` characters, and a note of what was left
    off (None when nothing was). Text a `Static` shows must stay small: it re-wraps all of it
    at every layout."""
    cut = text[:chars]
    end = -1
    for _ in range(lines):
        end = cut.find("\n", end + 1)
        if end == -1:
            break
    if end != -1:
        cut = cut[:end]
    if len(cut) == len(text):
        return text, None
    more_lines = text.count("\n", len(cut)) + (0 if text.startswith("\n", len(cut)) else 1)
    if more_lines > 1:
        return cut, f"… {more_lines:,} more lines"
    return cut, f"… {len(text) - len(cut):,} more characters"


def message_text(text: object) -> str:
    """Any message for the screen (the body message, a notification, the header's problem):
    cleaned, and cut to a few lines. The one path for messages, whatever raised them."""
    shown, more = clip(clean(text), lines=MESSAGE_LINES, chars=MESSAGE_CHARS)
    return shown if more is None else f"{shown}\n{more}"


def tree_label(
    graph: RunGraph,
    item: TreeItem,
    *,
    query: str = "",
    matched: bool = False,
    flash: bool = False,
    rates: Rates | None = None,
) -> Text:
    """The label of one line of the run tree: `treeline`'s parts (less the print-only ones),
    the search text marked in the name, dimmed off the path the run took, marked when it
    just changed."""
    text = Text(style=line_style(graph, item))
    for part in item_parts(graph, item, rates):
        if part.role in PRINT_ONLY:
            continue
        if part.role is Role.NAME and query and item.kind is ItemKind.NODE:
            name = Text(part.text, style=part.style)
            if not _highlight(name, query) and matched:
                name.append(" ⌕", style=MATCH_STYLE)
            text.append_text(name)
        else:
            text.append(part.text, style=part.style)
    if item.dimmed:
        text.stylize("dim")
    if flash:
        text.stylize(FLASH_STYLE)
    return text


def relative_time(moment: datetime | None, now: datetime | None = None) -> str:
    """`12s ago`, `5m ago`, `3h ago`, `4d ago`: how long ago a run was created."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    except OverflowError:
        return "—"
    if seconds < 0:
        return "just now"
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "m")):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%H:%M:%S")


# -- panes --------------------------------------------------------------------------------


def status_cell(status: str | None) -> Text:
    look = status_look(status)
    return Text(f"{look.glyph} {look.word}", style=look.style)


def execution_way(state: NodeState, execution: Execution) -> str:
    """The way the execution went on: the words of the edge it took (`yes`, a route's name,
    `next`, `on failure (…)`), from the child index it recorded, else from its next node."""
    for edge in state.edges:
        if execution.node_child_index is not None and edge.kind is not EdgeKind.FALLBACK:
            if edge.index == execution.node_child_index:
                return edge_text(edge)
        elif execution.next_node_uuid is not None and edge.target == execution.next_node_uuid:
            return edge_text(edge)
    return ""


def execution_cells(graph: RunGraph, state: NodeState, number: int, execution: Execution) -> list[Text]:
    way = Text(one_line(execution_way(state, execution), 24), style="magenta")
    next_state = graph.states.get(execution.next_node_uuid or "")
    next_node = (
        one_line(next_state.title, 30)
        if next_state is not None
        else one_line(execution.next_node_uuid or "", 40)
    )
    started = execution.started_at
    return [
        Text(str(number)),
        status_cell(execution.status),
        Text(started.astimezone(UTC).strftime("%H:%M:%S") if started else "—"),
        Text(fmt_duration(duration_between(execution.started_at, execution.finished_at))),
        Text(fmt_credits(execution.credits_used_count or 0.0)),
        Text(one_line(execution.title or "", 32)),
        way,
        Text(next_node),
        Text(
            one_line(execution.node_run_uuid, 60)
            if execution.node_run_uuid
            else f"batch {one_line(execution.node_batch_uuid, 60)}"
            if execution.node_batch_uuid
            else "",
            style="cyan",
        ),
    ]


_JSON_HIGHLIGHTER = JSONHighlighter()


def json_scalar(value: Any) -> Text:
    if isinstance(value, str):
        return Text(json.dumps(one_line(value, 500), ensure_ascii=False), style="green")
    if value is None:
        return Text("null", style="italic magenta")
    if isinstance(value, bool):
        return Text("true" if value else "false", style="italic cyan")
    if isinstance(value, (int, float)):
        return Text(repr(value), style="bold cyan")
    return Text(one_line(repr(value), 200))


def json_label(key: str | None, value: Any) -> Text:
    """One line of a JSON tree: `key: value`, or `key {3 keys}` / `key [5 items]`."""
    text = Text()
    if key is not None:
        text.append(one_line(key, 80), style="bold blue")
        text.append(": " if not isinstance(value, (dict, list)) else " ")
    if isinstance(value, dict):
        text.append(f"{{{len(value)} key{'s' if len(value) != 1 else ''}}}", style="dim")
    elif isinstance(value, list):
        text.append(f"[{len(value)} item{'s' if len(value) != 1 else ''}]", style="dim")
    else:
        text.append_text(json_scalar(value))
    return text


# -- findings and the why report -------------------------------------------------------

WHY_JSON_LINES = 200
"""The resolved input shown in the why view is cut after this many lines (the Input pane has it all)."""
WHY_ERROR_LINES = 200
"""The error shown in the why view is cut after this many lines (the Error pane has it all)."""
WHY_TEXT_CHARS = 20_000
"""... and either after this many characters: the why view is one `Static`, re-wrapped at every layout."""


def _lines(text: str, limit: int) -> list[str]:
    lines = clean(text).splitlines() or [""]
    if len(lines) > limit:
        lines = [*lines[:limit], f"… {len(lines) - limit} more lines"]
    return lines


def finding_parts(graph: RunGraph, finding: Finding) -> tuple[Text, Text]:
    """A finding as a heading (severity, node, kind) and a body (message, fix, detail lines)."""
    look = severity_look(finding.severity)
    state = graph.states.get(finding.node_uuid or "")
    head = Text()
    head.append(f"{look.glyph} ", style=look.style)
    head.append(node_name(state) if state is not None else "the run", style="bold")
    head.append(f"  {one_line(finding.kind, 30)}", style="dim")
    body = Text()
    body.append(one_line(finding.message, 400), style=look.style if finding.severity == "error" else "")
    if finding.fix:
        body.append("\nfix: ", style="bold green")
        body.append(one_line(finding.fix, 300), style="green")
    if finding.detail:
        for line in _lines(finding.detail, FINDING_DETAIL_LINES):
            body.append("\n" + one_line(line, 300), style="dim")
    return head, body


def finding_text(graph: RunGraph, finding: Finding, indent: str = "  ") -> Text:
    """A finding as one Text, its body indented under the heading."""
    head, body = finding_parts(graph, finding)
    text = head.copy()
    for line in body.split("\n"):
        text.append("\n" + indent)
        text.append_text(line)
    return text


def compact_json(value: Any, limit: int = 300) -> str:
    """A value on one line (cut at `limit`), made safe to show."""
    try:
        dumped = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        dumped = repr(value)
    return one_line(dumped, limit)


def _section(text: Text, title: str) -> None:
    text.rstrip()
    text.append("\n\n")
    text.append(title, style="bold underline")
    text.append("\n")


def agent_answer(graph: RunGraph, slug: str, agents: Mapping[str, AgentView | str]) -> str | None:
    """What an agent node really answered: its message's final text when it was fetched,
    else its output (`runContext[slug]`, an agent's `answer`). None: not an agent node."""
    state = next((s for s in graph.states.values() if s.slug == slug and s.scope is None), None)
    if state is None or not state.is_agent:
        return None
    for execution in reversed(state.executions):
        found = agents.get(execution.node_message_uuid or "")
        if isinstance(found, AgentView) and (found.answer or found.output is not None):
            return found.answer if found.answer else compact_json(found.output, 400)
    output = graph.output_of(state.uuid)
    return compact_json(output, 400) if output is not None else None


def why_text(graph: RunGraph, report: WhyReport, agents: Mapping[str, AgentView | str] | None = None) -> Text:
    """The why view: path, error, resolved input, upstream reads, fallback and findings."""
    look = status_look(report.status)
    state = graph.states.get(report.node_uuid)
    text = Text()
    text.append("Why ", style="bold")
    text.append(f"{look.glyph} ", style=look.style)
    text.append(one_line(report.title, 80), style="bold")
    text.append(f"  {look.word}", style=look.style)
    if state is not None and state.slug and state.slug != report.title:
        text.append(f"  ({one_line(state.slug, 60)})", style="dim")

    _section(text, "Path from the start")
    if not report.path_complete:
        text.append("  no way from the run's start to this node was found\n", style="yellow")
    for number, step in enumerate(report.path, 1):
        step_look = status_look(step.status)
        text.append(f"  {number:>2} ", style="dim")
        text.append(f"{step_look.glyph} ", style=step_look.style)
        text.append(
            one_line(step.title, TITLE_LIMIT), style="bold" if step.node_uuid == report.node_uuid else ""
        )
        if step.routing:
            text.append("  routes", style="dim")
        if step.via is not None:
            text.append("\n       ↳ ", style="dim")
            text.append(one_line(step.via, 60), style=EDGE_STYLE)
            if step.taken is True:
                text.append("  taken", style="dim")
            elif step.taken is False:
                text.append("  (not taken by this run)", style="yellow")
        if step.routing and step.decided_by is not None:
            text.append("\n       decided by its computed input: ", style="dim")
            text.append(compact_json(step.decided_by))
        elif step.routing:
            text.append("\n       no computed input recorded", style="dim")
        text.append("\n")

    _section(text, "Error")
    if report.error:
        error, more = clip(clean(report.error), lines=WHY_ERROR_LINES, chars=WHY_TEXT_CHARS)
        text.append(error, style="red")
        if more is not None:
            text.append(f"\n{more} (the Error pane, 3, has it all)", style="dim")
    else:
        text.append("none", style="dim")

    _section(text, "Resolved input (runComputedConfigs)")
    if report.resolved_input is None:
        text.append("none recorded", style="dim")
    else:
        dumped = json.dumps(report.resolved_input, indent=2, ensure_ascii=False, default=str)
        shown, more = clip(clean(dumped), lines=WHY_JSON_LINES, chars=WHY_TEXT_CHARS)
        text.append_text(_JSON_HIGHLIGHTER(Text(shown)))
        if more is not None:
            text.append(f"\n{more} (5 shows the Input pane)", style="dim")

    _section(text, "Upstream reads (the nodes.… expressions in its config)")
    if not report.upstream_reads:
        text.append("none: its config reads no other node", style="dim")
    for read in report.upstream_reads:
        text.append("  ")
        text.append(one_line(read.expression, 120), style="bold blue")
        text.append(" → ")
        if read.value is MISSING:
            text.append("MISSING", style="bold red")
        else:
            text.append(compact_json(read.value, 200))
        if read.note:
            text.append("\n      ")
            text.append(one_line(read.note, 300), style="yellow" if read.value is MISSING else "dim")
        answer = agent_answer(graph, read.slug, agents or {}) if read.value is MISSING else None
        if answer is not None:  # what the agent really returned, next to the path that missed
            text.append("\n      the agent answered: ", style="dim")
            text.append(one_line(answer, 400))
        text.append("\n")

    _section(text, "What happened next" if state is not None and state.failed else "Fallback")
    text.append(
        one_line(report.fallback, 300) if report.fallback else "none", style="" if report.fallback else "dim"
    )

    if report.findings:
        _section(text, f"Findings for this node ({len(report.findings)})")
        for finding in report.findings:
            text.append_text(finding_text(graph, finding))
            text.append("\n")
    return text
