"""One line of the run tree, as parts: the spec both `--print` and the TUI render.

Pure Python (no Textual, no Rich import). `item_parts(graph, item)` says what a line of the
tree holds, for each kind of item: the status mark, the name, the kind/action, the counts,
the credits, the edge words. Each part has a role and a Rich style string. The two renderers
are thin: `render_text` turns the parts into `--print`'s lines, `ui/labels` into the tree's
`Text` labels (which leaves out the roles a narrow pane has no room for, `PRINT_ONLY`).

Every string from the API is cleaned here (`one_line`) and cut to `present`'s limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .graph import IN_CHILD_RUNS, NodeState, RunGraph
from .layout import ItemKind, TreeItem
from .models import FAILED_STATUSES
from .present import (
    EDGE_LIMIT,
    EDGE_STYLE,
    FALLBACK_STYLE,
    KIND_LIMIT,
    NOTE_LIMIT,
    SECTION_LIMIT,
    TAKEN_WORDS,
    TITLE_LIMIT,
    edge_text,
    fmt_attempts,
    fmt_credits,
    fmt_duration,
    items_style,
    items_text,
    slug_differs,
    status_look,
)
from .sanitize import one_line


class Role(StrEnum):
    MARK = "mark"
    """The status glyph."""
    STATUS = "status"
    """The status word, padded to a column."""
    NAME = "name"
    SLUG = "slug"
    """The node's slug, when it has a name of its own: what errors and expressions call it."""
    KIND = "kind"
    ITEMS = "items"
    """`1 of 3 items failed`: a node that ran once per item."""
    COUNTS = "counts"
    """Attempts, credits, child runs."""
    DURATION = "duration"
    FALLBACK = "fallback"
    """`↯ fallback`: the node failed and its fallback took over."""
    RATE = "rate"
    """`fails 12%`: the node failed often in the workflow's recent runs."""
    REF = "ref"
    """`↪`: the node is shown in full elsewhere."""
    WHERE = "where"
    EDGE = "edge"
    TAKEN = "taken"
    SECTION = "section"
    NOTE = "note"


PRINT_ONLY = frozenset({Role.STATUS, Role.DURATION})
"""Roles the TUI's tree leaves out: its panes show them, and its pane is narrow."""


@dataclass(frozen=True)
class Part:
    role: Role
    text: str
    style: str = ""


def item_parts(graph: RunGraph, item: TreeItem, rates: Rates | None = None) -> list[Part]:
    """The parts of the line that shows `item`; `rates` (node uuid → (failed, total) over the
    last days, when known) flags a node that fails often."""
    state = graph.states.get(item.node_uuid or "")
    if item.kind is ItemKind.NODE and state is not None:
        parts = node_parts(state, graph)
        flag = often_fails(rates.get(state.uuid) if rates is not None else None)
        if flag:
            parts.append(Part(Role.RATE, f"  {flag}", "dim"))
        return parts
    if item.kind is ItemKind.REF and state is not None:
        look = status_look(state.status)
        return [
            Part(Role.REF, "↪ ", "dim"),
            Part(Role.MARK, f"{look.glyph} ", look.style),
            Part(Role.NAME, one_line(state.title, TITLE_LIMIT)),
            Part(Role.WHERE, f"  (shown {item.text or 'elsewhere'})", "dim"),
        ]
    if item.kind is ItemKind.EDGE and item.edge is not None:
        edge = item.edge
        words = f"[{one_line(edge_text(edge), EDGE_LIMIT)}]"
        if edge.kind.value == "fallback":
            words, style = f"↯ {words}", FALLBACK_STYLE
        else:
            style = EDGE_STYLE
        return [Part(Role.EDGE, words, style), Part(Role.TAKEN, TAKEN_WORDS[edge.taken], "dim")]
    if item.kind is ItemKind.SECTION:
        return [Part(Role.SECTION, one_line(item.text, SECTION_LIMIT), "bold underline")]
    return [Part(Role.NOTE, "⚠ ", "yellow"), Part(Role.NOTE, one_line(item.text, NOTE_LIMIT), "yellow")]


Rates = Mapping[str, tuple[int, int]]
"""Node uuid → (failed, total) executions over the workflow's recent runs."""
OFTEN = 0.1
"""A node that failed in this share of its recent executions (or more) is flagged..."""
OFTEN_AT_LEAST = 3
"""... when it failed at least this many times."""


def often_fails(counts: tuple[int, int] | None) -> str:
    """`fails 12%` for a node that fails often lately; '' otherwise."""
    if counts is None:
        return ""
    failed, total = counts
    if total <= 0 or failed < OFTEN_AT_LEAST or failed / total < OFTEN:
        return ""
    return f"fails {failed / total:.0%}"


@dataclass(frozen=True)
class AcrossItems:
    """How a sub-graph node ended across its group's item runs (those that were read)."""

    counts: dict[str, int]
    failed: int
    text: str
    """`✔2 ✖1`, and `in 25 of 5,000 items` when not every item run was read."""


def across_items(graph: RunGraph, state: NodeState) -> AcrossItems | None:
    """For a node of a group's sub-graph: its outcomes across the item runs read (lineage)."""
    if state.status != IN_CHILD_RUNS or state.scope is None or not state.slug:
        return None
    listed = graph.lineage.items.get(state.scope)
    counts = listed.sub_counts.get(state.slug) if listed is not None else None
    if listed is None or not counts:
        return None
    order = sorted(counts, key=lambda status: (status != "success", status not in FAILED_STATUSES, status))
    text = " ".join(f"{status_look(status).glyph}{counts[status]:,}" for status in order)
    total = listed.count if listed.count is not None else len(listed.runs)
    if listed.fetched < total:
        text += f" (in {listed.fetched:,} of {total:,} items)"
    failed = sum(n for status, n in counts.items() if status in FAILED_STATUSES)
    return AcrossItems(counts, failed, text)


def line_style(graph: RunGraph, item: TreeItem) -> str:
    """The style under a whole line: a node's line takes its status colour where a renderer
    has room for colour (the TUI's tree; `--print` colours the status word only)."""
    state = graph.states.get(item.node_uuid or "")
    return status_look(state.status).style if item.kind is ItemKind.NODE and state is not None else ""


def node_parts(state: NodeState, graph: RunGraph | None = None) -> list[Part]:
    look = status_look(state.status)
    glyph, style = look.glyph, look.style
    across = across_items(graph, state) if graph is not None else None
    if across is not None and across.failed:  # it failed in an item: a cross, not the loop mark
        failed = status_look("error")
        glyph, style = failed.glyph, failed.style
    parts = [
        Part(Role.MARK, f"{glyph} ", style),
        Part(Role.STATUS, f"{look.word:<13} ", style),
        Part(Role.NAME, one_line(state.title, TITLE_LIMIT), "bold" if state.failed else ""),
    ]
    if slug_differs(state):
        parts.append(Part(Role.SLUG, f" · {one_line(state.slug, KIND_LIMIT)}", "dim"))
    parts.append(Part(Role.KIND, f"  {one_line(state.kind_action, KIND_LIMIT)}", "dim"))
    if state.items is not None:
        parts.append(Part(Role.ITEMS, f"  {items_text(state.items)}", items_style(state.items)))
    if across is not None:
        parts.append(Part(Role.ITEMS, f"  {across.text}", "bold red" if across.failed else "cyan"))
    counts = [x for x in (fmt_attempts(state), fmt_credits(state.credits)) if x]
    if state.child_runs and state.items is None:
        counts.append(f"{len(state.child_runs)} child run{'s' if len(state.child_runs) > 1 else ''}")
    if counts:
        parts.append(Part(Role.COUNTS, "  " + "  ".join(counts), "cyan"))
    duration = fmt_duration(state.duration)
    if duration:
        parts.append(Part(Role.DURATION, f"  {duration}", "cyan"))
    if state.fallback_took_over:
        parts.append(Part(Role.FALLBACK, "  ↯ fallback", FALLBACK_STYLE))
    return parts
