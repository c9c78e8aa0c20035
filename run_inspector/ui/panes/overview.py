"""The Overview pane: what the selected node is, and its config as a JSON tree."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...graph import EdgeKind, NodeState, RunGraph
from ...present import TAKEN_WORDS, edge_text, fmt_attempts, fmt_credits, fmt_duration, status_look
from ...sanitize import clean, one_line
from ...treeline import often_fails
from ..labels import clip, json_label
from .base import Pane, RunContext, field_line
from .widgets import JsonTree

OVERVIEW_EDGES = 100
"""The Overview lists this many children; the tree has them all."""
OVERVIEW_PARENTS = 20
DESCRIPTION_LINES = 40
DESCRIPTION_CHARS = 4_000


class OverviewPane(Pane, VerticalScroll):
    """What the node is: status, ids, executions, retry, fallback, children, and its config as a
    JSON tree (opened a level at a time: a config can be hundreds of levels deep)."""

    DEFAULT_CSS = """
    OverviewPane { height: 1fr; }
    OverviewPane > Static { width: 1fr; padding: 0 1; }
    OverviewPane > JsonTree { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._config: tuple[str, Any] | None = None

    def draw_key(self, context: RunContext) -> object:
        selection = context.selection  # the failure rates arrive later
        return (context.graph, selection.node_uuid, selection.execution, id(context.rates))

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, expand=True, id="overview-text")
        yield JsonTree(id="config-tree")

    def draw(self, context: RunContext) -> None:
        body = self.query_one("#overview-text", Static)
        tree = self.query_one("#config-tree", JsonTree)
        state = context.selection.state
        config = state.node.config if state is not None and state.node is not None else None
        if state is None:
            body.update(Text("Nothing selected", style="dim"))
        else:
            text = overview_text(context.graph, state, has_config=bool(config))
            rate = context.rates.of(state.uuid) if context.rates is not None else None
            if rate is not None:
                index = text.plain.find("\nuuid")
                line = Text()
                field_line(
                    line,
                    "lately",
                    rate.text(),
                    "bold yellow" if often_fails((rate.failed, rate.total)) else "dim",
                )
                text = text[: index + 1] + line + text[index + 1 :] if index >= 0 else text + line
            body.update(text)
        tree.display = bool(config)
        if not config:
            self._config = None
        elif self._config != (state.uuid if state else "", config):
            self._config = (state.uuid if state else "", config)
            tree.set_value(json_label("config", config), config)


def _more(text: Text, count: int, what: str) -> None:
    text.append(f"  … {count:,} more ({what})\n", style="dim")


def overview_text(graph: RunGraph, state: NodeState, *, has_config: bool) -> Text:
    """The Overview's fields. Lists and free text are cut: a `Static` re-wraps all it holds."""
    node = state.node
    look = status_look(state.status)
    text = Text()
    text.append(one_line(state.title, 120), style="bold")
    text.append("\n\n")
    field_line(text, "status", Text(f"{look.glyph} {look.word}", style=look.style))
    if state.first_error and state.failed:
        field_line(text, "error", Text(one_line(state.first_error, 300), style="red"))
    field_line(text, "uuid", one_line(state.uuid, 200))
    field_line(text, "slug", one_line(state.slug or "—", 200))
    field_line(text, "name", one_line(node.name or "—", 200) if node is not None else "—")
    field_line(text, "kind/action", one_line(state.kind_action, 200))
    if node is not None and node.description:
        description, more = clip(clean(node.description), lines=DESCRIPTION_LINES, chars=DESCRIPTION_CHARS)
        field_line(text, "description", description if more is None else f"{description}\n{more}")
    runs = [x for x in (fmt_attempts(state) or f"×{state.attempts}", fmt_credits(state.credits)) if x]
    if state.duration is not None:
        runs.append(fmt_duration(state.duration))
    field_line(text, "executions", "  ".join(runs))
    if state.child_runs:
        shown_runs = ", ".join(one_line(r, 60) for r in state.child_runs[:OVERVIEW_PARENTS])
        if len(state.child_runs) > OVERVIEW_PARENTS:
            shown_runs += f" … {len(state.child_runs) - OVERVIEW_PARENTS:,} more"
        field_line(text, "child runs", shown_runs, "cyan")
    if node is not None and node.retry is not None:
        retry = node.retry
        interval = f"{retry.initial_interval:g} ms" if retry.initial_interval is not None else "?"
        field_line(
            text,
            "retry",
            f"up to {retry.maximum_attempts or '?'} attempts, first wait {interval}, "
            f"backoff ×{retry.backoff_coefficient or 1:g}",
        )
    else:
        field_line(text, "retry", "no retry policy", "dim")
    fallback = state.fallback_edge
    if fallback is not None:
        target = graph.states.get(fallback.target or "")
        name = one_line(target.title, 60) if target else one_line(fallback.target or "?", 60)
        goes_on = "the run goes on" if fallback.continues else "the run stops"
        taken = {True: ", it ran", False: ", it did not run", None: ""}[fallback.taken]
        field_line(text, "fallback", f"{name} ({goes_on}{taken})", "dark_orange")
    else:
        field_line(text, "fallback", "none", "dim")
    ordinary = [e for e in state.edges if e.kind is not EdgeKind.FALLBACK]
    if ordinary:
        text.append("children\n", style="dim")
        for edge in ordinary[:OVERVIEW_EDGES]:
            target = graph.states.get(edge.target or "")
            name = one_line(target.title, 60) if target else one_line(edge.target or "(null)", 60)
            word = "next" if edge.kind is EdgeKind.NEXT else one_line(edge_text(edge), 40)
            text.append(f"  [{word}] ", style="magenta")
            text.append(name)
            text.append(TAKEN_WORDS[edge.taken] + "\n", style="dim")
        if len(ordinary) > OVERVIEW_EDGES:
            _more(text, len(ordinary) - OVERVIEW_EDGES, "the tree lists them all")
    else:
        field_line(text, "children", "none", "dim")
    if state.parents:
        parents = ", ".join(one_line(graph.states[p].title, 40) for p in state.parents[:OVERVIEW_PARENTS])
        if len(state.parents) > OVERVIEW_PARENTS:
            parents += f" … {len(state.parents) - OVERVIEW_PARENTS:,} more"
        field_line(text, "parents", parents)
    if not has_config:
        text.append("\nconfig      ", style="dim")
        text.append("no config", style="dim")
    return text
