"""Rich `Text` for every line the TUI draws from run data. No Textual import.

API strings go through `sanitize.one_line`/`clean` and are appended as plain text: nothing
here is ever parsed as markup. Wording and styles come from `present`, shared with `--print`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.highlighter import JSONHighlighter
from rich.text import Text

from ..graph import ItemKind, NodeState, RunGraph
from ..models import TERMINAL_STATUSES, Execution
from ..present import (
    VERDICT_STYLES,
    edge_text,
    fmt_attempts,
    fmt_credits,
    fmt_duration,
    fmt_time,
    status_look,
    verdict_text,
)
from ..sanitize import clean, one_line
from .views import NodeView

TITLE_LIMIT = 60
MATCH_STYLE = "bold black on yellow"
FLASH_STYLE = "on #4a4100"
FALLBACK_STYLE = "bold dark_orange"
EDGE_STYLE = "bold magenta"


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


def node_label(state: NodeState, *, query: str = "", matched: bool = False) -> Text:
    look = status_look(state.status)
    text = Text(f"{look.glyph} ", style=look.style)
    title = Text(one_line(state.title, TITLE_LIMIT), style="bold" if state.failed else "")
    if not _highlight(title, query) and matched:
        title.append(" ⌕", style=MATCH_STYLE)
    text.append_text(title)
    text.append(f"  {one_line(state.kind_action, 40)}", style="dim")
    extras = [x for x in (fmt_attempts(state), fmt_credits(state.credits)) if x]
    if extras:
        text.append("  " + "  ".join(extras), style="cyan")
    if state.fallback_took_over:
        text.append("  ↯ fallback", style=FALLBACK_STYLE)
    return text


def tree_label(view: NodeView, *, query: str = "", matched: bool = False, flash: bool = False) -> Text:
    """The label of one line of the run tree."""
    item, state = view.item, view.state
    if item.kind is ItemKind.NODE and state is not None:
        text = node_label(state, query=query, matched=matched)
    elif item.kind is ItemKind.REF and state is not None:
        look = status_look(state.status)
        text = Text.assemble(
            ("↪ ", "dim"),
            (f"{look.glyph} ", look.style),
            one_line(state.title, TITLE_LIMIT),
            (f"  (shown {item.text or 'elsewhere'})", "dim"),
        )
    elif item.kind is ItemKind.EDGE and item.edge is not None:
        edge = item.edge
        taken = {True: "  ← taken", False: "  (not taken)", None: ""}[edge.taken]
        if edge.kind.value == "fallback":
            text = Text.assemble((f"↯ [{edge_text(edge)}]", FALLBACK_STYLE), (taken, "dim"))
        else:
            text = Text.assemble((f"[{one_line(edge_text(edge), 40)}]", EDGE_STYLE), (taken, "dim"))
    elif item.kind is ItemKind.SECTION:
        text = Text(one_line(item.text, 80), style="bold underline")
    else:
        text = Text.assemble(("⚠ ", "yellow"), (one_line(item.text, 200), "yellow"))
    if item.dimmed:
        text.stylize("dim")
    if flash:
        text.stylize(FLASH_STYLE)
    return text


# -- header -------------------------------------------------------------------------------


def badge(graph: RunGraph) -> Text:
    summary = graph.summary
    look = status_look(summary.status)
    return Text(
        f" {look.glyph} {verdict_text(summary)} ", style=VERDICT_STYLES.get(summary.verdict, look.style)
    )


def _short_id(value: str, narrow: bool) -> str:
    return value[:8] + "…" if narrow and len(value) > 20 else value


def header_text(
    graph: RunGraph, *, elapsed: float | None, poll: Text, crumbs: Text | None, narrow: bool = False
) -> Text:
    """The header: title, badge and poll state; ids; times, credits and progress.

    `narrow` (under ~100 columns) shortens the workflow and parent ids so each part stays on
    one line; the run uuid is always whole (and `C` copies it).
    """
    summary, run = graph.summary, graph.run
    text = Text()
    text.append_text(badge(graph))
    text.append(" ")
    text.append(one_line(summary.record_title or "(untitled record)", 80), style="bold")
    text.append("   ")
    text.append_text(poll)
    text.append("\n")
    text.append("run ", style="dim")
    text.append(one_line(summary.uuid or "?", 60))
    text.append("  workflow ", style="dim")
    text.append(_short_id(one_line(run.workflow_uuid or "?", 60), narrow))
    if run.parent_uuid:
        text.append("  parent ", style="dim")
        text.append(_short_id(one_line(run.parent_uuid, 60), narrow))
    text.append("\n")
    running = summary.finished_at is None and summary.status not in TERMINAL_STATUSES
    finish = "now" if running else _finish_time(summary.created_at, summary.finished_at)
    start = fmt_time(summary.created_at)
    # "2026-11-20 09:00:00 → 09:00:26 UTC": one UTC is enough on the same day.
    text.append(start.removesuffix(" UTC") if finish.endswith(" UTC") and len(finish) < 15 else start)
    text.append(" → ", style="dim")
    text.append(finish)
    text.append(f" ({fmt_duration(elapsed) or '—'})")
    text.append(" · ", style="dim")
    text.append(fmt_credits(summary.credits) or "0 cr")
    text.append(" · ", style="dim")
    text.append(f"{summary.nodes_done}/{summary.nodes_reached} nodes done, {summary.nodes_total} in graph")
    if crumbs is not None:
        text.append("\n")
        text.append_text(crumbs)
    return text


def _finish_time(created: datetime | None, finished: datetime | None) -> str:
    """The finish time; only the clock time when it is the same UTC day as the start."""
    if finished is None:
        return "not finished"
    full = fmt_time(finished)
    if created is not None and fmt_time(created)[:10] == full[:10]:
        return full[11:]
    return full


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


def execution_duration(execution: Execution) -> float | None:
    if execution.started_at is None or execution.finished_at is None:
        return None
    return max((execution.finished_at - execution.started_at).total_seconds(), 0.0)


def execution_cells(graph: RunGraph, state: NodeState, number: int, execution: Execution) -> list[Text]:
    child_index = Text()
    if execution.node_child_index is not None:
        child_index.append(str(execution.node_child_index))
        for edge in state.edges:
            if edge.index == execution.node_child_index and edge.label:
                child_index.append(f" {one_line(edge.label, 20)}", style="magenta")
    next_state = graph.states.get(execution.next_node_uuid or "")
    next_node = (
        one_line(next_state.title, 30) if next_state is not None else one_line(execution.next_node_uuid or "")
    )
    started = execution.started_at
    return [
        Text(str(number)),
        status_cell(execution.status),
        Text(started.astimezone(UTC).strftime("%H:%M:%S") if started else "—"),
        Text(fmt_duration(execution_duration(execution))),
        Text(fmt_credits(execution.credits_used_count or 0.0)),
        Text(one_line(execution.title or "", 32)),
        child_index,
        Text(next_node),
        Text(one_line(execution.node_run_uuid or ""), style="cyan"),
    ]


_JSON_HIGHLIGHTER = JSONHighlighter()


def json_text(value: Any) -> Text:
    """Pretty JSON, highlighted by token type (never as markup), control characters made safe."""
    dumped = json.dumps(value, indent=2, ensure_ascii=False, default=str, sort_keys=False)
    return _JSON_HIGHLIGHTER(Text(clean(dumped)))


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
