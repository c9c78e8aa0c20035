"""Shared wording and styling for every view (headless text, JSON and the TUI).

No Textual import: styles are Rich style strings, which both Rich and Textual accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from .graph import IN_CHILD_RUNS, NOT_REACHED, Edge, EdgeKind, ItemCounts, NodeState, RunSummary
from .sanitize import one_line

STATUS_LIMIT = 30
LABEL_LIMIT = 60
TITLE_LIMIT = 60
"""A node's name in a tree line, a heading, a finding."""
KIND_LIMIT = 40
EDGE_LIMIT = 40
SECTION_LIMIT = 80
NOTE_LIMIT = 200
FINDING_DETAIL_LINES = 6
"""Detail lines shown under a finding (in `--print` and the Findings pane)."""

EDGE_STYLE = "bold magenta"
FALLBACK_STYLE = "bold dark_orange"
TAKEN_WORDS = {True: "  ← taken", False: "  (not taken)", None: ""}
"""What an edge line says after its words: whether the run went that way."""


@dataclass(frozen=True)
class StatusLook:
    glyph: str
    style: str
    word: str


_LOOKS: dict[str, StatusLook] = {
    "success": StatusLook("✔", "green", "success"),
    "error": StatusLook("✖", "bold red", "error"),
    "running": StatusLook("●", "bold yellow", "running"),
    "pending": StatusLook("◌", "yellow", "pending"),
    "idle": StatusLook("○", "yellow", "idle"),
    "cancelling": StatusLook("⊘", "magenta", "cancelling"),
    "cancelled": StatusLook("⊘", "magenta", "cancelled"),
    "skipped": StatusLook("↷", "dim", "skipped"),
    NOT_REACHED: StatusLook("·", "dim", "not reached"),
    IN_CHILD_RUNS: StatusLook("⟳", "cyan", "in child runs"),
}

_SEVERITY_LOOKS: dict[str, StatusLook] = {
    "error": StatusLook("✖", "bold red", "error"),
    "warning": StatusLook("⚠", "yellow", "warning"),
    "info": StatusLook("ℹ", "cyan", "info"),
}

VERDICT_STYLES = {
    "ok": "bold white on dark_green",
    "degraded": "bold black on dark_orange",
    "failed": "bold white on red",
    "cancelled": "bold white on magenta",
    "running": "bold black on yellow",
    "pending": "bold black on yellow",
}


def slug_differs(state: NodeState) -> bool:
    """Has the node a name that does not say its slug (`qualify` for "Qualify lead"; not
    `enrich_company` for "Enrich company")? Errors and expressions call nodes by slug."""
    name = state.node.name if state.node is not None else None
    slug = state.slug
    return (
        bool(name and slug) and _WORDS.sub("", slug or "").casefold() != _WORDS.sub("", name or "").casefold()
    )


_WORDS = re.compile(r"[\W_]+")


def node_name(state: NodeState, limit: int = TITLE_LIMIT) -> str:
    """What a person calls the node, with its slug when the name does not say it:
    `Qualify lead · qualify`. Made safe to show."""
    title = one_line(state.title, limit)
    return f"{title} · {one_line(state.slug, limit)}" if slug_differs(state) else title


def status_look(status: str | None) -> StatusLook:
    """Known statuses get a glyph and colour; unknown ones are shown as they are (made safe)."""
    if status in _LOOKS:
        return _LOOKS[status]
    return StatusLook("?", "bold blue", one_line(status, STATUS_LIMIT) if status else "unknown")


def severity_look(severity: str) -> StatusLook:
    """The glyph and colour of a finding's severity, the same in `--print` and the TUI."""
    return _SEVERITY_LOOKS.get(severity, StatusLook("?", "bold blue", one_line(severity, STATUS_LIMIT)))


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def fmt_credits(credits: float) -> str:
    if not credits:
        return ""
    value = f"{credits:.2f}".rstrip("0").rstrip(".")
    return f"{value} cr"


def fmt_time(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_attempts(state: NodeState) -> str:
    """`attempt 2 of 3` (the retry policy's limit), `2 attempts`; '' for a node that ran once
    and for a node whose executions are items (`items_text` counts those)."""
    if state.attempts < 2 or state.items is not None:
        return ""
    policy = state.node.retry if state.node is not None else None
    limit = policy.maximum_attempts if policy is not None else None
    if limit is not None and limit >= state.attempts:
        return f"attempt {state.attempts} of {limit}"
    return f"{state.attempts} attempts"


def items_text(items: ItemCounts) -> str:
    """`1 of 3 items failed`, `37/50 done, 3 failed` while they run, `3 items`."""
    total = f"{items.total:,}" if items.total is not None else "?"
    if items.done is None:  # a batch not read yet
        return f"{total} items in a batch" if items.total is not None else "items in a batch"
    failed = items.failed or 0
    if items.active:
        return f"{items.done:,}/{total} done" + (f", {failed:,} failed" if failed else "")
    if failed:
        return f"{failed:,} of {total} item{'s' if items.total != 1 else ''} failed"
    return f"{total} item{'s' if items.total != 1 else ''}"


def items_style(items: ItemCounts) -> str:
    if items.active:
        return "yellow"
    return "bold red" if items.failed else "cyan"


def edge_text(edge: Edge) -> str:
    """The words on an edge: `yes`, `no`, a route name, `A`/`B`, `if true`, `on failure`."""
    if edge.kind is EdgeKind.FALLBACK:
        goes_on = "run goes on" if edge.continues else "run stops"
        return f"on failure ({goes_on})"
    if edge.label:
        return one_line(edge.label, LABEL_LIMIT)  # a switch route's name comes from the API
    return "next"


def progress_text(summary: RunSummary) -> str:
    return f"{summary.nodes_done}/{summary.nodes_reached} reached nodes done, {summary.nodes_total} in graph"


def verdict_text(summary: RunSummary) -> str:
    status = status_look(summary.status).word  # an unknown status is API text
    if summary.verdict in ("ok", summary.status):
        return status
    return f"{status} · {summary.verdict}"
