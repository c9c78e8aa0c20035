"""The Error pane: the chosen execution's error in full, then the run's error."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...present import items_text, node_name
from ...sanitize import one_line
from .base import Copy, Pane, RunContext, why_empty
from .widgets import ReadOnlyText


class ErrorPane(Pane, VerticalScroll):
    """The chosen execution's error (else the node's first), in full, then the run's error.

    Both errors are in read-only text areas (`ReadOnlyText`): an error can be megabytes.
    """

    DEFAULT_CSS = """
    ErrorPane { height: 1fr; }
    ErrorPane > Static { width: 1fr; padding: 0 1; }
    ErrorPane > ReadOnlyText { color: ansi_red; }
    ErrorPane > #run-error-head { margin-top: 1; }
    """

    def contents(self) -> ComposeResult:
        yield Static(Text(""), markup=False, expand=True, id="error-head")
        yield ReadOnlyText(id="error-text")
        yield Static(Text(""), markup=False, expand=True, id="run-error-head")
        yield ReadOnlyText(id="run-error-text")

    def draw_key(self, context: RunContext) -> object:
        selection = context.selection  # item failures arrive later, with the lineage
        return (context.graph, selection.node_uuid, selection.execution, id(context.graph.lineage))

    def draw(self, context: RunContext) -> None:
        selection = context.selection
        state = selection.state
        head = Text()
        message = node_error(context)
        if state is not None:
            head.append(node_name(state, 120), style="bold")
            head.append("\n")
        chosen = selection.chosen
        failures = item_failures(context)
        if failures is not None:
            head.append(failures[0], style="red")
            message = failures[1]
        elif message is not None:
            where = (
                f"execution {(selection.execution or 0) + 1} of {len(state.executions) if state else 0}"
                if chosen is not None and chosen.error_message
                else "first error"
            )
            head.append(where, style="dim")
        else:
            head.append(why_empty(state) or "No error recorded for this node", style="dim")
        self.query_one("#error-head", Static).update(head)
        self._show_text("#error-text", message)
        run_error = context.graph.run.error_message
        run_head = Text("run error", style="dim")
        if not run_error:
            run_head.append("\nnone", style="dim")
        self.query_one("#run-error-head", Static).update(run_head)
        self._show_text("#run-error-text", run_error or None)

    def _show_text(self, selector: str, text: str | None) -> None:
        area = self.query_one(selector, ReadOnlyText)
        area.display = text is not None
        area.show(text or "")

    def copy(self) -> Copy | None:
        if self.context is None:
            return None
        failures = item_failures(self.context)
        message = failures[1] if failures is not None else node_error(self.context)
        return Copy("error", message) if message else None


def item_failures(context: RunContext) -> tuple[str, str] | None:
    """For a group whose items failed: a heading (`1 of 3 items failed · o opens …`) and the
    failed items with where each failed and its full error, as far as they were read."""
    state = context.selection.state
    if state is None:
        return None
    group = state.uuid if state.items is not None else state.scope
    listed = context.graph.lineage.items.get(group or "")
    if listed is None:
        return None
    failures = listed.failures
    if state.items is None:  # a node of the group's sub-graph: the items that failed there
        failures = [f for f in failures if f.node_slug == state.slug]
        failed_here = len(listed.failed_at.get(state.slug or "", []))
        head = f"failed in {failed_here:,} of the {listed.fetched:,} item runs read" if failed_here else ""
    else:
        head = f"{items_text(state.items)}"
    if not failures:
        return None
    counts = state.items
    first = failures[0]
    head += f" · o opens item {one_line(first.record_title or first.run_uuid, 60)}"
    blocks = []
    for failure in failures:
        at = f" · failed at {failure.node_slug}" if failure.node_slug else ""
        title = failure.record_title or "(untitled record)"
        blocks.append(f"item {title} · run {failure.run_uuid}{at}\n{failure.error or 'no error recorded'}")
    failed = listed.failed_count if listed.failed_count is not None else (counts.failed if counts else None)
    if counts is not None and failed is not None and failed > len(failures):
        blocks.append(f"+{failed - len(failures):,} more failed (the Items pane lists them)")
    return head, "\n\n".join(blocks)


def node_error(context: RunContext) -> str | None:
    """The error of the chosen execution, else the node's first error."""
    selection = context.selection
    chosen = selection.chosen
    if chosen is not None and chosen.error_message:
        return chosen.error_message
    state = selection.state
    return state.first_error if state is not None and state.first_error else None
